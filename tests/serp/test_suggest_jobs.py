"""The weekly autocomplete round: each term, engine and locale looked up once a week, every
look-up stored with labels, failures backed off, and an alert once per new negative suggestion."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from core.db import db
from serp.suggest import operations as ops
from serp.suggest.jobs import suggestions_round
from serp.suggest.models import NegativeSuggestionSeen, SuggestFetch, Suggestion, SuggestTerm
from tests.serp.conftest import make_query
from tests.serp.suggest_fakes import install

MONDAY = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)


class MailBox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append(message_from_bytes(envelope.content, policy=default_policy))
        return "250 OK"


@pytest.fixture
def smtp(app):
    box = MailBox()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, MAIL_FROM="pageone@example.com")
    yield box
    controller.stop()


@pytest.fixture
def fake(app, httpserver):
    return install(app, httpserver)


@pytest.fixture
def latvian_brand(app, brand, users):
    make_query(app, brand, users["editor"], text="acme bakery rīga", language="lv", country="lv")
    return brand


def fetch_count() -> int:
    return db.session.scalar(select(func.count(SuggestFetch.id)))


def test_round_looks_up_each_term_engine_and_locale_and_stores_every_suggestion(
    app, latvian_brand, fake
):
    fake.answers[("google", "Acme Bakery ", "lv")] = ["acme bakery rīga", "acme bakery krāpnieki"]
    counts = suggestions_round(app, "w1", now=MONDAY)
    # The name, the name and a space, and the query naming the brand; on Google and Bing.
    assert counts["claimed"] == 6 and counts["stored"] == 6
    assert sorted(fake.asked) == sorted(
        [
            (engine, term, "lv", "lv")
            for engine in ("google", "bing")
            for term in ("Acme Bakery", "Acme Bakery ", "acme bakery rīga")
        ]
    )
    rows = db.session.execute(
        select(Suggestion.rank, Suggestion.text, Suggestion.label)
        .join(SuggestFetch)
        .join(SuggestTerm)
        .where(SuggestTerm.text == "Acme Bakery ", SuggestTerm.engine == "google")
    ).all()
    assert rows == [(1, "acme bakery rīga", None), (2, "acme bakery krāpnieki", "negative")]


def test_a_term_is_not_looked_up_again_within_the_week(app, latvian_brand, fake):
    suggestions_round(app, "w1", now=MONDAY)
    asked = len(fake.asked)
    for days in (1, 3, 6):
        assert suggestions_round(app, "w1", now=MONDAY + timedelta(days=days))["claimed"] == 0
    assert len(fake.asked) == asked and fetch_count() == asked
    assert suggestions_round(app, "w1", now=MONDAY + timedelta(days=7))["claimed"] == asked
    assert fetch_count() == 2 * asked


def test_a_new_negative_suggestion_alerts_once_and_a_later_one_alerts_again(
    app, latvian_brand, fake, smtp
):
    fake.answers[("google", "Acme Bakery", "lv")] = ["acme bakery sūdzības", "acme bakery kūkas"]
    fake.answers[("bing", "Acme Bakery", "lv")] = ["acme bakery sūdzības"]
    suggestions_round(app, "w1", now=MONDAY)
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert "new negative search suggestion" in message["Subject"]
    assert "acme bakery sūdzības" in message.get_content()
    # The same suggestion next week, on both engines: no second alert.
    suggestions_round(app, "w1", now=MONDAY + timedelta(days=7))
    assert len(smtp.messages) == 1
    fake.answers[("bing", "Acme Bakery", "lv")] = ["acme bakery sūdzības", "ACME Bakery scam"]
    suggestions_round(app, "w1", now=MONDAY + timedelta(days=14))
    assert len(smtp.messages) == 2
    body = smtp.messages[1].get_content()
    assert "ACME Bakery scam" in body and "sūdzības" not in body
    seen = db.session.scalars(select(NegativeSuggestionSeen)).all()
    assert len(seen) == 2 and all(s.alerted_at is not None for s in seen)


def test_a_suggestion_marked_negative_by_hand_is_never_alerted(
    app, latvian_brand, fake, smtp, users
):
    ops.mark_suggestion(db.session, latvian_brand.id, users["editor"], "acme bakery tiesa",
                        "negative", MONDAY)  # fmt: skip
    db.session.commit()
    fake.answers[("google", "Acme Bakery", "lv")] = ["Acme Bakery tiesa"]
    suggestions_round(app, "w1", now=MONDAY)
    label = db.session.scalar(
        select(Suggestion.label).where(Suggestion.text == "Acme Bakery tiesa")
    )
    assert label == "negative"
    assert smtp.messages == []


def test_an_engine_that_is_down_is_stored_as_an_error_and_tried_again_after_a_backoff(
    app, latvian_brand, fake
):
    fake.down.add("bing")
    suggestions_round(app, "w1", now=MONDAY)
    failed = db.session.scalars(select(SuggestFetch).where(SuggestFetch.status == "error")).all()
    assert len(failed) == 3 and all("503" in f.reason for f in failed)
    bing = db.session.scalars(select(SuggestTerm).where(SuggestTerm.engine == "bing")).all()
    assert all(t.failures == 1 and t.next_fetch_at == MONDAY + timedelta(hours=1) for t in bing)
    fake.down.clear()
    assert suggestions_round(app, "w1", now=MONDAY + timedelta(minutes=30))["claimed"] == 0
    assert suggestions_round(app, "w1", now=MONDAY + timedelta(hours=1))["claimed"] == 3
    db.session.expire_all()
    assert all(t.failures == 0 for t in db.session.scalars(select(SuggestTerm)))


def test_google_goes_through_serpapi_when_the_brand_has_a_serpapi_key(
    app, brand, users, httpserver, fake
):
    make_query(app, brand, users["editor"], text="acme", language="pl", country="pl",
               provider="serpapi", provider_settings={"api_key": "secret-key"})  # fmt: skip
    httpserver.expect_request(
        "/search.json",
        query_string={"engine": "google_autocomplete", "q": "Acme Bakery", "hl": "pl",
                      "gl": "pl", "api_key": "secret-key"},
    ).respond_with_json({"suggestions": [{"value": "acme bakery oszustwo"}]})  # fmt: skip
    httpserver.expect_request("/search.json").respond_with_json({"suggestions": []})
    suggestions_round(app, "w1", now=MONDAY)
    sources = set(db.session.scalars(select(SuggestFetch.source)))
    assert sources == {"serpapi", "bing"}
    assert (
        db.session.scalar(select(Suggestion.label).where(Suggestion.text == "acme bakery oszustwo"))
        == "negative"
    )
    assert not [a for a in fake.asked if a[0] == "google"]


def test_an_unknown_locale_of_a_query_is_left_out_and_reported(app, brand, users, fake):
    make_query(app, brand, users["editor"], text="acme bakery", language="lv", country="lv")
    query = make_query(app, brand, users["editor"], text="acme bakery x")
    query.language = "latvian!"  # written past the form, as an old import might have
    db.session.commit()
    locales, skipped = ops.brand_locales(db.session, brand.id)
    assert locales == [("lv", "lv")] and skipped == ["latvian!-us"]
    suggestions_round(app, "w1", now=MONDAY)
    assert {(a[2], a[3]) for a in fake.asked} == {("lv", "lv")}


def test_archived_brands_are_not_looked_up(app, latvian_brand, fake):
    latvian_brand.archived_at = MONDAY
    db.session.commit()
    assert suggestions_round(app, "w1", now=MONDAY)["claimed"] == 0
    assert fake.asked == []


@pytest.mark.postgres
def test_two_workers_never_claim_the_same_term(pg_app):
    from sqlalchemy.orm import Session

    from planner.brands import create_brand

    brand = create_brand(db.session, name="Acme PG", timezone="UTC", creator=None)
    db.session.flush()
    ops.save_settings(db.session, brand, None, extra_terms="acme\nacme pl\nacme lv",
                      negative_words="", now=MONDAY)  # fmt: skip
    db.session.commit()
    engine = pg_app.extensions["pageone.db"]
    first, second = Session(engine), Session(engine)
    try:
        a = ops.claim_due_terms(first, "w1", MONDAY, 3)
        b = ops.claim_due_terms(second, "w2", MONDAY, 100)  # while w1's claim is uncommitted
        first.commit()
        second.commit()
    finally:
        first.close()
        second.close()
    total = db.session.scalar(select(func.count(SuggestTerm.id)))
    assert total == 10  # five terms (name, name and a space, three extra) on two engines
    assert len(a) == 3 and not set(a) & set(b) and len(a) + len(b) == total


def test_the_operators_webhook_gets_each_new_negative_once(app, latvian_brand, fake, httpserver):
    posted = []

    def hook(request):
        from werkzeug import Response

        posted.append(request.get_json())
        return Response("", status=204)

    httpserver.expect_request("/hook", method="POST").respond_with_handler(hook)
    app.config["NOTIFY_WEBHOOK_URL"] = httpserver.url_for("/hook")
    fake.answers[("bing", "acme bakery rīga", "lv")] = ["acme bakery rīga krāpšana"]
    suggestions_round(app, "w1", now=MONDAY)
    suggestions_round(app, "w1", now=MONDAY + timedelta(days=7))
    assert len(posted) == 1
    assert posted[0]["event"] == "serp.suggestion_alerts"
    [item] = posted[0]["suggestions"]
    assert (item["text"], item["engine"], item["language"], item["country"]) == (
        "acme bakery rīga krāpšana", "bing", "lv", "lv",
    )  # fmt: skip


def test_brand_export_holds_every_look_up_and_suggestion(app, latvian_brand, fake):
    fake.answers[("google", "Acme Bakery", "lv")] = ["acme bakery sūdzības"]
    suggestions_round(app, "w1", now=MONDAY)
    parts = {}
    for exporter in app.extensions["pageone.brand_exporters"]:
        parts.update(exporter(db.session, latvian_brand.id))
    assert len(parts["suggest_terms"]) == 6 and len(parts["suggest_fetches"]) == 6
    assert [s["text"] for s in parts["suggestions"]] == ["acme bakery sūdzības"]
    assert [s["key"] for s in parts["suggest_negatives_seen"]] == ["acme bakery sudzibas"]
    assert all("claimed_by" not in t for t in parts["suggest_terms"])
