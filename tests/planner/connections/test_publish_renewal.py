"""The publishing worker keeps an X connection alive: a token that ends soon is renewed before
the post goes out, and a token the platform refuses (401) is renewed once and the post sent
once more, never twice."""

from __future__ import annotations

from datetime import timedelta

from core.crypto import decrypt_json, encrypt_json
from core.db import db, utcnow
from planner.connections.models import ChannelConnection
from planner.models import Post, PostStatus
from planner.publishing.worker import run_worker
from tests.planner.connections.conftest import make_channel
from tests.planner.connections.fakes import json_response
from tests.planner.connections.test_x import connect_x


def _connected_x(app, brand, users, admin_client, fake_x, httpserver):
    channel = make_channel(brand, users, "x")
    connect_x(admin_client, fake_x, channel)
    db.session.refresh(channel)
    credentials = decrypt_json(channel.credentials_encrypted, app.config)
    # The adapter posts to the fake's address instead of api.x.com.
    credentials["base_url"] = httpserver.url_for("/").rstrip("/")
    channel.credentials_encrypted = encrypt_json(credentials, app.config)
    db.session.commit()
    return channel


def _tweets(fake_x, httpserver):
    sent: list[str] = []

    def tweet(request):
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        sent.append(token)
        if token not in fake_x.access_tokens:
            return json_response({"title": "Unauthorized", "status": 401}, 401)
        return json_response({"data": {"id": f"17{len(sent)}", "text": "ok"}}, 201)

    httpserver.expect_request("/2/tweets", method="POST").respond_with_handler(tweet)
    return sent


def _due_post(channel) -> Post:
    post = Post(
        channel_id=channel.id,
        text="Fresh bread at eight",
        status=PostStatus.SCHEDULED.value,
        scheduled_at=utcnow() - timedelta(seconds=5),
    )
    db.session.add(post)
    db.session.commit()
    return post


def _refresh_grants(fake_x) -> int:
    return sum(1 for r in fake_x.token_requests if r.get("grant_type") == "refresh_token")


def test_a_token_ending_soon_is_renewed_before_the_post_goes_out(
    app, brand, users, admin_client, fake_x, httpserver
):
    channel = _connected_x(app, brand, users, admin_client, fake_x, httpserver)
    connection = db.session.get(ChannelConnection, channel.id)
    connection.access_expires_at = utcnow() + timedelta(seconds=60)
    db.session.commit()
    old = decrypt_json(channel.credentials_encrypted, app.config)["access_token"]
    sent = _tweets(fake_x, httpserver)
    post = _due_post(channel)

    run_worker(app, "w1", once=True)

    db.session.expire_all()
    assert db.session.get(Post, post.id).status == PostStatus.PUBLISHED.value
    assert _refresh_grants(fake_x) == 1
    new = decrypt_json(db.session.get(type(channel), channel.id).credentials_encrypted, app.config)
    assert sent == [new["access_token"]] and new["access_token"] != old
    assert db.session.get(ChannelConnection, channel.id).access_expires_at > utcnow() + timedelta(
        hours=1
    )


def test_a_refused_token_is_renewed_once_and_the_post_sent_once_more(
    app, brand, users, admin_client, fake_x, httpserver
):
    channel = _connected_x(app, brand, users, admin_client, fake_x, httpserver)
    old = decrypt_json(channel.credentials_encrypted, app.config)["access_token"]
    fake_x.access_tokens.discard(old)  # the platform revoked it before its time
    sent = _tweets(fake_x, httpserver)
    post = _due_post(channel)

    run_worker(app, "w1", once=True)

    db.session.expire_all()
    stored = db.session.get(Post, post.id)
    assert stored.status == PostStatus.PUBLISHED.value
    assert stored.platform_post_id == "172"
    assert _refresh_grants(fake_x) == 1
    assert len(sent) == 2 and sent[0] == old and sent[1] in fake_x.access_tokens
    assert db.session.get(type(channel), channel.id).needs_reauth is False


def test_a_refused_token_that_cannot_be_renewed_needs_reconnect_without_a_second_send(
    app, brand, users, admin_client, fake_x, httpserver
):
    channel = _connected_x(app, brand, users, admin_client, fake_x, httpserver)
    old = decrypt_json(channel.credentials_encrypted, app.config)["access_token"]
    fake_x.access_tokens.discard(old)
    fake_x.fail_refresh = "refused"
    sent = _tweets(fake_x, httpserver)
    post = _due_post(channel)

    run_worker(app, "w1", once=True)

    db.session.expire_all()
    assert db.session.get(Post, post.id).status == PostStatus.FAILED.value
    assert sent == [old]
    assert db.session.get(type(channel), channel.id).needs_reauth is True
