"""Due posts as a queue of :mod:`core.claims`: claiming them in batches, renewing the claims of
posts still being sent, sweeping missed and held posts, and recovering posts whose worker died.

Only ``scheduled`` posts are claimed; a claim makes a post ``publishing`` with ``claimed_by`` and a
lease. Every later write to a claimed post is guarded by ``status = 'publishing' AND claimed_by =
:worker``, so a post is sent by at most one worker and its outcome written by that worker only.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from core import audit, claims
from core.crypto import CredentialsUnreadable, decrypt_json
from core.tenants import Brand
from planner.models import Channel, Post, PostStatus

from .adapters import UnknownPlatform, get_adapter

logger = logging.getLogger("pageone.worker")

DEFAULT_LEASE = timedelta(minutes=5)
LEASE_EXPIRED_REASON = "worker stopped while publishing; check the platform before re-sending"
NEVER_SENT_REASON = "the worker stopped before sending the post; it is back in the queue"


def actor(worker_id: str) -> str:
    return f"worker:{worker_id}"


def _live_channels():
    """Channels whose brand publishes: neither paused nor archived (an archived brand's due
    posts are left to the missed sweep)."""
    return (
        select(Channel.id)
        .join(Brand, Channel.brand_id == Brand.id)
        .where(Brand.paused_at.is_(None), Brand.archived_at.is_(None))
    )


def _due(now: datetime) -> tuple[Any, ...]:
    return (
        Post.status == PostStatus.SCHEDULED.value,
        Post.scheduled_at <= now,
        or_(Post.next_attempt_at.is_(None), Post.next_attempt_at <= now),
    )


POSTS = claims.Queue(
    name="post",
    model=Post,
    due=lambda now: (*_due(now), Post.channel_id.in_(_live_channels())),
    order_by=lambda: (Post.scheduled_at, Post.id),
    lease_column=Post.lease_until,
    holder_column=Post.claimed_by,
    values=lambda now: {
        "status": PostStatus.PUBLISHING.value,
        "send_started_at": None,
        "updated_at": now,
    },
    returning=lambda: (Post.channel_id, Post.scheduled_at, Post.next_attempt_at),
)


def _is_late(
    scheduled_at: datetime, next_attempt_at: datetime | None, grace: int, now: datetime
) -> bool:
    """Whether a due post is past the grace period, counted from when it last became due."""
    due_at = max(scheduled_at, next_attempt_at) if next_attempt_at else scheduled_at
    return now - due_at > timedelta(minutes=grace)


def _late_in_sql(graces: Sequence[int], now: datetime):
    """Due posts past their brand's grace, for the grace periods the brands have."""
    return or_(
        *(
            and_(
                Brand.grace_minutes == grace,
                Post.scheduled_at < now - timedelta(minutes=grace),
                or_(
                    Post.next_attempt_at.is_(None),
                    Post.next_attempt_at < now - timedelta(minutes=grace),
                ),
            )
            for grace in graces
        )
    )


