"""The media pages: the library, uploads (JSON for the page's script, redirects without it), alt
text, deletion, a post's media, the files and the public signed addresses."""

from __future__ import annotations

import io
import time

from core.db import db
from planner import operations as ops
from planner.media import operations as media_ops
from planner.media.models import MediaItem, PostMedia
from tests.conftest import login

from .samples import image_bytes, mp4_bytes


def send(client, brand, *files, accept="application/json"):
    return client.post(
        f"/brands/{brand.id}/media",
        data={"file": [(io.BytesIO(data), name) for data, name in files]},
        content_type="multipart/form-data",
        headers={"Accept": accept},
    )


def test_library_page_states_the_limits_and_lists_items(client, brand, users):
    login(client, users["editor"].email)
    page = client.get(f"/brands/{brand.id}/media")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "up to 20 MB each" in text and "MP4, up to 200 MB" in text
    assert "4:5 to 1.91:1" in text
    answer = send(client, brand, (image_bytes(), "a.jpg"), (image_bytes(fmt="PNG"), "b.png"))
    assert answer.status_code == 201
    assert [i["filename"] for i in answer.json["items"]] == ["a.jpg", "b.png"]
    text = client.get(f"/brands/{brand.id}/media").get_data(as_text=True)
    assert "a.jpg" in text and "b.png" in text and "No alt text yet" in text


def test_a_refused_upload_answers_its_reason_and_writes_nothing(client, brand, users):
    login(client, users["editor"].email)
    answer = send(client, brand, (image_bytes(), "ok.jpg"), (b"not an image at all", "bad.jpg"))
    assert answer.status_code == 400
    assert "“bad.jpg”" in answer.json["errors"][0]
    assert db.session.query(MediaItem).count() == 0
    # Without the page's script: a redirect with the message.
    plain = send(client, brand, (b"%PDF-1.4 nope", "doc.png"), accept="text/html")
    assert plain.status_code == 302
    assert "not an image or video" in client.get(plain.location).get_data(as_text=True)


def test_viewers_see_the_library_but_cannot_upload(client, brand, users):
    login(client, users["viewer"].email)
    page = client.get(f"/brands/{brand.id}/media").get_data(as_text=True)
    assert 'id="media-upload"' not in page
    answer = send(client, brand, (image_bytes(), "a.jpg"))
    assert answer.status_code == 400 and "Viewers" in answer.json["errors"][0]


def test_other_brands_media_are_not_found(client, brand, users):
    from planner.brands import create_brand

    other = create_brand(db.session, name="Other", timezone="UTC", creator=users["admin"])
    db.session.commit()
    login(client, users["editor"].email)
    assert client.get(f"/brands/{other.id}/media").status_code == 404
    client.post("/logout")
    login(client, users["admin"].email)
    send(client, other, (image_bytes(), "secret.jpg"))
    item = db.session.query(MediaItem).one()
    client.post("/logout")
    login(client, users["editor"].email)
    assert client.get(f"/media/{item.id}/file").status_code == 404
    assert client.post(f"/media/{item.id}/delete").status_code == 404


def test_alt_text_is_saved_and_an_unused_item_deleted(client, brand, users):
    login(client, users["editor"].email)
    send(client, brand, (image_bytes(), "a.jpg"))
    item = db.session.query(MediaItem).one()
    client.post(f"/media/{item.id}/alt", data={"alt_text": "  Bread on a board  "})
    db.session.refresh(item)
    assert item.alt_text == "Bread on a board"
    thumb = client.get(f"/media/{item.id}/thumb")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    client.post(f"/media/{item.id}/delete")
    assert db.session.query(MediaItem).count() == 0


def test_a_post_gets_media_in_order_and_errors_show_in_the_form(
    client, brand, users, channel_of, now
):
    channel = channel_of("bluesky")
    login(client, users["editor"].email)
    send(client, brand, (image_bytes(100, 80), "one.jpg"), (image_bytes(90, 80), "two.jpg"))
    one, two = db.session.query(MediaItem).order_by(MediaItem.id).all()
    post = ops.create_post(
        db.session, channel, users["editor"], text="Bread", queue=True, now=now
    ).post
    db.session.commit()
    page = client.get(f"/posts/{post.id}").get_data(as_text=True)
    assert 'id="post-media-form"' in page and "one.jpg" in page

    # Without alt text the scheduled post refuses the images, and says why.
    answer = client.post(
        f"/posts/{post.id}/media",
        data={
            "media_id": [str(one.id), str(two.id)],
            f"position_{one.id}": "2",
            f"position_{two.id}": "1",
        },
        follow_redirects=True,
    )
    text = answer.get_data(as_text=True)
    assert "Describe “one.jpg” (alt text) before scheduling" in text
    assert db.session.query(PostMedia).count() == 0

    client.post(
        f"/posts/{post.id}/media",
        data={
            "media_id": [str(one.id), str(two.id)],
            f"position_{one.id}": "2",
            f"position_{two.id}": "1",
            f"alt_{one.id}": "First loaf",
            f"alt_{two.id}": "Second loaf",
        },
    )
    attached = media_ops.media_of(db.session, [post.id])[post.id]
    assert [(m.filename, m.alt_text) for m in attached] == [
        ("two.jpg", "Second loaf"),
        ("one.jpg", "First loaf"),
    ]
    # Used now: the library will not delete it.
    answer = client.post(f"/media/{one.id}/delete", follow_redirects=True)
    assert "remove it from them first" in answer.get_data(as_text=True)


def test_public_address_serves_without_login_until_it_expires(app, client, brand, users):
    login(client, users["editor"].email)
    send(client, brand, (mp4_bytes(), "clip.mp4"))
    item = db.session.query(MediaItem).one()
    client.post("/logout")
    token = media_ops.public_token(app.config["SECRET_KEY"], item.id)
    answer = client.get(f"/m/{token}")
    assert answer.status_code == 200 and answer.mimetype == "video/mp4"
    assert answer.data[4:8] == b"ftyp"
    assert client.get(f"/m/{token[:-3]}abc").status_code == 404
    assert client.get(f"/media/{item.id}/file").status_code in (302, 401)
    app.config["MEDIA_URL_SECONDS"] = 1
    time.sleep(2.1)
    assert client.get(f"/m/{token}").status_code == 404


def test_a_video_may_exceed_the_app_wide_request_limit(app, client, brand, users):
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    login(client, users["editor"].email)
    answer = send(client, brand, (mp4_bytes(padding=2 * 1024 * 1024), "long.mp4"))
    assert answer.status_code == 201, answer.get_data(as_text=True)[:200]
    # The library's own limit still holds.
    app.config["MEDIA_MAX_VIDEO_BYTES"] = 1024 * 1024
    app.config["MEDIA_MAX_IMAGE_BYTES"] = 1024 * 1024
    refused = send(client, brand, (mp4_bytes(padding=3 * 1024 * 1024), "longer.mp4"))
    assert refused.status_code == 413
