"""Connecting X in a browser: the channel page sends the person to X's consent page (a local
fake that approves and redirects back), and the channel then shows it is connected, as whom and
until when its token lasts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import LiveServer
from tests.e2e.test_calendar import log_in
from tests.planner.connections.fakes import FakeOAuth, bearer_ok, json_response

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots_oauth")


def x_channel(server: LiveServer) -> int:
    from core.db import db
    from core.models import User
    from core.tenants import Brand
    from planner import channels

    with server.app.app_context():
        admin = db.session.query(User).filter_by(email=server.email).one()
        brand = db.session.get(Brand, server.brand_id)
        channel = channels.create_channel(db.session, brand, admin, platform="x", name="X (Acme)")
        db.session.commit()
        return channel.id


def test_connect_x_in_the_browser_shows_connected_with_the_expiry(
    live_server: LiveServer, page: Any, browser: Any, httpserver
):
    fake = FakeOAuth(
        httpserver,
        client_id="x-client",
        client_secret="x-secret",
        authorize_path="/i/oauth2/authorize",
        token_path="/2/oauth2/token",
    )
    httpserver.expect_request("/2/users/me").respond_with_handler(
        lambda request: (
            json_response({"data": {"id": "42", "username": "acme_bakery"}})
            if bearer_ok(fake, request)
            else json_response({"title": "Unauthorized"}, 401)
        )
    )
    base = httpserver.url_for("/").rstrip("/")
    live_server.app.config.update(
        X_CLIENT_ID="x-client",
        X_CLIENT_SECRET="x-secret",
        X_AUTH_URL=base,
        X_API_URL=base,
        OUTBOUND_ALLOW_PRIVATE=True,  # the fake provider listens on loopback
    )
    channel_id = x_channel(live_server)
    log_in(page, live_server)
    page.goto(f"{live_server.url}/channels/{channel_id}")
    assert page.locator("#health-badge").inner_text() == "Not connected"

    page.get_by_role("button", name="Connect with X").click()
    # Through the leaving page and the fake consent page, back to the channel.
    page.wait_for_url(f"{live_server.url}/channels/{channel_id}#credentials")

    assert page.locator(".flash.success").inner_text() == "X connected as @acme_bakery."
    assert page.locator("#health-badge").inner_text() == "Connected"
    assert page.locator("#connection-account").inner_text() == "@acme_bakery"
    expiry = page.locator("#connection-expiry").inner_text()
    assert "The access token ends" in expiry and "renewed automatically" in expiry
    assert fake.problems == []
    assert [r["grant_type"] for r in fake.token_requests] == ["authorization_code"]

    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#credentials").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "channel_desktop.png"), full_page=True)
    phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    try:
        phone.add_cookies(page.context.cookies())
        small = phone.new_page()
        small.goto(f"{live_server.url}/channels/{channel_id}#credentials")
        # The connection card fits the phone's width (the windows table above it scrolls).
        wide = small.evaluate(
            """() => [...document.querySelectorAll('#credentials, #credentials *')]
                .filter(e => e.getBoundingClientRect().right > 390.5)
                .map(e => e.tagName + '#' + e.id)"""
        )
        assert wide == []
        assert small.locator("#health-badge").inner_text() == "Connected"
        small.screenshot(path=str(SHOTS / "channel_390.png"), full_page=True)
    finally:
        phone.close()


def _queue_in_browser(page: Any, server: LiveServer, text: str) -> int:
    """A post for the X channel through the calendar's dialog ("Add to queue")."""
    page.goto(f"{server.url}/brands/{server.brand_id}/calendar")
    page.get_by_role("button", name="New post").click()
    dialog = page.locator("#post-dialog")
    dialog.wait_for()
    dialog.get_by_label("Channel").select_option(label="X (Acme)")
    dialog.get_by_label("Text").fill(text)
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/posts")
    ) as created:
        dialog.get_by_role("button", name="Add to queue").click()
    assert created.value.status == 201, created.value.text()
    return int(created.value.json()["post"]["id"])


