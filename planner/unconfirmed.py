"""Resolving an ``unconfirmed`` post: the request may have landed, so a person looks on the
platform and says whether it was published; it is never re-sent blindly."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from core import audit
from core.models import Role, User
from planner.models import Post, PostStatus
from planner.operations import URL_RE, PlannerError, lock_post, next_free_slot
from planner.status_names import status_name


def _check(post: Post, actor: User) -> None:
    if not actor.has_role(Role.EDITOR):
        raise PlannerError(_("Viewers cannot change posts."))
    if post.status != PostStatus.UNCONFIRMED:
        raise PlannerError(
            _(
                "This post is %(status)s; only unconfirmed posts are resolved.",
                status=status_name(post.status),
            )
        )


def confirm_published(
    session: Session, post: Post, actor: User, public_url: str, *, now: datetime
) -> Post:
    """The person found the post on the platform: record it as published at that address."""
    _check(post, actor)
    public_url = (public_url or "").strip()
    if not URL_RE.match(public_url):
        raise PlannerError(_("Give the post's full address on the platform (https://…)."))
    post.status = PostStatus.PUBLISHED.value
    post.public_url = public_url
    post.published_at = post.published_at or now
    post.last_error = None
    audit.record(
        session,
        actor,
        "post.confirmed_published",
        "post",
        post.id,
        brand_id=post.channel.brand_id,
        public_url=public_url,
    )
    session.flush()
    return post


def confirm_not_published(session: Session, post: Post, actor: User, *, now: datetime) -> Post:
    """The person found no post on the platform: it goes back to the queue's next free slot."""
    lock_post(session, post)
    _check(post, actor)
    slot = next_free_slot(session, post.channel, now, exclude_post_id=post.id)
    if slot is None:
        raise PlannerError(
            _(
                "No free slot in this channel's engagement windows within a year: add"
                " windows, shorten the gap or raise the daily maximum."
            )
        )
    before = post.scheduled_at
    post.status = PostStatus.SCHEDULED.value
    post.scheduled_at = slot
    post.next_attempt_at = None
    post.claimed_by = None
    post.lease_until = None
    post.send_started_at = None
    audit.record(
        session,
        actor,
        "post.confirmed_not_published",
        "post",
        post.id,
        brand_id=post.channel.brand_id,
        before=before.isoformat() if before else None,
        after=slot.isoformat(),
    )
    session.flush()
    return post
