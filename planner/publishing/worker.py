"""The publishing worker: claims due posts, sends them through their platform's adapter and
records what the platform answered.

Every step that changes a post is a guarded statement (``… WHERE status = 'scheduled'`` or
``… AND claimed_by = :worker``), so several workers may run at once and a post is sent by at most
one of them. A claim is committed before any network call; the outcome is recorded in a new
transaction only while the post is still claimed by the worker that sent it.
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
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from core import audit
from core.crypto import CredentialsUnreadable, decrypt_json
from core.db import db, utcnow
from planner.assets import record_published_post
from planner.models import Brand, Channel, Post, PostStatus

from .adapters import ALLOW_PRIVATE_KEY, Outcome, OutgoingPost, PublishResult, get_adapter

logger = logging.getLogger("planner.publishing.worker")

MAX_ATTEMPTS = 5
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
# Tries of a publish job's short transaction when the database connection drops under it; the
# outcome of a send that went out is worth waiting longer for (about half a minute in all): while
# it is being written the post stays in flight and its lease is renewed.
DB_ATTEMPTS = 5
RECORD_ATTEMPTS = 10
DB_RETRY_CAP = 5.0
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
        .where(*_due(now), Brand.paused_at.is_(None))
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


def recover_expired_leases(session: Session, now: datetime, worker_id: str = "recovery") -> int:
    """Posts whose worker died mid-send: retried where the platform de-duplicates, else flagged.
    A worker renews its own in-flight posts' leases first (:func:`renew_leases`), in the same
    transaction, so a send that is still going on is never taken back."""
    rows = session.execute(
        select(Post.id, Post.claimed_by, Channel.platform, Channel.brand_id)
        .join(Channel, Post.channel_id == Channel.id)
        .where(Post.status == PostStatus.PUBLISHING.value, Post.lease_until < now)
    ).all()
    recovered = 0
    for post_id, claimed_by, platform, brand_id in rows:
        guard = update(Post).where(
            Post.id == post_id,
            Post.status == PostStatus.PUBLISHING.value,
            Post.claimed_by == claimed_by,
            Post.lease_until < now,
        )
        cleared = {"claimed_by": None, "lease_until": None, "updated_at": now}
        if platform in SAFE_TO_RESEND:
            status, values = PostStatus.SCHEDULED, {"next_attempt_at": None}
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


def _outgoing(post: Post, platform: str) -> OutgoingPost:
    title = slug = None
    if platform == "wordpress":
        # A stable slug lets the adapter find a post an earlier attempt created.
        title = (post.text.strip().splitlines() or [""])[0][:120] or f"Post {post.id}"
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


def _prepare(session: Session, post_id: int, worker_id: str, config: Mapping[str, Any]):
    post = session.get(Post, post_id)
    if post is None or post.status != PostStatus.PUBLISHING or post.claimed_by != worker_id:
        return None
    if post.lease_until is not None and post.lease_until <= utcnow():
        # The claim ran out before the send began (the database was out of reach): another
        # worker may be taking the post back this moment, so it is left to the recovery.
        return None
    channel = post.channel
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
    return _Prepared(
        outgoing=_outgoing(post, channel.platform),
        platform=channel.platform,
        channel_id=channel.id,
        brand_id=channel.brand_id,
        attempts=post.attempts,
        credentials=credentials,
        problem=problem,
    )


def record_outcome(
    session: Session,
    post_id: int,
    worker_id: str,
    prepared: _Prepared,
    result: PublishResult,
    now: datetime,
) -> bool:
    """Write what the platform answered, only while the post is still ours; whether it was."""
    attempt = prepared.attempts + 1
    values: dict[str, Any] = {"claimed_by": None, "lease_until": None, "updated_at": now}
    action: str
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
    elif result.outcome is Outcome.RETRY and attempt < MAX_ATTEMPTS:
        action = "post.rescheduled"
        values |= {
            "status": PostStatus.SCHEDULED.value,
            "attempts": attempt,
            "next_attempt_at": now + backoff(prepared.attempts, result.retry_after),
            "last_error": result.reason,
        }
    elif result.outcome is Outcome.RETRY:
        action = "post.failed"
        values |= {
            "status": PostStatus.FAILED.value,
            "attempts": attempt,
            "last_error": f"gave up after {attempt} attempts: {result.reason}",
        }
    elif result.outcome is Outcome.UNCONFIRMED:
        action = "post.unconfirmed"
        values |= {
            "status": PostStatus.UNCONFIRMED.value,
            "attempts": attempt,
            "last_error": result.reason,
        }
    else:  # FAILED, REAUTH
        action = "post.failed"
        values |= {"status": PostStatus.FAILED.value, "attempts": attempt}
        values["last_error"] = result.reason or "the platform refused the post"
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
        response_excerpt=(result.response_excerpt or "")[:EXCERPT_LENGTH] or None,
        reason=result.reason,
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
            reason=result.reason,
        )
    if result.outcome is Outcome.PUBLISHED and result.url:
        # The published URL is an owned asset: search tracking recognises it in results.
        post = session.get(Post, post_id, populate_existing=True)
        if post is not None:
            record_published_post(session, post)
    return True


def _in_transaction(job: Callable[[Session], _T], attempts: int = DB_ATTEMPTS) -> _T:
    """Run ``job`` in a transaction of its own, again on a new connection if the old one dropped.

    A connection lost to a database restart, a failover or a killed backend would otherwise leave
    the post claimed until its lease runs out, then re-sent or flagged unconfirmed although this
    worker knew the outcome. The jobs are guarded statements, so running one again is safe: when
    a lost commit had in fact landed, the second run finds the post no longer claimed.
    """
    for attempt in range(1, attempts + 1):
        try:
            with db.job_session() as session:
                return job(session)
        except DBAPIError as exc:
            if not exc.connection_invalidated or attempt == attempts:
                raise
            logger.warning("database connection lost (%s); running the job again", exc.orig)
            time.sleep(min(0.25 * 2 ** (attempt - 1), DB_RETRY_CAP))
    raise AssertionError("unreachable")


def publish_one(app: Flask, post_id: int, worker_id: str) -> Outcome | None:
    """Send one claimed post and record the outcome; None when the post is no longer ours."""
    with app.app_context():
        prepared = _in_transaction(lambda s: _prepare(s, post_id, worker_id, app.config))
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
            except Exception as exc:  # noqa: BLE001 - a bug must not leave the post claimed
                logger.exception("publishing post %s raised", post_id)
                # The request may have gone out before the error: a person must look.
                result = PublishResult(
                    Outcome.UNCONFIRMED,
                    reason=f"the worker failed while publishing ({type(exc).__name__}); "
                    "check the platform before re-sending",
                )
        applied = _in_transaction(
            lambda s: record_outcome(s, post_id, worker_id, prepared, result, utcnow()),
            RECORD_ATTEMPTS,
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
                recover_expired_leases(session, now, self.worker_id)
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
