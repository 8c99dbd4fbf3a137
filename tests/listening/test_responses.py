"""The reply inbox: response targets, overdue alerts by real SMTP, replies through Mastodon."""

from __future__ import annotations

from datetime import timedelta
from email.header import decode_header, make_header

import pytest
from sqlalchemy import select

from core.crypto import encrypt_json
from core.db import db
from listening import inbox, replies, sla
from listening import operations as ops
from listening.models import Mention, MentionState
from planner.channels import create_channel
from tests.listening.conftest import NOW, add_mentions, item, make_source


@pytest.fixture
def mentions(app, brand, users):
    source = make_source(brand, users["editor"])
    add_mentions(
        brand,
        source,
        [
            item(1, text="Your staff were rude and the bread was awful."),  # negative: 1 h
            item(2, text="Do you bake gluten-free bread?"),  # question: 4 h
            item(3, text="Acme Bakery sponsors the city marathon."),  # other: 24 h
        ],
    )
    return {m.external_id: m for m in db.session.scalars(select(Mention))}


def test_targets_follow_the_brand_settings(app, brand, users, mentions):
    assert [mentions[f"item-{n}"].target_minutes for n in (1, 2, 3)] == [60, 240, 1440]
    ops.update_settings(db.session, brand, users["admin"], {"target_negative_minutes": 30})
    source = make_source(brand, users["editor"], url="https://example.com/other.xml")
    add_mentions(brand, source, [item(4, text="Terrible, awful, the worst bakery.")])
    late = db.session.scalar(select(Mention).where(Mention.external_id == "item-4"))
    assert late.target_minutes == 30 and late.due_at == NOW + timedelta(minutes=30)


def test_overdue_mentions_email_the_assignee_or_the_admins_once(app, brand, users, mentions, smtp):
    inbox.assign(db.session, mentions["item-2"], users["editor"], users["editor"].id)
    db.session.commit()
    # Before any target passes, nobody is alerted.
    assert sla.alert_overdue(app, NOW + timedelta(minutes=59)) == 0
    # At 3 a.m. local time as much as at noon: alerts go out at any hour.
    assert sla.alert_overdue(app, NOW + timedelta(hours=1)) == 1
    (first,) = smtp.messages
    assert first["To"] == "admin@example.com"
    assert "rude" in first.get_content() and "1 mention overdue" in first["Subject"]

    assert sla.alert_overdue(app, NOW + timedelta(hours=4, minutes=1)) == 1
    assert smtp.messages[-1]["To"] == "editor@example.com"
    assert "gluten-free" in smtp.messages[-1].get_content()
    # Once per mention: later rounds send nothing new.
    assert sla.alert_overdue(app, NOW + timedelta(hours=5)) == 0
    assert len(smtp.messages) == 2
    # A replied or dismissed mention is never overdue.
    inbox.set_state(db.session, mentions["item-3"], users["editor"], "no_action", NOW)
    db.session.commit()
    assert sla.alert_overdue(app, NOW + timedelta(days=2)) == 0


def test_the_overdue_mail_speaks_the_brands_language(app, brand, users, mentions, smtp):
    brand.language = "pl"
    db.session.commit()
    assert sla.alert_overdue(app, NOW + timedelta(hours=1)) == 1
    (mail,) = smtp.messages
    subject = str(make_header(decode_header(mail["Subject"])))
    assert subject == "1 wzmianka bez odpowiedzi po terminie (Acme Bakery)"
    body = mail.get_content()
    assert body.startswith("Te wzmianki przekroczyły docelowy czas odpowiedzi:")
    assert "negatywny, cel 60 min" in body and "rude" in body
    assert "passed their response-time target" not in body


def test_a_failed_mail_is_retried_at_the_next_round(app, brand, users, mentions, smtp):
    real_port = app.config["SMTP_PORT"]
    app.config["SMTP_PORT"] = 1  # nothing listens there
    assert sla.alert_overdue(app, NOW + timedelta(hours=1)) == 0
    app.config["SMTP_PORT"] = real_port
    assert sla.alert_overdue(app, NOW + timedelta(hours=1, minutes=1)) == 1
    assert len(smtp.messages) == 1


