"""Connecting X with OAuth 2.0 + PKCE against a local fake, and keeping the token alive."""

from __future__ import annotations

from datetime import timedelta

from core.crypto import decrypt_json
from core.db import db, utcnow
from core.i18n import local_datetime
from planner.connections.lifecycle import Refresh, refresh_due_connections, refresh_if_needed
from planner.connections.models import ChannelConnection
from planner.models import Channel
from tests.planner.connections.conftest import callback, make_channel, query, start
from tests.planner.connections.fakes import s256


def stored(app, channel):
    db.session.refresh(channel)
    return decrypt_json(channel.credentials_encrypted, app.config)


def connect_x(admin_client, fake, channel):
    authorize = start(admin_client, channel.id)
    answer = fake.consent(authorize)
    response = callback(admin_client, "x", answer)
    assert response.status_code == 302
    return authorize, response


def test_x_connect_keeps_both_tokens_and_the_page_shows_connected_with_expiry(
    app, brand, users, admin_client, fake_x
):
    channel = make_channel(brand, users, "x")
    before = utcnow()
    authorize, response = connect_x(admin_client, fake_x, channel)

    asked = query(authorize)
    assert authorize.startswith(fake_x.url("/i/oauth2/authorize"))
    assert asked["scope"].split() == ["tweet.read", "tweet.write", "users.read", "offline.access"]
    assert asked["code_challenge_method"] == "S256"
    assert asked["redirect_uri"] == "http://localhost/connect/x/callback"
    exchange = fake_x.token_requests[0]
    assert exchange["grant_type"] == "authorization_code"
    assert s256(exchange["code_verifier"]) == asked["code_challenge"]
    assert "client_secret" not in exchange  # a confidential client authenticates with Basic
    assert fake_x.problems == []

    credentials = stored(app, channel)
    assert credentials["access_token"] in fake_x.access_tokens
    assert credentials["refresh_token"] in fake_x.refresh_tokens
    connection = db.session.get(ChannelConnection, channel.id)
    assert connection.account == "@acme_bakery"
    assert connection.refreshable is True
    assert before + timedelta(seconds=7190) <= connection.access_expires_at
    assert connection.access_expires_at <= utcnow() + timedelta(seconds=7200)
    assert connection.reconnect_by is None

    page = admin_client.get(f"/channels/{channel.id}").get_data(as_text=True)
    assert 'id="health-badge">Connected' in page
    assert "@acme_bakery" in page
    with app.test_request_context():  # written as the page writes it: Babel, in English
        local = local_datetime(connection.access_expires_at, brand.zone, "yMMMMd")
    assert f"The access token ends {local} (Europe/Berlin) and is renewed automatically" in page


def test_a_callback_with_a_wrong_state_saves_nothing(app, brand, users, admin_client, fake_x):
    channel = make_channel(brand, users, "x")
    answer = fake_x.consent(start(admin_client, channel.id))
    response = callback(admin_client, "x", {**answer, "state": "forged"})
    assert response.status_code == 302
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "does not belong to a connection started here" in page
    assert fake_x.token_requests == []
    db.session.refresh(channel)
    assert channel.credentials_encrypted is None
    # The real answer still works afterwards: a forged state does not spend the attempt.
    assert callback(admin_client, "x", answer).status_code == 302
    assert stored(app, channel)["access_token"] in fake_x.access_tokens


def test_a_state_is_used_once(app, brand, users, admin_client, fake_x):
    channel = make_channel(brand, users, "x")
    answer = fake_x.consent(start(admin_client, channel.id))
    callback(admin_client, "x", answer)
    replay = callback(admin_client, "x", answer)
    page = admin_client.get(replay.headers["Location"]).get_data(as_text=True)
    assert "does not belong to a connection started here" in page
    assert len(fake_x.token_requests) == 1


def test_denied_consent_says_so_and_saves_nothing(app, brand, users, admin_client, fake_x):
    channel = make_channel(brand, users, "x")
    fake_x.deny = True
    answer = fake_x.consent(start(admin_client, channel.id))
    response = callback(admin_client, "x", answer)
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "the permission was declined" in page
    assert fake_x.token_requests == []
    db.session.refresh(channel)
    assert channel.credentials_encrypted is None


