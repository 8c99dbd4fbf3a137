"""Polling sources: Google Alerts, feeds, Mastodon, Bluesky; duplicates and hostile input."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select
from werkzeug import Response

from core.db import db
from listening import jobs
from listening import operations as ops
from listening.fetch import FetchError, fetch
from listening.models import Mention, MentionSource
from listening.text import strip_html, unwrap_google_url
from tests.listening.conftest import NOW, fixture_bytes, make_source


def _mentions(source_id: int) -> list[Mention]:
    return list(
        db.session.scalars(
            select(Mention).where(Mention.source_id == source_id).order_by(Mention.published_at)
        )
    )


def test_google_alerts_links_are_unwrapped_and_highlighting_stripped(app, brand, users, httpserver):
    httpserver.expect_request("/alerts.xml").respond_with_data(
        fixture_bytes("google_alerts.xml"), content_type="application/atom+xml"
    )
    source = make_source(
        brand, users["editor"], kind="google_alerts", url=httpserver.url_for("/alerts.xml")
    )
    result = jobs.poll_source(app, source.id, NOW)
    assert result == {"source": source.id, "status": "ok", "new": 4, "duplicates": 1}

    mentions = {m.url: m for m in _mentions(source.id)}
    shop = mentions["https://news.example.com/2026/acme-second-shop?utm_source=alerts"]
    assert shop.title == "Acme Bakery opens a second shop in Leipzig"
    assert shop.text == "The Acme Bakery chain is opening a great new shop & café."
    assert shop.author == "news.example.com"
    assert shop.published_at == NOW.replace(hour=9)
    assert shop.sentiment_label == "positive"
    assert "acme bakery" in shop.key_terms

    prices = mentions["https://forum.example.org/t/acme-prices"]
    assert prices.is_question and prices.sentiment_label == "negative"
    # Negative mentions get the shortest target: one hour from the mention.
    assert prices.target_minutes == 60
    assert prices.due_at == prices.published_at + timedelta(hours=1)


def test_entries_seen_before_are_not_stored_twice(app, brand, users, httpserver):
    httpserver.expect_request("/alerts.xml").respond_with_data(fixture_bytes("google_alerts.xml"))
    source = make_source(
        brand, users["editor"], kind="google_alerts", url=httpserver.url_for("/alerts.xml")
    )
    jobs.poll_source(app, source.id, NOW)
    again = jobs.poll_source(app, source.id, NOW + timedelta(minutes=20))
    assert again["new"] == 0 and again["duplicates"] == 5
    # The same article from another feed of the brand is the same mention.
    other = make_source(
        brand, users["editor"], kind="rss", url=httpserver.url_for("/alerts.xml"), name="copy"
    )
    third = jobs.poll_source(app, other.id, NOW + timedelta(minutes=40))
    assert third["new"] == 0
    assert len(db.session.scalars(select(Mention)).all()) == 4


def test_hostile_entries_are_stored_as_plain_text(app, brand, users, httpserver):
    httpserver.expect_request("/alerts.xml").respond_with_data(fixture_bytes("google_alerts.xml"))
    source = make_source(
        brand, users["editor"], kind="google_alerts", url=httpserver.url_for("/alerts.xml")
    )
    jobs.poll_source(app, source.id, NOW)
    hostile = db.session.scalar(
        select(Mention).where(Mention.url == "https://blog.example.net/acme-review")
    )
    # Markup is gone; what was text that looked like markup stays text (escaped when shown).
    assert "alert('x')" not in hostile.title
    assert hostile.title == "<script>steal()</script> Acme review"
    assert hostile.text == "Nice pastries"
    assert "onerror" not in hostile.text and "iframe" not in hostile.text
    # No usable date: the fetch time, flagged.
    assert hostile.published_at == NOW and hostile.date_estimated
    future = db.session.scalar(
        select(Mention).where(Mention.url == "https://news.example.com/future")
    )
    assert future.published_at == NOW and future.date_estimated


def test_a_malformed_feed_marks_its_source_failing_and_the_others_go_on(
    app, brand, users, httpserver
):
    httpserver.expect_request("/broken.xml").respond_with_data(
        b"<html><body><h1>502 Bad Gateway</h1><p>unclosed", content_type="text/html"
    )
    httpserver.expect_request("/alerts.xml").respond_with_data(fixture_bytes("google_alerts.xml"))
    broken = make_source(brand, users["editor"], url=httpserver.url_for("/broken.xml"))
    good = make_source(
        brand, users["editor"], kind="google_alerts", url=httpserver.url_for("/alerts.xml")
    )
    results = {r["source"]: r for r in jobs.poll_due_sources(app, NOW)}
    assert results[broken.id]["status"] == "failing"
    assert results[good.id] == {"source": good.id, "status": "ok", "new": 4, "duplicates": 1}
    db.session.expire_all()
    stored = db.session.get(MentionSource, broken.id)
    assert stored.failing and "feed" in stored.last_error
    # A failing source backs off: it is not due again a minute later, the good one neither.
    assert jobs.poll_due_sources(app, NOW + timedelta(minutes=1)) == []
    assert stored.next_poll_at == NOW + timedelta(minutes=15)


def test_a_ten_megabyte_body_is_refused_without_reading_it_all(app, brand, users, httpserver):
    big = b"<rss>" + b"x" * (10 * 1024 * 1024) + b"</rss>"
    httpserver.expect_request("/declared.xml").respond_with_data(big)

    def chunks():
        for _ in range(160):
            yield b"y" * 65536

    httpserver.expect_request("/streamed.xml").respond_with_response(
        Response(chunks(), mimetype="application/rss+xml")
    )
    declared = make_source(brand, users["editor"], url=httpserver.url_for("/declared.xml"))
    streamed = make_source(brand, users["editor"], url=httpserver.url_for("/streamed.xml"))
    for source in (declared, streamed):
        result = jobs.poll_source(app, source.id, NOW)
        assert result["status"] == "failing"
        assert "limit of 5,242,880 bytes" in result["error"] or "the limit is" in result["error"]


def test_private_addresses_are_refused_unless_the_operator_allows_them(app, httpserver):
    httpserver.expect_request("/feed").respond_with_data(b"<rss/>")
    try:
        fetch(httpserver.url_for("/feed"), {"OUTBOUND_ALLOW_PRIVATE": False})
    except FetchError as exc:
        assert "URL refused" in str(exc)
    else:
        raise AssertionError("a loopback URL was fetched")
    assert fetch(httpserver.url_for("/feed"), {"OUTBOUND_ALLOW_PRIVATE": True})[0] == b"<rss/>"


def test_redirects_are_followed_only_through_the_guard(app, httpserver):
    httpserver.expect_request("/old").respond_with_data(
        "", status=301, headers={"Location": "http://169.254.169.254/latest/meta-data"}
    )
    try:
        fetch(httpserver.url_for("/old"), {"OUTBOUND_ALLOW_PRIVATE": False})
    except FetchError as exc:
        assert "URL refused" in str(exc)
    else:
        raise AssertionError("followed a redirect to the metadata service")


def test_mastodon_hashtag_timeline_gives_repliable_mentions(app, brand, users, httpserver):
    httpserver.expect_request("/api/v1/timelines/tag/AcmeBakery").respond_with_data(
        fixture_bytes("mastodon_tag.json"), content_type="application/json"
    )
    settings = ops.settings_for(db.session, brand)
    settings.negative_keywords = ["schimmel", "rückruf"]
    db.session.commit()
    source = make_source(
        brand,
        users["editor"],
        kind="mastodon_tag",
        url=httpserver.url_for("/"),
        query="#AcmeBakery",
    )
    assert jobs.poll_source(app, source.id, NOW)["new"] == 2  # the boost is skipped
    question, german = _mentions(source.id)
    assert question.text == "Does #AcmeBakery deliver on Sundays?"
    assert question.is_question and question.platform == "mastodon"
    assert question.platform_ref == "113500000000000001"
    assert question.author == "ana" and question.target_minutes == 240
    # German: VADER does not read it; the brand's own keywords say it is negative.
    assert german.language == "de" and german.sentiment is None
    assert german.sentiment_label == "negative"


def test_bluesky_search_through_a_configurable_appview(app, brand, users, httpserver):
    payload = {
        "posts": [
            {
                "uri": "at://did:plc:abc/app.bsky.feed.post/3kabc",
                "cid": "bafyreia",
                "author": {"handle": "dee.bsky.social", "displayName": "Dee"},
                "record": {
                    "text": "Love the new Acme Bakery croissants!",
                    "createdAt": "2026-11-22T11:00:00Z",
                    "langs": ["en"],
                },
                "indexedAt": "2026-11-22T11:00:01Z",
            },
            {"uri": "at://broken"},
            "garbage",
        ]
    }
    httpserver.expect_request(
        "/xrpc/app.bsky.feed.searchPosts",
        query_string={"q": "acme bakery", "limit": "50", "sort": "latest"},
    ).respond_with_json(payload)
    app.config["LISTENING_BLUESKY_APPVIEW"] = httpserver.url_for("/").rstrip("/")
    source = make_source(brand, users["editor"], kind="bluesky_search", url="", query="acme bakery")
    assert jobs.poll_source(app, source.id, NOW)["new"] == 1
    (post,) = _mentions(source.id)
    assert post.url == "https://bsky.app/profile/dee.bsky.social/post/3kabc"
    assert post.platform_ref == "at://did:plc:abc/app.bsky.feed.post/3kabc|bafyreia"
    assert post.sentiment_label == "positive"


def test_garbage_json_marks_a_platform_source_failing(app, brand, users, httpserver):
    httpserver.expect_request("/api/v1/timelines/tag/acme").respond_with_data(json.dumps({"x": 1}))
    source = make_source(
        brand, users["editor"], kind="mastodon_tag", url=httpserver.url_for("/"), query="acme"
    )
    result = jobs.poll_source(app, source.id, NOW)
    assert result["status"] == "failing" and "list of statuses" in result["error"]


def test_text_helpers():
    assert strip_html("<b>A</b> &amp; <i>B</i>") == "A & B"
    assert strip_html("&lt;b&gt;") == "<b>"
    wrapped = "https://www.google.com/url?rct=j&sa=t&url=https://x.example/a%3Fb%3D1&ct=ga"
    assert unwrap_google_url(wrapped) == "https://x.example/a?b=1"
    assert unwrap_google_url("https://www.google.com/url?url=javascript:alert(1)") == (
        "https://www.google.com/url?url=javascript:alert(1)"
    )
