"""The media library in a real browser: two images uploaded through the file picker and one
dropped on the page (sent with progress by the page's script), described, and attached in order
to a post."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.e2e.conftest import LiveServer
from tests.e2e.test_calendar import log_in

pytestmark = pytest.mark.browser
SHOTS = Path("/work/wt/shots")


def png(colour: tuple[int, int, int], size=(640, 480)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def draft_post(server: LiveServer) -> int:
    from core.db import db, utcnow
    from core.models import User
    from planner import operations as ops
    from planner.models import Channel

    with server.app.app_context():
        channel = (
            db.session.query(Channel)
            .filter_by(brand_id=server.brand_id, platform="mastodon")
            .first()
            or db.session.query(Channel).filter_by(brand_id=server.brand_id).first()
        )
        admin = db.session.query(User).filter_by(email=server.email).one()
        post = ops.create_post(
            db.session, channel, admin, text="Our new sourdough", draft=True, now=utcnow()
        ).post
        db.session.commit()
        return post.id


def shoot(page: Any, name: str) -> None:
    if SHOTS.is_dir():
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 900 if width > 600 else 844})
            page.screenshot(path=str(SHOTS / f"media-{name}-{width}.png"), full_page=True)
        page.set_viewport_size({"width": 1366, "height": 900})


def test_two_images_are_uploaded_described_and_attached(
    page: Any, live_server: LiveServer, tmp_path: Path
):
    live_server.app.config["MEDIA_DIR"] = str(tmp_path / "media")
    log_in(page, live_server)
    page.goto(f"{live_server.url}/brands/{live_server.brand_id}/media")
    with page.expect_navigation():  # the page reloads once the upload is stored
        page.set_input_files(
            "#media-file",
            [
                {"name": "loaves.png", "mimeType": "image/png", "buffer": png((180, 120, 60))},
                {"name": "shop.jpg", "mimeType": "image/jpeg", "buffer": png((40, 90, 160))},
            ],
        )
    cards = page.locator(".media-card")
    assert cards.count() == 2
    # The "shop.jpg" file is really a PNG: it is kept (and named) as one.
    assert page.locator('.media-card[data-filename="shop.png"]').count() == 1
    assert page.locator(".alt-missing").count() == 2
    for name, alt in (("loaves.png", "Three loaves on a board"), ("shop.png", "The shop front")):
        card = page.locator(f'.media-card[data-filename="{name}"]')
        card.locator("textarea[name=alt_text]").fill(alt)
        with page.expect_navigation():
            card.get_by_role("button", name="Save alt text").click()
    assert page.locator(".alt-missing").count() == 0

    # A third image dropped on the page (a drop carries files as the browser's DataTransfer).
    with page.expect_navigation():
        page.evaluate(
            """async () => {
                const canvas = document.createElement("canvas");
                canvas.width = 300; canvas.height = 200;
                canvas.getContext("2d").fillRect(0, 0, 150, 200);
                const blob = await new Promise(done => canvas.toBlob(done, "image/png"));
                const drop = new DataTransfer();
                drop.items.add(new File([blob], "dropped.png", {type: "image/png"}));
                const zone = document.getElementById("dropzone");
                zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: drop, bubbles: true}));
                zone.dispatchEvent(new DragEvent("drop", {dataTransfer: drop, bubbles: true}));
            }"""
        )
    assert page.locator('.media-card[data-filename="dropped.png"]').count() == 1
    shoot(page, "library")

    post_id = draft_post(live_server)
    page.goto(f"{live_server.url}/posts/{post_id}")
    form = page.locator("#post-media-form")
    for name, order in (("shop.png", "1"), ("loaves.png", "2")):
        row = form.locator(f'li[data-filename="{name}"]')
        row.locator("input[type=checkbox]").check()
        row.locator("input[type=number]").fill(order)
    with page.expect_navigation():
        form.get_by_role("button", name="Save media").click()
    assert "The post's media are saved." in page.locator("main").inner_text()
    checked = page.locator("#post-media-form li:has(input:checked)")
    assert [checked.nth(i).get_attribute("data-filename") for i in range(2)] == [
        "shop.png",
        "loaves.png",
    ]
    shoot(page, "post")
