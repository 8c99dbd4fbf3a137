"""Why a post waited or did not, the two-person rule a small team can finish, retrying a failed
post, and what a CSV import says it did."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
from sqlalchemy import select

from core.db import db
from core.models import AuditEntry
from planner import operations as ops
from planner.approval import ApprovalRefused, approve_post, schedule_message
from planner.channels import create_channel
from planner.csvio import ImportReport, import_summary
from planner.models import Channel, Post, PostStatus
from tests.conftest import login


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def as_user(app, users, role: str):
    client = app.test_client()
    login(client, users[role].email)
    return client


@pytest.fixture
def channel(brand, users) -> Channel:
    channel = create_channel(
        db.session, brand, users["admin"], platform="mastodon", name="Acme on Mastodon"
    )
    db.session.commit()
    return channel


def queue(api, role: str, brand, channel) -> dict:
    answer = api[role].post(
        f"/api/v1/brands/{brand.id}/posts",
        json={"channel_id": channel.id, "text": "Fresh bread", "queue": True},
    )
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


# --- why a post waited or did not -------------------------------------------------------------


def test_an_admins_own_post_says_it_was_scheduled_without_approval_and_why(api, brand, channel):
    brand.requires_approval = True
    db.session.commit()
    made = queue(api, "admin", brand, channel)
    assert made["post"]["status"] == "scheduled"
    assert made["message"].startswith("Scheduled for ")
    assert made["message"].endswith(" without approval: you are an admin.")
    # A sentence for the calendar to add to its own "Added to the queue: …" line.
    assert made["approval"] == "It is scheduled without approval: you are an admin."


def test_an_editors_post_says_who_it_waits_for(api, brand, channel):
    brand.requires_approval = True
    db.session.commit()
    made = queue(api, "editor", brand, channel)
    assert made["post"]["status"] == "pending_approval"
    assert made["message"].startswith(
        "Waiting for approval by admin@example.com or approver@example.com; it goes out at "
    )
    assert made["approval"] == (
        "It waits for approval by admin@example.com or approver@example.com."
    )


def test_without_approval_the_message_is_just_the_time(api, brand, channel):
    made = queue(api, "editor", brand, channel)
    assert made["post"]["status"] == "scheduled"
    assert made["message"].startswith("Scheduled for ") and "approval" not in made["message"]
    assert made["approval"] is None


# --- the two-person rule ------------------------------------------------------------------------


@pytest.fixture
def two_people(brand):
    brand.requires_approval = True
    brand.requires_two_people = True
    db.session.commit()
    return brand


def test_with_two_people_the_message_names_who_else_can_approve(api, two_people, channel):
    made = queue(api, "admin", two_people, channel)
    assert made["post"]["status"] == "pending_approval"
    assert made["message"].startswith("Waiting for approval by approver@example.com;")


def test_the_only_approver_is_told_how_to_finish(users, two_people, channel, now):
    # The approver and editor leave: the admin is the brand's only approver.
    for role in ("approver", "editor", "viewer"):
        users[role].active = False
    post = ops.create_post(
        db.session, channel, users["admin"], text="Fresh bread", queue=True, now=now
    ).post
    message = schedule_message(db.session, post, users["admin"])
    assert "no other member of Acme Bakery can approve it: add an approver" in message
    assert "an admin approves it with a stated reason" in message
    with pytest.raises(ApprovalRefused, match="no other member can yet.*stating why"):
        approve_post(db.session, post, users["admin"], now=now)


def test_an_admin_approves_their_own_post_with_a_reason_and_the_audit_log_keeps_it(
    app, users, two_people, channel, now
):
    post = ops.create_post(
        db.session, channel, users["admin"], text="Fresh bread", queue=True, now=now
    ).post
    db.session.commit()
    admin = as_user(app, users, "admin")
    page = page_text(admin.get(f"/brands/{two_people.id}/approvals"))
    assert "approver@example.com can approve it, or you approve it yourself by stating why" in page
    assert 'name="override_reason"' in page

    refused = admin.post(
        f"/posts/{post.id}/approve", data={"next": "approvals"}, follow_redirects=True
    )
    assert "As an admin you may approve it yourself by stating why." in page_text(refused)
    db.session.expire_all()
    assert db.session.get(Post, post.id).status == PostStatus.PENDING_APPROVAL

    done = admin.post(
        f"/posts/{post.id}/approve",
        data={"next": "approvals", "override_reason": "Approver on holiday; bakery opens Monday"},
        follow_redirects=True,
    )
    assert "Approved: the post is scheduled for " in page_text(done)
    db.session.expire_all()
    stored = db.session.get(Post, post.id)
    assert stored.status == PostStatus.SCHEDULED and stored.approved_by_id == users["admin"].id
    entry = db.session.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "post.approved", AuditEntry.object_id == post.id
        )
    )
    assert entry.detail["own_post_override"] == "Approver on holiday; bakery opens Monday"


def test_an_approver_who_is_not_an_admin_cannot_override(users, two_people, channel, now):
    post = ops.create_post(
        db.session, channel, users["approver"], text="Fresh bread", queue=True, now=now
    ).post
    with pytest.raises(ApprovalRefused, match=r"another approver must approve your own post \("):
        approve_post(db.session, post, users["approver"], now=now, override_reason="I'm sure")
    assert post.status == PostStatus.PENDING_APPROVAL


def test_the_api_takes_the_override_reason(api, users, two_people, channel, now):
    post = ops.create_post(
        db.session, channel, users["admin"], text="Fresh bread", queue=True, now=now
    ).post
    db.session.commit()
    refused = api["admin"].post(f"/api/v1/posts/{post.id}/approve", json={})
    assert refused.status_code == 403
    assert "approver@example.com can" in refused.get_json()["error"]
    done = api["admin"].post(
        f"/api/v1/posts/{post.id}/approve", json={"override_reason": "Launch day"}
    )
    assert done.status_code == 200
    assert done.get_json()["message"].endswith("approved by admin@example.com.")


# --- retrying a failed post ------------------------------------------------------------------


def failed_post(channel: Channel, now: datetime, **fields) -> Post:
    post = Post(
        channel=channel,
        text="Fresh bread",
        scheduled_at=now - timedelta(hours=2),
        status=PostStatus.FAILED.value,
        attempts=5,
        last_error="mastodon answered 500",
        **fields,
    )
    db.session.add(post)
    db.session.commit()
    return post


def test_retry_puts_a_failed_post_in_the_next_free_slot_and_logs_it(
    app, users, brand, channel, now
):
    post = failed_post(channel, now)
    editor = as_user(app, users, "editor")
    page = page_text(editor.get(f"/brands/{brand.id}/publishing"))
    assert f'action="/posts/{post.id}/retry"' in page

    done = editor.post(f"/posts/{post.id}/retry", data={"scheduled_at": ""}, follow_redirects=True)
    assert "Retrying: Scheduled for " in page_text(done)
    db.session.expire_all()
    stored = db.session.get(Post, post.id)
    expected = ops.next_free_slot(db.session, channel, now, exclude_post_id=post.id)
    assert stored.status == PostStatus.SCHEDULED
    assert stored.scheduled_at == expected and stored.scheduled_at > now
    assert stored.attempts == 0 and stored.last_error is None and stored.next_attempt_at is None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "post.retried"))
    assert entry.object_id == post.id and entry.detail["previous_error"] == "mastodon answered 500"


def test_retry_at_a_chosen_time_is_checked_like_any_move(api, users, brand, channel, now):
    post = failed_post(channel, now)
    taken = failed_post(channel, now)
    when = (now + timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
    taken.status, taken.scheduled_at = PostStatus.SCHEDULED.value, when
    db.session.commit()

    too_close = api["editor"].post(
        f"/api/v1/posts/{post.id}/retry",
        json={"scheduled_at": (when + timedelta(minutes=10)).isoformat()},
    )
    assert too_close.status_code == 422
    assert "this channel needs at least 1 hour between posts" in too_close.get_json()["error"]
    db.session.expire_all()
    assert db.session.get(Post, post.id).status == PostStatus.FAILED

    later = when + timedelta(hours=2)
    done = api["editor"].post(
        f"/api/v1/posts/{post.id}/retry", json={"scheduled_at": later.isoformat()}
    )
    assert done.status_code == 200
    assert done.get_json()["post"]["status"] == "scheduled"
    db.session.expire_all()
    assert db.session.get(Post, post.id).scheduled_at == later.astimezone(UTC)


def test_only_a_failed_post_is_retried(api, users, channel, now):
    post = failed_post(channel, now)
    post.status = PostStatus.PUBLISHED.value
    db.session.commit()
    answer = api["editor"].post(f"/api/v1/posts/{post.id}/retry", json={})
    assert answer.status_code == 422
    assert answer.get_json()["error"] == (
        "Only a failed post can be retried; this one is published."
    )


def test_a_retried_post_waits_for_approval_unless_it_was_approved(users, brand, channel, now):
    brand.requires_approval = True
    unapproved = failed_post(channel, now)
    approved = failed_post(channel, now, approved_by_id=users["approver"].id)
    first = ops.retry_post(db.session, unapproved, users["editor"], now=now)
    second = ops.retry_post(db.session, approved, users["editor"], now=now)
    assert first.post.status == PostStatus.PENDING_APPROVAL
    assert second.post.status == PostStatus.SCHEDULED


# --- what a CSV import says ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("created", "updated", "unchanged", "waiting", "expected"),
    [
        (0, 0, 0, 0, "The file has no posts: nothing was imported."),
        (0, 0, 1, 0, "Nothing to import: the file's 1 post is unchanged."),
        (0, 0, 3, 0, "Nothing to import: the file's 3 posts are unchanged."),
        (1, 1, 0, 0, "Imported: 1 new post, 1 changed."),
        (2, 0, 5, 0, "Imported: 2 new posts, 5 unchanged."),
        (0, 3, 1, 0, "Imported: 3 changed, 1 unchanged."),
        (1, 0, 0, 1, "Imported: 1 new post. 1 new post waits for approval."),
        (4, 0, 0, 2, "Imported: 4 new posts. 2 new posts wait for approval."),
    ],
)
def test_the_import_summary_counts_with_correct_plurals(
    created, updated, unchanged, waiting, expected
):
    report = ImportReport(created=created, updated=updated, unchanged=unchanged, waiting=waiting)
    assert import_summary(report) == expected


def _upload(client, brand, body: str):
    return client.post(
        f"/brands/{brand.id}/posts/import",
        data={"file": (BytesIO(body.encode()), "posts.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def test_importing_an_unchanged_file_and_then_a_changed_one_says_what_happened(
    app, users, brand, channel, now
):
    first = (now + timedelta(days=2)).astimezone(channel.zone).replace(hour=9, minute=0)
    second = first + timedelta(days=1)
    one = ops.create_post(
        db.session, channel, users["editor"], text="One", scheduled_at=first, now=now
    ).post
    two = ops.create_post(
        db.session, channel, users["editor"], text="Two", scheduled_at=second, now=now
    ).post
    db.session.commit()
    editor = as_user(app, users, "editor")
    exported = editor.get(f"/brands/{brand.id}/posts/export.csv").get_data(as_text=True)

    same = _upload(editor, brand, exported)
    assert "Nothing to import: the file's 2 posts are unchanged." in page_text(same)

    changed = exported.replace(",One,", ",One (fresh),")
    third = (second + timedelta(days=1)).isoformat()
    changed += f",{channel.id},,Three,,,{third},scheduled,,\r\n"
    done = _upload(editor, brand, changed)
    assert "Imported: 1 new post, 1 changed, 1 unchanged." in page_text(done)
    db.session.expire_all()
    assert db.session.get(Post, one.id).text == "One (fresh)"
    assert db.session.get(Post, two.id).text == "Two"
