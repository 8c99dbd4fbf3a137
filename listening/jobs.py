"""The worker's listening jobs: poll due sources, check for spikes, alert overdue mentions.

Each source's next poll time lives in the database; a worker claims a due source with one
conditional UPDATE before any network call, so several workers never poll the same source twice
in a round. A source that fails is marked failing with the reason and backs off; the others go on.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import requests
from flask import Flask
from sqlalchemy import or_, select, update

from core.db import db, utcnow
from core.tenants import Brand, archived_brand_ids
from listening import crisis, sla
from listening.fetch import FetchError
from listening.models import MentionSource, SourceKind
from listening.operations import ingest
from listening.sources import SourceError, fetch_source

logger = logging.getLogger("listening.jobs")
MAX_BACKOFF = timedelta(hours=6)


def _claim(session: Any, source: MentionSource, now: datetime) -> bool:
    claimed = session.execute(
        update(MentionSource)
        .where(
            MentionSource.id == source.id,
            MentionSource.active.is_(True),
            MentionSource.brand_id.not_in(archived_brand_ids()),
            or_(MentionSource.next_poll_at.is_(None), MentionSource.next_poll_at <= now),
        )
        .values(next_poll_at=now + timedelta(minutes=source.interval_minutes), last_polled_at=now)
    )
    return claimed.rowcount == 1


def poll_source(
    app: Flask,
    source_id: int,
    now: datetime | None = None,
    *,
    force: bool = False,
    http: requests.Session | None = None,
) -> dict[str, Any]:
    """Poll one source (claimed first unless ``force``); what happened, for the CLI and logs."""
    now = now or utcnow()
    with app.app_context():
        with db.job_session() as session:
            source = session.get(MentionSource, source_id)
            if source is None or source.kind == SourceKind.CSV.value:
                return {"source": source_id, "status": "skipped"}
            if force:
                source.last_polled_at = now
                source.next_poll_at = now + timedelta(minutes=source.interval_minutes)
            elif not _claim(session, source, now):
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
            delay = timedelta(minutes=stored.interval_minutes) * (
                2 ** min(stored.consecutive_failures - 1, 8)
            )
            stored.next_poll_at = now + min(delay, MAX_BACKOFF)
    logger.warning("listening source %s failing: %s", source.id, reason)
    return {"source": source.id, "status": "failing", "error": reason}


def poll_due_sources(app: Flask, now: datetime | None = None) -> list[dict[str, Any]]:
    """The every-minute job: poll each active source whose time has come."""
    now = now or utcnow()
    with app.app_context():
        with db.job_session() as session:
            due = list(
                session.scalars(
                    select(MentionSource.id)
                    .where(
                        MentionSource.active.is_(True),
                        MentionSource.kind != SourceKind.CSV.value,
                        # An archived brand is not polled; its sources wait, kept as they are.
                        MentionSource.brand_id.not_in(archived_brand_ids()),
                        or_(
                            MentionSource.next_poll_at.is_(None), MentionSource.next_poll_at <= now
                        ),
                    )
                    .order_by(MentionSource.next_poll_at)
                )
            )
    results = []
    for source_id in due:
        try:
            results.append(poll_source(app, source_id, now))
        except Exception:  # noqa: BLE001 - the database hiccupped for one source; go on
            logger.exception("polling source %s failed", source_id)
    return results


def register_jobs(scheduler: Any, app: Flask) -> None:
    """Add listening's periodic jobs to the worker's APScheduler scheduler."""
    common = {"max_instances": 1, "coalesce": True, "replace_existing": True}
    scheduler.add_job(
        poll_due_sources, "interval", minutes=1, args=[app], id="listening-poll", **common
    )
    scheduler.add_job(
        crisis.check_spikes, "interval", minutes=5, args=[app], id="listening-spikes", **common
    )
    scheduler.add_job(
        sla.alert_overdue, "interval", minutes=1, args=[app], id="listening-sla", **common
    )
