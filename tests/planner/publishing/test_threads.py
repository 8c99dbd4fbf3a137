"""Threads and first comments: the worker publishes a post's parts in order, each exactly once,
against contract fakes of X, Bluesky, Mastodon, Facebook, Instagram and LinkedIn on loopback."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from urllib.parse import parse_qs

import pytest
from sqlalchemy import select
from werkzeug import Request, Response

from core.crypto import encrypt_json
from core.db import db
from core.tenants import Brand
from planner.models import Channel, PartState, Post, PostPart, PostStatus
from planner.parts import Parts, retry_failed_parts, set_parts
from planner.publishing.adapters.bluesky import record_key
from planner.publishing.parts import recover_expired_parts
from planner.publishing.worker import Publisher, run_worker

DID = "did:plc:brand123"
HANDLE = "brand.bsky.social"


def now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def server(make_httpserver):
    """The session's loopback server, cleared after the test; unexpected requests fail it."""
    make_httpserver.clear()
    yield make_httpserver
    make_httpserver.check_assertions()
    make_httpserver.clear()


def base_of(server) -> str:
    return server.url_for("").rstrip("/")


class Recorder:
    """Answers creates with fresh ids and keeps every request, in order."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.bodies: list[dict] = []
        self.lock = threading.Lock()
        self.fail_next: Response | None = None

    def take(self, request: Request, body: dict) -> tuple[int, Response | None]:
        with self.lock:
            self.requests.append(request)
            self.bodies.append(body)
            failure, self.fail_next = self.fail_next, None
            return len(self.bodies), failure


def due_post(app, platform: str, credentials: dict, text: str = "Part one") -> Post:
    brand = db.session.scalar(select(Brand).where(Brand.slug == "acme"))
    if brand is None:
        brand = Brand(slug="acme", name="Acme")
        db.session.add(brand)
    channel = Channel(
        brand=brand,
        platform=platform,
        name=platform,
        credentials_encrypted=encrypt_json(credentials, app.config),
    )
    post = Post(
        channel=channel,
        text=text,
        image_url="https://img.example/bread.jpg" if platform == "instagram" else None,
        scheduled_at=now() - timedelta(seconds=5),
        status=PostStatus.SCHEDULED.value,
    )
    db.session.add_all([channel, post])
    db.session.flush()
    return post


def with_thread(app, platform: str, credentials: dict, count: int = 3) -> Post:
    post = due_post(app, platform, credentials)
    set_parts(db.session, post, Parts(tuple(f"Part {n}" for n in range(2, count + 1))))
    db.session.commit()
    return post


def parts(post: Post) -> list[PostPart]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(PostPart).where(PostPart.post_id == post.id).order_by(PostPart.position)
        )
    )


def reload(post: Post) -> Post:
    db.session.expire_all()
    return db.session.get(Post, post.id)


# --- X --------------------------------------------------------------------------------------


def fake_x(server) -> Recorder:
    recorder = Recorder()

    def handle(request: Request) -> Response:
        body = request.get_json()
        number, failure = recorder.take(request, body)
        if failure is not None:
            return failure
        return Response(
            json.dumps({"data": {"id": f"tw{number}", "text": body["text"]}}),
            status=201,
            content_type="application/json",
        )

    server.expect_request(
        "/2/tweets", method="POST", headers={"Authorization": "Bearer x-token"}
    ).respond_with_handler(handle)
    return recorder


def test_x_thread_goes_out_in_order_each_part_replying_to_the_one_before(app, server):
    recorder = fake_x(server)
    post = with_thread(app, "x", {"access_token": "x-token", "base_url": base_of(server)})

    run_worker(app, "w1", once=True)

    assert recorder.bodies == [
        {"text": "Part one"},
        {"text": "Part 2", "reply": {"in_reply_to_tweet_id": "tw1"}},
        {"text": "Part 3", "reply": {"in_reply_to_tweet_id": "tw2"}},
    ]
    assert reload(post).platform_post_id == "tw1"
    assert [(p.state, p.remote_id) for p in parts(post)] == [
        ("published", "tw2"),
        ("published", "tw3"),
    ]
    assert parts(post)[1].remote_url == "https://x.com/i/web/status/tw3"


def test_failure_of_part_two_keeps_part_one_and_a_retry_sends_the_rest_once(app, server):
    recorder = fake_x(server)
    post = with_thread(app, "x", {"access_token": "x-token", "base_url": base_of(server)}, 4)
    # The first reply is refused; the platform's reason is kept.
    original = recorder.take

    def refuse_second(request, body):
        number, failure = original(request, body)
        if number == 2:
            failure = Response(
                json.dumps(
                    {"detail": "You are not allowed to create a Tweet with duplicate content."}
                ),
                status=403,
                content_type="application/json",
            )
        return number, failure

    recorder.take = refuse_second

    run_worker(app, "w1", once=True)

    assert reload(post).status == PostStatus.PUBLISHED.value
    states = [(p.position, p.state) for p in parts(post)]
    assert states == [(1, "failed"), (2, "pending"), (3, "pending")]
    assert "duplicate content" in parts(post)[0].error
    assert len(recorder.bodies) == 2

    # Nothing more goes out while the part is failed.
    run_worker(app, "w1", once=True)
    assert len(recorder.bodies) == 2

    retry_failed_parts(db.session, reload(post), None)
    db.session.commit()
    run_worker(app, "w1", once=True)

    texts = [body["text"] for body in recorder.bodies]
    assert texts == ["Part one", "Part 2", "Part 2", "Part 3", "Part 4"]
    assert Counter(texts[2:]) == {"Part 2": 1, "Part 3": 1, "Part 4": 1}
    assert recorder.bodies[2]["reply"] == {"in_reply_to_tweet_id": "tw1"}
    assert recorder.bodies[3]["reply"] == {"in_reply_to_tweet_id": "tw3"}
    assert recorder.bodies[4]["reply"] == {"in_reply_to_tweet_id": "tw4"}
    assert [p.state for p in parts(post)] == ["published"] * 3
    assert parts(post)[0].error is None


def test_a_part_whose_worker_died_after_sending_is_not_sent_again_on_x(app, server):
    fake_x(server)
    post = with_thread(app, "x", {"access_token": "x-token", "base_url": base_of(server)}, 2)
    post.status = PostStatus.PUBLISHED.value
    post.platform_post_id = "tw0"
    post.published_at = now()
    part = parts(post)[0]
    part.claimed_by = "gone"
    part.lease_until = now() - timedelta(seconds=1)
    part.send_started_at = now() - timedelta(minutes=6)
    db.session.commit()

    assert recover_expired_parts(db.session, now(), "w1") == 1
    db.session.commit()
    (part,) = parts(post)
    assert part.state == PartState.FAILED.value
    assert "check the platform" in part.error
    run_worker(app, "w1", once=True)  # the fake answers nothing: no request may come


# --- Mastodon -------------------------------------------------------------------------------


def fake_mastodon(server, delay: float = 0.0) -> Recorder:
    """``delay``: seconds each status takes, so that workers overlap."""
    recorder = Recorder()
    server.expect_request("/api/v2/instance", method="GET").respond_with_json(
        {"configuration": {"statuses": {"max_characters": 500}}}
    )

    def handle(request: Request) -> Response:
        body = request.get_json()
        time.sleep(delay)
        number, _ = recorder.take(request, body)
        return Response(
            json.dumps({"id": f"st{number}", "url": f"https://social.example/@acme/st{number}"}),
            status=200,
            content_type="application/json",
        )

    server.expect_request(
        "/api/v1/statuses", method="POST", headers={"Authorization": "Bearer m-token"}
    ).respond_with_handler(handle)
    return recorder


def test_mastodon_thread_replies_in_order_with_an_idempotency_key_per_part(app, server):
    recorder = fake_mastodon(server)
    post = with_thread(app, "mastodon", {"access_token": "m-token", "base_url": base_of(server)})

    run_worker(app, "w1", once=True)

    assert recorder.bodies == [
        {"status": "Part one"},
        {"status": "Part 2", "in_reply_to_id": "st1"},
        {"status": "Part 3", "in_reply_to_id": "st2"},
    ]
    key = f"pageone-{post.id}-v{post.version}"
    assert [r.headers["Idempotency-Key"] for r in recorder.requests] == [
        key,
        f"{key}:part:1",
        f"{key}:part:2",
    ]
    assert [p.remote_url for p in parts(post)] == [
        "https://social.example/@acme/st2",
        "https://social.example/@acme/st3",
    ]


# --- Bluesky --------------------------------------------------------------------------------


def fake_bluesky(server) -> Recorder:
    recorder = Recorder()
    server.expect_request(
        "/xrpc/com.atproto.server.createSession",
        method="POST",
        json={"identifier": HANDLE, "password": "app-pass"},
    ).respond_with_json(
        {"did": DID, "handle": HANDLE, "accessJwt": "access-1", "refreshJwt": "refresh-1"}
    )

    def handle(request: Request) -> Response:
        body = request.get_json()
        number, _ = recorder.take(request, body)
        rkey = body["rkey"]
        return Response(
            json.dumps({"uri": f"at://{DID}/app.bsky.feed.post/{rkey}", "cid": f"cid{number}"}),
            status=200,
            content_type="application/json",
        )

    server.expect_request(
        "/xrpc/com.atproto.repo.createRecord",
        method="POST",
        headers={"Authorization": "Bearer access-1"},
    ).respond_with_handler(handle)
    return recorder


def test_bluesky_thread_names_the_first_post_as_root_and_the_part_before_as_parent(app, server):
    recorder = fake_bluesky(server)
    post = with_thread(
        app, "bluesky", {"service": base_of(server), "handle": HANDLE, "app_password": "app-pass"}
    )

    run_worker(app, "w1", once=True)

    key = f"pageone-{post.id}-v{post.version}"
    rkeys = [record_key(key), record_key(f"{key}:part:1"), record_key(f"{key}:part:2")]
    assert [body["rkey"] for body in recorder.bodies] == rkeys
    assert all(body["repo"] == DID for body in recorder.bodies)
    uri = [f"at://{DID}/app.bsky.feed.post/{rkey}" for rkey in rkeys]
    records = [body["record"] for body in recorder.bodies]
    assert [r["text"] for r in records] == ["Part one", "Part 2", "Part 3"]
    assert "reply" not in records[0]
    root = {"uri": uri[0], "cid": "cid1"}
    assert records[1]["reply"] == {"root": root, "parent": root}
    assert records[2]["reply"] == {"root": root, "parent": {"uri": uri[1], "cid": "cid2"}}
    assert [p.state for p in parts(post)] == ["published", "published"]


# --- first comments -------------------------------------------------------------------------


def with_comment(app, platform: str, credentials: dict) -> Post:
    post = due_post(app, platform, credentials)
    set_parts(db.session, post, Parts(first_comment="Order at acme.example"))
    db.session.commit()
    return post


def test_facebook_first_comment_is_made_on_the_published_post(app, server):
    comments: list[dict] = []
    server.expect_request("/v23.0/page-1/feed", method="POST").respond_with_json(
        {"id": "page-1_555"}
    )

    def comment(request: Request) -> Response:
        comments.append(parse_qs(request.get_data(as_text=True)))
        return Response(json.dumps({"id": "555_c1"}), content_type="application/json")

    server.expect_request("/v23.0/page-1_555/comments", method="POST").respond_with_handler(comment)
    post = with_comment(
        app,
        "facebook",
        {"page_id": "page-1", "page_access_token": "fb-token", "base_url": base_of(server)},
    )

    run_worker(app, "w1", once=True)

    assert comments == [{"message": ["Order at acme.example"], "access_token": ["fb-token"]}]
    (part,) = parts(post)
    assert (part.kind, part.state, part.remote_id) == ("comment", "published", "555_c1")


def test_instagram_first_comment_is_made_on_the_published_media(app, server):
    comments: list[dict] = []
    server.expect_request("/v23.0/ig-1/media", method="POST").respond_with_json({"id": "box-1"})
    server.expect_request("/v23.0/ig-1/media_publish", method="POST").respond_with_json(
        {"id": "media-9"}
    )
    server.expect_request("/v23.0/media-9", method="GET").respond_with_json(
        {"permalink": "https://www.instagram.com/p/abc/"}
    )

    def comment(request: Request) -> Response:
        comments.append(parse_qs(request.get_data(as_text=True)))
        return Response(json.dumps({"id": "ig-c1"}), content_type="application/json")

    server.expect_request("/v23.0/media-9/comments", method="POST").respond_with_handler(comment)
    post = with_comment(
        app,
        "instagram",
        {"ig_user_id": "ig-1", "access_token": "ig-token", "base_url": base_of(server)},
    )

    run_worker(app, "w1", once=True)

    assert comments == [{"message": ["Order at acme.example"], "access_token": ["ig-token"]}]
    assert [(p.state, p.remote_id) for p in parts(post)] == [("published", "ig-c1")]


def test_linkedin_first_comment_goes_to_the_posts_social_actions(app, server):
    comments: list[tuple[str, dict, dict]] = []
    server.expect_request("/rest/posts", method="POST").respond_with_response(
        Response(status=201, headers={"x-restli-id": "urn:li:share:77"})
    )

    def comment(request: Request) -> Response:
        comments.append(
            (
                request.environ.get("REQUEST_URI") or request.full_path,
                dict(request.headers),
                request.get_json(),
            )
        )
        return Response(
            status=201, headers={"x-restli-id": "urn:li:comment:(urn:li:activity:77,1)"}
        )

    server.expect_request(
        "/rest/socialActions/urn:li:share:77/comments", method="POST"
    ).respond_with_handler(comment)
    post = with_comment(
        app,
        "linkedin",
        {
            "access_token": "li-token",
            "author_urn": "urn:li:organization:5",
            "base_url": base_of(server),
        },
    )

    run_worker(app, "w1", once=True)

    ((uri, headers, body),) = comments
    assert uri.startswith("/rest/socialActions/urn%3Ali%3Ashare%3A77/comments")
    assert headers["Authorization"] == "Bearer li-token"
    assert headers["Linkedin-Version"]
    assert body == {
        "actor": "urn:li:organization:5",
        "object": "urn:li:share:77",
        "message": {"text": "Order at acme.example"},
    }
    assert [(p.state, p.remote_id) for p in parts(post)] == [
        ("published", "urn:li:comment:(urn:li:activity:77,1)")
    ]


# --- several workers ------------------------------------------------------------------------


def test_two_workers_on_postgresql_publish_each_part_exactly_once_in_order(pg_app, server):
    recorder = fake_mastodon(server, delay=0.05)
    credentials = {"access_token": "m-token", "base_url": base_of(server)}
    posts = [with_thread(pg_app, "mastodon", credentials, count=4) for _ in range(12)]
    publishers = [Publisher(pg_app, f"w{n}", threads=4) for n in range(2)]
    start = threading.Barrier(2)

    def work(publisher: Publisher) -> None:
        start.wait()
        deadline = datetime.now(UTC) + timedelta(seconds=30)
        while datetime.now(UTC) < deadline:
            for future in publisher.tick():
                future.result(30)
            with pg_app.app_context(), db.job_session() as session:
                left = session.scalar(
                    select(PostPart.id).where(PostPart.state != PartState.PUBLISHED.value)
                )
            if left is None:
                return

    runners = [threading.Thread(target=work, args=(p,)) for p in publishers]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join(60)
    for publisher in publishers:
        publisher.shutdown()

    keys = Counter(r.headers["Idempotency-Key"] for r in recorder.requests)
    assert len(keys) == 12 * 4
    assert set(keys.values()) == {1}, "a part was sent twice"
    by_key = {
        r.headers["Idempotency-Key"]: b
        for r, b in zip(recorder.requests, recorder.bodies, strict=True)
    }
    ids = {r.headers["Idempotency-Key"]: f"st{n}" for n, r in enumerate(recorder.requests, 1)}
    for post in posts:
        key = f"pageone-{post.id}-v{post.version}"
        chain = [key] + [f"{key}:part:{n}" for n in range(1, 4)]
        for before, after in pairwise(chain):
            assert by_key[after]["in_reply_to_id"] == ids[before]
        assert [p.state for p in parts(post)] == ["published"] * 3
