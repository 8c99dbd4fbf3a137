"""Composing in the browser: two images uploaded with alt text, three channels, one adjusted,
each counted and previewed as its network shows it, queued as one campaign that the calendar
shows as one item, and the Mastodon version published with its images against a fake."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from werkzeug import Response

from tests.e2e.conftest import LiveServer
from tests.e2e.test_calendar import log_in
from tests.e2e.test_media import png

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots_composer")
LONG = (
    "Our winter blend is back: dark chocolate, orange peel and a long, warm finish. Roasted in "
    "small batches every Tuesday in our Riga roastery and on the shelves from Monday morning. "
    "Ask for a tasting cup at the counter."
)
PAGE = """<html><head><meta property="og:title" content="Winter blend is back">
<meta property="og:description" content="Roasted in small batches."></head></html>"""


def pick(page: Any, name: str) -> None:
    page.locator("label.composer-channel", has_text=name).locator("input").check()


def upload_two_images(page: Any, server: LiveServer) -> None:
    """Two photos through the media library's file picker, each then described."""
    page.goto(f"{server.url}/brands/{server.brand_id}/media")
    with page.expect_navigation():
        page.set_input_files(
            "#media-file",
            [
                {"name": "loaves.png", "mimeType": "image/png", "buffer": png((180, 120, 60))},
                {"name": "cup.png", "mimeType": "image/png", "buffer": png((40, 90, 160))},
            ],
        )
    for name, alt in (("loaves.png", "Three loaves on a board"), ("cup.png", "A cup of coffee")):
        card = page.locator(f'.media-card[data-filename="{name}"]')
        card.locator("textarea[name=alt_text]").fill(alt)
        with page.expect_navigation():
            card.get_by_role("button", name="Save alt text").click()


def test_compose_for_three_channels_preview_queue_and_open_the_campaign(
    live_server: LiveServer, page: Any, browser: Any, httpserver
):
    httpserver.expect_request("/winter").respond_with_response(
        Response(PAGE, content_type="text/html")
    )
    live_server.app.config["OUTBOUND_ALLOW_PRIVATE"] = True  # the linked page is on loopback
    link = httpserver.url_for("/winter")
    log_in(page, live_server)
    upload_two_images(page, live_server)
    page.goto(f"{live_server.url}/brands/{live_server.brand_id}/compose")
    for name in ("Northwind X", "Northwind LinkedIn", "Northwind Facebook"):
        pick(page, name)
    page.locator("#compose-text").fill(LONG + " HUGE SALE")
    # The voice guide checks the text as it is typed (words in capitals), with the reason.
    page.locator("#voice-warnings [data-code]").first.wait_for()
    assert "HUGE" in page.locator("#voice-warnings").inner_text()
    page.locator("#compose-text").fill(LONG)
    page.locator("#compose-link").fill(link)

    counts = page.locator("#compose-counts")
    x_count = counts.locator("li", has_text="Northwind X")
    assert "/ 280" in x_count.inner_text()
    # LinkedIn folds a long text behind "see more"; Facebook's fold comes later.
    linkedin = page.locator(".preview-linkedin:not([hidden])")
    linkedin.locator(".preview-more").wait_for()
    assert linkedin.locator(".preview-more").inner_text() == "\u2026 see more"
    assert page.locator(".preview-facebook:not([hidden]) .preview-more").count() == 0
    # The link card, read from the page's tags.
    card = linkedin.locator("[data-preview-card]")
    card.get_by_text("Winter blend is back").wait_for()

    # Both photos for every network: a grid of two, each with its ALT badge; the link card
    # gives way to the images.
    media = page.locator(".composer-media-set")
    for alt in ("Three loaves on a board", "A cup of coffee"):
        media.get_by_role("img", name=alt).click()
    linkedin_grid = linkedin.locator("[data-preview-media] img")
    linkedin_grid.first.wait_for()
    assert linkedin_grid.count() == 2
    assert linkedin.locator(".alt-badge").all_inner_texts() == ["ALT", "ALT"]

    # X gets its own, shorter version with one photo.
    x_section = page.locator("fieldset.composer-version", has_text="Northwind X")
    x_section.get_by_label("Adjust the text and link for X").check()
    x_section.locator("textarea").fill("Winter blend is back \u2615")
    x_section.locator('input[type="url"]').fill("")
    x_section.get_by_role("img", name="Three loaves on a board").click()  # untick it
    page.locator(".preview-x:not([hidden]) [data-preview-media] img").first.wait_for()
    assert page.locator(".preview-x:not([hidden]) [data-preview-media] img").count() == 1
    page.locator(".preview-x:not([hidden]) [data-preview-text]").get_by_text(
        "Winter blend is back \u2615"
    ).wait_for()
    assert "over" not in (x_count.get_attribute("class") or "")

    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "compose_desktop.png"), full_page=True)
    phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    try:
        phone.add_cookies(page.context.cookies())
        small = phone.new_page()
        small.goto(page.url)
        pick(small, "Northwind LinkedIn")
        small.locator("#compose-text").fill(LONG)
        wide = small.evaluate(
            """() => [...document.querySelectorAll('#composer, #composer *')]
                .filter(e => e.getBoundingClientRect().right > 390.5)
                .map(e => e.tagName + '.' + e.className)"""
        )
        assert wide == []
        small.screenshot(path=str(SHOTS / "compose_390.png"), full_page=True)
    finally:
        phone.close()

    page.get_by_role("button", name="Create campaign").click()
    page.wait_for_url("**/groups/*")
    assert "Campaign created for 3 channels." in page.locator(".flash.success").inner_text()
    rows = page.locator("#group-versions tbody tr")
    assert rows.count() == 3
    assert "own version" in rows.filter(has_text="Northwind X").inner_text()
    assert rows.filter(has_text="Northwind X").locator(".group-media img").count() == 1
    assert rows.filter(has_text="Northwind LinkedIn").locator(".group-media img").count() == 2
    page.screenshot(path=str(SHOTS / "group_desktop.png"), full_page=True)
    group_url = page.url

    # The calendar shows the campaign as an item that opens it.
    page.goto(f"{live_server.url}/brands/{live_server.brand_id}/calendar")
    campaign = page.locator("[data-group-id]").first
    campaign.wait_for()
    assert "\u25a6" in campaign.inner_text()
    page.screenshot(path=str(SHOTS / "calendar_desktop.png"), full_page=True)
    campaign.click()
    page.wait_for_url(group_url)


