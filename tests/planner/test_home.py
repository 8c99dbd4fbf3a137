"""The home overview: what needs a person today, per brand and across brands; a pure read."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from flask import Flask, current_app
from sqlalchemy import event, select

import listening.models  # noqa: F401  (registers the tables before the schema is created)
import serp.models  # noqa: F401
import serp.summaries  # noqa: F401
from core.db import db, utcnow
from listening import operations as listening_ops
from listening.sources import FetchedItem
from planner.brands import create_brand
from planner.channels import create_channel
from planner.models import Channel, Post, PostStatus
from serp import operations as serp_ops
from serp import rules as rule_ops
from serp.checks import store_check
from serp.parse.model import SerpResult
from serp.summaries import refresh_check
from tests.conftest import login, make_app, postgres_url


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request, tmp_path) -> Iterator[Flask]:
    """The overview's queries (window functions, grouped counts) on both databases."""
    url = f"sqlite:///{tmp_path / 'test.db'}" if request.param == "sqlite" else postgres_url()
    app = make_app(url)
    with app.app_context():
        yield app
    app.extensions["pageone.db"].dispose()


def home_lines(client, path: str = "/") -> dict[tuple[int, str], tuple[int, str, str]]:
    """The page's lines: (brand id, kind) → (count, text, link)."""
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    html = page.get_data(as_text=True)
    lines = {}
    # Each brand's block runs from its data-brand-id to the next brand's.
    for block in html.split('data-brand-id="')[1:]:
        brand_id = block.split('"', 1)[0]
        for kind, count, url, text in re.findall(
            r'data-kind="([a-z_]+)" data-count="(\d+)">\s*<a href="([^"]+)">([^<]+)</a>', block
        ):
            lines[(int(brand_id), kind)] = (int(count), unescape(text).strip(), unescape(url))
    return lines


def channel_of(brand, users, **values) -> Channel:
    channel = create_channel(
        db.session, brand, users["admin"], platform="mastodon", name="Acme on Mastodon", **values
    )
    db.session.flush()
    return channel


def add_post(channel: Channel, status: PostStatus, at: datetime) -> Post:
    post = Post(channel=channel, text="Fresh bread at 7", scheduled_at=at, status=status.value)
    db.session.add(post)
    db.session.flush()
    return post


def seeded(brand, users, now: datetime) -> dict[str, object]:
    """A brand with one of everything the overview reports."""
    channel = channel_of(brand, users)
    local_now = now.astimezone(brand.zone)
    end_of_today = local_now.replace(hour=23, minute=59, second=0, microsecond=0)
    soon = now + (end_of_today - local_now) / 2  # later today in the brand's zone
    posts = {
        "today": add_post(channel, PostStatus.SCHEDULED, soon),
        "in_three_days": add_post(channel, PostStatus.SCHEDULED, now + timedelta(days=3)),
        "next_month": add_post(channel, PostStatus.SCHEDULED, now + timedelta(days=30)),
        "failed": add_post(channel, PostStatus.FAILED, now - timedelta(hours=2)),
        "unconfirmed": add_post(channel, PostStatus.UNCONFIRMED, now - timedelta(hours=1)),
        "waiting_1": add_post(channel, PostStatus.PENDING_APPROVAL, now + timedelta(days=2)),
        "waiting_2": add_post(channel, PostStatus.PENDING_APPROVAL, now + timedelta(days=4)),
    }
    channel.needs_reauth = True

    source = listening_ops.create_source(
        db.session,
        brand,
        users["admin"],
        {"kind": "rss", "url": "https://example.com/feed.xml", "name": "News"},
        now,
    )
    items = [
        FetchedItem(
            external_id=f"m{n}",
            url=f"https://news.example.com/{n}",
            author="someone",
            title="",
            text=f"Question {n} about Acme Bakery?",
            language="en",
            published_at=now - timedelta(days=3),
        )
        for n in range(3)
    ]
    listening_ops.ingest(db.session, brand, source, items, now - timedelta(days=3))
    db.session.flush()

    rule_ops.save_rule(
        db.session, brand.id, users["admin"], match_type="domain",
        pattern="bad.example.com", label="negative",
    )  # fmt: skip
    query = serp_ops.create_query(
        db.session, brand, None, {"text": "acme bakery", "engine": "bing"},
        config=current_app.config, now=now,
    )  # fmt: skip

    def check(at: datetime, urls: list[str]) -> None:
        results = [
            SerpResult(position=n, url=url, title=url, snippet="") for n, url in enumerate(urls, 1)
        ]
        refresh_check(
            db.session,
            store_check(
                db.session, query, status="ok", results=results, checked_at=at, provider="html"
            ),
        )

    neutral = [f"https://site{n}.example.com/" for n in range(10)]
    # Eight days ago page one was neutral; now a negative result holds position 1.
    check(now - timedelta(days=8), neutral)
    check(now - timedelta(days=1), ["https://bad.example.com/story", *neutral[:9]])
    db.session.commit()
    return {"channel": channel, "posts": posts, "query": query}


