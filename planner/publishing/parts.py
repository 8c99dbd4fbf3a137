"""Publishing a post's parts (thread replies, a first comment) as a queue of :mod:`core.claims`.

A part is due when its post is published, the part before it is published (part 1 follows the
post itself) and its back-off has passed. A claim records the worker and a lease; the start of
the send is committed before the request leaves (``send_started_at``) and the answer is written
only while the part is still this worker's, as for posts. So each part goes out once, in order:
part n is never claimable before part n-1 is published, and a published part is never due again.

Each part is sent with its own idempotency key, ``{post key}:part:{n}``: Mastodon's
``Idempotency-Key`` and Bluesky's record key make a re-send of the same part harmless there.
A failure stops the thread at that part and keeps its reason; the parts before it stay published.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import Session, aliased

from core import audit, claims
from planner.models import Channel, PartKind, PartState, Post, PostPart, PostStatus

from .adapters import (
    ALLOW_PRIVATE_KEY,
    Outcome,
    OutgoingPost,
    PublishResult,
    UnknownPlatform,
    get_adapter,
)
from .outcomes import backoff
from .queue import _live_channels, actor, deduplicates, time_limit
from .sending import Prepared, _credentials

logger = logging.getLogger("pageone.worker")

PART_LEASE_EXPIRED_REASON = (
    "the worker stopped while publishing this part; check the platform before retrying"
)


def _previous_published():
    before = aliased(PostPart)
    return or_(
        PostPart.position == 1,
        exists().where(
            before.post_id == PostPart.post_id,
            before.position == PostPart.position - 1,
            before.state == PartState.PUBLISHED.value,
        ),
    )


def _due(now: datetime) -> tuple[Any, ...]:
    return (
        PostPart.state == PartState.PENDING.value,
        PostPart.claimed_by.is_(None),
        or_(PostPart.next_attempt_at.is_(None), PostPart.next_attempt_at <= now),
        PostPart.post_id.in_(
            select(Post.id).where(
                Post.status == PostStatus.PUBLISHED.value,
                Post.channel_id.in_(_live_channels()),
            )
        ),
        _previous_published(),
    )


PARTS = claims.Queue(
    name="post part",
    model=PostPart,
    due=_due,
    order_by=lambda: (PostPart.post_id, PostPart.position),
    lease_column=PostPart.lease_until,
    holder_column=PostPart.claimed_by,
    values=lambda now: {"send_started_at": None},
    returning=lambda: (PostPart.post_id,),
)


def claim_parts(
    session: Session,
    worker_id: str,
    now: datetime,
    limit: int,
    lease: timedelta,
    post_id: int | None = None,
) -> list[tuple[int, int]]:
    """Claim up to ``limit`` due parts (of one post when ``post_id`` is given); their
    (part id, post id). The caller commits before sending."""
    queue = PARTS
    if post_id is not None:
        queue = replace(PARTS, due=lambda at: (*_due(at), PostPart.post_id == post_id))
    return [(row[0], row[1]) for row in claims.claim(session, queue, worker_id, now, limit, lease)]


@dataclass(frozen=True)
class PreparedPart:
    part_id: int
    position: int
    kind: str
    prepared: Prepared

    @property
    def post_id(self) -> int:
        return self.prepared.post_id


def prepare_part(
    session: Session,
    part_id: int,
    worker_id: str,
    config: Mapping[str, Any],
    now: datetime,
) -> PreparedPart | None:
    """Read a claimed part with what it replies to and mark its send begun; None when the part
    is no longer ours (or its claim ran out, which the recovery handles)."""
    row = session.execute(
        select(
            PostPart.id,
            PostPart.position,
            PostPart.kind,
            PostPart.text,
            PostPart.attempts,
            Post.id.label("post_id"),
            Post.version,
            Post.platform_post_id,
            Post.published_at,
            Channel.id.label("channel_id"),
            Channel.platform,
            Channel.brand_id,
            Channel.credentials_encrypted,
        )
        .join(Post, PostPart.post_id == Post.id)
        .join(Channel, Post.channel_id == Channel.id)
        .where(
            PostPart.id == part_id,
            PostPart.state == PartState.PENDING.value,
            claims.held_by(PARTS, worker_id),
            PostPart.lease_until > now,
        )
    ).one_or_none()
    if row is None:
        return None
    in_reply_to = row.platform_post_id
    if row.kind == PartKind.REPLY and row.position > 1:
        in_reply_to = session.scalar(
            select(PostPart.remote_id).where(
                PostPart.post_id == row.post_id,
                PostPart.position == row.position - 1,
                PostPart.state == PartState.PUBLISHED.value,
            )
        )
    credentials, problem = _credentials(row.credentials_encrypted, config)
    if credentials is not None:
        allow = "1" if config.get("OUTBOUND_ALLOW_PRIVATE") else ""
        credentials = {**credentials, ALLOW_PRIVATE_KEY: allow}
    if not in_reply_to and problem is None:
        problem = "the post before this part has no id on the platform to reply to"
    outgoing = OutgoingPost(
        post_id=row.post_id,
        text=row.text,
        link=None,
        image_url=None,
        idempotency_key=f"pageone-{row.post_id}-v{row.version}:part:{row.position}",
        in_reply_to=in_reply_to,
        thread_root=row.platform_post_id if row.kind == PartKind.REPLY else None,
    )
    prepared = Prepared(
        outgoing=outgoing,
        platform=row.platform,
        channel_id=row.channel_id,
        brand_id=row.brand_id,
        attempts=row.attempts,
        credentials=credentials,
        problem=problem,
        # Retries of a part are counted from when the post went out.
        scheduled_at=row.published_at,
        time_limit=time_limit(row.platform, credentials),
    )
    if problem is None:
        session.execute(
            update(PostPart)
            .where(PostPart.id == part_id, claims.held_by(PARTS, worker_id))
            .values(send_started_at=now)
            .execution_options(synchronize_session=False)
        )
    logger.info(
        "post %s part %s %s on %s",
        row.post_id,
        row.position,
        "failing" if problem else "sending",
        row.platform,
    )
    return PreparedPart(row.id, row.position, row.kind, prepared)


def send_part(item: PreparedPart, timeout: float) -> PublishResult:
    """Send one prepared part: a reply in the thread, or a comment on the post; never raises."""
    prepared = item.prepared
    if prepared.problem:
        return PublishResult(Outcome.FAILED, reason=prepared.problem)
    try:
        adapter = get_adapter(prepared.platform)
        step = adapter.comment if item.kind == PartKind.COMMENT else adapter.publish
        return step(prepared.outgoing, prepared.credentials or {}, timeout=timeout)
    except UnknownPlatform as exc:
        return PublishResult(Outcome.FAILED, reason=str(exc))
    except Exception as exc:  # noqa: BLE001 - a bug must not leave the part claimed
        logger.error(
            "publishing part %s of post %s raised %s",
            item.position,
            item.post_id,
            type(exc).__name__,
        )
        return PublishResult(
            Outcome.UNCONFIRMED,
            reason=f"the worker failed while publishing ({type(exc).__name__}); "
            "check the platform before retrying",
        )


def _part_values(
    item: PreparedPart, result: PublishResult, now: datetime, retry_for: timedelta
) -> dict[str, Any]:
    prepared = item.prepared
    reason = prepared.redact.excerpt(result.reason, 500) if result.reason else None
    values: dict[str, Any] = {
        "claimed_by": None,
        "lease_until": None,
        "send_started_at": None,
        "attempts": prepared.attempts + 1,
    }
    if result.outcome is Outcome.PUBLISHED:
        return values | {
            "state": PartState.PUBLISHED.value,
            "remote_id": result.platform_id,
            "remote_url": result.url,
            "published_at": now,
            "error": None,
            "next_attempt_at": None,
        }
    if result.outcome is Outcome.RETRY:
        deadline = (prepared.scheduled_at or now) + retry_for
        wait = max(
            backoff(prepared.attempts, result.retry_after),
            timedelta(seconds=prepared.time_limit if result.may_have_landed else 0),
        )
        if now + wait <= deadline or (result.may_have_landed and now < deadline):
            return values | {
                "state": PartState.PENDING.value,
                "next_attempt_at": now + wait,
                "error": reason,
            }
        reason = f"gave up after {prepared.attempts + 1} attempts: {reason}"
        if result.may_have_landed:
            reason += "; the last request may have been published, check the platform"
    elif result.outcome is Outcome.UNCONFIRMED:
        reason = reason or "the part may have been published; check the platform"
    return values | {
        "state": PartState.FAILED.value,
        "error": reason or "the platform refused the part",
    }


def record_part(
    session: Session,
    worker_id: str,
    item: PreparedPart,
    result: PublishResult,
    now: datetime,
    retry_for: timedelta,
) -> bool:
    """Write what the platform answered for a part, while the part is still this worker's;
    whether it was written. The attempt is kept in the audit log either way."""
    values = _part_values(item, result, now, retry_for)
    written = (
        session.execute(
            update(PostPart)
            .where(PostPart.id == item.part_id, claims.held_by(PARTS, worker_id))
            .values(**values)
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )
    prepared = item.prepared
    action = {
        PartState.PUBLISHED.value: "post.part_published",
        PartState.PENDING.value: "post.part_rescheduled",
        PartState.FAILED.value: "post.part_failed",
    }[values["state"]]
    audit.record(
        session,
        actor(worker_id),
        action if written else "post.part_attempt",
        "post",
        item.post_id,
        brand_id=prepared.brand_id,
        position=item.position,
        kind=item.kind,
        outcome=result.outcome.value,
        status_code=result.status_code,
        reason=values.get("error"),
        remote_url=values.get("remote_url"),
        applied=written,
    )
    if written and result.outcome is Outcome.REAUTH:
        session.execute(
            update(Channel).where(Channel.id == prepared.channel_id).values(needs_reauth=True)
        )
    logger.info(
        "post %s part %s %s (%s)%s",
        item.post_id,
        item.position,
        values["state"],
        result.outcome.value,
        "" if written else ", no longer claimed: not written",
    )
    return written


def recover_expired_parts(
    session: Session, now: datetime, worker_id: str, config: Mapping[str, Any] | None = None
) -> int:
    """Parts whose worker died: back in the queue when nothing went out or the platform
    de-duplicates a re-send; otherwise failed, for a person to check before retrying."""
    rows = session.execute(
        select(
            PostPart.id,
            PostPart.post_id,
            PostPart.position,
            PostPart.claimed_by,
            PostPart.send_started_at,
            PostPart.lease_until,
            Channel.platform,
            Channel.brand_id,
        )
        .join(Post, PostPart.post_id == Post.id)
        .join(Channel, Post.channel_id == Channel.id)
        .where(PostPart.state == PartState.PENDING.value, claims.expired(PARTS, now))
    ).all()
    recovered = 0
    for row in rows:
        values: dict[str, Any] = {"claimed_by": None, "lease_until": None, "send_started_at": None}
        if row.send_started_at is not None and deduplicates(row.platform):
            limit = timedelta(seconds=time_limit(row.platform, None))
            values["next_attempt_at"] = max(now, (row.lease_until or now) + limit)
        elif row.send_started_at is not None:
            values |= {"state": PartState.FAILED.value, "error": PART_LEASE_EXPIRED_REASON}
        changed = session.execute(
            update(PostPart)
            .where(
                PostPart.id == row.id,
                PostPart.claimed_by == row.claimed_by,
                PostPart.lease_until < now,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed:
            recovered += 1
            audit.record(
                session,
                actor(worker_id),
                "post.part_lease_expired",
                "post",
                row.post_id,
                brand_id=row.brand_id,
                position=row.position,
                claimed_by=row.claimed_by,
                sent=row.send_started_at is not None,
            )
    return recovered


def has_pending_parts(session: Session, post_id: int) -> bool:
    return bool(
        session.scalar(
            select(
                exists().where(
                    and_(
                        PostPart.post_id == post_id,
                        PostPart.state == PartState.PENDING.value,
                    )
                )
            )
        )
    )
