"""Renewals on PostgreSQL: two workers never spend the same refresh token."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from core.crypto import decrypt_json
from core.db import db, utcnow
from core.models import Role
from planner import brands, channels
from planner.connections import flow
from planner.connections.jobs import warn_expiring_connections
from planner.connections.lifecycle import Refresh, refresh_if_needed
from planner.models import Channel
from tests.conftest import create_user
from tests.planner.connections.fakes import FakeOAuth

pytestmark = pytest.mark.postgres


def test_two_workers_renewing_at_once_spend_the_refresh_token_once(pg_app, httpserver):
    fake = FakeOAuth(
        httpserver,
        client_id="x-client",
        client_secret="x-secret",
        authorize_path="/i/oauth2/authorize",
        token_path="/2/oauth2/token",
    )
    base = httpserver.url_for("/").rstrip("/")
    pg_app.config.update(X_CLIENT_ID="x-client", X_CLIENT_SECRET="x-secret", X_API_URL=base)
    admin = create_user("admin@example.com", Role.ADMIN)
    brand = brands.create_brand(db.session, name="PG Brand", timezone="UTC", creator=admin)
    channel = channels.create_channel(db.session, brand, admin, platform="x")
    answer = fake.issue("tweet.read tweet.write users.read offline.access")
    now = utcnow()
    flow.store_tokens(
        db.session, channel, admin, flow.tokens_from(answer, now), pg_app.config, now=now
    )
    db.session.commit()

    original = fake._token

    def slow_token(request):
        time.sleep(0.4)  # the second worker arrives while the first one waits for X
        return original(request)

    httpserver.clear()
    httpserver.expect_request("/2/oauth2/token", method="POST").respond_with_handler(slow_token)
    outcomes = []

    def worker() -> None:
        with pg_app.app_context(), db.job_session() as session:
            mine = session.get(Channel, channel.id)
            outcomes.append(
                refresh_if_needed(session, mine, now + timedelta(hours=2), pg_app.config)
            )

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    assert outcomes == [Refresh.REFRESHED, Refresh.REFRESHED]
    refreshes = [r for r in fake.token_requests if r.get("grant_type") == "refresh_token"]
    assert len(refreshes) == 1
    db.session.expire_all()
    stored = decrypt_json(db.session.get(Channel, channel.id).credentials_encrypted, pg_app.config)
    assert stored["refresh_token"] in fake.refresh_tokens


def test_the_expiry_warning_runs_on_postgres(pg_app):
    from planner.connections.models import ChannelConnection

    admin = create_user("admin@example.com", Role.ADMIN)
    brand = brands.create_brand(db.session, name="PG Brand", timezone="UTC", creator=admin)
    channel = channels.create_channel(db.session, brand, admin, platform="linkedin")
    db.session.add(
        ChannelConnection(
            channel=channel, method="oauth", reconnect_by=utcnow() + timedelta(days=2)
        )
    )
    db.session.commit()
    assert warn_expiring_connections(pg_app) == {"channel.expiring": 1, "channel.expired": 0}
    assert warn_expiring_connections(pg_app) == {"channel.expiring": 0, "channel.expired": 0}
