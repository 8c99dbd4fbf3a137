"""The worker's log: one INFO line on "pageone.worker" per claim, outcome and recovery, naming
the post, and never a stored credential."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime, timedelta

from werkzeug import Response

from core.crypto import encrypt_json
from core.db import db
from core.tenants import Brand
from planner.models import Channel, Post, PostStatus
from planner.publishing.queue import recover_expired_leases
from planner.publishing.worker import run_worker

# The loggers of PageOne's own code (a test fake's or the HTTP library's lines are not).
OWN = ("pageone", "planner", "core", "serp", "listening", "app")


def channel(brand: Brand, platform: str, credentials: dict, config) -> Channel:
    made = Channel(
        brand=brand,
        platform=platform,
        name=platform,
        credentials_encrypted=encrypt_json(credentials, config),
    )
    db.session.add(made)
    return made


def post(made: Channel, **fields) -> Post:
    scheduled = datetime.now(UTC) - timedelta(seconds=5)
    item = Post(channel=made, text="Fresh bread", scheduled_at=scheduled, **fields)
    db.session.add(item)
    return item


def test_a_publish_cycle_logs_each_event_by_post_and_no_credential(app, httpserver, caplog):
    httpserver.expect_request("/api/v2/instance").respond_with_json(
        {"configuration": {"statuses": {"max_characters": 500}}}
    )
    httpserver.expect_request("/api/v1/statuses", method="POST").respond_with_handler(
        lambda request: Response(
            json.dumps({"id": "1", "url": "https://social.example/@acme/1"}),
            content_type="application/json",
        )
    )
    # A receiver that fails and says back what it got, token included.
    httpserver.expect_request(re.compile("^/hooks/"), method="POST").respond_with_handler(
        lambda request: Response(f"boom {request.path} {request.headers}", status=500)
    )
    credentials = {
        "mastodon": {
            "base_url": httpserver.url_for("").rstrip("/"),
            "access_token": "mastodon-token-5f1c9e7a",
        },
        "webhook": {
            "url": httpserver.url_for("/hooks/T0KEN-in-the-path-3b8d"),
            "secret": "whsec_c2VjcmV0LWtleS1ieXRlcw==",
        },
        "x": {"access_token": "x-token-9a2e4c71", "base_url": "https://api.x.example"},
    }
    brand = Brand(slug="acme", name="Acme")
    db.session.add(brand)
    channels = {
        name: channel(brand, name, values, app.config) for name, values in credentials.items()
    }
    published = post(channels["mastodon"], status=PostStatus.SCHEDULED.value)
    retried = post(channels["webhook"], status=PostStatus.SCHEDULED.value)
    dead = post(
        channels["x"],
        status=PostStatus.PUBLISHING.value,
        claimed_by="gone",
        lease_until=datetime.now(UTC) - timedelta(seconds=1),
        send_started_at=datetime.now(UTC) - timedelta(minutes=6),
    )
    db.session.commit()

    with caplog.at_level(logging.DEBUG):
        run_worker(app, "w1", once=True)
        assert recover_expired_leases(db.session, datetime.now(UTC), "w1", app.config) == 0
        db.session.commit()

    events = [
        record.getMessage()
        for record in caplog.records
        if record.name == "pageone.worker" and record.levelno == logging.INFO
    ]
    for item in (published, retried):
        assert f"claimed post {item.id} for w1" in events
        assert f"post {item.id} sending on {item.channel.platform}" in events
    assert any(line.startswith(f"post {published.id} published") for line in events)
    assert any(line.startswith(f"post {retried.id} scheduled") for line in events), events
    assert any(line.startswith(f"post {dead.id} recovered from gone") for line in events)
    own = "\n".join(
        record.getMessage() for record in caplog.records if record.name.split(".")[0] in OWN
    )
    secrets = [
        value
        for values in credentials.values()
        for key, value in values.items()
        if key != "base_url" or "api.x" not in value
    ]
    secrets += ["T0KEN-in-the-path-3b8d", "c2VjcmV0LWtleS1ieXRlcw"]
    assert [secret for secret in secrets if secret in own] == []
