"""The publishing worker against a fake Mastodon on loopback: claims, outcomes, sweeps, leases."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug import Request, Response

from core.crypto import encrypt_json
from core.db import db
from core.models import AuditEntry
from core.tenants import Brand
from planner.models import Channel, Post, PostStatus
from planner.publishing.adapters import PLATFORMS, get_adapter
from planner.publishing.queue import (
    LEASE_EXPIRED_REASON,
    NEVER_SENT_REASON,
    claim_due_posts,
    recover_expired_leases,
)
from planner.publishing.worker import publish_one, run_worker


class FakeMastodon:
    """Counts statuses by Idempotency-Key and answers as the test tells it to."""

    def __init__(self, httpserver) -> None:
        self.server = httpserver
        self.posted: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.answer = lambda key: Response(
            json.dumps({"id": key, "url": f"https://social.example/@acme/{key}"}),
            status=200,
            content_type="application/json",
        )
        httpserver.expect_request("/api/v2/instance", method="GET").respond_with_json(
            {"configuration": {"statuses": {"max_characters": 500}}}
        )
        httpserver.expect_request("/api/v1/statuses", method="POST").respond_with_handler(
            self.handle
        )

    def handle(self, request: Request) -> Response:
        key = request.headers["Idempotency-Key"]
        with self.lock:
            self.posted[key] += 1
        return self.answer(key)

    @property
    def base_url(self) -> str:
        return self.server.url_for("").rstrip("/")


@pytest.fixture
def mastodon(make_httpserver):
    """The session's loopback server, cleared after the test; unexpected requests fail it."""
    server = FakeMastodon(make_httpserver)
    try:
        yield server
        make_httpserver.check_assertions()
    finally:
        make_httpserver.clear()


def make_brand(session: Session, slug: str = "acme", **fields) -> Brand:
    brand = Brand(slug=slug, name=slug.title(), **fields)
    session.add(brand)
    session.flush()
    return brand


def make_channel(session: Session, brand: Brand, platform: str, credentials: dict | None, config):
    channel = Channel(
        brand=brand,
        platform=platform,
        name=platform,
        credentials_encrypted=encrypt_json(credentials, config) if credentials else None,
    )
    session.add(channel)
    session.flush()
    return channel


def make_posts(
    session: Session,
    channel: Channel,
    scheduled_at: datetime,
    count: int = 1,
    status: str = PostStatus.SCHEDULED.value,
    **fields,
) -> list[Post]:
    posts = [
        Post(
            channel=channel,
            text=f"Fresh bread #{n}",
            scheduled_at=scheduled_at,
            status=status,
            **fields,
        )
        for n in range(count)
    ]
    session.add_all(posts)
    session.commit()
    return posts


@pytest.fixture
def acme(app):
    brand = make_brand(db.session)
    db.session.commit()
    return brand


@pytest.fixture
def masto_channel(app, acme, mastodon):
    channel = make_channel(
        db.session,
        acme,
        "mastodon",
        {"base_url": mastodon.base_url, "access_token": "tok"},
        app.config,
    )
    db.session.commit()
    return channel


def reload(post: Post) -> Post:
    db.session.expire_all()
    return db.session.get(Post, post.id)


def audit_actions(post_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.object_type == "post", AuditEntry.object_id == post_id)
            .order_by(AuditEntry.id)
        )
    )


def now() -> datetime:
    return datetime.now(UTC)


def test_due_post_is_published_once_and_its_public_url_stored(app, masto_channel, mastodon):
    (post,) = make_posts(db.session, masto_channel, now() - timedelta(minutes=1))
    (later,) = make_posts(db.session, masto_channel, now() + timedelta(hours=1))

    run_worker(app, "w1", once=True)
    run_worker(app, "w2", once=True)

    post = reload(post)
    assert post.status == PostStatus.PUBLISHED
    assert post.public_url == f"https://social.example/@acme/pageone-{post.id}-v1"
    assert post.platform_post_id == f"pageone-{post.id}-v1"
    assert post.published_at is not None and post.claimed_by is None
    assert mastodon.posted == Counter({f"pageone-{post.id}-v1": 1})
    assert reload(later).status == PostStatus.SCHEDULED
    assert audit_actions(post.id) == ["post.claimed", "post.publish_attempt", "post.published"]
    attempt = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "post.publish_attempt")
    ).one()
    assert attempt.actor == "worker:w1"
    assert attempt.detail["status_code"] == 200
    assert "tok" not in json.dumps(attempt.detail)


