"""The worker's metric reads: each published post gets three reads, due 1 h, 24 h and 7 days after
publication (rows of ``post_metric_reads``), claimed through :mod:`core.claims` so that no two
workers read the same one.

A round schedules the reads of newly published posts, claims a batch of due ones and commits that
claim before any request leaves. Each read renews the channel's token when it ends soon
(``refresh_if_needed``), reads the platform, and on a refused token renews it once and reads once
more. A failure backs off (``claims.backoff``); a channel that must be connected again, a
platform that reports nothing (webhook) or a read far past its time is skipped with the reason.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import exists, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core import claims
from core.crypto import CredentialsUnreadable, decrypt_json
from core.db import db, utcnow
from planner.models import Channel, Post, PostStatus
from planner.publishing.adapters import ALLOW_PRIVATE_KEY

from .models import MetricRead, ReadKind, ReadStatus
from .readers import Metrics, NoMetrics, ReadFailed, read_metrics

logger = logging.getLogger("pageone.worker")

LEASE = timedelta(minutes=5)
BATCH = 20
MAX_ATTEMPTS = 6
FIRST_BACKOFF = timedelta(minutes=5)
BACKOFF_CAP = timedelta(hours=6)
# Posts published longer ago than this get no reads scheduled (their 7-day read is past).
SCHEDULE_HORIZON = timedelta(days=8)
ROUND_SECONDS = 60

READS = claims.Queue(
    name="metric read",
    model=MetricRead,
    due=lambda now: (
        MetricRead.status == ReadStatus.DUE.value,
        MetricRead.due_at <= now,
        or_(MetricRead.next_attempt_at.is_(None), MetricRead.next_attempt_at <= now),
        or_(MetricRead.claimed_by.is_(None), MetricRead.lease_until < now),
    ),
    order_by=lambda: (MetricRead.due_at, MetricRead.id),
    lease_column=MetricRead.lease_until,
    holder_column=MetricRead.claimed_by,
    returning=lambda: (MetricRead.post_id, MetricRead.kind, MetricRead.due_at),
)


def schedule_reads(session: Session, now: datetime) -> int:
    """Add the three reads of each post published within the horizon that has none yet; how
    many were added. Two workers may schedule at once: the first insert of a read stays."""
    posts = session.execute(
        select(Post.id, Post.published_at).where(
            Post.status == PostStatus.PUBLISHED.value,
            Post.published_at.is_not(None),
            Post.published_at > now - SCHEDULE_HORIZON,
            ~exists().where(MetricRead.post_id == Post.id),
        )
    ).all()
    rows = [
        {
            "post_id": post_id,
            "kind": kind.value,
            "due_at": published_at + kind.after,
            "status": ReadStatus.DUE.value,
            "attempts": 0,
        }
        for post_id, published_at in posts
        for kind in ReadKind
    ]
    if not rows:
        return 0
    dialect = {"postgresql": postgresql, "sqlite": sqlite}.get(session.get_bind().dialect.name)
    if dialect is None:  # another database: one at a time, skipping existing ones
        for row in rows:
            present = session.scalar(
                select(MetricRead.id).where(
                    MetricRead.post_id == row["post_id"], MetricRead.kind == row["kind"]
                )
            )
            if present is None:
                session.add(MetricRead(**row))
        session.flush()
        return len(rows)
    statement = dialect.insert(MetricRead.__table__).on_conflict_do_nothing(
        index_elements=["post_id", "kind"]
    )
    session.execute(statement, rows)
    return len(rows)


def _finish(session: Session, read_id: int, worker_id: str, **values: Any) -> bool:
    """Write a read's outcome while this worker still holds it; whether it was written."""
    return (
        session.execute(
            update(MetricRead)
            .where(MetricRead.id == read_id, claims.held_by(READS, worker_id))
            .values(claimed_by=None, lease_until=None, **values)
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )


def _skip(session: Session, read_id: int, worker_id: str, reason: str) -> bool:
    logger.info("metric read %s skipped: %s", read_id, reason)
    return _finish(session, read_id, worker_id, status=ReadStatus.SKIPPED.value, reason=reason)


def _credentials(channel: Channel, config: Mapping[str, Any]) -> dict[str, Any] | None:
    try:
        credentials = decrypt_json(channel.credentials_encrypted, config)
    except CredentialsUnreadable:
        return None
    if not credentials:
        return None
    return {**credentials, ALLOW_PRIVATE_KEY: "1" if config.get("OUTBOUND_ALLOW_PRIVATE") else ""}


def _prepare(
    app: Flask, read_id: int, worker_id: str, now: datetime
) -> tuple[str, str, int, dict[str, Any]] | None:
    """What a claimed read needs (platform, platform post id, channel id, credentials), having
    renewed a token that ends soon; None when the read was skipped instead."""
    from planner.connections.lifecycle import Refresh, refresh_if_needed

    with db.job_session() as session:
        row = session.execute(
            select(MetricRead, Post, Channel)
            .join(Post, MetricRead.post_id == Post.id)
            .join(Channel, Post.channel_id == Channel.id)
            .where(MetricRead.id == read_id, claims.held_by(READS, worker_id))
        ).first()
        if row is None:
            return None
        read, post, channel = row
        kind = ReadKind(read.kind)
        if now - read.due_at > kind.after:
            _skip(session, read_id, worker_id, f"missed: not read within {kind.label} of its time")
            return None
        if not post.platform_post_id and channel.platform != "webhook":
            _skip(session, read_id, worker_id, "the platform gave no id for this post")
            return None
        if channel.needs_reauth:
            _skip(session, read_id, worker_id, "the channel must be connected again")
            return None
        if refresh_if_needed(session, channel, now, app.config) is Refresh.NEEDS_REAUTH:
            _skip(session, read_id, worker_id, "the channel must be connected again")
            return None
        credentials = _credentials(channel, app.config)
        if credentials is None:
            _skip(session, read_id, worker_id, "the channel's credentials cannot be read")
            return None
        return channel.platform, post.platform_post_id or "", channel.id, credentials


def _read(
    app: Flask, platform: str, platform_id: str, channel_id: int, credentials: dict[str, Any]
) -> Metrics:
    """Read the metrics; when the platform refuses the token, renew it once and read again."""
    from planner.connections.lifecycle import renew_rejected

    timeout = float(app.config.get("HTTP_TIMEOUT", 10))
    try:
        return read_metrics(platform, platform_id, credentials, timeout=timeout)
    except ReadFailed as exc:
        rejected = credentials.get("access_token")
        if not exc.reauth or not rejected:
            raise
        renewed = renew_rejected(app, channel_id, rejected)
        if renewed is None:
            raise
        logger.info("channel %s: reading again with the renewed token", channel_id)
        allow = credentials.get(ALLOW_PRIVATE_KEY, "")
        return read_metrics(
            platform, platform_id, {**renewed, ALLOW_PRIVATE_KEY: allow}, timeout=timeout
        )


def read_one(app: Flask, read_id: int, worker_id: str, now: datetime | None = None) -> str | None:
    """Take one claimed read to its end (or its next try); its status, None when not ours."""
    now = now or utcnow()
    prepared = _prepare(app, read_id, worker_id, now)
    if prepared is None:
        return None
    platform, platform_id, channel_id, credentials = prepared
    try:
        metrics = _read(app, platform, platform_id, channel_id, credentials)
    except NoMetrics as exc:
        with db.job_session() as session:
            _skip(session, read_id, worker_id, str(exc))
        return ReadStatus.SKIPPED.value
    except ReadFailed as exc:
        return _failed(read_id, worker_id, exc)
    except Exception as exc:  # noqa: BLE001 - a reader bug must not leave the read claimed
        logger.exception("reading metrics %s raised", read_id)
        return _failed(read_id, worker_id, ReadFailed(f"the reader failed ({type(exc).__name__})"))
    with db.job_session() as session:
        _finish(
            session,
            read_id,
            worker_id,
            status=ReadStatus.DONE.value,
            fetched_at=max(now, utcnow()),
            likes=metrics.likes,
            comments=metrics.comments,
            shares=metrics.shares,
            impressions=metrics.impressions,
            reason=None,
        )
    return ReadStatus.DONE.value


def _failed(read_id: int, worker_id: str, exc: ReadFailed) -> str:
    with db.job_session() as session:
        attempts = (
            session.scalar(select(MetricRead.attempts).where(MetricRead.id == read_id)) or 0
        ) + 1
        if exc.reauth:
            _skip(session, read_id, worker_id, f"connect the channel again: {exc.reason}")
            return ReadStatus.SKIPPED.value
        if exc.final or attempts >= MAX_ATTEMPTS:
            _skip(session, read_id, worker_id, exc.reason)
            return ReadStatus.SKIPPED.value
        wait = claims.backoff(attempts, FIRST_BACKOFF, BACKOFF_CAP, exc.retry_after)
        _finish(
            session,
            read_id,
            worker_id,
            attempts=attempts,
            next_attempt_at=utcnow() + wait,
            reason=exc.reason,
        )
        logger.info("metric read %s failed (%s); next try in %s", read_id, exc.reason, wait)
    return ReadStatus.DUE.value


def run_reads(app: Flask, worker_id: str, now: datetime | None = None) -> dict[str, int]:
    """One round: schedule new posts' reads, claim the due ones, read them; counts by status."""
    now = now or utcnow()
    counts: dict[str, int] = {}
    with app.app_context():
        with db.job_session() as session:
            schedule_reads(session, now)
            claimed = claims.claim(session, READS, worker_id, now, BATCH, LEASE)
        waiting = [row[0] for row in claimed]
        for row in claimed:
            # Reads later in the batch keep their claim while the earlier ones take their time.
            with db.job_session() as session:
                claims.renew(session, READS, worker_id, waiting, utcnow(), LEASE)
            waiting.remove(row[0])
            try:
                status = read_one(app, row[0], worker_id, now)
            except Exception:  # noqa: BLE001 - the claim runs out and another round tries
                logger.exception("metric read %s failed", row[0])
                continue
            if status is not None:
                counts[status] = counts.get(status, 0) + 1
    return counts


def register_jobs(scheduler: Any, app: Flask, worker_id: str | None = None) -> None:
    """Add the metric reads to the worker: a round every minute."""
    worker_id = worker_id or claims.default_worker_id()
    scheduler.add_job(
        run_reads,
        "interval",
        seconds=ROUND_SECONDS,
        args=[app, worker_id],
        id="engagement-reads",
        max_instances=1,
        coalesce=True,
        replace_existing=True,
    )
