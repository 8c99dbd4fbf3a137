"""The worker sends a post's library media prepared for its platform, and a worker that dies
between the media uploads and the post's create never makes a second post."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from werkzeug import Request, Response

from core.crypto import encrypt_json
from core.db import db
from planner.media import operations as media_ops
from planner.media.models import PostMedia
from planner.media.storage import storage_for
from planner.models import Channel, Post, PostStatus
from planner.publishing.adapters.bluesky import BlueskyAdapter
from planner.publishing.adapters.linkedin import LinkedInAdapter
from planner.publishing.adapters.mastodon import MastodonAdapter
from planner.publishing.adapters.x import XAdapter
from planner.publishing.queue import claim_due_posts, recover_expired_leases
from planner.publishing.worker import publish_one
from tests.planner.media.samples import image_bytes, mp4_bytes, opened

LIMITS = media_ops.Limits(20 << 20, 200 << 20, 2 << 30)


class WorkerDied(BaseException):
    """Stands for the process ending (a kill, a power cut) in the middle of a send."""


def now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def server(make_httpserver):
    make_httpserver.clear()
    yield make_httpserver
    make_httpserver.check_assertions()
    make_httpserver.clear()


@pytest.fixture
def library(app, brand, users, tmp_path):
    app.config["MEDIA_DIR"] = str(tmp_path / "media")

    def add(data: bytes, name: str, alt: str = "Loaves on a rack") -> int:
        item = media_ops.upload(
            db.session,
            storage_for(app.config),
            brand,
            users["editor"],
            data=data,
            filename=name,
            limits=LIMITS,
            alt_text=alt,
        )
        db.session.commit()
        return item.id

    return add


def due_post(app, brand, platform: str, credentials: dict, media_ids: list[int]) -> Post:
    channel = Channel(
        brand=brand,
        platform=platform,
        name=platform,
        credentials_encrypted=encrypt_json(credentials, app.config),
    )
    post = Post(
        channel=channel,
        text="Fresh bread",
        scheduled_at=now() - timedelta(seconds=5),
        status=PostStatus.SCHEDULED.value,
    )
    db.session.add_all([channel, post])
    db.session.flush()
    db.session.add_all(
        PostMedia(post_id=post.id, media_id=media_id, position=index)
        for index, media_id in enumerate(media_ids)
    )
    db.session.commit()
    return post


def test_worker_sends_images_scaled_to_the_platforms_limit(app, brand, server, library):
    # A heavy photo: Bluesky takes blobs of at most 1,000,000 bytes.
    heavy = image_bytes(1800, 1200, noise=True)
    assert len(heavy) > 1_000_000
    media_id = library(heavy, "heavy.jpg")
    server.expect_request("/xrpc/com.atproto.server.createSession").respond_with_json(
        {"did": "did:plc:b", "handle": "b.bsky.social", "accessJwt": "a", "refreshJwt": "r"}
    )
    blobs: list[bytes] = []

    def blob(request: Request) -> Response:
        blobs.append(request.get_data())
        return Response(
            json.dumps({"blob": {"$type": "blob", "ref": {"$link": "x"}, "size": 1}}),
            200,
            mimetype="application/json",
        )

    server.expect_request("/xrpc/com.atproto.repo.uploadBlob").respond_with_handler(blob)
    server.expect_request("/xrpc/com.atproto.repo.createRecord").respond_with_handler(
        lambda r: Response(
            json.dumps({"uri": f"at://did:plc:b/app.bsky.feed.post/{r.json['rkey']}", "cid": "c"}),
            200,
            mimetype="application/json",
        )
    )
    credentials = {
        "service": server.url_for("").rstrip("/"),
        "handle": "b.bsky.social",
        "app_password": "aaaa-bbbb-cccc-dddd",
    }
    post = due_post(app, brand, "bluesky", credentials, [media_id])
    assert claim_due_posts(db.session, "w1", now(), 10) == [post.id]
    db.session.commit()

    assert publish_one(app, post.id, "w1").value == "published"
    (sent,) = blobs
    assert len(sent) <= 1_000_000
    assert max(opened(sent).size) <= 2000


def crash_after_uploads(monkeypatch, adapter_class, method: str) -> Counter:
    """Make the worker die right after the adapter's last media upload."""
    calls: Counter = Counter()
    original = getattr(adapter_class, method)

    def upload_then_die(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        calls["uploads"] += 1
        if calls["die"] == 0:
            calls["die"] += 1
            raise WorkerDied
        return result

    monkeypatch.setattr(adapter_class, method, upload_then_die)
    return calls


def test_a_retried_mastodon_send_uploads_again_and_posts_once(
    app, brand, server, library, monkeypatch
):
    media_id = library(image_bytes(), "bread.jpg")
    server.expect_request("/api/v2/instance").respond_with_json(
        {"configuration": {"statuses": {"max_characters": 500}}}
    )
    server.expect_request("/api/v2/media", method="POST").respond_with_json(
        {"id": "m1", "url": "https://files.example/m1.jpg"}
    )
    statuses: Counter[str] = Counter()

    def create(request: Request) -> Response:
        key = request.headers["Idempotency-Key"]
        statuses[key] += 1  # Mastodon returns the first status for a repeated key
        return Response(
            json.dumps({"id": key, "url": "https://m.example/1"}), 200, mimetype="application/json"
        )

    server.expect_request("/api/v1/statuses", method="POST").respond_with_handler(create)
    credentials = {"base_url": server.url_for("").rstrip("/"), "access_token": "t"}
    post = due_post(app, brand, "mastodon", credentials, [media_id])
    calls = crash_after_uploads(monkeypatch, MastodonAdapter, "upload_media")

    assert claim_due_posts(db.session, "w1", now(), 10, timedelta(seconds=30)) == [post.id]
    db.session.commit()
    with pytest.raises(WorkerDied):
        publish_one(app, post.id, "w1")
    assert sum(statuses.values()) == 0 and calls["uploads"] == 1

    # The lease runs out; the recovery re-queues it (Mastodon de-duplicates by the key).
    later = now() + timedelta(minutes=10)
    assert recover_expired_leases(db.session, later, config=app.config) == 1
    db.session.commit()
    db.session.refresh(post)
    assert post.status == PostStatus.SCHEDULED
    post.next_attempt_at = now() - timedelta(seconds=1)
    db.session.commit()
    assert claim_due_posts(db.session, "w2", now(), 10) == [post.id]
    db.session.commit()
    assert publish_one(app, post.id, "w2").value == "published"

    assert calls["uploads"] == 2  # the media went up again
    assert list(statuses.values()) == [1]  # one status


def test_a_worker_dying_after_x_media_uploads_leaves_it_for_a_person(
    app, brand, server, library, monkeypatch
):
    media_id = library(image_bytes(), "bread.jpg")
    server.expect_request("/2/media/upload", method="POST").respond_with_json({"data": {"id": "9"}})
    server.expect_request("/2/media/metadata", method="POST").respond_with_json({})
    credentials = {"base_url": server.url_for("").rstrip("/"), "access_token": "t"}
    post = due_post(app, brand, "x", credentials, [media_id])
    crash_after_uploads(monkeypatch, XAdapter, "upload_media")

    assert claim_due_posts(db.session, "w1", now(), 10, timedelta(seconds=30)) == [post.id]
    db.session.commit()
    with pytest.raises(WorkerDied):
        publish_one(app, post.id, "w1")

    # X does not de-duplicate: a send that began is never re-sent blindly.
    assert recover_expired_leases(db.session, now() + timedelta(minutes=10), config=app.config) == 1
    db.session.commit()
    db.session.refresh(post)
    assert post.status == PostStatus.UNCONFIRMED
    assert [r for r, _ in server.log if r.path == "/2/tweets"] == []


def test_a_retried_bluesky_video_send_uploads_again_and_posts_once(
    app, brand, server, library, monkeypatch
):
    """Bluesky's record key makes a re-send safe: the worker dies after the video blob went up,
    the recovery re-queues the post, and the second send makes the one post."""
    video = mp4_bytes(6000, 1280, 720)
    media_id = library(video, "kneading.mp4")
    server.expect_request("/xrpc/com.atproto.server.createSession").respond_with_json(
        {"did": "did:plc:b", "handle": "b.bsky.social", "accessJwt": "a", "refreshJwt": "r"}
    )
    server.expect_request(
        "/xrpc/com.atproto.repo.uploadBlob", headers={"Content-Type": "video/mp4"}, data=video
    ).respond_with_json({"blob": {"$type": "blob", "ref": {"$link": "v"}, "size": len(video)}})
    records: Counter[str] = Counter()

    def create(request: Request) -> Response:
        records[request.json["rkey"]] += 1
        assert request.json["record"]["embed"]["$type"] == "app.bsky.embed.video"
        return Response(
            json.dumps({"uri": f"at://did:plc:b/app.bsky.feed.post/{request.json['rkey']}"}),
            200,
            mimetype="application/json",
        )

    server.expect_request("/xrpc/com.atproto.repo.createRecord").respond_with_handler(create)
    credentials = {
        "service": server.url_for("").rstrip("/"),
        "handle": "b.bsky.social",
        "app_password": "aaaa-bbbb-cccc-dddd",
    }
    post = due_post(app, brand, "bluesky", credentials, [media_id])
    calls = crash_after_uploads(monkeypatch, BlueskyAdapter, "upload_video")

    assert claim_due_posts(db.session, "w1", now(), 10, timedelta(seconds=30)) == [post.id]
    db.session.commit()
    with pytest.raises(WorkerDied):
        publish_one(app, post.id, "w1")
    assert sum(records.values()) == 0

    assert recover_expired_leases(db.session, now() + timedelta(minutes=10), config=app.config) == 1
    db.session.commit()
    db.session.refresh(post)
    assert post.status == PostStatus.SCHEDULED
    post.next_attempt_at = now() - timedelta(seconds=1)
    db.session.commit()
    assert claim_due_posts(db.session, "w2", now(), 10) == [post.id]
    db.session.commit()
    assert publish_one(app, post.id, "w2").value == "published"
    assert calls["uploads"] == 2 and list(records.values()) == [1]


def test_a_worker_dying_after_a_linkedin_video_upload_leaves_it_for_a_person(
    app, brand, server, library, monkeypatch
):
    media_id = library(mp4_bytes(6000), "kneading.mp4")
    base = server.url_for("").rstrip("/")
    monkeypatch.setattr(LinkedInAdapter, "upload_video", lambda *a, **k: "urn:li:video:1")
    credentials = {"access_token": "t", "author_urn": "urn:li:organization:1", "base_url": base}
    post = due_post(app, brand, "linkedin", credentials, [media_id])
    crash_after_uploads(monkeypatch, LinkedInAdapter, "upload_video")

    assert claim_due_posts(db.session, "w1", now(), 10, timedelta(seconds=30)) == [post.id]
    db.session.commit()
    with pytest.raises(WorkerDied):
        publish_one(app, post.id, "w1")

    # LinkedIn does not de-duplicate: a send that began is never re-sent blindly.
    assert recover_expired_leases(db.session, now() + timedelta(minutes=10), config=app.config) == 1
    db.session.commit()
    db.session.refresh(post)
    assert post.status == PostStatus.UNCONFIRMED
    assert [r for r, _ in server.log if r.path == "/rest/posts"] == []
