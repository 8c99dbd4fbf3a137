"""The crisis switch: pause a brand's publishing, and resume it deciding what happens to the posts
that came due meanwhile (the worker holds them while the brand is paused)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.db import utcnow
from core.models import Role, User
from core.tenants import Brand
from planner.models import Channel, Post, PostStatus
from planner.operations import PlannerError, lock_channels, next_free_slot

HeldChoice = Literal["now", "requeue"]
HELD_CHOICES = ("now", "requeue")


def _check_admin(actor: User | str | None) -> None:
    # A person needs the admin role; the system (listening's crisis alert) may always pause.
    if isinstance(actor, User) and not actor.has_role(Role.ADMIN):
        raise PlannerError(_("Only admins pause or resume a brand's publishing."))


def held_posts(session: Session, brand: Brand) -> list[Post]:
    """The brand's posts the worker held while it was paused, in the order they were due."""
    return list(
        session.scalars(
            select(Post)
            .join(Channel, Channel.id == Post.channel_id)
            .where(Channel.brand_id == brand.id, Post.status == PostStatus.HELD.value)
            .order_by(Post.scheduled_at, Post.id)
            # The worker holds posts with Core updates: refresh any stale copies in the session.
            .execution_options(populate_existing=True)
        )
    )


def pause_brand(session: Session, brand: Brand, actor: User | str | None, reason: str) -> Brand:
    """Stop publishing for the brand; due posts are held until it is resumed.

    Pausing a paused brand keeps the first pause time and records the new reason.
    """
    _check_admin(actor)
    reason = (reason or "").strip()
    if not reason:
        raise PlannerError(_("Say why publishing is paused: the team sees the reason."))
    already = brand.paused_at is not None
    if not already:
        brand.paused_at = utcnow()
    brand.pause_reason = reason[:2000]
    audit.record(
        session,
        actor,
        "brand.paused",
        "brand",
        brand.id,
        brand_id=brand.id,
        reason=brand.pause_reason,
        already_paused=already,
    )
    session.flush()
    return brand


def resume_brand(
    session: Session,
    brand: Brand,
    actor: User | str | None,
    held: HeldChoice,
    *,
    now: datetime | None = None,
) -> list[Post]:
    """Resume publishing; held posts go out now ("now") or move to the next free slots
    ("requeue", one post after the other in the order they were due). Returns those posts."""
    _check_admin(actor)
    if held not in HELD_CHOICES:
        raise PlannerError(_("Choose what happens to the held posts: now or requeue."))
    if brand.paused_at is None:
        raise PlannerError(_("Publishing for %(brand)s is not paused.", brand=brand.name))
    now = now or utcnow()
    lock_channels(session, [channel.id for channel in brand.channels])
    posts = held_posts(session, brand)
    for post in posts:
        before = post.scheduled_at
        if held == "now":
            # Scheduled at this instant, so the worker finds it due and well inside the grace.
            when = now
        else:
            found = next_free_slot(session, post.channel, now, exclude_post_id=post.id)
            if found is None:
                raise PlannerError(
                    _(
                        "No free slot within a year for the held post %(id)s on %(channel)s:"
                        " add windows or publish the held posts now.",
                        id=post.id,
                        channel=post.channel.name,
                    )
                )
            when = found
        post.scheduled_at = when
        post.status = PostStatus.SCHEDULED.value
        post.next_attempt_at = None
        post.last_error = None
        # The next post's free slot must see this one as taken.
        session.flush()
        audit.record(
            session,
            actor,
            "post.released",
            "post",
            post.id,
            brand_id=brand.id,
            held=held,
            before=before.isoformat() if before else None,
            after=when.isoformat(),
        )
    audit.record(
        session,
        actor,
        "brand.resumed",
        "brand",
        brand.id,
        brand_id=brand.id,
        held=held,
        posts=len(posts),
        paused_since=brand.paused_at.isoformat(),
        reason=brand.pause_reason,
    )
    brand.paused_at = None
    brand.pause_reason = None
    session.flush()
    return posts
