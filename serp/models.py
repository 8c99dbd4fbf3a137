"""Tracked queries, the checks of their result pages, every result row, labelling rules, and a
brand's measurement settings and weekly reports sent."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, utcnow


class Engine(StrEnum):
    GOOGLE = "google"
    BING = "bing"
    DUCKDUCKGO = "duckduckgo"
    BRAVE = "brave"


class Device(StrEnum):
    DESKTOP = "desktop"
    MOBILE = "mobile"


class Schedule(StrEnum):
    WEEKLY = "weekly"
    DAILY = "daily"
    MANUAL = "manual"


class CheckStatus(StrEnum):
    OK = "ok"
    BLOCKED = "blocked"  # a CAPTCHA, consent or "unusual traffic" page: says nothing of positions
    ERROR = "error"


class Label(StrEnum):
    NEGATIVE = "negative"
    POSITIVE = "positive"
    OWNED = "owned"
    NEUTRAL = "neutral"


class MatchType(StrEnum):
    EXACT = "exact"
    PREFIX = "prefix"
    DOMAIN = "domain"


DEPTHS = (10, 20, 50, 100)


class TrackedQuery(Base):
    """A search a brand watches: what is searched where, how deep, and when."""

    __tablename__ = "serp_queries"
    __table_args__ = (Index("ix_serp_queries_due", "next_check_at", "deleted_at", "paused"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(500))
    engine: Mapped[str] = mapped_column(String(16), default=Engine.GOOGLE.value)
    language: Mapped[str] = mapped_column(String(16), default="en")
    country: Mapped[str] = mapped_column(String(8), default="us")
    device: Mapped[str] = mapped_column(String(8), default=Device.DESKTOP.value)
    depth: Mapped[int] = mapped_column(default=10)
    schedule: Mapped[str] = mapped_column(String(8), default=Schedule.WEEKLY.value)
    weekday: Mapped[int] = mapped_column(default=0)  # 0 = Monday, for weekly checks
    hour: Mapped[int] = mapped_column(default=6)  # local hour in the brand's time zone
    provider: Mapped[str] = mapped_column(String(20), default="html")
    # Provider keys and options, encrypted with core.crypto; never logged or shown back.
    provider_settings_encrypted: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    importance: Mapped[float] = mapped_column(default=1.0)
    paused: Mapped[bool] = mapped_column(default=False)
    deleted_at: Mapped[datetime | None]
    next_check_at: Mapped[datetime | None]
    # Consecutive failed checks since the last good one: drives the retry backoff.
    failures: Mapped[int] = mapped_column(default=0)
    last_checked_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    checks: Mapped[list[SerpCheck]] = relationship(
        back_populates="query", cascade="all, delete-orphan", passive_deletes=True
    )


class SerpCheck(Base):
    """One look at a query's result page(s), blocked and failed looks included."""

    __tablename__ = "serp_checks"
    __table_args__ = (Index("ix_serp_checks_query_checked", "query_id", "checked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    query_id: Mapped[int] = mapped_column(ForeignKey("serp_queries.id", ondelete="CASCADE"))
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(8))
    engine: Mapped[str] = mapped_column(String(16))
    provider: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    result_count: Mapped[int] = mapped_column(default=0)
    # zlib-compressed JSON list of the pages as received ({"format": "html"|"json"|"csv",
    # "body": ...}), so they can be parsed again; dropped after raw_expires_at.
    raw_pages: Mapped[bytes | None] = mapped_column(LargeBinary)
    raw_expires_at: Mapped[datetime | None]
    # When its page-one summary (serp.summaries) was last written; None while it has none.
    # Kept here so that what the displacement figures were computed from can be stamped
    # from this table alone.
    summarized_at: Mapped[datetime | None]

    query: Mapped[TrackedQuery] = relationship(back_populates="checks")
    results: Mapped[list[SerpResultRow]] = relationship(
        back_populates="check",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="SerpResultRow.position",
    )


class SerpResultRow(Base):
    """One organic result of a check, whoever it belongs to."""

    __tablename__ = "serp_results"
    __table_args__ = (
        Index("ix_serp_results_check_position", "check_id", "position"),
        # Covers the dashboard's read of where negatives and owned assets stand: positions come
        # from the index alone, without visiting a million heap rows.
        Index("ix_serp_results_url_check_position", "normalized_url", "check_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("serp_checks.id", ondelete="CASCADE"))
    position: Mapped[int]
    url: Mapped[str] = mapped_column(Text)
    normalized_url: Mapped[str] = mapped_column(String(2048))
    domain: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(Text, default="")
    snippet: Mapped[str] = mapped_column(Text, default="")

    check: Mapped[SerpCheck] = relationship(back_populates="results")

    def to_dict(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "url": self.url,
            "normalized_url": self.normalized_url,
            "domain": self.domain,
            "title": self.title,
            "snippet": self.snippet,
        }


class LabelRule(Base):
    """Labels results of a brand: one URL (exact), everything under a prefix, or a domain."""

    __tablename__ = "serp_label_rules"
    __table_args__ = (UniqueConstraint("brand_id", "match_type", "pattern"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    match_type: Mapped[str] = mapped_column(String(8))
    # Stored normalised (see serp.urls), so matching is a plain comparison.
    pattern: Mapped[str] = mapped_column(String(2048))
    label: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class BrandSerpSettings(Base):
    """Measurement settings of a brand; a brand without a row uses the defaults."""

    __tablename__ = "serp_brand_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), unique=True)
    # Ten click-through weights for positions 1-10; None: the default (Backlinko 2019).
    ctr_curve: Mapped[list[float] | None] = mapped_column(JSON)
    # How much a negative in each kind of page-one block counts (serp.features); None: defaults.
    block_weights: Mapped[dict[str, float] | None] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WeeklyReportSent(Base):
    """A weekly report mailed for a brand and week: claimed before sending, once per week."""

    __tablename__ = "serp_weekly_reports"
    __table_args__ = (UniqueConstraint("brand_id", "week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    week: Mapped[str] = mapped_column(String(10))  # Monday of the week, ISO date
    recipients: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
