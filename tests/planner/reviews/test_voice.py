"""The brand's voice guide: each check with its reason, the page, the JSON endpoints."""

from __future__ import annotations

from core.db import db
from planner.reviews.models import ReviewSettings
from planner.reviews.reply_models import VoiceGuide
from planner.reviews.voice import GuideRules, check_text
from tests.conftest import login

GUIDE = GuideRules(
    brand_name="Acme Bakery",
    words_to_use=["ACME", "sourdough"],
    words_to_avoid=["cheap", "no problem"],
    do_not=["guaranteed"],
    approved_domains=["acme.example"],
    disclosure_tags=["#ad", "#sponsored"],
)


def codes(text: str) -> list[str]:
    return [w.code for w in check_text(GUIDE, text)]


def test_an_avoided_word_is_warned_with_its_reason_and_where_it_is():
    text = "Our bread is Cheap and tasty."
    [warning] = check_text(GUIDE, text)
    assert warning.code == "avoided_word"
    assert warning.reason == "“cheap” is on the brand's words to avoid."
    assert text[warning.span[0] : warning.span[1]] == "Cheap"


def test_avoided_words_match_whole_words_and_phrases_across_spaces():
    assert codes("Cheapest in town") == []
    assert codes("That is no   problem at all") == ["avoided_word"]


def test_the_do_not_list_is_checked_and_names_the_brand():
    [warning] = check_text(GUIDE, "Freshness guaranteed.")
    assert warning.code == "do_not"
    assert "Acme Bakery's do-not list" in warning.reason


def test_an_offer_in_exchange_for_a_review_is_warned_with_the_rule():
    [warning] = check_text(GUIDE, "Get a free coffee for a 5 star review!")
    assert warning.code == "incentive"
    assert "16 CFR 465" in warning.reason


def test_a_paid_mention_without_a_disclosure_is_warned_and_one_with_it_is_not():
    [warning] = check_text(GUIDE, "In partnership with Mill Co, our new loaf.")
    assert warning.code == "missing_disclosure"
    assert "#ad, #sponsored" in warning.reason
    assert codes("In partnership with Mill Co, our new loaf. #ad") == []
    assert codes("Our #sponsored loaf") == []


def test_words_in_capitals_are_warned_unless_they_are_words_to_use():
    text = "We are SO SORRY about ACME."
    warnings = check_text(GUIDE, text)
    assert [text[w.span[0] : w.span[1]] for w in warnings] == ["SORRY"]  # SO is short
    assert "reads as shouting" in warnings[0].reason


def test_a_link_to_an_unapproved_domain_is_warned_and_subdomains_of_approved_pass():
    text = "See https://evil.example/x or shop.acme.example/bread or www.acme.example."
    warnings = check_text(GUIDE, text)
    assert [w.code for w in warnings] == ["unapproved_domain"]
    assert "evil.example" in warnings[0].reason
    assert text[warnings[0].span[0] : warnings[0].span[1]] == "https://evil.example/x"


def test_links_are_not_checked_when_the_brand_approved_no_domain():
    assert check_text(GuideRules(), "https://anything.example") == []


def test_warnings_come_in_the_order_of_the_text():
    text = "CHEAP bread at https://evil.example"
    assert codes(text) == ["all_caps", "avoided_word", "unapproved_domain"]


def test_the_voice_page_saves_the_guide_for_admins_and_refuses_bad_domains(client, users, brand):
    login(client, users["admin"].email)
    page = client.get(f"/brands/{brand.id}/voice")
    assert page.status_code == 200
    bad = client.post(
        f"/brands/{brand.id}/voice",
        data={"tone": "Warm", "approved_domains": "acme.example\nnot a domain"},
    )
    assert bad.status_code == 400
    assert "“not a domain” is not a domain name" in bad.get_data(as_text=True)
    assert db.session.query(VoiceGuide).count() == 0  # nothing half-written
    ok = client.post(
        f"/brands/{brand.id}/voice",
        data={"tone": "Warm", "words_to_avoid": "cheap\n\n  ", "approved_domains": "acme.example"},
    )
    assert ok.status_code == 303
    guide = db.session.query(VoiceGuide).one()
    assert (guide.tone, guide.words_to_avoid) == ("Warm", "cheap")


def test_editors_read_the_guide_but_only_admins_change_it(client, users, brand):
    login(client, users["editor"].email)
    assert client.get(f"/brands/{brand.id}/voice").status_code == 200
    assert client.post(f"/brands/{brand.id}/voice", data={"tone": "x"}).status_code == 403


def test_the_check_endpoint_uses_the_stored_guide_and_the_do_not_list(api, brand):
    db.session.add(VoiceGuide(brand_id=brand.id, words_to_avoid="cheap"))
    db.session.add(ReviewSettings(brand_id=brand.id, do_not_phrases="guaranteed"))
    db.session.commit()
    answer = api["viewer"].post(
        f"/api/v1/brands/{brand.id}/voice/check", json={"text": "cheap, guaranteed"}
    )
    assert answer.status_code == 200
    assert [w["code"] for w in answer.json["warnings"]] == ["avoided_word", "do_not"]
    assert answer.json["warnings"][0]["span"] == [0, 5]


def test_the_check_endpoint_refuses_what_is_not_text(api, brand):
    url = f"/api/v1/brands/{brand.id}/voice/check"
    assert api["viewer"].post(url, json={"text": 5}).status_code == 422
    assert api["viewer"].post(url, data="x").status_code == 400
    long = api["viewer"].post(url, json={"text": "a" * 20_001})
    assert long.status_code == 422 and "longer than" in long.json["error"]


def test_the_guide_api_replaces_it_for_admins_only(api, brand):
    url = f"/api/v1/brands/{brand.id}/voice"
    body = {"tone": "Plain", "words_to_avoid": ["cheap", "deal"], "approved_domains": []}
    assert api["editor"].put(url, json=body).status_code == 403
    answer = api["admin"].put(url, json=body)
    assert answer.status_code == 200
    assert answer.json["words_to_avoid"] == ["cheap", "deal"]
    assert api["viewer"].get(url).json["tone"] == "Plain"
    assert api["admin"].put(url, json={"tone": 3}).status_code == 422


def test_the_post_page_shows_the_guide_and_checks_the_post(client, users, brand):
    from datetime import UTC, datetime

    from planner.channels import create_channel
    from planner.operations import create_post

    db.session.add(VoiceGuide(brand_id=brand.id, tone="Friendly", words_to_avoid="cheap"))
    channel = create_channel(db.session, brand, users["admin"], platform="x", max_per_day=None)
    db.session.commit()
    post = create_post(
        db.session,
        channel,
        users["admin"],
        text="Cheap bread today",
        draft=True,
        now=datetime.now(UTC),
    ).post
    db.session.commit()
    login(client, users["viewer"].email)
    page = client.get(f"/posts/{post.id}").get_data(as_text=True)
    assert 'id="voice-guide"' in page
    assert "Friendly" in page
    assert "<q>Cheap</q> “cheap” is on the brand&#39;s words to avoid." in page
