"""Listening → Themes in the browser: complaints from reviews and mentions grouped by theme, the
weekly chart drawn, a doubled theme marked, examples linked, the CSV offered; desktop and phone."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import LiveServer
from tests.e2e.test_calendar import log_in

pytestmark = pytest.mark.browser
SHOTS = Path("/work/wt/shots")


def _add_complaints(server: LiveServer) -> None:
    from core.db import db
    from core.models import User
    from core.tenants import Brand
    from core.themes import week_start
    from listening import operations as ops
    from listening.sources import FetchedItem
    from planner.reviews.models import Review

    now = datetime.now(UTC)
    this_week = datetime.combine(week_start(now), time(0, 0, 30), tzinfo=UTC)
    texts = [
        (1, "Delivery late again, awful."),
        (1, "Rude staff at the till, terrible."),
        (2, "The courier lost my parcel, terrible."),
        (2, "Prices went up again, far too expensive, awful."),
        *[(0, f"Parcel {n} is lost, the courier was terrible.") for n in range(5)],
        (0, "Kurjers pazaudēja paku, šausmīgi."),
        (0, "The app keeps crashing at checkout, awful."),
    ]
    with server.app.app_context():
        brand = db.session.get(Brand, server.brand_id)
        admin = db.session.query(User).filter_by(email=server.email).one()
        source = ops.create_source(
            db.session, brand, admin,
            {"kind": "rss", "name": "News", "url": "https://example.com/feed.xml"}, now,
        )  # fmt: skip
        items = [
            FetchedItem(
                external_id=f"t{n}",
                url=f"https://news.example.com/t{n}",
                author=f"p{n}",
                title="",
                text=text,
                language=None,
                published_at=this_week - timedelta(days=7 * weeks_ago) + timedelta(seconds=n),
            )  # fmt: skip
            for n, (weeks_ago, text) in enumerate(texts)
        ]
        ops.ingest(db.session, brand, source, items, now)
        db.session.add(
            Review(
                brand_id=brand.id,
                source="google",
                external_id="r-theme",
                rating=1,
                title="",
                text="Paczka przyszła uszkodzona, kurier ją rzucił.",
                author="Ola",
                created_at=min(now, this_week + timedelta(minutes=1)),
                url="https://maps.example/r/1",
                language="pl",
                sentiment=-0.6,
                content_hash="h-theme",
            )  # fmt: skip
        )
        db.session.commit()


@pytest.mark.parametrize("width", (1280, 390))
def test_themes_page_shows_weekly_chart_growth_and_examples(
    live_server: LiveServer, page: Any, width: int
) -> None:
    _add_complaints(live_server)
    log_in(page, live_server)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/brands/{live_server.brand_id}/listening")
    page.get_by_role("link", name="Themes").click()
    page.wait_for_function(
        "document.querySelector('#themes-chart').getBoundingClientRect().height > 50"
    )
    delivery = page.locator("#themes-table tr[data-theme='delivery']")
    assert "Delivery and shipping" in delivery.inner_text()
    assert delivery.locator(".theme-mark.doubled").count() == 1
    examples = page.locator("#theme-delivery li")
    assert examples.count() == 3
    assert page.locator("#theme-delivery a[href='https://maps.example/r/1']").count() == 1
    csv_link = page.get_by_role("link", name="Export themes as CSV")
    assert csv_link.get_attribute("href").endswith("themes.csv?weeks=8")
    page.get_by_label("Weeks").fill("4")
    page.get_by_role("button", name="Show").click()
    assert page.locator("#themes-table thead th").count() == 1 + 4 + 2
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"text-analysis-themes-{width}.png"), full_page=True)
    scroll_width = page.evaluate("document.scrollingElement.scrollWidth")
    assert scroll_width <= width, f"at {width}px the page scrolls sideways: {scroll_width}"
