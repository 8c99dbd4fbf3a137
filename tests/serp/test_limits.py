"""Result pages have limits: upload size, stored results per check, parse work, page sizes."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from selectolax.lexbor import LexborHTMLParser
from sqlalchemy import func, select

from core.config import load_config
from core.db import db
from serp.checks import RESULTS_MARGIN, results_cap, store_check
from serp.models import SerpCheck, SerpResultRow
from serp.parse import TOO_COMPLEX, SerpResult, limits, read_serp
from serp.views import HISTORY_CHECKS
from tests.conftest import login

from .conftest import bing_page, make_query

# --- upload size --------------------------------------------------------------------------------


def page_of_size(size: int, results: int = 10) -> bytes:
    """A Bing result page padded with a comment to exactly `size` bytes."""
    page = bing_page(0, results).encode()
    padding = size - len(page) - len(b"<!---->")
    assert padding >= 0
    return page.replace(b"<body>", b"<body><!--" + b"x" * padding + b"-->", 1)


def test_default_page_cap_is_five_megabytes_and_configurable(tmp_path):
    assert load_config(str(tmp_path), {})["SERP_MAX_PAGE_BYTES"] == 5 * 1024 * 1024
    configured = load_config(str(tmp_path), {"SERP_MAX_PAGE_MB": "1.5"})
    assert configured["SERP_MAX_PAGE_BYTES"] == 1536 * 1024


def test_api_upload_just_over_the_cap_is_refused_and_just_under_is_stored(app, api, brand):
    app.config["SERP_MAX_PAGE_BYTES"] = 40_000
    query = make_query(app, brand, None, provider="manual", engine="bing")
    url = f"/api/v1/serp/queries/{query.id}/uploads"
    over = api["editor"].post(
        url,
        data={"file": (io.BytesIO(page_of_size(40_001)), "page.html")},
        content_type="multipart/form-data",
    )
    assert over.status_code == 422
    assert "over the 40,000 bytes limit" in over.get_json()["error"]
    assert "SERP_MAX_PAGE_BYTES" in over.get_json()["error"]
    assert db.session.scalar(select(func.count()).select_from(SerpCheck)) == 0
    under = api["editor"].post(
        url,
        data={"file": (io.BytesIO(page_of_size(40_000)), "page.html")},
        content_type="multipart/form-data",
    )
    assert under.status_code == 201, under.get_json()
    [check] = under.get_json()["checks"]
    assert check["status"] == "ok" and check["result_count"] == 10


def test_raw_body_upload_over_the_cap_is_refused(app, api, brand):
    app.config["SERP_MAX_PAGE_BYTES"] = 2 * 1024 * 1024
    query = make_query(app, brand, None, provider="manual", engine="bing")
    response = api["editor"].post(
        f"/api/v1/serp/queries/{query.id}/uploads?kind=html",
        data=page_of_size(2 * 1024 * 1024 + 1),
        content_type="text/html",
    )
    assert response.status_code == 422
    assert "over the 2.0 MB limit" in response.get_json()["error"]


def test_upload_form_says_the_limit_and_stores_nothing(app, client, brand, users):
    app.config["SERP_MAX_PAGE_BYTES"] = 30_000
    query = make_query(app, brand, None, provider="manual", engine="bing")
    login(client, users["editor"].email)
    path = f"/brands/{brand.id}/search/{query.id}/upload"

    def post(size: int):
        return client.post(
            path,
            data={"file": (io.BytesIO(page_of_size(size)), "p.html"), "kind": "html"},
            content_type="multipart/form-data",
        )

    refused = post(30_001)
    assert refused.status_code == 422
    assert "over the 30,000 bytes limit for result pages" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(SerpCheck)) == 0
    assert post(30_000).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(SerpCheck)) == 1


# --- stored results per check -------------------------------------------------------------------


def test_a_page_with_thousands_of_results_stores_the_depth_and_a_margin(app, api, brand):
    query = make_query(app, brand, None, provider="manual", engine="bing", depth=20)
    response = api["editor"].post(
        f"/api/v1/serp/queries/{query.id}/uploads?kind=html",
        data=bing_page(0, 250),
        content_type="text/html",
    )
    assert response.status_code == 201, response.get_json()
    [check] = response.get_json()["checks"]
    assert results_cap(20) == 20 + RESULTS_MARGIN == 30
    assert check["result_count"] == 30
    assert [r["position"] for r in check["results"]] == list(range(1, 31))
    assert check["reason"] == "Kept the first 30 of 250 results; the query tracks the top 20."
    stored = db.session.scalar(select(func.count()).select_from(SerpResultRow))
    assert stored == 30


def test_a_csv_check_with_more_rows_than_the_cap_is_truncated(app, api, brand):
    query = make_query(app, brand, None, provider="manual", engine="bing", depth=10)
    rows = "".join(
        f"2026-01-05T08:00:00Z,{p},https://site{p}.example.com/,Site {p}\n" for p in range(1, 501)
    )
    response = api["editor"].post(
        f"/api/v1/serp/queries/{query.id}/uploads",
        data="checked_at,position,url,title\n" + rows,
        content_type="text/csv",
    )
    assert response.status_code == 201, response.get_json()
    [check] = response.get_json()["checks"]
    assert check["result_count"] == 20
    assert check["results"][-1]["url"] == "https://site20.example.com/"
    assert "Kept the first 20 of 500 results" in check["reason"]


def test_a_check_within_the_cap_has_no_note(app, brand):
    query = make_query(app, brand, None, provider="manual", depth=10)
    results = [SerpResult(p, f"https://s{p}.example/", "", "") for p in range(1, 21)]
    check = store_check(
        db.session, query, status="ok", results=results, checked_at=datetime.now(UTC),
        provider="manual",
    )  # fmt: skip
    assert check.result_count == 20 and check.reason is None


# --- parse work on pathological pages -----------------------------------------------------------


def amplifying(formatting_tags: int, blocks: int) -> str:
    """Formatting tags left open, closed by their parent, re-created in every later block."""
    opened = "".join(f"<b id={i}>" for i in range(formatting_tags))
    return f"<p>{opened}</p>" + "<div>x</div>" * blocks


PATHOLOGICAL = {
    "100,000 nested divs": "<div id='rso'>"
    + "<div>" * 100_000
    + "<h3><a href='https://x.example/'>t</a></h3>"
    + "</div>" * 100_000,
    "4,000 nested divs below the tag count measured": "<div>" * 4_000 + "x" + "</div>" * 4_000,
    "5,000 nested results": "<div id='rso'>"
    + "<div><a href='https://x.example/'><h3>t</h3></a><span>snippet</span>" * 5_000
    + "</div>" * 5_000,
    "1,000,000 sibling elements": "<div id='rso'>" + "<span>a</span>" * 1_000_000 + "</div>",
    "40,000 sibling elements": "<div id='rso'>" + "<span>a</span>" * 40_000 + "</div>",
    "5,000 nested tables": "<table><tr><td>" * 5_000 + "x" + "</td></tr></table>" * 5_000,
    "a 5 MB attribute": "<div id='rso'><a href='https://x.example/"
    + "a" * 5_000_000
    + "'><h3>t</h3></a></div>",
    "3,000 open formatting tags re-created": amplifying(3_000, 1_000),
    "200 open formatting tags re-created in 2,000 blocks": amplifying(200, 2_000),
    "divs hidden in an SVG style": "<svg><style>" + "<div>" * 20_000 + "</style></svg>",
    "divs in a custom script-x element": "<script-x>" + "<div>" * 20_000 + "</script-x>",
    "spans 5,000 deep around 1,200 titles": "<div id='rso'>"
    + "<span>" * 5_000
    + "<div class=g><a href='https://x.example/'><h3>t</h3></a></div>" * 1_200
    + "</div>",
}
# Pages refused before any tree is built, and why.
REFUSED_UNREAD = {
    "100,000 nested divs": "tags",
    "5,000 nested results": "levels deep",
    "1,000,000 sibling elements": "characters",
    "5,000 nested tables": "levels deep",
    "3,000 open formatting tags re-created": "levels deep",
    "200 open formatting tags re-created in 2,000 blocks": "re-created",
    "divs hidden in an SVG style": "levels deep",
    "divs in a custom script-x element": "levels deep",
}


@pytest.mark.parametrize("name", list(PATHOLOGICAL))
@pytest.mark.parametrize("engine", [None, "google", "bing", "duckduckgo"])
def test_pathological_pages_are_read_or_refused_within_the_budget(name, engine):
    page, budget = read_serp(PATHOLOGICAL[name], engine)
    assert budget.spent <= limits.WORK_BUDGET
    assert len(page.results) <= 300
    if name in REFUSED_UNREAD:
        assert page.blocked and page.reason == TOO_COMPLEX and page.results == []
        assert REFUSED_UNREAD[name] in page.detail
        assert budget.spent == 0  # refused by the markup check, before Lexbor built anything
    elif page.reason == TOO_COMPLEX:
        # Refused while reading: a title nested too deep, or the work budget spent.
        assert page.blocked and page.results == []
        assert "levels deep" in page.detail or budget.spent > limits.WORK_BUDGET // 2


def test_deep_spans_around_titles_stop_at_the_depth_limit_in_google_pages():
    page, budget = read_serp(PATHOLOGICAL["spans 5,000 deep around 1,200 titles"], "google")
    assert page.reason == TOO_COMPLEX and "levels deep" in page.detail
    assert budget.spent == 0  # the first title's chain of ancestors was already too deep


def test_the_work_budget_stops_a_parse_that_reads_too_much():
    budget = limits.WorkBudget()
    budget.spend(limits.WORK_BUDGET)
    with pytest.raises(limits.PageTooComplex, match="more than 400,000 steps"):
        budget.spend(1)


def test_a_reading_reused_is_charged_the_units_it_cost_when_read():
    memo: dict = {}

    def read(units: list[int]) -> str:
        for unit in units:
            limits.spend(unit)
        return "text"

    budget = limits.WorkBudget()
    token = limits.start_budget(budget)
    try:
        assert limits.kept(memo, "title", read, [3, 64, 1]) == "text"
        assert budget.spent == 68
        assert limits.kept(memo, "title", read, [1_000]) == "text"  # reused, not read again
        assert budget.spent == 136
        # Reused past the budget: stopped at the same step as reading would stop.
        budget.left = 66
        with pytest.raises(limits.PageTooComplex):
            limits.kept(memo, "title", read, [])
        assert budget.spent == 136 + 67
    finally:
        limits.end_budget(token)


def test_a_page_with_nul_characters_reads_as_the_page_without_them():
    page = (
        "<html><head><title>coffee - Google Search</title></head><body><div id=rso>"
        + "".join(
            f"<div class=g><a href='https://site{n}.example/coffee'><h3>Coffee {n}</h3></a>"
            f"<div class=VwiC3b>All about coffee, part {n}.</div></div>"
            for n in range(5)
        )
        + "</div><a href='https://www.google.com/search?q=coffee'>more</a></body></html>"
    )
    with_nul = page.replace("<h3>", "<h3>\x00").replace("coffee, part", "cof\x00fee, part")
    clean, _budget = read_serp(page)
    read, _budget = read_serp(with_nul)
    assert read.engine == "google" and len(read.results) == 5
    assert read.to_dict(features=True) == clean.to_dict(features=True)


def test_markup_shape_errs_high_against_the_tree_lexbor_builds():
    page = (
        "<html><body><div><ul><li>a<li>b<li><span>c</span></ul>"
        "<script>if (a<b) { x = '<div><div>'; }</script><!-- <div> -->"
        "<svg><path d='M0'/><path d='M1'/></svg><p>one<p>two</div></body></html>"
    )
    shape = limits.markup_shape(page)
    deepest = max(_depth(node) for node in LexborHTMLParser(page).root.traverse())
    assert deepest <= shape.depth <= deepest + 2
    assert shape.recreated == 0


def _depth(node) -> int:
    depth = 0
    while node.parent is not None:
        depth, node = depth + 1, node.parent
    return depth


def test_a_too_complex_upload_is_an_error_check_not_an_empty_page(app, api, brand):
    query = make_query(app, brand, None, provider="manual", engine="google")
    response = api["editor"].post(
        f"/api/v1/serp/queries/{query.id}/uploads?kind=html",
        data=PATHOLOGICAL["100,000 nested divs"],
        content_type="text/html",
    )
    assert response.status_code == 201, response.get_json()
    [check] = response.get_json()["checks"]
    assert check["status"] == "error" and check["results"] == []
    assert check["reason"].startswith("the page was not read: the page holds 200,")


# --- pagination ---------------------------------------------------------------------------------

WEEKS = 52


@pytest.fixture
def year_of_checks(app, brand):
    """A top-100 query checked weekly for a year, 100 results each; the newest is week 51."""
    query = make_query(app, brand, None, provider="manual", depth=100)
    start = datetime(2025, 1, 6, 8, tzinfo=UTC)
    for week in range(WEEKS):
        results = [
            SerpResult(p, f"https://site{(p + week) % 120}.example.com/w", f"R{p}", "s")
            for p in range(1, 101)
        ]
        status = "blocked" if week == 50 else "ok"
        store_check(
            db.session, query, status=status, results=results if status == "ok" else [],
            checked_at=start + timedelta(weeks=week), provider="manual",
        )  # fmt: skip
    db.session.commit()
    return query


def grid_columns(body: str) -> list[str]:
    tree = LexborHTMLParser(body)
    return [th.text() for th in tree.css("table.serp-grid thead th")][1:]


def test_the_query_page_shows_the_latest_results_and_one_page_of_history(
    client, brand, users, year_of_checks
):
    login(client, users["viewer"].email)
    base = f"/brands/{brand.id}/search/{year_of_checks.id}"
    first = client.get(base)
    assert first.status_code == 200
    body = first.get_data(as_text=True)
    tree = LexborHTMLParser(body)
    # The latest good check (week 49; week 50 was blocked, 51 is good again) with its 100 rows.
    assert len(tree.css("section.card")[0].css("tbody tr")) == 100
    assert grid_columns(body)[-1] == "Dec 29"  # week 51, the newest, on the right
    assert len(grid_columns(body)) == HISTORY_CHECKS
    assert "checks 1–30 of 52" in body and "Page 1 of 2" in body
    assert len(body) < 400_000
    older = tree.css_first('nav.serp-pager a[rel="next"]').attributes["href"]
    second = client.get(older)
    assert second.status_code == 200
    columns = grid_columns(second.get_data(as_text=True))
    assert len(columns) == WEEKS - HISTORY_CHECKS and columns[0] == "Jan 6"
    assert "Page 2 of 2" in second.get_data(as_text=True)
    assert 'rel="next"' not in second.get_data(as_text=True)


# Each case against the same year of checks (building it takes longer than the requests).
def test_pages_past_the_history_or_malformed_are_not_found(client, brand, users, year_of_checks):
    login(client, users["viewer"].email)
    for page in ["3", "0", "-1", "abc", "²", "1e3", "9" * 30, str(2**63), " 1", "1.0"]:
        response = client.get(f"/brands/{brand.id}/search/{year_of_checks.id}?page={page}")
        assert response.status_code == 404, page


def test_an_empty_page_number_is_the_first_page(client, brand, users, year_of_checks):
    login(client, users["viewer"].email)
    response = client.get(f"/brands/{brand.id}/search/{year_of_checks.id}?page=")
    assert response.status_code == 200 and "Page 1 of 2" in response.get_data(as_text=True)


def test_history_api_pages_with_limit_and_offset(api, year_of_checks):
    url = f"/api/v1/serp/queries/{year_of_checks.id}/history"
    first = api["viewer"].get(f"{url}?limit=20").get_json()
    assert first["total"] == WEEKS and first["limit"] == 20 and first["offset"] == 0
    assert len(first["checks"]) == 20 and first["next_offset"] == 20
    assert first["checks"][0]["checked_at"].startswith("2025-12-29")
    assert len(first["checks"][0]["results"]) == 100
    last = api["viewer"].get(f"{url}?limit=20&offset=40").get_json()
    assert len(last["checks"]) == 12 and last["next_offset"] is None
    assert last["checks"][-1]["checked_at"].startswith("2025-01-06")
    seen = {c["id"] for c in first["checks"]} | {c["id"] for c in last["checks"]}
    middle = api["viewer"].get(f"{url}?limit=20&offset=20").get_json()
    assert len(seen | {c["id"] for c in middle["checks"]}) == WEEKS
    past = api["viewer"].get(f"{url}?offset=60").get_json()
    assert past["checks"] == [] and past["next_offset"] is None and past["total"] == WEEKS
    default = api["viewer"].get(url).get_json()
    assert len(default["checks"]) == 50 and default["next_offset"] == 50


def test_history_api_refuses_bad_limits_and_offsets_with_422(api, year_of_checks):
    for args in [
        "limit=0", "limit=201", "limit=abc", "limit=²", "limit=-5", "offset=-1", "offset=1e3",
        f"offset={2**63}", "offset=10000001", "limit=" + "9" * 40,
    ]:  # fmt: skip
        response = api["viewer"].get(f"/api/v1/serp/queries/{year_of_checks.id}/history?{args}")
        assert response.status_code == 422, args
        name = args.split("=")[0]
        assert f"'{name}' must be a whole number" in response.get_json()["error"], args


def test_openapi_documents_the_history_pages(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/serp/queries/{query_id}/history"]["get"]
    parameters = {p["name"]: p["schema"] for p in operation["parameters"]}
    assert parameters["limit"]["maximum"] == 200 and parameters["offset"]["minimum"] == 0
    body = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert {"total", "next_offset", "limit", "offset"} <= set(body["properties"])


def test_history_csv_streams_every_check_oldest_first_across_batches(
    api, year_of_checks, monkeypatch
):
    import csv

    import serp.api

    monkeypatch.setattr(serp.api, "EXPORT_BATCH", 7)  # 52 checks: 8 batches, the last short
    response = api["viewer"].get(f"/api/v1/serp/queries/{year_of_checks.id}/history.csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    # 51 good checks of 100 results and one blocked check written as one line.
    assert len(rows) == 51 * 100 + 1
    times = [row["checked_at"] for row in rows]
    assert times == sorted(times) and times[0].startswith("2025-01-06")
    assert len(set(times)) == WEEKS
    assert [r["status"] for r in rows if r["checked_at"].startswith("2025-12-22")] == ["blocked"]


@pytest.fixture
def url_in_many_queries(app, brand):
    """A URL at position 3 in 23 queries, each checked weekly for 40 weeks."""
    start = datetime(2025, 1, 6, 8, tzinfo=UTC)
    for number in range(23):
        query = make_query(app, brand, None, text=f"acme query {number:02d}", provider="manual")
        for week in range(40):
            store_check(
                db.session, query, status="ok",
                results=[SerpResult(3, "https://news.example.com/acme-story", "Story", "s")],
                checked_at=start + timedelta(weeks=week), provider="manual",
            )  # fmt: skip
    db.session.commit()
    return "https://news.example.com/acme-story"


def test_the_url_page_shows_a_page_of_queries_with_their_latest_checks(
    client, brand, users, url_in_many_queries
):
    login(client, users["viewer"].email)
    base = f"/brands/{brand.id}/search/url"
    first = client.get(base, query_string={"u": url_in_many_queries})
    assert first.status_code == 200
    tree = LexborHTMLParser(first.get_data(as_text=True))
    headings = [h.text() for h in tree.css("section.card h2")]
    assert len(headings) == 10 and "acme query 00" in headings[0]
    assert "the latest 30 of 40 checks" in headings[0]
    assert all(len(table.css("tbody tr")) == HISTORY_CHECKS for table in tree.css("table"))
    assert "Queries 1–10 of 23 · page 1 of 3" in first.get_data(as_text=True)
    last = client.get(base, query_string={"u": url_in_many_queries, "page": "3"})
    tree = LexborHTMLParser(last.get_data(as_text=True))
    assert [h.text()[:15] for h in tree.css("section.card h2")] == [
        "“acme query 20”", "“acme query 21”", "“acme query 22”"
    ]  # fmt: skip
    for page in ("4", "0", "²", "9" * 40):
        answer = client.get(base, query_string={"u": url_in_many_queries, "page": page})
        assert answer.status_code == 404
