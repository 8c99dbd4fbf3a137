"""Threads and first comments in the browser: an X thread of three posts and a Facebook first
comment composed with their counters and previews, queued, published by the worker against
contract fakes of X and Facebook, then read on each post's page."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from werkzeug import Request, Response

from tests.e2e.conftest import LiveServer
from tests.e2e.test_calendar import log_in
from tests.e2e.test_composer import pick

pytestmark = pytest.mark.browser

SHOTS = Path("/work/wt/shots")


def shoot(page: Any, browser: Any, name: str) -> None:
    """The page at desktop width and at 390 px (a phone), with nothing wider than the screen."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"threads-{name}-1280.png"), full_page=True)
    phone = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        phone.add_cookies(page.context.cookies())
        small = phone.new_page()
        small.goto(page.url)
        small.screenshot(path=str(SHOTS / f"threads-{name}-390.png"), full_page=True)
    finally:
        phone.close()


def fakes(httpserver) -> tuple[list[dict], list[dict]]:
    """X's /2/tweets and Facebook's feed and comments, each checking the request's shape."""
    tweets: list[dict] = []
    comments: list[dict] = []

    def tweet(request: Request) -> Response:
        assert request.headers["Authorization"] == "Bearer x-token"
        tweets.append(request.get_json())
        return Response(
            json.dumps({"data": {"id": f"17{len(tweets)}", "text": tweets[-1]["text"]}}),
            201,
            mimetype="application/json",
        )

    def comment(request: Request) -> Response:
        comments.append(parse_qs(request.get_data(as_text=True)))
        return Response(json.dumps({"id": "901_1"}), 200, mimetype="application/json")

    httpserver.expect_request("/2/tweets", method="POST").respond_with_handler(tweet)
    httpserver.expect_request("/v23.0/page-9/feed", method="POST").respond_with_json(
        {"id": "page-9_901"}
    )
    httpserver.expect_request("/v23.0/page-9_901/comments", method="POST").respond_with_handler(
        comment
    )
    return tweets, comments


def test_compose_an_x_thread_and_a_facebook_first_comment_and_publish_them(
    live_server: LiveServer, page: Any, browser: Any, httpserver
):
    from core.crypto import encrypt_json
    from core.db import db, utcnow
    from planner.models import Channel, Post
    from planner.publishing.worker import run_worker

    tweets, comments = fakes(httpserver)
    app = live_server.app
    app.config["OUTBOUND_ALLOW_PRIVATE"] = True
    base = httpserver.url_for("/").rstrip("/")
    with app.app_context():
        for name, credentials in (
            ("Northwind X", {"access_token": "x-token", "base_url": base}),
            (
                "Northwind Facebook",
                {"page_id": "page-9", "page_access_token": "fb-token", "base_url": base},
            ),
        ):
            channel = db.session.query(Channel).filter_by(name=name).one()
            channel.credentials_encrypted = encrypt_json(credentials, app.config)
        db.session.commit()

    log_in(page, live_server)
    page.goto(f"{live_server.url}/brands/{live_server.brand_id}/compose")
    pick(page, "Northwind X")
    pick(page, "Northwind Facebook")
    page.locator("#compose-text").fill("1/ Our winter blend is back.")

    x_section = page.locator("fieldset.composer-version", has_text="Northwind X")
    add = x_section.get_by_role("button", name="Add to thread")
    add.click()
    add.click()
    x_section.get_by_label("Post 2 of the thread").fill("2/ Dark chocolate and orange peel.")
    x_section.get_by_label("Post 3 of the thread").fill("3/ " + "A long finish. " * 20)
    # Each part is counted as X counts it: the third is over the limit until shortened.
    third = x_section.locator("[data-part]").nth(1).locator("[data-part-count]")
    third.get_by_text("too many").wait_for()
    x_section.get_by_label("Post 3 of the thread").fill("3/ In the shop from Monday.")
    # Counted again once typing pauses.
    x_section.locator("[data-part-count]", has_text="27 / 280").wait_for()
    assert third.inner_text() == "27 / 280"

    facebook = page.locator("fieldset.composer-version", has_text="Northwind Facebook")
    assert facebook.get_by_role("button", name="Add to thread").count() == 0
    facebook.get_by_label("First comment").fill("Order at northwind.example/winter")

    # The previews: the thread as stacked posts, the comment under the Facebook post.
    x_preview = page.locator(".preview-x:not([hidden])")
    x_preview.locator(".preview-part").nth(1).wait_for()
    assert x_preview.locator(".preview-part-text").all_inner_texts() == [
        "2/ Dark chocolate and orange peel.",
        "3/ In the shop from Monday.",
    ]
    fb_comment = page.locator(".preview-facebook:not([hidden]) [data-preview-comment]")
    fb_comment.get_by_text("Order at northwind.example/winter").wait_for()
    assert "Order at northwind.example/winter" in fb_comment.inner_text()
    shoot(page, browser, "compose")
    phone = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        phone.add_cookies(page.context.cookies())
        small = phone.new_page()
        small.goto(page.url)
        pick(small, "Northwind X")
        small.locator("fieldset.composer-version", has_text="Northwind X").get_by_role(
            "button", name="Add to thread"
        ).click()
        wide = small.evaluate(
            """() => [...document.querySelectorAll('#composer, #composer *')]
                .filter(e => e.getBoundingClientRect().right > 390.5)
                .map(e => e.tagName + '.' + e.className)"""
        )
        assert wide == []
        small.screenshot(path=str(SHOTS / "threads-compose-part-390.png"), full_page=True)
    finally:
        phone.close()

    page.get_by_role("button", name="Create campaign").click()
    page.wait_for_url("**/groups/*")

    with app.app_context():
        posts = db.session.query(Post).filter(Post.group_id.is_not(None)).all()
        for post in posts:
            post.scheduled_at = utcnow() - timedelta(seconds=5)  # their slots have come
        db.session.commit()
        by_platform = {post.channel.platform: post.id for post in posts}
    run_worker(app, "w1", once=True)

    assert tweets == [
        {"text": "1/ Our winter blend is back."},
        {"text": "2/ Dark chocolate and orange peel.", "reply": {"in_reply_to_tweet_id": "171"}},
        {"text": "3/ In the shop from Monday.", "reply": {"in_reply_to_tweet_id": "172"}},
    ]
    assert comments == [
        {"message": ["Order at northwind.example/winter"], "access_token": ["fb-token"]}
    ]

    page.goto(f"{live_server.url}/posts/{by_platform['x']}")
    parts = page.locator("#post-parts")
    assert "Thread of 3 posts" in parts.locator("h2").inner_text()
    assert parts.locator('[data-part-state="published"]').count() == 2
    assert page.locator("#parts-failed").count() == 0
    shoot(page, browser, "post-thread")

    page.goto(f"{live_server.url}/posts/{by_platform['facebook']}")
    comment = page.locator("#post-parts")
    assert "First comment" in comment.locator("h2").inner_text()
    assert "Order at northwind.example/winter" in comment.inner_text()
    assert comment.locator('[data-part-state="published"]').count() == 1


