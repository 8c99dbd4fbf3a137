"""Thread parts and first comments through the JSON API and the CSV import and export."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from core.db import db
from planner.models import PartState, Post, PostPart, PostStatus
from planner.parts import split_thread
from tests.conftest import login
from tests.planner.test_api import next_weekday, z
from tests.planner.test_csv_ical_pages import csv_bytes, post_count, upload


@pytest.fixture
def channels(api, brand):
    made = {}
    for platform in ("x", "facebook", "mastodon"):
        response = api["admin"].post(
            f"/api/v1/brands/{brand.id}/channels",
            json={"platform": platform, "name": f"Acme {platform}", "min_gap_minutes": 30},
        )
        assert response.status_code == 201, response.get_json()
        made[platform] = response.get_json()
    return made


def test_a_thread_is_created_read_and_replaced_through_the_api(api, brand, channels):
    when = z(next_weekday(0, 10))
    created = api["editor"].post(
        f"/api/v1/brands/{brand.id}/posts",
        json={
            "channel_id": channels["x"]["id"],
            "text": "1/ Our spring menu",
            "scheduled_at": when,
            "parts": [{"text": "2/ Rye with honey"}, {"text": "3/ Order by Friday"}],
        },
    )
    assert created.status_code == 201, created.get_json()
    post = created.get_json()["post"]
    assert [p["text"] for p in post["parts"]] == ["2/ Rye with honey", "3/ Order by Friday"]
    assert [p["state"] for p in post["parts"]] == ["pending", "pending"]
    assert post["first_comment"] is None

    changed = api["editor"].patch(
        f"/api/v1/posts/{post['id']}", json={"parts": [{"text": "2/ Only this"}]}
    )
    assert changed.status_code == 200, changed.get_json()
    assert [p["text"] for p in changed.get_json()["post"]["parts"]] == ["2/ Only this"]
    read = api["viewer"].get(f"/api/v1/posts/{post['id']}").get_json()["post"]
    assert [(p["position"], p["text"]) for p in read["parts"]] == [(1, "2/ Only this")]


def test_a_first_comment_is_kept_for_facebook_and_refused_for_x(api, brand, channels):
    when = z(next_weekday(1, 10))
    created = api["editor"].post(
        f"/api/v1/brands/{brand.id}/posts",
        json={
            "channel_id": channels["facebook"]["id"],
            "text": "Spring menu",
            "scheduled_at": when,
            "first_comment": "Order at https://acme.example/order",
        },
    )
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["post"]["first_comment"] == "Order at https://acme.example/order"

    refused = api["editor"].post(
        f"/api/v1/brands/{brand.id}/posts",
        json={
            "channel_id": channels["x"]["id"],
            "text": "Spring menu",
            "scheduled_at": z(next_weekday(2, 10)),
            "first_comment": "Order now",
        },
    )
    assert refused.status_code == 422
    assert "first comment" in refused.get_json()["error"]


def test_parts_over_the_platform_limits_are_refused_before_scheduling(api, brand, channels):
    too_long = api["editor"].post(
        f"/api/v1/brands/{brand.id}/posts",
        json={
            "channel_id": channels["x"]["id"],
            "text": "1/ fine",
            "scheduled_at": z(next_weekday(3, 10)),
            "parts": [{"text": "fine"}, {"text": "x" * 281}],
        },
    )
    assert too_long.status_code == 422
    assert any("Part 3" in e and "280" in e for e in too_long.get_json()["errors"])

    too_many = api["editor"].post(
        f"/api/v1/brands/{brand.id}/posts",
        json={
            "channel_id": channels["mastodon"]["id"],
            "text": "1/ fine",
            "scheduled_at": z(next_weekday(3, 11)),
            "parts": [{"text": f"part {n}"} for n in range(26)],
        },
    )
    assert too_many.status_code == 422
    assert "at most 25" in too_many.get_json()["error"]

    long_comment = api["editor"].post(
        f"/api/v1/brands/{brand.id}/posts",
        json={
            "channel_id": channels["facebook"]["id"],
            "text": "fine",
            "scheduled_at": z(next_weekday(3, 12)),
            "first_comment": "y" * 8001,
        },
    )
    assert long_comment.status_code == 422
    assert "8000" in long_comment.get_json()["error"]
    assert db.session.scalar(select(PostPart.id)) is None


def test_parts_of_a_published_post_cannot_change_but_a_failed_part_can_be_retried(
    api, brand, channels
):
    created = (
        api["editor"]
        .post(
            f"/api/v1/brands/{brand.id}/posts",
            json={
                "channel_id": channels["x"]["id"],
                "text": "1/ menu",
                "scheduled_at": z(next_weekday(4, 10)),
                "parts": [{"text": "2/ rye"}, {"text": "3/ honey"}],
            },
        )
        .get_json()["post"]
    )
    post = db.session.get(Post, created["id"])
    post.status = PostStatus.PUBLISHED.value
    first, second = post.parts
    first.state, first.remote_id = PartState.PUBLISHED.value, "tw2"
    second.state, second.error = PartState.FAILED.value, "X answered 403: duplicate content"
    db.session.commit()

    read = api["viewer"].get(f"/api/v1/posts/{post.id}").get_json()["post"]
    assert read["parts"][1]["error"] == "X answered 403: duplicate content"
    refused = api["editor"].patch(f"/api/v1/posts/{post.id}", json={"parts": []})
    assert refused.status_code == 422

    retried = api["editor"].post(f"/api/v1/posts/{post.id}/parts/retry")
    assert retried.status_code == 200, retried.get_json()
    assert [p["state"] for p in retried.get_json()["post"]["parts"]] == ["published", "pending"]
    assert retried.get_json()["post"]["parts"][1]["error"] is None
    again = api["editor"].post(f"/api/v1/posts/{post.id}/parts/retry")
    assert again.status_code == 422  # nothing failed any more


def test_csv_round_trip_keeps_threads_and_first_comments(client, users, brand, channels):
    login(client, "editor@example.com")
    monday = next_weekday(0, 9)
    rows = [
        {
            "channel": "Acme x",
            "text": "1/ Spring menu",
            "scheduled_at": z(monday),
            "thread": "2/ Rye with honey\n---\n3/ Order by Friday\nat the shop",
            "first_comment": "",
        },
        {
            "channel": "Acme facebook",
            "text": "Spring menu",
            "scheduled_at": z(monday),
            "thread": "",
            "first_comment": "=Order at acme.example",
        },
    ]
    response = upload(client, brand, csv_bytes(rows))
    assert response.status_code == 302, response.get_data(as_text=True)
    parts = db.session.execute(
        select(Post.text, PostPart.position, PostPart.kind, PostPart.text)
        .join(Post, Post.id == PostPart.post_id)
        .order_by(Post.id, PostPart.position)
    ).all()
    assert [tuple(p) for p in parts] == [
        ("1/ Spring menu", 1, "reply", "2/ Rye with honey"),
        ("1/ Spring menu", 2, "reply", "3/ Order by Friday\nat the shop"),
        ("Spring menu", 1, "comment", "=Order at acme.example"),
    ]

    exported = client.get(f"/brands/{brand.id}/posts/export.csv").get_data()
    records = {r["channel"]: r for r in csv.DictReader(io.StringIO(exported.decode()))}
    assert split_thread(records["Acme x"]["thread"]) == [
        "2/ Rye with honey",
        "3/ Order by Friday\nat the shop",
    ]
    assert records["Acme facebook"]["first_comment"] == "'=Order at acme.example"

    again = upload(client, brand, exported)
    assert again.status_code == 302, again.get_data(as_text=True)
    assert post_count() == 2
    assert all(post.version == 1 for post in db.session.scalars(select(Post)))

    # A changed thread in the file replaces the post's thread.
    changed = exported.decode().replace("3/ Order by Friday", "3/ Order by Thursday")
    assert upload(client, brand, changed.encode()).status_code == 302
    db.session.expire_all()
    texts = db.session.scalars(select(PostPart.text).order_by(PostPart.id)).all()
    assert "3/ Order by Thursday\nat the shop" in texts
    assert "3/ Order by Friday\nat the shop" not in texts


def test_csv_refuses_a_first_comment_on_a_thread_platform(client, users, brand, channels):
    login(client, "editor@example.com")
    rows = [
        {
            "channel": "Acme mastodon",
            "text": "Hello",
            "scheduled_at": z(next_weekday(2, 9)),
            "first_comment": "Not here",
        }
    ]
    response = upload(client, brand, csv_bytes(rows))
    assert response.status_code == 400
    assert "take no first comment" in response.get_data(as_text=True)
    assert post_count() == 0


def test_a_campaign_through_the_api_gives_each_channel_its_own_parts(api, brand, channels):
    response = api["editor"].post(
        f"/api/v1/brands/{brand.id}/groups",
        json={
            "text": "Tasting on Saturday",
            "channels": [
                {
                    "channel_id": channels["x"]["id"],
                    "parts": [{"text": "From ten"}, {"text": "Free cups"}],
                },
                {"channel_id": channels["facebook"]["id"], "first_comment": "Sign up inside"},
                channels["mastodon"]["id"],
            ],
            "queue": True,
        },
    )
    assert response.status_code == 201, response.get_json()
    posts = {p["channel_id"]: p for p in response.get_json()["group"]["posts"]}
    assert [p["text"] for p in posts[channels["x"]["id"]]["parts"]] == ["From ten", "Free cups"]
    assert posts[channels["facebook"]["id"]]["first_comment"] == "Sign up inside"
    assert posts[channels["mastodon"]["id"]]["parts"] == []
    assert posts[channels["mastodon"]["id"]]["first_comment"] is None

    refused = api["editor"].post(
        f"/api/v1/brands/{brand.id}/groups",
        json={
            "text": "Tasting",
            "channels": [{"channel_id": channels["facebook"]["id"], "parts": [{"text": "no"}]}],
            "queue": True,
        },
    )
    assert refused.status_code == 422
    assert "Acme facebook" in refused.get_json()["error"]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"parts": "one, two"}, "'parts' must be a list"),
        ({"parts": [{"text": 3}]}, "'parts' must be a list"),
        ({"first_comment": ["a"]}, "'first_comment' must be a string"),
    ],
)
def test_malformed_parts_are_refused_clearly(api, brand, channels, payload, message):
    response = api["editor"].post(
        f"/api/v1/brands/{brand.id}/posts",
        json={"channel_id": channels["x"]["id"], "text": "Hi", "draft": True, **payload},
    )
    assert response.status_code == 422
    assert message in response.get_json()["error"]