def test_the_overview_lists_what_needs_a_person_with_counts_and_links(client, users, brand):
    now = utcnow()
    seed = seeded(brand, users, now)
    login(client, "editor@example.com")
    lines = home_lines(client)
    b = brand.id
    assert {kind for (_, kind) in lines} == {
        "due_today", "due_week", "failed", "unconfirmed", "approvals", "reauth",
        "overdue_mentions", "brand_score", "new_negatives",
    }  # fmt: skip
    assert lines[(b, "due_today")][:2] == (1, "1 post is due later today.")
    assert lines[(b, "due_week")][:2] == (2, "2 posts are due in the next 7 days.")
    assert lines[(b, "failed")] == (
        1, "1 post failed to publish: fix and retry it.", f"/brands/{b}/publishing",
    )  # fmt: skip
    assert lines[(b, "unconfirmed")][0] == 1
    assert lines[(b, "unconfirmed")][2] == f"/brands/{b}/publishing"
    assert lines[(b, "approvals")] == (
        2, "2 posts are waiting for approval.", f"/brands/{b}/approvals",
    )  # fmt: skip
    assert lines[(b, "reauth")][2] == f"/channels/{seed['channel'].id}#credentials"
    assert lines[(b, "overdue_mentions")] == (
        3, "3 mentions are overdue for a reply.",
        f"/brands/{b}/listening?state=open&overdue=1",
    )  # fmt: skip
    # Page one went from all neutral to one negative at position 1 of 10.
    score = lines[(b, "brand_score")]
    assert score[1] == "Brand score -26.9 on page one, down 26.9 since a week ago."
    assert score[2] == f"/brands/{b}/serp/dashboard"
    assert lines[(b, "new_negatives")][:2] == (
        1, "A negative result entered page one for “acme bakery”: bad.example.com/story.",
    )  # fmt: skip
    # Every link opens a page the member can use.
    for _count, _text, url in lines.values():
        assert client.get(url.split("#")[0]).status_code == 200, url
    # The brand's own overview says the same.
    assert home_lines(client, f"/brands/{b}/home") == lines


def test_a_line_leaves_the_overview_once_it_is_handled(client, users, brand):
    now = utcnow()
    seed = seeded(brand, users, now)
    posts = seed["posts"]
    login(client, "admin@example.com")
    assert (brand.id, "failed") in home_lines(client)

    posts["failed"].status = PostStatus.DRAFT.value
    posts["unconfirmed"].status = PostStatus.PUBLISHED.value
    for post in (posts["waiting_1"], posts["waiting_2"]):
        post.status = PostStatus.SCHEDULED.value
    seed["channel"].needs_reauth = False
    for mention in db.session.scalars(select(listening.models.Mention)):
        mention.state = listening.models.MentionState.REPLIED.value
    rule_ops.save_rule(
        db.session, brand.id, users["admin"], match_type="domain",
        pattern="bad.example.com", label="neutral",
    )  # fmt: skip
    db.session.commit()

    lines = home_lines(client)
    kinds = {kind for (_, kind) in lines}
    assert kinds == {"due_today", "due_week", "brand_score"}
    # The two approved posts are now due in the coming week too.
    assert lines[(brand.id, "due_week")][0] == 4
    assert lines[(brand.id, "brand_score")][1] == (
        "Brand score +0.0 on page one, unchanged since a week ago."
    )


def test_the_overview_answers_a_brand_with_nothing_waiting(client, users, brand):
    login(client, "viewer@example.com")
    html = client.get("/").get_data(as_text=True)
    assert "Nothing in your brand needs a person now." in html
    html = client.get(f"/brands/{brand.id}/home").get_data(as_text=True)
    assert "Nothing in Acme Bakery needs a person now." in html
    assert "No posts are due in the next 7 days." in html


def test_a_user_sees_only_the_brands_they_belong_to(client, users, brand):
    now = utcnow()
    seeded(brand, users, now)
    other = create_brand(db.session, name="Hidden Brewery", timezone="UTC", creator=users["admin"])
    add_post(channel_of(other, users), PostStatus.FAILED, now - timedelta(hours=1))
    db.session.commit()

    login(client, "editor@example.com")  # a member of Acme Bakery only
    html = client.get("/").get_data(as_text=True)
    assert "Hidden Brewery" not in html
    assert {b for (b, _) in home_lines(client)} == {brand.id}
    assert client.get(f"/brands/{other.id}/home").status_code == 404

    admin = client.application.test_client()
    login(admin, "admin@example.com")  # created both, so belongs to both
    assert {b for (b, _) in home_lines(admin)} == {brand.id, other.id}
    assert home_lines(admin)[(other.id, "failed")][0] == 1


def test_logging_in_lands_on_the_overview(client, users, brand):
    response = login(client, "viewer@example.com")
    assert response.headers["Location"] == "/"
    page = client.get("/")
    assert page.status_code == 200 and "What needs you today" in page.get_data(as_text=True)


def test_the_overview_writes_nothing(app, client, users, brand):
    now = utcnow()
    seeded(brand, users, now)
    login(client, "admin@example.com")
    engine = app.extensions["pageone.db"]
    writes: list[str] = []
    commits: list[bool] = []

    def statement(conn, cursor, sql, params, context, executemany):
        if not sql.lstrip().upper().startswith(("SELECT", "WITH", "PRAGMA", "SHOW", "SET")):
            writes.append(sql)

    def committed(conn):
        commits.append(True)

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", committed)
    try:
        # Twice: the first read must not leave anything for the second to write either.
        for path in ("/", f"/brands/{brand.id}/home", "/"):
            assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", committed)
    assert writes == []
    assert commits == []


def test_due_today_follows_the_brands_own_day(client, users, brand):
    """Berlin's day: a post at 00:30 Berlin time tomorrow is not today, whatever UTC says."""
    now = datetime(2026, 12, 6, 22, 0, tzinfo=UTC)  # 23:00 in Berlin
    channel = channel_of(brand, users)
    add_post(channel, PostStatus.SCHEDULED, now + timedelta(minutes=30))  # 23:30 Berlin
    add_post(channel, PostStatus.SCHEDULED, now + timedelta(minutes=90))  # 00:30 the next day
    db.session.commit()
    from planner.home import planner_lines

    with client.application.test_request_context():
        lines = {line.kind: line.count for line in planner_lines(db.session, [brand], now)}
    assert lines == {"due_today": 1, "due_week": 2}