def test_a_missing_scope_is_refused_with_a_clear_message(app, brand, users, admin_client, fake_x):
    channel = make_channel(brand, users, "x")
    fake_x.scopes_granted = "tweet.read users.read"
    response = callback(admin_client, "x", fake_x.consent(start(admin_client, channel.id)))
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "missing: offline.access, tweet.write" in page
    db.session.refresh(channel)
    assert channel.credentials_encrypted is None
    assert db.session.get(ChannelConnection, channel.id) is None


def test_the_token_is_renewed_ahead_of_its_end_and_the_new_refresh_token_kept(
    app, brand, users, admin_client, fake_x
):
    channel = make_channel(brand, users, "x")
    connect_x(admin_client, fake_x, channel)
    first = stored(app, channel)
    now = utcnow()

    assert refresh_if_needed(db.session, channel, now + timedelta(minutes=60)) is Refresh.NOT_NEEDED
    assert len(fake_x.token_requests) == 1

    outcome = refresh_if_needed(db.session, channel, now + timedelta(minutes=115))
    db.session.commit()
    assert outcome is Refresh.REFRESHED
    renewal = fake_x.token_requests[-1]
    assert renewal == {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    second = stored(app, channel)
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] in fake_x.refresh_tokens
    assert first["refresh_token"] not in fake_x.refresh_tokens  # X rotates
    connection = db.session.get(ChannelConnection, channel.id)
    assert connection.access_expires_at == now + timedelta(minutes=115, seconds=7200)
    assert connection.refreshed_at == now + timedelta(minutes=115)


def test_a_renewal_without_a_refresh_token_keeps_the_stored_one(
    app, brand, users, admin_client, fake_x
):
    channel = make_channel(brand, users, "x")
    connect_x(admin_client, fake_x, channel)
    first = stored(app, channel)
    fake_x.rotate = False
    assert (
        refresh_if_needed(db.session, channel, utcnow() + timedelta(hours=2)) is Refresh.REFRESHED
    )
    db.session.commit()
    second = stored(app, channel)
    assert second["refresh_token"] == first["refresh_token"]
    assert second["access_token"] != first["access_token"]


def test_a_refused_renewal_needs_reconnect_and_tells_people(
    app, brand, users, admin_client, fake_x, webhook
):
    hooks = webhook
    channel = make_channel(brand, users, "x")
    connect_x(admin_client, fake_x, channel)
    fake_x.fail_refresh = "refused"

    outcome = refresh_if_needed(db.session, channel, utcnow() + timedelta(hours=2))
    db.session.commit()
    assert outcome is Refresh.NEEDS_REAUTH
    db.session.refresh(channel)
    assert channel.needs_reauth is True
    assert [hook["event"] for hook in hooks] == ["channel.needs_reauth"]
    assert hooks[0]["channel"]["id"] == channel.id
    assert "Value passed for the token was invalid" in hooks[0]["channel"]["reason"]
    page = admin_client.get(f"/channels/{channel.id}").get_data(as_text=True)
    assert 'id="health-badge">Needs reconnect' in page
    # Once refused, nothing more is sent until a person connects again.
    calls = len(fake_x.token_requests)
    assert refresh_if_needed(db.session, channel, utcnow() + timedelta(hours=3)) is (
        Refresh.NEEDS_REAUTH
    )
    assert len(fake_x.token_requests) == calls


def test_an_unreachable_provider_keeps_the_token_and_tries_later(
    app, brand, users, admin_client, fake_x
):
    channel = make_channel(brand, users, "x")
    connect_x(admin_client, fake_x, channel)
    first = stored(app, channel)
    fake_x.fail_refresh = "down"
    assert refresh_if_needed(db.session, channel, utcnow() + timedelta(hours=2)) is (
        Refresh.TRY_LATER
    )
    db.session.commit()
    db.session.refresh(channel)
    assert channel.needs_reauth is False
    assert stored(app, channel) == first


