"""Languages in Chromium: an admin invites a Latvian approver by mail (a local SMTP server); she
sets her password on a phone whose browser asks for English, sees PageOne in Latvian, and
approves a Polish editor's post under the two-person rule. The calendar speaks Latvian too."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.header import decode_header, make_header
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.e2e.conftest import BROWSER_TIMEZONE, LiveServer, add_member
from tests.e2e.test_calendar import log_in
from tests.e2e.test_phone import PHONE, screenshot
from tests.e2e.test_team import Inbox, free_port

pytestmark = pytest.mark.browser

INVITEE = "ilze@example.com"
PASSWORD = "dzintara krasts rudenī"
EDITOR = "ola@example.com"
POST_TEXT = "Nowa zimowa kawa już jest: ciemna czekolada, skórka pomarańczy i szczypta goździków."


def a_polish_editors_post_waits_under_two_people(server: LiveServer) -> int:
    """The demo brand is Latvian and needs two people; a Polish editor's post waits."""
    from core.db import db
    from core.models import User
    from core.tenants import Brand
    from planner.models import Channel, PostStatus
    from planner.operations import create_post

    add_member(server, EDITOR, "ola-password-1234", "editor")
    with server.app.app_context():
        brand = db.session.get(Brand, server.brand_id)
        brand.requires_approval = brand.requires_two_people = True
        brand.language = "lv"
        editor = db.session.query(User).filter_by(email=EDITOR).one()
        editor.locale = "pl"
        channel = db.session.query(Channel).filter_by(brand_id=brand.id).first()
        change = create_post(
            db.session, channel, editor, text=POST_TEXT, queue=True, now=datetime.now(UTC)
        )
        assert change.post.status == PostStatus.PENDING_APPROVAL.value
        db.session.commit()
        return change.post.id


