"""The worker's review request job: match new reviews, then mail the due requests."""

from __future__ import annotations

from typing import Any

from flask import Flask

from planner.reviews.requests.sending import send_due_requests


def register_jobs(scheduler: Any, app: Flask, worker_id: str | None = None) -> None:
    """Every minute; several workers may run it at once (claims keep them apart)."""
    scheduler.add_job(
        send_due_requests,
        "interval",
        minutes=1,
        args=[app, worker_id],
        id="review-requests",
        max_instances=1,
        coalesce=True,
        replace_existing=True,
    )
