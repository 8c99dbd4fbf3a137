"""Listening: where mentions come from, the mentions themselves, replies, and crisis alerts."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, utcnow


class SourceKind(StrEnum):
    GOOGLE_ALERTS = "google_alerts"
    RSS = "rss"
    MASTODON_TAG = "mastodon_tag"
    MASTODON_SEARCH = "mastodon_search"
    BLUESKY_SEARCH = "bluesky_search"
    CSV = "csv"

    @property
    def label(self) -> str:
        return str(SOURCE_LABELS[self])


SOURCE_LABELS = {
    SourceKind.GOOGLE_ALERTS: _l("Google Alerts feed"),
    SourceKind.RSS: _l("RSS or Atom feed"),
    SourceKind.MASTODON_TAG: _l("Mastodon hashtag"),
    SourceKind.MASTODON_SEARCH: _l("Mastodon search"),
    SourceKind.BLUESKY_SEARCH: _l("Bluesky search"),
    SourceKind.CSV: _l("CSV upload"),
}


class MentionState(StrEnum):
    NEW = "new"
    NEEDS_REPLY = "needs_reply"
    REPLIED = "replied"
    NO_ACTION = "no_action"


OPEN_STATES = (MentionState.NEW.value, MentionState.NEEDS_REPLY.value)

# States and sentiments are stored in English ("needs_reply"); people read them in their language.
STATE_NAMES = {
    MentionState.NEW.value: _l("new"),
    MentionState.NEEDS_REPLY.value: _l("needs reply"),
    MentionState.REPLIED.value: _l("replied"),
    MentionState.NO_ACTION.value: _l("no action"),
}
SENTIMENT_NAMES = {
    "positive": _l("positive"),
    "neutral": _l("neutral"),
    "negative": _l("negative"),
}


def state_name(state: str | None) -> str:
    return str(STATE_NAMES.get(state or "", (state or "").replace("_", " ")))


def sentiment_name(sentiment: str | None) -> str:
    return str(SENTIMENT_NAMES.get(sentiment or "", sentiment or ""))


class ListeningSettings(Base):
    """A brand's listening settings: keywords, response-time targets, spike sensitivity."""

    __tablename__ = "listening_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), unique=True)
    tracked_keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    positive_keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    negative_keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    target_negative_minutes: Mapped[int] = mapped_column(default=60)
    target_question_minutes: Mapped[int] = mapped_column(default=240)
    target_other_minutes: Mapped[int] = mapped_column(default=1440)
    spike_k: Mapped[float] = mapped_column(default=3.0)
    spike_min_count: Mapped[int] = mapped_column(default=10)
    spike_cooldown_minutes: Mapped[int] = mapped_column(default=180)


