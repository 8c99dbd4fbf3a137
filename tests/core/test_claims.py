"""The claim engine: a batch in one statement, renewals only by the holder, the back-off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select

from core import claims
from core.crypto import encrypt_json
from core.db import db
from core.tenants import Brand
from planner.models import Channel, Post, PostStatus
from planner.publishing.queue import POSTS


def due_posts(app, count: int) -> list[int]:
    brand = Brand(slug="acme", name="Acme")
    channel = Channel(
        brand=brand,
        platform="x",
        name="x",
        credentials_encrypted=encrypt_json({"k": "v"}, app.config),
    )
    posts = [
        Post(
            channel=channel,
            text=f"#{n}",
            scheduled_at=datetime.now(UTC) - timedelta(minutes=1),
            status=PostStatus.SCHEDULED.value,
        )
        for n in range(count)
    ]
    db.session.add_all([brand, channel, *posts])
    db.session.commit()
    return [post.id for post in posts]


@pytest.fixture(params=["sqlite", "postgres"])
def any_app(request):
    return request.getfixturevalue("app" if request.param == "sqlite" else "pg_app")


def test_a_batch_of_due_rows_is_claimed_with_one_statement(any_app):
    ids = due_posts(any_app, 12)
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    engine = db.session.get_bind()
    event.listen(engine, "before_cursor_execute", seen)
    try:
        now = datetime.now(UTC)
        first = claims.claim(db.session, POSTS, "w1", now, 5, timedelta(minutes=5))
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    second = claims.claim(db.session, POSTS, "w2", now, 50, timedelta(minutes=5))
    db.session.commit()

    assert len(statements) == 1 and statements[0].lstrip().upper().startswith("UPDATE")
    assert [row[0] for row in first] == ids[:5], "the first due, by scheduled time and id"
    assert [row[0] for row in second] == ids[5:]
    holders = dict(db.session.execute(select(Post.id, Post.claimed_by)).all())
    assert {holders[i] for i in ids[:5]} == {"w1"} and {holders[i] for i in ids[5:]} == {"w2"}


def test_only_the_holder_renews_a_lease_and_only_once_half_of_it_is_left(app):
    (post_id,) = due_posts(app, 1)
    now = datetime.now(UTC)
    lease = timedelta(minutes=10)
    claims.claim(db.session, POSTS, "w1", now, 1, lease)

    assert claims.renew(db.session, POSTS, "w2", [post_id], now, lease) == 0
    assert claims.renew(db.session, POSTS, "w1", [post_id], now + timedelta(minutes=4), lease) == 0
    later = now + timedelta(minutes=6)
    assert claims.renew(db.session, POSTS, "w1", [post_id], later, lease) == 1
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Post, post_id).lease_until == later + lease


def test_a_row_whose_claim_ran_out_is_seen_as_expired(app):
    (post_id,) = due_posts(app, 1)
    now = datetime.now(UTC)
    claims.claim(db.session, POSTS, "w1", now, 1, timedelta(seconds=30))
    db.session.commit()

    def expired(at):
        return list(db.session.scalars(select(Post.id).where(claims.expired(POSTS, at))))

    assert expired(now + timedelta(seconds=29)) == []
    assert expired(now + timedelta(seconds=31)) == [post_id]


def test_backoff_doubles_honours_what_was_asked_for_and_stops_at_the_cap():
    first, cap = timedelta(minutes=15), timedelta(hours=12)
    waits = [claims.backoff(n, first, cap) for n in range(1, 8)]
    assert waits[:4] == [first, 2 * first, 4 * first, 8 * first]
    assert waits[-1] == cap
    assert claims.backoff(1, first, cap, retry_after=3600) == timedelta(hours=1)
    assert claims.backoff(1, first, cap, retry_after=10**9) == cap
    assert claims.backoff(10**6, first, cap) == cap  # no overflow however many failures
