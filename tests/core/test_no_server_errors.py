"""No input gives a 500: ids too large for the database, numbers and dates that overflow,
digits of other scripts, CSV cells over the csv module's limit, and an error page that fails."""

from __future__ import annotations

import io
import re

import pytest
from flask import abort
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

from core.db import db
from core.parsing import DB_INT_MAX
from core.web import DatabaseIdConverter
from tests.conftest import login

pytestmark = pytest.mark.postgres

TOO_BIG = [2**63, 2**64, DB_INT_MAX + 1, "²", "١"]
LONG_CELL = "x" * 131_073
LATE = "9999-12-31T23:59:59-14:00"  # 10000-01-01 in UTC
LATE_EAST = "9999-12-31T23:59:59+14:00"
EARLY = "0001-01-01T00:00:00+14:00"  # before year 1 in UTC
LONG_CELL_ERROR = "a cell is longer than 131,072 characters"


@pytest.fixture
def app(pg_app):
    """The users, brand and API clients of tests/conftest.py, on PostgreSQL."""
    return pg_app


def int_rules(app):
    """Every route with an id in its path, and nothing else in it."""
    for rule in app.url_map.iter_rules():
        converters = rule._converters.values()
        if converters and all(isinstance(c, DatabaseIdConverter) for c in converters):
            yield rule


def with_ids(rule, value) -> str:
    return re.sub(r"<int:\w+>", str(value), rule.rule)


def test_every_route_answers_404_for_an_id_the_database_cannot_hold(app, client, seeded_ids):
    login(client, "admin@example.com")
    checked, wrong = 0, []
    for rule in int_rules(app):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for value in TOO_BIG:
                url = with_ids(rule, value)
                status = client.open(url, method=method).status_code
                checked += 1
                if status != 404:
                    wrong.append((method, url, status))
    assert wrong == []
    assert checked > 5 * 100  # every id route of every feature was tried


def test_every_get_page_still_answers_for_real_ids(app, client, seeded_ids, brand):
    login(client, "admin@example.com")
    values = {**seeded_ids, "check_id": 1, "plan_id": 1, "alert_id": 1, "asset_id": 1}
    values["token_id"] = 1
    values["user_id"] = values["link_id"] = 1
    failures = []
    for rule in int_rules(app):
        if "GET" not in rule.methods:
            continue
        url = re.sub(r"<int:(\w+)>", lambda m: str(values[m.group(1)]), rule.rule)
        if client.get(url).status_code >= 500:
            failures.append(url)
    assert failures == []


def test_largest_id_in_range_is_looked_up_and_not_found(api, brand):
    response = api["admin"].get(f"/api/v1/brands/{DB_INT_MAX}")
    assert response.status_code == 404
    assert "error" in response.get_json()


# --- query strings -------------------------------------------------------------------------------

QUERY_CASES = [
    ("/api/v1/brands/{brand_id}/posts?offset={big}", "offset"),
    ("/api/v1/brands/{brand_id}/posts?limit={big}", "limit"),
    ("/api/v1/brands/{brand_id}/posts?limit=-5", "limit"),
    ("/api/v1/brands/{brand_id}/posts?limit=1e400", "limit"),
    ("/api/v1/brands/{brand_id}/posts?channel_id={big}", "channel_id"),
    ("/api/v1/brands/{brand_id}/posts?channel_id=²", "channel_id"),
    ("/api/v1/brands/{brand_id}/posts?channel_id=١", "channel_id"),
    (f"/api/v1/brands/{{brand_id}}/posts?start={LATE}", "start"),
    (f"/api/v1/brands/{{brand_id}}/posts?end={EARLY}", "end"),
    (f"/api/v1/brands/{{brand_id}}/events?start={EARLY}&end=2026-01-01T00:00:00Z", "start"),
    (
        "/api/v1/brands/{brand_id}/events?start=2026-01-01T00:00:00Z&end=2026-02-01T00:00:00Z"
        "&channel_id={big}",
        "channel_id",
    ),
    ("/api/v1/brands/{brand_id}/reviews?offset={big}", "offset"),
    ("/api/v1/brands/{brand_id}/reviews?limit=nan", "limit"),
    ("/api/v1/brands/{brand_id}/reviews/promotable?limit={big}", "limit"),
    ("/api/v1/brands/{brand_id}/listening/mentions?page={big}", "page"),
    ("/api/v1/brands/{brand_id}/listening/mentions?page=١", "page"),
    ("/api/v1/brands/{brand_id}/listening/mentions?assignee=²", "assignee"),
    ("/api/v1/brands/{brand_id}/listening/mentions?source={big}", "source"),
    ("/api/v1/serp/queries/{query_id}/history?limit={big}", "limit"),
    ("/api/v1/serp/queries/{query_id}/history?limit=1e400", "limit"),
    (f"/api/v1/serp/queries/{{query_id}}/history?since={LATE}", "since"),
    (f"/api/v1/brands/{{brand_id}}/serp/progress?since={LATE_EAST}", "since"),
    (f"/api/v1/channels/{{channel_id}}/next-slot?after={LATE}", "after"),
    ("/api/v1/brands/{brand_id}/reviews?source=a%00b", "source"),  # PostgreSQL text has no NUL
]


