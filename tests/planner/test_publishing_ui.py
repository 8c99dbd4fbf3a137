"""What a person does around publishing: channel credentials, the pause switch, approval,
unconfirmed posts, the post page, and the mail and webhook sent when a post fails."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from core.crypto import decrypt_json
from core.db import db
from core.models import AuditEntry, Role
from core.tenants import Brand
from planner import operations as ops
from planner.approval import ApprovalRefused, NeedsNewTime, approve_post
from planner.brands import create_brand
from planner.channels import create_channel
from planner.models import Channel, Post, PostStatus
from planner.pause import pause_brand, resume_brand
from planner.publishing.adapters import mastodon as mastodon_adapter
from planner.publishing.queue import claim_due_posts, sweep_missed_and_held
from planner.publishing.worker import run_worker
from tests.conftest import login

TOKEN = "tok-9f8e7d6c5b4a-very-secret"


def now() -> datetime:
    return datetime.now(UTC)


def reload(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def actions(object_type: str, object_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.object_type == object_type, AuditEntry.object_id == object_id)
            .order_by(AuditEntry.id)
        )
    )


@pytest.fixture
def channel(brand, users) -> Channel:
    channel = create_channel(db.session, brand, users["admin"], platform="mastodon")
    db.session.commit()
    return channel


def as_user(app, users, role: str):
    client = app.test_client()
    login(client, users[role].email)
    return client


def add_post(channel: Channel, when: datetime, status: PostStatus, **fields) -> Post:
    post = Post(channel=channel, text="Fresh bread today", scheduled_at=when, status=status.value)
    for key, value in fields.items():
        setattr(post, key, value)
    db.session.add(post)
    db.session.commit()
    return post


# --- credentials ------------------------------------------------------------------------------


def test_credentials_are_stored_encrypted_and_never_shown_back(app, users, channel):
    channel.needs_reauth = True
    db.session.commit()
    admin = as_user(app, users, "admin")

    response = admin.post(
        f"/channels/{channel.id}/credentials",
        data={"cred-base_url": "https://social.example", "cred-access_token": TOKEN},
    )
    assert response.status_code == 302

    channel = reload(Channel, channel.id)
    assert TOKEN not in channel.credentials_encrypted
    assert decrypt_json(channel.credentials_encrypted, app.config) == {
        "base_url": "https://social.example",
        "access_token": TOKEN,
    }
    assert channel.needs_reauth is False
    page = admin.get(f"/channels/{channel.id}").get_data(as_text=True)
    assert TOKEN not in page
    assert "Credentials set on" in page and "access_token" in page
    assert 'type="password" name="cred-access_token"' in page
    assert "must be connected again" not in page
    audit = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "channel.credentials_saved")
    ).one()
    assert TOKEN not in json.dumps(audit.detail)

    # An empty secret field keeps the stored secret; a changed public field is saved.
    admin.post(
        f"/channels/{channel.id}/credentials",
        data={"cred-base_url": "https://other.example", "cred-access_token": ""},
    )
    stored = decrypt_json(reload(Channel, channel.id).credentials_encrypted, app.config)
    assert stored == {"base_url": "https://other.example", "access_token": TOKEN}


def test_missing_required_credential_is_refused(app, users, channel):
    admin = as_user(app, users, "admin")
    response = admin.post(
        f"/channels/{channel.id}/credentials",
        data={"cred-base_url": "https://social.example"},
        follow_redirects=True,
    )
    assert "missing credentials for mastodon: access_token" in response.get_data(as_text=True)
    assert reload(Channel, channel.id).credentials_encrypted is None


def test_an_instance_address_the_worker_would_read_ambiguously_is_refused(app, users, channel):
    admin = as_user(app, users, "admin")
    response = admin.post(
        f"/channels/{channel.id}/credentials",
        data={
            "cred-base_url": "http://127.0.0.1:9000\\@social.example/",
            "cred-access_token": TOKEN,
        },
        follow_redirects=True,
    )
    assert "this address cannot be used" in response.get_data(as_text=True)
    assert "backslash" in response.get_data(as_text=True)
    assert reload(Channel, channel.id).credentials_encrypted is None


@pytest.mark.parametrize("role", ["editor", "approver", "viewer"])
def test_only_admins_change_credentials(app, users, channel, role):
    client = as_user(app, users, role)
    response = client.post(
        f"/channels/{channel.id}/credentials",
        data={"cred-base_url": "https://social.example", "cred-access_token": TOKEN},
    )
    assert response.status_code == 403
    assert reload(Channel, channel.id).credentials_encrypted is None


def test_channel_needing_reauth_is_flagged_on_its_page_and_in_the_calendar(app, users, channel):
    channel.needs_reauth = True
    db.session.commit()
    viewer = as_user(app, users, "viewer")
    assert "must be connected again" in viewer.get(f"/channels/{channel.id}").get_data(as_text=True)
    calendar = viewer.get(f"/brands/{channel.brand_id}/calendar").get_data(as_text=True)
    assert "Connect again:" in calendar


# --- pause and resume -------------------------------------------------------------------------


def test_paused_brand_holds_due_posts_and_resume_publishes_them_now(app, users, brand, channel):
    admin = as_user(app, users, "admin")
    response = admin.post(f"/brands/{brand.id}/pause", data={"reason": "Storm in the news"})
    assert response.status_code == 302
    brand = reload(Brand, brand.id)
    assert brand.paused_at is not None and brand.pause_reason == "Storm in the news"
    assert "Storm in the news" in admin.get(f"/brands/{brand.id}/calendar").get_data(as_text=True)

    due = add_post(channel, now() - timedelta(minutes=2), PostStatus.SCHEDULED)
    assert claim_due_posts(db.session, "w1", now(), 10) == []
    assert sweep_missed_and_held(db.session, "w1", now()) == {"held": 1, "missed": 0}
    db.session.commit()
    assert reload(Post, due.id).status == PostStatus.HELD
    page = admin.get(f"/brands/{brand.id}/publishing").get_data(as_text=True)
    assert f"/posts/{due.id}" in page and "Resume publishing" in page

    before = now()
    response = admin.post(f"/brands/{brand.id}/resume", data={"held": "now"})
    assert response.status_code == 302
    post = reload(Post, due.id)
    assert post.status == PostStatus.SCHEDULED and post.scheduled_at >= before - timedelta(
        seconds=1
    )
    assert reload(Brand, brand.id).paused_at is None
    # Still inside the brand's grace: the worker takes it.
    assert claim_due_posts(db.session, "w1", now() + timedelta(seconds=1), 10) == [post.id]
    assert "post.released" in actions("post", post.id)
    assert actions("brand", brand.id)[-2:] == ["brand.paused", "brand.resumed"]


def test_resume_moves_held_posts_to_the_next_free_slots_in_order(app, api, users, brand, channel):
    pause_brand(db.session, brand, users["admin"], "Product recall")
    first = add_post(channel, now() - timedelta(minutes=10), PostStatus.SCHEDULED)
    second = add_post(channel, now() - timedelta(minutes=5), PostStatus.SCHEDULED)
    sweep_missed_and_held(db.session, "w1", now())
    db.session.commit()
    assert reload(Post, first.id).status == reload(Post, second.id).status == PostStatus.HELD

    response = api["admin"].post(f"/api/v1/brands/{brand.id}/resume", json={"held": "requeue"})
    assert response.status_code == 200, response.get_json()
    assert [p["id"] for p in response.get_json()["released"]] == [first.id, second.id]

    first, second = reload(Post, first.id), reload(Post, second.id)
    assert first.status == second.status == PostStatus.SCHEDULED
    assert now() < first.scheduled_at < second.scheduled_at
    # Each took a slot that was free when it was placed.
    assert second.scheduled_at - first.scheduled_at >= timedelta(minutes=channel.min_gap_minutes)
    assert ops.check_time(db.session, channel, first.scheduled_at, exclude_post_id=first.id).ok


def test_pause_needs_a_reason_and_an_admin(app, users, brand, api):
    assert (
        api["editor"].post(f"/api/v1/brands/{brand.id}/pause", json={"reason": "x"}).status_code
        == 403
    )
    response = api["admin"].post(f"/api/v1/brands/{brand.id}/pause", json={"reason": " "})
    assert response.status_code == 422
    assert reload(Brand, brand.id).paused_at is None
    editor = as_user(app, users, "editor")
    assert editor.post(f"/brands/{brand.id}/pause", data={"reason": "x"}).status_code == 403
    response = api["admin"].post(f"/api/v1/brands/{brand.id}/pause", json={"reason": "Crisis"})
    assert response.status_code == 200 and response.get_json()["paused"] is True
    bad = api["admin"].post(f"/api/v1/brands/{brand.id}/resume", json={"held": "later"})
    assert bad.status_code == 422


# --- approval ---------------------------------------------------------------------------------


@pytest.fixture
def approval_brand(brand):
    brand.requires_approval = True
    brand.requires_two_people = True
    db.session.commit()
    return brand


def slot_after(channel: Channel, days: int = 1) -> datetime:
    return ops.next_free_slot(db.session, channel, now() + timedelta(days=days))


def test_editor_submits_and_another_approver_approves(app, api, users, approval_brand, channel):
    when = slot_after(channel)
    made = api["editor"].post(
        f"/api/v1/brands/{approval_brand.id}/posts",
        json={"channel_id": channel.id, "text": "New loaf", "scheduled_at": when.isoformat()},
    )
    post_id = made.get_json()["post"]["id"]
    assert made.get_json()["post"]["status"] == "pending_approval"
    assert api["editor"].post(f"/api/v1/posts/{post_id}/approve").status_code == 403

    waiting = as_user(app, users, "approver").get(f"/brands/{approval_brand.id}/approvals")
    assert "New loaf" in waiting.get_data(as_text=True)

    response = api["approver"].post(f"/api/v1/posts/{post_id}/approve", json={})
    assert response.status_code == 200, response.get_json()
    post = reload(Post, post_id)
    assert post.status == PostStatus.SCHEDULED and post.approved_by_id == users["approver"].id
    assert actions("post", post_id) == ["post.created", "post.approved"]


def test_approver_cannot_approve_own_post_when_two_people_are_required(
    app, api, users, approval_brand, channel
):
    made = api["approver"].post(
        f"/api/v1/brands/{approval_brand.id}/posts",
        json={"channel_id": channel.id, "text": "Mine", "queue": True},
    )
    post_id = made.get_json()["post"]["id"]
    assert made.get_json()["post"]["status"] == "pending_approval"
    refused = api["approver"].post(f"/api/v1/posts/{post_id}/approve", json={})
    assert refused.status_code == 403 and "two people" in refused.get_json()["error"]
    page = as_user(app, users, "approver").get(f"/posts/{post_id}").get_data(as_text=True)
    assert "another approver must approve it" in page
    assert api["admin"].post(f"/api/v1/posts/{post_id}/approve", json={}).status_code == 200


def test_late_approval_asks_for_a_new_time(app, api, users, approval_brand, channel):
    post = add_post(
        channel,
        now() - timedelta(minutes=1),
        PostStatus.PENDING_APPROVAL,
        author_id=users["editor"].id,
    )
    late = api["approver"].post(f"/api/v1/posts/{post.id}/approve", json={})
    assert late.status_code == 409 and "choose a new time" in late.get_json()["error"]
    assert reload(Post, post.id).status == PostStatus.PENDING_APPROVAL

    new_time = slot_after(channel)
    response = api["approver"].post(
        f"/api/v1/posts/{post.id}/approve", json={"scheduled_at": new_time.isoformat()}
    )
    assert response.status_code == 200, response.get_json()
    post = reload(Post, post.id)
    assert post.status == PostStatus.SCHEDULED and post.scheduled_at == new_time

    # The rule lives in the operation, not only in the API.
    other = add_post(channel, now() - timedelta(minutes=1), PostStatus.PENDING_APPROVAL)
    with pytest.raises(NeedsNewTime):
        approve_post(db.session, other, users["approver"], now=now())
    with pytest.raises(ApprovalRefused):
        other.author_id = users["approver"].id
        approve_post(db.session, other, users["approver"], now=now(), scheduled_at=new_time)
    db.session.rollback()


def test_rejection_needs_a_reason_and_returns_a_draft(app, api, users, approval_brand, channel):
    post = add_post(
        channel, slot_after(channel), PostStatus.PENDING_APPROVAL, author_id=users["editor"].id
    )
    assert api["approver"].post(f"/api/v1/posts/{post.id}/reject", json={}).status_code == 422
    assert (
        api["editor"].post(f"/api/v1/posts/{post.id}/reject", json={"reason": "no"}).status_code
        == 403
    )
    response = api["approver"].post(
        f"/api/v1/posts/{post.id}/reject", json={"reason": "Wrong price in the text"}
    )
    assert response.status_code == 200 and response.get_json()["post"]["status"] == "draft"
    page = as_user(app, users, "editor").get(f"/posts/{post.id}").get_data(as_text=True)
    assert "Wrong price in the text" in page
    shown = api["editor"].get(f"/api/v1/posts/{post.id}").get_json()
    assert shown["rejected"]["reason"] == "Wrong price in the text"
    assert actions("post", post.id)[-1] == "post.rejected"


def test_approve_from_the_waiting_page_with_a_new_time(app, users, approval_brand, channel):
    post = add_post(
        channel,
        now() - timedelta(hours=1),
        PostStatus.PENDING_APPROVAL,
        author_id=users["editor"].id,
    )
    approver = as_user(app, users, "approver")
    page = approver.get(f"/brands/{approval_brand.id}/approvals").get_data(as_text=True)
    assert "this time has passed" in page
    new_time = slot_after(channel).astimezone(approval_brand.zone)
    response = approver.post(
        f"/posts/{post.id}/approve",
        data={"scheduled_at": new_time.strftime("%Y-%m-%dT%H:%M"), "next": "approvals"},
    )
    assert response.status_code == 302
    post = reload(Post, post.id)
    assert post.status == PostStatus.SCHEDULED and post.scheduled_at == new_time


# --- unconfirmed posts and the post page ------------------------------------------------------


def test_unconfirmed_post_was_published(app, users, channel):
    post = add_post(
        channel,
        now() - timedelta(minutes=5),
        PostStatus.UNCONFIRMED,
        last_error="no answer within 10 s; the post may have been published",
    )
    editor = as_user(app, users, "editor")
    page = editor.get(f"/posts/{post.id}").get_data(as_text=True)
    assert "Check the platform before re-sending" in page
    assert "It was published" in page and "It was not published" in page

    assert (
        as_user(app, users, "viewer")
        .post(f"/posts/{post.id}/published", data={"public_url": "https://social.example/@a/1"})
        .status_code
        == 403
    )
    editor.post(f"/posts/{post.id}/published", data={"public_url": "https://social.example/@a/1"})
    post = reload(Post, post.id)
    assert post.status == PostStatus.PUBLISHED and post.public_url == "https://social.example/@a/1"
    page = editor.get(f"/posts/{post.id}").get_data(as_text=True)
    assert 'href="https://social.example/@a/1"' in page
    assert actions("post", post.id)[-1] == "post.confirmed_published"


def test_unconfirmed_post_was_not_published_goes_to_the_next_free_slot(app, users, channel):
    post = add_post(channel, now() - timedelta(minutes=5), PostStatus.UNCONFIRMED)
    expected = ops.next_free_slot(db.session, channel, now(), exclude_post_id=post.id)
    as_user(app, users, "editor").post(f"/posts/{post.id}/not-published")
    post = reload(Post, post.id)
    assert post.status == PostStatus.SCHEDULED and post.scheduled_at == expected


# --- notifications: a failed post is mailed to the brand's admins and posted to the webhook ---


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append(envelope)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def platform(make_httpserver):
    """The session's loopback HTTP server, cleared before and after: later tests share it."""
    make_httpserver.clear()
    mastodon_adapter.forget_instance_limits()
    yield make_httpserver
    make_httpserver.clear()
    mastodon_adapter.forget_instance_limits()


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


