"""Connecting Mastodon on any instance: the app registered once per instance, then OAuth."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from core.crypto import decrypt_json
from core.db import db
from planner.connections.flow import ConnectProblem
from planner.connections.mastodon import instance_url
from planner.connections.models import ChannelConnection, MastodonApp
from tests.planner.connections.conftest import callback, make_channel, query, start
from tests.planner.connections.fakes import s256


def connect(client, fake, channel, instance=None):
    authorize = start(client, channel.id, instance=instance or fake.instance)
    response = callback(client, "mastodon", fake.consent(authorize))
    assert response.status_code == 302
    return authorize, response


def test_mastodon_connects_on_an_instance_without_any_operator_setup(
    app, brand, users, admin_client, fake_mastodon
):
    channel = make_channel(brand, users, "mastodon")
    page = admin_client.get(f"/channels/{channel.id}").get_data(as_text=True)
    assert 'name="instance"' in page and "not set up on this server" not in page

    authorize, response = connect(admin_client, fake_mastodon, channel)

    (registration,) = fake_mastodon.apps
    assert registration == {
        "client_name": "PageOne",
        "redirect_uris": "http://localhost/connect/mastodon/callback",
        "scopes": "read:accounts write:statuses write:media",
    }
    asked = query(authorize)
    assert asked["client_id"] == "mastodon-client-1"
    assert asked["scope"] == "read:accounts write:statuses write:media"
    exchange = fake_mastodon.token_requests[0]
    assert exchange["client_secret"] == "mastodon-secret-1"  # Mastodon reads it from the body
    assert s256(exchange["code_verifier"]) == asked["code_challenge"]
    assert fake_mastodon.problems == []

    db.session.refresh(channel)
    credentials = decrypt_json(channel.credentials_encrypted, app.config)
    assert credentials["base_url"] == fake_mastodon.instance
    assert credentials["access_token"] in fake_mastodon.access_tokens
    connection = db.session.get(ChannelConnection, channel.id)
    host = urlsplit(fake_mastodon.instance).hostname
    assert connection.account == f"@acme@{host}"
    assert connection.access_expires_at is None and connection.reconnect_by is None
    page = admin_client.get(f"/channels/{channel.id}").get_data(as_text=True)
    assert 'id="health-badge">Connected' in page
    assert "The platform gave no end date." in page


def test_the_app_is_registered_once_per_instance(app, brand, users, admin_client, fake_mastodon):
    first = make_channel(brand, users, "mastodon", name="Mastodon one")
    second = make_channel(brand, users, "mastodon", name="Mastodon two")
    connect(admin_client, fake_mastodon, first)
    connect(admin_client, fake_mastodon, second, instance=fake_mastodon.instance + "/@acme")
    assert len(fake_mastodon.apps) == 1
    (kept,) = db.session.query(MastodonApp).all()
    assert kept.instance_url == fake_mastodon.instance
    assert "mastodon-secret-1" not in kept.client_secret_encrypted  # kept encrypted


def test_a_denied_consent_on_mastodon_saves_nothing(app, brand, users, admin_client, fake_mastodon):
    channel = make_channel(brand, users, "mastodon")
    fake_mastodon.deny = True
    _authorize, response = connect(admin_client, fake_mastodon, channel)
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Mastodon was not connected: the permission was declined" in page
    db.session.refresh(channel)
    assert channel.credentials_encrypted is None


def test_a_server_that_is_not_mastodon_is_named(app, brand, users, admin_client, httpserver):
    channel = make_channel(brand, users, "mastodon")
    httpserver.expect_request("/api/v1/apps").respond_with_data("no", status=404)
    response = admin_client.post(
        f"/channels/{channel.id}/connect", data={"instance": httpserver.url_for("/")}
    )
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "did not accept PageOne as an app (HTTP 404); is it a Mastodon instance?" in page
    assert db.session.query(MastodonApp).count() == 0


def test_disconnect_revokes_the_mastodon_token(app, brand, users, admin_client, fake_mastodon):
    channel = make_channel(brand, users, "mastodon")
    connect(admin_client, fake_mastodon, channel)
    db.session.refresh(channel)
    token = decrypt_json(channel.credentials_encrypted, app.config)["access_token"]
    admin_client.post(f"/channels/{channel.id}/disconnect")
    assert fake_mastodon.revoked == [
        {"token": token, "client_id": "mastodon-client-1", "client_secret": "mastodon-secret-1"}
    ]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("mastodon.social", "https://mastodon.social"),
        ("@acme@Fosstodon.org", "https://fosstodon.org"),
        ("https://mastodon.social/@acme", "https://mastodon.social"),
        ("https://example.org:8443/", "https://example.org:8443"),
    ],
)
def test_instance_addresses_are_read_as_people_type_them(typed, expected):
    assert instance_url(typed) == expected


@pytest.mark.parametrize("typed", ["", "ftp://example.org", "http://a\\@b"])
def test_unusable_instance_addresses_are_refused(typed):
    with pytest.raises(ConnectProblem):
        instance_url(typed)
