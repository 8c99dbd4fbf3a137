"""Per-platform media rules are checked when a post is scheduled, never first at publish time."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.db import db
from core.errors import Refused
from planner import approval
from planner import operations as ops
from planner.media import operations as media_ops
from planner.media.storage import storage_for
from planner.models import PostStatus

from .samples import image_bytes, mp4_bytes

LIMITS = media_ops.Limits(20 << 20, 200 << 20, 2 << 30)


@pytest.fixture
def add(app, brand, users):
    def make(data: bytes, name: str, alt: str = "Described") -> int:
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

    return make


def schedule(channel, user, media_ids, now, **kw):
    return ops.create_post(
        db.session,
        channel,
        user,
        text=kw.pop("text", "Fresh bread today"),
        queue=True,
        media_ids=media_ids,
        now=now,
        **kw,
    ).post


def test_an_image_without_alt_text_cannot_be_scheduled(channel_of, add, users, now):
    channel = channel_of("mastodon")
    bare = add(image_bytes(), "bare.jpg", alt="")
    with pytest.raises(Refused, match=r"Describe “bare.jpg” \(alt text\) before scheduling"):
        schedule(channel, users["editor"], [bare], now)
    db.session.rollback()
    # A draft may wait for its description.
    post = ops.create_post(
        db.session, channel, users["editor"], text="later", draft=True, media_ids=[bare], now=now
    ).post
    db.session.commit()
    with pytest.raises(Refused, match="alt text"):
        ops.queue_post(db.session, post, users["editor"], now=now)
    db.session.rollback()
    media_ops.set_alt_text(
        db.session,
        media_ops.item_for(db.session, channel.brand, bare),
        users["editor"],
        "Loaves on a rack",
    )
    ops.queue_post(db.session, post, users["editor"], now=now)
    db.session.commit()
    assert post.status == PostStatus.SCHEDULED


def test_instagram_refuses_images_outside_4_5_to_1_91(channel_of, add, users, now):
    channel = channel_of("instagram")
    tall = add(image_bytes(300, 900), "tall.jpg")
    wide = add(image_bytes(1000, 400), "wide.jpg")
    square = add(image_bytes(500, 500), "square.jpg")
    with pytest.raises(Refused) as refused:
        schedule(channel, users["editor"], [tall, wide], now)
    assert any("“tall.jpg” is too tall for Instagram" in e for e in refused.value.errors)
    assert any("“wide.jpg” is too wide for Instagram" in e for e in refused.value.errors)
    db.session.rollback()
    post = schedule(channel, users["editor"], [square], now)
    assert post.status == PostStatus.SCHEDULED


def test_instagram_posts_need_media(channel_of, users, now):
    channel = channel_of("instagram")
    with pytest.raises(Refused, match="Instagram posts need an image"):
        schedule(channel, users["editor"], [], now)


def test_counts_and_video_limits_per_platform(channel_of, add, users, now):
    images = [add(image_bytes(100 + i, 80), f"i{i}.jpg") for i in range(5)]
    long_video = add(mp4_bytes(150_000), "long.mp4")
    short_video = add(mp4_bytes(10_000), "short.mp4")
    x = channel_of("x")
    with pytest.raises(Refused, match="X takes at most 4 images in a post; this one has 5"):
        schedule(x, users["editor"], images, now)
    db.session.rollback()
    with pytest.raises(Refused, match=r"“long.mp4” lasts 150 s; X takes video of 0.5 to 140 s"):
        schedule(x, users["editor"], [long_video], now)
    db.session.rollback()
    with pytest.raises(Refused, match="either images or a video"):
        schedule(x, users["editor"], [images[0], short_video], now)
    db.session.rollback()
    webhook = channel_of("webhook")
    with pytest.raises(Refused, match="PageOne sends no video to Webhook"):
        schedule(webhook, users["editor"], [short_video], now)
    db.session.rollback()
    wordpress = channel_of("wordpress")
    with pytest.raises(Refused, match="WordPress takes at most 1 images"):
        schedule(wordpress, users["editor"], images[:2], now)
    db.session.rollback()
    assert schedule(x, users["editor"], [short_video], now).status == PostStatus.SCHEDULED


def test_video_too_long_for_the_platform_is_refused_before_scheduling(channel_of, add, users, now):
    channels = {p: channel_of(p) for p in ("bluesky", "linkedin", "facebook", "wordpress")}
    four_minutes = add(mp4_bytes(240_000), "four-minutes.mp4")
    two_seconds = add(mp4_bytes(2_000), "two-seconds.mp4")
    half_hour = add(mp4_bytes(1_900_000), "half-hour.mp4")
    one_minute = add(mp4_bytes(60_000), "one-minute.mp4")
    image = add(image_bytes(), "still.jpg")
    with pytest.raises(
        Refused, match=r"“four-minutes.mp4” lasts 240 s; Bluesky takes video of 0 to 180 s"
    ):
        schedule(channels["bluesky"], users["editor"], [four_minutes], now)
    db.session.rollback()
    with pytest.raises(
        Refused, match=r"“two-seconds.mp4” lasts 2 s; LinkedIn takes video of 3 to 1,800 s"
    ):
        schedule(channels["linkedin"], users["editor"], [two_seconds], now)
    db.session.rollback()
    with pytest.raises(Refused, match=r"“half-hour.mp4” lasts 1,900 s; Facebook takes video of"):
        schedule(channels["facebook"], users["editor"], [half_hour], now)
    db.session.rollback()
    with pytest.raises(Refused, match="Bluesky takes either images or a video"):
        schedule(channels["bluesky"], users["editor"], [image, one_minute], now)
    db.session.rollback()
    # Within the limits each schedules the video; WordPress takes a featured image beside it.
    for platform in ("bluesky", "linkedin", "facebook"):
        post = schedule(channels[platform], users["editor"], [one_minute], now)
        assert post.status == PostStatus.SCHEDULED
    post = schedule(channels["wordpress"], users["editor"], [image, one_minute], now)
    assert post.status == PostStatus.SCHEDULED


def test_alt_text_longer_than_the_platform_allows(channel_of, add, users, now):
    item = add(image_bytes(), "long-alt.jpg", alt="x" * 1200)
    with pytest.raises(Refused, match="X allows 1000"):
        schedule(channel_of("x"), users["editor"], [item], now)
    db.session.rollback()
    assert schedule(channel_of("mastodon"), users["editor"], [item], now).id


def test_attaching_to_a_scheduled_post_keeps_the_rules(channel_of, add, users, now):
    channel = channel_of("bluesky")
    post = schedule(channel, users["editor"], [], now)
    db.session.commit()
    version = post.version
    images = [add(image_bytes(100 + i, 80), f"b{i}.png") for i in range(5)]
    with pytest.raises(Refused, match="Bluesky takes at most 4 images"):
        media_ops.attach(db.session, post, users["editor"], images)
    db.session.rollback()
    media_ops.attach(db.session, post, users["editor"], list(reversed(images[:3])))
    db.session.commit()
    attached = media_ops.media_of(db.session, [post.id])[post.id]
    assert [item.id for item in attached] == list(reversed(images[:3]))
    assert post.version == version + 1
    # Its images are now in a scheduled post: their alt text cannot be emptied.
    with pytest.raises(Refused, match="cannot be emptied"):
        media_ops.set_alt_text(db.session, attached[0], users["editor"], "  ")


def test_approval_checks_media_too(app, brand, channel_of, add, users, now):
    brand.requires_approval = True
    channel = channel_of("mastodon")
    bare = add(image_bytes(), "bare.jpg", alt="")
    post = ops.create_post(
        db.session, channel, users["editor"], text="hi", draft=True, media_ids=[bare], now=now
    ).post
    post.status = PostStatus.PENDING_APPROVAL.value
    post.scheduled_at = now + timedelta(days=1)
    db.session.commit()
    with pytest.raises(Refused, match="alt text"):
        approval.approve_post(db.session, post, users["approver"], now=now)
