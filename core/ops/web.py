"""What a load balancer and a monitor ask: /healthz (the process answers), /readyz (it can
serve: database, schema, worker) and /metrics (Prometheus, behind METRICS_TOKEN). None needs a
login and none shows a secret. Also the one log line per request."""

from __future__ import annotations

import hmac
import logging
from datetime import datetime, timedelta
from typing import Any

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, Flask, Response, current_app, g, request
from flask_login import current_user
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from core.db import db, utcnow
from core.ops.heartbeat import last_heartbeat
from core.ops.metrics import observe_request

bp = Blueprint("ops", __name__)
logger = logging.getLogger(__name__)
QUIET_PREFIXES = ("/static/", "/vendor/", "/healthz", "/readyz", "/metrics")


@bp.get("/healthz")
def healthz() -> Any:
    """The process is up and answers; nothing else is looked at."""
    return {"status": "ok"}


def schema_heads(app: Flask) -> set[str]:
    """The newest migrations this code knows (read once: the code does not change while up)."""
    if "pageone.schema_heads" not in app.extensions:
        from core.cli import alembic_config

        script = ScriptDirectory.from_config(alembic_config(app))
        app.extensions["pageone.schema_heads"] = set(script.get_heads())
    return app.extensions["pageone.schema_heads"]


def readiness(now: datetime) -> tuple[bool, dict[str, str]]:
    """Whether this instance can serve, with one short reason per check."""
    checks: dict[str, str] = {}
    ready = True
    try:
        connection = db.session.connection()
        connection.execute(text("select 1"))
        checks["database"] = "ok"
    except Exception as exc:  # any failure to reach it means "not ready"
        logger.warning("readiness: database unreachable: %s", type(exc).__name__)
        db.session.rollback()
        return False, {"database": "unreachable"}
    current = set(MigrationContext.configure(connection).get_current_heads())
    heads = schema_heads(current_app)
    if current == heads:
        checks["migrations"] = "ok"
    else:
        ready = False
        at = ", ".join(sorted(current)) or "none"
        checks["migrations"] = f"at {at}, code expects {', '.join(sorted(heads))}"
    minutes = current_app.config.get("READY_WORKER_MINUTES", 5)
    if minutes > 0:
        seen = last_heartbeat(db.session)
        if seen is not None and now - seen <= timedelta(minutes=minutes):
            checks["worker"] = f"seen {int((now - seen).total_seconds())}s ago"
        else:
            ready = False
            checks["worker"] = f"no worker seen in the last {minutes} minutes"
    db.session.rollback()
    return ready, checks


@bp.get("/readyz")
def readyz() -> Any:
    ready, checks = readiness(utcnow())
    return {"status": "ready" if ready else "not ready", "checks": checks}, 200 if ready else 503


@bp.get("/metrics")
def metrics() -> Any:
    """Prometheus text format, for a scrape that sends `Authorization: Bearer METRICS_TOKEN`."""
    expected = current_app.config.get("METRICS_TOKEN")
    if not expected:
        return {"error": "Not Found", "message": "Metrics are off: set METRICS_TOKEN."}, 404
    sent = request.headers.get("Authorization", "")
    scheme, _, token = sent.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.encode(), expected.encode()):
        from core.security import record_token_failure

        record_token_failure()
        return (
            {"error": "Unauthorized", "message": "Send the metrics token as a bearer token."},
            401,
            {"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    body = generate_latest(current_app.extensions["pageone.metrics_registry"])
    return Response(
        body, mimetype=CONTENT_TYPE_LATEST.split(";")[0], content_type=CONTENT_TYPE_LATEST
    )


def log_request(response: Any) -> Any:
    """One line per request: the route's pattern (never the path, which may hold a feed or
    calendar token), the status, the time and the user's id."""
    seconds = observe_request(response.status_code)
    rule = request.url_rule.rule if request.url_rule is not None else "(no route)"
    user_id = current_user.get_id().split(":")[0] if _logged_in() else None
    level = logging.DEBUG if request.path.startswith(QUIET_PREFIXES) else logging.INFO
    logger.log(
        level,
        "%s %s %s",
        request.method,
        rule,
        response.status_code,
        extra={
            "method": request.method,
            "endpoint": request.url_rule.endpoint if request.url_rule is not None else None,
            "status": response.status_code,
            "duration_ms": round(seconds * 1000, 1),
            "user_id": user_id,
        },
    )
    return response


def _logged_in() -> bool:
    # The request log runs for every response; a user is looked up only if the view did.
    return "_login_user" in g and current_user.is_authenticated


def worker_status() -> dict[str, Any]:
    """The latest worker heartbeat for the home overview: when, and whether it is recent."""
    try:
        seen = last_heartbeat(db.session)
    except Exception:
        db.session.rollback()
        return {"seen_at": None, "recent": False}
    minutes = current_app.config.get("READY_WORKER_MINUTES", 5) or 5
    recent = seen is not None and utcnow() - seen <= timedelta(minutes=minutes)
    return {"seen_at": seen, "recent": recent}
