"""CSV import and export carry media library ids, in order, checked like the other fields."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from core.db import db
from planner.csvio import export_posts, import_posts
from planner.media import operations as media_ops
from planner.media.storage import storage_for

from .samples import image_bytes

LIMITS = media_ops.Limits(20 << 20, 200 << 20, 2 << 30)


def add(app, brand, users, name, alt="Bread", size=(100, 80)):
    item = media_ops.upload(
        db.session,
        storage_for(app.config),
        brand,
        users["editor"],
        data=image_bytes(*size),
        filename=name,
        limits=LIMITS,
        alt_text=alt,
    )
    db.session.commit()
    return item.id


def test_import_attaches_media_in_order_and_export_writes_them(app, brand, users, channel_of, now):
    channel = channel_of("mastodon")
    first = add(app, brand, users, "a.jpg")
    second = add(app, brand, users, "b.jpg", size=(90, 80))
    when = (now + timedelta(days=2)).isoformat()
    later = (now + timedelta(days=3)).isoformat()
    data = (
        "channel_id,text,media_ids,scheduled_at\n"
        f"{channel.id},With two images,{second} {first},{when}\n"
        f"{channel.id},Without,,{later}\n"
    ).encode()
    report = import_posts(db.session, brand, data, author=users["admin"], now=now)
    db.session.commit()
    assert report.ok and report.created == 2, report.errors
    exported = "".join(export_posts(db.session, brand))
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert any(row["media_ids"] == f"{second} {first}" for row in rows)


def test_import_refuses_unknown_media_and_undescribed_images(app, brand, users, channel_of, now):
    channel = channel_of("mastodon")
    bare = add(app, brand, users, "bare.jpg", alt="")
    when = (now + timedelta(days=2)).isoformat()
    data = (
        "channel_id,text,media_ids,scheduled_at\n"
        f"{channel.id},Unknown,999,{when}\n"
        f"{channel.id},Bare,{bare},{when}\n"
        f"{channel.id},Letters,abc,{when}\n"
    ).encode()
    report = import_posts(db.session, brand, data, author=users["admin"], now=now)
    reasons = [reason for _, reason in report.errors]
    assert "no media item 999 in this brand's library" in reasons
    assert "Describe “bare.jpg” (alt text) before scheduling." in reasons
    assert any("media_ids must be ids" in r for r in reasons)
    assert report.created == 0
