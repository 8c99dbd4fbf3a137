"""The blocks of a result page (top stories, videos, questions …) on a query's page, in a real
browser: beside the organic results at desktop width, under them on a phone, a negative one
marked with what it takes off the page-one score."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import LiveServer
from tests.e2e.test_calendar import log_in
from tests.e2e.test_dashboard import assert_within_viewport

pytestmark = pytest.mark.browser

PAGE = Path(__file__).parents[1] / "serp" / "fixtures" / "bing_features_lt_2022.html"
NEWS = "https://www.delfi.example/verslas/petraitis-bankrotas-12345"
SHOTS = os.environ.get("SHOTS_DIR")


def uploaded_query(server: LiveServer) -> int:
    """A Bing query of the demo brand with an uploaded page of blocks, its news item negative."""
    from core.db import db, utcnow
    from core.models import User
    from core.tenants import Brand
    from serp import operations as ops
    from serp import rules, uploads

    with server.app.app_context():
        admin = db.session.query(User).filter_by(email=server.email).one()
        brand = db.session.get(Brand, server.brand_id)
        query = ops.create_query(
            db.session, brand, admin,
            {"text": "petraitis statybos", "engine": "bing", "provider": "manual",
             "schedule": "manual"},
            config=server.app.config, now=utcnow(),
        )  # fmt: skip
        uploads.import_upload(
            db.session, query, admin, content=PAGE.read_text(encoding="utf-8"), kind="html",
            checked_at=utcnow(),
        )  # fmt: skip
        rules.save_rule(
            db.session, brand.id, admin, match_type="exact", pattern=NEWS, label="negative"
        )
        db.session.commit()
        return query.id


def shoot(page: Any, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / name), full_page=True)


def test_the_query_page_shows_the_blocks_beside_the_results_and_on_a_phone(
    page: Any, live_server: LiveServer
) -> None:
    query_id = uploaded_query(live_server)
    log_in(page, live_server)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/brands/{live_server.brand_id}/search/{query_id}")
    blocks = page.locator(".serp-blocks")
    blocks.get_by_role("heading", name="Page blocks").wait_for()
    kinds = blocks.locator("li.serp-block").evaluate_all("els => els.map(e => e.dataset.kind)")
    assert kinds == [
        "ads", "sitelinks", "top_stories", "videos", "people_also_ask", "knowledge_panel"
    ]  # fmt: skip
    top = blocks.locator("li.serp-block[data-kind=top_stories]")
    assert "Top stories" in top.inner_text() and "weight 1" in top.inner_text()
    assert "serp-block-negative" in (top.get_attribute("class") or "")
    assert top.locator(".serp-negative", has_text="score").is_visible()
    assert top.locator(f'a[href="{NEWS}"]').is_visible()
    shoot(page, "serp-features-query-desktop.png")
    # Beside the organic list at desktop width, level with it.
    results_box = page.locator(".serp-with-blocks > div").first.bounding_box()
    blocks_box = blocks.bounding_box()
    assert blocks_box["x"] >= results_box["x"] + results_box["width"]
    assert abs(blocks_box["y"] - results_box["y"]) < 40

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    top = page.locator(".serp-blocks li.serp-block[data-kind=top_stories]")
    top.scroll_into_view_if_needed()
    assert_within_viewport(page, top)
    shoot(page, "serp-features-query-phone.png")

    page.goto(f"{live_server.url}/brands/{live_server.brand_id}/search/block-weights")
    page.get_by_label("Top stories").fill("0.5")
    with page.expect_navigation():
        page.get_by_role("button", name="Save weights").click()
    page.get_by_text("Block weights saved").wait_for()
    shoot(page, "serp-features-weights-phone.png")
    page.goto(f"{live_server.url}/brands/{live_server.brand_id}/search/{query_id}")
    top = page.locator(".serp-blocks li.serp-block[data-kind=top_stories]")
    assert "weight 0.5" in top.inner_text()
