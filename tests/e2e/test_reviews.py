"""Promoted reviews in a real browser: import a review file, promote three, see them queued in
the channel's windows, and read the public page of selected reviews logged out."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.e2e.conftest import LiveServer
from tests.e2e.test_calendar import api, log_in, open_calendar

pytestmark = pytest.mark.browser

CHANNEL = "Northwind Mastodon"
HOSTILE = "Lovely flat white, friendly staff and a sunny terrace. <script>alert(1)</script>"
PROMOTED = {
    "e2e-1": "The cardamom bun was warm and fragrant, and Ana drew a fern in my cappuccino.",
    "e2e-2": "Marco helped us pick a grinder and showed us how to dial in the espresso at home.",
    "e2e-3": "The Sunday brunch was generous, the sourdough superb and the service quick and kind.",
}


def review_file(now: datetime) -> bytes:
    """A CSV export with three glowing reviews and one whose text carries a script tag."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["source", "external_id", "rating", "text", "author", "created_at", "url"])
    rows = [*PROMOTED.items(), ("e2e-hostile", HOSTILE)]
    for hours, (external_id, text) in enumerate(rows, start=1):
        writer.writerow(
            [
                "google",
                external_id,
                5,
                text,
                "Grace Hopper",
                (now - timedelta(hours=hours)).isoformat(),
                f"https://reviews.example.com/google/{external_id}",
            ]
        )
    return buffer.getvalue().encode()


def import_reviews(page: Any, server: LiveServer) -> None:
    page.goto(f"{server.url}/brands/{server.brand_id}/reviews/import")
    page.get_by_label("Review file").set_input_files(
        {
            "name": "reviews.csv",
            "mimeType": "text/csv",
            "buffer": review_file(datetime.now().astimezone()),
        }
    )
    page.get_by_label("Format").select_option(label="CSV")
    with page.expect_navigation():
        page.get_by_role("button", name="Check and import").click()
    page.get_by_text("Imported: 4 new, 0 updated, 0 unchanged.").wait_for()
    page.screenshot(path="/tmp/e2e-reviews-inbox.png", full_page=True)


def promote(page: Any, server: LiveServer, text: str) -> None:
    """From the promotable list: the why, the per-channel previews, then queue on CHANNEL."""
    page.goto(f"{server.url}/brands/{server.brand_id}/reviews/promotable")
    item = page.locator("ol.ranked > li", has_text=text)
    item.get_by_text("Why here: score").click()
    why = item.locator("table.why")
    why.wait_for()
    for part in ("Rating", "Sentiment", "Specificity", "Recency"):
        assert why.get_by_role("rowheader", name=part).is_visible(), part
    with page.expect_navigation():
        item.get_by_role("link", name="Promote…").click()

    previews = page.locator("fieldset.preview")
    assert previews.count() >= 5, "one preview per channel of the brand"
    chosen = previews.filter(has_text=CHANNEL)
    preview_text = chosen.locator("pre.post-preview").inner_text()
    assert text in preview_text, preview_text
    assert "★★★★★" in preview_text
    x_preview = previews.filter(has_text="Northwind X").locator("pre.post-preview").inner_text()
    assert x_preview != preview_text, "each channel has its own wording"
    chosen.get_by_label(CHANNEL).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Queue on the chosen channels").click()
    assert page.url.endswith(f"/brands/{server.brand_id}/calendar")
    # Says when the post goes out, in the channel's zone, linked to the post.
    queued = page.locator(".flash.success", has_text="1 review post queued: ")
    queued.wait_for()
    assert CHANNEL in queued.inner_text()
    assert re.search(r"\d{2}:\d{2} \(\w+\)", queued.inner_text()), queued.inner_text()
    assert "/posts/" in queued.get_by_role("link").get_attribute("href")


