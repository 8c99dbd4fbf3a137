"""Autocomplete tracking in a real browser: the demo brand's suggestions with the negative one
marked and charted, "Check now" followed by the worker's round against local fakes of Google's
and Bing's suggest endpoints, and a label given with one click; at desktop and phone widths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e.conftest import LiveServer
from tests.e2e.test_calendar import log_in
from tests.serp.suggest_fakes import install

pytestmark = pytest.mark.browser

# Where the page's pictures go, to look at after a change of its layout.
SHOTS = Path(os.environ.get("SCREENSHOTS_DIR") or "/tmp")


def shoot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"serp-suggest-{name}.png"), full_page=True)


def test_suggestions_page_checks_now_charts_and_labels(page, live_server: LiveServer, httpserver):
    from core.db import db
    from core.tenants import Brand
    from serp.suggest.jobs import suggestions_round

    app = live_server.app
    fake = install(app, httpserver)
    app.config["OUTBOUND_ALLOW_PRIVATE"] = True
    with app.app_context():
        name = db.session.get(Brand, live_server.brand_id).name
    log_in(page, live_server)
    page.goto(f"{live_server.url}/brands/{live_server.brand_id}/search")
    page.get_by_role("navigation", name="Search tracking").get_by_role(
        "link", name="Autocomplete"
    ).click()
    assert page.get_by_role("heading", name="Autocomplete suggestions").is_visible()
    # The demo's complaint suggestion is marked, and both charts are drawn.
    negative = page.locator("li.negative", has_text=f"{name.lower()} complaints").first
    assert negative.is_visible()
    page.wait_for_function("() => Chart.getChart('sg-weekly') && Chart.getChart('sg-ranks')")
    weekly = page.evaluate("() => Chart.getChart('sg-weekly').data.datasets[0].data")
    assert weekly[-1] == 1 and weekly[-4] == 0
    page.set_viewport_size({"width": 1280, "height": 900})
    shoot(page, "desktop")

    fake.answers[("google", name, "en")] = [f"{name.lower()} oszustwo", f"{name.lower()} login"]
    with page.expect_navigation():
        page.get_by_role("button", name="Check now").click()
    assert "due now" in page.locator(".flash").first.inner_text()
    counts = suggestions_round(app, "e2e-worker")
    assert counts["stored"] == counts["claimed"] > 0
    page.reload()
    fresh = page.locator("li.negative", has_text=f"{name.lower()} oszustwo")
    assert fresh.count() == 1

    # A person says the login suggestion is positive: one click.
    item = page.locator(".sg-term li", has_text=f"{name.lower()} login").first
    with page.expect_navigation():
        item.get_by_role("button", name=f"Mark “{name.lower()} login” positive").click()
    item = page.locator(".sg-term li", has_text=f"{name.lower()} login").first
    assert item.locator(".serp-label").inner_text() == "positive"

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a phone"
    shoot(page, "phone")
