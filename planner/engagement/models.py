"""The scheduled metric reads of published posts (each a snapshot once read), and people's
answers to a channel's learned-windows proposal."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from core.db import Base, utcnow
from planner.models import Channel, Post


class ReadKind(StrEnum):
    """When a read is due, counted from the post's publication."""

    HOUR = "1h"
    DAY = "24h"
    WEEK = "7d"

    @property
    def after(self) -> timedelta:
        return READ_DELAYS[self]

    @property
    def label(self) -> str:
        return {"1h": "after 1 hour", "24h": "after 24 hours", "7d": "after 7 days"}[self.value]


READ_DELAYS = {
    ReadKind.HOUR: timedelta(hours=1),
    ReadKind.DAY: timedelta(hours=24),
    ReadKind.WEEK: timedelta(days=7),
}


class ReadStatus(StrEnum):
    DUE = "due"  # waiting for its time, or for its next try after a failure
    DONE = "done"  # the snapshot is stored
    SKIPPED = "skipped"  # never read: the reason says why (no metrics, reconnect needed, …)


class MetricRead(Base):
    """One read of a post's metrics: due at publication + 1 h, 24 h or 7 d, claimed by one worker
    through ``core.claims``, then holding what the platform reported at ``fetched_at``."""

    __tablename__ = "post_metric_reads"
    __table_args__ = (
        UniqueConstraint("post_id", "kind", name="uq_post_metric_reads_post_kind"),
        Index("ix_post_metric_reads_status_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(4))
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(8), default=ReadStatus.DUE.value)
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    # Why the last try failed, or why the read was skipped.
    reason: Mapped[str | None] = mapped_column(Text)
    fetched_at: Mapped[datetime | None]
    likes: Mapped[int | None]
    comments: Mapped[int | None]
    shares: Mapped[int | None]
    impressions: Mapped[int | None]  # None: the platform's API does not give them

    post: Mapped[Post] = relationship(
        backref=backref("metric_reads", cascade="all, delete-orphan", passive_deletes=True)
    )

    @property
    def interactions(self) -> int | None:
        """Likes, comments and shares together (None before the read)."""
        if self.status != ReadStatus.DONE.value:
            return None
        return (self.likes or 0) + (self.comments or 0) + (self.shares or 0)


class ProposalAnswer(Base):
    """What a person did with a channel's learned-windows proposal, and on how many posts it
    rested then: an ignored proposal comes back once the history has grown."""

    __tablename__ = "learned_window_answers"

    channel_id: Mapped[int] = mapped_column(
        ForeignKey("channels.id", ondelete="CASCADE"), primary_key=True
    )
    answer: Mapped[str] = mapped_column(String(12))  # "accepted" or "ignored"
    posts: Mapped[int]
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)

    channel: Mapped[Channel] = relationship(
        backref=backref("learned_answer", uselist=False, cascade="all, delete-orphan")
    )
