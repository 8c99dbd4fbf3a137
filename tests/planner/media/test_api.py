"""The media library in the JSON API, and posts carrying media ids."""

from __future__ import annotations

import io

import pytest

from core.db import db
from planner.media.models import MediaItem

from .samples import image_bytes


@pytest.fixture
def mastodon(channel_of):
    return channel_of("mastodon")


def upload(api, brand, data=None, name="a.jpg", alt="A loaf"):
    return api["editor"].post(
        f"/api/v1/brands/{brand.id}/media",
        data={"file": (io.BytesIO(data or image_bytes()), name), "alt_text": alt},
        content_type="multipart/form-data",
    )


def test_upload_list_describe_and_delete(api, brand):
    answer = upload(api, brand)
    assert answer.status_code == 201
    media = answer.json["media"]
    assert media["content_type"] == "image/jpeg" and media["alt_text"] == "A loaf"
    listed = api["viewer"].get(f"/api/v1/brands/{brand.id}/media").json["media"]
    assert [m["id"] for m in listed] == [media["id"]]
    changed = api["editor"].patch(f"/api/v1/media/{media['id']}", json={"alt_text": "Rye"})
    assert changed.json["media"]["alt_text"] == "Rye"
    assert api["viewer"].delete(f"/api/v1/media/{media['id']}").status_code == 403
    assert api["editor"].delete(f"/api/v1/media/{media['id']}").status_code == 204
    assert db.session.query(MediaItem).count() == 0


def test_a_refused_file_is_422_with_the_reason(api, brand):
    answer = upload(api, brand, b"plain text pretending", "x.jpg")
    assert answer.status_code == 422
    assert "not an image or video" in " ".join(answer.json["errors"])


def test_a_url_is_fetched_through_the_guard_into_the_library(app, api, brand, httpserver):
    httpserver.expect_request("/bread.png").respond_with_data(
        image_bytes(fmt="PNG"), content_type="image/png"
    )
    answer = api["editor"].post(
        f"/api/v1/brands/{brand.id}/media",
        json={"url": httpserver.url_for("/bread.png"), "alt_text": "Bread"},
    )
    assert answer.status_code == 201, answer.json
    assert answer.json["media"]["filename"] == "bread.png"
    # Private addresses are refused unless the operator allows them.
    app.config["OUTBOUND_ALLOW_PRIVATE"] = False
    refused = api["editor"].post(
        f"/api/v1/brands/{brand.id}/media", json={"url": httpserver.url_for("/bread.png")}
    )
    assert refused.status_code == 422 and "cannot be fetched" in refused.json["error"]


def test_posts_carry_media_ids_in_order_and_rules_apply(api, brand, mastodon):
    first = upload(api, brand, image_bytes(100, 80), "1.jpg").json["media"]["id"]
    second = upload(api, brand, image_bytes(90, 80), "2.jpg", alt="").json["media"]["id"]
    refused = api["editor"].post(
        f"/api/v1/brands/{brand.id}/posts",
        json={
            "channel_id": mastodon.id,
            "text": "Bread",
            "queue": True,
            "media_ids": [second, first],
        },
    )
    assert refused.status_code == 422
    assert "Describe “2.jpg” (alt text) before scheduling." in refused.json["errors"]
    api["editor"].patch(f"/api/v1/media/{second}", json={"alt_text": "Rolls"})
    made = api["editor"].post(
        f"/api/v1/brands/{brand.id}/posts",
        json={
            "channel_id": mastodon.id,
            "text": "Bread",
            "queue": True,
            "media_ids": [second, first],
        },
    )
    assert made.status_code == 201
    post = made.json["post"]
    assert post["media_ids"] == [second, first]
    patched = api["editor"].patch(f"/api/v1/posts/{post['id']}", json={"media_ids": [first]})
    assert patched.json["post"]["media_ids"] == [first]
    bad = api["editor"].patch(f"/api/v1/posts/{post['id']}", json={"media_ids": ["x"]})
    assert bad.status_code == 422
    listed = api["viewer"].get(f"/api/v1/brands/{brand.id}/posts").json["posts"]
    assert listed[0]["media_ids"] == [first]
