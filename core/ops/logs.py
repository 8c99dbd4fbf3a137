"""Logging for the web and the worker: one line per event, text or JSON, secrets redacted.

Logger names are the module's ``__name__`` (``planner.publishing.worker``, ``serp.jobs``,
``core.ops.web`` …). What an event is about goes in ``extra`` under one of ``CONTEXT_KEYS``
(``logger.info("post claimed", extra={"post_id": 7, "worker_id": w})``): the JSON format gives each
its own field, the text format appends them as ``key=value``.

Every line is redacted before it is written: the configured secrets (SECRET_KEY,
CREDENTIALS_KEY, SMTP_PASSWORD, METRICS_TOKEN), every stored credential value this process has
decrypted (``remember_secret`` is called by ``core.crypto``), API tokens and bearer headers.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

REDACTED = "[redacted]"
CONTEXT_KEYS = (
    "post_id",
    "check_id",
    "query_id",
    "source_id",
    "mention_id",
    "brand_id",
    "channel_id",
    "worker_id",
    "platform",
    "outcome",
    "attempt",
    "job",
    "method",
    "endpoint",
    "status",
    "duration_ms",
    "user_id",
)
# Values shorter than this are not secrets worth redacting everywhere ("1", "true", a port).
SHORTEST_SECRET = 8
CONFIG_SECRETS = ("SECRET_KEY", "CREDENTIALS_KEY", "SMTP_PASSWORD", "METRICS_TOKEN")
PATTERNS = [
    re.compile(r"po_[A-Za-z0-9_\-]{20,}"),  # PageOne API tokens
    re.compile(r"([Bb]earer)\s+[A-Za-z0-9._~+/=\-]{8,}"),
    # Basic credentials are base64 with a digit somewhere; "Basic settings" is left alone.
    re.compile(r"([Bb]asic)\s+(?=[A-Za-z0-9+/]*\d)[A-Za-z0-9+/]{8,}={0,2}"),
    re.compile(r"(?i)(access_token|refresh_token|password|secret|api_key)=[^&\s\"']+"),
]

_secrets: set[str] = set()
_longest_first: list[str] = []  # _secrets, longest first, so a secret inside another goes too
_lock = threading.Lock()
HANDLER_MARK = "_pageone_handler"


def _shapes(value: str) -> Iterable[str]:
    """The forms a secret takes in a log line: as is, percent-encoded, JSON-escaped, and the
    path and query of a secret URL (what an HTTP library logs of a request)."""
    yield value
    yield quote(value, safe="")
    yield quote(value)
    yield json.dumps(value)[1:-1]
    if "://" in value:
        parts = urlsplit(value)
        yield parts.path
        if parts.query:
            yield parts.query
        yield parts.path + ("?" + parts.query if parts.query else "")


def remember_secret(value: Any) -> None:
    """Redact this value (and, for a dict or list, every text in it) from every later log line."""
    if isinstance(value, Mapping):
        for item in value.values():
            remember_secret(item)
        return
    if isinstance(value, list | tuple):
        for item in value:
            remember_secret(item)
        return
    if not isinstance(value, str) or len(value) < SHORTEST_SECRET:
        return
    global _longest_first
    with _lock:
        new = {shape for shape in _shapes(value) if len(shape) >= SHORTEST_SECRET} - _secrets
        if new:
            _secrets.update(new)
            _longest_first = sorted(_secrets, key=len, reverse=True)


def redact(text: str) -> str:
    """The text with every known secret and every token-looking value replaced."""
    for secret in _longest_first:
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern in PATTERNS:
        text = pattern.sub(lambda m: _keep_name(m), text)
    return text


def _keep_name(match: re.Match[str]) -> str:
    # "password=..." keeps its name, "Bearer ..." its scheme: the line still says what was there.
    whole = match.group(0)
    if match.re.groups:
        name = match.group(1)
        return whole[: len(name)] + whole[len(name)] + REDACTED
    return REDACTED


def _context(record: logging.LogRecord) -> dict[str, Any]:
    return {key: getattr(record, key) for key in CONTEXT_KEYS if hasattr(record, key)}


class TextFormatter(logging.Formatter):
    """``2026-12-06T19:00:00Z INFO planner.publishing.worker post published post_id=7``."""

    def format(self, record: logging.LogRecord) -> str:
        at = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        line = f"{at} {record.levelname} {record.name} {record.getMessage()}"
        context = " ".join(f"{key}={value}" for key, value in _context(record).items())
        if context:
            line += " " + context
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return redact(line)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: at, level, logger, message, the context keys, the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat().replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **_context(record),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return redact(json.dumps(entry, default=str))


def make_handler(log_format: str, stream: Any = None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    return handler


def configure_logging(config: Mapping[str, Any]) -> None:
    """Send the root logger's records through one PageOne handler (replacing an earlier one),
    at LOG_LEVEL, formatted per LOG_FORMAT; the configured secrets are redacted from then on."""
    for name in CONFIG_SECRETS:
        remember_secret(config.get(name))
    log_format = config.get("LOG_FORMAT", "text")
    if log_format not in ("text", "json"):
        raise ValueError(f"LOG_FORMAT must be text or json, not {log_format!r}")
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, HANDLER_MARK, False):
            root.removeHandler(handler)
    handler = make_handler(log_format)
    setattr(handler, HANDLER_MARK, True)
    root.addHandler(handler)
    root.setLevel(config.get("LOG_LEVEL", "INFO"))
    # The scheduler would log two lines per job run (the publishing tick runs every few
    # seconds); the jobs log what they did themselves.
    if root.level > logging.DEBUG:
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
    werkzeug = logging.getLogger("werkzeug")
    if not any(isinstance(f, DevServerRequestLines) for f in werkzeug.filters):
        werkzeug.addFilter(DevServerRequestLines())


class DevServerRequestLines(logging.Filter):
    """Drops the development server's own request lines (each request has PageOne's line, which
    names the route instead of a path that may hold a token); its other lines stay."""

    def filter(self, record: logging.LogRecord) -> bool:
        return " - - [" not in record.getMessage()
