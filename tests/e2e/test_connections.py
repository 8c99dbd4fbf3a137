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
