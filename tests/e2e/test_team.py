"""A team from the web, in Chromium: an admin invites an approver by email (delivered to a local
SMTP server), the invitee opens the link from the mail on a phone, sets a password, sees the app
and approves an editor's post under the two-person rule."""

from __future__ import annotations

import re
import socket
from datetime import UTC, datetime
from email import message_from_bytes
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.e2e.conftest import BROWSER_TIMEZONE, LiveServer, add_member
from tests.e2e.test_calendar import log_in
from tests.e2e.test_phone import PHONE, screenshot

pytestmark = pytest.mark.browser

INVITEE = "priya@example.com"
PASSWORD = "harbour lights at dusk"
POST_TEXT = "Our winter blend is back: dark chocolate, orange peel and a hint of clove."


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def an_editors_post_waits_under_two_people(server: LiveServer) -> int:
    """The demo brand needs approval by two people; an editor's post waits for it."""
    from core.db import db
    from core.models import User
    from core.tenants import Brand
    from planner.models import Channel, PostStatus
    from planner.operations import create_post

    add_member(server, "eddie@example.com", "eddie-password-1", "editor")
    with server.app.app_context():
        brand = db.session.get(Brand, server.brand_id)
        brand.requires_approval = brand.requires_two_people = True
        editor = db.session.query(User).filter_by(email="eddie@example.com").one()
        channel = db.session.query(Channel).filter_by(brand_id=brand.id).first()
        change = create_post(
            db.session, channel, editor, text=POST_TEXT, queue=True, now=datetime.now(UTC)
        )
        assert change.post.status == PostStatus.PENDING_APPROVAL.value
        db.session.commit()
        return change.post.id


def test_an_invited_approver_joins_from_the_mail_and_approves_an_editors_post(
    live_server: LiveServer, page: Any, browser: Any
) -> None:
    from core.db import db
    from core.models import User
    from core.tenants import Brand
    from planner.models import Post

    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    try:
        live_server.app.config.update(SMTP_HOST=smtp.hostname, SMTP_PORT=smtp.port)
        post_id = an_editors_post_waits_under_two_people(live_server)
        with live_server.app.app_context():
            brand_name = db.session.get(Brand, live_server.brand_id).name

        # The admin invites an approver for the demo brand from the Team page in the header.
        log_in(page, live_server)
        page.locator("header").get_by_role("link", name="Team").click()
        page.wait_for_url(f"{live_server.url}/team")
        page.get_by_label("Email").fill(INVITEE)
        page.get_by_label("Role").select_option("approver")
        page.get_by_label(brand_name).check()
        with page.expect_navigation():
            page.get_by_role("button", name="Invite").click()
        assert f"Invitation sent to {INVITEE}." in page.locator(".flash").inner_text()
        pending = page.locator(f'tr[data-invitation="{INVITEE}"]')
        assert "approver" in pending.inner_text() and brand_name in pending.inner_text()
        screenshot(page, "team-1280")

        (mail,) = inbox.messages
        assert mail["To"] == INVITEE
        body = mail.get_payload(decode=True).decode()
        link = re.search(r"http://127\.0\.0\.1:\d+/invite/\S+", body).group(0)
        assert link.startswith(live_server.url)
    finally:
        smtp.stop()

    # The invitee opens the link on a phone, chooses a password and lands in the app.
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, timezone_id=BROWSER_TIMEZONE
    )
    context.set_default_timeout(10_000)
    phone = context.new_page()
    try:
        phone.goto(link)
        assert "approver" in phone.locator("main").inner_text()
        width = phone.evaluate("document.scrollingElement.scrollWidth")
        assert width <= PHONE["width"], f"the invitation page scrolls sideways: {width}"
        screenshot(phone, "accept-390")
        phone.get_by_label("Your name").fill("Priya")
        phone.locator("input[name=password]").fill(PASSWORD)
        phone.get_by_label("New password again").fill(PASSWORD)
        with phone.expect_navigation():
            phone.get_by_role("button", name="Set password and log in").click()
        assert phone.url == f"{live_server.url}/"
        assert "Welcome to PageOne, Priya." in phone.locator(".flash").inner_text()
        phone.get_by_role("button", name="Menu").click()
        assert phone.get_by_role("link", name=f"{INVITEE} (approver)").is_visible()

        # Under the two-person rule the approver approves the editor's post.
        phone.goto(f"{live_server.url}/brands/{live_server.brand_id}/approvals")
        waiting = phone.locator(f"#post-{post_id}")
        assert "by eddie@example.com" in waiting.inner_text()
        with phone.expect_navigation():
            waiting.get_by_role("button", name="Approve").click()
        assert phone.locator(f"#post-{post_id}").count() == 0
    finally:
        context.close()

    with live_server.app.app_context():
        post = db.session.get(Post, post_id)
        priya = db.session.query(User).filter_by(email=INVITEE).one()
        assert post.status == "scheduled" and post.approved_by_id == priya.id
        assert priya.role == "approver" and priya.name == "Priya"
    # The link worked once.
    again = page.goto(link)
    assert again.status == 410
    assert "already accepted" in page.locator("main").inner_text()


def test_the_team_and_account_pages_fit_a_phone(live_server: LiveServer, browser: Any) -> None:
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, timezone_id=BROWSER_TIMEZONE
    )
    phone = context.new_page()
    try:
        add_member(live_server, "eddie@example.com", "eddie-password-1", "editor")
        from core.db import db
        from core.models import User

        with live_server.app.app_context():
            eddie = db.session.query(User).filter_by(email="eddie@example.com").one().id
        log_in(phone, live_server)
        for path, shot in (
            ("/team", "team-390"),
            ("/account", "account-390"),
            (f"/team/members/{eddie}", "member-390"),
            (f"/team/members/{eddie}/remove", "remove-390"),
            ("/forgot-password", "forgot-390"),
        ):
            assert phone.goto(f"{live_server.url}{path}").status == 200
            width = phone.evaluate("document.scrollingElement.scrollWidth")
            assert width <= PHONE["width"], f"{path} scrolls sideways: {width}"
            screenshot(phone, shot)
    finally:
        context.close()


def test_the_account_page_on_a_laptop(live_server: LiveServer, page: Any) -> None:
    log_in(page, live_server)
    page.goto(f"{live_server.url}/account")
    assert page.get_by_label("Current password").is_visible()
    assert page.get_by_label("New email").is_visible()
    screenshot(page, "account-1280")
