"""Ranking with its explanation, post templates fitted to each platform, the do-not list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import regex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.db import db
from core.sentiment import concrete_details, detect_language
from planner.reviews.donot import check_do_not_list
from planner.reviews.promotable import promotable_reviews
from planner.reviews.ranking import ReviewFacts, promotable, rank
from planner.reviews.rendering import (
    DEFAULT_TEMPLATES,
    check_template,
    render_post,
    reviewer_name,
)
from planner.reviews.settings import update_settings
from planner.text_limits import PLATFORM_LIMITS, count_text, validate_post_text

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def facts(review_id: int, **kw) -> ReviewFacts:
    base = {
        "rating": 5,
        "sentiment": 0.8,
        "text_length": 200,
        "detail_count": 0,
        "created_at": NOW - timedelta(days=30),
        "last_promoted_at": None,
        "language": "en",
    }
    if "details" in kw:
        kw["detail_count"] = len(kw["details"])
        kw["details"] = tuple(kw["details"])
    return ReviewFacts(review_id, **{**base, **kw})


def test_ranking_prefers_rating_sentiment_specificity_and_recency():
    ranked = rank(
        [
            facts(1),
            facts(2, rating=4),
            facts(3, sentiment=0.2),
            facts(4, details=["Ana", "48-hour", "flat white"], text_length=400),
            facts(5, created_at=NOW - timedelta(days=400)),
        ],
        NOW,
    )
    order = [r.review_id for r in ranked]
    assert order[0] == 4  # the specific one
    assert order.index(1) < order.index(2) and order.index(1) < order.index(3)
    assert order.index(1) < order.index(5)
    best = ranked[0]
    assert set(best.parts) == {"rating", "sentiment", "specificity", "recency"}
    assert best.score == pytest.approx(sum(best.parts.values()), abs=0.2)
    assert "Ana" in best.reasons["specificity"] and "VADER" in best.reasons["sentiment"]


def test_not_promotable_low_rating_negative_text_empty_or_recently_promoted():
    assert "only 4 and 5 star" in promotable(facts(1, rating=3), NOW, 90)
    assert "reads negative" in promotable(facts(1, sentiment=-0.4), NOW, 90)
    assert "no text" in promotable(facts(1, text_length=0), NOW, 90)
    recent = facts(1, last_promoted_at=NOW - timedelta(days=10))
    assert "again from 2026-08-20" in promotable(recent, NOW, 90)
    assert promotable(facts(1, last_promoted_at=NOW - timedelta(days=91)), NOW, 90) is None
    assert rank([recent], NOW, 90) == []


def test_other_languages_are_ranked_on_their_rating_not_vader():
    ranked = rank([facts(1, sentiment=None, language="de")], NOW)
    assert "from the rating (de" in ranked[0].reasons["sentiment"]
    assert ranked[0].parts["sentiment"] == 25.0


def test_promotable_list_of_the_brand(brand, reviews):
    ranked = promotable_reviews(db.session, brand, now=datetime.now(UTC))
    ids = [item.review.external_id for item in ranked]
    assert "g2" not in ids and "g4" not in ids  # one and two stars
    assert ids[0] == "g1"  # specific, recent, five stars
    assert set(ids) == {"g1", "t1", "g3", "g5"}


def test_language_detection_and_details():
    assert detect_language("The coffee was great and the staff were lovely.") == "en"
    assert detect_language("Der Kaffee war großartig und das Personal sehr nett.") == "de"
    assert detect_language("🙂👍") is None
    details = concrete_details("We waited 5 minutes and Ana made a Flat White. Great!")
    assert "5 minutes" in details and "Ana" in details and "Great" not in details


def test_reviewer_is_first_name_and_initial():
    assert reviewer_name("maria de la cruz") == "Maria C."
    assert reviewer_name("Tom") == "Tom"
    assert reviewer_name("  ") == "A customer"


def context(quote: str) -> dict:
    return {
        "quote": quote,
        "stars": "★★★★★",
        "rating": 5,
        "reviewer": "Maria S.",
        "source": "Google",
        "url": "https://g.example/r/1",
        "title": "",
        "date": "May 2026",
        "brand": "Acme",
    }


FITTED = [p for p, limit in PLATFORM_LIMITS.items() if limit is not None]
GRAPHEME = regex.compile(r"\X")
TEXT = st.lists(
    st.sampled_from(
        [
            "good ",
            "coffee. ",
            "Ana ",
            "咖啡很好。",
            "美味しい",
            "👨‍👩‍👧‍👦",
            "🇩🇪",
            "👍🏽 ",
            "é",
            "e\u0301",
            "! ",
            "\n",
        ]
    ),
    min_size=1,
    max_size=400,
).map("".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(quote=TEXT, platform=st.sampled_from(FITTED))
def test_quote_is_fitted_to_each_platform_limit_on_grapheme_boundaries(quote, platform):
    image = "https://img.example/a.jpg" if platform == "instagram" else None
    post = render_post(
        platform, DEFAULT_TEMPLATES[platform], context(quote), link="https://g.example/r/1",
        image_url=image,
    )  # fmt: skip
    assert post.errors == []
    assert validate_post_text(platform, post.text, link=post.link, image_url=image) == []
    assert count_text(platform, post.published) <= PLATFORM_LIMITS[platform]
    assert post.published.endswith(" https://g.example/r/1")
    # The quote kept is a run of whole graphemes from the start of the review.
    opening = post.text.index("“") + 1
    closing = post.text.rindex("”")
    kept = post.text[opening:closing]
    shown = " ".join(quote.split()) if platform in ("x", "bluesky") else quote.strip()
    if kept != shown:
        assert kept.endswith("…")
        kept_graphemes = GRAPHEME.findall(kept[:-1])
        assert kept_graphemes == GRAPHEME.findall(shown)[: len(kept_graphemes)]


def test_a_long_review_on_x_ends_on_a_sentence_and_keeps_stars_and_name():
    quote = "The flat white was perfect. " * 20
    post = render_post("x", DEFAULT_TEMPLATES["x"], context(quote), link="https://g.example/r/1")
    assert post.errors == [] and post.length <= 280
    assert post.text.startswith("“The flat white was perfect.") and "perfect.…”" in post.text
    assert post.text.endswith("★★★★★ — Maria S. on Google")


def test_templates_run_sandboxed_and_are_checked():
    assert check_template("x", "{{ quote }} {{ stars }}") == []
    assert check_template("x", "{{ stars }}") == ["x: the template must contain {{ quote }}."]
    assert check_template("x", "{{ quote }} {{ nope }}")[0].startswith("x: 'nope' is undefined")
    unsafe = "{{ quote }}{{ ''.__class__.__mro__[1].__subclasses__() }}"
    post = render_post("x", unsafe, context("Hi"), link=None)
    assert post.errors and "does not work" in post.errors[0]


def test_do_not_list_built_in_rules_and_brand_phrases(brand):
    assert check_do_not_list(db.session, brand, "Thanks Maria! ★★★★★") == []
    reasons = check_do_not_list(db.session, brand, "Get a 10% discount for every 5-star review!")
    assert reasons and "in exchange for a review" in reasons[0]
    reasons = check_do_not_list(
        db.session, brand, "Leave us a review and win a gift card this month"
    )
    assert reasons and "16 CFR 465" in reasons[0]
    assert check_do_not_list(db.session, brand, "Only happy customers should review us")
    update_settings(
        db.session,
        brand,
        None,
        profile_url=None,
        page_enabled=False,
        weekly_cap=2,
        cooldown_days=90,
        do_not_phrases="cheapest in town\nfree",
        templates={},
        page_url="https://pageone.example/b/acme-bakery/reviews",
        now=NOW,
    )
    reasons = check_do_not_list(db.session, brand, "The CHEAPEST  in town, carefree vibes")
    assert reasons == ["“cheapest in town” is on Acme Bakery's do-not list."]
