"""The displacement dashboard in a real browser, on the demo brand's year of search checks: the
score over time, page one per query, the complaint page pushed from 3rd to 12th, and a plan to
displace the next negative item, drafted on the calendar."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import LiveServer
from tests.e2e.test_calendar import log_in

pytestmark = pytest.mark.browser

COMPLAINT = "complaints.example/northwind-coffee-scam"
NEXT_NEGATIVE = "https://site1.example/northwind-coffee"  # 5th on the demo's latest page


def open_dashboard(page: Any, server: LiveServer) -> None:
    page.goto(f"{server.url}/brands/{server.brand_id}/serp/dashboard")
    page.get_by_role("heading", name="Search results: is our content pushing").wait_for()


def negative_row(page: Any, url: str) -> Any:
    return page.locator("tr", has=page.locator("code", has_text=url))


def cells(row: Any) -> list[str]:
    return [text.strip() for text in row.locator("td").all_inner_texts()]


def assert_within_viewport(page: Any, element: Any) -> None:
    """The element is laid out inside the window's width: not clipped, no sideways scroll."""
    box = element.bounding_box()
    width = page.viewport_size["width"]
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, (box, width)
    assert element.evaluate(
        "e => { for (let p = e.parentElement; p; p = p.parentElement)"
        "  if (p.scrollWidth > p.clientWidth + 1 && getComputedStyle(p).overflowX !== 'visible')"
        "    return false; return true; }"
    ), "a container scrolls sideways: part of it is hidden"


def label_negative(page: Any, server: LiveServer, url: str) -> None:
    """A label rule made on the rules page, as a user marks a result negative."""
    page.goto(f"{server.url}/brands/{server.brand_id}/search/labels")
    form = page.locator("form", has=page.locator("select[name=match_type]"))
    form.locator("select[name=match_type]").select_option(label="Exact URL")
    form.locator("input[name=pattern]").fill(url)
    form.locator("select[name=label]").select_option(label="Negative")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    page.get_by_text("Label saved.").wait_for()


# --- tests -----------------------------------------------------------------------------------


def test_the_dashboard_shows_the_complaint_pushed_down_beside_the_owned_assets(
    live_server: LiveServer, page: Any
) -> None:
    log_in(page, live_server)
    open_dashboard(page, live_server)

    # The brand score over the year: a drawn chart and the same weeks in the table beside it.
    page.wait_for_function("() => window.Chart && Chart.getChart('score-chart')")
    assert page.locator("canvas#score-chart").bounding_box()["height"] > 100
    weeks = page.locator("section", has_text="Brand score over time").locator("tbody tr")
    assert weeks.count() >= 52
    assert weeks.filter(has_text="gap (no good check)").count() == 1, "the CAPTCHA week is a gap"

    # Page one of the demo query: ten labelled squares.
    strip = page.locator("section", has_text="Page one per query").locator("td .strip").first
    squares = strip.locator("span")
    assert squares.count() == 10
    titles = [squares.nth(n).get_attribute("title") for n in range(10)]
    assert titles[0].startswith("1: neutral") and "wikipedia.org" in titles[0]
    assert titles[1].startswith("2: owned") and "northwind-coffee.example/reviews" in titles[1]

    # The complaint: 3rd at best, 12th now, moved down over the last 12 weeks.
    row = negative_row(page, COMPLAINT)
    values = cells(row)
    now, last, four, twelve, best, worst = values[2:8]
    assert (now, best, worst) == ("12", "3", "12"), values
    assert twelve.startswith("+") and int(twelve) > 0
    assert row.get_by_role("button", name="Plan displacement").count() == 0, "it is off page one"
    # Nothing is on page one any more: a sentence rather than an empty "Results needed" chart.
    assert page.locator("canvas#needed-chart").count() == 0
    assert page.get_by_text("No negative item is on page one").is_visible()

    # Beside it, the owned assets that pushed it down, and where they rank.
    owned = page.locator("section#owned-assets")
    for title, best in (
        ("Selected reviews", "2"),
        ("Case study: a bakery chain", "3"),
        ("Case study: a hotel group", "4"),
    ):
        asset = owned.locator("tr", has=page.locator("strong", has_text=title))
        assert asset.is_visible()
        values = cells(asset)
        assert values[4].split()[0] == best, values
        assert COMPLAINT in values[5], "it now ranks above the complaint"

    # Is it working: the complaint's median position before and after each asset went live.
    working = page.locator("section#is-it-working")
    assert working.locator("h3", has_text=COMPLAINT).is_visible()
    windows = {cells(r)[0]: cells(r) for r in working.locator("tbody tr").all()}
    assert set(windows) == {
        "Selected reviews",
        "Case study: a bakery chain",
        "Case study: a hotel group",
    }
    assert windows["Selected reviews"][2] == "3"
    assert windows["Case study: a hotel group"][3] == "8.5"
    assert all(float(w[3]) >= float(w[2]) for w in windows.values()), "it moved down each time"
    assert_within_viewport(page, page.locator("table#negative-items"))
    page.screenshot(path="/tmp/e2e-dashboard.png", full_page=True)

    # The owned assets that pushed it down, with where they rank (the dashboard's JSON).
    path = f"/brands/{live_server.brand_id}/serp/dashboard.json"
    data = page.request.get(live_server.url + path).json()
    assets = {a["title"]: a for a in data["assets"]}
    assert set(assets) >= {
        "Selected reviews",
        "Case study: a bakery chain",
        "Case study: a hotel group",
    }
    assert {a["best"]["position"] for a in assets.values() if a["best"]} >= {2, 3, 4}
    item = next(i for i in data["negative_items"] if i["url"] == COMPLAINT)
    assert (item["best"], item["current"]) == (3, 12)


