"""The JSON API: channels and windows, posts at a time or in the queue, moves, the event feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.db import db
from planner.models import Post

BERLIN = ZoneInfo("Europe/Berlin")


def next_weekday(weekday: int, hour: int, minute: int = 0, zone=BERLIN) -> datetime:
    """The next local date-time on that weekday, at least a day ahead, as UTC."""
    day = datetime.now(zone).date() + timedelta(days=1)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone).astimezone(UTC)


def z(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


@pytest.fixture
def facebook(api, brand):
    response = api["admin"].post(
        f"/api/v1/brands/{brand.id}/channels",
        json={"platform": "facebook", "name": "Acme FB", "min_gap_minutes": 30, "max_per_day": 2},
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_new_channel_gets_the_platform_default_windows(facebook):
    assert facebook["timezone"] == "Europe/Berlin"
    assert facebook["windows"] == [
        {"weekday": 2, "start": "11:00", "end": "12:00", "weight": 1.0},
        {"weekday": 2, "start": "13:00", "end": "14:00", "weight": 1.0},
    ]


def test_unknown_platform_and_timezone_are_refused_with_a_message(api, brand):
    bad = api["admin"].post(f"/api/v1/brands/{brand.id}/channels", json={"platform": "myspace"})
    assert bad.status_code == 422 and "Unknown platform" in bad.get_json()["error"]
    bad = api["admin"].post(
        f"/api/v1/brands/{brand.id}/channels", json={"platform": "x", "timezone": "Mars/Olympus"}
    )
    assert bad.status_code == 422 and "Mars/Olympus" in bad.get_json()["error"]


def test_windows_editor_refuses_overlaps_and_empty_windows(api, facebook):
    url = f"/api/v1/channels/{facebook['id']}/windows"
    overlapping = {
        "windows": [
            {"weekday": 0, "start": "09:00", "end": "11:00"},
            {"weekday": 0, "start": "10:00", "end": "12:00"},
        ]
    }
    response = api["admin"].put(url, json=overlapping)
    assert response.status_code == 422 and "overlap" in response.get_json()["error"].lower()
    empty = {"windows": [{"weekday": 0, "start": "09:00", "end": "09:00"}]}
    response = api["admin"].put(url, json=empty)
    assert response.status_code == 422
    # Nothing changed after the refusals.
    assert len(api["admin"].get(url).get_json()["windows"]) == 2
    crossing = {"windows": [{"weekday": 4, "start": "22:00", "end": "01:00", "weight": 2}]}
    response = api["admin"].put(url, json=crossing)
    assert response.status_code == 200
    assert response.get_json()["windows"] == [
        {"weekday": 4, "start": "22:00", "end": "01:00", "weight": 2.0}
    ]


def test_add_to_queue_takes_the_next_free_slots(api, brand, facebook):
    url = f"/api/v1/brands/{brand.id}/posts"
    made = [
        api["editor"].post(
            url, json={"channel_id": facebook["id"], "text": f"Post {i}", "queue": True}
        )
        for i in range(3)
    ]
    assert [r.status_code for r in made] == [201, 201, 201]
    times = [datetime.fromisoformat(r.get_json()["post"]["scheduled_at"]) for r in made]
    local = [t.astimezone(BERLIN) for t in times]
    # Wednesday 11:00, then 30 min later (the gap); the daily maximum of 2 sends the third on.
    assert local[0].weekday() == 2 and (local[0].hour, local[0].minute) == (11, 0)
    assert times[1] - times[0] == timedelta(minutes=30)
    assert local[2].date() > local[1].date() and local[2].weekday() == 2
    assert all(r.get_json()["post"]["status"] == "scheduled" for r in made)


def test_post_text_over_the_platform_limit_is_refused(api, brand):
    x = api["admin"].post(f"/api/v1/brands/{brand.id}/channels", json={"platform": "x"}).get_json()
    url = f"/api/v1/brands/{brand.id}/posts"
    response = api["editor"].post(
        url, json={"channel_id": x["id"], "text": "a" * 281, "queue": True}
    )
    assert response.status_code == 422 and "280" in response.get_json()["error"]
    # CJK counts double on X: 140 characters are exactly at the limit.
    ok = api["editor"].post(url, json={"channel_id": x["id"], "text": "字" * 140, "queue": True})
    assert ok.status_code == 201


def test_instagram_needs_an_image(api, brand):
    ig = (
        api["admin"]
        .post(f"/api/v1/brands/{brand.id}/channels", json={"platform": "instagram"})
        .get_json()
    )
    url = f"/api/v1/brands/{brand.id}/posts"
    response = api["editor"].post(url, json={"channel_id": ig["id"], "text": "hi", "queue": True})
    assert response.status_code == 422 and "image" in response.get_json()["error"].lower()
    response = api["editor"].post(
        url,
        json={
            "channel_id": ig["id"],
            "text": "hi",
            "queue": True,
            "image_url": "https://img.example.com/a.jpg",
        },
    )
    assert response.status_code == 201


def test_moves_outside_a_window_warn_and_broken_gaps_are_refused(api, brand, facebook):
    url = f"/api/v1/brands/{brand.id}/posts"
    first = api["editor"].post(url, json={"channel_id": facebook["id"], "text": "A", "queue": True})
    second = api["editor"].post(
        url, json={"channel_id": facebook["id"], "text": "B", "queue": True}
    )
    first_post, second_post = first.get_json()["post"], second.get_json()["post"]
    first_at = datetime.fromisoformat(first_post["scheduled_at"])

    # 10 minutes after the other post: inside the 30-minute gap → 409 with the reason.
    refused = api["editor"].patch(
        f"/api/v1/posts/{second_post['id']}",
        json={"scheduled_at": z(first_at + timedelta(minutes=10))},
    )
    assert refused.status_code == 409
    assert "30" in refused.get_json()["error"]
    assert db.session.get(Post, second_post["id"]).scheduled_at == datetime.fromisoformat(
        second_post["scheduled_at"]
    )

    # A Monday evening is outside every window: allowed, with a warning.
    monday = next_weekday(0, 19)
    moved = api["editor"].patch(
        f"/api/v1/posts/{second_post['id']}", json={"scheduled_at": z(monday)}
    )
    assert moved.status_code == 200
    assert any("window" in w for w in moved.get_json()["warnings"])
    assert db.session.get(Post, second_post["id"]).scheduled_at == monday


def test_a_full_day_refuses_another_post(api, brand, facebook):
    url = f"/api/v1/brands/{brand.id}/posts"
    thursday = next_weekday(3, 9)
    for hour in (0, 1):
        response = api["editor"].post(
            url,
            json={
                "channel_id": facebook["id"],
                "text": "x",
                "scheduled_at": z(thursday + timedelta(hours=hour)),
            },
        )
        assert response.status_code == 201
    third = api["editor"].post(
        url,
        json={
            "channel_id": facebook["id"],
            "text": "x",
            "scheduled_at": z(thursday + timedelta(hours=3)),
        },
    )
    assert third.status_code == 422 and "at most 2 posts a day" in third.get_json()["error"]


def test_times_in_the_past_or_without_offset_are_refused(api, brand, facebook):
    url = f"/api/v1/brands/{brand.id}/posts"
    past = api["editor"].post(
        url,
        json={"channel_id": facebook["id"], "text": "x", "scheduled_at": "2020-01-01T10:00:00Z"},
    )
    assert past.status_code == 422 and "past" in past.get_json()["error"]
    naive = api["editor"].post(
        url, json={"channel_id": facebook["id"], "text": "x", "scheduled_at": "2030-01-01T10:00:00"}
    )
    assert naive.status_code == 422 and "offset" in naive.get_json()["error"]
    garbage = api["editor"].post(
        url, json={"channel_id": facebook["id"], "text": "x", "scheduled_at": "next tuesday"}
    )
    assert garbage.status_code == 422
    not_json = api["editor"].post(url, data="text", headers={"Content-Type": "text/plain"})
    assert not_json.status_code == 400 and not_json.is_json


def test_event_feed_has_posts_and_window_shading(api, brand, facebook):
    queued = (
        api["editor"]
        .post(
            f"/api/v1/brands/{brand.id}/posts",
            json={"channel_id": facebook["id"], "text": "Hello feed", "queue": True},
        )
        .get_json()["post"]
    )
    when = datetime.fromisoformat(queued["scheduled_at"])
    start, end = z(when - timedelta(days=3)), z(when + timedelta(days=3))
    events = (
        api["viewer"]
        .get(f"/api/v1/brands/{brand.id}/events?start={start}&end={end}&windows=1")
        .get_json()
    )
    posts = [e for e in events if e.get("display") != "background"]
    shading = [e for e in events if e.get("display") == "background"]
    assert [(p["id"], p["title"], p["start"]) for p in posts] == [
        (str(queued["id"]), "Hello feed", queued["scheduled_at"])
    ]
    assert posts[0]["color"] == "#1877f2" and posts[0]["extendedProps"]["platform"] == "facebook"
    # The week holds both Wednesday windows of the channel.
    assert len(shading) == 2
    assert {datetime.fromisoformat(e["start"]).astimezone(BERLIN).hour for e in shading} == {11, 13}
    other = (
        api["viewer"]
        .get(f"/api/v1/brands/{brand.id}/events?start={start}&end={end}&channel_id=999999")
        .get_json()
    )
    assert other == []


def test_next_slot_endpoint_and_cli_agree(app, api, runner, facebook):
    after = "2031-01-06T00:00:00Z"  # a Monday
    api_slot = (
        api["viewer"]
        .get(f"/api/v1/channels/{facebook['id']}/next-slot?after={after}")
        .get_json()["slot"]
    )
    result = runner.invoke(args=["planner", "next-slot", str(facebook["id"]), "--after", after])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == api_slot == "2031-01-08T10:00:00Z"  # Wed 11:00 Berlin


def test_delete_and_edit(api, brand, facebook):
    post = (
        api["editor"]
        .post(
            f"/api/v1/brands/{brand.id}/posts",
            json={"channel_id": facebook["id"], "text": "Draft", "draft": True},
        )
        .get_json()["post"]
    )
    assert post["status"] == "draft" and post["scheduled_at"] is None
    edited = api["editor"].patch(f"/api/v1/posts/{post['id']}", json={"text": "Better"})
    assert edited.get_json()["post"]["text"] == "Better"
    queued = api["editor"].patch(f"/api/v1/posts/{post['id']}", json={"queue": True}).get_json()
    assert queued["post"]["status"] == "scheduled" and queued["post"]["scheduled_at"]
    assert api["editor"].delete(f"/api/v1/posts/{post['id']}").status_code == 204
    assert api["editor"].get(f"/api/v1/posts/{post['id']}").status_code == 404


def test_published_posts_cannot_be_moved_or_deleted(api, brand, facebook):
    post_json = (
        api["editor"]
        .post(
            f"/api/v1/brands/{brand.id}/posts",
            json={"channel_id": facebook["id"], "text": "Done", "queue": True},
        )
        .get_json()["post"]
    )
    post = db.session.get(Post, post_json["id"])
    post.status = "published"
    db.session.commit()
    moved = api["editor"].patch(
        f"/api/v1/posts/{post.id}", json={"scheduled_at": z(next_weekday(2, 11, 30))}
    )
    assert moved.status_code == 409
    assert api["editor"].delete(f"/api/v1/posts/{post.id}").status_code == 422


def test_approval_flow_keeps_editor_posts_pending(api, brand, facebook):
    brand.requires_approval = True
    db.session.commit()
    post = (
        api["editor"]
        .post(
            f"/api/v1/brands/{brand.id}/posts",
            json={"channel_id": facebook["id"], "text": "Needs a yes", "queue": True},
        )
        .get_json()["post"]
    )
    assert post["status"] == "pending_approval"


def test_openapi_document_lists_the_endpoints(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    for path in (
        "/brands",
        "/brands/{brand_id}/posts",
        "/posts/{post_id}",
        "/channels/{channel_id}/windows",
        "/brands/{brand_id}/events",
    ):
        assert path in doc["paths"]
    for path_item in doc["paths"].values():
        for operation in path_item.values():
            for ref in _refs(operation):
                assert ref.split("/")[-1] in doc["components"]["schemas"]


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_api_errors_are_json_never_html(api):
    missing = api["admin"].get("/api/v1/nothing/here")
    assert missing.status_code == 404 and missing.is_json
    wrong_method = api["admin"].put("/api/v1/brands")
    assert wrong_method.is_json


def test_every_post_is_checked_against_the_do_not_list(api, brand, facebook):
    response = api["editor"].post(
        f"/api/v1/brands/{brand.id}/posts",
        json={
            "channel_id": facebook["id"],
            "text": "Get a 10% discount when you leave us a 5-star review!",
            "queue": True,
        },
    )
    assert response.status_code == 422
    assert "in exchange for a review" in response.get_json()["error"]


def test_compact_feed_carries_the_same_posts_as_the_event_feed(api, brand, facebook):
    for text in ("First  post\nwith a break", "x" * 200):
        api["editor"].post(
            f"/api/v1/brands/{brand.id}/posts",
            json={"channel_id": facebook["id"], "text": text, "queue": True},
        )
    query = f"start={z(datetime.now(UTC))}&end={z(datetime.now(UTC) + timedelta(days=40))}"
    full = api["viewer"].get(f"/api/v1/brands/{brand.id}/events?{query}").get_json()
    compact = (
        api["viewer"]
        .get(f"/api/v1/brands/{brand.id}/events?{query}&format=compact&windows=1")
        .get_json()
    )
    at = {name: i for i, name in enumerate(compact["fields"])}
    rows = sorted(compact["posts"], key=lambda row: row[at["id"]])
    assert [(str(r[at["id"]]), r[at["start"]], r[at["status"]]) for r in rows] == sorted(
        (e["id"], e["start"], e["extendedProps"]["status"]) for e in full
    )
    assert rows[0][at["text"]] == "First  post\nwith a break"  # the page folds and shortens
    assert len(rows[1][at["text"]]) == 160
    assert "scheduled" in compact["movable"] and "published" not in compact["movable"]
    assert compact["windows"] and all(w["display"] == "background" for w in compact["windows"])
