"""The planner's public face for drafts: a plan's draft goes to the channel's next free slot, and
other features read back which posts went out and where."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.db import db
from planner import channels, drafts
from planner import operations as ops
from planner.models import Post, PostSource, PostStatus

NOW = datetime(2031, 3, 3, 7, 0, tzinfo=UTC)  # a Monday


def test_a_draft_takes_the_next_free_slot_after_the_posts_already_placed(app, brand, users):
    channel = channels.create_channel(
        db.session, brand, users["admin"], platform="linkedin", min_gap_minutes=60
    )
    placed = ops.create_post(
        db.session, channel, users["admin"], text="Already planned", queue=True, now=NOW
    ).post
    draft = drafts.draft_in_next_free_slot(
        db.session, channel.id, users["editor"], text="Plan draft", after=NOW, now=NOW
    )
    db.session.commit()
    post = db.session.get(Post, draft.post_id)
    assert (post.status, post.source, post.channel_id) == (
        PostStatus.DRAFT.value, PostSource.PLAN.value, channel.id,
    )  # fmt: skip
    assert draft.scheduled_at == post.scheduled_at
    assert draft.scheduled_at == ops.next_free_slot(db.session, channel, NOW)
    assert draft.scheduled_at >= placed.scheduled_at + timedelta(minutes=60)
    assert drafts.channels_of(db.session, brand.id) == [
        drafts.BrandChannel(channel.id, "linkedin", 60)
    ]


def test_published_posts_are_read_back_with_their_addresses(app, brand, users):
    channel = channels.create_channel(db.session, brand, users["admin"], platform="facebook")
    posts = [
        ops.create_post(
            db.session, channel, users["admin"], text=f"Post {n}", draft=True, now=NOW
        ).post
        for n in range(3)
    ]
    posts[0].status, posts[0].public_url = PostStatus.PUBLISHED.value, "https://fb.example/1"
    posts[1].status = PostStatus.PUBLISHED.value  # published, its address not known
    db.session.commit()
    ids = [p.id for p in posts]
    assert drafts.published_urls(db.session, ids) == {ids[0]: "https://fb.example/1", ids[1]: None}
    assert drafts.published_post_urls(db.session, brand.id) == ["https://fb.example/1"]
    assert drafts.is_public_url("https://fb.example/1") and not drafts.is_public_url("fb.example")
