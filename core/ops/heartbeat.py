"""The worker's heartbeat: each worker process stamps its row every HEARTBEAT_SECONDS, so
/readyz, /metrics and the home overview can tell whether a worker runs."""

from __future__ import annotations

import logging
import os
import socket
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from core.db import db, insert_missing, utcnow
from core.ops.models import WorkerHeartbeat

logger = logging.getLogger(__name__)
# A row unseen this long belongs to a worker that is gone; it is dropped.
FORGET_AFTER = timedelta(days=7)


def beat(session: Session, worker_id: str, now: datetime) -> None:
    """Stamp this worker's row (created at its first beat); flushes."""
    insert_missing(
        session,
        WorkerHeartbeat,
        {
            "worker_id": worker_id,
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
            "started_at": now,
            "seen_at": now,
        },
    )
    row = session.get(WorkerHeartbeat, worker_id, populate_existing=True)
    row.seen_at = now
    session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.seen_at < now - FORGET_AFTER))
    session.flush()


def last_heartbeat(session: Session) -> datetime | None:
    """When any worker was last seen, or None if none ever was."""
    return session.scalar(select(func.max(WorkerHeartbeat.seen_at)))


def heartbeat_job(app: Flask, worker_id: str) -> None:
    with app.app_context(), db.job_session() as session:
        beat(session, worker_id, utcnow())


def register_jobs(scheduler: Any, app: Flask, worker_id: str) -> None:
    """The heartbeat of the worker named ``worker_id``, from its first second on."""
    scheduler.add_job(
        heartbeat_job,
        "interval",
        args=[app, worker_id],
        seconds=app.config.get("HEARTBEAT_SECONDS", 30),
        max_instances=1,
        coalesce=True,
        id="ops-heartbeat",
        next_run_time=datetime.now(UTC),
    )
    logger.info(
        "worker heartbeat every %ss",
        app.config.get("HEARTBEAT_SECONDS", 30),
        extra={"worker_id": worker_id},
    )