def test_unreadable_query_values_are_422_naming_the_field(api, seeded_ids):
    # One database for all cases: setting one up costs more than the requests.
    wrong = []
    for template, field in QUERY_CASES:
        url = template.format(big=2**63, **seeded_ids).replace("+", "%2B")
        response = api["admin"].get(url)
        body = response.get_json() or {}
        if response.status_code != 422 or f"'{field}'" not in body.get("error", ""):
            wrong.append((url, response.status_code, body))
        elif body["errors"] != [body["error"]] or body["field"] != field:
            wrong.append((url, "shape", body))
    assert wrong == []


# --- JSON bodies ---------------------------------------------------------------------------------

WINDOW = '{{"windows": [{{"weekday": 2, "start": "{start}", "end": "10:00", "weight": {weight}}}]}}'
BODY_CASES = [
    ("post", "/api/v1/brands/{brand_id}/channels", {"platform": "x", "min_gap_minutes": 2**63},
     "min_gap_minutes"),
    ("patch", "/api/v1/channels/{channel_id}", {"max_per_day": 2**64}, "max_per_day"),
    ("put", "/api/v1/channels/{channel_id}/windows", WINDOW.format(start="09:00", weight="1e400"),
     "weight"),
    ("put", "/api/v1/channels/{channel_id}/windows", WINDOW.format(start="09:00", weight="NaN"),
     "weight"),
    ("put", "/api/v1/channels/{channel_id}/windows", WINDOW.format(start="٠٩:00", weight="1"),
     "HH:MM"),
    ("post", "/api/v1/brands/{brand_id}/posts",
     {"channel_id": "{channel_id}", "text": "Hello", "scheduled_at": LATE}, "scheduled_at"),
    ("post", "/api/v1/brands/{brand_id}/posts",
     {"channel_id": "{channel_id}", "text": "Hello", "scheduled_at": EARLY}, "scheduled_at"),
    ("patch", "/api/v1/posts/{post_id}", {"scheduled_at": LATE_EAST}, "scheduled_at"),
    ("patch", "/api/v1/listening/mentions/{mention_id}", {"assignee_id": 2**63}, "assignee_id"),
    ("post", "/api/v1/brands/{brand_id}/serp/queries",
     '{"text": "acme", "provider": "manual", "importance": 1e400}', "importance"),
    ("post", "/api/v1/brands/{brand_id}/serp/labels",
     {"match_type": "domain", "pattern": "a\x00.example", "label": "negative"}, "pattern"),
    ("post", "/api/v1/brands/{brand_id}/reviews/{review_id}/promote",
     {"channel_ids": [1], "image_url": {"nested": ["ok", "no\x00"]}}, "image_url.nested[1]"),
]  # fmt: skip


def test_unreadable_body_values_are_422_naming_the_field(api, seeded_ids):
    wrong = []
    for method, template, payload, field in BODY_CASES:
        url = template.format(**seeded_ids)
        call = getattr(api["admin"], method)
        if isinstance(payload, dict):
            payload = {k: seeded_ids["channel_id"] if v == "{channel_id}" else v
                       for k, v in payload.items()}  # fmt: skip
            response = call(url, json=payload)
        else:
            response = call(url, data=payload, content_type="application/json")
        if response.status_code != 422 or field not in response.get_json()["error"]:
            wrong.append((method, url, payload, response.status_code, response.get_json()))
    assert wrong == []


# --- CSV imports ---------------------------------------------------------------------------------


def csv_with_long_cell(header: str, row: str) -> bytes:
    return f"{header}\n{row.replace('LONG', LONG_CELL)}\n".encode()


REVIEW_HEADER = (
    "source,external_id,rating,title,text,author,created_at,language,url,reply_text,reply_at"
)


def test_reviews_import_reports_a_too_long_cell_with_its_line(api, brand, client):
    data = csv_with_long_cell(REVIEW_HEADER, "google,a9,5,,LONG,Ann,2026-01-02,,,,")
    url = f"/api/v1/brands/{brand.id}/reviews/import"
    response = api["editor"].post(url, data=data, content_type="text/csv")
    assert response.status_code == 422
    assert response.get_json()["errors"] == [f"line 2: {LONG_CELL_ERROR}; shorten it."]
    login(client, "editor@example.com")
    page = client.post(
        f"/brands/{brand.id}/reviews/import",
        data={"file": (io.BytesIO(data), "reviews.csv"), "format": "csv"},
        content_type="multipart/form-data",
    )
    assert page.status_code == 400
    assert f"Line 2: {LONG_CELL_ERROR}" in page.get_data(as_text=True)


