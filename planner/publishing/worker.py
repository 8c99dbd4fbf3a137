"""The publishing worker: claims due posts, sends them through their platform's adapter and
records what the platform answered.

Every step that changes a post is a guarded statement (``… WHERE status = 'scheduled'`` or
``… AND claimed_by = :worker``), so several workers may run at once and a post is sent by at most
one of them. A claim is committed before any network call; the outcome is recorded in a new
transaction only while the post is still claimed by the worker that sent it.

The database may drop a connection at any step (a restart, a failover, a killed backend). Each
step runs again on a fresh connection until the post's lease would run out, so an outcome the
worker knows is written once the database is back, and a post that never went out is not
mistaken for one that may have landed (``send_started_at`` tells them apart).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from flask import Flask
from sqlalchemy import or_, select, update
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from core import audit
from core.crypto import CredentialsUnreadable, decrypt_json
from core.db import db, utcnow
from core.tenants import Brand
from planner.assets import record_published_post
from planner.models import Channel, Post, PostStatus

from .adapters import (
    ALLOW_PRIVATE_KEY,
    Outcome,
    OutgoingPost,
    PublishResult,
    UnknownPlatform,
    get_adapter,
)
from .adapters.base import Redactor, secret_values

logger = logging.getLogger("planner.publishing.worker")

# A platform that is down (refused connections, 502/503, rate limits) is tried again with a
# growing back-off until this long after the post's time, then the post fails.
DEFAULT_RETRY_FOR = timedelta(hours=1)
BACKOFF_CAP = timedelta(hours=1)
DEFAULT_LEASE = timedelta(minutes=5)
DEFAULT_THREADS = 16
TICK_SECONDS = 1.0
EXCERPT_LENGTH = 300
# Platforms where re-sending a post whose first attempt may have landed cannot create a second
# one: Mastodon's Idempotency-Key, Bluesky's record key derived from the post, WordPress's slug
# look-up. Any other post whose worker died mid-send needs a person to look.
SAFE_TO_RESEND = frozenset({"mastodon", "bluesky", "wordpress"})
LEASE_EXPIRED_REASON = "worker stopped while publishing; check the platform before re-sending"
NEVER_SENT_REASON = "the worker stopped before sending the post; it is back in the queue"
# A publish job's short transactions run again on a fresh connection while the database is out of
# reach, waiting at most this long between tries, until the post's lease would run out.
DB_RETRY_CAP = 2.0
_T = TypeVar("_T")


def actor(worker_id: str) -> str:
    return f"worker:{worker_id}"


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _due(now: datetime):
    return (
        Post.status == PostStatus.SCHEDULED.value,
        Post.scheduled_at <= now,
        or_(Post.next_attempt_at.is_(None), Post.next_attempt_at <= now),
    )


def _is_late(
    scheduled_at: datetime, next_attempt_at: datetime | None, grace: int, now: datetime
) -> bool:
    """Whether a due post is past the grace period, counted from when it last became due."""
    due_at = max(scheduled_at, next_attempt_at) if next_attempt_at else scheduled_at
    return now - due_at > timedelta(minutes=grace)


def _set_status_if(session: Session, post_id: int, expected: PostStatus, **values: Any) -> bool:
    """Change one post only if it is still in ``expected``; whether it changed."""
    result = session.execute(
        update(Post)
        .where(Post.id == post_id, Post.status == expected.value)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def sweep_missed_and_held(session: Session, worker_id: str, now: datetime) -> dict[str, int]:
    """Due posts of a paused brand become held; due posts past the brand's grace become missed."""
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
        .where(*_due(now))
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


