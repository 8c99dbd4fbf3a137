"""The media library in a real browser: two images uploaded through the file picker and one
dropped on the page (sent with progress by the page's script), described, and attached in order
to a post; a video uploaded and published to LinkedIn and Facebook."""

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


def test_a_video_uploaded_in_the_library_is_published_to_linkedin_and_facebook(
    page: Any, live_server: LiveServer, tmp_path: Path, httpserver
):
    """An MP4 through the library's file picker, composed for LinkedIn and Facebook, queued,
    and published by the worker against contract fakes: LinkedIn's Videos API (initialize, PUT
    the bytes, finalize, wait) then the post naming the video; Facebook's Page video upload."""
    import json
    from datetime import timedelta

    from werkzeug import Request, Response

    from core.crypto import encrypt_json
    from core.db import db, utcnow
    from planner.models import Channel, Post, PostStatus
    from planner.publishing.worker import run_worker
    from tests.planner.media.samples import mp4_bytes

    video = mp4_bytes(8000, 1280, 720, padding=4000)
    base = httpserver.url_for("/").rstrip("/")
    httpserver.expect_request(
        "/rest/videos", method="POST", query_string={"action": "initializeUpload"}
    ).respond_with_json(
        {
            "value": {
                "video": "urn:li:video:E2E",
                "uploadToken": "t1",
                "uploadInstructions": [
                    {"uploadUrl": f"{base}/li-upload", "firstByte": 0, "lastByte": len(video) - 1}
                ],
            }
        }
    )
    httpserver.expect_request("/li-upload", method="PUT", data=video).respond_with_data(
        "", headers={"ETag": "etag-e2e"}
    )
    httpserver.expect_request(
        "/rest/videos",
        method="POST",
        query_string={"action": "finalizeUpload"},
        json={
            "finalizeUploadRequest": {
                "video": "urn:li:video:E2E",
                "uploadToken": "t1",
                "uploadedPartIds": ["etag-e2e"],
            }
        },
    ).respond_with_data("")
    httpserver.expect_request("/rest/videos/urn:li:video:E2E", method="GET").respond_with_json(
        {"status": "AVAILABLE"}
    )
    linkedin_posts: list[dict] = []

    def linkedin_post(request: Request) -> Response:
        linkedin_posts.append(request.get_json())
        return Response(status=201, headers={"x-restli-id": "urn:li:share:77"})

    httpserver.expect_request("/rest/posts", method="POST").respond_with_handler(linkedin_post)
    facebook_videos: list[tuple[str, bytes]] = []

    def facebook_video(request: Request) -> Response:
        facebook_videos.append((request.form["description"], request.files["source"].read()))
        return Response(json.dumps({"id": "8080"}), 200, mimetype="application/json")

    httpserver.expect_request("/v23.0/1001/videos", method="POST").respond_with_handler(
        facebook_video
    )

    app = live_server.app
    app.config["MEDIA_DIR"] = str(tmp_path / "media")
    app.config["OUTBOUND_ALLOW_PRIVATE"] = True
    with app.app_context():
        for name, credentials in (
            (
                "Northwind LinkedIn",
                {"access_token": "li", "author_urn": "urn:li:organization:1", "base_url": base},
            ),
            (
                "Northwind Facebook",
                {"page_id": "1001", "page_access_token": "fb", "base_url": base},
            ),
        ):
            channel = db.session.query(Channel).filter_by(name=name).one()
            channel.credentials_encrypted = encrypt_json(credentials, app.config)
        db.session.commit()

    log_in(page, live_server)
    page.goto(f"{live_server.url}/brands/{live_server.brand_id}/media")
    with page.expect_navigation():
        page.set_input_files(
            "#media-file", [{"name": "kneading.mp4", "mimeType": "video/mp4", "buffer": video}]
        )
    assert page.locator('.media-card[data-filename="kneading.mp4"]').count() == 1
    shoot(page, "video")

    page.goto(f"{live_server.url}/brands/{live_server.brand_id}/compose")
    for name in ("Northwind LinkedIn", "Northwind Facebook"):
        page.locator("label.composer-channel", has_text=name).locator("input").check()
    page.locator("#compose-text").fill("Kneading day at the bakery.")
    page.locator('.composer-media-set label[title="kneading.mp4"] input').check()
    page.get_by_role("button", name="Create campaign").click()
    page.wait_for_url("**/groups/*")
    assert "Campaign created for 2 channels." in page.locator(".flash.success").inner_text()

    with app.app_context():
        posts = db.session.query(Post).filter(Post.group_id.is_not(None)).all()
        assert len(posts) == 2
        for post in posts:
            post.scheduled_at = utcnow() - timedelta(seconds=5)  # their slots have come
        db.session.commit()
        ids = [post.id for post in posts]
    run_worker(app, "w1", once=True)

    httpserver.check_assertions()
    linkedin_calls = [
        (r.method, r.path, r.args.get("action"))
        for r, _ in httpserver.log
        if r.path.startswith(("/rest/", "/li-upload"))
    ]
    assert linkedin_calls == [
        ("POST", "/rest/videos", "initializeUpload"),
        ("PUT", "/li-upload", None),
        ("POST", "/rest/videos", "finalizeUpload"),
        ("GET", "/rest/videos/urn:li:video:E2E", None),
        ("POST", "/rest/posts", None),
    ]
    assert [body["content"] for body in linkedin_posts] == [{"media": {"id": "urn:li:video:E2E"}}]
    assert facebook_videos == [("Kneading day at the bakery.", video)]
    with app.app_context():
        assert {db.session.get(Post, i).status for i in ids} == {PostStatus.PUBLISHED.value}