def test_reviews_import_refuses_overflowing_dates_and_ratings_by_line(api, brand):
    data = (
        f"{REVIEW_HEADER}\n"
        f"google,b1,5,,Good,Ann,{LATE},,,,\n"
        "google,b2,1e400,,Good,Ann,2026-01-02,,,,\n"
        "google,b3,nan,,Good,Ann,2026-01-02,,,,\n"
        "google,b4,٥,,Good,Ann,2026-01-02,,,,\n"
    ).encode()
    url = f"/api/v1/brands/{brand.id}/reviews/import"
    response = api["editor"].post(url, data=data, content_type="text/csv")
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert [e.split(":")[0] for e in errors] == ["line 2", "line 3", "line 4", "line 5"]
    assert "too far in the past or future" in errors[0]


def test_posts_import_reports_a_too_long_cell_with_its_line(client, brand, seeded_ids):
    login(client, "editor@example.com")
    data = csv_with_long_cell("channel_id,text,scheduled_at", f"{seeded_ids['channel_id']},LONG,")
    page = client.post(
        f"/brands/{brand.id}/posts/import",
        data={"file": (io.BytesIO(data), "posts.csv")},
        content_type="multipart/form-data",
    )
    assert page.status_code == 400
    assert f"Line 2: {LONG_CELL_ERROR}" in page.get_data(as_text=True)


