"""Approval: what editors submit waits in ``pending_approval`` until an approver approves it
(it becomes ``scheduled``) or rejects it (it goes back to ``draft`` with the reason)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.models import AuditEntry, Role, User
from planner.models import Brand, Channel, Post, PostStatus
from planner.operations import PlannerError, PostChange, check_time, lock_post


class ApprovalRefused(PlannerError):
    """The approver may not approve this post (their own, with two people required)."""


class NeedsNewTime(PlannerError):
    """The post's time has passed while it waited: the approver must choose a new one."""


def _check_approver(user: User) -> None:
    if not user.has_role(Role.APPROVER):
        raise ApprovalRefused("Only approvers approve or reject posts.")


def _check_pending(post: Post) -> None:
    if post.status != PostStatus.PENDING_APPROVAL:
        raise PlannerError(
            f"This post is {post.status.replace('_', ' ')}, not waiting for approval."
        )


def waiting_posts(session: Session, brand: Brand) -> list[Post]:
    """The brand's posts waiting for approval, the soonest first."""
    return list(
        session.scalars(
            select(Post)
            .join(Channel, Channel.id == Post.channel_id)
            .where(Channel.brand_id == brand.id, Post.status == PostStatus.PENDING_APPROVAL.value)
            .order_by(Post.scheduled_at, Post.id)
        )
    )


def may_approve(post: Post, user: User) -> bool:
    """Whether the user may approve this post (for showing the button; the server checks)."""
    if not user.has_role(Role.APPROVER) or post.status != PostStatus.PENDING_APPROVAL:
        return False
    return not (post.channel.brand.requires_two_people and post.author_id == user.id)


def approve_post(
    session: Session,
    post: Post,
    approver: User,
    *,
    now: datetime,
    scheduled_at: datetime | None = None,
) -> PostChange:
    """Approve a waiting post, at its own time or at a new one the approver gives."""
    _check_approver(approver)
    lock_post(session, post)  # two approvers at once: the second finds it approved
    _check_pending(post)
    brand = post.channel.brand
    if brand.requires_two_people and post.author_id == approver.id:
        raise ApprovalRefused(
            f"{brand.name} needs two people: another approver must approve your own post."
        )
    warnings: list[str] = []
    before = post.scheduled_at
    if scheduled_at is not None:
        if scheduled_at.tzinfo is None:
            raise PlannerError("The time needs a time zone (for example 2026-05-01T09:00:00Z).")
        if scheduled_at <= now:
            raise NeedsNewTime("The new time is in the past; choose a new time in the future.")
        result = check_time(session, post.channel, scheduled_at, exclude_post_id=post.id)
        if not result.ok:
            raise PlannerError(*result.errors)
        warnings = list(result.warnings)
        post.scheduled_at = scheduled_at
    elif post.scheduled_at is None or post.scheduled_at <= now:
        raise NeedsNewTime(
            "The post's time has passed while it waited for approval; choose a new time."
        )
    post.status = PostStatus.SCHEDULED.value
    post.approved_by_id = approver.id
    post.next_attempt_at = None
    audit.record(
        session,
        approver,
        "post.approved",
        "post",
        post.id,
        brand_id=brand.id,
        scheduled_at=post.scheduled_at.isoformat() if post.scheduled_at else None,
        moved_from=before.isoformat() if before and before != post.scheduled_at else None,
    )
    session.flush()
    return PostChange(post, warnings)


def reject_post(session: Session, post: Post, approver: User, reason: str) -> Post:
    """Send a waiting post back to its author as a draft, saying why."""
    _check_approver(approver)
    _check_pending(post)
    reason = (reason or "").strip()
    if not reason:
        raise PlannerError("Say why the post is rejected, so its author can fix it.")
    post.status = PostStatus.DRAFT.value
    post.approved_by_id = None
    audit.record(
        session,
        approver,
        "post.rejected",
        "post",
        post.id,
        brand_id=post.channel.brand_id,
        reason=reason[:2000],
    )
    session.flush()
    return post


def last_rejection(session: Session, post: Post) -> AuditEntry | None:
    """The rejection a draft came back with, if that is the last thing that happened to it."""
    if post.status != PostStatus.DRAFT:
        return None
    entry = session.scalar(
        select(AuditEntry)
        .where(AuditEntry.object_type == "post", AuditEntry.object_id == post.id)
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )
    return entry if entry is not None and entry.action == "post.rejected" else None