def test_a_tick_whose_upkeep_ran_long_still_claims_what_is_due(
    app, masto_channel, mastodon, monkeypatch
):
    # On a busy machine the tick's upkeep (leases, sweeps) can take the whole tick: the posts
    # that are due are still claimed in that tick, not left for a quieter one.
    from planner.publishing import worker

    upkeep = worker.sweep_missed_and_held

    def slow_upkeep(*args, **kwargs):
        time.sleep(worker.TICK_SECONDS)
        return upkeep(*args, **kwargs)

    monkeypatch.setattr(worker, "sweep_missed_and_held", slow_upkeep)
    (post,) = make_posts(db.session, masto_channel, now() - timedelta(minutes=1))

    run_worker(app, "w1", once=True)

    assert reload(post).status == PostStatus.PUBLISHED
    assert mastodon.posted == Counter({f"pageone-{post.id}-v1": 1})


def test_refused_post_fails_with_the_platform_reason(app, masto_channel, mastodon):
    mastodon.answer = lambda key: Response(
        json.dumps({"error": "Validation failed: Text character limit exceeded"}),
        status=422,
        content_type="application/json",
    )
    (post,) = make_posts(db.session, masto_channel, now())

    run_worker(app, "w1", once=True)

    post = reload(post)
    assert post.status == PostStatus.FAILED
    assert "Text character limit exceeded" in post.last_error
    assert audit_actions(post.id)[-1] == "post.failed"


def test_rate_limited_post_is_rescheduled_after_retry_after(app, masto_channel, mastodon):
    mastodon.answer = lambda key: Response("slow down", status=429, headers={"Retry-After": "120"})
    (post,) = make_posts(db.session, masto_channel, now())
    before = now()

    run_worker(app, "w1", once=True)
    run_worker(app, "w1", once=True)  # not due again yet

    post = reload(post)
    assert post.status == PostStatus.SCHEDULED
    assert post.attempts == 1 and post.claimed_by is None
    assert before + timedelta(seconds=119) <= post.next_attempt_at <= now() + timedelta(seconds=121)
    assert sum(mastodon.posted.values()) == 1


def test_post_that_keeps_being_rate_limited_fails_once_its_hour_of_retries_is_up(
    app, masto_channel, mastodon
):
    mastodon.answer = lambda key: Response("slow down", status=429)
    # Due 61 minutes ago and tried since; the last back-off ended just now.
    (post,) = make_posts(
        db.session,
        masto_channel,
        now() - timedelta(minutes=61),
        attempts=11,
        next_attempt_at=now() - timedelta(seconds=1),
    )

    run_worker(app, "w1", once=True)

    post = reload(post)
    assert post.status == PostStatus.FAILED
    assert post.attempts == 12
    assert "gave up after 12 attempts in an hour" in post.last_error
    assert sum(mastodon.posted.values()) == 1


def test_retry_back_off_grows_and_the_last_try_falls_on_the_end_of_the_hour(
    app, masto_channel, mastodon
):
    mastodon.answer = lambda key: Response("busy", status=503)
    due = now() - timedelta(minutes=50)
    (early,) = make_posts(db.session, masto_channel, due, attempts=3, next_attempt_at=now())
    (late,) = make_posts(db.session, masto_channel, due, attempts=11, next_attempt_at=now())
    before = now()

    run_worker(app, "w1", once=True)

    early, late = reload(early), reload(late)
    assert early.status == late.status == PostStatus.SCHEDULED
    # 2^3 s after the fourth attempt; the twelfth would wait 2^11 s, past the hour: it is cut.
    assert before + timedelta(seconds=8) <= early.next_attempt_at <= now() + timedelta(seconds=8)
    assert late.next_attempt_at == due + timedelta(hours=1)


