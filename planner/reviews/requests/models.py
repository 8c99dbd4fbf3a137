"""Customers to ask for a review, the requests sent to them and each brand's request settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

import planner.reviews.models  # noqa: F401  (the reviews table a request points at)
from core.db import Base, utcnow

LANGUAGES = {"en": "English", "lv": "Latvian", "lt": "Lithuanian", "pl": "Polish"}
SOURCES = ("csv", "webhook", "api")


class RequestSettings(Base):
    """How a brand asks its customers for reviews; a brand without a row sends nothing."""

    __tablename__ = "review_request_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), unique=True)
    enabled: Mapped[bool] = mapped_column(default=False)
    language: Mapped[str] = mapped_column(String(8), default="en")
    delay_days: Mapped[int] = mapped_column(default=3)
    # None: no reminder. Counted from the first e-mail.
    reminder_days: Mapped[int | None]
    daily_limit: Mapped[int] = mapped_column(default=50)
    # One link a line, "Label | https://…" or a bare address.
    review_links: Mapped[str] = mapped_column(Text, default="")
    # Language → {"subject", "body", "reminder_subject", "reminder_body"}; missing parts use the
    # built-in texts.
    templates: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    track_opens: Mapped[bool] = mapped_column(default=False)
    # A review counts as following a request when it comes within this many days of it.
    match_days: Mapped[int] = mapped_column(default=30)
    # The webhook's signing secret, encrypted with core.crypto; None until one is made.
    webhook_secret: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ReviewCustomer(Base):
    """A customer of the brand, once per e-mail address (and once per order)."""

    __tablename__ = "review_customers"
    __table_args__ = (
        UniqueConstraint("brand_id", "email", name="uq_review_customers_brand_email"),
        UniqueConstraint("brand_id", "order_ref", name="uq_review_customers_brand_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200), default="")
    order_ref: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(16))
    ordered_at: Mapped[datetime]
    unsubscribed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReviewRequest(Base):
    """The one request a customer gets: its first e-mail, its reminder and what followed."""

    __tablename__ = "review_requests"
    __table_args__ = (Index("ix_review_requests_brand_due", "brand_id", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("review_customers.id", ondelete="CASCADE"), unique=True
    )
    # When the first e-mail falls due, then (once it went) when the reminder does; it is also
    # the claim's lease: until it comes no worker takes the request.
    next_attempt_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    language: Mapped[str | None] = mapped_column(String(8))
    sent_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    opened_at: Mapped[datetime | None]
    reviewed_at: Mapped[datetime | None]
    review_id: Mapped[int | None] = mapped_column(ForeignKey("reviews.id", ondelete="SET NULL"))
    # Finished: sent with no reminder due, reminded, unsubscribed or reviewed.
    done: Mapped[bool] = mapped_column(default=False)
    failures: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    customer: Mapped[ReviewCustomer] = relationship(lazy="joined")
