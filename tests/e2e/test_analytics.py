"""The analytics pages in a real browser: the chart drawn beside its table, the CSV download,
and a learned-windows proposal accepted from the channel page; at desktop and phone widths."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import LiveServer
from tests.e2e.test_calendar import log_in

pytestmark = pytest.mark.browser
SHOTS = Path("/work/wt/shots")


def seed_reads(server: LiveServer, count: int = 24) -> tuple[int, int]:
    """Published posts on the demo brand's first channel, Thursdays 19:00 Berlin, each read at
    1 h, 24 h and 7 d; the channel's id and one post's id."""
    from sqlalchemy import select

    from core.db import db
    from planner.engagement.models import MetricRead
    from planner.models import Channel, Post, PostStatus

    with server.app.app_context():
        channel = db.session.scalars(
            select(Channel).where(Channel.brand_id == server.brand_id).order_by(Channel.id)
        ).first()
        channel.timezone = "Europe/Berlin"
        first = datetime(2026, 1, 8, 18, 0, tzinfo=UTC)
        post_id = 0
        for i in range(count):
            at = first + timedelta(weeks=i % 20, hours=(i % 3))
            post = Post(
                channel_id=channel.id,
                text=f"Seasonal loaf number {i}",
                status=PostStatus.PUBLISHED.value,
                scheduled_at=at,
                published_at=at,
                platform_post_id=f"p{i}",
            )
            db.session.add(post)
            db.session.flush()
            post_id = post.id
            for kind, scale in (("1h", 1), ("24h", 3), ("7d", 4)):
                db.session.add(
                    MetricRead(
                        post_id=post.id,
                        kind=kind,
                        due_at=at,
                        status="done",
                        attempts=0,
                        fetched_at=at + timedelta(hours=1),
                        likes=scale * (20 if i % 3 == 0 else 5),
                        comments=scale,
                        shares=i % 3,
                        impressions=100 * scale,
                    )
                )
        db.session.commit()
        return channel.id, post_id


def chart_drawn(page: Any, canvas_id: str) -> bool:
    return page.evaluate(
        f"() => !!Chart.getChart(document.getElementById('{canvas_id}'))"
        f" && document.getElementById('{canvas_id}').width > 0"
    )


@pytest.mark.parametrize("width", [1280, 390])
def test_analytics_pages_draw_charts_beside_tables(page: Any, live_server: LiveServer, width):
    channel_id, post_id = seed_reads(live_server)
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, live_server)
    name = "desktop" if width > 500 else "phone"

    page.goto(f"{live_server.url}/brands/{live_server.brand_id}/analytics")
    page.locator("#brand-table").wait_for()
    assert chart_drawn(page, "brand-chart")
    page.screenshot(path=str(SHOTS / f"engagement-brand-{name}.png"), full_page=True)

    page.goto(f"{live_server.url}/channels/{channel_id}/analytics")
    assert chart_drawn(page, "channel-chart")
    rows = page.locator("#channel-table tbody tr").count()
    assert rows >= 24  # the demo's own published posts as well
    assert page.locator("#learned-windows").get_by_text("Accept these windows").is_visible()
    page.screenshot(path=str(SHOTS / f"engagement-channel-{name}.png"), full_page=True)
    with page.expect_download() as download:
        page.locator("#channel-csv").click()
    lines = Path(download.value.path()).read_text().splitlines()
    assert lines[0].startswith("post_id,published,text") and len(lines) == rows + 1

    page.goto(f"{live_server.url}/posts/{post_id}/analytics")
    assert chart_drawn(page, "post-chart")
    assert page.locator("#post-table tbody tr").count() == 3
    page.screenshot(path=str(SHOTS / f"engagement-post-{name}.png"), full_page=True)

    page.goto(f"{live_server.url}/channels/{channel_id}")
    page.locator("#learned-windows").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / f"engagement-channel-page-{name}.png"), full_page=True)


def test_accepting_learned_windows_from_the_channel_page(page: Any, live_server: LiveServer):
    channel_id, _ = seed_reads(live_server)
    log_in(page, live_server)
    page.goto(f"{live_server.url}/channels/{channel_id}")
    best = page.locator(".learned-hours li").first.inner_text()
    assert best.startswith("Thursday 19:00–20:00")
    with page.expect_navigation():
        page.locator("#accept-learned").click()
    page.get_by_text("Learned windows saved").wait_for()
    saved = page.evaluate(
        "() => [...document.querySelectorAll('#window-rows tr')].map(r =>"
        " r.querySelector('select[name=weekday]').value + ' '"
        " + r.querySelector('input[name=start]').value)"
    )
    assert "3 19:00" in saved
