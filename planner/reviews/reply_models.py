"""Replies to reviews, flags for removal, the brand's voice guide and review-site connections."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow


class VoiceGuide(Base):
    """How a brand speaks: shown beside every editor and checked as people type.

    List fields hold one entry a line. The do-not list itself stays in the review settings
    (``ReviewSettings.do_not_phrases``), where the planner's refusal reads it.
    """

    __tablename__ = "voice_guides"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), unique=True)
    audience: Mapped[str] = mapped_column(Text, default="")
    tone: Mapped[str] = mapped_column(Text, default="")
    words_to_use: Mapped[str] = mapped_column(Text, default="")
    words_to_avoid: Mapped[str] = mapped_column(Text, default="")
    approvals: Mapped[str] = mapped_column(Text, default="")
    image_rules: Mapped[str] = mapped_column(Text, default="")
    approved_domains: Mapped[str] = mapped_column(Text, default="")
    disclosure_tags: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SavedReviewReply(Base):
    """A reply to start from, with placeholders such as {reviewer_name}."""

    __tablename__ = "review_saved_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReplyStatus(StrEnum):
    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    SENT = "sent"  # posted through the platform's API
    MANUAL = "manual"  # copied and posted by a person, marked replied by hand


# The stored status in the reader's words.
REPLY_STATUS_NAMES = {
    ReplyStatus.DRAFT.value: _l("draft"),
    ReplyStatus.PENDING_APPROVAL.value: _l("pending approval"),
    ReplyStatus.APPROVED.value: _l("approved"),
    ReplyStatus.SENT.value: _l("sent"),
    ReplyStatus.MANUAL.value: _l("manual"),
}


class ReviewReply(Base):
    """The brand's reply to one review, from draft to posted."""

    __tablename__ = "review_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(
        ForeignKey("reviews.id", ondelete="CASCADE"), unique=True
    )
    text: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=ReplyStatus.DRAFT.value)
    saved_reply_id: Mapped[int | None] = mapped_column(
        ForeignKey("review_saved_replies.id", ondelete="SET NULL")
    )
    # The voice guide's warnings when it was submitted, for the approver to see.
    warnings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime | None]
    # The last refusal from the platform; the reply stays unsent.
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class FlagReason(StrEnum):
    SPAM = "spam"
    CONFLICT_OF_INTEREST = "conflict_of_interest"
    OFF_TOPIC = "off_topic"
    HATE = "hate"
    PERSONAL_INFORMATION = "personal_information"
    NOT_A_CUSTOMER = "not_a_customer"


FLAG_REASON_LABELS = {
    FlagReason.SPAM: _l("Spam or fake"),
    FlagReason.CONFLICT_OF_INTEREST: _l("Conflict of interest (a competitor, an employee)"),
    FlagReason.OFF_TOPIC: _l("Off-topic (not about an experience with the business)"),
    FlagReason.HATE: _l("Hate speech, harassment or threats"),
    FlagReason.PERSONAL_INFORMATION: _l("Personal information of someone"),
    FlagReason.NOT_A_CUSTOMER: _l("Not based on a genuine experience"),
}


class FlagState(StrEnum):
    FLAGGED = "flagged"  # noted in PageOne, not yet reported
    REPORTED = "reported"  # reported through the platform's form
    REMOVED = "removed"  # the platform removed it
    KEPT = "kept"  # the platform kept it


OPEN_FLAG_STATES = (FlagState.FLAGGED.value, FlagState.REPORTED.value)
FLAG_STATE_NAMES = {
    FlagState.FLAGGED.value: _l("flagged"),
    FlagState.REPORTED.value: _l("reported"),
    FlagState.REMOVED.value: _l("removed"),
    FlagState.KEPT.value: _l("kept"),
}


class ReviewFlag(Base):
    """A review that may break its platform's guidelines; the review itself stays visible."""

    __tablename__ = "review_flags"
    __table_args__ = (Index("ix_review_flags_review_state", "review_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(12), default=FlagState.FLAGGED.value)
    report_url: Mapped[str | None] = mapped_column(String(2048))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reported_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]


class ReviewConnection(Base):
    """A brand's account on a review site that PageOne posts replies through."""

    __tablename__ = "review_connections"
    __table_args__ = (UniqueConstraint("brand_id", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(40))  # google, trustpilot
    account: Mapped[str | None] = mapped_column(String(200))
    # Encrypted JSON (core.crypto): tokens, keys, passwords. Never shown back.
    credentials_encrypted: Mapped[str] = mapped_column(Text)
    access_expires_at: Mapped[datetime | None]
    connected_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
