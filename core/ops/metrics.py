"""Prometheus metrics: request latency measured in the web process, and figures read from the
database at scrape time by the providers each feature registers in
``app.extensions["pageone.metrics"]`` (a provider takes a session and the time and yields metric
families). Nothing here lists a secret: the labels are endpoints, platforms and statuses."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime

from flask import Flask, current_app, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import utcnow

MetricsProvider = Callable[[Session, datetime], Iterable[Metric]]

# Counted in the process that sends the mail (the worker sends most); a scrape of the web
# process shows the web's.
MAIL_FAILURES = Counter(
    "pageone_mail_failures", "Mails the SMTP server did not take", registry=None
)
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class DatabaseCollector(Collector):
    """The figures of the database, read at each scrape in one short read-only session."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def describe(self) -> list[Metric]:
        # Without this the registry would collect (query the database) when it is registered.
        return []

    def collect(self) -> Iterator[Metric]:
        from core.ops.models import WorkerHeartbeat

        now = utcnow()
        engine = self.app.extensions["pageone.db"]
        with Session(bind=engine) as session:
            workers = GaugeMetricFamily(
                "pageone_worker_heartbeat_age_seconds",
                "Seconds since each worker's last heartbeat",
                labels=["worker"],
            )
            for worker_id, seen in session.execute(
                select(WorkerHeartbeat.worker_id, WorkerHeartbeat.seen_at)
            ):
                workers.add_metric([worker_id], (now - seen).total_seconds())
            yield workers
            for provider in self.app.extensions.get("pageone.metrics", []):
                yield from provider(session, now)
            session.rollback()


def register_metrics(app: Flask) -> None:
    """A registry of this app's metrics, and the hooks that time every request."""
    registry = CollectorRegistry(auto_describe=True)
    latency = Histogram(
        "pageone_request_seconds",
        "Time to answer a request, by endpoint",
        ["endpoint", "method"],
        buckets=REQUEST_BUCKETS,
        registry=registry,
    )
    registry.register(MAIL_FAILURES)
    registry.register(DatabaseCollector(app))
    app.extensions["pageone.metrics_registry"] = registry
    app.extensions["pageone.request_latency"] = latency
    app.extensions.setdefault("pageone.metrics", [])
    app.before_request(_start_timer)


def _start_timer() -> None:
    g.request_started = time.perf_counter()


def observe_request(response_status: int) -> float:
    """Record this request's time under its endpoint; the seconds it took."""
    started = g.get("request_started")
    if started is None:
        return 0.0
    seconds = time.perf_counter() - started
    endpoint = request.url_rule.endpoint if request.url_rule is not None else "unmatched"
    current_app.extensions["pageone.request_latency"].labels(endpoint, request.method).observe(
        seconds
    )
    return seconds