def test_a_rejected_token_is_renewed_once(app, brand, users, admin_client, fake_x):
    channel = make_channel(brand, users, "x")
    connect_x(admin_client, fake_x, channel)
    rejected = stored(app, channel)["access_token"]
    now = utcnow()
    assert refresh_if_needed(db.session, channel, now, rejected_token=rejected) is (
        Refresh.REFRESHED
    )
    db.session.commit()
    calls = len(fake_x.token_requests)
    # A second worker that saw the same 401 finds the token already renewed.
    assert refresh_if_needed(db.session, channel, now, rejected_token=rejected) is (
        Refresh.REFRESHED
    )
    assert len(fake_x.token_requests) == calls


def test_a_reconnect_updates_the_same_channel_and_keeps_the_refresh_token(
    app, brand, users, admin_client, fake_x
):
    channel = make_channel(brand, users, "x")
    connect_x(admin_client, fake_x, channel)
    first = stored(app, channel)
    channels_before = db.session.query(Channel).count()
    fake_x.refresh = False  # this time the provider sends no refresh token
    connect_x(admin_client, fake_x, channel)
    second = stored(app, channel)
    assert db.session.query(Channel).count() == channels_before
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] == first["refresh_token"]
    assert db.session.get(ChannelConnection, channel.id).refreshable is True


def test_a_reconnect_clears_needs_reauth(app, brand, users, admin_client, fake_x):
    channel = make_channel(brand, users, "x")
    channel.needs_reauth = True
    db.session.commit()
    connect_x(admin_client, fake_x, channel)
    db.session.refresh(channel)
    assert channel.needs_reauth is False


def test_the_worker_job_renews_every_connection_due(app, brand, users, admin_client, fake_x):
    due = make_channel(brand, users, "x", name="X due")
    connect_x(admin_client, fake_x, due)
    counts = refresh_due_connections(app, utcnow() + timedelta(hours=2))
    assert counts == {"refreshed": 1}
    assert refresh_due_connections(app, utcnow()) == {}


def test_disconnect_revokes_the_tokens_and_forgets_them(app, brand, users, admin_client, fake_x):
    channel = make_channel(brand, users, "x")
    connect_x(admin_client, fake_x, channel)
    tokens = stored(app, channel)
    response = admin_client.post(f"/channels/{channel.id}/disconnect")
    assert response.status_code == 302
    assert [r["token"] for r in fake_x.revoked] == [tokens["refresh_token"], tokens["access_token"]]
    db.session.refresh(channel)
    assert channel.credentials_encrypted is None
    assert db.session.get(ChannelConnection, channel.id) is None


def test_an_unconfigured_platform_says_so_and_keeps_the_manual_fields(
    app, brand, users, admin_client
):
    channel = make_channel(brand, users, "x")
    page = admin_client.get(f"/channels/{channel.id}").get_data(as_text=True)
    assert "Connecting with X is not set up on this server" in page
    assert "X_CLIENT_ID" in page
    assert 'name="cred-access_token"' in page
    response = admin_client.post(f"/channels/{channel.id}/connect")
    assert response.status_code == 302
    assert "/channels/" in response.headers["Location"]


def test_only_admins_connect(app, brand, users, client, fake_x):
    from tests.conftest import login

    channel = make_channel(brand, users, "x")
    login(client, users["editor"].email)
    assert client.post(f"/channels/{channel.id}/connect").status_code == 403
    assert client.get("/connect/x/callback?state=a&code=b").status_code == 403


def test_a_manual_token_replaces_the_connection(app, brand, users, admin_client, fake_x):
    channel = make_channel(brand, users, "x")
    connect_x(admin_client, fake_x, channel)
    admin_client.post(
        f"/channels/{channel.id}/credentials",
        data={"action": "save", "cred-access_token": "pasted"},
    )
    assert db.session.get(ChannelConnection, channel.id) is None
    page = admin_client.get(f"/channels/{channel.id}").get_data(as_text=True)
    assert 'id="health-badge">Entered by hand' in page
