"""WordPress through its application-password authorisation screen, against a local fake."""

from __future__ import annotations

import requests

from core.crypto import decrypt_json
from core.db import db
from planner.connections.models import ChannelConnection
from tests.planner.connections.conftest import callback, make_channel, query, start


def approve(client, fake, channel):
    authorize = start(client, channel.id, site_url=fake.site)
    answer = requests.get(authorize, allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    response = callback(client, "wordpress", query(answer.headers["Location"]))
    return authorize, client.get(response.headers["Location"]).get_data(as_text=True)


def test_wordpress_connects_through_the_authorisation_screen(
    app, brand, users, admin_client, fake_wordpress
):
    channel = make_channel(brand, users, "wordpress")
    authorize, page = approve(admin_client, fake_wordpress, channel)
    assert authorize.startswith(f"{fake_wordpress.site}/wp-admin/authorize-application.php?")
    (asked,) = fake_wordpress.asked
    assert asked["app_name"] == "PageOne"
    assert asked["success_url"].startswith("http://localhost/connect/wordpress/callback?state=")
    assert "error=access_denied" in asked["reject_url"]
    assert "WordPress connected as ada" in page

    db.session.refresh(channel)
    stored = decrypt_json(channel.credentials_encrypted, app.config)
    assert stored == {
        "site_url": fake_wordpress.site,
        "username": "ada",
        "app_password": fake_wordpress.passwords["ada"],
    }
    connection = db.session.get(ChannelConnection, channel.id)
    assert connection.method == "application_password"
    assert connection.account == f"Ada Baker on {fake_wordpress.site}"
    assert 'id="health-badge">Connected' in page


def test_a_refused_application_password_saves_nothing(
    app, brand, users, admin_client, fake_wordpress
):
    fake_wordpress.deny = True
    channel = make_channel(brand, users, "wordpress")
    _authorize, page = approve(admin_client, fake_wordpress, channel)
    assert "WordPress was not connected: the permission was declined" in page
    db.session.refresh(channel)
    assert channel.credentials_encrypted is None


def test_a_user_who_cannot_publish_is_refused(app, brand, users, admin_client, fake_wordpress):
    fake_wordpress.can_publish = False
    channel = make_channel(brand, users, "wordpress")
    _authorize, page = approve(admin_client, fake_wordpress, channel)
    assert "may not publish posts" in page
    db.session.refresh(channel)
    assert channel.credentials_encrypted is None


def test_a_forged_return_with_a_password_is_refused(
    app, brand, users, admin_client, fake_wordpress
):
    channel = make_channel(brand, users, "wordpress")
    start(admin_client, channel.id, site_url=fake_wordpress.site)
    response = callback(
        admin_client,
        "wordpress",
        {"state": "guess", "site_url": "http://evil", "user_login": "x", "password": "y"},
    )
    html = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "does not belong to a connection started here" in html
    db.session.refresh(channel)
    assert channel.credentials_encrypted is None


def test_pasting_the_password_still_works(app, brand, users, admin_client):
    channel = make_channel(brand, users, "wordpress")
    page = admin_client.get(f"/channels/{channel.id}").get_data(as_text=True)
    assert 'name="site_url"' in page and 'name="cred-app_password"' in page
    admin_client.post(
        f"/channels/{channel.id}/credentials",
        data={
            "action": "save",
            "cred-site_url": "https://blog.example.com",
            "cred-username": "ada",
            "cred-app_password": "abcd efgh ijkl mnop",
        },
    )
    db.session.refresh(channel)
    assert decrypt_json(channel.credentials_encrypted, app.config)["app_password"] == (
        "abcd efgh ijkl mnop"
    )
    page = admin_client.get(f"/channels/{channel.id}").get_data(as_text=True)
    assert 'id="health-badge">Entered by hand' in page
