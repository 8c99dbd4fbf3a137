"""The autocomplete page, its chart data and table fallbacks, labels by hand, the brand's words,
the CSV and the JSON API; bad input is answered with a message, never a server error."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.db import db
from serp.suggest.jobs import suggestions_round
from serp.suggest.models import Suggestion, SuggestTerm
from tests.conftest import login
from tests.serp.conftest import make_query
from tests.serp.suggest_fakes import install

MONDAY = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)


@pytest.fixture
def looked_up(app, brand, users, httpserver):
    """Two weeks of look-ups of a Polish brand: a negative suggestion appears in the second."""
    fake = install(app, httpserver)
    make_query(app, brand, users["editor"], text="acme bakery", language="pl", country="pl")
    fake.answers[("google", "Acme Bakery", "pl")] = ["acme bakery kraków", "acme bakery opinie"]
    suggestions_round(app, "w1", now=MONDAY)
    fake.answers[("google", "Acme Bakery", "pl")] = [
        "acme bakery opinie", "acme bakery oszuści", "acme bakery kraków",
    ]  # fmt: skip
    suggestions_round(app, "w1", now=MONDAY + timedelta(days=7))
    return brand


def page_of(client, brand, **args):
    return client.get(f"/brands/{brand.id}/search/suggestions", query_string=args)


def chart_data(html: str, name: str):
    found = re.search(rf"const {name} = (.*?);\n", html)
    return json.loads(found.group(1))


def test_page_shows_current_suggestions_with_the_negative_marked(client, users, looked_up):
    login(client, users["viewer"].email)
    response = page_of(client, looked_up)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<li class="negative">acme bakery oszuści' in html
    assert '<span class="serp-label serp-negative" title="oszus*">negative</span>' in html
    assert "acme bakery kraków" in html
    assert "Mark “acme bakery oszuści” negative" not in html  # a viewer cannot label


def test_chart_data_and_tables_count_negatives_per_week_and_ranks_over_time(
    client, users, looked_up
):
    login(client, users["viewer"].email)
    term = db.session.scalar(
        select(SuggestTerm).where(SuggestTerm.text == "Acme Bakery", SuggestTerm.engine == "google")
    )
    html = page_of(client, looked_up, term=term.id).get_data(as_text=True)
    weekly = chart_data(html, "weekly")
    by_week = dict(zip(weekly["labels"], weekly["counts"], strict=True))
    assert by_week["2026-11-02"] == 0 and by_week["2026-11-09"] == 1
    assert by_week["2026-10-26"] is None  # no look-up that week: a gap, not zero
    ranks = chart_data(html, "ranks")
    assert ranks["labels"] == ["2026-11-02", "2026-11-09"]
    lines = {line["text"]: line for line in ranks["series"]}
    assert ranks["series"][0]["text"] == "acme bakery oszuści"  # negatives first
    assert lines["acme bakery oszuści"]["ranks"] == [None, 2]
    assert lines["acme bakery kraków"]["ranks"] == [1, 3]
    assert lines["acme bakery opinie"]["negative"] is False
    # The tables say the same without JavaScript.
    assert "<tr><td>2026-11-09</td><td>1</td></tr>" in html
    assert re.search(r"acme bakery kraków</td>\s*<td>1</td><td>3</td>", html)


def test_a_person_marks_a_suggestion_and_it_wins_everywhere(client, users, looked_up):
    login(client, users["editor"].email)
    response = client.post(
        f"/brands/{looked_up.id}/search/suggestions/mark",
        data={"text": "acme bakery oszuści", "label": "neutral"},
    )
    assert response.status_code == 302
    labels = set(
        db.session.scalars(select(Suggestion.label).where(Suggestion.text == "acme bakery oszuści"))
    )
    assert labels == {"neutral"}
    html = page_of(client, looked_up).get_data(as_text=True)
    assert '<li class="neutral">acme bakery oszuści' in html
    client.post(
        f"/brands/{looked_up.id}/search/suggestions/mark",
        data={"text": "acme bakery oszuści", "label": ""},
    )
    assert (
        db.session.scalar(select(Suggestion.label).where(Suggestion.text == "acme bakery oszuści"))
        == "negative"
    )


def test_a_bad_label_is_refused_with_a_message(client, users, looked_up):
    login(client, users["editor"].email)
    response = client.post(
        f"/brands/{looked_up.id}/search/suggestions/mark",
        data={"text": "acme bakery opinie", "label": "evil"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "The label must be negative, neutral or positive" in response.get_data(as_text=True)


def test_brand_words_relabel_stored_suggestions(client, users, looked_up):
    login(client, users["editor"].email)
    response = client.post(
        f"/brands/{looked_up.id}/search/suggestions/settings",
        data={"extra_terms": "acme piekarnia", "negative_words": "opini*"},
    )
    assert response.status_code == 302
    assert set(
        db.session.scalars(select(Suggestion.label).where(Suggestion.text == "acme bakery opinie"))
    ) == {"negative"}
    texts = set(db.session.scalars(select(SuggestTerm.text).where(SuggestTerm.active.is_(True))))
    assert "acme piekarnia" in texts


def test_viewers_cannot_check_label_or_change_words(client, users, looked_up):
    login(client, users["viewer"].email)
    base = f"/brands/{looked_up.id}/search/suggestions"
    for path, data in (("/check", {}), ("/mark", {"text": "x", "label": "neutral"}),
                       ("/settings", {"negative_words": "x"})):  # fmt: skip
        assert client.post(base + path, data=data).status_code == 403


def test_check_now_makes_every_term_due(client, users, looked_up):
    terms = db.session.scalars(select(SuggestTerm)).all()
    assert {t.next_fetch_at for t in terms} == {MONDAY + timedelta(days=14)}
    login(client, users["editor"].email)
    response = client.post(f"/brands/{looked_up.id}/search/suggestions/check")
    assert response.status_code == 302
    db.session.expire_all()
    now = datetime.now(UTC)
    assert all(t.next_fetch_at <= now for t in db.session.scalars(select(SuggestTerm)))


def test_csv_has_one_line_per_suggestion_with_its_label(client, users, looked_up):
    login(client, users["viewer"].email)
    response = client.get(f"/brands/{looked_up.id}/search/suggestions.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    negative = [r for r in rows if r["label"] == "negative"]
    assert [(r["suggestion"], r["rank"], r["engine"], r["language"]) for r in negative] == [
        ("acme bakery oszuści", "2", "google", "pl")
    ]
    assert {r["fetched_at"][:10] for r in rows} == {"2026-11-02", "2026-11-09"}


def test_page_before_any_look_up_lists_what_will_be_looked_up_and_writes_nothing(
    client, users, brand, app
):
    make_query(app, brand, users["editor"], text="acme bakery", language="lt", country="lt")
    login(client, users["viewer"].email)
    html = page_of(client, brand).get_data(as_text=True)
    assert "Nothing looked up yet" in html and "lt-lt" in html
    assert db.session.scalar(select(func.count(SuggestTerm.id))) == 0


@pytest.mark.parametrize(("term", "status"), [("abc", 400), ("99999", 404), ("-1", 400)])
def test_a_bad_term_in_the_address_is_refused(client, users, looked_up, term, status):
    login(client, users["viewer"].email)
    assert page_of(client, looked_up, term=term).status_code == status


def test_another_brands_page_is_not_found(client, users, looked_up):
    from planner.brands import create_brand

    other = create_brand(db.session, name="Other", timezone="UTC", creator=users["admin"])
    db.session.commit()
    login(client, users["viewer"].email)
    assert page_of(client, other).status_code == 404


# --- JSON API ------------------------------------------------------------------------------------


def test_api_current_suggestions_filtered_by_locale_and_engine(api, looked_up):
    response = api["viewer"].get(
        f"/api/v1/brands/{looked_up.id}/serp/suggestions?engine=google&language=pl&country=pl"
    )
    assert response.status_code == 200
    terms = response.get_json()["terms"]
    assert {t["engine"] for t in terms} == {"google"}
    name = next(t for t in terms if t["text"] == "Acme Bakery")
    assert name["negatives"] == 1
    assert [s["text"] for s in name["latest"]["suggestions"]][1] == "acme bakery oszuści"


def test_api_history_pages_through_look_ups(api, looked_up):
    term = db.session.scalar(
        select(SuggestTerm).where(SuggestTerm.text == "Acme Bakery", SuggestTerm.engine == "google")
    )
    url = f"/api/v1/brands/{looked_up.id}/serp/suggestions/history?term_id={term.id}&limit=1"
    first = api["viewer"].get(url).get_json()
    assert first["fetches"][0]["fetched_at"].startswith("2026-11-09")
    assert first["next_offset"] == 1
    second = api["viewer"].get(url + "&offset=1").get_json()
    assert second["fetches"][0]["fetched_at"].startswith("2026-11-02")
    assert second["next_offset"] is None


def test_api_weekly_and_label(api, looked_up):
    weeks = (
        api["viewer"]
        .get(f"/api/v1/brands/{looked_up.id}/serp/suggestions/weekly?weeks=60")
        .get_json()["weeks"]
    )
    assert {"week": "2026-11-09", "negatives": 1} in weeks
    response = api["editor"].post(
        f"/api/v1/brands/{looked_up.id}/serp/suggestions/labels",
        json={"text": "acme bakery kraków", "label": "positive"},
    )
    assert response.status_code == 200
    assert set(
        db.session.scalars(select(Suggestion.label).where(Suggestion.text == "acme bakery kraków"))
    ) == {"positive"}
    assert (
        api["viewer"]
        .post(
            f"/api/v1/brands/{looked_up.id}/serp/suggestions/labels",
            json={"text": "x", "label": "positive"},
        )
        .status_code
        == 403
    )


@pytest.mark.parametrize(
    "args",
    ["language=latvian", "country=latvia", "engine=yandex"],
)
def test_api_refuses_unknown_locales_and_engines(api, looked_up, args):
    response = api["viewer"].get(f"/api/v1/brands/{looked_up.id}/serp/suggestions?{args}")
    assert response.status_code == 422
    assert response.get_json()["error"]


@pytest.mark.parametrize("args", ["term_id=x", "limit=0", "offset=-1", "since=yesterday"])
def test_api_history_refuses_bad_arguments(api, looked_up, args):
    response = api["viewer"].get(f"/api/v1/brands/{looked_up.id}/serp/suggestions/history?{args}")
    assert response.status_code == 422


def test_api_check_now_and_bad_label_body(api, looked_up):
    base = f"/api/v1/brands/{looked_up.id}/serp/suggestions"
    assert api["editor"].post(base + "/check").status_code == 202
    assert api["editor"].post(base + "/labels", json={"text": 5}).status_code == 422
    assert (
        api["editor"].post(base + "/labels", json={"text": "x", "label": "bad"}).status_code == 422
    )


def test_a_domain_rule_relabels_stored_suggestions_that_name_it(app, users, brand, httpserver):
    from serp import rules as rule_ops

    fake = install(app, httpserver)
    make_query(app, brand, users["editor"], text="acme bakery")
    fake.answers[("google", "Acme Bakery", "en")] = ["acme bakery ripoffreport.example", "acme"]
    suggestions_round(app, "w1", now=MONDAY)

    def label() -> set:
        return set(
            db.session.scalars(
                select(Suggestion.label).where(Suggestion.text.like("%ripoffreport%"))
            )
        )

    assert label() == {None}
    rule = rule_ops.save_rule(db.session, brand.id, users["editor"], match_type="domain",
                              pattern="ripoffreport.example", label="negative")  # fmt: skip
    db.session.commit()
    assert label() == {"negative"}
    rule_ops.delete_rule(db.session, rule, users["editor"])
    db.session.commit()
    assert label() == {None}
