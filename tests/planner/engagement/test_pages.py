"""The analytics pages, their CSV, the JSON API, and accepting or ignoring learned windows."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from core.db import db
from planner import channels
from planner.engagement.learned import MIN_POSTS
from planner.engagement.models import MetricRead, ProposalAnswer
from planner.models import Post, PostStatus
from tests.conftest import login


def seed(brand, users, count=3, hour=18):
    """A Facebook channel with `count` posts published at `hour` local time, each read."""
    channel = channels.create_channel(
        db.session, brand, users["admin"], platform="facebook", name="Acme FB"
    )
    channel.timezone = "Europe/Berlin"
    posts = []
    # Tuesdays in winter: Berlin is UTC+1.
    first = datetime(2026, 1, 6, hour - 1, 5, tzinfo=UTC)
    for i in range(count):
        at = first + timedelta(weeks=i)
        post = Post(
            channel_id=channel.id,
            text=f"Post number {i}",
            status=PostStatus.PUBLISHED.value,
            scheduled_at=at,
            published_at=at,
            platform_post_id=f"1_{i}",
        )
        db.session.add(post)
        db.session.flush()
        for kind, scale in (("1h", 1), ("24h", 3), ("7d", 4)):
            db.session.add(
                MetricRead(
                    post_id=post.id,
                    kind=kind,
                    due_at=at,
                    status="done",
                    attempts=0,
                    fetched_at=at + timedelta(hours=1),
                    likes=10 * scale + i,
                    comments=scale,
                    shares=1,
                    impressions=None if kind != "7d" else 500,
                )
            )
        posts.append(post)
    db.session.commit()
    return channel, posts


def test_channel_page_shows_chart_table_and_local_times(client, brand, users):
    channel, posts = seed(brand, users)
    login(client, users["viewer"].email)
    page = client.get(f"/channels/{channel.id}/analytics").get_data(as_text=True)
    assert 'id="channel-chart"' in page and 'id="channel-table"' in page
    assert "chart.umd.min.js" in page
    assert "Jan 6, 2026, 18:05" in page  # 17:05 UTC shown in Berlin time, the locale's way
    assert f"/posts/{posts[0].id}/analytics" in page


def test_channel_csv_has_a_row_per_post_with_each_read(client, brand, users):
    channel, posts = seed(brand, users)
    login(client, users["viewer"].email)
    response = client.get(f"/channels/{channel.id}/analytics.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [int(r["post_id"]) for r in rows] == [p.id for p in posts]
    assert rows[0]["likes_24h"] == "30" and rows[0]["impressions_7d"] == "500"
    assert rows[0]["impressions_1h"] == "" and rows[0]["published"] == "2026-01-06 18:05"


def test_post_page_and_csv_show_each_read(client, brand, users):
    channel, posts = seed(brand, users, count=1)
    login(client, users["viewer"].email)
    page = client.get(f"/posts/{posts[0].id}/analytics").get_data(as_text=True)
    assert 'id="post-chart"' in page and "after 24 hours" in page
    rows = list(
        csv.DictReader(
            io.StringIO(client.get(f"/posts/{posts[0].id}/analytics.csv").get_data(as_text=True))
        )
    )
    assert [(r["read"], r["likes"]) for r in rows] == [("1h", "10"), ("24h", "30"), ("7d", "40")]
    assert "Analytics" in client.get(f"/posts/{posts[0].id}").get_data(as_text=True)


def test_brand_page_lists_channels_with_their_mean(client, brand, users):
    channel, _ = seed(brand, users)
    login(client, users["viewer"].email)
    page = client.get(f"/brands/{brand.id}/analytics").get_data(as_text=True)
    assert "Acme FB" in page and 'id="brand-chart"' in page
    rows = list(
        csv.DictReader(
            io.StringIO(client.get(f"/brands/{brand.id}/analytics.csv").get_data(as_text=True))
        )
    )
    fb = next(r for r in rows if r["channel"] == "Acme FB")
    assert (fb["published"], fb["read_24h"], fb["mean_interactions_24h"]) == ("3", "3", "35.0")


def test_other_brands_pages_are_not_found(client, brand, users):
    channel, posts = seed(brand, users, count=1)
    from core.models import Role
    from tests.conftest import create_user

    outsider = create_user("outsider@example.com", Role.ADMIN)
    db.session.commit()
    login(client, outsider.email)
    for url in (
        f"/channels/{channel.id}/analytics",
        f"/posts/{posts[0].id}/analytics.csv",
        f"/brands/{brand.id}/analytics",
    ):
        assert client.get(url).status_code == 404


def test_json_api_gives_post_metrics_and_channel_analytics(api, brand, users):
    channel, posts = seed(brand, users, count=2)
    body = api["viewer"].get(f"/api/v1/posts/{posts[0].id}/metrics").get_json()
    assert [r["kind"] for r in body["reads"]] == ["1h", "24h", "7d"]
    assert body["reads"][2]["impressions"] == 500 and body["reads"][0]["impressions"] is None
    summary = api["viewer"].get(f"/api/v1/channels/{channel.id}/analytics").get_json()
    assert len(summary["posts"]) == 2
    learned = summary["learned_windows"]
    assert learned["learned"] is False and learned["posts"] == 2
    assert learned["windows"] == [
        {"weekday": 2, "start": "11:00", "end": "12:00", "weight": 1.0},
        {"weekday": 2, "start": "13:00", "end": "14:00", "weight": 1.0},
    ]


def test_accepting_the_proposal_replaces_the_windows(client, brand, users):
    channel, _ = seed(brand, users, count=MIN_POSTS)
    login(client, users["admin"].email)
    page = client.get(f"/channels/{channel.id}").get_data(as_text=True)
    assert "Tuesday 18:00–19:00" in page and f"({MIN_POSTS} posts)" in page
    response = client.post(f"/channels/{channel.id}/learned-windows/accept")
    assert response.status_code == 302
    db.session.expire_all()
    windows = [(w.weekday, w.start_minute, w.end_minute) for w in channel.windows]
    assert windows[0] == (1, 18 * 60, 19 * 60)
    assert db.session.get(ProposalAnswer, channel.id).answer == "accepted"


def test_ignoring_hides_the_proposal_until_more_posts_are_read(client, brand, users):
    channel, _ = seed(brand, users, count=MIN_POSTS)
    login(client, users["admin"].email)
    client.post(f"/channels/{channel.id}/learned-windows/ignore")
    page = client.get(f"/channels/{channel.id}").get_data(as_text=True)
    assert 'id="accept-learned"' not in page and "was ignored" in page
    assert [(w.weekday, w.start_minute) for w in channel.windows] == [(2, 660), (2, 780)]


def test_accepting_without_a_proposal_is_refused_with_a_reason(client, brand, users):
    channel, _ = seed(brand, users, count=2)
    login(client, users["admin"].email)
    response = client.post(f"/channels/{channel.id}/learned-windows/accept", follow_redirects=True)
    assert response.status_code == 200
    assert "no learned proposal yet" in response.get_data(as_text=True)


def test_only_admins_answer_the_proposal(client, brand, users):
    channel, _ = seed(brand, users, count=MIN_POSTS)
    login(client, users["editor"].email)
    assert client.post(f"/channels/{channel.id}/learned-windows/accept").status_code == 403


def test_editing_the_proposal_saves_the_edited_windows_with_csrf_on(tmp_path):
    """The "Edit before saving" form posts to the channel's windows form with a valid token."""
    import re

    from core.models import Role
    from planner.brands import create_brand
    from tests.conftest import create_user, make_app

    app = make_app(f"sqlite:///{tmp_path / 'csrf.db'}", WTF_CSRF_ENABLED=True)
    with app.app_context():
        admin = create_user("admin@example.com", Role.ADMIN)
        brand = create_brand(db.session, name="Acme", timezone="Europe/Berlin", creator=admin)
        db.session.commit()
        channel, _ = seed(brand, {"admin": admin}, count=MIN_POSTS)
        client = app.test_client()
        login_page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
        client.post(
            "/login",
            data={"email": admin.email, "password": "correct horse battery", "csrf_token": token},
        )
        page = client.get(f"/channels/{channel.id}").get_data(as_text=True)
        edit = page[page.index("Edit before saving") :]
        field = re.search(r'name="windows-csrf_token" value="([^"]+)"', edit).group(1)
        response = client.post(
            f"/channels/{channel.id}",
            data={
                "windows-csrf_token": field,
                "action": "windows",
                "weekday": ["1", "2"],
                "start": ["18:30", "11:00"],
                "end": ["19:30", "12:00"],
                "weight": ["1.5", "0.5"],
            },
        )
        assert response.status_code == 302
        db.session.expire_all()
        assert [(w.weekday, w.start_minute, w.weight) for w in channel.windows] == [
            (1, 18 * 60 + 30, 1.5),
            (2, 11 * 60, 0.5),
        ]


def test_the_demo_brand_comes_with_reads_of_its_published_posts(app, client):
    from sqlalchemy import func, select

    from core.db import utcnow
    from planner.demo import DEMO_EMAIL, DEMO_PASSWORD, load_demo

    load_demo(db.session, now=utcnow(), more=app.extensions["pageone.demo_loaders"])
    db.session.commit()
    done = db.session.scalar(
        select(func.count()).select_from(MetricRead).where(MetricRead.status == "done")
    )
    assert done > 0
    login(client, DEMO_EMAIL, DEMO_PASSWORD)
    from core.tenants import Brand

    brand_id = db.session.scalar(select(Brand.id).where(Brand.name == "Northwind Coffee"))
    page = client.get(f"/brands/{brand_id}/analytics").get_data(as_text=True)
    assert "Northwind Facebook" in page and "—" in page  # the webhook has no figures
