"""The media library: real types from the content, Pillow checks (orientation, metadata,
thumbnails, HEIC), MP4 boxes, size limits, de-duplication and deletion only when unused."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.db import db
from core.errors import Refused
from planner import operations as ops
from planner.media import operations as media_ops
from planner.media import processing
from planner.media.models import MediaItem
from planner.media.storage import DiskStorage, StorageError, storage_for

from .samples import heic_bytes, image_bytes, mp4_bytes, opened, pixel

MB = 1024 * 1024


def limits(image_mb: float = 20, video_mb: float = 200, brand_mb: float = 2048):
    return media_ops.Limits(int(image_mb * MB), int(video_mb * MB), int(brand_mb * MB))


def upload(app, brand, user, data: bytes, name: str, **kw) -> MediaItem:
    return media_ops.upload(
        db.session,
        storage_for(app.config),
        brand,
        user,
        data=data,
        filename=name,
        limits=kw.pop("limits", limits()),
        **kw,
    )


def test_a_png_named_jpg_is_kept_as_a_png(app, brand, users):
    item = upload(app, brand, users["editor"], image_bytes(fmt="PNG"), "holiday.jpg")
    db.session.commit()
    assert item.content_type == "image/png"
    assert item.filename == "holiday.png"
    stored = storage_for(app.config).get(item.storage_key)
    assert stored.startswith(b"\x89PNG")


def test_a_text_file_named_jpg_is_refused(app, brand, users):
    with pytest.raises(Refused, match="not an image or video"):
        upload(app, brand, users["editor"], b"just some words, honestly\n" * 20, "photo.jpg")
    assert db.session.query(MediaItem).count() == 0


def test_a_truncated_jpeg_is_refused_as_damaged(app, brand, users):
    data = image_bytes(400, 300)
    with pytest.raises(Refused, match="damaged"):
        upload(app, brand, users["editor"], data[: len(data) // 2], "cut.jpg")


def test_exif_orientation_is_applied_and_gps_removed(app, brand, users):
    # Orientation 6: the camera was turned; the stored image must stand upright (80×120).
    data = image_bytes(120, 80, orientation=6, gps=True)
    assert opened(data).getexif().get(0x8825) is not None
    item = upload(app, brand, users["editor"], data, "phone.jpg")
    stored = storage_for(app.config).get(item.storage_key)
    image = opened(stored)
    assert (item.width, item.height) == (80, 120) == image.size
    exif = image.getexif()
    assert 0x8825 not in exif and exif.get(0x0112) in (None, 1)
    # The coloured left half of the original is now at the top.
    assert pixel(stored, 40, 10)[1] < 100 and pixel(stored, 40, 110) == pytest.approx(
        (255, 255, 255), abs=8
    )


def test_heic_is_converted_to_jpeg_with_a_thumbnail(app, brand, users):
    item = upload(app, brand, users["editor"], heic_bytes(64, 48), "IMG_0001.HEIC")
    assert item.content_type == "image/jpeg" and item.filename == "IMG_0001.jpg"
    assert (item.width, item.height) == (64, 48)
    storage = storage_for(app.config)
    assert storage.get(item.storage_key)[:3] == b"\xff\xd8\xff"
    assert opened(storage.get(item.thumb_key)).format == "JPEG"


def test_thumbnails_are_at_most_320_pixels(app, brand, users):
    item = upload(app, brand, users["editor"], image_bytes(1600, 900), "wide.png")
    thumb = opened(storage_for(app.config).get(item.thumb_key))
    assert max(thumb.size) == 320


def test_mp4_type_duration_and_size_come_from_its_boxes(app, brand, users):
    item = upload(app, brand, users["editor"], mp4_bytes(12_345, 1080, 1920), "clip.mov")
    assert item.kind == "video" and item.content_type == "video/mp4"
    assert item.filename == "clip.mp4"
    assert (item.width, item.height, item.duration_ms) == (1080, 1920, 12_345)


def test_an_mp4_without_its_index_is_refused():
    data = mp4_bytes()
    broken = data[: data.index(b"moov") - 4]
    with pytest.raises(processing.MediaRefused, match="moov"):
        processing.check(broken)


def test_per_file_limits_are_stated_and_kept(app, brand, users):
    big = image_bytes(900, 900, fmt="PNG", noise=True)
    with pytest.raises(Refused, match="images may be at most 512 KB"):
        upload(app, brand, users["editor"], big, "big.png", limits=limits(image_mb=0.5))
    with pytest.raises(Refused, match="videos may be at most 1 KB"):
        upload(app, brand, users["editor"], mp4_bytes(), "v.mp4", limits=limits(video_mb=0.001))


def test_the_brand_quota_is_kept(app, brand, users):
    upload(app, brand, users["editor"], image_bytes(300, 300, noise=True), "a.jpg")
    db.session.commit()
    with pytest.raises(Refused, match="media library is full"):
        upload(
            app,
            brand,
            users["editor"],
            image_bytes(301, 300, noise=True),
            "b.jpg",
            limits=limits(brand_mb=0.05),
        )


def test_the_same_file_twice_is_one_item(app, brand, users):
    data = image_bytes()
    first = upload(app, brand, users["editor"], data, "one.jpg")
    second = upload(app, brand, users["editor"], data, "two.jpg")
    assert first.id == second.id
    assert db.session.query(MediaItem).count() == 1


def test_viewers_cannot_upload(app, brand, users):
    with pytest.raises(Refused, match="Viewers"):
        upload(app, brand, users["viewer"], image_bytes(), "x.jpg")


def test_an_item_used_by_a_post_cannot_be_deleted(app, brand, users, channel_of, now):
    channel = channel_of("mastodon")
    item = upload(app, brand, users["editor"], image_bytes(), "a.jpg", alt_text="A red square")
    post = ops.create_post(
        db.session, channel, users["editor"], text="hi", draft=True, media_ids=[item.id], now=now
    ).post
    db.session.commit()
    storage = storage_for(app.config)
    with pytest.raises(Refused, match="attached to 1 post"):
        media_ops.delete_item(db.session, storage, item, users["editor"])
    db.session.rollback()
    media_ops.attach(db.session, post, users["editor"], [])
    media_ops.delete_item(db.session, storage, item, users["editor"])
    db.session.commit()
    assert db.session.get(MediaItem, item.id) is None
    assert not storage.exists(item.storage_key)


def test_disk_storage_refuses_keys_that_leave_its_directory(tmp_path):
    storage = DiskStorage(tmp_path / "m")
    with pytest.raises(StorageError):
        storage.put("../outside.txt", b"x", "text/plain")
    storage.put("brand-1/a.jpg", b"abc", "image/jpeg")
    assert storage.get("brand-1/a.jpg") == b"abc"


def test_public_addresses_expire_and_cannot_be_guessed(app):
    secret = app.config["SECRET_KEY"]
    token = media_ops.public_token(secret, 42)
    assert media_ops.read_public_token(secret, token, 3600) == 42
    assert media_ops.public_token(secret, 42) != token
    later = timedelta(hours=2).total_seconds()
    import time

    with pytest.raises(Exception, match="expired"):
        media_ops.read_public_token(secret, token, 3600, now=time.time() + later)
    with pytest.raises(Exception, match="No such media"):
        media_ops.read_public_token(secret, token[:-2] + "xx", 3600)
    with pytest.raises(Exception, match="No such media"):
        media_ops.read_public_token("another-secret", token, 3600)
