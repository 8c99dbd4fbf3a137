"""Customer reviews, the brand's review settings, and which review became which post."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

import planner.assets  # noqa: F401  (the owned_assets table comes with the reviews)
import planner.reviews.reply_models  # noqa: F401  (replies, flags and the voice guide)
from core.db import Base, utcnow

SOURCE_NAMES = {
    "google": "Google",
    "trustpilot": "Trustpilot",
    "yelp": "Yelp",
    "facebook": "Facebook",
    "tripadvisor": "Tripadvisor",
}


def source_name(source: str) -> str:
    return SOURCE_NAMES.get(source, source.replace("_", " ").replace("-", " ").title())


class Review(Base):
    """One review as the source site shows it; never deleted or hidden in PageOne."""

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("brand_id", "source", "external_id"),
        Index("ix_reviews_brand_created", "brand_id", "created_at"),
        Index("ix_reviews_brand_rating", "brand_id", "rating"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(40))
    external_id: Mapped[str] = mapped_column(String(255))
    rating: Mapped[int]
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]
    url: Mapped[str | None] = mapped_column(String(2048))
    reply_text: Mapped[str | None] = mapped_column(Text)
    reply_at: Mapped[datetime | None]
    # The language as given by the file, or as detected (language_detected) when not given.
    language: Mapped[str | None] = mapped_column(String(12))
    language_detected: Mapped[bool] = mapped_column(default=False)
    # VADER's compound score (-1..1) for English text; None for other languages and no text.
    sentiment: Mapped[float | None]
    # Concrete details found in the text (numbers, names), kept for ranking and its explanation.
    details: Mapped[list[str]] = mapped_column(JSON, default=list)
    detail_count: Mapped[int] = mapped_column(default=0)
    content_hash: Mapped[str] = mapped_column(String(40))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_promoted_at: Mapped[datetime | None]
    # When the overdue mail about this review went out (once per review).
    overdue_alerted_at: Mapped[datetime | None]


class ReviewSettings(Base):
    """A brand's review settings; a brand without a row uses the defaults."""

    __tablename__ = "review_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), unique=True)
    profile_url: Mapped[str | None] = mapped_column(String(2048))
    page_enabled: Mapped[bool] = mapped_column(default=False)
    weekly_cap: Mapped[int] = mapped_column(default=2)
    cooldown_days: Mapped[int] = mapped_column(default=90)
    do_not_phrases: Mapped[str] = mapped_column(Text, default="")
    # Platform → Jinja template; a platform missing here uses the default template.
    templates: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Star rating ("1".."5") → hours to reply; a rating missing here has no target.
    reply_targets: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def phrases(self) -> list[str]:
        return [p.strip() for p in (self.do_not_phrases or "").splitlines() if p.strip()]


class ReviewPromotion(Base):
    """A post made from a review: the 90-day rule and the history read these."""

    __tablename__ = "review_promotions"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", ondelete="SET NULL"), index=True
    )
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
