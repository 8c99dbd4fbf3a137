"""Search tracking in a real browser: track a query, upload its history, label a negative
result with one click, see positions and history, and run "check all now" against a local
SearXNG-style fake while the page shows the progress."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e.conftest import LiveServer
from tests.e2e.test_calendar import log_in

pytestmark = pytest.mark.browser

QUERY = "northwind coffee reviews"
NEGATIVE = "https://rant.example/northwind-coffee-ripoff"
OTHERS = [f"https://site{n}.example/northwind-coffee" for n in range(1, 10)]


def history_csv(now: datetime) -> bytes:
    """Two checks of ten results: the complaint page climbs from 6th to 4th."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["checked_at", "position", "url", "title"])
    for days, negative_at in ((7, 6), (1, 4)):
        urls = list(OTHERS)
        urls.insert(negative_at - 1, NEGATIVE)
        when = (now - timedelta(days=days)).isoformat()
        for position, url in enumerate(urls, start=1):
            title = "Northwind Coffee is a ripoff" if url == NEGATIVE else f"Result {position}"
            writer.writerow([when, position, url, title])
    return buffer.getvalue().encode()


def searxng_answer() -> dict[str, Any]:
    """What a SearXNG instance returns with format=json: the complaint is down to 9th."""
    urls = list(OTHERS)
    urls.insert(8, NEGATIVE)
    return {
        "query": QUERY,
        "results": [
            {"url": url, "title": f"Result {n}", "content": "…", "engine": "google"}
            for n, url in enumerate(urls, start=1)
        ],
        "unresponsive_engines": [],
    }


def track_query(page: Any, server: LiveServer) -> int:
    page.goto(f"{server.url}/brands/{server.brand_id}/search")
    form = page.locator("form", has=page.get_by_role("button", name="Track"))
    form.get_by_label("Search text").fill(QUERY)
    form.get_by_label("Engine").select_option(label="Google")
    form.locator("select[name=schedule]").select_option(label="Manual")
    form.locator("select[name=provider]").select_option(label="SearXNG")
    with page.expect_navigation():
        form.get_by_role("button", name="Track").click()
    page.get_by_text(f"Tracking “{QUERY}”").wait_for()
    link = page.get_by_role("link", name=QUERY, exact=True)
    return int(link.get_attribute("href").rsplit("/", 1)[1])


def result_row(page: Any, url: str) -> Any:
    return page.locator("tbody tr", has=page.locator(f'a[href="{url}"]'))


# --- tests -----------------------------------------------------------------------------------


def test_a_tracked_query_gets_history_a_negative_label_and_a_live_check(
    live_server: LiveServer, page: Any, httpserver: Any
) -> None:
    httpserver.expect_request("/search").respond_with_json(searxng_answer())
    live_server.app.config["SERP_PROVIDER_URLS"] = {"searxng": httpserver.url_for("").rstrip("/")}
    live_server.app.config["OUTBOUND_ALLOW_PRIVATE"] = True  # the fake listens on 127.0.0.1

    log_in(page, live_server)
    query_id = track_query(page, live_server)

    # Upload two earlier checks as a CSV, through the query's upload form.
    page.get_by_role("link", name=QUERY, exact=True).click()
    page.get_by_text("No good check yet").wait_for()
    page.get_by_role("link", name="Upload a page or CSV").click()
    page.get_by_label("Saved result page").set_input_files(
        {"name": "history.csv", "mimeType": "text/csv", "buffer": history_csv(datetime.now(UTC))}
    )
    page.get_by_label("Kind").select_option(label="CSV")
    with page.expect_navigation():
        page.get_by_role("button", name="Upload").click()
    page.get_by_text("2 checks stored (ok).").wait_for()
    assert page.url.endswith(f"/search/{query_id}")

    # The latest page: ten positions, the complaint at 4th, up two places.
    table = page.locator("table", has=page.get_by_role("columnheader", name="Label this URL"))
    assert table.locator("tbody tr").count() == 10
    row = result_row(page, NEGATIVE)
    assert row.locator("td").nth(0).inner_text() == "4"
    assert row.locator("td").nth(1).inner_text().startswith("↑")
    assert row.locator(".serp-label").inner_text() == "unlabelled"

    # One click labels it negative.
    with page.expect_navigation():
        row.get_by_role("button", name="negative").click()
    row = result_row(page, NEGATIVE)
    assert row.locator(".serp-label").inner_text() == "negative"
    assert row.get_by_role("button", name="negative").get_attribute("aria-pressed") == "true"

    # The history chart, with the same figures in the table beside it.
    canvas = page.locator("canvas#serp-history")
    canvas.scroll_into_view_if_needed()
    assert canvas.bounding_box()["height"] > 100
    page.wait_for_function("() => window.Chart && Chart.getChart('serp-history')")
    grid_row = page.locator("table.serp-grid tbody tr", has_text="rant.example")
    assert grid_row.locator("td").all_inner_texts()[1:] == ["6", "4"]
    page.screenshot(path="/tmp/e2e-search-query.png", full_page=True)

    # The labelling queue holds the unlabelled page-one results, not the labelled one.
    page.get_by_role("link", name="Labelling queue").click()
    page.get_by_role("heading", name="Labelling queue").wait_for()
    queue = page.locator("main table tbody")
    assert queue.get_by_text(OTHERS[0]).count() == 1
    assert queue.get_by_text(NEGATIVE).count() == 0
    page.screenshot(path="/tmp/e2e-search-queue.png", full_page=True)

    # "Check all now": the page marks the query due and polls; the test plays the worker.
    page.get_by_role("link", name="Tracked queries").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Check all now").click()
    page.get_by_text("1 query will be checked by the worker").wait_for()
    progress = page.locator("#serp-progress")
    progress.get_by_text("0 done, 0 being checked, 1 waiting").wait_for()

    from serp.checks import run_due_checks

    counts = run_due_checks(live_server.app, worker_id="e2e-worker", threads=1)
    assert counts["ok"] == 1, counts
    assert httpserver.log, "the check asked the SearXNG fake"
    progress.get_by_text("finished").wait_for(timeout=8_000)
    assert "1 done" in progress.inner_text()
    assert page.locator("#serp-progress progress").evaluate("p => p.value === p.max")
    page.screenshot(path="/tmp/e2e-search-progress.png", full_page=True)

    page.get_by_role("link", name=QUERY, exact=True).click()
    row = result_row(page, NEGATIVE)
    assert row.locator("td").nth(0).inner_text() == "9"
    assert row.locator("td").nth(1).inner_text().startswith("↓")
    assert row.locator(".serp-label").inner_text() == "negative"
    grid_row = page.locator("table.serp-grid tbody tr", has_text="rant.example")
    assert grid_row.locator("td").all_inner_texts()[1:] == ["6", "4", "9"]
