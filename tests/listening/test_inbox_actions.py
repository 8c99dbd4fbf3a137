"""Acting on mentions: blank replies refused, "Set state" says what changed, bulk actions on the
inbox, and links on the public updates page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core.db import db
from core.models import AuditEntry
from listening import inbox, replies
from listening import operations as ops
from listening.models import Mention, MentionReply
from listening.text import link_urls
from planner.brands import add_member, create_brand
from tests.conftest import login
from tests.listening.conftest import add_mentions, item, make_source


@pytest.fixture
def mentions(app, brand, users) -> list[Mention]:
    source = make_source(brand, users["editor"])
    add_mentions(
        brand, source, [item(n, text=f"Is the bakery open on Sunday? ({n})") for n in range(5)]
    )
    return list(db.session.scalars(select(Mention).order_by(Mention.id)))


@pytest.fixture
def editor(app, users):
    client = app.test_client()
    login(client, users["editor"].email)
    return client


def flashes(page) -> list[str]:
    return [
        re.sub(r"\s+", " ", f).strip()
        for f in re.findall(r'class="flash[^"]*"[^>]*>(.*?)</div>', page.text, re.S)
    ]


def test_a_blank_reply_is_refused_and_nothing_is_recorded(app, brand, users, mentions, editor):
    mention = mentions[0]
    with pytest.raises(ops.ListeningError, match="Write the reply you sent"):
        replies.mark_replied(db.session, mention, users["editor"], "  \n ", mention.published_at)
    page = editor.post(
        f"/brands/{brand.id}/listening/mentions/{mention.id}/reply",
        data={"text": "   ", "action": "mark_replied"},
        follow_redirects=True,
    )
    assert any("Write the reply you sent" in f for f in flashes(page))
    db.session.expire_all()
    assert db.session.scalars(select(MentionReply)).all() == []
    assert db.session.get(Mention, mention.id).state == "new"
    assert db.session.get(Mention, mention.id).first_reply_at is None


def test_set_state_says_what_changed(app, brand, mentions, editor):
    url = f"/brands/{brand.id}/listening/mentions/{mentions[0].id}/state"
    page = editor.post(url, data={"state": "no_action"}, follow_redirects=True)
    assert "State changed from new to no action." in flashes(page)
    page = editor.post(url, data={"state": "no_action"}, follow_redirects=True)
    assert "The mention was already no action." in flashes(page)
    page = editor.post(url, data={"state": "replied"}, follow_redirects=True)
    assert any("Reply first" in f for f in flashes(page))
    db.session.expire_all()
    assert db.session.get(Mention, mentions[0].id).state == "no_action"


def test_bulk_mark_replied_applies_to_the_brands_mentions_only(app, brand, users, mentions, editor):
    other = create_brand(db.session, name="Other Bakery", timezone="UTC", creator=users["admin"])
    add_member(db.session, other, users["editor"], users["admin"])
    db.session.commit()
    foreign_source = make_source(other, users["editor"], url="https://example.com/other.xml")
    add_mentions(other, foreign_source, [item(99, text="Other brand's mention")])
    foreign = db.session.scalar(select(Mention).where(Mention.brand_id == other.id))

    chosen = [m.id for m in mentions[:3]]
    page = editor.post(
        f"/brands/{brand.id}/listening/bulk",
        data={
            "mention_id": [*map(str, chosen), str(foreign.id)],
            "action": "mark_replied",
            "text": "Yes, from 8 to 14 on Sundays.",
            "back": f"/brands/{brand.id}/listening?state=open",
        },
    )
    assert page.status_code == 302 and page.location.endswith("/listening?state=open")
    assert "3 mentions marked replied." in flashes(editor.get(page.location))
    db.session.expire_all()
    states = {m.id: m.state for m in db.session.scalars(select(Mention))}
    assert [states[i] for i in chosen] == ["replied"] * 3
    assert states[mentions[3].id] == "new" and states[foreign.id] == "new"
    replies = db.session.scalars(select(MentionReply)).all()
    assert sorted(r.mention_id for r in replies) == chosen
    assert {r.text for r in replies} == {"Yes, from 8 to 14 on Sundays."}
    (entry,) = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "mention.bulk"))
    assert entry.brand_id == brand.id and entry.detail["changed"] == chosen
    assert entry.actor.endswith(users["editor"].email)

    # Again with one more: a single new one, and the plural and singular read right.
    page = editor.post(
        f"/brands/{brand.id}/listening/bulk",
        data={
            "mention_id": [str(i) for i in chosen[:2]] + [str(mentions[3].id)],
            "action": "mark_replied",
            "text": "Yes.",
        },
        follow_redirects=True,
    )
    assert "1 mention marked replied. 2 mentions were already replied." in flashes(page)


def test_bulk_assign_and_set_state(app, brand, users, mentions, editor):
    ids = [str(m.id) for m in mentions]
    page = editor.post(
        f"/brands/{brand.id}/listening/bulk",
        data={"mention_id": ids, "action": "assign", "assignee": str(users["viewer"].id)},
        follow_redirects=True,
    )
    assert "5 mentions assigned to viewer@example.com." in flashes(page)
    page = editor.post(
        f"/brands/{brand.id}/listening/bulk",
        data={"mention_id": ids[:1], "action": "set_state", "state": "no_action"},
        follow_redirects=True,
    )
    assert "1 mention set to no action." in flashes(page)
    db.session.expire_all()
    rows = db.session.scalars(select(Mention).order_by(Mention.id)).all()
    assert {m.assignee_id for m in rows} == {users["viewer"].id}
    assert [m.state for m in rows] == ["no_action", "new", "new", "new", "new"]
    assert db.session.query(AuditEntry).filter_by(action="mention.assigned").count() == 5


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "mark_replied", "text": " "}, "Write the reply you sent"),
        (
            {"action": "set_state", "state": "replied"},
            "5 of the selected mentions have no reply yet",
        ),
        ({"action": "set_state", "state": ""}, "Choose the state to set."),
        ({"action": "archive"}, "Choose what to do with the selected mentions"),
        ({"action": "assign", "assignee": "999"}, "active member of the brand"),
    ],
)
def test_a_refused_bulk_action_changes_nothing(app, brand, mentions, editor, data, message):
    page = editor.post(
        f"/brands/{brand.id}/listening/bulk",
        data={"mention_id": [str(m.id) for m in mentions], **data},
        follow_redirects=True,
    )
    assert any(message in f for f in flashes(page)), flashes(page)
    db.session.expire_all()
    assert {m.state for m in db.session.scalars(select(Mention))} == {"new"}
    assert {m.assignee_id for m in db.session.scalars(select(Mention))} == {None}
    assert db.session.query(AuditEntry).filter_by(action="mention.bulk").count() == 0


def test_bulk_needs_a_selection_and_the_editor_role(app, brand, users, mentions, editor):
    page = editor.post(
        f"/brands/{brand.id}/listening/bulk", data={"action": "assign"}, follow_redirects=True
    )
    assert "Select at least one mention first." in flashes(page)
    viewer = app.test_client()
    login(viewer, users["viewer"].email)
    answer = viewer.post(
        f"/brands/{brand.id}/listening/bulk",
        data={"mention_id": [str(mentions[0].id)], "action": "set_state", "state": "no_action"},
    )
    assert answer.status_code == 403
    assert "Select all on this page" not in viewer.get(f"/brands/{brand.id}/listening").text


def test_the_inbox_offers_bulk_actions_with_a_box_per_mention(app, brand, mentions, editor):
    page = editor.get(f"/brands/{brand.id}/listening")
    assert "Select all on this page" in page.text and 'data-select-all="mention_id"' in page.text
    boxes = re.findall(r'name="mention_id" value="(\d+)" form="bulk-actions"', page.text)
    assert sorted(map(int, boxes)) == [m.id for m in mentions]
    for action in ("assign", "set_state", "mark_replied"):
        assert f'name="action" value="{action}"' in page.text
    assert "/static/js/bulk_select.js" in page.text


def test_count_of_reads_as_english():
    assert [inbox.count_of(n) for n in (0, 1, 2, 30)] == [
        "No mentions",
        "1 mention",
        "2 mentions",
        "30 mentions",
    ]


def test_addresses_in_update_text_become_safe_links():
    html = str(
        link_urls(
            "Details: https://acme.example/recall?batch=42&shop=all. "
            'Not a link: javascript:alert(1) <b>bold</b> "https://x.example/"onmouseover="'
        )
    )
    assert (
        '<a href="https://acme.example/recall?batch=42&amp;shop=all" rel="nofollow noopener">'
        "https://acme.example/recall?batch=42&amp;shop=all</a>. " in html
    )
    assert "javascript:alert(1)" in html and 'href="javascript' not in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "<b>" not in html
    assert '<a href="https://x.example/" rel="nofollow noopener">' in html
    assert 'onmouseover="' not in html


def test_the_public_updates_page_links_addresses(app, brand, users):
    admin = app.test_client()
    login(admin, users["admin"].email)
    base = f"/brands/{brand.id}/listening/crisis"
    admin.post(f"{base}/page", data={"title": "Recall", "statement": "See https://acme.example/a."})
    admin.post(f"{base}/update", data={"text": "Shops: https://acme.example/shops <i>x</i>"})
    page = app.test_client().get(f"/b/{brand.slug}/updates")
    assert page.status_code == 200
    assert '<a href="https://acme.example/a" rel="nofollow noopener">' in page.text
    assert '<a href="https://acme.example/shops" rel="nofollow noopener">' in page.text
    assert "&lt;i&gt;x&lt;/i&gt;" in page.text
