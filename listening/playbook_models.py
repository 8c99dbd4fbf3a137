"""Crisis playbooks: a brand's scenarios (committee, checklist, pre-approved first statements)
and the runs opened from them, each step timed, closed with a timeline for the post-mortem."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, utcnow

SEVERITIES = ("low", "medium", "high", "critical")
LANGUAGES = {"en": _l("English"), "lv": _l("Latvian"), "lt": _l("Lithuanian"), "pl": _l("Polish")}
# Where a statement goes: the brand's channels by platform, and "web" for the public updates
# page (and a crisis that started in the news or on a blog, where the brand has no channel).
# "social" is the fallback for any channel without a statement of its own.
STATEMENT_PLATFORMS = {
    "web": _l("Public updates page"),
    "social": _l("Any social channel"),
    "x": "X",
    "facebook": "Facebook",
    "instagram": "Instagram",
    "linkedin": "LinkedIn",
    "mastodon": "Mastodon",
    "bluesky": "Bluesky",
}
# Where a crisis started, in words: a channel's platform, or "web" for news, blogs and forums.
STARTED_ON = {
    **{p: label for p, label in STATEMENT_PLATFORMS.items() if p not in ("web", "social")},
    "web": _l("the web (news, blogs, forums)"),
}
NOTIFY_BY = ("email", "phone", "both")
# Severities and ways to notify are stored in English; people read them in their language.
SEVERITY_NAMES = {
    "low": _l("low"),
    "medium": _l("medium"),
    "high": _l("high"),
    "critical": _l("critical"),
}
NOTIFY_BY_NAMES = {"email": _l("e-mail"), "phone": _l("phone"), "both": _l("both")}


def severity_name(severity: str | None) -> str:
    return str(SEVERITY_NAMES.get(severity or "", severity or ""))


def notify_by_name(way: str | None) -> str:
    return str(NOTIFY_BY_NAMES.get(way or "", way or ""))


class CrisisScenario(Base):
    """A kind of crisis the brand prepares for, e.g. a product recall or a data breach."""

    __tablename__ = "crisis_scenarios"
    __table_args__ = (UniqueConstraint("brand_id", "name", name="uq_crisis_scenarios_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    severity: Mapped[str] = mapped_column(String(10), default="high")
    description: Mapped[str] = mapped_column(Text, default="")
    # The language of the first statement when the first mention's language has none.
    default_language: Mapped[str] = mapped_column(String(2), default="en")
    # [{name, role, email, phone, notify_by}], in the order they are called.
    committee: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    checklist: Mapped[list[str]] = mapped_column(JSON, default=list)  # the steps, in order
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    statements: Mapped[list[CrisisStatement]] = relationship(
        back_populates="scenario",
        cascade="all, delete-orphan",
        order_by="(CrisisStatement.platform, CrisisStatement.language)",
    )


class CrisisStatement(Base):
    """A first statement of a scenario for one platform in one language; only an approved one is
    used, and changing its text withdraws the approval."""

    __tablename__ = "crisis_statements"
    __table_args__ = (
        UniqueConstraint("scenario_id", "platform", "language", name="uq_crisis_statements_slot"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int] = mapped_column(
        ForeignKey("crisis_scenarios.id", ondelete="CASCADE"), index=True
    )
    platform: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(2))
    text: Mapped[str] = mapped_column(Text)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    scenario: Mapped[CrisisScenario] = relationship(back_populates="statements")

    @property
    def approved(self) -> bool:
        return self.approved_at is not None


class CrisisRun(Base):
    """A playbook opened for a crisis (or rehearsed): what it did, and when each moment came."""

    __tablename__ = "crisis_runs"
    __table_args__ = (Index("ix_crisis_runs_brand_opened", "brand_id", "opened_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    scenario_id: Mapped[int | None] = mapped_column(
        ForeignKey("crisis_scenarios.id", ondelete="SET NULL")
    )
    scenario_name: Mapped[str] = mapped_column(String(120))
    severity: Mapped[str] = mapped_column(String(10))
    alert_id: Mapped[int | None] = mapped_column(
        ForeignKey("crisis_alerts.id", ondelete="SET NULL")
    )
    rehearsal: Mapped[bool] = mapped_column(default=False)
    # The brand's id while a real run is open, else empty: one open crisis per brand, so a second
    # click (or a second admin) on "Open playbook" finds the first run instead of starting one.
    open_key: Mapped[int | None] = mapped_column(unique=True)
    platform: Mapped[str] = mapped_column(String(16))  # where the crisis started first
    language: Mapped[str] = mapped_column(String(2))
    statement: Mapped[str] = mapped_column(Text, default="")  # for the channel it started on
    page_statement: Mapped[str] = mapped_column(Text, default="")  # for the public updates page
    # The draft on the brand's channel (planner's post id); empty in a rehearsal or without one.
    draft_post_id: Mapped[int | None]
    draft_channel_id: Mapped[int | None]
    paused_publishing: Mapped[bool] = mapped_column(default=False)
    page_published: Mapped[bool] = mapped_column(default=False)
    # What happened beside the main path, in words: no channel, no approved statement, …
    notes: Mapped[list[str]] = mapped_column(JSON, default=list)
    notified: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    first_mention_at: Mapped[datetime | None]
    first_mention_id: Mapped[int | None]
    alert_at: Mapped[datetime | None]
    opened_at: Mapped[datetime]
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    first_statement_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolution: Mapped[str] = mapped_column(Text, default="")

    steps: Mapped[list[CrisisRunStep]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="CrisisRunStep.position"
    )


class CrisisRunStep(Base):
    """A checklist step of a run: who started it and finished it, and when."""

    __tablename__ = "crisis_run_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("crisis_runs.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    title: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime | None]
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    done_at: Mapped[datetime | None]
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    run: Mapped[CrisisRun] = relationship(back_populates="steps")
