"""The retention sweep: each feature deletes what its brands keep no longer, through the
sweeps it registers in ``app.extensions["pageone.retention_sweeps"]`` (callables
``(session, now) -> {what: rows}``), each in a transaction of its own."""

from __future__ import annotations

import logging

from flask import Flask

from core.db import db, utcnow

logger = logging.getLogger(__name__)


def run_retention(app: Flask) -> dict[str, int]:
    counts: dict[str, int] = {}
    now = utcnow()
    for sweep in app.extensions.get("pageone.retention_sweeps", []):
        try:
            with app.app_context(), db.job_session() as session:
                for what, rows in sweep(session, now).items():
                    counts[what] = counts.get(what, 0) + rows
        except Exception:
            logger.exception("retention sweep %s failed", getattr(sweep, "__name__", sweep))
    logger.info("retention sweep: %s", counts, extra={"job": "ops-retention"})
    return counts
