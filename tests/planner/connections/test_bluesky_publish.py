"""A connected Bluesky channel publishes with the session its connection keeps: no worker logs in
again (createSession is rate-limited), and a session the connection renewed is the one used."""

from __future__ import annotations

from datetime import timedelta

from core.crypto import decrypt_json
from core.db import db, utcnow
from planner.connections.lifecycle import Refresh, refresh_if_needed
from planner.models import Post, PostStatus
from planner.publishing.adapters.bluesky import forget_sessions
from planner.publishing.worker import run_worker
from tests.planner.connections.conftest import make_channel
from tests.planner.connections.fakes import json_response
from tests.planner.connections.test_bluesky import connect


def _records(httpserver):
    """createRecord on the fake PDS: the bearer token of each call, answered like a PDS."""
    tokens: list[str] = []

    def create_record(request):
        tokens.append(request.headers.get("Authorization", "").removeprefix("Bearer "))
        body = request.get_json()
        assert body["repo"] == "did:plc:acme"
        assert body["collection"] == "app.bsky.feed.post"
        return json_response(
            {"uri": f"at://did:plc:acme/app.bsky.feed.post/{body['rkey']}", "cid": "bafy"}
        )

    httpserver.expect_request(
        "/xrpc/com.atproto.repo.createRecord", method="POST"
    ).respond_with_handler(create_record)
    return tokens


def _due_post(channel, text: str) -> Post:
    post = Post(
        channel_id=channel.id,
        text=text,
        status=PostStatus.SCHEDULED.value,
        scheduled_at=utcnow() - timedelta(seconds=5),
    )
    db.session.add(post)
    db.session.commit()
    return post


def _credentials(app, channel) -> dict:
    db.session.refresh(channel)
    return decrypt_json(channel.credentials_encrypted, app.config)


def test_a_connected_channel_publishes_with_the_kept_session_and_logs_in_once(
    app, brand, users, admin_client, fake_bluesky, httpserver
):
    forget_sessions()
    channel = make_channel(brand, users, "bluesky")
    connect(admin_client, fake_bluesky, channel)
    kept = _credentials(app, channel)
    assert kept["did"] == "did:plc:acme"
    sent = _records(httpserver)
    post = _due_post(channel, "Fresh bread at eight")

    run_worker(app, "w1", once=True)

    db.session.expire_all()
    assert db.session.get(Post, post.id).status == PostStatus.PUBLISHED.value
    assert sent == [kept["access_token"]]
    # The one createSession is the connect's own.
    assert [call[0] for call in fake_bluesky.calls] == ["create"]


def test_a_session_renewed_by_the_connection_is_the_one_the_next_post_uses(
    app, brand, users, admin_client, fake_bluesky, httpserver
):
    forget_sessions()
    channel = make_channel(brand, users, "bluesky")
    connect(admin_client, fake_bluesky, channel)
    sent = _records(httpserver)
    first = _due_post(channel, "Morning rolls")
    run_worker(app, "w1", once=True)
    assert refresh_if_needed(db.session, channel, utcnow() + timedelta(hours=2)) is (
        Refresh.REFRESHED
    )
    db.session.commit()
    renewed = _credentials(app, channel)
    second = _due_post(channel, "Evening loaves")

    run_worker(app, "w1", once=True)

    db.session.expire_all()
    assert db.session.get(Post, first.id).status == PostStatus.PUBLISHED.value
    assert db.session.get(Post, second.id).status == PostStatus.PUBLISHED.value
    assert sent[-1] == renewed["access_token"] and sent[0] != sent[-1]
    assert [call[0] for call in fake_bluesky.calls] == ["create", "refresh"]
