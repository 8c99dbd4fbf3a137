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
DEFAULT_LIMIT = 100_000
# A round keeps claiming while queries are due, for up to this long, so a weekly run of many
# queries goes at the providers' pace instead of one batch a minute; the bound keeps a stopping
# worker from waiting long for the round to end (the next round carries on).
ROUND_BUDGET_SECONDS = 300


def due_checks_job(app: Flask, worker_id: str | None = None) -> dict[str, int]:
    """One round: check due queries until none are due (or the round's time is up), then drop
    expired raw pages."""
    counts = run_due_checks(
        app,
        int(app.config.get("SERP_CHECKS_PER_ROUND", DEFAULT_LIMIT)),
        worker_id or default_worker_id(),
        budget_seconds=float(app.config.get("SERP_ROUND_BUDGET_SECONDS", ROUND_BUDGET_SECONDS)),
    )
    with app.app_context(), db.job_session() as session:
        counts["raw_expired"] = expire_raw_pages(session, utcnow())
    if counts["claimed"]:
        logger.info("serp checks: %s", counts)
    return counts


def weekly_reports_job(app: Flask) -> dict[str, int]:
    """Mail each brand its weekly report; several workers may run it, each week goes once."""
    from serp.reports import send_weekly_reports

    counts = send_weekly_reports(app, utcnow())
    if counts["sent"] or counts["failed"]:
        logger.info("weekly reports: %s", counts)
    return counts


def register_jobs(scheduler: Any, app: Flask, worker_id: str | None = None) -> None:
    """Add the search-tracking jobs to the worker's APScheduler scheduler: due checks every
    60 s, and the weekly reports on Monday at noon UTC, after a week of checks."""
    scheduler.add_job(
        weekly_reports_job,
        "cron",
        day_of_week="mon",
        hour=12,
        args=[app],
        id="serp-weekly-reports",
        max_instances=1,
        coalesce=True,
    )
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
