"""The publishing job of the worker: claims due posts in batches, sends them through their
platform's adapter on a thread pool and records what the platforms answered in batches.

Every step that changes a post is a guarded statement (``… WHERE status = 'scheduled'`` or
``… AND claimed_by = :worker``), so several workers may run at once and a post is sent by at most
one of them. A batch's claim is committed before anything else happens, the start of its sends is
committed before any request leaves, and each outcome is written in a later transaction only
while the post is still claimed by the worker that sent it. Outcomes that arrive together are
written together by one recorder thread.

The database may drop a connection at any step (a restart, a failover, a killed backend). Each
step runs again on a fresh connection until the posts' lease would run out, so an outcome the
worker knows is written once the database is back, and a post that never went out is not
mistaken for one that may have landed (``send_started_at`` tells them apart).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from core.db import db, utcnow
from planner.models import Post

from .adapters import ALLOW_PRIVATE_KEY, Outcome, PublishResult
from .outcomes import DEFAULT_RETRY_FOR, Finished, record_outcomes
from .parts import claim_parts, prepare_part, record_part, recover_expired_parts, send_part
from .queue import (
    DEFAULT_LEASE,
    claim_batch,
    recover_expired_leases,
    renew_leases,
    sweep_missed_and_held,
)
from .sending import Prepared, prepare, send

logger = logging.getLogger("pageone.worker")

DEFAULT_THREADS = 32
TICK_SECONDS = 1.0
# A publish job's short transactions run again on a fresh connection while the database is out of
# reach, waiting at most this long between tries, until the posts' lease would run out.
DB_RETRY_CAP = 2.0
# The most outcomes written in one transaction, and how long the recorder waits for more once
# one has arrived: outcomes arriving together are written together.
RECORD_BATCH = 200
RECORD_GATHER_SECONDS = 0.02
_T = TypeVar("_T")


def _database_unreachable(exc: DBAPIError) -> bool:
    """A dropped connection, or a new one refused or timed out: worth trying again."""
    return exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError)


def in_transaction(job: Callable[[Session], _T], until: float) -> _T:
    """Run ``job`` in a transaction of its own, again on a fresh connection while the database
    is out of reach, until the monotonic time ``until`` (the posts' lease would run out).

    A connection lost to a database restart, a failover or a killed backend would otherwise leave
    posts claimed until their lease runs out, then re-sent or flagged unconfirmed although this
    worker knew the outcome. Each try takes a new session; the engine's pre-ping replaces pooled
    connections that died. The jobs are guarded statements, so running one again is safe: when
    a lost commit had in fact landed, the second run finds the posts no longer claimed.
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


def _notify(app: Flask, post_id: int, outcome: Outcome) -> None:
    """Tell people about an outcome that needs them, once it is committed: a mail or webhook
    failure cannot change it."""
    try:
        from planner.notifications import notify_outcome

        notify_outcome(app, post_id, outcome.value)
    except Exception:  # noqa: BLE001
        logger.exception("notifying about post %s failed", post_id)


def _record(
    app: Flask, worker_id: str, batch: Sequence[Finished], retry_for: timedelta, lease: float
) -> list[bool]:
    """Write a batch of outcomes; one post at a time when the batch as a whole cannot be written
    (so one bad row costs only its own post). Whether each was written."""
    until = time.monotonic() + lease
    try:
        return in_transaction(lambda s: record_outcomes(s, worker_id, batch, retry_for), until)
    except Exception:
        if len(batch) == 1:
            raise
        logger.exception("writing %s outcomes together failed; writing them one by one", len(batch))
    written: list[bool] = []
    for finished in batch:
        try:
            written.extend(
                in_transaction(
                    lambda s, one=finished: record_outcomes(s, worker_id, [one], retry_for), until
                )
            )
        except Exception:  # noqa: BLE001 - the post stays claimed and its lease runs out
            logger.exception("the outcome of post %s was not written", finished.post_id)
            written.append(False)
    return written


def _renew_tokens(app: Flask, channel_ids: set[int]) -> None:
    """Renew the access tokens of these channels that end soon, each committed before its posts
    are prepared: a platform that rotates refresh tokens (X) never has a new one lost."""
    from planner.connections.lifecycle import refresh_due_connections

    try:
        refresh_due_connections(app, utcnow(), channel_ids)
    except Exception:  # noqa: BLE001 - a post with a stale token fails or renews on its 401
        logger.exception("renewing the tokens of channels %s failed", sorted(channel_ids))


def _send(app: Flask, item: Prepared, timeout: float) -> PublishResult:
    """Send the post; when the platform refuses the access token (a 401 publishes nothing),
    renew it once and send once more."""
    result = send(item, timeout)
    rejected = (item.credentials or {}).get("access_token")
    if result.outcome is not Outcome.REAUTH or not rejected:
        return result
    from planner.connections.lifecycle import renew_rejected

    try:
        credentials = renew_rejected(app, item.channel_id, rejected)
    except Exception:  # noqa: BLE001 - the refusal stands
        logger.exception("renewing the token of channel %s failed", item.channel_id)
        return result
    if credentials is None:
        return result
    logger.info("post %s sent again with the renewed token", item.post_id)
    allow = (item.credentials or {}).get(ALLOW_PRIVATE_KEY, "")
    return send(replace(item, credentials={**credentials, ALLOW_PRIVATE_KEY: allow}), timeout)


def publish_parts(
    app: Flask, post_id: int, worker_id: str, claimed: int | None = None
) -> Outcome | None:
    """Publish a published post's parts in order, each claimed, sent and recorded before the
    next is claimed; the last part's outcome (None when no part was ours to send). ``claimed``
    is a part this worker claimed already. Stops at the first part that does not go out."""
    lease = _seconds(app.config, "PUBLISH_LEASE_SECONDS", DEFAULT_LEASE)
    retry_for = _seconds(app.config, "PUBLISH_RETRY_FOR_SECONDS", DEFAULT_RETRY_FOR)
    timeout = float(app.config.get("HTTP_TIMEOUT", 10))
    last: Outcome | None = None
    with app.app_context():
        while True:
            until = time.monotonic() + lease.total_seconds()
            if claimed is None:
                rows = in_transaction(
                    lambda s: claim_parts(s, worker_id, utcnow(), 1, lease, post_id=post_id),
                    until,
                )
                if not rows:
                    return last
                claimed = rows[0][0]
            part_id, claimed = claimed, None
            item = in_transaction(
                lambda s, part=part_id: prepare_part(s, part, worker_id, app.config, utcnow()),
                until,
            )
            if item is None:
                return last
            result = send_part(item, timeout)
            written = in_transaction(
                lambda s, item=item, result=result: record_part(
                    s, worker_id, item, result, utcnow(), retry_for
                ),
                time.monotonic() + lease.total_seconds(),
            )
            last = result.outcome
            if not written or result.outcome is not Outcome.PUBLISHED:
                if written and result.outcome is not Outcome.RETRY:
                    _notify(app, post_id, result.outcome)
                return last


def publish_one(app: Flask, post_id: int, worker_id: str) -> Outcome | None:
    """Send one claimed post and record the outcome; None when the post is no longer ours."""
    with app.app_context():
        lease = _seconds(app.config, "PUBLISH_LEASE_SECONDS", DEFAULT_LEASE).total_seconds()
        retry_for = _seconds(app.config, "PUBLISH_RETRY_FOR_SECONDS", DEFAULT_RETRY_FOR)
        # Until the claim would run out: a post that cannot even be read by then stays claimed
        # without a send begun, and the recovery puts it back in the queue.
        try:
            with db.job_session() as session:
                channel_id = session.scalar(select(Post.channel_id).where(Post.id == post_id))
        except DBAPIError:  # out of reach: the preparation below waits for the database
            channel_id = None
        if channel_id is not None:
            _renew_tokens(app, {channel_id})
        prepared = in_transaction(
            lambda s: prepare(s, [post_id], worker_id, app.config, utcnow()),
            time.monotonic() + lease,
        )
        if not prepared:
            return None
        result = _send(app, prepared[0], float(app.config.get("HTTP_TIMEOUT", 10)))
        # The outcome is known: it is written once the database is back, for as long as the
        # claim would last from now.
        (applied,) = _record(
            app, worker_id, [Finished(prepared[0], result, utcnow())], retry_for, lease
        )
        if applied and result.outcome is not Outcome.PUBLISHED:
            _notify(app, post_id, result.outcome)
        if applied and result.outcome is Outcome.PUBLISHED and prepared[0].has_parts:
            publish_parts(app, post_id, worker_id)
        return result.outcome if applied else None


class Publisher:
    """The publishing job of one worker process: a periodic tick that renews its claims, recovers
    dead workers' posts, sweeps missed and held posts, then claims batches of due posts and sends
    them on a thread pool while a recorder thread writes their outcomes in batches."""

    def __init__(self, app: Flask, worker_id: str, threads: int | None = None):
        self.app = app
        self.worker_id = worker_id
        self.threads = threads or int(app.config.get("PUBLISH_THREADS", DEFAULT_THREADS))
        self.lease = _seconds(app.config, "PUBLISH_LEASE_SECONDS", DEFAULT_LEASE)
        self.retry_for = _seconds(app.config, "PUBLISH_RETRY_FOR_SECONDS", DEFAULT_RETRY_FOR)
        self.timeout = float(app.config.get("HTTP_TIMEOUT", 10))
        self.pool = ThreadPoolExecutor(self.threads, thread_name_prefix="publish")
        self.notifier = ThreadPoolExecutor(2, thread_name_prefix="notify")
        # Each claimed post's future, until its outcome is written (or it was handed back).
        self._in_flight: dict[int, Future[Outcome | None]] = {}
        self._sending = 0
        self._room = threading.Condition()
        self._finished: queue.Queue[Finished | None] = queue.Queue()
        self._recorder: threading.Thread | None = None
        self._ticking = threading.Lock()
        self.stopping = False

    def tick(self) -> list[Future[Outcome | None]]:
        """Renew, recover, sweep, then claim what fits in the pool; a future per post claimed,
        done once its outcome is written."""
        with self._ticking:
            if self.stopping:
                return []
            return self._tick()

    def _tick(self) -> list[Future[Outcome | None]]:
        if self._recorder is None:
            self._recorder = threading.Thread(target=self._record_loop, name="record", daemon=True)
            self._recorder.start()
        started = time.monotonic()
        now = utcnow()
        with self._room:
            holding = set(self._in_flight)
        with self.app.app_context():
            with db.job_session() as session:
                renew_leases(session, self.worker_id, holding, now, self.lease)
                recover_expired_leases(session, now, self.worker_id, self.app.config)
                recover_expired_parts(session, now, self.worker_id, self.app.config)
                sweep_missed_and_held(session, self.worker_id, now)
            # Parts that fell due since the last tick: retried ones, and those of posts
            # published by a worker that stopped before sending them.
            futures: list[Future[Outcome | None]] = self._claim_parts()
            # While claims fill the pool, more may be due: claim again as sends finish, until
            # the tick's time is nearly up. Claims wait for a quarter of the pool to be free, so
            # that a burst is claimed, marked and recorded in batches rather than post by post.
            # A tick claims at least once, even when the upkeep above took its whole time (a
            # slow database, a busy machine): otherwise due posts would wait for a quieter tick.
            first = True
            while not self.stopping:
                remaining = started + 0.8 * TICK_SECONDS - time.monotonic()
                if remaining <= 0 and not first:
                    break
                first = False
                free = self._wait_for_room(max(remaining, 0.0))
                if free == 0:
                    continue
                claimed = self._claim_and_send(free)
                futures.extend(claimed)
                if len(claimed) < free:
                    break  # nothing else is due: the next tick looks again
        return futures

    def _wait_for_room(self, timeout: float) -> int:
        """Free threads, once at least a quarter of the pool (or all of it) is free."""
        wanted = max(1, self.threads // 4)
        deadline = time.monotonic() + timeout
        with self._room:
            while self.threads - self._sending < wanted:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._room.wait(left)
            return max(0, self.threads - self._sending)

    def _claim_and_send(self, free: int) -> list[Future[Outcome | None]]:
        lease = self.lease.total_seconds()
        with db.job_session() as session:
            claimed = claim_batch(session, self.worker_id, utcnow(), free, self.lease)
        if not claimed:
            return []
        futures = {post.post_id: Future() for post in claimed}
        with self._room:
            self._in_flight.update(futures)
        _renew_tokens(self.app, {post.channel_id for post in claimed})
        # The claim is committed; the start of the sends is committed next, then they go out.
        try:
            prepared = in_transaction(
                lambda s: prepare(s, list(futures), self.worker_id, self.app.config, utcnow()),
                time.monotonic() + lease,
            )
        except Exception:
            # Nothing was sent: the claims run out and the recovery puts the posts back.
            for post_id in futures:
                self._settle(post_id, None)
            raise
        going = {item.post_id for item in prepared}
        for post_id in set(futures) - going:
            self._settle(post_id, None)  # handed back, or no longer ours
        for item in prepared:
            if item.problem:
                self._finished.put(Finished(item, send(item, self.timeout), utcnow()))
                continue
            with self._room:
                self._sending += 1
            self.pool.submit(self._send, item)
        return list(futures.values())

    def _claim_parts(self) -> list[Future[Outcome | None]]:
        with self._room:
            free = max(0, self.threads - self._sending)
        if free == 0:
            return []
        with db.job_session() as session:
            rows = claim_parts(session, self.worker_id, utcnow(), free, self.lease)
        futures: list[Future[Outcome | None]] = []
        for part_id, post_id in rows:
            future: Future[Outcome | None] = Future()
            futures.append(future)
            self._chase(post_id, future, part_id)
        return futures

    def _chase(
        self,
        post_id: int,
        future: Future[Outcome | None],
        claimed: int | None,
        post_outcome: Outcome | None = None,
    ) -> None:
        """Publish the post's parts on the pool; ``future`` gets ``post_outcome`` when given
        (the post's own future), else the last part's outcome."""

        def run() -> None:
            outcome = None
            try:
                outcome = publish_parts(self.app, post_id, self.worker_id, claimed)
            except Exception:  # noqa: BLE001 - the part's claim runs out and is recovered
                logger.exception("publishing the parts of post %s failed", post_id)
            finally:
                with self._room:
                    self._sending -= 1
                    self._room.notify_all()
                if not future.done():
                    future.set_result(post_outcome or outcome)

        with self._room:
            self._sending += 1
        try:
            self.pool.submit(run)
        except RuntimeError:  # shutting down: the next worker's tick sends the parts
            with self._room:
                self._sending -= 1
            if not future.done():
                future.set_result(post_outcome)

    def _send(self, item: Prepared) -> None:
        try:
            result = _send(self.app, item, self.timeout)
            self._finished.put(Finished(item, result, utcnow()))
        finally:
            with self._room:
                self._sending -= 1
                self._room.notify_all()

    def _settle(self, post_id: int, outcome: Outcome | None) -> None:
        """The post is no longer in flight: its future says how it ended (None: not ours)."""
        with self._room:
            future = self._in_flight.pop(post_id, None)
        if future is not None and not future.done():
            future.set_result(outcome)

    def _record_loop(self) -> None:
        """Write outcomes as they arrive, all those waiting in one transaction."""
        while True:
            first = self._finished.get()
            if first is None:
                return
            batch = [first]
            stop = False
            gathered = time.monotonic() + RECORD_GATHER_SECONDS
            while len(batch) < RECORD_BATCH:
                try:
                    more = self._finished.get(timeout=max(0.0, gathered - time.monotonic()))
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                batch.append(more)
            self._write(batch)
            if stop:
                return

    def _write(self, batch: list[Finished]) -> None:
        with self.app.app_context():
            try:
                written = _record(
                    self.app, self.worker_id, batch, self.retry_for, self.lease.total_seconds()
                )
            except Exception:  # noqa: BLE001 - the posts stay claimed and their leases run out
                logger.exception("outcomes of %s posts were not written", len(batch))
                written = [False] * len(batch)
        for finished, applied in zip(batch, written, strict=True):
            outcome = finished.result.outcome
            if applied and outcome is Outcome.PUBLISHED and finished.prepared.has_parts:
                # The post's future is done once its parts are out too.
                with self._room:
                    future = self._in_flight.pop(finished.post_id, None)
                self._chase(finished.post_id, future or Future(), None, outcome)
                continue
            self._settle(finished.post_id, outcome if applied else None)
            if applied and outcome is not Outcome.PUBLISHED:
                self.notifier.submit(_notify, self.app, finished.post_id, outcome)

    def shutdown(self) -> None:
        """Stop claiming, let the sends in flight finish and their outcomes be written."""
        self.stopping = True
        with self._ticking:  # a tick in progress hands its claims to the pool first
            pass
        self.pool.shutdown(wait=True)
        if self._recorder is not None:
            self._finished.put(None)
            self._recorder.join()
        self.notifier.shutdown(wait=True)


def register_jobs(scheduler: Any, app: Flask, worker_id: str | None = None) -> Callable[[], None]:
    """Add publishing to the worker's scheduler: a tick every second, the first at once. What
    to call when the worker stops (the sends in flight finish and are recorded)."""
    from core.claims import default_worker_id

    publisher = Publisher(app, worker_id or default_worker_id())
    scheduler.add_job(
        publisher.tick,
        "interval",
        seconds=TICK_SECONDS,
        max_instances=1,
        coalesce=True,
        id="publish",
        next_run_time=datetime.now(UTC),  # the first round at start, not a second later
    )
    return publisher.shutdown


def run_worker(app: Flask, worker_id: str | None = None, once: bool = False) -> None:
    """Run the worker (every feature's jobs); ``once`` runs a single publishing round and waits
    for its posts."""
    from core.claims import default_worker_id
    from core.worker import run_worker as run_host

    if not once:
        run_host(app, worker_id)
        return
    publisher = Publisher(app, worker_id or default_worker_id())
    try:
        wait(publisher.tick())
    finally:
        publisher.shutdown()