def claim_due_posts(
    session: Session,
    worker_id: str,
    now: datetime,
    limit: int,
    lease: timedelta = DEFAULT_LEASE,
) -> list[int]:
    """Claim up to ``limit`` due posts for this worker; the caller commits before publishing.

    PostgreSQL locks the candidates with ``FOR UPDATE SKIP LOCKED``, so concurrent workers take
    disjoint sets; SQLite claims each candidate with a guarded update and keeps it only when the
    row count says this worker won it.
    """
    if limit <= 0:
        return []
    postgres = session.get_bind().dialect.name == "postgresql"
    query = (
        select(Post.id, Post.scheduled_at, Post.next_attempt_at, Brand.id, Brand.grace_minutes)
        .join(Channel, Post.channel_id == Channel.id)
        .join(Brand, Channel.brand_id == Brand.id)
        # An archived brand publishes nothing; its due posts are left to the missed sweep.
        .where(*_due(now), Brand.paused_at.is_(None), Brand.archived_at.is_(None))
        .order_by(Post.scheduled_at, Post.id)
        .limit(limit)
    )
    if postgres:
        query = query.with_for_update(skip_locked=True, of=Post)
    candidates = [
        (post_id, brand_id)
        for post_id, scheduled_at, next_attempt_at, brand_id, grace in session.execute(query)
        # Posts past their grace are left to the missed sweep, never sent late.
        if not _is_late(scheduled_at, next_attempt_at, grace, now)
    ]
    claim = {
        "status": PostStatus.PUBLISHING.value,
        "claimed_by": worker_id,
        "lease_until": now + lease,
        "send_started_at": None,
        "updated_at": now,
    }
    if postgres:
        ids = [post_id for post_id, _ in candidates]
        # The rows are locked by this transaction; the status guard only restates the rule.
        updated = set(
            session.scalars(
                update(Post)
                .where(Post.id.in_(ids), Post.status == PostStatus.SCHEDULED.value)
                .values(**claim)
                .returning(Post.id)
                .execution_options(synchronize_session=False)
            )
            if ids
            else ()
        )
        won = [(post_id, brand_id) for post_id, brand_id in candidates if post_id in updated]
    else:
        won = [
            (post_id, brand_id)
            for post_id, brand_id in candidates
            if _set_status_if(session, post_id, PostStatus.SCHEDULED, **claim)
        ]
    for post_id, brand_id in won:
        audit.record(
            session,
            actor(worker_id),
            "post.claimed",
            "post",
            post_id,
            brand_id=brand_id,
            lease_until=claim["lease_until"].isoformat(),
        )
    return [post_id for post_id, _ in won]


def renew_leases(
    session: Session, worker_id: str, post_ids: Collection[int], now: datetime, lease: timedelta
) -> int:
    """Extend this worker's claims on the posts it is still sending, once half a lease is left.

    A send or the writing of its outcome can outlast a lease (a slow platform, a database that
    keeps dropping connections); without renewal another worker, or this one's own recovery,
    would take the post back and send it a second time. Returns how many leases were extended.
    """
    if not post_ids:
        return 0
    return session.execute(
        update(Post)
        .where(
            Post.id.in_(list(post_ids)),
            Post.status == PostStatus.PUBLISHING.value,
            Post.claimed_by == worker_id,
            Post.lease_until < now + lease / 2,
        )
        .values(lease_until=now + lease)
        .execution_options(synchronize_session=False)
    ).rowcount


def _time_limit(platform: str, credentials: Mapping[str, Any] | None) -> float:
    """The channel's request time limit in seconds (its own setting, else the platform's)."""
    try:
        return get_adapter(platform).time_limit(credentials)
    except KeyError:  # an unknown platform fails when it is sent
        return 0.0


def _stored_time_limit(
    platform: str, credentials_encrypted: str | None, config: Mapping[str, Any] | None
) -> float:
    credentials = None
    if config is not None and credentials_encrypted:
        try:
            credentials = decrypt_json(credentials_encrypted, config)
        except CredentialsUnreadable:
            credentials = None
    return _time_limit(platform, credentials)


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
        .where(Post.status == PostStatus.PUBLISHING.value, Post.lease_until < now)
    ).all()
    recovered = 0
    for post_id, claimed_by, send_started_at, lease_until, platform, brand_id, encrypted in rows:
        guard = update(Post).where(
            Post.id == post_id,
            Post.status == PostStatus.PUBLISHING.value,
            Post.claimed_by == claimed_by,
            Post.lease_until < now,
        )
        cleared = {
            "claimed_by": None,
            "lease_until": None,
            "send_started_at": None,
            "updated_at": now,
        }
        if send_started_at is None:
            status = PostStatus.SCHEDULED
            values = {"next_attempt_at": None, "last_error": NEVER_SENT_REASON}
        elif platform in SAFE_TO_RESEND:
            # The dead worker sent nothing after its lease ran out; what it sent before may land
            # until the platform's time limit has passed since then.
            limit = timedelta(seconds=_stored_time_limit(platform, encrypted, config))
            status = PostStatus.SCHEDULED
            values = {"next_attempt_at": max(now, (lease_until or now) + limit)}
        else:
            status, values = PostStatus.UNCONFIRMED, {"last_error": LEASE_EXPIRED_REASON}
        result = session.execute(
            guard.values(status=status.value, **cleared, **values).execution_options(
                synchronize_session=False
            )
        )
        if result.rowcount == 1:
            recovered += 1
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


