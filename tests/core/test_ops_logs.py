"""Logs: one line per event, JSON when asked, with what it is about, and never a secret."""

from __future__ import annotations

import base64
import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest

from core.crypto import encrypt_json
from core.db import db
from core.ops.logs import REDACTED, configure_logging, make_handler, redact, remember_secret
from planner.models import Channel, Post, PostStatus
from planner.publishing.worker import run_worker
from tests.conftest import login, token_for

HOOK_TOKEN = "T0001/B0aRd9xQtOkEnZ7secret"
SIGNING_SECRET = "whsec_" + base64.b64encode(b"signing-key-of-24-bytes!").decode()


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """Every record of every logger, at DEBUG, through PageOne's JSON handler."""
    stream = io.StringIO()
    handler = make_handler("json", stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def parsed(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]


def test_a_json_line_carries_the_event_and_its_ids(log_lines):
    logging.getLogger("planner.publishing.worker").info(
        "post claimed", extra={"post_id": 7, "worker_id": "host:1", "unrelated": "x"}
    )
    (line,) = [e for e in parsed(log_lines) if e["message"] == "post claimed"]
    assert line["level"] == "INFO" and line["logger"] == "planner.publishing.worker"
    assert line["post_id"] == 7 and line["worker_id"] == "host:1"
    assert "unrelated" not in line and line["at"].endswith("Z")


def test_secrets_are_redacted_in_every_shape():
    remember_secret({"access_token": "tok/with+odd=chars-123"})
    text = (
        "sent tok/with+odd=chars-123 and tok%2Fwith%2Bodd%3Dchars-123 with "
        "Authorization: Bearer abcdefgh12345678 and po_abcdefghijklmnopqrstuvwxyz and "
        "https://x.example/cb?access_token=zzz999"
    )
    cleaned = redact(text)
    for secret in ("tok/with+odd", "tok%2Fwith", "abcdefgh1234", "po_abcdefghij", "zzz999"):
        assert secret not in cleaned
    assert cleaned.count(REDACTED) == 5 and "Bearer [redacted]" in cleaned


def test_configured_secrets_are_redacted_and_the_format_is_checked():
    configure_logging({"SECRET_KEY": "a-signing-secret-value", "LOG_FORMAT": "json"})
    assert redact("key a-signing-secret-value") == f"key {REDACTED}"
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        configure_logging({"LOG_FORMAT": "xml"})
    configure_logging({"LOG_FORMAT": "text"})


def test_each_request_logs_its_route_not_its_path(app, client, users, brand, log_lines):
    client.get(f"/ical/{brand.ical_token}.ics")
    login(client, "admin@example.com")
    client.get("/brands")
    requests = [e for e in parsed(log_lines) if e["logger"] == "core.ops.web"]
    ical = next(
        e for e in requests if e.get("endpoint", "").endswith("ical_feed") or "ical" in e["message"]
    )
    assert ical["status"] == 200 and ical["method"] == "GET" and ical["duration_ms"] >= 0
    assert "<" in ical["message"], "the route's pattern, not the path"
    page = next(e for e in requests if e["message"] == "GET /brands 200")
    assert page["user_id"] == str(users["admin"].id)
    assert brand.ical_token not in log_lines.getvalue()


def test_no_stored_credential_appears_in_any_log_line_of_a_publish_cycle(
    app, brand, users, client, httpserver, log_lines
):
    httpserver.expect_request(f"/hooks/{HOOK_TOKEN}", method="POST").respond_with_data(
        "", status=204
    )
    url = httpserver.url_for(f"/hooks/{HOOK_TOKEN}")
    api_token = token_for(users["editor"])
    credentials = {"url": url, "secret": SIGNING_SECRET}
    channel = Channel(
        brand=brand,
        platform="webhook",
        name="hook",
        credentials_encrypted=encrypt_json(credentials, app.config),
    )
    db.session.add(channel)
    db.session.commit()
    # The web part of the cycle: the post is made and queued through the API with a token.
    made = client.post(
        f"/api/v1/brands/{brand.id}/posts",
        json={"channel_id": channel.id, "text": "Spring menu", "draft": True},
        headers={"Authorization": f"Bearer {api_token}"},
    )
    assert made.status_code == 201, made.get_json()
    post = db.session.get(Post, made.get_json()["post"]["id"])
    post.status = PostStatus.SCHEDULED.value
    post.scheduled_at = datetime.now(UTC) - timedelta(seconds=5)
    db.session.commit()

    run_worker(app, "w1", once=True)

    db.session.expire_all()
    assert db.session.get(Post, post.id).status == PostStatus.PUBLISHED
    login(client, "editor@example.com")
    assert client.get(f"/posts/{post.id}").status_code == 200
    output = log_lines.getvalue()
    assert "publish webhook" in output and "/api/v1/brands/<int:brand_id>/posts" in output
    assert "urllib3" in output, "the HTTP library's own debug lines were captured too"
    for secret in (
        url,
        HOOK_TOKEN,
        quote(HOOK_TOKEN, safe=""),
        SIGNING_SECRET,
        api_token,
        app.config["SECRET_KEY"],
    ):
        assert secret not in output


def test_ordinary_words_are_not_taken_for_credentials():
    line = "Basic settings saved; the bearer of this message is the password reset page"
    assert redact(line) == line
    assert redact("Authorization: Basic ZWRpdG9yOnMzY3JldA==") == "Authorization: Basic [redacted]"
