"""The worker's periodic search-tracking job: check due queries, drop expired raw pages."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from flask import Flask

from core.db import db, utcnow
from serp.checks import default_worker_id, expire_raw_pages, run_due_checks

logger = logging.getLogger("serp.jobs")
INTERVAL_SECONDS = 60
DEFAULT_BATCH = 200


def due_checks_job(app: Flask, worker_id: str | None = None) -> dict[str, int]:
    """One round: claim and run up to SERP_CHECKS_PER_ROUND due queries, then expire raw pages."""
    limit = int(app.config.get("SERP_CHECKS_PER_ROUND", DEFAULT_BATCH))
    counts = run_due_checks(app, limit, worker_id or default_worker_id())
    with app.app_context():
        with db.job_session() as session:
            counts["raw_expired"] = expire_raw_pages(session, utcnow())
    if counts["claimed"]:
        logger.info("serp checks: %s", counts)
    return counts


def register_jobs(scheduler: Any, app: Flask, worker_id: str | None = None) -> None:
    """Add the search-tracking job to the worker's APScheduler scheduler (every 60 s)."""
    scheduler.add_job(
        due_checks_job,
        "interval",
        seconds=INTERVAL_SECONDS,
        args=[app, worker_id],
        id="serp-due-checks",
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(UTC),
    )