class MentionSource(Base):
    """A feed, platform search or upload; polled on its own interval."""

    __tablename__ = "mention_sources"
    __table_args__ = (Index("ix_mention_sources_due", "active", "next_poll_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    name: Mapped[str] = mapped_column(String(120))
    # Feed URL; Mastodon instance; Bluesky AppView (empty: the configured public one).
    url: Mapped[str | None] = mapped_column(String(2048))
    query: Mapped[str | None] = mapped_column(String(500))  # hashtag or search terms
    interval_minutes: Mapped[int] = mapped_column(default=15)
    active: Mapped[bool] = mapped_column(default=True)
    next_poll_at: Mapped[datetime | None]
    last_polled_at: Mapped[datetime | None]
    last_ok_at: Mapped[datetime | None]
    failing: Mapped[bool] = mapped_column(default=False)
    last_error: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def kind_enum(self) -> SourceKind:
        return SourceKind(self.kind)


class Mention(Base):
    __tablename__ = "mentions"
    __table_args__ = (
        UniqueConstraint("source_id", "external_id", name="uq_mentions_source_external"),
        Index("ix_mentions_brand_url", "brand_id", "url_key"),
        Index("ix_mentions_brand_published", "brand_id", "published_at"),
        Index("ix_mentions_open_due", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    source_id: Mapped[int] = mapped_column(ForeignKey("mention_sources.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(512))
    url: Mapped[str | None] = mapped_column(String(2048))
    url_key: Mapped[str | None] = mapped_column(String(40))  # sha1 of the normalised URL
    author: Mapped[str] = mapped_column(String(255), default="")
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")  # plain text, never HTML
    language: Mapped[str | None] = mapped_column(String(8))
    published_at: Mapped[datetime]
    date_estimated: Mapped[bool] = mapped_column(default=False)  # no usable date: fetch time
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    sentiment: Mapped[float | None]  # VADER compound (English only)
    sentiment_label: Mapped[str] = mapped_column(String(10), default="neutral")
    key_terms: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_question: Mapped[bool] = mapped_column(default=False)
    # Where a reply goes: "mastodon" with the status id, "bluesky" with "uri|cid".
    platform: Mapped[str | None] = mapped_column(String(16))
    platform_ref: Mapped[str | None] = mapped_column(String(600))
    platform_base: Mapped[str | None] = mapped_column(String(2048))  # the Mastodon instance
    state: Mapped[str] = mapped_column(String(16), default=MentionState.NEW.value)
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    target_minutes: Mapped[int] = mapped_column(default=1440)
    due_at: Mapped[datetime]
    first_reply_at: Mapped[datetime | None]
    overdue_alerted_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    source: Mapped[MentionSource] = relationship()
    replies: Mapped[list[MentionReply]] = relationship(
        back_populates="mention", cascade="all, delete-orphan", order_by="MentionReply.id"
    )

    @property
    def response_minutes(self) -> float | None:
        if self.first_reply_at is None:
            return None
        return (self.first_reply_at - self.published_at).total_seconds() / 60


class SavedReply(Base):
    """A starting point for a reply; sending one unchanged is warned about."""

    __tablename__ = "saved_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(Text)


class MentionReply(Base):
    __tablename__ = "mention_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    mention_id: Mapped[int] = mapped_column(
        ForeignKey("mentions.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text, default="")
    via: Mapped[str] = mapped_column(String(16))  # mastodon, bluesky, manual
    platform_id: Mapped[str | None] = mapped_column(String(600))
    url: Mapped[str | None] = mapped_column(String(2048))
    saved_reply_id: Mapped[int | None] = mapped_column(
        ForeignKey("saved_replies.id", ondelete="SET NULL")
    )
    unchanged_from_saved: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    mention: Mapped[Mention] = relationship(back_populates="replies")


OVERALL = "*"  # the term of the brand's overall volume


class CrisisAlert(Base):
    """A volume spike: the last hour's count above the 7-day baseline.

    One alert per spike: every term over its threshold in the same check is listed in ``terms``
    (term, count, baseline, threshold each); ``term`` and the figures beside it are the lead
    term's (overall volume when it spiked, else the largest count).
    """

    __tablename__ = "crisis_alerts"
    __table_args__ = (
        # Two workers checking at the same moment write one alert, not two.
        UniqueConstraint("brand_id", "term", "bucket", name="uq_crisis_alerts_bucket"),
        Index("ix_crisis_alerts_brand_term_at", "brand_id", "term", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    term: Mapped[str] = mapped_column(String(120))
    bucket: Mapped[str] = mapped_column(String(40))  # the cooldown period it fell in
    count: Mapped[int]
    baseline_mean: Mapped[float]
    baseline_sigma: Mapped[float]
    threshold: Mapped[float]  # the smallest count that alerts: the baseline's bound or the minimum
    terms: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, server_default="[]")
    sample_mention_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    notified: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CrisisPage(Base):
    """The brand's public crisis page at /b/<slug>/updates: a statement, dated updates, a FAQ."""

    __tablename__ = "crisis_pages"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), unique=True)
    alert_id: Mapped[int | None] = mapped_column(
        ForeignKey("crisis_alerts.id", ondelete="SET NULL")
    )
    title: Mapped[str] = mapped_column(String(200), default="")
    statement: Mapped[str] = mapped_column(Text, default="")
    faq: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    published: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    updates: Mapped[list[CrisisUpdate]] = relationship(
        back_populates="page", cascade="all, delete-orphan", order_by="CrisisUpdate.id.desc()"
    )


class CrisisUpdate(Base):
    __tablename__ = "crisis_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("crisis_pages.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    page: Mapped[CrisisPage] = relationship(back_populates="updates")


class ThemeAlert(Base):
    """A complaint theme whose weekly count doubled: sent once per brand, theme and week."""

    __tablename__ = "listening_theme_alerts"
    __table_args__ = (
        UniqueConstraint("brand_id", "theme", "week", name="uq_listening_theme_alerts_week"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    theme: Mapped[str] = mapped_column(String(24))
    week: Mapped[date]  # the Monday the week starts on
    count: Mapped[int]
    previous: Mapped[int]  # the week before's count
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    notified: Mapped[dict[str, Any] | None] = mapped_column(JSON)


# The playbook tables are listening's too: whoever loads these models loads them.
from listening import playbook_models  # noqa: E402, F401
