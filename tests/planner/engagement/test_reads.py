"""The worker reads each published post's metrics at 1 h, 24 h and 7 d, each exactly once (also
with two workers on PostgreSQL); failures back off; a refused token is renewed once; a channel
that must be reconnected has its reads skipped with the reason."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import select

from core.crypto import decrypt_json, encrypt_json
from core.db import db, utcnow
from planner import channels
from planner.engagement.jobs import MAX_ATTEMPTS, run_reads
from planner.engagement.models import MetricRead, ReadStatus
from planner.models import Post, PostStatus
from tests.planner.connections.conftest import make_channel
from tests.planner.connections.fakes import json_response
from tests.planner.connections.test_x import connect_x

STATUS = {"id": "777", "favourites_count": 5, "replies_count": 1, "reblogs_count": 2}


def mastodon_channel(app, brand, users, server):
    channel = channels.create_channel(db.session, brand, users["admin"], platform="mastodon")
    channel.credentials_encrypted = encrypt_json(
        {"base_url": server.url_for("").rstrip("/"), "access_token": "masto-token-1234"},
        app.config,
    )
    db.session.commit()
    return channel


def published_post(channel, at, platform_id="777") -> Post:
    post = Post(
        channel_id=channel.id,
        text="Fresh bread",
        status=PostStatus.PUBLISHED.value,
        scheduled_at=at,
        published_at=at,
        platform_post_id=platform_id,
    )
    db.session.add(post)
    db.session.commit()
    return post


def reads_of(post) -> dict[str, MetricRead]:
    db.session.expire_all()
    return {
        r.kind: r
        for r in db.session.scalars(select(MetricRead).where(MetricRead.post_id == post.id))
    }


def counting(server, path, answer=STATUS, status=200):
    hits: list[str] = []

    def handler(request):
        hits.append(request.headers.get("Authorization", ""))
        return json_response(answer, status)

    server.expect_request(path, method="GET").respond_with_handler(handler)
    return hits


def test_each_read_happens_once_at_its_time(app, brand, users, httpserver):
    channel = mastodon_channel(app, brand, users, httpserver)
    published = utcnow() - timedelta(days=1)
    post = published_post(channel, published)
    hits = counting(httpserver, "/api/v1/statuses/777")

    run_reads(app, "w1", now=published + timedelta(minutes=30))
    assert hits == [] and set(reads_of(post)) == {"1h", "24h", "7d"}
    assert reads_of(post)["24h"].due_at == published + timedelta(hours=24)

    run_reads(app, "w1", now=published + timedelta(minutes=61))
    run_reads(app, "w1", now=published + timedelta(minutes=62))
    assert len(hits) == 1
    hour = reads_of(post)["1h"]
    assert hour.status == ReadStatus.DONE.value
    assert (hour.likes, hour.comments, hour.shares, hour.impressions) == (5, 1, 2, None)
    assert reads_of(post)["24h"].status == ReadStatus.DUE.value

    run_reads(app, "w1", now=published + timedelta(hours=25))
    run_reads(app, "w1", now=published + timedelta(days=7, minutes=1))
    run_reads(app, "w1", now=published + timedelta(days=7, minutes=2))
    assert len(hits) == 3
    assert {r.status for r in reads_of(post).values()} == {ReadStatus.DONE.value}
    assert hits[0] == "Bearer masto-token-1234"


def test_a_failed_read_backs_off_and_is_skipped_after_the_last_try(app, brand, users, httpserver):
    channel = mastodon_channel(app, brand, users, httpserver)
    published = utcnow() - timedelta(days=1)
    post = published_post(channel, published)
    hits = counting(httpserver, "/api/v1/statuses/777", {"error": "busy"}, 503)
    now = published + timedelta(hours=1, minutes=1)

    run_reads(app, "w1", now=now)
    hour = reads_of(post)["1h"]
    assert hour.status == ReadStatus.DUE.value and hour.attempts == 1
    assert hour.next_attempt_at >= utcnow() + timedelta(minutes=4)
    assert "503" in hour.reason

    run_reads(app, "w1", now=now + timedelta(minutes=1))
    assert len(hits) == 1  # still waiting for its next try
    for _ in range(MAX_ATTEMPTS):
        row = reads_of(post)["1h"]
        row.next_attempt_at = None
        db.session.commit()
        run_reads(app, "w1", now=now)
    assert reads_of(post)["1h"].status == ReadStatus.SKIPPED.value
    assert len(hits) == MAX_ATTEMPTS


def test_a_channel_that_needs_reconnecting_has_its_read_skipped(app, brand, users, httpserver):
    channel = mastodon_channel(app, brand, users, httpserver)
    channel.needs_reauth = True
    published = utcnow() - timedelta(days=1)
    post = published_post(channel, published)

    run_reads(app, "w1", now=published + timedelta(hours=1, minutes=5))
    hour = reads_of(post)["1h"]
    assert hour.status == ReadStatus.SKIPPED.value
    assert hour.reason == "the channel must be connected again"


def test_a_webhook_post_is_skipped_as_reporting_nothing(app, brand, users):
    channel = channels.create_channel(db.session, brand, users["admin"], platform="webhook")
    channel.credentials_encrypted = encrypt_json(
        {"url": "https://example.com/hook", "secret": "whsec_AAAA"}, app.config
    )
    db.session.commit()
    published = utcnow() - timedelta(days=1)
    post = published_post(channel, published, platform_id=None)
    run_reads(app, "w1", now=published + timedelta(hours=1, minutes=5))
    assert "reports no engagement" in reads_of(post)["1h"].reason


def test_a_refused_token_is_renewed_once_and_the_read_tried_again(
    app, brand, users, admin_client, fake_x, httpserver
):
    channel = make_channel(brand, users, "x")
    connect_x(admin_client, fake_x, channel)
    db.session.refresh(channel)
    credentials = decrypt_json(channel.credentials_encrypted, app.config)
    credentials["base_url"] = httpserver.url_for("/").rstrip("/")
    channel.credentials_encrypted = encrypt_json(credentials, app.config)
    db.session.commit()
    old = credentials["access_token"]
    fake_x.access_tokens.discard(old)  # the platform no longer accepts the stored token
    seen: list[str] = []

    def tweet(request):
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        seen.append(token)
        if token not in fake_x.access_tokens:
            return json_response({"title": "Unauthorized", "status": 401}, 401)
        return json_response(
            {"data": {"id": "1", "text": "ok", "public_metrics": {"like_count": 4}}}
        )

    httpserver.expect_request("/2/tweets/1", method="GET").respond_with_handler(tweet)
    published = utcnow() - timedelta(days=1)
    post = published_post(channel, published, platform_id="1")

    run_reads(app, "w1", now=published + timedelta(hours=1, minutes=1))

    grants = [r for r in fake_x.token_requests if r.get("grant_type") == "refresh_token"]
    assert len(grants) == 1
    assert len(seen) == 2 and seen[0] == old and seen[1] != old
    assert reads_of(post)["1h"].status == ReadStatus.DONE.value
    assert reads_of(post)["1h"].likes == 4


def test_two_workers_on_postgres_read_each_one_exactly_once(pg_app, httpserver):
    from core.models import Role
    from planner.brands import create_brand
    from tests.conftest import create_user

    admin = create_user("admin@example.com", Role.ADMIN)
    brand = create_brand(db.session, name="Acme", timezone="Europe/Berlin", creator=admin)
    db.session.commit()
    channel = mastodon_channel(pg_app, brand, {"admin": admin}, httpserver)
    published = utcnow() - timedelta(days=1)
    posts = [published_post(channel, published, platform_id=str(700 + i)) for i in range(30)]
    lock = threading.Lock()
    hits: list[str] = []

    def handler(request):
        with lock:
            hits.append(request.path)
        return json_response(STATUS)

    for post in posts:
        httpserver.expect_request(
            f"/api/v1/statuses/{post.platform_post_id}", method="GET"
        ).respond_with_handler(handler)
    now = published + timedelta(hours=1, minutes=1)
    # Scheduled first, so both workers find the same due reads.
    run_reads(pg_app, "setup", now=published)
    start = threading.Barrier(2)

    def worker(name):
        start.wait()
        for _ in range(3):
            run_reads(pg_app, name, now=now)

    threads = [threading.Thread(target=worker, args=(n,)) for n in ("w1", "w2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(hits) == sorted(f"/api/v1/statuses/{p.platform_post_id}" for p in posts)
    db.session.expire_all()
    done = db.session.scalars(
        select(MetricRead).where(MetricRead.kind == "1h", MetricRead.status == "done")
    ).all()
    assert len(done) == 30
