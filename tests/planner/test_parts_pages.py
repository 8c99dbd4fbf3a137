"""Threads and first comments on the pages: the composer keeps each version's parts, the post
page says which part failed and a retry resumes from it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.db import db
from planner import channels
from planner.models import PartState, Post, PostPart, PostStatus
from planner.parts import Parts, set_parts
from tests.conftest import login


@pytest.fixture
def pair(brand, users):
    made = {
        platform: channels.create_channel(
            db.session, brand, users["admin"], platform=platform, name=f"Acme {platform}"
        )
        for platform in ("bluesky", "linkedin")
    }
    db.session.commit()
    return made


def test_the_composer_gives_each_version_its_thread_or_first_comment(client, brand, users, pair):
    login(client, users["editor"].email)
    html = client.get(f"/brands/{brand.id}/compose").get_data(as_text=True)
    assert f'data-add-part="{pair["bluesky"].id}"' in html
    assert f'name="comment_{pair["linkedin"].id}"' in html
    assert f'data-add-part="{pair["linkedin"].id}"' not in html

    response = client.post(
        f"/brands/{brand.id}/compose",
        data={
            "channel": [str(pair["bluesky"].id), str(pair["linkedin"].id)],
            "text": "Tasting on Saturday",
            "when": "queue",
            f"thread_{pair['bluesky'].id}": ["From ten", "", "Free cups"],
            f"comment_{pair['linkedin'].id}": "Sign up at acme.example",
            # A thread typed for LinkedIn (not offered there) is not kept.
            f"thread_{pair['linkedin'].id}": ["ignored"],
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    parts = {
        channel: [(kind, text) for _, kind, text in rows]
        for channel, rows in _parts_by_channel().items()
    }
    assert parts == {
        "bluesky": [("reply", "From ten"), ("reply", "Free cups")],
        "linkedin": [("comment", "Sign up at acme.example")],
    }


def _parts_by_channel() -> dict[str, list[tuple[int, str, str]]]:
    found: dict[str, list[tuple[int, str, str]]] = {}
    for post in db.session.scalars(select(Post).order_by(Post.id)):
        found[post.channel.platform] = [(p.position, p.kind, p.text) for p in post.parts]
    return found


def test_a_part_over_the_limit_refuses_the_campaign_and_keeps_what_was_typed(
    client, brand, users, pair
):
    login(client, users["editor"].email)
    response = client.post(
        f"/brands/{brand.id}/compose",
        data={
            "channel": [str(pair["bluesky"].id)],
            "text": "Tasting on Saturday",
            "when": "queue",
            f"thread_{pair['bluesky'].id}": ["From ten", "z" * 301],
        },
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Acme bluesky: Part 3:" in html and "300" in html
    assert "z" * 301 in html and "From ten" in html
    assert db.session.scalar(select(Post.id)) is None


def published_thread(channel, failed_at: int | None) -> Post:
    post = Post(
        channel=channel,
        text="Tasting on Saturday",
        status=PostStatus.DRAFT.value,
        platform_post_id="at://did:plc:a/app.bsky.feed.post/1|cid",
    )
    db.session.add(post)
    db.session.flush()
    set_parts(db.session, post, Parts(("From ten", "Free cups", "See you")))
    post.status = PostStatus.PUBLISHED.value
    for part in post.parts:
        if failed_at is None or part.position < failed_at:
            part.state = PartState.PUBLISHED.value
        elif part.position == failed_at:
            part.state = PartState.FAILED.value
            part.error = "bluesky answered 400: InvalidRequest"
    db.session.commit()
    return post


def test_the_post_page_says_which_part_failed_and_resumes_from_it(app, client, users, pair):
    post = published_thread(pair["bluesky"], failed_at=2)
    viewer = app.test_client()
    login(viewer, users["viewer"].email)
    html = viewer.get(f"/posts/{post.id}").get_data(as_text=True)
    assert "Thread of 4 posts" in html
    assert "Part 3 of 4 failed: bluesky answered 400: InvalidRequest" in html
    assert 'id="retry-parts"' not in html  # a viewer sees it, but cannot retry
    assert viewer.post(f"/posts/{post.id}/parts/retry").status_code == 403

    login(client, users["editor"].email)
    assert 'id="retry-parts"' in client.get(f"/posts/{post.id}").get_data(as_text=True)
    response = client.post(f"/posts/{post.id}/parts/retry")
    assert response.status_code == 302
    states = db.session.scalars(
        select(PostPart.state).where(PostPart.post_id == post.id).order_by(PostPart.position)
    ).all()
    assert states == ["published", "pending", "pending"]
    html = client.get(f"/posts/{post.id}").get_data(as_text=True)
    assert "failed:" not in html


def test_a_first_comment_that_failed_is_named_as_such(client, users, pair):
    post = Post(
        channel=pair["linkedin"],
        text="Tasting on Saturday",
        status=PostStatus.DRAFT.value,
    )
    db.session.add(post)
    db.session.flush()
    set_parts(db.session, post, Parts(first_comment="Sign up"))
    post.status = PostStatus.PUBLISHED.value
    post.parts[0].state = PartState.FAILED.value
    post.parts[0].error = "linkedin answered 403: Not enough permissions"
    db.session.commit()
    login(client, users["editor"].email)
    html = client.get(f"/posts/{post.id}").get_data(as_text=True)
    assert "The first comment failed: linkedin answered 403: Not enough permissions" in html
    assert "Send the comment again" in html