def backoff(attempts: int, retry_after: float | None) -> timedelta:
    """The wait before attempt ``attempts + 1``: Retry-After when longer than 2^attempts s."""
    seconds = max(float(retry_after or 0), float(2**attempts))
    return min(timedelta(seconds=seconds), BACKOFF_CAP)


@dataclass(frozen=True)
class _Prepared:
    outgoing: OutgoingPost
    platform: str
    channel_id: int
    brand_id: int
    attempts: int
    credentials: dict[str, Any] | None
    problem: str | None
    scheduled_at: datetime | None = None
    time_limit: float = 0.0  # seconds a request that may have landed can still land

    @property
    def redact(self) -> Redactor:
        """Redacts every shape of the channel's secrets from what is stored about the attempt."""
        return Redactor(secret_values(self.credentials or {}))


def _outgoing(post: Post, platform: str) -> OutgoingPost:
    title = slug = None
    if platform == "wordpress":
        # A stable slug lets the adapter find a post an earlier attempt created. The title is
        # left to the adapter: it takes the first line and keeps it out of the body.
        if not post.text.strip():
            title = f"Post {post.id}"
        slug = f"pageone-{post.id}"
    return OutgoingPost(
        post_id=post.id,
        text=post.text,
        link=post.link,
        image_url=post.image_url,
        idempotency_key=f"pageone-{post.id}-v{post.version}",
        title=title,
        slug=slug,
    )


