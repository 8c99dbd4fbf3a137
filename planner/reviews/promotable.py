"""The brand's promotable reviews, ranked from what the database holds, each explained."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from core.sentiment import NEGATIVE_BELOW
from core.tenants import Brand
from planner.reviews import ranking
from planner.reviews.models import Review
from planner.reviews.settings import settings_for


def facts_query(brand: Brand) -> Select[Any]:
    return select(
        Review.id,
        Review.rating,
        Review.sentiment,
        func.length(Review.text),
        Review.detail_count,
        Review.created_at,
        Review.last_promoted_at,
        Review.language,
    ).where(
        Review.brand_id == brand.id,
        Review.rating >= ranking.MIN_RATING,
        Review.text != "",
        or_(Review.sentiment.is_(None), Review.sentiment > NEGATIVE_BELOW),
    )


def facts_from_rows(rows: Any) -> Iterator[ranking.ReviewFacts]:
    for review_id, rating, sentiment, length, detail_count, created, promoted, language in rows:
        yield ranking.ReviewFacts(
            review_id, rating, sentiment, length or 0, detail_count, created, promoted, language
        )


@dataclass
class RankedReview:
    review: Review
    ranked: ranking.Ranked


def with_reviews(
    session: Session, ranked: list[ranking.Ranked], now: datetime
) -> list[RankedReview]:
    """The ranked reviews loaded, each explained with the details it names."""
    by_id = {
        r.id: r
        for r in session.scalars(select(Review).where(Review.id.in_([x.review_id for x in ranked])))
    }
    return [
        RankedReview(by_id[x.review_id], ranking.score(facts_of(by_id[x.review_id]), now))
        for x in ranked
        if x.review_id in by_id
    ]


def promotable_reviews(
    session: Session, brand: Brand, *, now: datetime, limit: int = 50
) -> list[RankedReview]:
    """The brand's promotable reviews, best first, each with its score breakdown."""
    settings = settings_for(session, brand)
    cutoff = now - timedelta(days=settings.cooldown_days)
    query = facts_query(brand).where(
        or_(Review.last_promoted_at.is_(None), Review.last_promoted_at <= cutoff)
    )
    ranked = ranking.rank(
        facts_from_rows(session.execute(query)), now, settings.cooldown_days, limit=limit
    )
    return with_reviews(session, ranked, now)


def facts_of(review: Review) -> ranking.ReviewFacts:
    return ranking.ReviewFacts(
        review.id,
        review.rating,
        review.sentiment,
        len(review.text),
        len(review.details or []),
        review.created_at,
        review.last_promoted_at,
        review.language,
        tuple(review.details or []),
    )
