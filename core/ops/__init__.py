"""Running PageOne for years: health and readiness, metrics, logs, heartbeats, backups,
retention and personal data. Generic here; each feature registers its part in
``app.extensions`` (``pageone.metrics``, ``pageone.personal_data``, ``pageone.brand_exporters``,
``pageone.retention_sweeps``)."""

from __future__ import annotations

from typing import Any

from flask import Flask


def register_ops(app: Flask) -> None:
    """Logging, metrics, /healthz, /readyz, /metrics and the `ops` commands."""
    from core.ops import models  # noqa: F401  (registers the heartbeat table)
    from core.ops.cli import ops_cli
    from core.ops.logs import configure_logging
    from core.ops.metrics import register_metrics
    from core.ops.web import bp, log_request, worker_status

    configure_logging(app.config)
    register_metrics(app)
    app.register_blueprint(bp)
    app.after_request(log_request)
    app.jinja_env.globals["worker_status"] = worker_status
    app.cli.add_command(ops_cli)
    for name in ("pageone.personal_data", "pageone.brand_exporters", "pageone.retention_sweeps"):
        app.extensions.setdefault(name, [])


def register_jobs(scheduler: Any, app: Flask, worker_id: str) -> None:
    """The worker's heartbeat, its scheduled backups (when BACKUP_EVERY_HOURS is set) and the
    nightly retention sweep."""
    from core.ops.backup import scheduled_backup_job
    from core.ops.heartbeat import register_jobs as heartbeat_jobs
    from core.ops.retention import run_retention

    heartbeat_jobs(scheduler, app, worker_id)
    if app.config.get("BACKUP_EVERY_HOURS", 0) > 0:
        scheduler.add_job(
            scheduled_backup_job,
            "interval",
            args=[app],
            minutes=15,
            max_instances=1,
            coalesce=True,
            id="ops-backup",
        )
    scheduler.add_job(
        run_retention,
        "cron",
        args=[app],
        hour=3,
        minute=30,
        max_instances=1,
        coalesce=True,
        id="ops-retention",
    )
