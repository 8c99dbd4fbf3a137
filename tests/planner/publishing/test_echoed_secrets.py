"""A receiver whose error body repeats the request: the channel's secrets, in whatever shape they
come back, appear nowhere PageOne keeps or shows an attempt (the post, its page, the audit log,
the logs)."""

from __future__ import annotations

import base64
import json
import logging
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import select
from werkzeug import Request, Response

from core.crypto import encrypt_json
from core.db import db
from core.models import AuditEntry
from planner.models import Channel, Post, PostStatus
from planner.publishing.worker import run_worker
from tests.conftest import login

HOOK_TOKEN = "B0aRd/9xQ+tOkEn=Z7"
HOOK_PATH = "/services/T0001/" + quote(HOOK_TOKEN, safe="")
WP_USER, WP_PASSWORD = "editor", "abcd EFGH 1234 ijkl MNOP 6789"


def echo(request: Request) -> Response:
    """What a careless receiver answers: everything it got, as JSON (PHP-style ``\\/``) and as
    the raw request line and headers."""
    body = json.dumps(
        {
            "authorization": request.headers.get("Authorization"),
            "url": request.url,
            "token": request.path.rsplit("/", 1)[-1],
        }
    ).replace("/", "\\/")
    line = f"{request.method} {request.full_path}"
    return Response(
        f"{body}\n{line} Authorization={request.headers.get('Authorization')}",
        status=400,
        content_type="application/json",
    )


def shapes(secret: str) -> list[str]:
    return [
        secret,
        quote(secret, safe=""),
        json.dumps(secret)[1:-1].replace("/", "\\/"),
        base64.b64encode(secret.encode()).decode(),
    ]


@pytest.mark.parametrize("platform", ["webhook", "wordpress"])
def test_secrets_echoed_by_a_receiver_are_kept_nowhere(
    app, brand, users, client, httpserver, platform, caplog
):
    if platform == "webhook":
        url = httpserver.url_for(HOOK_PATH)
        # Any path under /services: the fake sees the token percent-decoded.
        httpserver.expect_request(re.compile("^/services/"), method="POST").respond_with_handler(
            echo
        )
        credentials = {"url": url, "secret": "whsec_" + base64.b64encode(b"k" * 24).decode()}
        secrets = [*shapes(url), *shapes(HOOK_TOKEN), *shapes(HOOK_PATH), "9xQ+tOkEn=Z7"]
    else:
        httpserver.expect_request("/wp-json/wp/v2/users/me").respond_with_handler(echo)
        credentials = {
            "site_url": httpserver.url_for("/"),
            "username": WP_USER,
            "app_password": WP_PASSWORD,
        }
        basic = base64.b64encode(f"{WP_USER}:{WP_PASSWORD}".encode()).decode()
        secrets = [*shapes(WP_PASSWORD), basic]
    channel = Channel(
        brand=brand,
        platform=platform,
        name=platform,
        credentials_encrypted=encrypt_json(credentials, app.config),
    )
    post = Post(
        channel=channel,
        text="Spring menu",
        scheduled_at=datetime.now(UTC) - timedelta(seconds=5),
        status=PostStatus.SCHEDULED.value,
    )
    db.session.add_all([channel, post])
    db.session.commit()

    with caplog.at_level(logging.DEBUG):
        run_worker(app, "w1", once=True)

    db.session.expire_all()
    post = db.session.get(Post, post.id)
    assert post.status == PostStatus.FAILED
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.object_id == post.id)).all()
    audit_text = json.dumps([entry.detail for entry in entries])
    assert "[redacted]" in audit_text, "the echo reached the audit log, redacted"
    login(client, "editor@example.com")
    page = client.get(f"/posts/{post.id}")
    assert page.status_code == 200
    # PageOne's own log lines (the HTTP library's debug lines are the operator's choice).
    logs = "\n".join(
        record.getMessage()
        for record in caplog.records
        if record.name.split(".")[0] in {"pageone", "planner", "core", "app"}
    )
    assert f"publish {platform}" in logs
    for secret in secrets:
        assert secret not in post.last_error
        assert secret not in audit_text
        assert secret not in page.get_data(as_text=True)
        assert secret not in logs
