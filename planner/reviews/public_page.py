"""The brand's public page of selected reviews and its structured data."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.tenants import Brand
from planner.reviews import ranking
from planner.reviews.models import Review, ReviewSettings, source_name
from planner.reviews.promotable import facts_from_rows, facts_query, with_reviews
from planner.reviews.rendering import reviewer_name
from planner.reviews.settings import settings_for

PAGE_CANDIDATES = 2000
PAGE_SIZE = 30


@dataclass
class ReviewsPage:
    brand: Brand
    settings: ReviewSettings
    total: int
    average: float | None
    selected: list[Review]
    latest: datetime | None
    sources: list[str]


def public_page(session: Session, brand: Brand, *, now: datetime) -> ReviewsPage:
    """The count and average of every imported review, and the selection shown."""
    total, average, latest = session.execute(
        select(func.count(Review.id), func.avg(Review.rating), func.max(Review.updated_at)).where(
            Review.brand_id == brand.id
        )
    ).one()
    query = (
        facts_query(brand).order_by(Review.created_at.desc()).limit(PAGE_CANDIDATES)
    )  # the page ranks the newest candidates; promotion history does not matter here
    ranked = ranking.rank(
        (replace(f, last_promoted_at=None) for f in facts_from_rows(session.execute(query))),
        now,
        limit=PAGE_SIZE,
    )
    sources = session.scalars(
        select(Review.source).where(Review.brand_id == brand.id).distinct().order_by(Review.source)
    ).all()
    return ReviewsPage(
        brand=brand,
        settings=settings_for(session, brand),
        total=total or 0,
        average=round(float(average), 2) if average is not None else None,
        selected=[r.review for r in with_reviews(session, ranked, now)],
        latest=latest,
        sources=[source_name(s) for s in sources],
    )


def json_ld(page: ReviewsPage, page_url: str) -> dict[str, Any]:
    """schema.org Organization with its AggregateRating (the whole set) and the shown reviews."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Organization",
        "name": page.brand.name,
        "url": page_url,
    }
    if page.settings.profile_url:
        data["sameAs"] = [page.settings.profile_url]
    if page.total and page.average is not None:
        data["aggregateRating"] = {
            "@type": "AggregateRating",
            "ratingValue": page.average,
            "reviewCount": page.total,
            "bestRating": 5,
            "worstRating": 1,
        }
    data["review"] = [
        {
            "@type": "Review",
            "author": {"@type": "Person", "name": reviewer_name(r.author)},
            "datePublished": r.created_at.date().isoformat(),
            "reviewRating": {
                "@type": "Rating",
                "ratingValue": r.rating,
                "bestRating": 5,
                "worstRating": 1,
            },
            "reviewBody": r.text,
            **({"name": r.title} if r.title else {}),
            **({"url": r.url} if r.url else {}),
        }
        for r in page.selected
    ]
    return data
