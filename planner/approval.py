"""Approval: what editors submit waits in ``pending_approval`` until an approver approves it
(it becomes ``scheduled``) or rejects it (it goes back to ``draft`` with the reason)."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.models import AuditEntry, Role, User
from core.tenants import Brand, BrandMember
from planner import slots
from planner.models import Channel, Post, PostStatus
from planner.operations import (
    PlannerError,
    PostChange,
    check_media_before_scheduling,
    check_time,
    lock_post,
)
from planner.status_names import status_name


class ApprovalRefused(PlannerError):
    """The approver may not approve this post (their own, with two people required)."""


class NeedsNewTime(PlannerError):
    """The post's time has passed while it waited: the approver must choose a new one."""


def _check_approver(user: User) -> None:
    if not user.has_role(Role.APPROVER):
        raise ApprovalRefused(_("Only approvers approve or reject posts."))


def _check_pending(post: Post) -> None:
    if post.status != PostStatus.PENDING_APPROVAL:
        raise PlannerError(
            _("This post is %(status)s, not waiting for approval.", status=status_name(post.status))
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


def possible_approvers(session: Session, post: Post) -> list[User]:
    """The brand's active members who may approve this post (not its author with two people)."""
    brand = post.channel.brand
    members = session.scalars(
        select(User)
        .join(BrandMember, BrandMember.user_id == User.id)
        .where(BrandMember.brand_id == brand.id, User.active.is_(True))
        .order_by(User.email)
    )
    return [
        user
        for user in members
        if user.has_role(Role.APPROVER)
        and not (brand.requires_two_people and user.id == post.author_id)
    ]


def _names(users: list[User]) -> str:
    labels = [user.email for user in users]
    if len(labels) <= 1:
        return "".join(labels)
    return _("%(names)s or %(last)s", names=", ".join(labels[:-1]), last=labels[-1])


def schedule_message(session: Session, post: Post, actor: User | None) -> str:
    """One sentence that says when the post goes out, and why it did or did not wait."""
    brand = post.channel.brand
    when = (
        slots.describe_local_time(post.scheduled_at, brand.zone)
        if post.scheduled_at is not None
        else _("no time yet")
    )
    if post.status == PostStatus.PENDING_APPROVAL:
        approvers = possible_approvers(session, post)
        if approvers:
            return _(
                "Waiting for approval by %(names)s; it goes out at %(when)s once approved.",
                names=_names(approvers),
                when=when,
            )
        return _(
            "Waiting for approval for %(when)s, but no other member of %(brand)s can approve "
            "it: add an approver under Settings → Members, or an admin approves it with a "
            "stated reason on the Approvals page.",
            when=when,
            brand=brand.name,
        )
    if post.status == PostStatus.SCHEDULED:
        approver = session.get(User, post.approved_by_id) if post.approved_by_id else None
        if approver is not None:
            return _(
                "Scheduled for %(when)s, approved by %(email)s.", when=when, email=approver.email
            )
        if brand.requires_approval and actor is not None and actor.has_role(Role.APPROVER):
            if actor.has_role(Role.ADMIN):
                return _("Scheduled for %(when)s without approval: you are an admin.", when=when)
            return _("Scheduled for %(when)s without approval: you are an approver.", when=when)
        return _("Scheduled for %(when)s.", when=when)
    return _("Saved as %(status)s for %(when)s.", status=status_name(post.status), when=when)


def approval_note(session: Session, post: Post, actor: User | None) -> str | None:
    """Why the post waits for approval or did not have to, as a sentence to add to what a page
    already says about its time; None when approval played no part."""
    brand = post.channel.brand
    if post.status == PostStatus.PENDING_APPROVAL:
        approvers = possible_approvers(session, post)
        if approvers:
            return _("It waits for approval by %(names)s.", names=_names(approvers))
        return _(
            "It waits for approval, but no other member of %(brand)s can approve it: add "
            "an approver under Settings → Members, or an admin approves it with a stated "
            "reason on the Approvals page.",
            brand=brand.name,
        )
    if (
        post.status == PostStatus.SCHEDULED
        and post.approved_by_id is None
        and brand.requires_approval
        and actor is not None
        and actor.has_role(Role.APPROVER)
    ):
        if actor.has_role(Role.ADMIN):
            return _("It is scheduled without approval: you are an admin.")
        return _("It is scheduled without approval: you are an approver.")
    return None


def may_override(post: Post, user: User) -> bool:
    """Whether an admin may approve their own post under the two-person rule, with a reason."""
    return (
        user.has_role(Role.ADMIN)
        and post.status == PostStatus.PENDING_APPROVAL
        and post.channel.brand.requires_two_people
        and post.author_id == user.id
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
    override_reason: str | None = None,
) -> PostChange:
    """Approve a waiting post, at its own time or at a new one the approver gives.

    Under the two-person rule nobody approves their own post, except an admin who states why
    (``override_reason``): a team with a single approver can still publish, and the audit log
    shows each such approval with its reason.
    """
    _check_approver(approver)
    lock_post(session, post)  # two approvers at once: the second finds it approved
    _check_pending(post)
    brand = post.channel.brand
    override = (override_reason or "").strip()
    if brand.requires_two_people and post.author_id == approver.id:
        others = possible_approvers(session, post)
        if others:
            refusal = _(
                "%(brand)s needs two people: another approver must approve your own post "
                "(%(names)s can).",
                brand=brand.name,
                names=_names(others),
            )
        else:
            refusal = _(
                "%(brand)s needs two people: another approver must approve your own post "
                "(no other member can yet).",
                brand=brand.name,
            )
        if not approver.has_role(Role.ADMIN):
            raise ApprovalRefused(refusal)
        if not override:
            raise ApprovalRefused(
                refusal + " " + _("As an admin you may approve it yourself by stating why.")
            )
    else:
        override = ""
    warnings: list[str] = []
    before = post.scheduled_at
    if scheduled_at is not None:
        if scheduled_at.tzinfo is None:
            raise PlannerError(_("The time needs a time zone (for example 2026-05-01T09:00:00Z)."))
        if scheduled_at <= now:
            raise NeedsNewTime(_("The new time is in the past; choose a new time in the future."))
        result = check_time(session, post.channel, scheduled_at, exclude_post_id=post.id)
        if not result.ok:
            raise PlannerError(*result.errors)
        warnings = list(result.warnings)
        post.scheduled_at = scheduled_at
    elif post.scheduled_at is None or post.scheduled_at <= now:
        raise NeedsNewTime(
            _("The post's time has passed while it waited for approval; choose a new time.")
        )
    post.status = PostStatus.SCHEDULED.value
    check_media_before_scheduling(session, post)
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
        **({"own_post_override": override[:2000]} if override else {}),
    )
    session.flush()
    return PostChange(post, warnings)


def reject_post(session: Session, post: Post, approver: User, reason: str) -> Post:
    """Send a waiting post back to its author as a draft, saying why."""
    _check_approver(approver)
    _check_pending(post)
    reason = (reason or "").strip()
    if not reason:
        raise PlannerError(_("Say why the post is rejected, so its author can fix it."))
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