def test_a_latvian_approver_joins_and_approves_a_polish_editors_post(
    live_server: LiveServer, page: Any, browser: Any
) -> None:
    from core.db import db
    from core.models import User
    from core.tenants import Brand
    from planner.models import Post

    post_id = a_polish_editors_post_waits_under_two_people(live_server)
    with live_server.app.app_context():
        brand_name = db.session.get(Brand, live_server.brand_id).name

    # The Polish editor sees her post waiting, in Polish.
    editor = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    editor.set_default_timeout(10_000)
    polish = editor.new_page()
    try:
        polish.goto(f"{live_server.url}/login")
        polish.get_by_label("Email").fill(EDITOR)
        polish.get_by_label("Password").fill("ola-password-1234")
        with polish.expect_navigation():
            polish.get_by_role("button", name="Log in").click()
        polish.goto(f"{live_server.url}/brands/{live_server.brand_id}/approvals")
        assert polish.locator("html").get_attribute("lang") == "pl"
        assert "Czeka na akceptację" in polish.locator("h1").inner_text()
        mine = polish.locator(f"#post-{post_id}").inner_text()
        assert f"autor: {EDITOR}" in mine and "otwórz" in mine
    finally:
        editor.close()

    # The admin (whose browser speaks English) invites a Latvian approver.
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    try:
        live_server.app.config.update(SMTP_HOST=smtp.hostname, SMTP_PORT=smtp.port)
        log_in(page, live_server)
        page.goto(f"{live_server.url}/team")
        page.get_by_label("Email").fill(INVITEE)
        page.get_by_label("Role").select_option("approver")
        page.get_by_label(brand_name).check()
        page.get_by_label("Language of the mail and the app").select_option("lv")
        with page.expect_navigation():
            page.get_by_role("button", name="Invite").click()
        assert f"Invitation sent to {INVITEE}." in page.locator(".flash").inner_text()
        (mail,) = inbox.messages
        assert str(make_header(decode_header(mail["Subject"]))) == "Jūs esat uzaicināts uz PageOne"
        body = mail.get_payload(decode=True).decode()
        assert "aicina jūs pievienoties PageOne kā apstiprinātājs" in body
        link = re.search(r"http://127\.0\.0\.1:\d+/invite/\S+", body).group(0)
    finally:
        smtp.stop()

    # She opens the link on a phone whose browser asks for English: the app speaks Latvian.
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, timezone_id=BROWSER_TIMEZONE,
        locale="en-GB",
    )  # fmt: skip
    context.set_default_timeout(10_000)
    phone = context.new_page()
    try:
        phone.goto(link)
        assert phone.locator("html").get_attribute("lang") == "lv"
        assert "apstiprinātājs" in phone.locator("main").inner_text()
        fits(phone)
        screenshot(phone, "i18n-accept-lv-390")
        phone.get_by_label("Jūsu vārds").fill("Ilze")
        phone.locator("input[name=password]").fill(PASSWORD)
        phone.get_by_label("Jaunā parole vēlreiz").fill(PASSWORD)
        with phone.expect_navigation():
            phone.get_by_role("button", name="Iestatīt paroli un pieteikties").click()
        assert "Laipni lūdzam PageOne, Ilze!" in phone.locator(".flash").inner_text()
        # The overview counts in Latvian: "1 ieraksts", with the singular of one.
        assert "1 ieraksts gaida apstiprinājumu." in phone.locator("main").inner_text()
        fits(phone)
        screenshot(phone, "i18n-home-lv-390")
        phone.get_by_role("button", name="Izvēlne").click()
        assert phone.get_by_role("link", name=f"{INVITEE} (apstiprinātājs)").is_visible()

        # Under the two-person rule she approves the Polish editor's post.
        phone.goto(f"{live_server.url}/brands/{live_server.brand_id}/approvals")
        assert "Gaida apstiprinājumu" in phone.locator("h1").inner_text()
        waiting = phone.locator(f"#post-{post_id}")
        assert f"autors: {EDITOR}" in waiting.inner_text()
        fits(phone)
        screenshot(phone, "i18n-approvals-lv-390")
        with phone.expect_navigation():
            waiting.get_by_role("button", name="Apstiprināt").click()
        flash = phone.locator(".flash").inner_text()
        assert flash.startswith("Apstiprināts: ieraksts ieplānots uz ")
        assert phone.locator(f"#post-{post_id}").count() == 0
        assert "Nekas negaida apstiprinājumu." in phone.locator("main").inner_text()
    finally:
        context.close()

    with live_server.app.app_context():
        post = db.session.get(Post, post_id)
        ilze = db.session.query(User).filter_by(email=INVITEE).one()
        assert post.status == "scheduled" and post.approved_by_id == ilze.id
        assert ilze.role == "approver" and ilze.locale == "lv"

    # The same Latvian pages on a desktop, the calendar with FullCalendar's Latvian locale.
    desktop = browser.new_context(
        viewport={"width": 1280, "height": 900}, timezone_id=BROWSER_TIMEZONE, locale="en-GB"
    )
    desktop.set_default_timeout(10_000)
    wide = desktop.new_page()
    try:
        wide.goto(f"{live_server.url}/login")
        wide.get_by_label("Email").fill(INVITEE)
        wide.get_by_label("Password").fill(PASSWORD)
        with wide.expect_navigation():
            wide.get_by_role("button", name="Log in").click()
        assert wide.locator("html").get_attribute("lang") == "lv"
        screenshot(wide, "i18n-home-lv-1280")
        wide.goto(f"{live_server.url}/brands/{live_server.brand_id}/calendar")
        wide.locator("[data-post-id]").first.wait_for()
        # FullCalendar's own words come from its Latvian locale.
        assert wide.get_by_role("button", name="Šodien").count() == 1
        assert "Satura kalendārs" in wide.locator("h1").inner_text()
        screenshot(wide, "i18n-calendar-lv-1280")
        # Chart.js is given the page's language too.
        wide.goto(f"{live_server.url}/brands/{live_server.brand_id}/serp/dashboard")
        assert wide.evaluate("window.Chart.defaults.locale") == "lv"
        wide.goto(f"{live_server.url}/account")
        assert "Jūsu konts" in wide.locator("h1").inner_text()
        screenshot(wide, "i18n-account-lv-1280")
    finally:
        desktop.close()


def fits(page: Any) -> None:
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways: {width}"