def test_response_times_against_targets(app, brand, users, mentions):
    replies.mark_replied(
        db.session, mentions["item-1"], users["editor"], "Sorry!", NOW + timedelta(minutes=30)
    )
    replies.mark_replied(
        db.session, mentions["item-2"], users["editor"], "Yes", NOW + timedelta(hours=5)
    )
    db.session.commit()
    figures = sla.response_figures(
        list(db.session.scalars(select(Mention))), NOW + timedelta(hours=6)
    )
    assert figures.replied == 2
    assert figures.median_minutes == (30 + 300) / 2
    assert figures.within_target_share == 0.5
    assert figures.open_overdue == 0
    assert mentions["item-1"].state == MentionState.REPLIED


@pytest.fixture
def mastodon_mention(app, brand, users, httpserver):
    channel = create_channel(
        db.session, brand, users["admin"], platform="mastodon", name="Acme on Mastodon"
    )
    channel.credentials_encrypted = encrypt_json(
        {"base_url": httpserver.url_for("/").rstrip("/"), "access_token": "secret-token"},
        app.config,
    )
    source = make_source(
        brand, users["editor"], kind="mastodon_tag", url=httpserver.url_for("/"), query="acme"
    )
    add_mentions(
        brand,
        source,
        [
            item(
                7,
                text="Does Acme deliver on Sundays?",
                platform="mastodon",
                platform_ref="1135",
                platform_base=httpserver.url_for("/").rstrip("/"),
            )
        ],
    )
    return db.session.scalar(select(Mention).where(Mention.external_id == "item-7"))


def test_a_reply_goes_to_mastodon_as_a_reply_to_the_original(
    app, users, mastodon_mention, httpserver
):
    httpserver.expect_request("/api/v2/instance").respond_with_json(
        {"configuration": {"statuses": {"max_characters": 500}}}
    )
    httpserver.expect_request(
        "/api/v1/statuses",
        method="POST",
        json={"status": "Yes, from 8 to 12!", "in_reply_to_id": "1135"},
        headers={"Authorization": "Bearer secret-token"},
    ).respond_with_json({"id": "2000", "url": "https://social.example/@acme/2000"})
    reply = replies.reply_on_platform(
        db.session,
        mastodon_mention,
        users["editor"],
        "Yes, from 8 to 12!",
        app.config,
        NOW + timedelta(minutes=20),
    )
    db.session.commit()
    assert reply.platform_id == "2000" and reply.via == "mastodon"
    assert mastodon_mention.state == "replied"
    assert mastodon_mention.response_minutes == 20
    httpserver.check_assertions()


def test_a_saved_reply_sent_unchanged_needs_confirmation(app, brand, users, mastodon_mention):
    saved = inbox.create_saved_reply(
        db.session, brand, users["editor"], "Opening hours", "We are open 8 to 12 on Sundays."
    )
    with pytest.raises(ops.UnchangedSavedReply, match="word for word"):
        replies.mark_replied(
            db.session,
            mastodon_mention,
            users["editor"],
            " We are open 8 to 12  on Sundays. ",
            NOW,
            saved_reply_id=saved.id,
        )
    reply = replies.mark_replied(
        db.session,
        mastodon_mention,
        users["editor"],
        "We are open 8 to 12 on Sundays.",
        NOW,
        saved_reply_id=saved.id,
        confirm_unchanged=True,
    )
    assert reply.unchanged_from_saved
    edited = replies.mark_replied(
        db.session,
        mastodon_mention,
        users["editor"],
        "Hi Ana! We are open 8 to 12 on Sundays.",
        NOW,
        saved_reply_id=saved.id,
    )
    assert not edited.unchanged_from_saved


def test_a_platform_refusal_leaves_the_mention_open(app, users, mastodon_mention, httpserver):
    httpserver.expect_request("/api/v2/instance").respond_with_json({})
    httpserver.expect_request("/api/v1/statuses", method="POST").respond_with_json(
        {"error": "Validation failed: Text can't be blank"}, status=422
    )
    with pytest.raises(ops.ListeningError, match="Validation failed"):
        replies.reply_on_platform(
            db.session, mastodon_mention, users["editor"], "x", app.config, NOW
        )
    assert mastodon_mention.state == "new" and mastodon_mention.first_reply_at is None
