"""Facebook Pages and Instagram accounts through Facebook Login, against a local fake."""

from __future__ import annotations

from datetime import timedelta

from core.crypto import decrypt_json
from core.db import db, utcnow
from planner.connections.models import ChannelConnection
from planner.models import Channel
from tests.planner.connections.conftest import callback, leaving_for, query, start


def log_in_with_facebook(client, fake, brand):
    authorize = leaving_for(client.post(f"/brands/{brand.id}/connect/facebook"))
    return authorize, callback(client, "facebook", fake.consent(authorize))


def channels_of(brand, platform):
    return db.session.query(Channel).filter_by(brand_id=brand.id, platform=platform).all()


def stored(app, channel):
    return decrypt_json(channel.credentials_encrypted, app.config)


def test_picked_pages_and_instagram_accounts_become_channels_with_page_tokens(
    app, brand, users, admin_client, fake_facebook
):
    authorize, page = log_in_with_facebook(admin_client, fake_facebook, brand)
    asked = query(authorize)
    assert authorize.startswith(fake_facebook.url("/v23.0/dialog/oauth"))
    assert asked["scope"].split(",") == [
        "pages_show_list",
        "pages_read_engagement",
        "pages_manage_posts",
        "instagram_basic",
        "instagram_content_publish",
    ]
    code_exchange, long_exchange = fake_facebook.token_requests
    assert code_exchange["redirect_uri"] == "http://localhost/connect/facebook/callback"
    assert long_exchange["grant_type"] == "fb_exchange_token"
    assert long_exchange["fb_exchange_token"] in fake_facebook.short_tokens

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for choice in ("facebook:111", "instagram:17841400000000001", "facebook:222"):
        assert f'value="{choice}"' in html
    assert "fb-secret" not in html and "page-111" not in html and "long-0" not in html

    response = admin_client.post(
        "/connect/facebook/pick", data={"pick": ["facebook:111", "instagram:17841400000000001"]}
    )
    assert response.status_code == 302
    (facebook,) = channels_of(brand, "facebook")
    (instagram,) = channels_of(brand, "instagram")
    assert facebook.name == "Acme Bakery" and instagram.name == "@acmebakery"
    assert stored(app, facebook)["page_id"] == "111"
    assert stored(app, facebook)["page_access_token"] == "page-111-2"
    assert stored(app, instagram)["ig_user_id"] == "17841400000000001"
    assert stored(app, instagram)["access_token"] == "page-111-2"
    connection = db.session.get(ChannelConnection, facebook.id)
    # Facebook ends the app's data access 90 days after the person's last use.
    assert connection.account == "Acme Bakery"
    assert timedelta(days=89) < connection.reconnect_by - utcnow() <= timedelta(days=90)
    channel_page = admin_client.get(f"/channels/{facebook.id}").get_data(as_text=True)
    assert 'id="health-badge">Connected' in channel_page
    # The long-lived user token is not kept after the pick.
    assert "long-0" not in str(stored(app, facebook))


def test_reconnecting_a_page_updates_its_channel_instead_of_adding_one(
    app, brand, users, admin_client, fake_facebook
):
    log_in_with_facebook(admin_client, fake_facebook, brand)
    admin_client.post("/connect/facebook/pick", data={"pick": ["facebook:111"]})
    (channel,) = channels_of(brand, "facebook")
    channel.needs_reauth = True
    db.session.commit()

    authorize = start(admin_client, channel.id)
    page = callback(admin_client, "facebook", fake_facebook.consent(authorize))
    html = page.get_data(as_text=True)
    assert 'value="facebook:111" checked' in html
    assert "already the channel" in html
    admin_client.post("/connect/facebook/pick", data={"pick": ["facebook:111"]})

    (again,) = channels_of(brand, "facebook")
    assert again.id == channel.id
    db.session.refresh(again)
    assert again.needs_reauth is False
    assert stored(app, again)["page_access_token"] == "page-111-4"


def test_a_declined_page_permission_is_named_and_nothing_is_offered(
    app, brand, users, admin_client, fake_facebook
):
    fake_facebook.declined = {"pages_manage_posts"}
    _authorize, page = log_in_with_facebook(admin_client, fake_facebook, brand)
    assert page.status_code == 302
    html = admin_client.get(page.headers["Location"]).get_data(as_text=True)
    assert "missing: pages_manage_posts" in html
    assert (
        admin_client.post("/connect/facebook/pick", data={"pick": ["facebook:111"]}).status_code
        == 302
    )
    assert channels_of(brand, "facebook") == []


def test_a_denied_facebook_login_saves_nothing(app, brand, users, admin_client, fake_facebook):
    fake_facebook.deny = True
    _authorize, page = log_in_with_facebook(admin_client, fake_facebook, brand)
    html = admin_client.get(page.headers["Location"]).get_data(as_text=True)
    assert "Facebook was not connected: the permission was declined" in html
    assert fake_facebook.token_requests == []


def test_a_pick_without_a_login_is_refused(app, brand, users, admin_client, fake_facebook):
    response = admin_client.post("/connect/facebook/pick", data={"pick": ["facebook:111"]})
    html = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Nothing is waiting to be picked" in html
    assert channels_of(brand, "facebook") == []


def test_the_channels_page_says_when_facebook_is_not_set_up(app, brand, users, admin_client):
    html = admin_client.get(f"/brands/{brand.id}/channels").get_data(as_text=True)
    assert "Connecting with Facebook is not set up on this server" in html


def test_data_access_ending_within_a_week_is_said_on_the_channel(
    app, brand, users, admin_client, fake_facebook
):
    fake_facebook.data_access_days = 5
    log_in_with_facebook(admin_client, fake_facebook, brand)
    admin_client.post("/connect/facebook/pick", data={"pick": ["facebook:111"]})
    (facebook,) = channels_of(brand, "facebook")
    channel_page = admin_client.get(f"/channels/{facebook.id}").get_data(as_text=True)
    assert 'id="health-badge">Expiring in 5 days' in channel_page


def test_a_connection_without_a_data_access_date_has_no_end(
    app, brand, users, admin_client, fake_facebook
):
    fake_facebook.data_access_days = None
    log_in_with_facebook(admin_client, fake_facebook, brand)
    admin_client.post("/connect/facebook/pick", data={"pick": ["facebook:111"]})
    (facebook,) = channels_of(brand, "facebook")
    assert db.session.get(ChannelConnection, facebook.id).reconnect_by is None
