"""Listening → Reports in the browser: every chart's data table sits beside or below its chart,
never over it, and the page does not scroll sideways, on a laptop, a wide screen and a phone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e.conftest import LiveServer
from tests.e2e.test_calendar import log_in

pytestmark = pytest.mark.browser

WIDTHS = (1366, 1920, 390)


def _add_mentions(server: LiveServer) -> None:
    """Thirty days of mentions from two sources, with key terms, so every chart has data."""
    from core.db import db
    from core.models import User
    from core.tenants import Brand
    from listening import operations as ops
    from listening.sources import FetchedItem

    now = datetime.now(UTC)
    with server.app.app_context():
        brand = db.session.get(Brand, server.brand_id)
        admin = db.session.query(User).filter_by(email=server.email).one()
        ops.update_settings(
            db.session,
            brand,
            admin,
            {"tracked_keywords": f"{brand.name}, espresso, oat milk, service, prices, terrace"},
        )
        for name in ("News feed", "Mastodon #coffee"):
            source = ops.create_source(
                db.session,
                brand,
                admin,
                {"kind": "rss", "name": name, "url": "https://example.com/feed.xml"},
                now,
            )
            words = ("great espresso", "slow service and high prices", "oat milk, terrace")
            items = [
                FetchedItem(
                    external_id=f"{name}-{n}",
                    url=f"https://news.example.com/{source.id}/{n}",
                    author=f"person{n}",
                    title="",
                    text=f"{brand.name}: {words[n % 3]} ({n})",
                    language="en",
                    published_at=now - timedelta(hours=7 * n + 1),
                )
                for n in range(90)
            ]
            ops.ingest(db.session, brand, source, items, now)
        db.session.commit()


def _overlap(a: dict[str, float], b: dict[str, float]) -> float:
    """The area two boxes share (0 when they only touch)."""
    width = min(a["x"] + a["width"], b["x"] + b["width"]) - max(a["x"], b["x"])
    height = min(a["y"] + a["height"], b["y"] + b["height"]) - max(a["y"], b["y"])
    return max(width, 0) * max(height, 0)


@pytest.mark.parametrize("width", WIDTHS)
def test_report_tables_never_cover_their_charts_nor_widen_the_page(
    live_server: LiveServer, page: Any, width: int
) -> None:
    _add_mentions(live_server)
    log_in(page, live_server)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/brands/{live_server.brand_id}/listening/reports")
    # Chart.js sizes each canvas to its box once it has drawn.
    page.wait_for_function(
        "[...document.querySelectorAll('canvas')].every(c => c.getBoundingClientRect().height > 50)"
    )
    canvases = page.locator("canvas")
    assert canvases.count() == 4
    for i in range(canvases.count()):
        canvas = canvases.nth(i)
        name = canvas.get_attribute("id")
        table = canvas.locator("xpath=ancestor::*[contains(@class,'chart-pair')][1]//table")
        assert table.count() == 1, f"{name}: no data table next to the chart"
        chart_box = canvas.bounding_box()
        # The visible part of the table: its scroll box when it has one.
        table_box = table.evaluate(
            "t => { const s = t.closest('.scroll') || t; const r = s.getBoundingClientRect();"
            " return {x: r.x, y: r.y, width: r.width, height: r.height}; }"
        )
        assert chart_box["width"] > min(200, width / 2), f"{name} at {width}px: {chart_box}"
        assert _overlap(chart_box, table_box) == 0, (
            f"{name} at {width}px: the table {table_box} covers the chart {chart_box}"
        )
        assert chart_box["x"] + chart_box["width"] <= width, f"{name} at {width}px is cut off"
    if width in (1366, 390):
        page.screenshot(path=f"/tmp/listening-reports-{width}.png", full_page=True)
    # What is wider than the window, to name it when the page scrolls sideways.
    wider = page.evaluate(
        "[...document.querySelectorAll('body *')]"
        ".filter(e => e.getBoundingClientRect().right > innerWidth + 1"
        " && !e.closest('.scroll'))"
        ".slice(0, 5).map(e => e.tagName + '.' + e.className)"
    )
    scroll_width = page.evaluate("document.scrollingElement.scrollWidth")
    inner_width = page.evaluate("window.innerWidth")
    assert scroll_width <= inner_width, (
        f"at {width}px the page scrolls sideways: {scroll_width} > {inner_width}; wider: {wider}"
    )
