"""The worker's periodic search-tracking jobs: check due queries, keep the displacement figures
of the brands checked ready for their next view, drop expired raw pages; mail weekly reports."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import or_, select, update

from core.claims import default_worker_id
from core.db import db, utcnow
from core.tenants import Brand, archived_brand_ids
from planner.assets import OwnedAsset
from serp import upkeep
from serp.checks import expire_raw_pages, run_due_checks
from serp.models import TrackedQuery
from serp.query_figures import QueryFigures
from serp.summaries import SummaryLabels

logger = logging.getLogger("serp.jobs")
events = logging.getLogger("pageone.worker")
INTERVAL_SECONDS = 60
DEFAULT_LIMIT = 100_000
# A round keeps claiming while queries are due, for up to this long, so a weekly run of many
# queries goes at the providers' pace instead of one batch a minute; the bound keeps a stopping
# worker from waiting long for the round to end (the next round carries on).
ROUND_BUDGET_SECONDS = 300


def due_checks_job(app: Flask, worker_id: str | None = None) -> dict[str, int]:
    """One round: check due queries until none are due (or the round's time is up), keep the
    figures of the brands checked, then drop expired raw pages."""
    checked: set[int] = set()

    def done(query_id: int, status: str) -> None:
        checked.add(query_id)
        events.info("search check %s: %s", query_id, status)

    with app.app_context(), db.job_session() as session:
        postpone_archived_checks(session, utcnow())
    counts = run_due_checks(
        app,
        int(app.config.get("SERP_CHECKS_PER_ROUND", DEFAULT_LIMIT)),
        worker_id or default_worker_id(),
        budget_seconds=float(app.config.get("SERP_ROUND_BUDGET_SECONDS", ROUND_BUDGET_SECONDS)),
        on_done=done,
        # Once per brand at the end of the round (below), not under the brand's lock per check:
        # checks of one brand would otherwise be stored one at a time.
        keep_figures=False,
    )
    counts["parts"] = keep_figures(app, checked)
    with app.app_context(), db.job_session() as session:
        counts["raw_expired"] = expire_raw_pages(session, utcnow())
    if counts["claimed"]:
        logger.info("serp checks: %s", counts)
    return counts


def postpone_archived_checks(session: Any, now: datetime) -> int:
    """Move the due checks of archived brands past this round, so none of them is claimed; they
    run again at the first round after the brand is unarchived. How many were moved."""
    after_this_round = now + timedelta(seconds=ROUND_BUDGET_SECONDS + INTERVAL_SECONDS)
    return session.execute(
        update(TrackedQuery)
        .where(
            TrackedQuery.brand_id.in_(archived_brand_ids()),
            TrackedQuery.next_check_at <= after_this_round,
        )
        .values(next_check_at=after_this_round)
        .execution_options(synchronize_session=False)
    ).rowcount


def keep_figures(app: Flask, query_ids: set[int]) -> int:
    """Bring up to date the summaries and displacement parts of the brands of ``query_ids``
    (just checked), of any brand with a query that has no part (new, or after an upgrade) and
    of any brand whose owned pages were recorded since its summaries followed them (a post the
    planner published), each brand in a transaction of its own, so the next dashboard view
    reads them. How many parts were computed; a brand that fails is logged, and its pages
    compute what is out of date for themselves until the next round."""
    with app.app_context(), db.job_session() as session:
        lacking = (
            select(TrackedQuery.brand_id)
            .outerjoin(QueryFigures, QueryFigures.query_id == TrackedQuery.id)
            .where(TrackedQuery.deleted_at.is_(None), QueryFigures.query_id.is_(None))
        )
        checked = select(TrackedQuery.brand_id).where(TrackedQuery.id.in_(sorted(query_ids)))
        brands = session.scalars(
            select(Brand.id)
            .where(Brand.id.in_(lacking.union(checked, owned_pages_moved())))
            .order_by(Brand.id)
        ).all()
    computed = 0
    for brand_id in brands:
        try:
            with app.app_context(), db.job_session() as session:
                computed += upkeep.catch_up(session, brand_id)
        except Exception:
            logger.exception("displacement figures of brand %s not kept", brand_id)
    return computed


def owned_pages_moved() -> Any:
    """The brands with tracked queries that have an owned asset recorded after their summaries
    last followed their owned pages."""
    followed = select(SummaryLabels.updated_at).where(SummaryLabels.brand_id == OwnedAsset.brand_id)
    return (
        select(OwnedAsset.brand_id)
        .where(
            OwnedAsset.brand_id.in_(select(TrackedQuery.brand_id)),
            or_(~followed.exists(), OwnedAsset.created_at > followed.scalar_subquery()),
        )
        .distinct()
    )


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