def test_posts_import_refuses_overflowing_times_and_ids_by_line(client, brand, seeded_ids):
    login(client, "editor@example.com")
    channel = seeded_ids["channel_id"]
    data = (
        "id,channel_id,text,scheduled_at\n"
        f",{channel},Hello,{LATE}\n"
        f"{2**63},{channel},Hello,2030-01-01T09:00:00Z\n"
        f",{channel}²,Hello,2030-01-01T09:00:00Z\n"
    ).encode()
    page = client.post(
        f"/brands/{brand.id}/posts/import",
        data={"file": (io.BytesIO(data), "posts.csv")},
        content_type="multipart/form-data",
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 400
    assert "Line 2: scheduled_at is too far in the past or future" in html
    assert "Line 3: id must be the number of a post of this brand" in html
    assert f"Line 4: channel_id {channel}² is not a channel of this brand" in html


def test_mentions_upload_reports_a_too_long_cell_with_its_line(api, brand, client):
    data = csv_with_long_cell("id,url,text", "7,https://a.example/7,LONG")
    url = f"/api/v1/brands/{brand.id}/listening/mentions/upload"
    response = api["editor"].post(url, data=data, content_type="text/csv")
    assert response.status_code == 422
    assert response.get_json()["errors"] == [
        "Line 2: A cell is longer than 131,072 characters; shorten it."
    ]
    header_too_long = f"id,url,{LONG_CELL}\n".encode()
    response = api["editor"].post(url, data=header_too_long, content_type="text/csv")
    assert response.status_code == 422
    assert response.get_json()["errors"][0].startswith("Line 1: A cell is longer")
    login(client, "editor@example.com")
    page = client.post(
        f"/brands/{brand.id}/listening/upload",
        data={"file": (io.BytesIO(data), "mentions.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert page.status_code == 200
    assert "Line 2: A cell is longer than 131,072 characters" in page.get_data(as_text=True)


def test_mentions_upload_refuses_an_overflowing_date_by_row(api, brand):
    data = f"id,url,text,published\n1,https://a.example/1,Hi,{LATE}\n".encode()
    url = f"/api/v1/brands/{brand.id}/listening/mentions/upload"
    response = api["editor"].post(url, data=data, content_type="text/csv")
    assert response.status_code == 422
    assert response.get_json()["errors"][0].startswith("Row 2: 'published' is not an ISO 8601")


def test_search_results_csv_upload_reports_long_cells_and_bad_positions(api, seeded_ids):
    url = f"/api/v1/serp/queries/{seeded_ids['query_id']}/uploads?kind=csv"
    data = csv_with_long_cell("checked_at,position,url", "2026-01-01,1,https://a.example/LONG")
    response = api["editor"].post(url, data=data, content_type="text/csv")
    assert response.status_code == 422
    assert "Line 2: A cell is longer than 131,072 characters" in response.get_json()[
        "error"
    ] + "".join(response.get_json()["errors"])
    data = (
        "checked_at,position,url\n"
        "2026-01-01,²,https://a.example/1\n"
        f"2026-01-01,{2**63},https://a.example/2\n"
        f"{LATE},1,https://a.example/3\n"
    ).encode()
    response = api["editor"].post(url, data=data, content_type="text/csv")
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert errors[:2] == [
        "Line 2: position '²' is not 1 or more.",
        f"Line 3: position '{2**63}' is not 1 or more.",
    ]
    assert errors[2].startswith("Line 4: 'checked_at' is too far in the past or future")


# --- pages ---------------------------------------------------------------------------------------


def test_pages_answer_422_with_the_field_for_unreadable_numbers(client, brand, seeded_ids):
    login(client, "admin@example.com")
    checks = [
        ("get", f"/brands/{brand.id}/listening?page={2**63}", None, "page"),
        ("get", f"/brands/{brand.id}/listening?assignee=²", None, "assignee"),
        ("get", f"/brands/{brand.id}/reviews?page={2**64}", None, "page"),
        ("post", f"/brands/{brand.id}/listening/sources",
         {"kind": "rss", "url": "https://a.example/f", "interval_minutes": str(2**63)},
         "interval_minutes"),
        ("post", f"/brands/{brand.id}/serp/plans", {"query_id": str(2**63)}, "query_id"),
        ("post", f"/brands/{brand.id}/serp/plans", {"query_id": "١"}, "query_id"),
    ]  # fmt: skip
    for method, url, data, field in checks:
        response = getattr(client, method)(url, data=data)
        assert response.status_code == 422, (url, response.status_code)
        assert f"&#39;{field}&#39; must be a whole number" in response.get_data(as_text=True)
    for url, data in [
        (f"/b/{brand.slug}%00/reviews", None),
        (f"/brands/{brand.id}/listening/sources", {"kind": "rss", "url": "https://a.example/\x00"}),
    ]:
        response = client.post(url, data=data) if data else client.get(url)
        assert response.status_code == 422, (url, response.status_code)
        assert "contains a NUL character" in response.get_data(as_text=True)


def test_channel_windows_form_refuses_infinite_weights(client, seeded_ids):
    login(client, "admin@example.com")
    response = client.post(
        f"/channels/{seeded_ids['channel_id']}",
        data={"action": "windows", "weekday": "2", "start": "09:00", "end": "10:00",
              "weight": "1e400"},
    )  # fmt: skip
    assert response.status_code == 400  # the page's answer to a form with errors
    assert "Row 1: give the day, a start and an end as HH:MM." in response.get_data(as_text=True)


def test_search_upload_page_flashes_an_overflowing_time(client, brand, seeded_ids):
    login(client, "editor@example.com")
    response = client.post(
        f"/brands/{brand.id}/search/{seeded_ids['query_id']}/upload",
        data={"file": (io.BytesIO(b"<html></html>"), "page.html"), "kind": "html",
              "checked_at": LATE},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 422
    assert "too far in the past or future" in response.get_data(as_text=True)


# --- the error page ------------------------------------------------------------------------------


def fail_a_statement() -> None:
    """What careless code does: a statement fails, the error is swallowed, the view goes on."""
    try:
        db.session.execute(text("SELECT * FROM no_such_table"))
    except ProgrammingError:
        pass


def test_error_page_after_a_failed_statement_is_the_full_page(app, client, brand):
    def crashes():
        fail_a_statement()
        raise RuntimeError("the view fails after the statement")

    def not_found():
        fail_a_statement()
        abort(404)

    app.add_url_rule("/test/crashes", view_func=crashes)
    app.add_url_rule("/test/not-found", view_func=not_found)
    login(client, "admin@example.com")
    crashed = client.get("/test/crashes")
    assert crashed.status_code == 500
    html = crashed.get_data(as_text=True)
    # The navigation lists the admin's brands: it ran its query after the rollback.
    assert "Something went wrong" in html and "Acme Bakery" in html
    missing = client.get("/test/not-found")
    assert missing.status_code == 404
    assert "Not Found" in missing.get_data(as_text=True)
    assert "Acme Bakery" in missing.get_data(as_text=True)


def test_error_page_falls_back_to_a_static_page_when_rendering_fails(app, client, monkeypatch):
    def crashes():
        raise RuntimeError("the view fails")

    app.add_url_rule("/test/crashes", view_func=crashes)

    def broken_render(*args, **kwargs):
        raise RuntimeError("the template cannot be rendered")

    monkeypatch.setattr("core.web.render_template", broken_render)
    crashed = client.get("/test/crashes")
    assert crashed.status_code == 500
    assert crashed.content_type == "text/html; charset=utf-8"
    assert "<h1>Something went wrong</h1>" in crashed.get_data(as_text=True)
    missing = client.get(f"/brands/{2**63}")
    assert missing.status_code == 404
    assert "<h1>Not Found</h1>" in missing.get_data(as_text=True)
