"""The review inbox: filters, what needs a reply and the summary above it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from core.sentiment import NEGATIVE_BELOW
from core.tenants import Brand
from planner.reviews.models import Review


def negative_clause() -> Any:
    return or_(Review.rating <= 2, Review.sentiment <= NEGATIVE_BELOW)


def unreplied_clause() -> Any:
    return or_(Review.reply_text.is_(None), Review.reply_text == "")


@dataclass
class InboxFilters:
    rating: int | None = None
    source: str | None = None
    replied: bool | None = None
    language: str | None = None
    needs_reply: bool = False

    @classmethod
    def from_args(cls, args: Any) -> InboxFilters:
        """Filters from query arguments; values that are not valid are ignored."""
        rating = args.get("rating", type=int)
        replied = {"yes": True, "no": False}.get(args.get("replied", ""))
        return cls(
            rating=rating if rating in range(1, 6) else None,
            source=(args.get("source") or "").strip().lower() or None,
            replied=replied,
            language=(args.get("language") or "").strip().lower() or None,
            needs_reply=args.get("needs_reply") in ("1", "true", "yes", "on"),
        )


def inbox_query(brand: Brand, filters: InboxFilters) -> Select[tuple[Review]]:
    """Every review of the brand that the filters let through, newest first."""
    query = select(Review).where(Review.brand_id == brand.id)
    if filters.rating is not None:
        query = query.where(Review.rating == filters.rating)
    if filters.source:
        query = query.where(Review.source == filters.source)
    if filters.replied is True:
        query = query.where(~unreplied_clause())
    elif filters.replied is False:
        query = query.where(unreplied_clause())
    if filters.language == "unknown":
        query = query.where(Review.language.is_(None))
    elif filters.language:
        query = query.where(Review.language == filters.language)
    if filters.needs_reply:
        query = query.where(negative_clause(), unreplied_clause())
    return query.order_by(Review.created_at.desc(), Review.id.desc())


def needs_reply(review: Review) -> bool:
    negative = review.rating <= 2 or (
        review.sentiment is not None and review.sentiment <= NEGATIVE_BELOW
    )
    return negative and not (review.reply_text or "").strip()


def waited(review: Review, now: datetime) -> str:
    """How long a review has waited for a reply: "waiting 3 days"."""
    seconds = max((now - review.created_at).total_seconds(), 0)
    days = int(seconds // 86400)
    # Whole phrases: the duration after "waiting" takes another case than a duration alone.
    if days >= 2:
        return ngettext("waiting %(num)d day", "waiting %(num)d days", days)
    hours = int(seconds // 3600)
    if hours:
        return ngettext("waiting %(num)d hour", "waiting %(num)d hours", hours)
    return _("waiting under an hour")


@dataclass
class InboxSummary:
    total: int
    needs_reply: int
    sources: list[str]
    languages: list[str]


def inbox_summary(session: Session, brand: Brand) -> InboxSummary:
    total = session.scalar(select(func.count(Review.id)).where(Review.brand_id == brand.id)) or 0
    waiting = session.scalar(
        select(func.count(Review.id)).where(
            Review.brand_id == brand.id, negative_clause(), unreplied_clause()
        )
    )
    sources = session.scalars(
        select(Review.source).where(Review.brand_id == brand.id).distinct().order_by(Review.source)
    ).all()
    languages = session.scalars(
        select(Review.language)
        .where(Review.brand_id == brand.id, Review.language.is_not(None))
        .distinct()
        .order_by(Review.language)
    ).all()
    return InboxSummary(total, waiting or 0, list(sources), list(languages))
