"""What autocomplete tracking stores: the terms looked up, each look-up, every suggestion of it,
the labels people gave, a brand's own words, and the negative suggestions already alerted on."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, utcnow

ENGINES = ("google", "bing")
SUGGESTION_LABELS = ("negative", "neutral", "positive")


class SuggestTerm(Base):
    """One term looked up on one engine in one language and country: the unit fetched weekly."""

    __tablename__ = "serp_suggest_terms"
    __table_args__ = (
        UniqueConstraint("brand_id", "text", "engine", "language", "country"),
        Index("ix_serp_suggest_terms_due", "next_fetch_at", "active"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(500))
    engine: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(16))
    country: Mapped[str] = mapped_column(String(8))
    # A term no longer seeded (its query went, the brand was renamed) stops being fetched; its
    # history stays.
    active: Mapped[bool] = mapped_column(default=True)
    next_fetch_at: Mapped[datetime | None]
    last_fetched_at: Mapped[datetime | None]
    failures: Mapped[int] = mapped_column(default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SuggestFetch(Base):
    """One look-up of a term's suggestions, failed and blocked ones included."""

    __tablename__ = "serp_suggest_fetches"
    __table_args__ = (Index("ix_serp_suggest_fetches_term_fetched", "term_id", "fetched_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("serp_suggest_terms.id", ondelete="CASCADE"))
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(8))  # ok | blocked | error
    source: Mapped[str] = mapped_column(String(16))  # google | bing | serpapi
    reason: Mapped[str | None] = mapped_column(Text)

    term: Mapped[SuggestTerm] = relationship()
    suggestions: Mapped[list[Suggestion]] = relationship(
        back_populates="fetch",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Suggestion.rank",
    )


class Suggestion(Base):
    """One suggestion of a look-up, at its rank, with the label it had when it was stored."""

    __tablename__ = "serp_suggestions"
    __table_args__ = (Index("ix_serp_suggestions_key", "key", "fetch_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fetch_id: Mapped[int] = mapped_column(
        ForeignKey("serp_suggest_fetches.id", ondelete="CASCADE"), index=True
    )
    rank: Mapped[int]
    text: Mapped[str] = mapped_column(String(500))
    # The text folded (case, diacritics, spaces): one suggestion across look-ups and spellings.
    key: Mapped[str] = mapped_column(String(500))
    label: Mapped[str | None] = mapped_column(String(10))
    # What made it negative: a modifier ("scam", "krāp*"), a brand word, a rule, or a person.
    reason: Mapped[str | None] = mapped_column(String(200))

    fetch: Mapped[SuggestFetch] = relationship(back_populates="suggestions")


class SuggestionMark(Base):
    """A label a person gave a suggestion of the brand; it wins over the automatic one."""

    __tablename__ = "serp_suggestion_marks"
    __table_args__ = (UniqueConstraint("brand_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(500))
    label: Mapped[str] = mapped_column(String(10))
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    marked_at: Mapped[datetime] = mapped_column(default=utcnow)


class SuggestSettings(Base):
    """A brand's own autocomplete words: more terms to look up and more negative words."""

    __tablename__ = "serp_suggest_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), unique=True)
    extra_terms: Mapped[list[str]] = mapped_column(JSON, default=list)
    negative_words: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class NegativeSuggestionSeen(Base):
    """A negative suggestion's first appearance for a brand: written once, so it alerts once."""

    __tablename__ = "serp_suggest_negatives_seen"
    __table_args__ = (UniqueConstraint("brand_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(500))
    text: Mapped[str] = mapped_column(String(500))
    term: Mapped[str] = mapped_column(String(500))
    engine: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(16))
    country: Mapped[str] = mapped_column(String(8))
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    # None until the alert went out (mail or webhook); the worker sends the unsent ones.
    alerted_at: Mapped[datetime | None]