def _set_status_if(session: Session, post_id: int, expected: PostStatus, *guards, **values) -> bool:
    """Change one post only if it is still in ``expected``; whether it changed."""
    result = session.execute(
        update(Post)
        .where(Post.id == post_id, Post.status == expected.value, *guards)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def sweep_missed_and_held(session: Session, worker_id: str, now: datetime) -> dict[str, int]:
    """Due posts of a paused brand become held; due posts past the brand's grace become missed."""
    graces = list(session.scalars(select(Brand.grace_minutes).distinct()))
    rows = session.execute(
        select(
            Post.id,
            Post.scheduled_at,
            Post.next_attempt_at,
            Brand.id,
            Brand.grace_minutes,
            Brand.paused_at,
        )
        .join(Channel, Post.channel_id == Channel.id)
        .join(Brand, Channel.brand_id == Brand.id)
        # Only the posts the sweep changes are read, not every due post of a busy minute.
        .where(*_due(now), or_(Brand.paused_at.is_not(None), _late_in_sql(graces, now)))
    ).all()
    counts = {"held": 0, "missed": 0}
    for post_id, scheduled_at, next_attempt_at, brand_id, grace, paused_at in rows:
        if paused_at is not None:
            status, reason = PostStatus.HELD, "the brand is paused"
        elif _is_late(scheduled_at, next_attempt_at, grace, now):
            status = PostStatus.MISSED
            reason = f"not published within the brand's {grace} minutes of grace"
        else:
            continue
        if _set_status_if(
            session,
            post_id,
            PostStatus.SCHEDULED,
            status=status.value,
            last_error=reason,
            updated_at=now,
        ):
            counts[status.value] += 1
            logger.info("post %s %s: %s", post_id, status.value, reason)
            audit.record(
                session,
                actor(worker_id),
                f"post.{status.value}",
                "post",
                post_id,
                brand_id=brand_id,
                reason=reason,
                scheduled_at=scheduled_at.isoformat(),
            )
    return counts


@dataclass(frozen=True)
class ClaimedPost:
    post_id: int
    channel_id: int
    brand_id: int


def claim_batch(
    session: Session,
    worker_id: str,
    now: datetime,
    limit: int,
    lease: timedelta = DEFAULT_LEASE,
) -> list[ClaimedPost]:
    """Claim up to ``limit`` due posts for this worker in one statement; the caller commits
    before publishing. A post that turns out to be past its grace is marked missed instead."""
    rows = claims.claim(session, POSTS, worker_id, now, limit, lease)
    if not rows:
        return []
    channels = {
        channel_id: (brand_id, grace)
        for channel_id, brand_id, grace in session.execute(
            select(Channel.id, Channel.brand_id, Brand.grace_minutes)
            .join(Brand, Channel.brand_id == Brand.id)
            .where(Channel.id.in_({row.channel_id for row in rows}))
        )
    }
    claimed: list[ClaimedPost] = []
    for post_id, channel_id, scheduled_at, next_attempt_at in rows:
        brand_id, grace = channels[channel_id]
        if _is_late(scheduled_at, next_attempt_at, grace, now):
            # It fell past its grace since the sweep: never sent late, missed as the sweep would.
            _mark_missed(session, worker_id, post_id, brand_id, grace, scheduled_at, now)
        else:
            claimed.append(ClaimedPost(post_id, channel_id, brand_id))
    lease_until = (now + lease).isoformat()
    audit.record_many(
        session,
        actor(worker_id),
        [
            ("post.claimed", "post", post.post_id, post.brand_id, {"lease_until": lease_until})
            for post in claimed
        ],
    )
    return claimed


def _mark_missed(
    session: Session,
    worker_id: str,
    post_id: int,
    brand_id: int,
    grace: int,
    scheduled_at: datetime,
    now: datetime,
) -> None:
    reason = f"not published within the brand's {grace} minutes of grace"
    if _set_status_if(
        session,
        post_id,
        PostStatus.PUBLISHING,
        Post.claimed_by == worker_id,
        status=PostStatus.MISSED.value,
        claimed_by=None,
        lease_until=None,
        last_error=reason,
        updated_at=now,
    ):
        logger.info("post %s missed: %s", post_id, reason)
        audit.record(
            session,
            actor(worker_id),
            "post.missed",
            "post",
            post_id,
            brand_id=brand_id,
            reason=reason,
            scheduled_at=scheduled_at.isoformat(),
        )


def claim_due_posts(
    session: Session,
    worker_id: str,
    now: datetime,
    limit: int,
    lease: timedelta = DEFAULT_LEASE,
) -> list[int]:
    """Claim up to ``limit`` due posts for this worker; their ids. The caller commits before
    publishing."""
    return [post.post_id for post in claim_batch(session, worker_id, now, limit, lease)]


def renew_leases(
    session: Session, worker_id: str, post_ids: Collection[int], now: datetime, lease: timedelta
) -> int:
    """Extend this worker's claims on the posts it is still sending or recording, once half a
    lease is left; how many were extended.

    A send or the writing of its outcome can outlast a lease (a slow platform, a database that
    keeps dropping connections); without renewal another worker, or this one's own recovery,
    would take the post back and send it a second time."""
    return claims.renew(session, POSTS, worker_id, post_ids, now, lease)


def time_limit(platform: str, credentials: Mapping[str, Any] | None) -> float:
    """The channel's request time limit in seconds (its own setting, else the platform's)."""
    try:
        return get_adapter(platform).time_limit(credentials)
    except UnknownPlatform:  # an unknown platform fails when it is sent
        return 0.0


def deduplicates(platform: str) -> bool:
    """Whether re-sending a request that may have landed cannot make a second post: the
    adapter's own ``deduplicates``."""
    try:
        return bool(get_adapter(platform).deduplicates)
    except UnknownPlatform:
        return False


def _stored_time_limit(
    platform: str, credentials_encrypted: str | None, config: Mapping[str, Any] | None
) -> float:
    credentials = None
    if config is not None and credentials_encrypted:
        try:
            credentials = decrypt_json(credentials_encrypted, config)
        except CredentialsUnreadable:
            credentials = None
    return time_limit(platform, credentials)


def recover_expired_leases(
    session: Session,
    now: datetime,
    worker_id: str = "recovery",
    config: Mapping[str, Any] | None = None,
) -> int:
    """Posts whose worker died mid-send: retried where the platform de-duplicates, else flagged.

    A post whose send never began goes back to the queue on any platform. A re-send waits out the
    platform's request time limit, in case the first request is still on its way. A worker renews
    its own in-flight posts' leases first (:func:`renew_leases`), in the same transaction, so a
    send that is still going on is never taken back."""
    rows = session.execute(
        select(
            Post.id,
            Post.claimed_by,
            Post.send_started_at,
            Post.lease_until,
            Channel.platform,
            Channel.brand_id,
            Channel.credentials_encrypted,
        )
        .join(Channel, Post.channel_id == Channel.id)
        .where(Post.status == PostStatus.PUBLISHING.value, claims.expired(POSTS, now))
    ).all()
    recovered = 0
    for post_id, claimed_by, send_started_at, lease_until, platform, brand_id, encrypted in rows:
        cleared = {
            "claimed_by": None,
            "lease_until": None,
            "send_started_at": None,
            "updated_at": now,
        }
        if send_started_at is None:
            status = PostStatus.SCHEDULED
            values = {"next_attempt_at": None, "last_error": NEVER_SENT_REASON}
        elif deduplicates(platform):
            # The dead worker sent nothing after its lease ran out; what it sent before may land
            # until the platform's time limit has passed since then.
            limit = timedelta(seconds=_stored_time_limit(platform, encrypted, config))
            status = PostStatus.SCHEDULED
            values = {"next_attempt_at": max(now, (lease_until or now) + limit)}
        else:
            status, values = PostStatus.UNCONFIRMED, {"last_error": LEASE_EXPIRED_REASON}
        if _set_status_if(
            session,
            post_id,
            PostStatus.PUBLISHING,
            Post.claimed_by == claimed_by,
            Post.lease_until < now,
            status=status.value,
            **cleared,
            **values,
        ):
            recovered += 1
            logger.info(
                "post %s recovered from %s: %s (%s)",
                post_id,
                claimed_by,
                status.value,
                "sent" if send_started_at is not None else "never sent",
            )
            audit.record(
                session,
                actor(worker_id),
                "post.lease_expired",
                "post",
                post_id,
                brand_id=brand_id,
                claimed_by=claimed_by,
                status=status.value,
                sent=send_started_at is not None,
            )
    return recovered


def release(
    session: Session, post_ids: Sequence[int], worker_id: str, now: datetime, reason: str
) -> list[int]:
    """Give claimed posts whose send never began back to the queue; those that were ours."""
    if not post_ids:
        return []
    released = list(
        session.scalars(
            update(Post)
            .where(
                Post.id.in_(list(post_ids)),
                Post.status == PostStatus.PUBLISHING.value,
                claims.held_by(POSTS, worker_id),
                Post.send_started_at.is_(None),
            )
            .values(
                status=PostStatus.SCHEDULED.value,
                claimed_by=None,
                lease_until=None,
                updated_at=now,
            )
            .returning(Post.id)
            .execution_options(synchronize_session=False)
        )
    )
    if released:
        brands = dict(
            session.execute(
                select(Post.id, Channel.brand_id)
                .join(Channel, Post.channel_id == Channel.id)
                .where(Post.id.in_(released))
            ).all()
        )
        for post_id in released:
            logger.info("post %s released by %s: %s", post_id, worker_id, reason)
        audit.record_many(
            session,
            actor(worker_id),
            [
                ("post.released", "post", post_id, brands.get(post_id), {"reason": reason})
                for post_id in released
            ],
        )
    return released
