"""Replying to reviews and flagging them, in a real browser: an editor writes a reply with the
voice guide's warnings shown as they type, an approver approves it, the editor copies it and
marks it replied; a review that breaks the site's guidelines is flagged and stays visible."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import BROWSER_TIMEZONE, LiveServer, add_member

pytestmark = pytest.mark.browser

SHOTS = Path("/work/wt/shots")
PASSWORD = "correct horse battery staple 9"


def log_in_as(page: Any, server: LiveServer, email: str, password: str) -> None:
    page.goto(f"{server.url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    assert "/login" not in page.url, page.locator("main").inner_text()


def shoot(page: Any, name: str) -> None:
    """Desktop and phone screenshots of the page as it is now."""
    if not SHOTS.is_dir():
        return
    for width, label in ((1280, "desktop"), (390, "phone")):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"review-replies-{name}-{label}.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})


def set_up(server: LiveServer, *, approval: bool) -> int:
    """Approval on or off for the demo brand, a voice guide, and the first review waiting for a
    reply (its id)."""
    from sqlalchemy import select

    from core.db import db
    from core.tenants import Brand
    from planner.reviews.inbox import negative_clause, unreplied_clause
    from planner.reviews.models import Review
    from planner.reviews.reply_models import VoiceGuide

    with server.app.app_context():
        brand = db.session.get(Brand, server.brand_id)
        brand.requires_approval = approval
        db.session.add(
            VoiceGuide(
                brand_id=brand.id,
                audience="Coffee lovers in the neighbourhood",
                tone="Warm, plain, specific. Say sorry once and say what changes.",
                words_to_avoid="unfortunately\nno problem",
                approvals="Replies to 1★ and 2★ reviews: the shift manager approves.",
                image_rules="Only our own photos, or stock with a licence on file.",
                approved_domains="northwind.example",
                disclosure_tags="#ad",
            )
        )
        review_id = db.session.scalar(
            select(Review.id)
            .where(Review.brand_id == brand.id, negative_clause(), unreplied_clause())
            .order_by(Review.created_at.desc())
            .limit(1)
        )
        db.session.commit()
    return review_id


def test_a_reply_is_written_with_live_checks_approved_and_marked_replied(
    live_server: LiveServer, page: Any, browser: Any
):
    review_id = set_up(live_server, approval=True)
    add_member(live_server, "editor@e2e.example", PASSWORD, "editor")
    add_member(live_server, "approver@e2e.example", PASSWORD, "approver")
    reply_url = f"{live_server.url}/brands/{live_server.brand_id}/reviews/{review_id}/reply"

    log_in_as(page, live_server, "editor@e2e.example", PASSWORD)
    page.goto(f"{live_server.url}/brands/{live_server.brand_id}/reviews?needs_reply=1")
    page.locator(f'a[href$="/reviews/{review_id}/reply"]').first.click()
    page.wait_for_url(reply_url)

    editor = page.locator("#reply-text")
    editor.fill("Unfortunately we were SLOW. See https://elsewhere.example/sorry")
    warnings = page.locator("#voice-warnings li")
    warnings.filter(has_text="reads as shouting").wait_for()
    texts = warnings.all_inner_texts()
    assert any("words to avoid" in t for t in texts), texts
    assert any("elsewhere.example, which is not one of the brand's approved" in t for t in texts)
    shoot(page, "editor")

    editor.fill("Hi {reviewer_name}, we are sorry about the wait. The new rota starts Monday.")
    page.locator("#voice-warnings li.voice-ok").wait_for()
    with page.expect_navigation():
        page.get_by_role("button", name="Submit for approval").click()
    assert "waits for approval by approver@e2e.example" in page.locator(".flash").inner_text()
    assert page.locator("#reply-status").inner_text() == "pending approval"
    assert "{reviewer_name}" not in page.locator("#reply-text").input_value()

    approver_context = browser.new_context(
        viewport={"width": 1366, "height": 900}, timezone_id=BROWSER_TIMEZONE, locale="en-GB"
    )
    try:
        approver = approver_context.new_page()
        log_in_as(approver, live_server, "approver@e2e.example", PASSWORD)
        approver.goto(reply_url)
        shoot(approver, "approval")
        with approver.expect_navigation():
            approver.get_by_role("button", name="Approve", exact=True).click()
        assert approver.locator("#reply-status").inner_text() == "approved"
    finally:
        approver_context.close()

    page.reload()
    assert page.locator("#reply-copy").inner_text().startswith("Hi ")
    assert page.locator("#open-review").get_attribute("href").startswith("https://reviews.example")
    shoot(page, "approved")
    with page.expect_navigation():
        page.get_by_role("button", name="I posted it: mark replied").click()
    assert page.locator("#reply-status").inner_text() == "manual"
    assert "Replied after" in page.locator("#response-time").inner_text()

    page.goto(f"{live_server.url}/brands/{live_server.brand_id}/reviews?replied=yes")
    assert "we are sorry about the wait" in page.locator("table.reviews").inner_text()


def test_a_review_is_flagged_reported_and_stays_in_the_inbox(live_server: LiveServer, page: Any):
    review_id = set_up(live_server, approval=False)
    log_in_as(page, live_server, live_server.email, live_server.password)
    page.goto(f"{live_server.url}/brands/{live_server.brand_id}/reviews/{review_id}/reply#flag")
    page.get_by_label("The guideline it breaks").select_option("conflict_of_interest")
    page.get_by_label("Note (what in the review breaks it)").fill("Written by a competitor's owner")
    with page.expect_navigation():
        page.get_by_role("button", name="Flag for removal").click()
    assert page.locator("#flag-state").inner_text() == "flagged"
    assert page.locator("#report-form").get_attribute("href").startswith("https://support.")
    with page.expect_navigation():
        page.get_by_role("button", name="I reported it").click()
    assert page.locator("#flag-state").inner_text() == "reported"
    shoot(page, "flag")

    page.goto(f"{live_server.url}/brands/{live_server.brand_id}/reviews?needs_reply=1")
    row = page.locator("table.reviews tr").filter(has=page.locator("a.flag-badge"))
    assert row.count() == 1
    assert row.locator("a.flag-badge").inner_text() == "Reported"
    shoot(page, "inbox")


def test_the_voice_guide_and_replies_settings_pages(live_server: LiveServer, page: Any):
    set_up(live_server, approval=True)
    log_in_as(page, live_server, live_server.email, live_server.password)
    page.goto(f"{live_server.url}/brands/{live_server.brand_id}/voice")
    page.locator("#voice-try").fill("Great DEAL, no problem!")
    page.locator("#voice-try-warnings li").filter(has_text="words to avoid").wait_for()
    shoot(page, "voice")
    page.goto(f"{live_server.url}/brands/{live_server.brand_id}/reviews/replies")
    page.get_by_label("Title").fill("Apology")
    with page.expect_navigation():
        page.get_by_role("button", name="Add saved reply").click()
    assert "Saved reply added." in page.locator(".flash").inner_text()
    page.get_by_label("Title").fill("Broken")
    page.get_by_label("Text").fill("Dear {customer}")
    with page.expect_navigation():
        page.get_by_role("button", name="Add saved reply").click()
    assert "Unknown placeholder {customer}" in page.locator(".flash").inner_text()
    shoot(page, "settings")
