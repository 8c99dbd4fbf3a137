"""Bluesky: a handle and app password kept, the session renewed with the refresh JWT."""

from __future__ import annotations

from datetime import timedelta

from core.crypto import decrypt_json
from core.db import db, utcnow
from planner.connections.bluesky import jwt_expiry
from planner.connections.lifecycle import Refresh, refresh_if_needed
from planner.connections.models import ChannelConnection
from tests.planner.connections.conftest import make_channel


def connect(client, fake, channel, password=None):
    response = client.post(
        f"/channels/{channel.id}/connect",
        data={
            "handle": "@acme.bsky.social",
            "app_password": password or fake.password,
            "service": fake.service,
        },
    )
    assert response.status_code == 302
    return client.get(response.headers["Location"]).get_data(as_text=True)


def stored(app, channel):
    db.session.refresh(channel)
    return decrypt_json(channel.credentials_encrypted, app.config)


def test_bluesky_connects_with_a_handle_and_app_password(
    app, brand, users, admin_client, fake_bluesky
):
    channel = make_channel(brand, users, "bluesky")
    page = connect(admin_client, fake_bluesky, channel)
    assert "Bluesky connected as @acme.bsky.social." in page
    assert 'id="health-badge">Connected' in page
    credentials = stored(app, channel)
    assert credentials["handle"] == "acme.bsky.social"
    assert credentials["app_password"] == fake_bluesky.password
    assert credentials["service"] == fake_bluesky.service
    assert credentials["refresh_token"] in fake_bluesky.refresh_jwts
    connection = db.session.get(ChannelConnection, channel.id)
    assert connection.refreshable is True
    assert connection.access_expires_at == jwt_expiry(credentials["access_token"])
    assert timedelta(hours=1, minutes=59) < connection.access_expires_at - utcnow()


def test_a_wrong_app_password_is_said_and_nothing_saved(
    app, brand, users, admin_client, fake_bluesky
):
    channel = make_channel(brand, users, "bluesky")
    page = connect(admin_client, fake_bluesky, channel, password="wrong")
    assert "Bluesky refused the handle and app password" in page
    db.session.refresh(channel)
    assert channel.credentials_encrypted is None


def test_the_session_is_renewed_with_the_refresh_jwt(app, brand, users, admin_client, fake_bluesky):
    channel = make_channel(brand, users, "bluesky")
    connect(admin_client, fake_bluesky, channel)
    first = stored(app, channel)
    outcome = refresh_if_needed(db.session, channel, utcnow() + timedelta(hours=2))
    db.session.commit()
    assert outcome is Refresh.REFRESHED
    assert fake_bluesky.calls[-1] == ("refresh", first["refresh_token"])
    second = stored(app, channel)
    assert second["refresh_token"] != first["refresh_token"]
    assert second["app_password"] == fake_bluesky.password


def test_an_ended_refresh_jwt_opens_a_new_session_with_the_app_password(
    app, brand, users, admin_client, fake_bluesky
):
    channel = make_channel(brand, users, "bluesky")
    connect(admin_client, fake_bluesky, channel)
    fake_bluesky.refresh_jwts.clear()
    outcome = refresh_if_needed(db.session, channel, utcnow() + timedelta(hours=2))
    db.session.commit()
    assert outcome is Refresh.REFRESHED
    assert [call[0] for call in fake_bluesky.calls] == ["create", "refresh", "create"]
    db.session.refresh(channel)
    assert channel.needs_reauth is False


def test_a_revoked_app_password_needs_reconnect_and_tells_people(
    app, brand, users, admin_client, fake_bluesky, webhook
):
    channel = make_channel(brand, users, "bluesky")
    connect(admin_client, fake_bluesky, channel)
    fake_bluesky.refresh_jwts.clear()
    fake_bluesky.password = "revoked"
    outcome = refresh_if_needed(db.session, channel, utcnow() + timedelta(hours=2))
    db.session.commit()
    assert outcome is Refresh.NEEDS_REAUTH
    db.session.refresh(channel)
    assert channel.needs_reauth is True
    assert [event["event"] for event in webhook] == ["channel.needs_reauth"]