def review_posts(page: Any, server: LiveServer) -> list[dict[str, Any]]:
    answer = api(page, "GET", f"/api/v1/brands/{server.brand_id}/posts?limit=1000").json()
    return [p for p in answer["posts"] if p["source"] == "review"]


def assert_in_windows(server: LiveServer, posts: list[dict[str, Any]]) -> None:
    from core.db import db
    from planner.models import Channel
    from planner.slots import in_window, window_specs

    with server.app.app_context():
        for post in posts:
            channel = db.session.get(Channel, post["channel_id"])
            when = datetime.fromisoformat(post["scheduled_at"].replace("Z", "+00:00"))
            assert in_window(window_specs(channel), channel.zone, when), (
                f"post {post['id']} at {when} is outside {channel.name}'s windows"
            )


def seen_on_calendar(page: Any, server: LiveServer, post_ids: list[int]) -> set[int]:
    """The posts shown in the calendar's list view, this month and the next two."""
    open_calendar(page, server)
    page.get_by_role("tab", name="List view").click()
    page.locator("[data-post-id]").first.wait_for()
    seen: set[int] = set()
    for month in range(3):
        if month:
            with page.expect_response(lambda r: "/events?" in r.url):
                page.get_by_role("button", name="Next Month").click()
            page.wait_for_timeout(100)  # the events are drawn after their answer
        for post_id in post_ids:
            if page.locator(f'[data-post-id="{post_id}"]').is_visible():
                seen.add(post_id)
        if seen == set(post_ids):
            break
    return seen


# --- tests -----------------------------------------------------------------------------------


def test_imported_reviews_are_promoted_into_windows_and_shown_on_the_public_page(
    live_server: LiveServer, page: Any
) -> None:
    log_in(page, live_server)
    before = review_posts(page, live_server)
    import_reviews(page, live_server)

    for text in PROMOTED.values():
        promote(page, live_server, text)
    page.screenshot(path="/tmp/e2e-reviews-calendar.png", full_page=True)

    posts = [p for p in review_posts(page, live_server) if p not in before]
    assert len(posts) == 3
    assert {p["status"] for p in posts} == {"scheduled"}
    for text in PROMOTED.values():
        assert sum(text in p["text"] for p in posts) == 1, text
    assert_in_windows(live_server, posts)
    ids = [p["id"] for p in posts]
    assert seen_on_calendar(page, live_server, ids) == set(ids)
    page.screenshot(path="/tmp/e2e-reviews-calendar-list.png", full_page=True)

    # The public page, logged out, with a watch for any dialog a script might open.
    dialogs: list[str] = []
    public = page.context.browser.new_page()
    try:
        public.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        slug = live_server.url + "/b/northwind-coffee/reviews"
        response = public.goto(slug)
        assert response.status == 200
        assert public.get_by_role("heading", name="Selected reviews").is_visible()
        summary = public.locator(".summary").inner_text()
        assert "41 reviews in all" in summary, summary
        assert "average" in summary and "out of 5" in summary
        profile = public.get_by_role("link", name="read every review on the full profile")
        assert profile.get_attribute("href").startswith("https://www.google.com/maps/")
        assert public.locator('link[rel="canonical"]').get_attribute("href") == slug

        hostile = public.locator("article blockquote", has_text="sunny terrace")
        assert hostile.inner_text() == HOSTILE, "the script tag shows as text"
        assert public.locator("article script").count() == 0
        data = public.evaluate(
            "JSON.parse(document.querySelector('script[type=\"application/ld+json\"]').textContent)"
        )
        assert data["@type"] == "Organization"
        assert data["aggregateRating"]["reviewCount"] == 41
        assert data["review"] and {r["@type"] for r in data["review"]} == {"Review"}
        assert HOSTILE in [r["reviewBody"] for r in data["review"]]
        public.screenshot(path="/tmp/e2e-reviews-public.png", full_page=True)
        public.wait_for_timeout(200)
        assert dialogs == [], f"a script ran on the public page: {dialogs}"
    finally:
        public.close()