def test_failed_post_is_mailed_to_admins_and_sent_to_the_webhook(
    app, users, brand, channel, platform, smtp_server
):
    controller, inbox = smtp_server
    platform.expect_request("/api/v2/instance").respond_with_json(
        {"configuration": {"statuses": {"max_characters": 500}}}
    )
    platform.expect_request("/api/v1/statuses", method="POST").respond_with_json(
        {"error": "Validation failed: Text is a duplicate"}, status=422
    )
    platform.expect_request("/notify", method="POST").respond_with_data("ok")
    app.config.update(
        SMTP_HOST=controller.hostname,
        SMTP_PORT=controller.port,
        MAIL_FROM="pageone@bakery.example",
        NOTIFY_WEBHOOK_URL=platform.url_for("/notify"),
        BASE_URL="https://pageone.example",
    )
    admin = as_user(app, users, "admin")
    admin.post(
        f"/channels/{channel.id}/credentials",
        data={"cred-base_url": platform.url_for("").rstrip("/"), "cred-access_token": TOKEN},
    )
    post = add_post(channel, now() - timedelta(seconds=30), PostStatus.SCHEDULED)

    run_worker(app, "w1", once=True)

    post = reload(Post, post.id)
    assert post.status == PostStatus.FAILED and "duplicate" in post.last_error
    assert len(inbox.messages) == 1
    envelope = inbox.messages[0]
    assert envelope.rcpt_tos == [users["admin"].email]  # admins only, not editors or viewers
    body = envelope.content.decode()
    assert "Subject: Acme Bakery: a post to Mastodon failed" in body
    assert f"https://pageone.example/posts/{post.id}" in body
    assert TOKEN not in body

    (notify_request,) = [r for r, _ in platform.log if r.path == "/notify"]
    event = notify_request.get_json()
    assert event["event"] == "post.failed"
    assert event["post"]["id"] == post.id and "duplicate" in event["post"]["reason"]
    assert event["brand"]["name"] == "Acme Bakery"
    assert TOKEN not in notify_request.get_data(as_text=True)

    # The post page lists the attempt from the audit log, without the token.
    page = admin.get(f"/posts/{post.id}").get_data(as_text=True)
    assert "422" in page and "failed" in page and "duplicate" in page
    assert TOKEN not in page