def test_a_failed_part_is_shown_and_the_thread_resumes_from_it(
    live_server: LiveServer, page: Any, browser: Any, httpserver
):
    from core.crypto import encrypt_json
    from core.db import db, utcnow
    from planner.models import Channel, Post, PostStatus
    from planner.parts import Parts, set_parts
    from planner.publishing.worker import run_worker

    sent: list[dict] = []

    def tweet(request: Request) -> Response:
        sent.append(request.get_json())
        if len(sent) == 3:  # the third post of the thread is refused once
            return Response(
                json.dumps({"detail": "Status is a duplicate."}), 403, mimetype="application/json"
            )
        return Response(
            json.dumps({"data": {"id": f"18{len(sent)}"}}), 201, mimetype="application/json"
        )

    httpserver.expect_request("/2/tweets", method="POST").respond_with_handler(tweet)
    app = live_server.app
    app.config["OUTBOUND_ALLOW_PRIVATE"] = True
    with app.app_context():
        channel = db.session.query(Channel).filter_by(name="Northwind X").one()
        channel.credentials_encrypted = encrypt_json(
            {"access_token": "x-token", "base_url": httpserver.url_for("/").rstrip("/")},
            app.config,
        )
        post = Post(
            channel=channel,
            text="1/ Tasting on Saturday",
            scheduled_at=utcnow() - timedelta(seconds=5),
            status=PostStatus.SCHEDULED.value,
        )
        db.session.add(post)
        db.session.flush()
        set_parts(db.session, post, Parts(("2/ From ten", "3/ Free cups", "4/ See you")))
        db.session.commit()
        post_id = post.id
    run_worker(app, "w1", once=True)

    log_in(page, live_server)
    page.goto(f"{live_server.url}/posts/{post_id}")
    failed = page.locator("#parts-failed")
    assert failed.inner_text() == "Part 3 of 4 failed: x answered 403: Status is a duplicate."
    shoot(page, browser, "post-failed-part")
    page.get_by_role("button", name="Resume the thread from part 3").click()
    page.wait_for_load_state()
    run_worker(app, "w1", once=True)
    page.goto(f"{live_server.url}/posts/{post_id}")
    assert page.locator("#parts-failed").count() == 0
    assert page.locator('#post-parts [data-part-state="published"]').count() == 3
    assert [body["text"] for body in sent] == [
        "1/ Tasting on Saturday",
        "2/ From ten",
        "3/ Free cups",
        "3/ Free cups",
        "4/ See you",
    ]
