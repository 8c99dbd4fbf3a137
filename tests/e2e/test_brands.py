"""Brands in a real browser: a 120-character name keeps the header as it is, and a brand is
archived, brought back and deleted with its name typed to confirm."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import LiveServer
from tests.e2e.test_calendar import log_in

pytestmark = pytest.mark.browser

LONG_NAME = ("Northwind Coffee Roasters & Bakery of the Greater Metropolitan Area " * 2)[:120]


def rename_brand(server: LiveServer, name: str) -> None:
    from core.db import db
    from core.tenants import Brand

    with server.app.app_context():
        db.session.get(Brand, server.brand_id).name = name
        db.session.commit()


def brand_name(server: LiveServer) -> str:
    from core.db import db
    from core.tenants import Brand

    with server.app.app_context():
        return db.session.get(Brand, server.brand_id).name


def header_heights(page: Any) -> dict[str, float]:
    return page.evaluate(
        "() => ({topbar: document.querySelector('header.topbar').getBoundingClientRect().height,"
        " subnav: document.querySelector('nav.subnav').getBoundingClientRect().height})"
    )


def assert_on_one_line_inside_the_window(page: Any, element: Any) -> None:
    box = element.bounding_box()
    line = element.evaluate("e => parseFloat(getComputedStyle(e).lineHeight) || 24")
    width = page.viewport_size["width"]
    assert box["height"] <= line * 1.5, (box, line)
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, (box, width)


@pytest.mark.parametrize("width", [1280, 390])
def test_a_120_character_brand_name_does_not_change_the_header(
    page: Any, live_server: LiveServer, tmp_path: Path, width: int
):
    page.set_viewport_size({"width": width, "height": 844 if width < 600 else 900})
    log_in(page, live_server)
    calendar = f"{live_server.url}/brands/{live_server.brand_id}/calendar"
    page.goto(calendar)
    short = header_heights(page)

    rename_brand(live_server, LONG_NAME)
    page.goto(calendar)
    page.screenshot(path=str(tmp_path / f"calendar-long-name-{width}.png"))
    assert header_heights(page) == pytest.approx(short, abs=2)
    if width < 640:  # on a phone the brands are behind the menu button
        page.get_by_role("button", name="Menu", exact=True).click()
    for element in (
        page.locator("nav.brands-nav a", has_text=LONG_NAME[:30]),
        page.locator("nav.subnav > strong"),
    ):
        assert_on_one_line_inside_the_window(page, element)
    # The whole name is still there for the page's own heading and for screen readers.
    assert page.locator("nav.subnav > strong").inner_text() == LONG_NAME


def test_a_brand_is_archived_unarchived_and_deleted_with_its_name_typed(
    page: Any, live_server: LiveServer, tmp_path: Path
):
    name = brand_name(live_server)
    log_in(page, live_server)
    settings = f"{live_server.url}/brands/{live_server.brand_id}/settings"
    page.goto(settings)
    for width, height in ((1280, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.locator("#archive").scroll_into_view_if_needed()
        page.screenshot(path=str(tmp_path / f"brand-settings-{width}.png"), full_page=True)
        overflow = page.evaluate("() => document.documentElement.scrollWidth - innerWidth")
        assert overflow <= 0, f"the settings page scrolls sideways by {overflow}px at {width}px"
    page.set_viewport_size({"width": 1280, "height": 900})

    with page.expect_navigation():
        page.get_by_role("button", name="Archive this brand").click()
    page.locator("#archived-banner").wait_for()
    assert name not in page.locator("nav.brands-nav").inner_text()

    page.goto(f"{live_server.url}/brands")
    with page.expect_navigation():
        page.get_by_role("link", name="Show 1 archived brand").click()
    archived = page.locator("#archived-brands")
    assert name in archived.inner_text()
    with page.expect_navigation():
        archived.get_by_role("button", name="Unarchive").click()
    page.get_by_text(f"{name} is back").wait_for()
    assert name in page.locator("nav.brands-nav").inner_text()

    page.goto(settings)
    page.get_by_label("Type the brand's name").fill(name.lower())
    with page.expect_navigation():
        page.get_by_role("button", name="Delete this brand and all its data").click()
    page.get_by_text("Type the brand's name exactly as it is").wait_for()
    assert brand_name(live_server) == name

    page.get_by_label("Type the brand's name").fill(name)
    with page.expect_navigation():
        page.get_by_role("button", name="Delete this brand and all its data").click()
    page.get_by_text(f"{name} and everything under it were deleted.").wait_for()
    assert page.url.endswith("/brands")
    assert name not in page.locator("main").inner_text().replace(
        f"{name} and everything under it were deleted.", ""
    )
