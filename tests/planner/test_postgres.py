"""The planner on PostgreSQL: the same API flow, slots and import as on SQLite."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.db import db
from core.models import ApiToken, Role, User
from planner.brands import create_brand
from planner.channels import create_channel
from planner.csvio import import_posts
from planner.models import Post
from tests.conftest import create_user

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_setup(pg_app):
    admin = create_user("admin@example.com", Role.ADMIN)
    brand = create_brand(db.session, name="PG Brand", timezone="America/New_York", creator=admin)
    channel = create_channel(
        db.session, brand, admin, platform="linkedin", min_gap_minutes=30, max_per_day=2
    )
    token, plain = ApiToken.issue(admin)
    db.session.add(token)
    db.session.commit()
    return pg_app, admin, brand, channel, {"Authorization": f"Bearer {plain}"}


def test_queue_and_move_on_postgres(pg_setup):
    app, admin, brand, channel, headers = pg_setup
    client = app.test_client()
    made = [
        client.post(
            f"/api/v1/brands/{brand.id}/posts",
            json={"channel_id": channel.id, "text": f"Post {i}", "queue": True},
            headers=headers,
        )
        for i in range(3)
    ]
    assert [r.status_code for r in made] == [201, 201, 201]
    times = [datetime.fromisoformat(r.get_json()["post"]["scheduled_at"]) for r in made]
    assert times == sorted(times) and times[1] - times[0] >= timedelta(minutes=30)
    local = [t.astimezone(channel.zone) for t in times]
    assert all(t.weekday() in (2, 3, 4) for t in local)  # LinkedIn's Wed–Fri windows
    assert local[0].date() == local[1].date() != local[2].date()  # max 2 a day

    refused = client.patch(
        f"/api/v1/posts/{made[1].get_json()['post']['id']}",
        json={"scheduled_at": (times[0] + timedelta(minutes=5)).isoformat()},
        headers=headers,
    )
    assert refused.status_code == 409
    start = (times[0] - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    end = (times[2] + timedelta(days=1)).isoformat().replace("+00:00", "Z")
    events = client.get(
        f"/api/v1/brands/{brand.id}/events?start={start}&end={end}", headers=headers
    ).get_json()
    assert sorted(e["id"] for e in events) == sorted(str(r.get_json()["post"]["id"]) for r in made)


def test_import_is_all_or_nothing_on_postgres(pg_setup):
    app, admin, brand, channel, _ = pg_setup
    now = datetime.now(UTC)
    base = now + timedelta(days=2)
    good = "".join(
        f"{channel.id},post {i},{(base + timedelta(hours=i)).isoformat()}\n" for i in range(2)
    )
    bad = good + f"{channel.id},too close,{(base + timedelta(minutes=5)).isoformat()}\n"
    report = import_posts(
        db.session, brand, ("channel_id,text,scheduled_at\n" + bad).encode(), author=admin, now=now
    )
    assert not report.ok
    assert (
        4,
        "closer than 30 min to line 2 at "
        + (base.astimezone(channel.zone)).strftime("%Y-%m-%d %H:%M"),
    ) in report.errors
    db.session.rollback()
    assert db.session.scalar(select(func.count(Post.id))) == 0
    report = import_posts(
        db.session, brand, ("channel_id,text,scheduled_at\n" + good).encode(), author=admin, now=now
    )
    assert report.ok and report.created == 2
    db.session.commit()
    assert db.session.scalar(select(func.count(Post.id))) == 2


def test_users_are_unique_on_postgres(pg_setup):
    app, *_ = pg_setup
    result = app.test_cli_runner().invoke(
        args=["users", "create", "ADMIN@example.com", "--password-stdin"], input="long enough\n"
    )
    assert result.exit_code != 0 and "already exists" in result.output
    assert db.session.scalar(select(func.count(User.id))) == 1
