"""The media library in an S3-compatible bucket: moto's S3 server on loopback stands in for the
bucket (a real HTTP server speaking S3), and the files go in, come out through PageOne's public
address and reach a platform from there."""

from __future__ import annotations

import io
import socket
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from core.crypto import encrypt_json
from core.db import db
from planner.media import operations as media_ops
from planner.media import storage as storage_module
from planner.media.models import MediaItem, PostMedia
from planner.media.storage import S3Storage, StorageError, storage_for
from planner.models import Channel, Post, PostStatus
from planner.publishing.queue import claim_due_posts
from planner.publishing.worker import publish_one

from .samples import mp4_bytes

KEYS = {"MEDIA_S3_ACCESS_KEY_ID": "testing", "MEDIA_S3_SECRET_ACCESS_KEY": "testing"}


@pytest.fixture(scope="module")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_config(app, s3_endpoint):
    """The app configured for a fresh bucket on the moto server."""
    bucket = f"pageone-{uuid.uuid4().hex[:12]}"
    settings = {
        "MEDIA_S3_BUCKET": bucket,
        "MEDIA_S3_ENDPOINT_URL": s3_endpoint,
        "MEDIA_S3_REGION": "us-east-1",
        "MEDIA_S3_PREFIX": "media/",
        **KEYS,
    }
    raw_client(s3_endpoint).create_bucket(Bucket=bucket)
    app.config.update(settings)
    yield settings
    app.config.update({name: None for name in settings})


def raw_client(endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_s3_storage_keeps_gives_back_and_deletes_files_under_its_prefix(s3_config):
    storage = storage_for(s3_config)
    assert isinstance(storage, S3Storage)
    storage.put("brand-1/abc.mp4", b"video-bytes", "video/mp4")

    assert storage.get("brand-1/abc.mp4") == b"video-bytes"
    assert storage.exists("brand-1/abc.mp4")
    stored = raw_client(s3_config["MEDIA_S3_ENDPOINT_URL"]).get_object(
        Bucket=s3_config["MEDIA_S3_BUCKET"], Key="media/brand-1/abc.mp4"
    )
    assert stored["ContentType"] == "video/mp4" and stored["Body"].read() == b"video-bytes"

    storage.delete("brand-1/abc.mp4")
    assert not storage.exists("brand-1/abc.mp4")
    with pytest.raises(StorageError, match="missing"):
        storage.get("brand-1/abc.mp4")


def test_a_bucket_that_stops_answering_fails_one_call_within_its_timeouts(monkeypatch):
    # A listening socket that never answers: the connection opens, the answer never comes.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    monkeypatch.setattr(storage_module, "S3_READ_TIMEOUT", 0.3)
    monkeypatch.setattr(storage_module, "S3_ATTEMPTS", 1)
    try:
        storage = S3Storage(
            {
                "MEDIA_S3_BUCKET": "silent",
                "MEDIA_S3_ENDPOINT_URL": f"http://127.0.0.1:{silent.getsockname()[1]}",
                "MEDIA_S3_REGION": "us-east-1",
                **KEYS,
            }
        )
        config = storage.client.meta.config
        assert (config.connect_timeout, config.read_timeout) == (5.0, 0.3)
        started = time.monotonic()
        with pytest.raises(StorageError, match="did not give"):
            storage.get("brand-1/x.mp4")
        assert time.monotonic() - started < 5
    finally:
        silent.close()


def test_without_boto3_the_s3_backend_says_what_to_install(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "boto3", None)
    with pytest.raises(StorageError, match="pip install boto3"):
        S3Storage({"MEDIA_S3_BUCKET": "pageone-media"})


def test_a_video_uploaded_to_the_library_lives_in_the_bucket_and_is_published_from_it(
    app, api, brand, s3_config, media_dir, make_httpserver
):
    video = mp4_bytes(20_000, 1280, 720, padding=5000)
    answer = api["editor"].post(
        f"/api/v1/brands/{brand.id}/media",
        data={"file": (io.BytesIO(video), "kneading.mp4"), "alt_text": "Kneading"},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 201, answer.json
    item = db.session.get(MediaItem, answer.json["media"]["id"])
    assert item.kind == "video"

    # The file is in the bucket, not on this machine's disk.
    stored = raw_client(s3_config["MEDIA_S3_ENDPOINT_URL"]).get_object(
        Bucket=s3_config["MEDIA_S3_BUCKET"], Key=f"media/{item.storage_key}"
    )
    assert stored["Body"].read() == video
    assert not Path(media_dir).exists() or not any(Path(media_dir).rglob("*.mp4"))

    # The public, expiring address that Instagram's servers fetch is served from the bucket.
    token = media_ops.public_token(app.config["SECRET_KEY"], item.id)
    public = app.test_client().get(f"/m/{token}")
    assert public.status_code == 200 and public.data == video

    # A LinkedIn post with the video: the worker reads the bytes from the bucket.
    fake = make_httpserver
    fake.clear()
    base = fake.url_for("").rstrip("/")
    fake.expect_ordered_request(
        "/rest/videos", method="POST", query_string={"action": "initializeUpload"}
    ).respond_with_json(
        {
            "value": {
                "video": "urn:li:video:S3",
                "uploadToken": "",
                "uploadInstructions": [
                    {"uploadUrl": f"{base}/up", "firstByte": 0, "lastByte": len(video) - 1}
                ],
            }
        }
    )
    fake.expect_ordered_request("/up", method="PUT", data=video).respond_with_data(
        "", headers={"ETag": "e1"}
    )
    fake.expect_ordered_request(
        "/rest/videos", method="POST", query_string={"action": "finalizeUpload"}
    ).respond_with_data("")
    fake.expect_ordered_request("/rest/videos/urn:li:video:S3", method="GET").respond_with_json(
        {"status": "AVAILABLE"}
    )
    fake.expect_ordered_request("/rest/posts", method="POST").respond_with_data(
        "", status=201, headers={"x-restli-id": "urn:li:share:99"}
    )
    channel = Channel(
        brand=brand,
        platform="linkedin",
        name="LinkedIn",
        credentials_encrypted=encrypt_json(
            {"access_token": "t", "author_urn": "urn:li:organization:1", "base_url": base},
            app.config,
        ),
    )
    now = datetime.now(UTC)
    post = Post(
        channel=channel,
        text="Kneading day",
        scheduled_at=now - timedelta(seconds=5),
        status=PostStatus.SCHEDULED.value,
    )
    db.session.add_all([channel, post])
    db.session.flush()
    db.session.add(PostMedia(post_id=post.id, media_id=item.id, position=0))
    db.session.commit()

    assert claim_due_posts(db.session, "w1", now, 10) == [post.id]
    db.session.commit()
    assert publish_one(app, post.id, "w1").value == "published"
    fake.check_assertions()
    fake.clear()
