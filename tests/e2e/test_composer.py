"""Composing in the browser: three channels, one adjusted, each counted and previewed as its
network shows it, queued as one campaign that the calendar shows as one item."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from werkzeug import Response

from tests.e2e.conftest import LiveServer
from tests.e2e.test_calendar import log_in

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots_composer")
LONG = (
    "Our winter blend is back: dark chocolate, orange peel and a long, warm finish. Roasted in "
    "small batches every Tuesday in our Riga roastery and on the shelves from Monday morning. "
    "Ask for a tasting cup at the counter."
)
PAGE = """<html><head><meta property="og:title" content="Winter blend is back">
<meta property="og:description" content="Roasted in small batches."></head></html>"""


def pick(page: Any, name: str) -> None:
    page.locator("label.composer-channel", has_text=name).locator("input").check()


def test_compose_for_three_channels_preview_queue_and_open_the_campaign(
    live_server: LiveServer, page: Any, browser: Any, httpserver
):
    httpserver.expect_request("/winter").respond_with_response(
        Response(PAGE, content_type="text/html")
    )
    live_server.app.config["OUTBOUND_ALLOW_PRIVATE"] = True  # the linked page is on loopback
    link = httpserver.url_for("/winter")
    log_in(page, live_server)
    page.goto(f"{live_server.url}/brands/{live_server.brand_id}/compose")
    for name in ("Northwind X", "Northwind LinkedIn", "Northwind Facebook"):
        pick(page, name)
    page.locator("#compose-text").fill(LONG)
    page.locator("#compose-link").fill(link)

    counts = page.locator("#compose-counts")
    x_count = counts.locator("li", has_text="Northwind X")
    assert "/ 280" in x_count.inner_text()
    # LinkedIn folds a long text behind "see more"; Facebook's fold comes later.
    linkedin = page.locator(".preview-linkedin:not([hidden])")
    linkedin.locator(".preview-more").wait_for()
    assert linkedin.locator(".preview-more").inner_text() == "\u2026 see more"
    assert page.locator(".preview-facebook:not([hidden]) .preview-more").count() == 0
    # The link card, read from the page's tags.
    card = linkedin.locator("[data-preview-card]")
    card.get_by_text("Winter blend is back").wait_for()

    # X gets its own, shorter version.
    x_section = page.locator("fieldset.composer-version", has_text="Northwind X")
    x_section.get_by_label("Adjust the text and link for X").check()
    x_section.locator("textarea").fill("Winter blend is back \u2615")
    x_section.locator('input[type="url"]').fill("")
    page.locator(".preview-x:not([hidden]) [data-preview-text]").get_by_text(
        "Winter blend is back \u2615"
    ).wait_for()
    assert "over" not in (x_count.get_attribute("class") or "")

    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "compose_desktop.png"), full_page=True)
    phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    try:
        phone.add_cookies(page.context.cookies())
        small = phone.new_page()
        small.goto(page.url)
        pick(small, "Northwind LinkedIn")
        small.locator("#compose-text").fill(LONG)
        wide = small.evaluate(
            """() => [...document.querySelectorAll('#composer, #composer *')]
                .filter(e => e.getBoundingClientRect().right > 390.5)
                .map(e => e.tagName + '.' + e.className)"""
        )
        assert wide == []
        small.screenshot(path=str(SHOTS / "compose_390.png"), full_page=True)
    finally:
        phone.close()

    page.get_by_role("button", name="Create campaign").click()
    page.wait_for_url("**/groups/*")
    assert "Campaign created for 3 channels." in page.locator(".flash.success").inner_text()
    rows = page.locator("#group-versions tbody tr")
    assert rows.count() == 3
    assert "own version" in rows.filter(has_text="Northwind X").inner_text()
    page.screenshot(path=str(SHOTS / "group_desktop.png"), full_page=True)
    group_url = page.url

    # The calendar shows the campaign as an item that opens it.
    page.goto(f"{live_server.url}/brands/{live_server.brand_id}/calendar")
    campaign = page.locator("[data-group-id]").first
    campaign.wait_for()
    assert "channel" in campaign.inner_text()
    page.screenshot(path=str(SHOTS / "calendar_desktop.png"), full_page=True)
    campaign.click()
    page.wait_for_url(group_url)
