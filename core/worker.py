"""The worker process: one APScheduler loop that runs every feature's periodic jobs.

Features register their jobs in ``app.extensions["pageone.worker_jobs"]`` (see ``app.py``): each
entry is called as ``register(scheduler, app, worker_id)``, adds its jobs with
``scheduler.add_job`` and may return a function to call when the worker stops (to let work in
flight finish). Several workers may run at once: every job claims its work through
:mod:`core.claims`, so correctness never depends on there being one.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from typing import Any

from flask import Flask

from core.claims import default_worker_id

logger = logging.getLogger("pageone.worker")

WORKER_JOBS = "pageone.worker_jobs"
# What a feature's registration may hand back: called once when the worker stops.
OnStop = Callable[[], None]


def register_jobs(scheduler: Any, app: Flask, worker_id: str) -> list[OnStop]:
    """Add every feature's jobs to ``scheduler``; what to call when the worker stops."""
    stops: list[OnStop] = []
    for register in app.extensions.get(WORKER_JOBS, []):
        stop = register(scheduler, app, worker_id)
        if stop is not None:
            stops.append(stop)
    return stops


def run_worker(app: Flask, worker_id: str | None = None) -> None:
    """Run the worker until SIGTERM or SIGINT; the jobs in flight finish first."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    worker_id = worker_id or default_worker_id()
    scheduler = BlockingScheduler(timezone="UTC")
    stops = register_jobs(scheduler, app, worker_id)

    def stop(signum: int, _frame: Any) -> None:
        logger.info("worker %s stopping (signal %s)", worker_id, signum)
        # A second signal while the work in flight finishes takes the default action.
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        scheduler.shutdown(wait=False)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    logger.info("worker %s started", worker_id)
    try:
        scheduler.start()
    finally:
        for finish in stops:
            try:
                finish()
            except Exception:  # noqa: BLE001 - the other features still finish their work
                logger.exception("stopping a job of worker %s failed", worker_id)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        logger.info("worker %s stopped", worker_id)