def test_plan_displacement_drafts_the_plan_on_the_calendar(
    live_server: LiveServer, page: Any
) -> None:
    log_in(page, live_server)
    label_negative(page, live_server, NEXT_NEGATIVE)
    open_dashboard(page, live_server)

    row = negative_row(page, NEXT_NEGATIVE.removeprefix("https://"))
    assert cells(row)[2] == "5", cells(row)
    # At 1366 px the whole table and its button show, and the "Results needed" chart is drawn.
    page.wait_for_function("() => window.Chart && Chart.getChart('needed-chart')")
    assert_within_viewport(page, page.locator("table#negative-items"))
    assert_within_viewport(page, row.get_by_role("button", name="Plan displacement"))
    page.screenshot(path="/tmp/e2e-dashboard-1366.png", full_page=True)
    with page.expect_navigation():
        row.get_by_role("button", name="Plan displacement").click()
    page.get_by_text("Plan created: 6 assets drafted on the calendar.").wait_for()
    heading = page.get_by_role("heading", name="Pushing")
    assert "site1.example/northwind-coffee" in heading.inner_text()
    assert "It was at 5 when the plan was made: 6 results" in page.locator("main").inner_text()
    assets = page.locator("main table tbody tr")
    assert assets.count() == 6
    drafts = page.get_by_role("link", name="draft post")
    assert drafts.count() >= 1
    page.screenshot(path="/tmp/e2e-dashboard-plan.png", full_page=True)

    path = f"/api/v1/brands/{live_server.brand_id}/posts?limit=1000"
    posts = page.request.get(live_server.url + path).json()
    planned = [p for p in posts["posts"] if p["source"] == "plan"]
    assert len(planned) == drafts.count()
    assert {p["status"] for p in planned} == {"draft"}
    assert all(p["scheduled_at"] for p in planned), "each draft has its slot on the calendar"

    # The plan is listed on the dashboard.
    page.get_by_role("link", name="Back to the dashboard").click()
    plans = page.locator("section", has_text="Displacement plans")
    assert plans.get_by_role("link", name="site1.example/northwind-coffee").is_visible()
