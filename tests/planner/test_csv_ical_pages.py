"""CSV import and export, the iCal feed, and the planner pages."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from core.db import db
from planner import operations as ops
from planner.brands import create_brand
from planner.channels import create_channel
from planner.models import Post
from tests.conftest import login
from tests.planner.test_api import next_weekday, z


@pytest.fixture
def mastodon(app, brand, users):
    channel = create_channel(
        db.session,
        brand,
        users["admin"],
        platform="mastodon",
        name="Toots",
        min_gap_minutes=60,
        max_per_day=3,
    )
    db.session.commit()
    return channel


def csv_bytes(rows: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO()
    names = list(dict.fromkeys(name for row in rows for name in row))
    writer = csv.DictWriter(buffer, fieldnames=names)
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def post_count() -> int:
    return db.session.scalar(select(func.count(Post.id)))


def upload(client, brand, data: bytes):
    return client.post(
        f"/brands/{brand.id}/posts/import",
        data={"file": (io.BytesIO(data), "posts.csv")},
        content_type="multipart/form-data",
    )


def test_import_writes_nothing_when_one_row_is_bad(client, users, brand, mastodon):
    login(client, "editor@example.com")
    monday = next_weekday(0, 9)
    rows = [
        {"channel_id": str(mastodon.id), "text": "fine", "scheduled_at": z(monday)},
        {
            "channel_id": str(mastodon.id),
            "text": "x" * 501,
            "scheduled_at": z(monday + timedelta(hours=2)),
        },
        {"channel_id": "424242", "text": "who?", "scheduled_at": z(monday + timedelta(hours=4))},
        {"channel": "Toots", "text": "bad time", "scheduled_at": "tomorrow-ish"},
        {
            "channel": "Toots",
            "text": "too close",
            "scheduled_at": z(monday + timedelta(minutes=20)),
        },
    ]
    response = upload(client, brand, csv_bytes(rows))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Nothing was imported" in page
    assert "Line 3:" in page and "500" in page
    assert "Line 4: channel_id 424242 is not a channel of this brand" in page
    assert "Line 5: scheduled_at “tomorrow-ish” is not an ISO 8601 time" in page
    assert "Line 6: closer than 60 min to line 2" in page
    assert post_count() == 0


def test_import_then_export_round_trip(client, users, brand, mastodon):
    login(client, "editor@example.com")
    monday = next_weekday(0, 9)
    rows = [
        {
            "channel": "toots",
            "text": f"Post {i}, with a comma",
            "link": "https://acme.example/p",
            "scheduled_at": (monday + timedelta(days=i))
            .astimezone(mastodon.zone)
            .strftime("%Y-%m-%d %H:%M"),
        }
        for i in range(5)
    ] + [
        {
            "channel": "Toots",
            "text": "=cmd|' /C calc'!A0",
            "link": "",
            "scheduled_at": "",
            "status": "draft",
        }
    ]
    response = upload(client, brand, csv_bytes(rows))
    assert response.status_code == 302, response.get_data(as_text=True)
    assert post_count() == 6
    first = db.session.scalar(
        select(Post).where(Post.scheduled_at.is_not(None)).order_by(Post.scheduled_at).limit(1)
    )
    # A time without an offset is read in the channel's time zone.
    assert first.scheduled_at == monday

    exported = client.get(f"/brands/{brand.id}/posts/export.csv")
    assert exported.mimetype == "text/csv"
    records = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert len(records) == 6
    assert records[0]["channel"] == "Toots" and records[0]["scheduled_at"] == z(monday)
    formula = next(r for r in records if "calc" in r["text"])
    assert formula["text"].startswith("'=")  # never runs as a spreadsheet formula

    # Re-importing the export changes nothing and duplicates nothing.
    again = upload(client, brand, exported.get_data())
    assert again.status_code == 302, again.get_data(as_text=True)
    assert post_count() == 6
    draft = db.session.scalar(select(Post).where(Post.status == "draft"))
    assert draft.text == "=cmd|' /C calc'!A0" and draft.version == 1


def test_import_refuses_files_that_are_not_utf8_or_have_no_header(client, users, brand, mastodon):
    login(client, "editor@example.com")
    response = upload(client, brand, "channel,text\nToots,caf\xe9".encode("latin-1"))
    assert response.status_code == 400 and "UTF-8" in response.get_data(as_text=True)
    response = upload(client, brand, b"foo,bar\n1,2\n")
    assert response.status_code == 400 and "header" in response.get_data(as_text=True)


def test_viewer_cannot_import(client, users, brand, mastodon):
    login(client, "viewer@example.com")
    response = upload(client, brand, b"channel,text\nToots,hi\n")
    assert response.status_code == 403


def test_ical_feed_lists_the_plan_and_needs_the_token(client, users, brand, mastodon, now):
    change = ops.create_post(
        db.session,
        mastodon,
        users["editor"],
        text="Launch day!\nSee you there.",
        queue=True,
        now=now,
    )
    db.session.commit()
    response = client.get(f"/ical/{brand.ical_token}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    assert events[0]["SUMMARY"] == "[Mastodon] Launch day! See you there."
    assert events[0].decoded("DTSTART") == change.post.scheduled_at
    assert client.get("/ical/not-the-token.ics").status_code == 404


def test_rotating_the_feed_address_retires_the_old_one(client, users, brand):
    login(client, "admin@example.com")
    old = brand.ical_token
    client.post(f"/brands/{brand.id}/ical/rotate")
    db.session.refresh(brand)
    assert brand.ical_token != old
    assert client.get(f"/ical/{old}.ics").status_code == 404


def test_pages_render_for_a_member(client, users, brand, mastodon):
    login(client, "viewer@example.com")
    for path in (
        "/brands",
        f"/brands/{brand.id}/calendar",
        f"/brands/{brand.id}/channels",
        f"/channels/{mastodon.id}",
        f"/brands/{brand.id}/settings",
        f"/brands/{brand.id}/posts/export.csv",
        "/account",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
    home = client.get("/")
    assert home.status_code == 200 and f"/brands/{brand.id}/home" in home.get_data(as_text=True)


def test_pages_of_other_brands_are_not_found(client, users, brand):
    other = create_brand(db.session, name="Hidden", timezone="UTC", creator=users["admin"])
    db.session.commit()
    login(client, "editor@example.com")
    response = client.get(f"/brands/{other.id}/calendar")
    assert response.status_code == 404 and b"not a member" in response.data


def test_windows_editor_explains_overlaps_and_keeps_the_old_windows(client, users, brand, mastodon):
    login(client, "admin@example.com")
    before = [(w.weekday, w.start_minute, w.end_minute) for w in mastodon.windows]
    response = client.post(
        f"/channels/{mastodon.id}",
        data={
            "action": "windows",
            "weekday": ["1", "1"],
            "start": ["09:00", "09:30"],
            "end": ["10:00", "11:00"],
            "weight": ["1", "1"],
        },
    )
    assert response.status_code == 400
    assert "overlap" in response.get_data(as_text=True).lower()
    db.session.refresh(mastodon)
    assert [(w.weekday, w.start_minute, w.end_minute) for w in mastodon.windows] == before

    response = client.post(
        f"/channels/{mastodon.id}",
        data={
            "action": "windows",
            "weekday": ["6"],
            "start": ["23:00"],
            "end": ["01:00"],
            "weight": ["1.5"],
        },
    )
    assert response.status_code == 302
    db.session.refresh(mastodon)
    assert [(w.weekday, w.start_minute, w.end_minute, w.weight) for w in mastodon.windows] == [
        (6, 23 * 60, 60, 1.5)
    ]


def test_brand_and_channel_forms_refuse_bad_input_with_messages(client, users, brand):
    login(client, "admin@example.com")
    response = client.post("/brands", data={"name": "New", "timezone": "Europe/Atlantis"})
    assert response.status_code == 400 and "Europe/Atlantis" in response.get_data(as_text=True)
    response = client.post(
        f"/brands/{brand.id}/channels",
        data={"platform": "x", "timezone": "UTC", "min_gap_minutes": "-5"},
    )
    assert response.status_code == 400
    response = client.post(
        f"/brands/{brand.id}/channels",
        data={
            "platform": "bluesky",
            "name": "Sky",
            "timezone": "UTC",
            "min_gap_minutes": "45",
            "max_per_day": "",
        },
    )
    assert response.status_code == 302
    channel = brand.channels[-1]
    db.session.refresh(channel)
    assert (channel.platform, channel.max_per_day, channel.min_gap_minutes) == ("bluesky", None, 45)


def test_demo_load_is_idempotent_and_fills_a_month(app, runner):
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0 and "demo@example.com" in result.output
    again = runner.invoke(args=["demo", "load", "--if-empty"])
    assert "not loaded" in again.output
    now = datetime.now(UTC)
    upcoming = db.session.scalar(
        select(func.count(Post.id)).where(Post.scheduled_at > now, Post.status == "scheduled")
    )
    past = db.session.scalar(select(func.count(Post.id)).where(Post.status == "published"))
    assert upcoming >= 8 and past >= 8
    # create_app adds a year of weekly search checks to the demo brand.
    from serp.models import SerpCheck, TrackedQuery

    assert db.session.scalar(select(func.count(TrackedQuery.id))) >= 1
    assert db.session.scalar(select(func.count(SerpCheck.id))) >= 52
