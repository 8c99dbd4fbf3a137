"""The inbox's bulk actions in the browser: thirty near-identical mentions are answered at once
with "Select all on this page", on a laptop and on a phone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e.conftest import LiveServer
from tests.e2e.test_calendar import log_in

pytestmark = pytest.mark.browser


def _add_questions(server: LiveServer, count: int = 30) -> None:
    from core.db import db
    from core.models import User
    from core.tenants import Brand
    from listening import operations as ops
    from listening.sources import FetchedItem

    now = datetime.now(UTC)
    with server.app.app_context():
        brand = db.session.get(Brand, server.brand_id)
        admin = db.session.query(User).filter_by(email=server.email).one()
        source = ops.create_source(
            db.session,
            brand,
            admin,
            {"kind": "rss", "name": "Local news", "url": "https://example.com/feed.xml"},
            now,
        )
        items = [
            FetchedItem(
                external_id=f"question-{n}",
                url=f"https://social.example/question/{n}",
                author=f"neighbour{n}",
                title="",
                text=f"Is {brand.name} open on the bank holiday? Asking for the family ({n})",
                language="en",
                published_at=now - timedelta(minutes=5 * n + 1),
            )
            for n in range(count)
        ]
        ops.ingest(db.session, brand, source, items, now)
        db.session.commit()


def _overflowing(page: Any) -> list[str]:
    """Elements of the page's content wider than the window (scroll boxes excepted)."""
    return page.evaluate(
        "[...document.querySelectorAll('main *')]"
        ".filter(e => e.getBoundingClientRect().right > innerWidth + 1"
        " && !e.closest('.scroll, .wide-table'))"
        ".slice(0, 5).map(e => e.tagName + '.' + e.className)"
    )


def test_select_all_and_mark_thirty_mentions_replied(live_server: LiveServer, page: Any) -> None:
    from core.db import db
    from listening.models import Mention

    _add_questions(live_server)
    log_in(page, live_server)
    inbox = f"{live_server.url}/brands/{live_server.brand_id}/listening"
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(inbox)
    boxes = page.locator("input[name=mention_id]")
    assert boxes.count() == 30
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.get_by_text("2 selected").wait_for()
    page.screenshot(path="/tmp/listening-inbox-1280.png")

    page.get_by_label("Select all on this page").check()
    page.get_by_text("30 selected").wait_for()
    assert all(boxes.nth(i).is_checked() for i in range(30))
    page.get_by_label("The reply you sent").fill("Yes: 9 to 13 on bank holidays.")
    page.get_by_role("button", name="Mark replied").click()
    page.get_by_text("30 mentions marked replied.").wait_for()
    with live_server.app.app_context():
        states = {m.state for m in db.session.query(Mention)}
    assert states == {"replied"}

    # Unticking one after "select all" leaves the rest ticked and says so.
    page.goto(inbox)
    page.get_by_label("Select all on this page").check()
    boxes.nth(4).uncheck()
    page.get_by_text("29 selected").wait_for()
    assert page.get_by_label("Select all on this page").evaluate("b => b.indeterminate")

    # On a phone the mentions are blocks with their box, and the actions fit the screen.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(inbox)
    assert _overflowing(page) == []
    for name in ("Assign", "Set state", "Mark replied"):
        button = page.get_by_role("button", name=name, exact=True).bounding_box()
        assert button["x"] >= 0 and button["x"] + button["width"] <= 390, (name, button)
    first_box = boxes.nth(0).bounding_box()
    assert first_box["x"] + first_box["width"] <= 390
    page.screenshot(path="/tmp/listening-inbox-390.png")
    page.locator("table.mentions tr").nth(3).scroll_into_view_if_needed()
    page.screenshot(path="/tmp/listening-inbox-390-list.png")