def _due_now(server: LiveServer, post_id: int) -> None:
    """The queue's slot has come (the clock moves on rather than the test waiting for it)."""
    from datetime import timedelta

    from core.db import db, utcnow
    from planner.models import Post

    with server.app.app_context():
        db.session.get(Post, post_id).scheduled_at = utcnow() - timedelta(seconds=5)
        db.session.commit()


def test_connect_publish_renew_publish_in_the_browser(
    live_server: LiveServer, page: Any, httpserver
):
    """The whole life of a connection: connect X, a post goes out, the two-hour token nears
    its end, the worker renews it before the next post, which goes out with the new token."""
    from datetime import timedelta

    from core.crypto import decrypt_json, encrypt_json
    from core.db import db, utcnow
    from planner.connections.models import ChannelConnection
    from planner.models import Channel, Post, PostStatus
    from planner.publishing.worker import run_worker

    fake = FakeOAuth(
        httpserver,
        client_id="x-client",
        client_secret="x-secret",
        authorize_path="/i/oauth2/authorize",
        token_path="/2/oauth2/token",
    )
    httpserver.expect_request("/2/users/me").respond_with_handler(
        lambda request: (
            json_response({"data": {"id": "42", "username": "acme_bakery"}})
            if bearer_ok(fake, request)
            else json_response({"title": "Unauthorized"}, 401)
        )
    )
    tweets: list[tuple[str, str]] = []

    def tweet(request):
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if not bearer_ok(fake, request):
            return json_response({"title": "Unauthorized", "status": 401}, 401)
        tweets.append((token, request.get_json()["text"]))
        return json_response({"data": {"id": f"180{len(tweets)}", "text": "ok"}}, 201)

    httpserver.expect_request("/2/tweets", method="POST").respond_with_handler(tweet)
    base = httpserver.url_for("/").rstrip("/")
    app = live_server.app
    app.config.update(
        X_CLIENT_ID="x-client",
        X_CLIENT_SECRET="x-secret",
        X_AUTH_URL=base,
        X_API_URL=base,
        OUTBOUND_ALLOW_PRIVATE=True,  # the fake platform listens on loopback
    )
    channel_id = x_channel(live_server)
    log_in(page, live_server)
    page.goto(f"{live_server.url}/channels/{channel_id}")
    page.get_by_role("button", name="Connect with X").click()
    page.wait_for_url(f"{live_server.url}/channels/{channel_id}#credentials")
    assert page.locator("#health-badge").inner_text() == "Connected"
    with app.app_context():
        channel = db.session.get(Channel, channel_id)
        credentials = decrypt_json(channel.credentials_encrypted, app.config)
        first_token = credentials["access_token"]
        # The adapter posts to the fake platform instead of api.x.com.
        credentials["base_url"] = base
        channel.credentials_encrypted = encrypt_json(credentials, app.config)
        db.session.commit()

    first = _queue_in_browser(page, live_server, "Fresh bread at eight")
    _due_now(live_server, first)
    run_worker(app, "w1", once=True)
    assert tweets == [(first_token, "Fresh bread at eight")]

    # Two hours on: the access token is about to end.
    with app.app_context():
        connection = db.session.get(ChannelConnection, channel_id)
        connection.access_expires_at = utcnow() + timedelta(seconds=60)
        db.session.commit()
    second = _queue_in_browser(page, live_server, "Rye loaves at noon")
    _due_now(live_server, second)
    run_worker(app, "w1", once=True)

    refreshes = [r for r in fake.token_requests if r["grant_type"] == "refresh_token"]
    assert len(refreshes) == 1
    assert len(tweets) == 2 and tweets[1][1] == "Rye loaves at noon"
    assert tweets[1][0] != first_token and tweets[1][0] in fake.access_tokens
    with app.app_context():
        for post_id in (first, second):
            assert db.session.get(Post, post_id).status == PostStatus.PUBLISHED.value

    page.goto(f"{live_server.url}/channels/{channel_id}")
    assert page.locator("#health-badge").inner_text() == "Connected"
    # The post as the JSON API gives it to the logged-in browser.
    page.goto(f"{live_server.url}/api/v1/posts/{second}")
    assert '"status":"published"' in page.locator("body").inner_text().replace(" ", "")
    assert fake.problems == []
