"""Crisis playbooks in the browser: from a spike alert an admin opens the product-recall playbook;
publishing pauses, the Polish statement is drafted on X where the crisis started, the steps are
ticked, and closing the crisis shows the timeline. Screenshots of each page at 1280 and 390 px go
to $SCREENSHOT_DIR (default: the test's temporary directory)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import LiveServer
from tests.e2e.test_calendar import log_in

pytestmark = pytest.mark.browser


def _spike(live_server: LiveServer, now: datetime) -> int:
    """Mentions of a spike, the first a Polish post on X, and the alert raised on them."""
    from core.db import db
    from core.tenants import Brand
    from listening import operations as ops
    from listening.models import OVERALL, CrisisAlert
    from listening.sources import FetchedItem

    with live_server.app.app_context():
        brand = db.session.get(Brand, live_server.brand_id)
        source = ops.csv_source(db.session, brand)
        items = [
            FetchedItem(
                external_id=f"spike-{n}",
                url="https://x.com/klient/status/1" if n == 0 else f"https://social.example/{n}",
                author=f"user{n}",
                title="",
                text=f"Northwind Coffee: pleśń w kawie? ({n})",
                language="pl",
                published_at=now - timedelta(minutes=50 - n),
            )
            for n in range(20)
        ]
        ops.ingest(db.session, brand, source, items, now)
        alert = CrisisAlert(
            brand_id=brand.id, term=OVERALL, bucket="e2e", count=20, baseline_mean=2,
            baseline_sigma=1, threshold=10, terms=[], sample_mention_ids=[], notified={},
            created_at=now - timedelta(minutes=5),
        )  # fmt: skip
        db.session.add(alert)
        db.session.commit()
        return alert.id


def _shoot(page: Any, folder: Path, name: str) -> None:
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(folder / f"playbooks-{name}-{width}.png"), full_page=True)
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, f"{name} scrolls sideways at {width} px ({scroll} px wide)"
    page.set_viewport_size({"width": 1280, "height": 900})


def test_alert_open_playbook_tick_steps_close_and_read_the_timeline(
    live_server: LiveServer, page: Any, tmp_path: Path
) -> None:
    from core.db import db
    from core.tenants import Brand
    from listening.playbook_models import CrisisRun
    from planner.models import Post

    shots = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    alert_id = _spike(live_server, datetime.now(UTC))
    listening = f"{live_server.url}/brands/{live_server.brand_id}/listening"
    log_in(page, live_server)

    page.goto(f"{listening}/playbooks")
    page.get_by_role("link", name="Product recall").wait_for()
    _shoot(page, shots, "list")
    page.get_by_role("link", name="Product recall").click()
    page.get_by_text("Public updates page · Polish").wait_for()
    _shoot(page, shots, "edit")

    page.goto(f"{listening}/alerts/{alert_id}")
    page.select_option("select[name=scenario_id]", label="Product recall (critical)")
    _shoot(page, shots, "alert")
    page.get_by_role("button", name="Open playbook").click()
    page.get_by_text("Playbook opened: publishing is paused").wait_for()
    assert "Started on X" in page.inner_text("main")
    statement = page.locator(".statement-box").first.inner_text()
    assert statement.startswith("W ramach środków ostrożności Northwind Coffee wycofuje")
    page.get_by_role("link", name="review and publish the draft").wait_for()

    # The checklist: start the first step, finish it, finish the second straight away.
    steps = page.locator(".checklist li")
    steps.nth(0).get_by_role("button", name="Start").click()
    assert "started" in steps.nth(0).inner_text()
    steps.nth(0).get_by_role("button", name="Done").click()
    steps.nth(1).get_by_role("button", name="Done").click()
    assert "done" in steps.nth(1).inner_text()
    _shoot(page, shots, "run")

    page.fill("textarea[name=resolution]", "Batches withdrawn; no one was harmed.")
    page.get_by_role("button", name="Close the crisis").click()
    page.get_by_text("Crisis closed").wait_for()
    timeline = page.locator("table.timeline").inner_text()
    for moment in ("First mention", "Alert", "Playbook opened", "First statement", "Resolution"):
        assert moment in timeline
    assert "45 min" in timeline  # first mention → alert
    with page.expect_download() as download:
        page.get_by_role("link", name="Markdown").click()
    markdown = Path(download.value.path()).read_text()
    assert "| Resolution |" in markdown and "Batches withdrawn" in markdown
    _shoot(page, shots, "closed")

    with live_server.app.app_context():
        run = db.session.query(CrisisRun).one()
        draft = db.session.get(Post, run.draft_post_id)
        assert draft.status == "draft" and draft.channel.platform == "x"
        assert db.session.get(Brand, live_server.brand_id).paused_at is not None
        assert run.closed_at is not None and run.steps[1].done_at is not None
