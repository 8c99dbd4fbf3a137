"""Connecting LinkedIn as a member or an organization page, against a local fake."""

from __future__ import annotations

from datetime import timedelta

from core.crypto import decrypt_json
from core.db import db, utcnow
from core.i18n import local_datetime
from planner.connections.lifecycle import Refresh, refresh_if_needed
from planner.connections.models import ChannelConnection
from tests.planner.connections.conftest import callback, make_channel, query, start


def connect(client, fake, channel, organization=""):
    authorize = start(client, channel.id, organization=organization)
    response = callback(client, "linkedin", fake.consent(authorize))
    assert response.status_code == 302
    return authorize, client.get(response.headers["Location"]).get_data(as_text=True)


def credentials(app, channel):
    db.session.refresh(channel)
    return decrypt_json(channel.credentials_encrypted, app.config)


def test_linkedin_connects_a_member_and_warns_before_the_60_days_end(
    app, brand, users, admin_client, fake_linkedin
):
    channel = make_channel(brand, users, "linkedin")
    before = utcnow()
    authorize, page = connect(admin_client, fake_linkedin, channel)

    asked = query(authorize)
    assert authorize.startswith(fake_linkedin.url("/oauth/v2/authorization"))
    assert asked["scope"] == "openid profile w_member_social"
    assert "code_challenge" not in asked
    exchange = fake_linkedin.token_requests[0]
    assert exchange["client_id"] == "li-client" and exchange["client_secret"] == "li-secret"
    assert exchange["redirect_uri"] == "http://localhost/connect/linkedin/callback"
    assert fake_linkedin.problems == []
    assert "LinkedIn connected as Ada Baker." in page

    stored = credentials(app, channel)
    assert stored["author_urn"] == "urn:li:person:782bbtaQ"
    assert "refresh_token" not in stored
    connection = db.session.get(ChannelConnection, channel.id)
    assert connection.refreshable is False
    assert before + timedelta(days=60) - timedelta(seconds=5) <= connection.reconnect_by
    assert connection.reconnect_by <= utcnow() + timedelta(days=60)
    with app.test_request_context():  # written as the page writes it: Babel, in English
        date = local_datetime(connection.reconnect_by, brand.zone, "yMMMMd")
    assert f"must be renewed by a person by <strong>{date}</strong>" in page
    assert 'id="health-badge">Connected' in page
    # Nothing to renew it with: the worker leaves it alone.
    assert refresh_if_needed(db.session, channel, utcnow() + timedelta(days=59)) is (
        Refresh.NOT_NEEDED
    )


def test_linkedin_connects_an_organization_the_member_administers(
    app, brand, users, admin_client, fake_linkedin
):
    channel = make_channel(brand, users, "linkedin")
    authorize, page = connect(admin_client, fake_linkedin, channel, organization="2414183")
    assert query(authorize)["scope"] == (
        "openid profile w_organization_social r_organization_admin"
    )
    assert credentials(app, channel)["author_urn"] == "urn:li:organization:2414183"
    (acl,) = fake_linkedin.acl_requests
    assert acl["args"] == {"q": "roleAssignee", "role": "ADMINISTRATOR", "state": "APPROVED"}
    assert acl["restli"] == "2.0.0" and acl["version"].isdigit()
    assert "urn:li:organization:2414183 (by Ada Baker)" in page


def test_an_organization_the_member_does_not_administer_is_refused(
    app, brand, users, admin_client, fake_linkedin
):
    channel = make_channel(brand, users, "linkedin")
    _authorize, page = connect(admin_client, fake_linkedin, channel, organization="999")
    assert "not an approved administrator of urn:li:organization:999" in page
    db.session.refresh(channel)
    assert channel.credentials_encrypted is None


def test_a_badly_typed_organization_id_is_explained(app, brand, users, admin_client, fake_linkedin):
    channel = make_channel(brand, users, "linkedin")
    response = admin_client.post(
        f"/channels/{channel.id}/connect", data={"organization": "acme-bakery"}
    )
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "the number in the page&#39;s admin address" in page


def test_linkedin_without_w_member_social_is_refused(
    app, brand, users, admin_client, fake_linkedin
):
    channel = make_channel(brand, users, "linkedin")
    fake_linkedin.scopes_granted = "openid profile"
    _authorize, page = connect(admin_client, fake_linkedin, channel)
    assert "missing: w_member_social" in page
    db.session.refresh(channel)
    assert channel.credentials_encrypted is None


def test_linkedin_refresh_tokens_renew_and_move_the_warning_to_their_own_end(
    app, brand, users, admin_client, fake_linkedin
):
    fake_linkedin.refresh = True
    fake_linkedin.rotate = False
    fake_linkedin.refresh_token_expires_in = 31536000
    channel = make_channel(brand, users, "linkedin")
    connect(admin_client, fake_linkedin, channel)
    first = credentials(app, channel)
    connection = db.session.get(ChannelConnection, channel.id)
    assert connection.refreshable is True
    year_end = connection.reconnect_by
    assert year_end - utcnow() > timedelta(days=364)

    later = utcnow() + timedelta(days=59, hours=23, minutes=55)
    fake_linkedin.refresh_token_expires_in = 31536000 - 60 * 86400  # LinkedIn counts down
    assert refresh_if_needed(db.session, channel, later) is Refresh.REFRESHED
    db.session.commit()
    renewal = fake_linkedin.token_requests[-1]
    assert renewal["grant_type"] == "refresh_token"
    assert renewal["refresh_token"] == first["refresh_token"]
    assert renewal["client_secret"] == "li-secret"
    second = credentials(app, channel)
    assert second["refresh_token"] == first["refresh_token"]
    assert second["author_urn"] == first["author_urn"]
    db.session.refresh(connection)
    assert connection.access_expires_at == later + timedelta(seconds=5184000)
    assert abs(connection.reconnect_by - year_end) < timedelta(days=1)


def test_a_connection_ending_within_a_week_shows_expiring_in_days(
    app, brand, users, admin_client, fake_linkedin
):
    channel = make_channel(brand, users, "linkedin")
    connect(admin_client, fake_linkedin, channel)
    connection = db.session.get(ChannelConnection, channel.id)
    connection.reconnect_by = utcnow() + timedelta(days=4, hours=3)
    db.session.commit()
    page = admin_client.get(f"/channels/{channel.id}").get_data(as_text=True)
    assert 'id="health-badge">Expiring in 5 days' in page
    connection.reconnect_by = utcnow() - timedelta(minutes=1)
    db.session.commit()
    page = admin_client.get(f"/channels/{channel.id}").get_data(as_text=True)
    assert 'id="health-badge">Needs reconnect' in page


def test_disconnect_revokes_the_linkedin_token(app, brand, users, admin_client, fake_linkedin):
    channel = make_channel(brand, users, "linkedin")
    connect(admin_client, fake_linkedin, channel)
    token = credentials(app, channel)["access_token"]
    admin_client.post(f"/channels/{channel.id}/disconnect")
    assert fake_linkedin.revoked == [
        {"token": token, "client_id": "li-client", "client_secret": "li-secret"}
    ]
    db.session.refresh(channel)
    assert channel.credentials_encrypted is None
