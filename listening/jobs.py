"""The worker's listening jobs: poll due sources, check for spikes, alert overdue mentions.

Each source's next poll time lives in the database. Due sources are a queue of
:mod:`core.claims`: a worker claims a batch of them with one statement before any network call,
moving their next poll a lease ahead, so several workers never poll the same source at once and
a worker that dies mid-poll leaves the source due again once the lease is over. A poll that
worked schedules the next one an interval after it began; a source that fails is marked failing
with the reason and backs off; the others go on.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import requests
from flask import Flask
from sqlalchemy import or_

from core import claims
from core.db import db, utcnow
from core.tenants import Brand, archived_brand_ids
from listening import crisis, sla, themes
from listening.fetch import FetchError
from listening.models import MentionSource, SourceKind
from listening.operations import ingest
from listening.sources import SourceError, fetch_source

logger = logging.getLogger("listening.jobs")
events = logging.getLogger("pageone.worker")
MAX_BACKOFF = timedelta(hours=6)
# How long a claimed source is left to its worker: far longer than a poll takes.
POLL_LEASE = timedelta(minutes=10)
# Sources claimed at a time; they are polled one after another.
POLL_BATCH = 10


def _due(now: datetime) -> tuple[Any, ...]:
    return (
        MentionSource.active.is_(True),
        MentionSource.kind != SourceKind.CSV.value,
        # An archived brand is not polled; its sources wait, kept as they are.
        MentionSource.brand_id.not_in(archived_brand_ids()),
        or_(MentionSource.next_poll_at.is_(None), MentionSource.next_poll_at <= now),
    )


SOURCES = claims.Queue(
    name="listening source",
    model=MentionSource,
    due=_due,
    order_by=lambda: (MentionSource.next_poll_at, MentionSource.id),
    # The next poll is the lease: until it comes, no other worker takes the source.
    lease_column=MentionSource.next_poll_at,
    values=lambda now: {"last_polled_at": now},
)


def claim_due_sources(
    session: Any, worker_id: str, now: datetime, limit: int, lease: timedelta = POLL_LEASE
) -> list[int]:
    """Claim up to ``limit`` due sources in one statement; their ids. The caller commits before
    polling them."""
    return [row[0] for row in claims.claim(session, SOURCES, worker_id, now, limit, lease)]


def poll_source(
    app: Flask,
    source_id: int,
    now: datetime | None = None,
    *,
    force: bool = False,
    http: requests.Session | None = None,
    claimed: bool = False,
    worker_id: str | None = None,
) -> dict[str, Any]:
    """Poll one source (claimed first unless ``force``, or ``claimed`` already); what happened,
    for the CLI and logs."""
    now = now or utcnow()
    with app.app_context():
        with db.job_session() as session:
            source = session.get(MentionSource, source_id)
            if source is None or source.kind == SourceKind.CSV.value:
                return {"source": source_id, "status": "skipped"}
            if force:
                source.last_polled_at = now
                source.next_poll_at = now + POLL_LEASE
            elif not claimed and not claims.claim_one(
                session,
                SOURCES,
                source_id,
                worker_id or claims.default_worker_id(),
                now,
                POLL_LEASE,
                _due(now),
            ):
                return {"source": source_id, "status": "not due"}
            session.expunge(source)
        try:
            items = fetch_source(source, app.config, now, http=http)
        except (FetchError, SourceError) as exc:
            return _failed(app, source, now, str(exc))
        except Exception as exc:  # noqa: BLE001 - garbage of any shape marks the source failing
            logger.exception("source %s failed unexpectedly", source_id)
            return _failed(app, source, now, f"unexpected error: {type(exc).__name__}")
        with db.job_session() as session:
            brand = session.get(Brand, source.brand_id)
            stored = session.get(MentionSource, source_id)
            result = ingest(session, brand, stored, items, now)
            stored.failing = False
            stored.last_error = None
            stored.consecutive_failures = 0
            stored.last_ok_at = now
            stored.next_poll_at = now + timedelta(minutes=stored.interval_minutes)
        events.info("listening source %s polled: %s new", source_id, result.new)
        return {
            "source": source_id,
            "status": "ok",
            "new": result.new,
            "duplicates": result.duplicates,
        }


def _failed(app: Flask, source: MentionSource, now: datetime, reason: str) -> dict[str, Any]:
    with db.job_session() as session:
        stored = session.get(MentionSource, source.id)
        if stored is not None:
            stored.failing = True
            stored.last_error = reason[:1000]
            stored.consecutive_failures += 1
            # Back off a failing source: twice the interval per failure, at most six hours.
            stored.next_poll_at = now + claims.backoff(
                stored.consecutive_failures,
                timedelta(minutes=stored.interval_minutes),
                MAX_BACKOFF,
            )
    logger.warning("listening source %s failing: %s", source.id, reason)
    events.info("listening source %s failing; it backs off", source.id)
    return {"source": source.id, "status": "failing", "error": reason}


def poll_due_sources(
    app: Flask, now: datetime | None = None, worker_id: str | None = None
) -> list[dict[str, Any]]:
    """The every-minute job: claim the due sources a batch at a time and poll each."""
    now = now or utcnow()
    worker_id = worker_id or claims.default_worker_id()
    results = []
    with app.app_context():
        while True:
            with db.job_session() as session:
                batch = claim_due_sources(session, worker_id, now, POLL_BATCH)
            for source_id in batch:
                try:
                    results.append(poll_source(app, source_id, now, claimed=True))
                except Exception:  # noqa: BLE001 - the database hiccupped for one source; go on
                    logger.exception("polling source %s failed", source_id)
            if len(batch) < POLL_BATCH:
                return results


def register_jobs(scheduler: Any, app: Flask, worker_id: str | None = None) -> None:
    """Add listening's periodic jobs to the worker's APScheduler scheduler."""
    common = {"max_instances": 1, "coalesce": True, "replace_existing": True}
    scheduler.add_job(
        poll_due_sources,
        "interval",
        minutes=1,
        args=[app, None, worker_id],
        id="listening-poll",
        **common,
    )
    scheduler.add_job(
        crisis.check_spikes, "interval", minutes=5, args=[app], id="listening-spikes", **common
    )
    scheduler.add_job(
        sla.alert_overdue, "interval", minutes=1, args=[app], id="listening-sla", **common
    )
    scheduler.add_job(
        themes.check_themes, "interval", hours=1, args=[app], id="listening-themes", **common
    )
