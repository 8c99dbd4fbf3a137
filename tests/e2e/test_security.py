"""The Content-Security-Policy in a real browser: every page of the demo loads without a blocked
script or style and without a console error; the behaviours moved out of inline handlers still
work; the login throttle's message reads well on a laptop and a phone."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import LiveServer
from tests.e2e.test_calendar import log_in

pytestmark = pytest.mark.browser

# Recorded before any page script runs, so a violation during loading is caught too.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`
    + ` at ${e.sourceFile}:${e.lineNumber}`);
});
"""


def demo_page_urls(server: LiveServer) -> list[str]:
    """Every GET page of the demo brand, from the URL map (as tests/core/test_every_page.py)."""
    from sqlalchemy import select

    from core.db import db
    from core.tenants import Brand
    from listening.models import CrisisAlert, Mention
    from planner.models import Channel, Post
    from planner.reviews.models import Review
    from serp.models import LabelRule, SerpCheck, TrackedQuery
    from serp.plans import DisplacementPlan

    app = server.app
    with app.app_context():

        def first(model: Any) -> int | None:
            return db.session.scalar(select(model.id).order_by(model.id).limit(1))

        brand = db.session.get(Brand, server.brand_id)
        values = {
            "brand_id": brand.id,
            "channel_id": first(Channel),
            "post_id": first(Post),
            "query_id": first(TrackedQuery),
            "check_id": first(SerpCheck),
            "review_id": first(Review),
            "rule_id": first(LabelRule),
            "mention_id": first(Mention),
            "alert_id": first(CrisisAlert),
            "plan_id": first(DisplacementPlan),
            "slug": brand.slug,
            "brand_slug": brand.slug,
            "token": brand.ical_token,
        }
        urls = []
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint in ("static", "core.vendor"):
                continue
            if rule.rule.startswith("/api/") or any(values.get(a) is None for a in rule.arguments):
                continue
            urls.append(rule.build({a: values[a] for a in rule.arguments}, append_unknown=False)[1])
    return sorted(set(urls))


def test_every_page_loads_without_a_csp_violation_or_console_error(
    page: Any, live_server: LiveServer
) -> None:
    page.add_init_script(RECORD_VIOLATIONS)
    console_errors: list[str] = []

    def record(message: Any) -> None:
        # Standalone documents (public pages, the e-mail preview) name no icon: the browser
        # asks for /favicon.ico, which must answer too.
        where = message.location["url"]
        if message.type == "error":
            console_errors.append(f"{page.url}: {message.text} ({where})")

    page.on("console", record)
    page.on("pageerror", lambda e: console_errors.append(f"{page.url}: {e}"))
    log_in(page, live_server)

    visited, violations = [], []
    for path in demo_page_urls(live_server):
        url = live_server.url + path
        # Only HTML pages are opened in the tab; CSV, JSON and feeds would be downloads.
        head = page.request.get(url, max_redirects=0)
        if head.status != 200 or "text/html" not in head.headers.get("content-type", ""):
            continue
        assert "frame-ancestors 'none'" in head.headers["content-security-policy"], path
        page.goto(url)
        page.wait_for_load_state("networkidle")
        violations += [f"{path}: {v}" for v in page.evaluate("window.__cspViolations")]
        visited.append(path)
    assert violations == []
    assert console_errors == []
    # The pages with inline scripts, charts and the calendar were among them.
    brand = f"/brands/{live_server.brand_id}"
    for expected in (
        f"{brand}/calendar",
        f"{brand}/serp/dashboard",
        f"{brand}/listening/reports",
        f"{brand}/search",
        "/account",
    ):
        assert expected in visited
    assert len(visited) > 25


def test_the_calendar_and_the_charts_draw_under_the_policy(
    page: Any, live_server: LiveServer
) -> None:
    log_in(page, live_server)
    brand = f"{live_server.url}/brands/{live_server.brand_id}"
    page.goto(f"{brand}/calendar")
    page.locator("[data-post-id]").first.wait_for()
    assert page.locator("[data-post-id]").count() >= 10
    page.goto(f"{brand}/serp/dashboard")
    page.wait_for_function(
        "document.querySelector('canvas') && Chart.getChart(document.querySelector('canvas'))"
    )
    page.goto(f"{brand}/listening/reports")
    page.wait_for_function(
        "document.querySelector('canvas') && Chart.getChart(document.querySelector('canvas'))"
    )


def test_buttons_moved_out_of_inline_handlers_still_work(
    page: Any, live_server: LiveServer
) -> None:
    from sqlalchemy import select

    from core.db import db
    from serp.models import TrackedQuery

    with live_server.app.app_context():
        query = db.session.scalars(
            select(TrackedQuery).where(TrackedQuery.brand_id == live_server.brand_id)
        ).first()
        query_text = query.text
    log_in(page, live_server)
    brand = f"{live_server.url}/brands/{live_server.brand_id}"

    # Delete asks first; saying no keeps the query.
    page.goto(f"{brand}/search")
    questions: list[str] = []

    def dismiss(dialog: Any) -> None:
        questions.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    row = page.locator("tr", has_text=query_text).first
    row.get_by_role("button", name="Delete").click()
    assert questions == ["Stop tracking this query? Its history is kept."]
    page.goto(f"{brand}/search")
    assert page.locator("tr", has_text=query_text).count() >= 1

    # Print opens the browser's print dialog.
    page.add_init_script("window.print = () => { window.__printed = true; };")
    page.goto(f"{brand}/serp/report")
    page.get_by_role("button", name="Print").click()
    assert page.evaluate("window.__printed") is True


def test_the_login_throttle_message_fits_a_laptop_and_a_phone(
    browser: Any, live_server: LiveServer
) -> None:
    for width, height in ((1280, 800), (390, 844)):
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        email = f"guess{width}@example.com"
        for _ in range(6):
            page.goto(f"{live_server.url}/login")
            page.get_by_label("Email").fill(email)
            page.get_by_label("Password").fill("not the password")
            with page.expect_navigation():
                page.get_by_role("button", name="Log in").click()
        message = page.get_by_role("alert")
        assert "Too many failed logins for this account." in message.inner_text()
        box = message.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert page.get_by_role("button", name="Log in").is_visible()
        context.close()
