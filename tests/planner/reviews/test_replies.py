"""Replying to reviews: placeholders, the approval rule, marking replied by hand, flags."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from core.db import db
from core.models import AuditEntry
from planner.operations import PlannerError
from planner.reviews import flags, replies
from planner.reviews.models import Review, ReviewSettings
from planner.reviews.reply_models import ReviewFlag, ReviewReply
from tests.conftest import login

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def review(external_id: str) -> Review:
    return db.session.scalar(select(Review).where(Review.external_id == external_id))


def set_rule(brand, approval: bool, two_people: bool = False) -> None:
    brand.requires_approval = approval
    brand.requires_two_people = two_people
    db.session.commit()


# --- placeholders and saved replies ---------------------------------------------------------


def test_placeholders_are_filled_for_the_review(brand, reviews):
    text = replies.fill_placeholders(
        "Hi {reviewer_name}, thanks for the {rating}★ on {source} for {brand}.",
        review("g2"),
        brand,
    )
    assert text == "Hi Tom, thanks for the 1★ on Google for Acme Bakery."


def test_a_reviewer_without_a_name_is_greeted_as_there(brand, reviews):
    nameless = review("g2")
    nameless.author = ""
    assert replies.fill_placeholders("Hi {reviewer_name}!", nameless, brand) == "Hi there!"


def test_an_unknown_placeholder_is_refused_naming_the_known_ones(brand, users, reviews):
    with pytest.raises(PlannerError) as refused:
        replies.fill_placeholders("Hi {first_name}", review("g2"), brand)
    message = refused.value.errors[0]
    assert message.startswith("Unknown placeholder {first_name}")
    assert "{reviewer_name}" in message
    with pytest.raises(PlannerError):
        replies.create_saved_reply(db.session, brand, users["editor"], "Hi", "Dear {name}")
    assert db.session.scalar(select(ReviewReply)) is None


def test_a_saved_reply_fills_the_editor_for_the_review(client, brand, users, reviews):
    saved = replies.create_saved_reply(
        db.session,
        brand,
        users["editor"],
        "Sorry",
        "Sorry, {reviewer_name}. {brand} will do better.",
    )
    db.session.commit()
    login(client, users["editor"].email)
    page = client.get(f"/brands/{brand.id}/reviews/{review('g2').id}/reply?saved={saved.id}")
    html = page.get_data(as_text=True)
    assert "Sorry, Tom. Acme Bakery will do better.</textarea>" in html


# --- the approval rule ----------------------------------------------------------------------


def test_without_approval_a_submitted_reply_is_approved_at_once(brand, users, reviews):
    set_rule(brand, approval=False)
    reply = replies.save_reply(
        db.session, brand, review("g2"), users["editor"], "We are sorry.", submit=True, now=NOW
    )
    assert reply.status == "approved"


def test_with_approval_an_editors_reply_waits_and_an_approver_approves_it(brand, users, reviews):
    set_rule(brand, approval=True)
    target = review("g2")
    reply = replies.save_reply(
        db.session, brand, target, users["editor"], "We are sorry.", submit=True, now=NOW
    )
    assert reply.status == "pending_approval"
    with pytest.raises(PlannerError, match="Only approvers"):
        replies.approve_reply(db.session, brand, target, users["editor"])
    assert [r.id for r, _ in replies.waiting_replies(db.session, brand)] == [reply.id]
    replies.approve_reply(db.session, brand, target, users["approver"])
    assert (reply.status, reply.approved_by_id) == ("approved", users["approver"].id)
    assert replies.waiting_replies(db.session, brand) == []


def test_under_two_people_nobody_approves_their_own_reply_but_an_admin_with_a_reason(
    brand, users, reviews
):
    set_rule(brand, approval=True, two_people=True)
    target = review("g2")
    replies.save_reply(db.session, brand, target, users["approver"], "Sorry.", submit=True, now=NOW)
    with pytest.raises(PlannerError, match="needs two people"):
        replies.approve_reply(db.session, brand, target, users["approver"])
    db.session.rollback()
    replies.save_reply(db.session, brand, target, users["admin"], "Sorry!", submit=True, now=NOW)
    with pytest.raises(PlannerError, match="stating why"):
        replies.approve_reply(db.session, brand, target, users["admin"])
    reply = replies.approve_reply(
        db.session, brand, target, users["admin"], override_reason="Nobody else is in today"
    )
    assert reply.status == "approved"
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "review.reply_approved")
    )
    assert entry.detail["own_reply_override"] == "Nobody else is in today"


def test_a_rejected_reply_goes_back_to_draft_with_the_reason(brand, users, reviews):
    set_rule(brand, approval=True)
    target = review("g2")
    replies.save_reply(db.session, brand, target, users["editor"], "Sorry.", submit=True, now=NOW)
    with pytest.raises(PlannerError, match="Say why"):
        replies.reject_reply(db.session, brand, target, users["approver"], "  ")
    reply = replies.reject_reply(db.session, brand, target, users["approver"], "Too short")
    assert reply.status == "draft"
    assert reply.last_error == "Rejected: Too short"


def test_a_do_not_phrase_refuses_submitting_but_the_draft_can_be_kept(brand, users, reviews):
    db.session.add(ReviewSettings(brand_id=brand.id, do_not_phrases="lawsuit"))
    db.session.commit()
    target = review("g2")
    with pytest.raises(PlannerError, match="do-not list"):
        replies.save_reply(
            db.session, brand, target, users["editor"], "No lawsuit please", submit=True, now=NOW
        )
    db.session.rollback()
    assert replies.reply_of(db.session, target) is None  # nothing half-written
    draft = replies.save_reply(
        db.session, brand, target, users["editor"], "No lawsuit please", submit=False, now=NOW
    )
    assert draft.status == "draft"
    assert [w["code"] for w in draft.warnings] == ["do_not"]


def test_other_voice_warnings_are_kept_for_the_approver(client, brand, users, reviews):
    set_rule(brand, approval=True)
    target = review("g2")
    replies.save_reply(
        db.session, brand, target, users["editor"], "We are SORRY.", submit=True, now=NOW
    )
    db.session.commit()
    login(client, users["approver"].email)
    page = client.get(f"/brands/{brand.id}/reviews/{target.id}/reply").get_data(as_text=True)
    assert "The voice guide warned when it was submitted" in page
    assert "reads as shouting" in page


# --- posting by hand ------------------------------------------------------------------------


def test_a_review_without_an_api_is_marked_replied_by_hand_after_approval(brand, users, reviews):
    set_rule(brand, approval=True)
    target = review("g3")
    target.source = "yelp"
    replies.save_reply(db.session, brand, target, users["editor"], "Danke!", submit=True, now=NOW)
    with pytest.raises(PlannerError, match="posted once it is approved"):
        replies.mark_replied_by_hand(db.session, brand, target, users["editor"], NOW)
    with pytest.raises(PlannerError, match="no API for replies"):
        replies.send_reply(db.session, brand, target, users["editor"], {}, NOW)
    replies.approve_reply(db.session, brand, target, users["approver"])
    reply = replies.mark_replied_by_hand(db.session, brand, target, users["editor"], NOW)
    assert reply.status == "manual"
    assert (target.reply_text, target.reply_at) == ("Danke!", NOW)
    with pytest.raises(PlannerError, match="replied to already"):
        replies.save_reply(db.session, brand, target, users["editor"], "x", submit=True, now=NOW)


def test_the_reply_page_offers_copy_and_open_for_a_site_without_an_api(
    client, brand, users, reviews
):
    target = review("g1")
    target.source = "yelp"
    replies.save_reply(db.session, brand, target, users["editor"], "Thanks!", submit=True, now=NOW)
    db.session.commit()
    login(client, users["editor"].email)
    page = client.get(f"/brands/{brand.id}/reviews/{target.id}/reply").get_data(as_text=True)
    assert "Yelp has no API for replies" in page
    assert 'data-copy-from="reply-copy"' in page
    assert 'id="open-review">Open the review on Yelp</a>' in page
    marked = client.post(f"/brands/{brand.id}/reviews/{target.id}/reply/mark-replied")
    assert marked.status_code == 303
    db.session.refresh(target)
    assert target.reply_text == "Thanks!"


def test_viewers_cannot_write_replies(client, brand, users, reviews):
    login(client, users["viewer"].email)
    url = f"/brands/{brand.id}/reviews/{review('g2').id}/reply"
    assert client.get(url).status_code == 200
    assert client.post(url, data={"text": "x", "action": "submit"}).status_code == 403


def test_a_refused_reply_keeps_the_typed_text_in_the_editor(client, brand, users, reviews):
    login(client, users["editor"].email)
    url = f"/brands/{brand.id}/reviews/{review('g2').id}/reply"
    answer = client.post(url, data={"text": "Dear {customer}, sorry.", "action": "submit"})
    assert answer.status_code == 400
    html = answer.get_data(as_text=True)
    assert "Unknown placeholder {customer}" in html
    assert "Dear {customer}, sorry.</textarea>" in html
    assert db.session.scalar(select(ReviewReply)) is None


# --- flags ----------------------------------------------------------------------------------


def test_a_flag_moves_from_flagged_to_reported_to_removed_and_the_review_stays(
    brand, users, reviews
):
    target = review("g2")
    with pytest.raises(PlannerError, match="Choose the guideline"):
        flags.flag_review(db.session, brand, target, users["editor"], "rude", "", NOW)
    flag = flags.flag_review(
        db.session, brand, target, users["editor"], "conflict_of_interest", "A competitor", NOW
    )
    assert flag.state == "flagged"
    assert flag.report_url == "https://support.google.com/business/answer/4596773"
    with pytest.raises(PlannerError, match="flagged already"):
        flags.flag_review(db.session, brand, target, users["editor"], "spam", "", NOW)
    with pytest.raises(PlannerError, match="can become reported or kept"):
        flags.move_flag(db.session, brand, target, users["editor"], "removed", NOW)
    flags.move_flag(db.session, brand, target, users["editor"], "reported", NOW)
    flags.move_flag(db.session, brand, target, users["editor"], "removed", NOW)
    assert (flag.state, flag.reported_at, flag.resolved_at) == ("removed", NOW, NOW)
    with pytest.raises(PlannerError, match="no open flag"):
        flags.move_flag(db.session, brand, target, users["editor"], "kept", NOW)
    db.session.commit()
    assert db.session.get(Review, target.id) is not None


def test_a_flagged_review_stays_in_the_inbox_with_its_badge(client, brand, users, reviews):
    target = review("g2")
    flags.flag_review(db.session, brand, target, users["editor"], "hate", "", NOW)
    db.session.commit()
    login(client, users["viewer"].email)
    page = client.get(f"/brands/{brand.id}/reviews").get_data(as_text=True)
    assert "Waited 40 minutes for a cold sandwich" in page
    assert 'class="flag-badge flagged"' in page
    only_unreplied = client.get(f"/brands/{brand.id}/reviews?needs_reply=1").get_data(as_text=True)
    assert "Waited 40 minutes for a cold sandwich" in only_unreplied


def test_flagging_through_the_page_and_a_bad_state(client, brand, users, reviews):
    login(client, users["editor"].email)
    target = review("g2")
    base = f"/brands/{brand.id}/reviews/{target.id}"
    assert client.post(f"{base}/flag", data={"reason": "spam"}).status_code == 303
    bad = client.post(f"{base}/flag/state", data={"state": "hidden"}, follow_redirects=True)
    assert "can become reported or kept" in bad.get_data(as_text=True)
    assert db.session.scalar(select(ReviewFlag.state)) == "flagged"


# --- the JSON API ---------------------------------------------------------------------------


def test_the_api_writes_submits_approves_and_marks_a_reply(api, brand, users, reviews):
    set_rule(brand, approval=True)
    target = review("g3")
    target.source = "yelp"
    db.session.commit()
    url = f"/api/v1/brands/{brand.id}/reviews/{target.id}/reply"
    answer = api["editor"].put(url, json={"text": "Danke, {reviewer_name}!", "submit": True})
    assert answer.status_code == 200, answer.json
    assert answer.json["reply"]["status"] == "pending_approval"
    assert answer.json["reply"]["text"] == "Danke, Jürgen!"
    assert api["editor"].post(f"{url}/approve", json={}).status_code == 403
    assert api["approver"].post(f"{url}/approve", json={}).json["reply"]["status"] == "approved"
    done = api["editor"].post(f"{url}/mark-replied")
    assert done.json["reply"]["status"] == "manual"
    assert api["viewer"].get(url).json["response_minutes"] is not None


@pytest.mark.parametrize(
    "body",
    [
        {"text": 5},
        {"text": "x", "submit": "yes"},
        {"text": "x", "saved_reply_id": "1"},
        {"text": "x", "saved_reply_id": 10**30},
        {},
    ],
)
def test_the_api_refuses_bad_reply_bodies_and_writes_nothing(api, brand, reviews, body):
    url = f"/api/v1/brands/{brand.id}/reviews/{review('g2').id}/reply"
    answer = api["editor"].put(url, json=body)
    assert answer.status_code == 422
    assert answer.json["error"]
    assert db.session.scalar(select(ReviewReply)) is None


def test_the_api_flags_and_moves_a_flag(api, brand, reviews):
    url = f"/api/v1/brands/{brand.id}/reviews/{review('g2').id}/flag"
    assert api["editor"].post(url, json={"reason": "nonsense"}).status_code == 422
    assert api["editor"].post(url, json={"reason": ["spam"]}).status_code == 422
    created = api["editor"].post(url, json={"reason": "spam", "note": "bot"})
    assert created.status_code == 201
    assert created.json["flag"]["state"] == "flagged"
    moved = api["editor"].patch(url, json={"state": "reported"})
    assert moved.json["flag"]["state"] == "reported"
    assert api["viewer"].patch(url, json={"state": "kept"}).status_code == 403


def test_a_review_of_another_brand_is_not_found(api, brand, reviews, users):
    from planner.brands import create_brand

    other = create_brand(db.session, name="Other", timezone="UTC", creator=users["admin"])
    db.session.commit()
    url = f"/api/v1/brands/{other.id}/reviews/{review('g2').id}/reply"
    assert api["admin"].get(url).status_code == 404