def test_revoked_token_fails_the_post_and_asks_for_reauthorisation(app, masto_channel, mastodon):
    mastodon.answer = lambda key: Response('{"error": "The access token is invalid"}', status=401)
    (post,) = make_posts(db.session, masto_channel, now())

    run_worker(app, "w1", once=True)

    assert reload(post).status == PostStatus.FAILED
    assert db.session.get(Channel, masto_channel.id).needs_reauth is True


def test_channel_without_credentials_fails_with_a_clear_reason(app, acme):
    channel = make_channel(db.session, acme, "mastodon", None, app.config)
    (post,) = make_posts(db.session, channel, now())

    run_worker(app, "w1", once=True)

    post = reload(post)
    assert post.status == PostStatus.FAILED
    assert "no credentials" in post.last_error


def test_post_later_than_the_grace_period_is_missed_not_sent(app, acme, masto_channel, mastodon):
    acme.grace_minutes = 30
    (late,) = make_posts(db.session, masto_channel, now() - timedelta(minutes=31))
    (in_grace,) = make_posts(db.session, masto_channel, now() - timedelta(minutes=29))

    run_worker(app, "w1", once=True)

    assert reload(late).status == PostStatus.MISSED
    assert "30 minutes" in reload(late).last_error
    assert reload(in_grace).status == PostStatus.PUBLISHED
    assert list(mastodon.posted) == [f"pageone-{in_grace.id}-v1"]
    assert audit_actions(late.id) == ["post.missed"]


def test_due_post_of_a_paused_brand_is_held(app, acme, masto_channel, mastodon):
    acme.paused_at = now()
    (due,) = make_posts(db.session, masto_channel, now() - timedelta(minutes=1))
    (future,) = make_posts(db.session, masto_channel, now() + timedelta(hours=1))

    run_worker(app, "w1", once=True)

    assert reload(due).status == PostStatus.HELD
    assert reload(future).status == PostStatus.SCHEDULED
    assert not mastodon.posted


def test_result_is_not_recorded_once_the_post_is_no_longer_claimed(app, masto_channel, mastodon):
    (post,) = make_posts(db.session, masto_channel, now())
    assert claim_due_posts(db.session, "w1", now(), 10, timedelta(minutes=5)) == [post.id]
    db.session.commit()

    assert publish_one(app, post.id, "w2") is None  # not w2's claim: nothing is sent

    assert not mastodon.posted
    assert reload(post).status == PostStatus.PUBLISHING


def test_claim_that_ran_out_before_the_send_began_goes_back_to_the_queue_at_once(
    app, masto_channel, mastodon
):
    (post,) = make_posts(db.session, masto_channel, now())
    assert claim_due_posts(db.session, "w1", now(), 10, timedelta(seconds=-1)) == [post.id]
    db.session.commit()

    assert publish_one(app, post.id, "w1") is None  # nothing is sent on a claim that ran out

    assert not mastodon.posted
    # It went back to the queue at once, not after waiting for the recovery.
    post = reload(post)
    assert post.status == PostStatus.SCHEDULED and post.claimed_by is None
    assert audit_actions(post.id)[-1] == "post.released"
    assert recover_expired_leases(db.session, now()) == 0


