"""On a phone (390 × 844): the header folds behind a menu button, and the home overview, the
calendar, the approvals and the mentions inbox fit the screen's width with their main action on
the first screen."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import BROWSER_TIMEZONE, LiveServer
from tests.e2e.test_calendar import log_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        timezone_id=BROWSER_TIMEZONE,
        locale="en-GB",
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def needs_a_person(server: LiveServer) -> None:
    """The demo brand with a failed post, a post waiting for approval and overdue mentions."""
    from core.db import db
    from core.models import User
    from core.tenants import Brand
    from listening import operations as listening_ops
    from listening.sources import FetchedItem
    from planner.models import Channel, Post, PostStatus

    now = datetime.now(UTC)
    with server.app.app_context():
        brand = db.session.get(Brand, server.brand_id)
        admin = db.session.query(User).filter_by(email=server.email).one()
        channel = db.session.query(Channel).filter_by(brand_id=brand.id).first()
        db.session.add_all(
            [
                Post(channel=channel, text="The oven broke", status=PostStatus.FAILED.value,
                     scheduled_at=now - timedelta(hours=3), last_error="401 Unauthorized"),
                Post(channel=channel, text="Winter menu: five soups, one bread, all day long.",
                     status=PostStatus.PENDING_APPROVAL.value,
                     scheduled_at=now + timedelta(days=2), author_id=admin.id),
            ]
        )  # fmt: skip
        source = listening_ops.create_source(
            db.session, brand, admin,
            {"kind": "rss", "url": "https://example.com/feed.xml", "name": "Local news"}, now,
        )  # fmt: skip
        items = [
            FetchedItem(
                external_id=f"phone-{n}",
                url=f"https://news.example.com/a-rather-long-address-of-article-number-{n}",
                author="a reader",
                title=f"Is Northwind Coffee open on Sunday? Question {n}",
                text="I tried to find the opening hours everywhere, without luck.",
                language="en",
                published_at=now - timedelta(days=2),
            )
            for n in range(4)
        ]
        listening_ops.ingest(db.session, brand, source, items, now - timedelta(days=2))
        db.session.commit()


def screenshot(page: Any, name: str) -> None:
    """Kept where SCREENSHOT_DIR says, to look at them; nothing is written otherwise."""
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"))


def assert_fits_and_shows(page: Any, main_action: Any, what: str) -> None:
    scroll_width, inner_width = page.evaluate(
        "[document.scrollingElement.scrollWidth, window.innerWidth]"
    )
    assert scroll_width <= inner_width, f"{what} scrolls sideways: {scroll_width} > {inner_width}"
    main_action.wait_for(state="visible")
    box = main_action.bounding_box()
    assert box is not None, f"{what}: the main action is not shown"
    assert box["x"] >= 0 and box["x"] + box["width"] <= inner_width, (what, box)
    assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], (what, box)


def test_pages_fit_a_phone_with_their_main_action_on_the_first_screen(
    live_server: LiveServer, phone: Any
) -> None:
    needs_a_person(live_server)
    brand = f"{live_server.url}/brands/{live_server.brand_id}"
    log_in(phone, live_server)

    # After logging in: the home overview, its first line needing a person on the first screen.
    assert phone.url == f"{live_server.url}/"
    first_line = phone.locator(".home-line.urgent a").first
    assert_fits_and_shows(phone, first_line, "the home overview")
    screenshot(phone, "home-390")

    # The header is one compact row; the menu button opens the navigation.
    header = phone.locator("header.topbar").bounding_box()
    assert header["height"] <= 60, header
    all_brands = phone.locator(".brands-nav").get_by_role("link", name="All brands")
    assert not all_brands.is_visible()
    phone.get_by_role("button", name="Menu").click()
    all_brands.wait_for(state="visible")
    assert phone.get_by_role("button", name="Menu").get_attribute("aria-expanded") == "true"
    screenshot(phone, "home-390-menu")
    phone.get_by_role("button", name="Menu").click()
    all_brands.wait_for(state="hidden")

    phone.goto(f"{brand}/home")
    assert_fits_and_shows(phone, phone.locator(".home-line.urgent a").first, "the brand overview")

    # The calendar opens as this week's list, its first post and "New post" on the first screen.
    phone.goto(f"{brand}/calendar")
    first_post = phone.locator("[data-post-id]").first
    first_post.wait_for()
    assert_fits_and_shows(phone, phone.locator("#new-post"), "the calendar")
    assert_fits_and_shows(phone, first_post, "the calendar's first post")
    screenshot(phone, "calendar-390")
    # This week as a list: the arrows move by weeks, and there is no grid of days.
    assert phone.get_by_role("button", name="Previous Week").is_visible()
    assert phone.locator('[role="gridcell"][data-date]').count() == 0

    phone.goto(f"{brand}/approvals")
    assert_fits_and_shows(phone, phone.get_by_role("button", name="Approve").first, "approvals")
    screenshot(phone, "approvals-390")

    phone.goto(f"{brand}/listening")
    first_mention = phone.locator("table.mentions tbody a").first
    assert_fits_and_shows(phone, first_mention, "the mentions inbox")
    screenshot(phone, "inbox-390")


def test_the_home_overview_on_a_laptop(live_server: LiveServer, page: Any) -> None:
    needs_a_person(live_server)
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, live_server)
    assert page.url == f"{live_server.url}/"
    lines = page.locator(".home-line.urgent a")
    texts = lines.all_inner_texts()
    assert "1 post failed to publish: fix and retry it." in texts
    assert "1 post is waiting for approval." in texts
    assert "4 mentions are overdue for a reply." in texts
    # The demo's search history: the brand score and where it went since a week ago.
    score = page.locator('.home-line[data-kind="brand_score"] a').inner_text()
    assert score.startswith("Brand score ") and "since a week ago" in score, score
    # The menu button is for phones only: the navigation is shown as it is.
    assert not page.get_by_role("button", name="Menu").is_visible()
    assert page.locator(".brands-nav").get_by_role("link", name="All brands").is_visible()
    screenshot(page, "home-1280")
    with page.expect_navigation():
        lines.filter(has_text="waiting for approval").click()
    assert page.url.endswith(f"/brands/{live_server.brand_id}/approvals")


def test_no_page_of_a_brand_scrolls_sideways_on_a_phone(live_server: LiveServer, phone: Any):
    """Every page a brand's menus lead to: wide tables scroll inside their card, not the page."""
    needs_a_person(live_server)
    log_in(phone, live_server)
    brand = f"/brands/{live_server.brand_id}"
    from sqlalchemy import select

    from core.db import db
    from planner.models import Channel

    with live_server.app.app_context():
        channel_id = db.session.scalars(
            select(Channel.id).where(Channel.brand_id == live_server.brand_id).limit(1)
        ).one()
    paths = [
        "/",
        "/brands",
        "/team",
        "/account",
        f"/channels/{channel_id}",
        f"{brand}/search/1",
        f"{brand}/search/url?u=https://northwind-coffee.example/reviews",
    ]
    paths += [
        f"{brand}/{page}"
        for page in (
            "home", "calendar", "approvals", "publishing", "channels", "settings", "posts/import",
            "reviews", "reviews/promotable", "reviews/settings", "reviews/import", "search",
            "search/queue", "search/labels", "serp/dashboard", "serp/report", "listening", "data",
            "listening/alerts", "listening/reports", "listening/settings", "listening/sources",
        )
    ]  # fmt: skip
    too_wide = {}
    for path in paths:
        answer = phone.goto(f"{live_server.url}{path}")
        assert answer.status == 200, path
        width = phone.evaluate("document.scrollingElement.scrollWidth")
        if width > PHONE["width"]:
            too_wide[path] = width
    assert too_wide == {}