def test_mail_failure_does_not_change_the_outcome(app, users, brand, channel, platform):
    platform.expect_request("/api/v2/instance").respond_with_json(
        {"configuration": {"statuses": {"max_characters": 500}}}
    )
    platform.expect_request("/api/v1/statuses", method="POST").respond_with_json(
        {"error": "Unauthorized"}, status=401
    )
    platform.expect_request("/notify", method="POST").respond_with_data("ok")
    # Nothing listens on the SMTP port: the mail fails, the webhook still goes out.
    app.config.update(
        SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), NOTIFY_WEBHOOK_URL=platform.url_for("/notify")
    )
    as_user(app, users, "admin").post(
        f"/channels/{channel.id}/credentials",
        data={"cred-base_url": platform.url_for("").rstrip("/"), "cred-access_token": TOKEN},
    )
    post = add_post(channel, now() - timedelta(seconds=30), PostStatus.SCHEDULED)

    run_worker(app, "w1", once=True)

    assert reload(Post, post.id).status == PostStatus.FAILED
    assert reload(Channel, channel.id).needs_reauth is True
    (notify_request,) = [r for r, _ in platform.log if r.path == "/notify"]
    assert notify_request.get_json()["event"] == "channel.needs_reauth"


def test_requeue_in_the_session_that_saw_the_worker_hold_on_postgresql(pg_app):
    """Called as another package would, in one session: the worker's holds (Core updates) must
    not leave stale posts that take the same slot twice."""
    from tests.conftest import create_user

    admin = create_user("admin@example.com", Role.ADMIN)
    brand = create_brand(db.session, name="Acme", timezone="Europe/Berlin", creator=admin)
    channel = create_channel(db.session, brand, admin, platform="mastodon")
    db.session.commit()
    pause_brand(db.session, brand, admin, "Crisis")
    posts = [add_post(channel, now() - timedelta(minutes=m), PostStatus.SCHEDULED) for m in (9, 3)]
    assert claim_due_posts(db.session, "w1", now(), 10) == []
    assert sweep_missed_and_held(db.session, "w1", now())["held"] == 2
    db.session.commit()

    released = resume_brand(db.session, brand, admin, "requeue")
    db.session.commit()

    assert [p.id for p in released] == [p.id for p in posts]
    times = [reload(Post, p.id).scheduled_at for p in posts]
    assert now() < times[0] < times[1]
    assert reload(Brand, brand.id).paused_at is None
