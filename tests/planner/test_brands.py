"""Brands and channels as people name, archive and delete them."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.db import db
from core.models import AuditEntry, Role
from core.tenants import BRAND_NAME_MAX, Brand, BrandMember
from listening import jobs as listening_jobs
from listening.models import MentionSource
from planner import operations as ops
from planner.brands import archive_brand, create_brand, unarchive_brand
from planner.channels import create_channel
from planner.models import CHANNEL_NAME_MAX, Channel, EngagementWindow, Post, PostStatus
from planner.publishing.queue import claim_due_posts
from serp.checks import claim_due_checks
from serp.jobs import postpone_archived_checks
from serp.models import TrackedQuery
from tests.conftest import create_user, login


def as_user(app, users, role: str):
    client = app.test_client()
    login(client, users[role].email)
    return client


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- names --------------------------------------------------------------------------------------


def test_the_name_columns_are_as_long_as_the_limits_the_forms_and_api_enforce():
    assert Brand.__table__.c.name.type.length == BRAND_NAME_MAX
    assert Channel.__table__.c.name.type.length == CHANNEL_NAME_MAX


def test_a_ten_thousand_character_brand_name_is_refused_everywhere(app, users, brand, api):
    long_name = "B" * 10_000
    with pytest.raises(ops.PlannerError, match="10,000 characters long; keep it to 120"):
        create_brand(db.session, name=long_name, timezone="UTC", creator=users["admin"])
    db.session.rollback()

    answer = api["admin"].post("/api/v1/brands", json={"name": long_name, "timezone": "UTC"})
    assert answer.status_code == 422
    assert answer.get_json()["error"] == (
        "The brand name is 10,000 characters long; keep it to 120 or fewer."
    )

    admin = as_user(app, users, "admin")
    page = admin.post("/brands", data={"name": long_name, "timezone": "UTC"})
    assert page.status_code == 400
    assert "Keep the brand name to 120 characters or fewer." in page_text(page)
    settings = admin.post(
        f"/brands/{brand.id}/settings",
        data={"name": long_name, "timezone": "UTC", "grace_minutes": "60"},
    )
    assert settings.status_code == 400
    assert "Keep the brand name to 120 characters or fewer." in page_text(settings)
    db.session.expire_all()
    assert db.session.scalars(select(Brand.name)).all() == ["Acme Bakery"]
    # The name field stops typing at the limit in the browser as well.
    assert f'maxlength="{BRAND_NAME_MAX}"' in page_text(admin.get("/brands"))


def test_a_name_of_exactly_the_limit_is_kept_whole(users, app):
    name = "N" * BRAND_NAME_MAX
    brand = create_brand(db.session, name=f"  {name}  ", timezone="UTC", creator=users["admin"])
    db.session.commit()
    assert db.session.get(Brand, brand.id).name == name


def test_a_long_channel_name_is_refused_in_the_form_the_api_and_the_csv(app, users, brand, api):
    long_name = "C" * (CHANNEL_NAME_MAX + 1)
    answer = api["admin"].post(
        f"/api/v1/brands/{brand.id}/channels", json={"platform": "x", "name": long_name}
    )
    assert answer.status_code == 422
    assert "121 characters long; keep it to 120" in answer.get_json()["error"]
    admin = as_user(app, users, "admin")
    page = admin.post(
        f"/brands/{brand.id}/channels",
        data={"platform": "x", "name": long_name, "timezone": "UTC", "min_gap_minutes": "60"},
    )
    assert page.status_code == 400
    assert "Keep the channel name to 120 characters or fewer." in page_text(page)
    assert count(Channel) == 0

    create_channel(db.session, brand, users["admin"], platform="x", name="Acme on X")
    db.session.commit()
    csv_file = f"channel,text,status\n{long_name},Hello,draft\n".encode()
    from io import BytesIO

    imported = admin.post(
        f"/brands/{brand.id}/posts/import",
        data={"file": (BytesIO(csv_file), "posts.csv")},
        content_type="multipart/form-data",
    )
    assert imported.status_code == 400
    assert "the channel name is 121 characters long; channel names have at most 120" in (
        page_text(imported)
    )


# --- a channel's name is never substituted --------------------------------------------------------


def test_a_channel_without_a_name_is_refused_with_a_message_not_called_facebook(
    app, users, brand, api
):
    admin = as_user(app, users, "admin")
    page = admin.post(
        f"/brands/{brand.id}/channels",
        data={"platform": "facebook", "name": "   ", "timezone": "UTC", "min_gap_minutes": "60"},
    )
    assert page.status_code == 400
    assert "Give the channel a name." in page_text(page)
    assert count(Channel) == 0

    blank = api["admin"].post(
        f"/api/v1/brands/{brand.id}/channels", json={"platform": "facebook", "name": ""}
    )
    assert blank.status_code == 422
    assert blank.get_json()["error"] == "Give the channel a name."
    assert count(Channel) == 0

    channel = create_channel(db.session, brand, users["admin"], platform="x", name="Acme on X")
    db.session.commit()
    renamed = admin.post(
        f"/channels/{channel.id}",
        data={"name": "", "timezone": "UTC", "min_gap_minutes": "60", "max_per_day": "3"},
    )
    assert renamed.status_code == 400
    assert "Give the channel a name." in page_text(renamed)
    db.session.expire_all()
    assert db.session.get(Channel, channel.id).name == "Acme on X"


def test_the_api_documents_that_an_omitted_channel_name_is_the_platforms(api, brand):
    made = api["admin"].post(f"/api/v1/brands/{brand.id}/channels", json={"platform": "mastodon"})
    assert made.status_code == 201
    assert made.get_json()["name"] == "Mastodon"
    assert "the platform's name" in page_text(api["admin"].get("/api/v1/openapi.json"))


# --- archive ----------------------------------------------------------------------------------


@pytest.fixture
def channel(brand, users) -> Channel:
    channel = create_channel(db.session, brand, users["admin"], platform="mastodon", name="M")
    db.session.commit()
    return channel


def test_an_archived_brand_leaves_the_switcher_and_comes_back_when_unarchived(app, users, brand):
    other = create_brand(db.session, name="Other Shop", timezone="UTC", creator=users["admin"])
    db.session.commit()
    admin = as_user(app, users, "admin")
    archived = admin.post(f"/brands/{brand.id}/archive", follow_redirects=True)
    assert "Acme Bakery is archived" in page_text(archived)

    listing = page_text(admin.get("/brands"))
    switcher = listing.split('<nav class="brands-nav">')[1].split("</nav>")[0]
    assert "Acme Bakery" not in switcher and "Other Shop" in switcher
    assert "Show 1 archived brand" in listing
    home = page_text(admin.get("/"))  # the overview lists the brands still in use
    assert "Other Shop" in home and f"/brands/{other.id}/" in home and "Acme Bakery" not in home
    shown = page_text(admin.get("/brands?archived=1"))
    assert 'id="archived-brands"' in shown and "Acme Bakery" in shown
    assert [b["name"] for b in admin.get("/api/v1/brands").get_json()["brands"]] == ["Other Shop"]
    every = admin.get("/api/v1/brands?archived=1").get_json()["brands"]
    assert {b["name"]: b["archived"] for b in every} == {"Acme Bakery": True, "Other Shop": False}

    admin.post(f"/brands/{brand.id}/unarchive", data={"next": "brands"})
    db.session.expire_all()
    assert db.session.get(Brand, brand.id).archived_at is None
    assert [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))][
        -2:
    ] == ["brand.archived", "brand.unarchived"]


def test_only_admins_archive(app, users, brand):
    editor = as_user(app, users, "approver")
    assert editor.post(f"/brands/{brand.id}/archive").status_code == 403
    db.session.expire_all()
    assert db.session.get(Brand, brand.id).archived_at is None


def test_the_worker_claims_no_post_of_an_archived_brand(app, users, brand, channel, now):
    due = Post(
        channel=channel,
        text="Fresh bread",
        scheduled_at=now - timedelta(minutes=1),
        status=PostStatus.SCHEDULED.value,
    )
    db.session.add(due)
    archive_brand(db.session, brand, users["admin"], now=now)
    db.session.commit()
    assert claim_due_posts(db.session, "w1", now, 10) == []
    db.session.rollback()

    unarchive_brand(db.session, brand, users["admin"])
    db.session.commit()
    assert claim_due_posts(db.session, "w1", now, 10) == [due.id]


def test_an_archived_brand_refuses_new_scheduled_posts_but_keeps_its_data(
    users, brand, channel, now
):
    archive_brand(db.session, brand, users["admin"], now=now)
    db.session.commit()
    with pytest.raises(ops.PlannerError, match="Acme Bakery is archived and publishes nothing"):
        ops.create_post(db.session, channel, users["admin"], text="Hi", queue=True, now=now)
    db.session.rollback()
    draft = ops.create_post(db.session, channel, users["admin"], text="Hi", draft=True, now=now)
    db.session.commit()
    assert draft.post.status == PostStatus.DRAFT


def test_search_checks_of_an_archived_brand_are_not_claimed_until_it_is_unarchived(
    users, brand, now
):
    other = create_brand(db.session, name="Other Shop", timezone="UTC", creator=users["admin"])
    archived_query = TrackedQuery(brand_id=brand.id, text="acme", next_check_at=now - timedelta(1))
    live_query = TrackedQuery(brand_id=other.id, text="other", next_check_at=now - timedelta(1))
    db.session.add_all([archived_query, live_query])
    archive_brand(db.session, brand, users["admin"], now=now)
    db.session.commit()

    assert postpone_archived_checks(db.session, now) == 1
    assert claim_due_checks(db.session, "w1", now, 10) == [live_query.id]
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(TrackedQuery, archived_query.id).next_check_at > now + timedelta(
        minutes=5
    )

    unarchive_brand(db.session, brand, users["admin"])
    db.session.commit()
    later = now + timedelta(minutes=7)
    assert postpone_archived_checks(db.session, later) == 0
    assert claim_due_checks(db.session, "w2", later, 10) == [archived_query.id]


def test_listening_does_not_poll_the_sources_of_an_archived_brand(app, users, brand, httpserver):
    feed = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        b"<item><title>Acme is great</title><link>https://news.example/1</link></item>"
        b"</channel></rss>"
    )
    httpserver.expect_request("/feed.xml").respond_with_data(
        feed, content_type="application/rss+xml"
    )
    source = MentionSource(
        brand_id=brand.id, kind="rss", name="News", url=httpserver.url_for("/feed.xml")
    )
    db.session.add(source)
    at = datetime(2026, 12, 1, 9, tzinfo=UTC)
    archive_brand(db.session, brand, users["admin"], now=at)
    db.session.commit()

    assert listening_jobs.poll_due_sources(app, at) == []
    assert len(httpserver.log) == 0

    unarchive_brand(db.session, brand, users["admin"])
    db.session.commit()
    results = listening_jobs.poll_due_sources(app, at + timedelta(minutes=1))
    assert [r["source"] for r in results] == [source.id]
    assert len(httpserver.log) == 1


# --- delete -----------------------------------------------------------------------------------


def _fill(brand, channel, users, now) -> None:
    db.session.add(
        Post(channel=channel, text="x", scheduled_at=now + timedelta(days=1), status="scheduled")
    )
    db.session.add(TrackedQuery(brand_id=brand.id, text="acme bakery"))
    db.session.add(
        MentionSource(brand_id=brand.id, kind="rss", name="News", url="https://n.example/f")
    )
    db.session.commit()


def test_deleting_needs_an_admin_and_the_exact_name(app, users, brand, channel, now):
    _fill(brand, channel, users, now)
    approver = as_user(app, users, "approver")
    assert (
        approver.post(
            f"/brands/{brand.id}/delete", data={"delete-confirm_name": "Acme Bakery"}
        ).status_code
        == 403
    )
    admin = as_user(app, users, "admin")
    wrong = admin.post(
        f"/brands/{brand.id}/delete",
        data={"delete-confirm_name": "acme bakery"},
        follow_redirects=True,
    )
    assert "Type the brand's name exactly as it is (“Acme Bakery”) to delete it; nothing was " in (
        page_text(wrong)
    )
    empty = admin.post(f"/brands/{brand.id}/delete", data={}, follow_redirects=True)
    assert "Type the brand's name to confirm; nothing was deleted." in page_text(empty)
    db.session.expire_all()
    assert count(Brand) == 1 and count(Post) == 1 and count(TrackedQuery) == 1


def _delete_and_check(app, users, brand, channel, now) -> None:
    _fill(brand, channel, users, now)
    brand_id = brand.id
    admin = as_user(app, users, "admin")
    page = page_text(admin.get(f"/brands/{brand_id}/settings"))
    assert 'id="delete-brand"' in page and 'id="archive-brand"' in page
    done = admin.post(
        f"/brands/{brand_id}/delete",
        data={"delete-confirm_name": " Acme Bakery "},
        follow_redirects=True,
    )
    assert done.status_code == 200
    assert "Acme Bakery and everything under it were deleted." in page_text(done)
    db.session.expire_all()
    for model in (Brand, BrandMember, Channel, EngagementWindow, Post, TrackedQuery, MentionSource):
        assert count(model) == 0, model
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "brand.deleted"))
    assert entry.brand_id == brand_id and entry.actor.endswith(users["admin"].email)
    assert entry.detail == {
        "name": "Acme Bakery",
        "slug": "acme-bakery",
        "channels": 1,
        "posts": 1,
    }


def test_deleting_a_brand_removes_everything_under_it_and_the_audit_entry_stays(
    app, users, brand, channel, now
):
    _delete_and_check(app, users, brand, channel, now)


def test_deleting_a_brand_on_postgresql_cascades_in_one_transaction(pg_app, now):
    admin = create_user("admin@example.com", Role.ADMIN)
    users = {"admin": admin}
    brand = create_brand(db.session, name="Acme Bakery", timezone="UTC", creator=admin)
    channel = create_channel(db.session, brand, admin, platform="x", name="Acme on X")
    db.session.commit()
    _delete_and_check(pg_app, users, brand, channel, now)