def _release(session: Session, post_id: int, worker_id: str, now: datetime, reason: str) -> bool:
    """Give a claimed post whose send never began back to the queue; whether it was ours."""
    released = (
        session.execute(
            update(Post)
            .where(
                Post.id == post_id,
                Post.status == PostStatus.PUBLISHING.value,
                Post.claimed_by == worker_id,
                Post.send_started_at.is_(None),
            )
            .values(
                status=PostStatus.SCHEDULED.value,
                claimed_by=None,
                lease_until=None,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )
    if released:
        brand_id = session.scalar(
            select(Channel.brand_id)
            .join(Post, Post.channel_id == Channel.id)
            .where(Post.id == post_id)
        )
        audit.record(
            session,
            actor(worker_id),
            "post.released",
            "post",
            post_id,
            brand_id=brand_id,
            reason=reason,
        )
    return released


def _prepare(session: Session, post_id: int, worker_id: str, config: Mapping[str, Any]):
    post = session.get(Post, post_id)
    if post is None or post.status != PostStatus.PUBLISHING or post.claimed_by != worker_id:
        return None
    now = utcnow()
    if post.lease_until is not None and post.lease_until <= now:
        # The claim ran out before the send began (the database was out of reach): nothing
        # went out, so the post goes back to the queue now unless a recovery took it already.
        _release(session, post_id, worker_id, now, "the claim ran out before the send began")
        return None
    channel = post.channel
    if channel.brand.archived_at is not None:
        # Archived between the claim and the send: nothing goes out for an archived brand.
        _release(session, post_id, worker_id, now, "the brand was archived before the send")
        return None
    credentials: dict[str, Any] | None = None
    problem = None
    try:
        credentials = decrypt_json(channel.credentials_encrypted, config)
    except CredentialsUnreadable:
        problem = "the channel's credentials cannot be decrypted; connect the channel again"
    if problem is None and not credentials:
        problem = "the channel has no credentials; connect the channel before publishing"
    if credentials is not None:
        credentials[ALLOW_PRIVATE_KEY] = "1" if config.get("OUTBOUND_ALLOW_PRIVATE") else ""
    if problem is None:
        # Committed before the request leaves: a recovery can then tell a post that may have
        # landed from one that never went out.
        post.send_started_at = now
    return _Prepared(
        outgoing=_outgoing(post, channel.platform),
        platform=channel.platform,
        channel_id=channel.id,
        brand_id=channel.brand_id,
        attempts=post.attempts,
        credentials=credentials,
        problem=problem,
        scheduled_at=post.scheduled_at,
        time_limit=_time_limit(channel.platform, credentials),
    )


def next_try(
    prepared: _Prepared, result: PublishResult, now: datetime, retry_for: timedelta
) -> datetime | None:
    """When a post whose attempt said RETRY goes out again; None when its time is up.

    The back-off grows (1 s, 2 s, 4 s, … up to an hour) and the last try falls on the end of the
    retry time, counted from the post's scheduled time. A Retry-After is honoured, and so is the
    platform's request time limit after a request that may have landed: the re-send (and a
    WordPress slug look-up) must not run while the first request can still land, even if that
    takes the post a little past its retry time.
    """
    deadline = (prepared.scheduled_at or now) + retry_for
    if now >= deadline:
        return None
    earliest = now + timedelta(seconds=result.retry_after or 0)
    if result.may_have_landed:
        earliest = max(earliest, now + timedelta(seconds=prepared.time_limit))
    elif earliest > deadline:
        return None  # the platform asks for a wait that ends past the post's retry time
    return max(min(now + backoff(prepared.attempts, None), deadline), earliest)


def record_outcome(
    session: Session,
    post_id: int,
    worker_id: str,
    prepared: _Prepared,
    result: PublishResult,
    now: datetime,
    retry_for: timedelta = DEFAULT_RETRY_FOR,
) -> bool:
    """Write what the platform answered, only while the post is still ours; whether it was."""
    attempt = prepared.attempts + 1
    # Whatever the adapter did, what is stored about the attempt never holds a secret.
    redact = prepared.redact
    reason = redact.excerpt(result.reason, 500) if result.reason else None
    excerpt = redact.excerpt(result.response_excerpt) if result.response_excerpt else None
    values: dict[str, Any] = {
        "claimed_by": None,
        "lease_until": None,
        "send_started_at": None,
        "updated_at": now,
    }
    action: str
    retry_at = (
        next_try(prepared, result, now, retry_for) if result.outcome is Outcome.RETRY else None
    )
    if result.outcome is Outcome.PUBLISHED:
        action = "post.published"
        values |= {
            "status": PostStatus.PUBLISHED.value,
            "platform_post_id": result.platform_id,
            "public_url": result.url,
            "published_at": now,
            "last_error": None,
            "attempts": attempt,
        }
    elif result.outcome is Outcome.RETRY and retry_at is not None:
        action = "post.rescheduled"
        values |= {
            "status": PostStatus.SCHEDULED.value,
            "attempts": attempt,
            "next_attempt_at": retry_at,
            "last_error": reason,
        }
    elif result.outcome is Outcome.RETRY and result.may_have_landed:
        action = "post.unconfirmed"
        values |= {
            "status": PostStatus.UNCONFIRMED.value,
            "attempts": attempt,
            "last_error": f"gave up after {attempt} attempts in {_duration(retry_for)}: "
            f"{reason}; the last request may have been published, check the platform",
        }
    elif result.outcome is Outcome.RETRY:
        action = "post.failed"
        values |= {
            "status": PostStatus.FAILED.value,
            "attempts": attempt,
            "last_error": f"gave up after {attempt} attempts in {_duration(retry_for)}: {reason}",
        }
    elif result.outcome is Outcome.UNCONFIRMED:
        action = "post.unconfirmed"
        values |= {
            "status": PostStatus.UNCONFIRMED.value,
            "attempts": attempt,
            "last_error": reason,
        }
    else:  # FAILED, REAUTH
        action = "post.failed"
        values |= {"status": PostStatus.FAILED.value, "attempts": attempt}
        values["last_error"] = reason or "the platform refused the post"
    applied = (
        session.execute(
            update(Post)
            .where(
                Post.id == post_id,
                Post.status == PostStatus.PUBLISHING.value,
                Post.claimed_by == worker_id,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )
    # The attempt happened whether or not the result still applies: it is always kept.
    audit.record(
        session,
        actor(worker_id),
        "post.publish_attempt",
        "post",
        post_id,
        brand_id=prepared.brand_id,
        at=now.isoformat(),
        platform=prepared.platform,
        attempt=attempt,
        outcome=result.outcome.value,
        status_code=result.status_code,
        response_excerpt=(excerpt or "")[:EXCERPT_LENGTH] or None,
        reason=reason,
        applied=applied,
    )
    if not applied:
        logger.warning(
            "post %s was no longer claimed by %s; result not applied", post_id, worker_id
        )
        return False
    audit.record(
        session,
        actor(worker_id),
        action,
        "post",
        post_id,
        brand_id=prepared.brand_id,
        reason=values.get("last_error"),
        public_url=values.get("public_url"),
        next_attempt_at=values["next_attempt_at"].isoformat()
        if values.get("next_attempt_at")
        else None,
    )
    if result.outcome is Outcome.REAUTH:
        session.execute(
            update(Channel).where(Channel.id == prepared.channel_id).values(needs_reauth=True)
        )
        audit.record(
            session,
            actor(worker_id),
            "channel.needs_reauth",
            "channel",
            prepared.channel_id,
            brand_id=prepared.brand_id,
            reason=reason,
        )
    if result.outcome is Outcome.PUBLISHED and result.url:
        # The published URL is an owned asset: search tracking recognises it in results.
        post = session.get(Post, post_id, populate_existing=True)
        if post is not None:
            record_published_post(session, post)
    return True


def _duration(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    if seconds % 3600 == 0 and seconds >= 3600:
        hours = seconds // 3600
        return "an hour" if hours == 1 else f"{hours} hours"
    if seconds % 60 == 0 and seconds >= 60:
        return f"{seconds // 60} minutes"
    return f"{seconds} seconds"


def _database_unreachable(exc: DBAPIError) -> bool:
    """A dropped connection, or a new one refused or timed out: worth trying again."""
    return exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError)


def _in_transaction(job: Callable[[Session], _T], until: float) -> _T:
    """Run ``job`` in a transaction of its own, again on a fresh connection while the database
    is out of reach, until the monotonic time ``until`` (the post's lease would run out).

    A connection lost to a database restart, a failover or a killed backend would otherwise leave
    the post claimed until its lease runs out, then re-sent or flagged unconfirmed although this
    worker knew the outcome. Each try takes a new session; the engine's pre-ping replaces pooled
    connections that died. The jobs are guarded statements, so running one again is safe: when
    a lost commit had in fact landed, the second run finds the post no longer claimed.
    """
    attempt = 0
    while True:
        attempt += 1
        try:
            with db.job_session() as session:
                return job(session)
        except DBAPIError as exc:
            left = until - time.monotonic()
            if not _database_unreachable(exc) or left <= 0:
                raise
            logger.warning(
                "database out of reach (%s); trying again (%.0f s left)",
                type(exc.orig).__name__,
                left,
            )
            time.sleep(min(0.1 * 2 ** min(attempt, 8), DB_RETRY_CAP, max(left, 0.01)))


def _seconds(config: Mapping[str, Any], key: str, default: timedelta) -> timedelta:
    return timedelta(seconds=float(config.get(key) or default.total_seconds()))


def publish_one(app: Flask, post_id: int, worker_id: str) -> Outcome | None:
    """Send one claimed post and record the outcome; None when the post is no longer ours."""
    with app.app_context():
        lease = _seconds(app.config, "PUBLISH_LEASE_SECONDS", DEFAULT_LEASE).total_seconds()
        retry_for = _seconds(app.config, "PUBLISH_RETRY_FOR_SECONDS", DEFAULT_RETRY_FOR)
        # Until the claim would run out: a post that cannot even be read by then stays claimed
        # without a send begun, and the recovery puts it back in the queue.
        prepared = _in_transaction(
            lambda s: _prepare(s, post_id, worker_id, app.config), time.monotonic() + lease
        )
        if prepared is None:
            return None
        if prepared.problem:
            result = PublishResult(Outcome.FAILED, reason=prepared.problem)
        else:
            try:
                result = get_adapter(prepared.platform).publish(
                    prepared.outgoing,
                    prepared.credentials or {},
                    timeout=float(app.config.get("HTTP_TIMEOUT", 10)),
                )
            except UnknownPlatform as exc:  # nothing was sent
                result = PublishResult(Outcome.FAILED, reason=str(exc))
            except Exception as exc:  # noqa: BLE001 - a bug must not leave the post claimed
                logger.error(
                    "publishing post %s raised %s: %s",
                    post_id,
                    type(exc).__name__,
                    prepared.redact(str(exc))[:500],
                )
                # The request may have gone out before the error: a person must look.
                result = PublishResult(
                    Outcome.UNCONFIRMED,
                    reason=f"the worker failed while publishing ({type(exc).__name__}); "
                    "check the platform before re-sending",
                )
        # The outcome is known: it is written once the database is back, for as long as the
        # claim would last from now (the worker's ticks keep renewing it meanwhile).
        applied = _in_transaction(
            lambda s: record_outcome(s, post_id, worker_id, prepared, result, utcnow(), retry_for),
            time.monotonic() + lease,
        )
        if applied:
            # After the outcome is committed: a mail or webhook failure cannot change it.
            try:
                from planner.notifications import notify_outcome

                notify_outcome(app, post_id, result.outcome.value)
            except Exception:  # noqa: BLE001
                logger.exception("notifying about post %s failed", post_id)
        return result.outcome if applied else None


class Worker:
    """One worker process: a periodic tick that sweeps, claims and publishes on a thread pool."""

    def __init__(self, app: Flask, worker_id: str | None = None, threads: int | None = None):
        self.app = app
        self.worker_id = worker_id or default_worker_id()
        self.threads = threads or int(app.config.get("PUBLISH_THREADS", DEFAULT_THREADS))
        self.lease = timedelta(
            seconds=float(app.config.get("PUBLISH_LEASE_SECONDS", DEFAULT_LEASE.total_seconds()))
        )
        self.pool = ThreadPoolExecutor(self.threads, thread_name_prefix="publish")
        self._in_flight: dict[Future[Outcome | None], int] = {}  # the post each send is for
        self._lock = threading.Lock()
        self._ticking = threading.Lock()
        self.stopping = False

    def tick(self) -> list[Future[Outcome | None]]:
        """Recover dead leases, sweep missed and held posts, claim what fits in the pool."""
        with self._ticking:
            if self.stopping:
                return []
            return self._tick()

    def _tick(self) -> list[Future[Outcome | None]]:
        started = time.monotonic()
        now = utcnow()
        futures: list[Future[Outcome | None]] = []
        with self._lock:
            sending = set(self._in_flight.values())
        with self.app.app_context():
            with db.job_session() as session:
                renew_leases(session, self.worker_id, sending, now, self.lease)
                recover_expired_leases(session, now, self.worker_id, self.app.config)
                sweep_missed_and_held(session, self.worker_id, now)
            # Claiming only once a tick capped a worker at PUBLISH_THREADS posts a second however
            # fast the platforms answer: while claims fill the pool, more may be due, so claim
            # again as sends finish, until the tick's time is nearly up.
            while not self.stopping:
                with self._lock:
                    busy = {future for future in self._in_flight if not future.done()}
                remaining = started + 0.8 * TICK_SECONDS - time.monotonic()
                if remaining <= 0:
                    break
                if len(busy) >= self.threads:
                    wait(busy, timeout=remaining, return_when=FIRST_COMPLETED)
                    continue
                free = self.threads - len(busy)
                with db.job_session() as session:
                    claimed = claim_due_posts(session, self.worker_id, utcnow(), free, self.lease)
                # The claim is committed: only now do posts go out.
                for post_id in claimed:
                    future = self.pool.submit(publish_one, self.app, post_id, self.worker_id)
                    with self._lock:
                        self._in_flight[future] = post_id
                    future.add_done_callback(self._done)
                    futures.append(future)
                if len(claimed) < free:
                    break  # nothing else is due: the next tick looks again
        return futures

    def _done(self, future: Future[Outcome | None]) -> None:
        with self._lock:
            self._in_flight.pop(future, None)
        if future.exception() is not None:
            logger.error("publish job failed", exc_info=future.exception())

    def shutdown(self) -> None:
        self.stopping = True
        with self._ticking:  # a tick in progress hands its claims to the pool first
            pass
        # Let the sends in flight finish and record their outcome rather than leave them leased.
        self.pool.shutdown(wait=True)


def run_worker(app: Flask, worker_id: str | None = None, once: bool = False) -> None:
    """Run the publishing worker; ``once`` runs a single tick and waits for its publishes."""
    worker = Worker(app, worker_id)
    if once:
        try:
            wait(worker.tick())
        finally:
            worker.shutdown()
        return

    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = BlockingScheduler(timezone="UTC")
    scheduler.add_job(
        worker.tick,
        "interval",
        seconds=TICK_SECONDS,
        max_instances=1,
        coalesce=True,
        id="publish",
        next_run_time=datetime.now(UTC),  # the first round at start, not a second later
    )
    # Search checks, listening polls and reports, registered by their packages in create_app.
    for register in app.extensions.get("pageone.worker_jobs", []):
        register(scheduler, app)

    def stop(signum: int, _frame: Any) -> None:
        logger.info("worker %s stopping (signal %s)", worker.worker_id, signum)
        # A second signal while the posts in flight finish takes the default action.
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        scheduler.shutdown(wait=False)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    logger.info("worker %s started", worker.worker_id)
    try:
        scheduler.start()
    finally:
        worker.shutdown()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