def test_a_campaign_with_photos_is_published_with_them_on_mastodon(
    live_server: LiveServer, page: Any, httpserver
):
    """Compose with two described photos, queue, and the worker uploads each photo with its
    description before the status that carries them (a contract fake of Mastodon)."""
    import json
    from datetime import timedelta

    from core.crypto import encrypt_json
    from core.db import db, utcnow
    from planner.models import Channel, Post, PostStatus
    from planner.publishing.worker import run_worker

    uploads: list[tuple[str, str]] = []

    def media(request):
        assert request.headers["Authorization"] == "Bearer masto-token"
        uploads.append((request.files["file"].mimetype, request.form["description"]))
        return Response(
            json.dumps({"id": f"m{len(uploads)}", "url": "https://files.example/m.png"}),
            200,
            mimetype="application/json",
        )

    statuses: list[dict] = []

    def status(request):
        statuses.append(request.get_json())
        return Response(
            json.dumps({"id": "110", "url": "https://masto.example/@northwind/110"}),
            200,
            mimetype="application/json",
        )

    httpserver.expect_request("/api/v2/instance").respond_with_json(
        {"configuration": {"statuses": {"max_characters": 500}}}
    )
    httpserver.expect_request("/api/v2/media", method="POST").respond_with_handler(media)
    httpserver.expect_request("/api/v1/statuses", method="POST").respond_with_handler(status)
    app = live_server.app
    app.config["OUTBOUND_ALLOW_PRIVATE"] = True
    with app.app_context():
        channel = db.session.query(Channel).filter_by(name="Northwind Mastodon").one()
        channel.credentials_encrypted = encrypt_json(
            {"base_url": httpserver.url_for("/").rstrip("/"), "access_token": "masto-token"},
            app.config,
        )
        db.session.commit()

    log_in(page, live_server)
    upload_two_images(page, live_server)
    page.goto(f"{live_server.url}/brands/{live_server.brand_id}/compose")
    pick(page, "Northwind Mastodon")
    page.locator("#compose-text").fill("Fresh from the oven, and the cup to go with it.")
    for alt in ("Three loaves on a board", "A cup of coffee"):
        page.locator(".composer-media-set").get_by_role("img", name=alt).click()
    page.get_by_role("button", name="Create campaign").click()
    page.wait_for_url("**/groups/*")
    group_url = page.url

    with app.app_context():
        post = db.session.query(Post).filter(Post.group_id.is_not(None)).one()
        post.scheduled_at = utcnow() - timedelta(seconds=5)  # its slot has come
        db.session.commit()
        post_id = post.id
    run_worker(app, "w1", once=True)

    assert uploads == [
        ("image/png", "Three loaves on a board"),
        ("image/png", "A cup of coffee"),
    ]
    assert statuses == [
        {
            "status": "Fresh from the oven, and the cup to go with it.",
            "media_ids": ["m1", "m2"],
            **{k: v for k, v in statuses[0].items() if k not in ("status", "media_ids")},
        }
    ]
    with app.app_context():
        assert db.session.get(Post, post_id).status == PostStatus.PUBLISHED.value
    page.goto(group_url)
    row = page.locator("#group-versions tbody tr", has_text="Northwind Mastodon")
    assert "published" in row.inner_text()
    assert row.get_by_role("link", name="On the network").get_attribute("href") == (
        "https://masto.example/@northwind/110"
    )
    assert row.locator(".group-media img").count() == 2