def claim_in_threads(app, workers: int, limit: int) -> list[list[int]]:
    """Several workers claiming at once, each with its own session, until nothing is left."""
    results: list[list[int]] = [[] for _ in range(workers)]
    start = threading.Barrier(workers)

    def claimer(index: int) -> None:
        with app.app_context():
            start.wait()
            while True:
                with db.job_session() as session:
                    got = claim_due_posts(session, f"w{index}", now(), limit)
                if not got:
                    return
                results[index].extend(got)

    threads = [threading.Thread(target=claimer, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def assert_disjoint_and_complete(results: list[list[int]], posts: list[Post]) -> None:
    claimed = [post_id for result in results for post_id in result]
    assert len(claimed) == len(set(claimed)), "a post was claimed twice"
    assert set(claimed) == {post.id for post in posts}


def test_two_claimers_never_share_a_post_on_sqlite(app, acme):
    channel = make_channel(db.session, acme, "x", {"k": "v"}, app.config)
    posts = make_posts(db.session, channel, now() - timedelta(minutes=1), count=60)

    assert_disjoint_and_complete(claim_in_threads(app, 2, limit=7), posts)


def test_two_claimers_never_share_a_post_on_postgresql(pg_app):
    brand = make_brand(db.session)
    channel = make_channel(db.session, brand, "x", {"k": "v"}, pg_app.config)
    posts = make_posts(db.session, channel, now() - timedelta(minutes=1), count=200)

    results = claim_in_threads(pg_app, 2, limit=10)

    assert_disjoint_and_complete(results, posts)
    assert all(results), "SKIP LOCKED let both workers take part"
    db.session.expire_all()
    owners = dict(db.session.execute(select(Post.id, Post.claimed_by)).all())
    for index, result in enumerate(results):
        assert {owners[post_id] for post_id in result} <= {f"w{index}"}


@pytest.mark.parametrize(
    ("platform", "status"),
    [
        ("webhook", PostStatus.SCHEDULED),
        ("x", PostStatus.UNCONFIRMED),
        ("mastodon", PostStatus.SCHEDULED),
    ],
)
def test_post_whose_worker_died_is_retried_only_where_the_platform_deduplicates(
    app, acme, platform, status
):
    channel = make_channel(db.session, acme, platform, {"k": "v"}, app.config)
    (dead,) = make_posts(
        db.session,
        channel,
        now() - timedelta(minutes=10),
        status=PostStatus.PUBLISHING.value,
        claimed_by="gone",
        lease_until=now() - timedelta(seconds=1),
        send_started_at=now() - timedelta(minutes=6),
    )
    (alive,) = make_posts(
        db.session,
        channel,
        now() - timedelta(minutes=10),
        status=PostStatus.PUBLISHING.value,
        claimed_by="busy",
        lease_until=now() + timedelta(minutes=1),
    )

    assert recover_expired_leases(db.session, now()) == 1
    db.session.commit()

    dead = reload(dead)
    assert dead.status == status and dead.claimed_by is None
    if status == PostStatus.UNCONFIRMED:
        assert dead.last_error == LEASE_EXPIRED_REASON
    assert reload(alive).status == PostStatus.PUBLISHING
    assert audit_actions(dead.id) == ["post.lease_expired"]


@pytest.mark.parametrize("platform", ["webhook", "x", "mastodon"])
def test_post_whose_worker_died_before_sending_goes_back_to_the_queue_on_any_platform(
    app, acme, platform
):
    channel = make_channel(db.session, acme, platform, {"k": "v"}, app.config)
    (never_sent,) = make_posts(
        db.session,
        channel,
        now() - timedelta(minutes=10),
        status=PostStatus.PUBLISHING.value,
        claimed_by="gone",
        lease_until=now() - timedelta(seconds=1),
    )

    assert recover_expired_leases(db.session, now()) == 1
    db.session.commit()

    never_sent = reload(never_sent)
    assert never_sent.status == PostStatus.SCHEDULED and never_sent.claimed_by is None
    assert never_sent.next_attempt_at is None
    assert never_sent.last_error == NEVER_SENT_REASON


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_recovery_resends_exactly_where_the_adapter_says_it_deduplicates(app, acme, platform):
    # One source of truth: what the worker does with a dead worker's post is what the adapter
    # does with a lost answer (a timeout or a 500) in a live attempt.
    channel = make_channel(db.session, acme, platform, {"k": "v"}, app.config)
    (dead,) = make_posts(
        db.session,
        channel,
        now() - timedelta(minutes=10),
        status=PostStatus.PUBLISHING.value,
        claimed_by="gone",
        lease_until=now() - timedelta(seconds=1),
        send_started_at=now() - timedelta(minutes=6),
    )

    assert recover_expired_leases(db.session, now()) == 1
    db.session.commit()

    resent = reload(dead).status == PostStatus.SCHEDULED
    assert resent is get_adapter(platform).deduplicates
    assert resent is (platform in {"mastodon", "bluesky", "wordpress", "webhook"})


def test_webhook_post_whose_worker_died_mid_send_is_delivered_again_with_the_same_id(
    app, acme, httpserver
):
    # Standard Webhooks: receivers de-duplicate on webhook-id, senders retry with the same id.
    # The dead worker's delivery may have landed, so the re-send waits out the webhook's request
    # time limit (30 s) after the lease ran out, then goes with the id the first one carried.
    received: list[str] = []
    httpserver.expect_request("/hook", method="POST").respond_with_handler(
        lambda request: received.append(request.headers["webhook-id"]) or Response("", 204)
    )
    hook = make_channel(
        db.session,
        acme,
        "webhook",
        {"url": httpserver.url_for("/hook"), "secret": "whsec_c2VjcmV0"},
        app.config,
    )
    lease_until = now() - timedelta(seconds=1)
    (dead,) = make_posts(
        db.session,
        hook,
        now() - timedelta(minutes=2),
        status=PostStatus.PUBLISHING.value,
        claimed_by="gone",
        lease_until=lease_until,
        send_started_at=lease_until - timedelta(minutes=5),
    )

    assert recover_expired_leases(db.session, now(), config=app.config) == 1
    db.session.commit()
    dead = reload(dead)
    assert dead.status == PostStatus.SCHEDULED
    assert dead.next_attempt_at == lease_until + timedelta(seconds=30)
    run_worker(app, "w2", once=True)
    assert received == [], "not while the first delivery may still land"
    dead.next_attempt_at = now() - timedelta(seconds=1)  # the 30 s have passed
    db.session.commit()
    run_worker(app, "w2", once=True)

    dead = reload(dead)
    assert dead.status == PostStatus.PUBLISHED
    assert received == [f"pageone-{dead.id}-v1"]
    assert audit_actions(dead.id)[-3:] == [
        "post.claimed",
        "post.publish_attempt",
        "post.published",
    ]


def test_resend_after_a_dead_worker_waits_out_the_platforms_request_time_limit(app, acme):
    lease_until = now() - timedelta(seconds=1)
    channel = make_channel(
        db.session,
        acme,
        "wordpress",
        {"site_url": "https://blog.example", "username": "u", "app_password": "p" * 8},
        app.config,
    )
    (dead,) = make_posts(
        db.session,
        channel,
        now() - timedelta(minutes=10),
        status=PostStatus.PUBLISHING.value,
        claimed_by="gone",
        lease_until=lease_until,
        send_started_at=now() - timedelta(minutes=6),
    )
    before = now()

    assert recover_expired_leases(db.session, before, config=app.config) == 1
    db.session.commit()

    dead = reload(dead)
    assert dead.status == PostStatus.SCHEDULED
    # WordPress's default: a create may still land for 300 s after it was sent, and the dead
    # worker sent nothing after its lease ran out.
    assert dead.next_attempt_at == lease_until + timedelta(seconds=300)


def test_worker_command_publishes_due_posts(app, masto_channel, mastodon):
    (post,) = make_posts(db.session, masto_channel, now())

    result = app.test_cli_runner().invoke(
        args=["planner", "worker", "--once", "--worker-id", "cli"]
    )

    assert result.exit_code == 0, result.output
    assert reload(post).status == PostStatus.PUBLISHED


def stopped_output(process: subprocess.Popen) -> str:
    """The output of a process told to stop; killed (and the test failed) if it hangs."""
    try:
        return process.communicate(timeout=15)[0].decode()
    except subprocess.TimeoutExpired:
        process.kill()
        output = process.communicate()[0].decode()
        pytest.fail(f"the worker did not stop on SIGTERM:\n{output}")


def test_two_worker_processes_publish_each_post_exactly_once(pg_app, mastodon):
    brand = make_brand(db.session)
    channel = make_channel(
        db.session,
        brand,
        "mastodon",
        {"base_url": mastodon.base_url, "access_token": "tok"},
        pg_app.config,
    )
    posts = make_posts(db.session, channel, now() - timedelta(seconds=5), count=100)
    root = Path(__file__).resolve().parents[3]
    env = {
        **os.environ,
        "DATABASE_URL": pg_app.config["DATABASE_URL"],
        "SECRET_KEY": pg_app.config["SECRET_KEY"],
        "OUTBOUND_ALLOW_PRIVATE": "1",
        "HTTP_TIMEOUT": "5",
    }
    flask = str(Path(sys.executable).with_name("flask"))
    workers = [
        subprocess.Popen(
            [flask, "--app", "app", "planner", "worker", "--worker-id", f"proc{n}"],
            cwd=root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for n in range(2)
    ]
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            db.session.expire_all()
            left = db.session.scalar(
                select(func.count()).where(Post.status != PostStatus.PUBLISHED.value)
            )
            if left == 0:
                break
            time.sleep(0.2)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        outputs = [stopped_output(worker) for worker in workers]

    assert [worker.returncode for worker in workers] == [0, 0], outputs
    assert left == 0, outputs
    assert mastodon.posted == Counter({f"pageone-{post.id}-v1": 1 for post in posts})


@pytest.fixture
def silent_url():
    """A loopback server that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/hook"
    server.close()


def test_slow_platform_does_not_delay_other_posts(app, acme, masto_channel, mastodon, silent_url):
    app.config["HTTP_TIMEOUT"] = 1.5
    hook = make_channel(
        db.session, acme, "webhook", {"url": silent_url, "secret": "whsec_c2VjcmV0"}, app.config
    )
    (slow,) = make_posts(db.session, hook, now() - timedelta(seconds=2))
    (fast,) = make_posts(db.session, masto_channel, now() - timedelta(seconds=1))
    started = now()

    run_worker(app, "w1", once=True)

    assert reload(fast).status == PostStatus.PUBLISHED
    assert reload(fast).published_at - started < timedelta(seconds=1)
    assert reload(slow).status != PostStatus.PUBLISHED
    assert now() - started >= timedelta(seconds=1.5)


def test_published_post_is_recorded_as_an_owned_asset(app, acme, masto_channel, mastodon):
    from planner.assets import AssetKind, owned_assets
    from serp.labels import classifier_for_brand

    (post,) = make_posts(db.session, masto_channel, now() - timedelta(minutes=1))
    run_worker(app, "w1", once=True)
    post = reload(post)
    assets = owned_assets(db.session, acme.id)
    assert [(a.url, a.kind, a.post_id) for a in assets] == [
        (post.public_url, AssetKind.SOCIAL_POST, post.id)
    ]
    assert assets[0].published_at == post.published_at
    # Search tracking labels the URL as the brand's own.
    assert classifier_for_brand(db.session, acme.id).label(post.public_url) == "owned"


@pytest.mark.parametrize(
    ("sent_first", "status"),
    [(False, PostStatus.SCHEDULED), (True, PostStatus.UNCONFIRMED)],
    ids=["before-sending", "after-sending"],
)
def test_adapter_that_breaks_is_judged_by_whether_a_request_left(
    app, acme, httpserver, monkeypatch, sent_first, status
):
    # A bug inside the X adapter (injected): before any request it costs nothing but a retry;
    # after the create went out, X does not de-duplicate, so a person must look.
    from planner.publishing.adapters.x import XAdapter

    httpserver.expect_request("/2/tweets", method="POST").respond_with_json({}, status=201)

    def broken(self, post, credentials, call):
        if sent_first:
            call.send("POST", f"{credentials['base_url']}/2/tweets", json={"text": post.text})
        raise RuntimeError(f"boom with {credentials['access_token']}")

    monkeypatch.setattr(XAdapter, "_publish", broken)
    channel = make_channel(
        db.session,
        acme,
        "x",
        {"access_token": "x-secret-token-1", "base_url": httpserver.url_for("").rstrip("/")},
        app.config,
    )
    (post,) = make_posts(db.session, channel, now())

    run_worker(app, "w1", once=True)

    post = reload(post)
    assert post.status == status and post.claimed_by is None
    assert "x-secret-token-1" not in (post.last_error or "")
    if status == PostStatus.SCHEDULED:
        assert "before sending anything" in post.last_error
        assert post.next_attempt_at <= now() + timedelta(seconds=2), "back in the queue at once"
