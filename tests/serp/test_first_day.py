"""What a newcomer meets on the search pages: honest messages, refused non-pages, kept places."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.db import db, utcnow
from planner.assets import AssetKind, record_owned_asset
from planner.channels import create_channel
from serp import operations as ops
from serp import plans
from serp.checks import check_now
from serp.models import LabelRule, SerpCheck, TrackedQuery
from tests.conftest import login

from .conftest import bing_page, make_query

# The first bytes of files people upload by mistake in place of a saved page.
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!"
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n"
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00"


def flashes(client, location: str) -> str:
    page = client.get(location).get_data(as_text=True)
    return " ".join(re.findall(r'<div class="flash [^"]*"[^>]*>(.*?)</div>', page, re.S))


def track(client, brand, **values) -> tuple[int, str]:
    data = {
        "text": "acme uploads", "engine": "google", "language": "en", "country": "us",
        "device": "desktop", "depth": "10", "schedule": "weekly", "weekday": "0", "hour": "6",
        "provider": "html", "importance": "1",
    } | values  # fmt: skip
    response = client.post(f"/brands/{brand.id}/search", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.status_code, flashes(client, response.headers["Location"])


# --- a new query ---------------------------------------------------------------------------------


def test_a_manual_upload_query_says_it_waits_for_an_upload_and_links_to_it(client, brand, users):
    login(client, users["editor"].email)
    _, said = track(client, brand, provider="manual")
    query = db.session.scalars(select(TrackedQuery)).one()
    assert "runs shortly" not in said
    assert "checked from saved result pages you upload" in said
    upload = f"/brands/{brand.id}/search/{query.id}/upload"
    assert f'<a href="{upload}">upload its first page</a>' in said
    assert client.get(upload).status_code == 200


def test_a_fetched_query_still_says_its_first_check_runs_shortly(client, brand, users):
    login(client, users["editor"].email)
    _, said = track(client, brand, text="acme fetched", provider="html")
    assert "Tracking “acme fetched”; its first check runs shortly." in said


# --- uploads that are not pages ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "what"),
    [
        (PNG, "a PNG image"),
        (JPEG, "a JPEG image"),
        (GIF, "a GIF image"),
        (PDF, "a PDF document"),
        (ZIP, "a ZIP archive"),
        (b"just some words copied from a page, without any markup\n", "no HTML markup"),
    ],
)
def test_a_file_that_is_not_a_page_is_refused_at_upload_and_nothing_is_stored(
    app, client, brand, users, content, what
):
    query = make_query(app, brand, None, provider="manual")
    login(client, users["editor"].email)
    response = client.post(
        f"/brands/{brand.id}/search/{query.id}/upload",
        data={"file": (io.BytesIO(content), "results.html"), "kind": "html"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert what in page and "not a saved result page" in page
    assert "Save the search results page from the browser as HTML" in page
    assert db.session.scalar(select(func.count()).select_from(SerpCheck)) == 0
    db.session.refresh(query)
    assert query.last_checked_at is None


def test_the_api_refuses_a_png_sent_as_a_page_too(app, brand, users, api):
    query = make_query(app, brand, None, provider="manual")
    response = api["editor"].post(
        f"/api/v1/serp/queries/{query.id}/uploads?kind=html",
        data=PNG,
        headers={"Content-Type": "text/html"},
    )
    assert response.status_code == 422
    assert "This file is a PNG image" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(SerpCheck)) == 0


def test_a_real_saved_page_is_still_read(app, client, brand, users):
    query = make_query(app, brand, None, engine="bing", provider="manual")
    login(client, users["editor"].email)
    response = client.post(
        f"/brands/{brand.id}/search/{query.id}/upload",
        data={"file": (io.BytesIO(bing_page(0).encode()), "results.html"), "kind": "html"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    check = db.session.scalars(select(SerpCheck)).one()
    assert check.status == "ok" and check.result_count == 10


# --- labelling keeps the place -------------------------------------------------------------------


def test_labelling_a_result_returns_to_its_row_and_confirms(
    app, client, brand, users, engine_server
):
    engine_server["page"] = lambda start: bing_page(start, 10)
    query = make_query(app, brand, None, engine="bing", depth=100)
    check_now(app, query.id, "w1")
    login(client, users["editor"].email)
    detail_url = f"/brands/{brand.id}/search/{query.id}"
    detail = client.get(detail_url).get_data(as_text=True)
    rows = re.findall(r'<tr id="result-(\d+)">', detail)
    assert len(rows) >= 90, "a deep check shows many rows"
    assert 'name="anchor" value="result-57"' in detail

    response = client.post(
        f"/brands/{brand.id}/search/label",
        data={
            "url": "site56.example.com/page",
            "label": "negative",
            "next": detail_url,
            "anchor": "result-57",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{detail_url}#result-57")
    assert "Labelled site56.example.com/page negative." in flashes(client, detail_url)
    rule = db.session.scalars(select(LabelRule)).one()
    assert (rule.pattern, rule.label) == ("site56.example.com/page", "negative")

    # A long URL is shortened in the message; an anchor that is not a row id is not followed.
    long_url = "news.example/" + "a-very-long-headline-about-acme-bakery-" * 3
    odd = client.post(
        f"/brands/{brand.id}/search/label",
        data={"url": long_url, "label": "negative", "next": detail_url, "anchor": 'x" onclick'},
    )
    assert odd.headers["Location"].endswith(detail_url)
    said = flashes(client, detail_url)
    assert re.search(r"Labelled news\.example/a-very-long[^ ]*… negative\.", said), said


def test_the_labelling_queue_returns_to_the_same_place(app, client, brand, users, engine_server):
    query = make_query(app, brand, None, engine="bing")
    check_now(app, query.id, "w1")
    login(client, users["editor"].email)
    queue = f"/brands/{brand.id}/search/queue"
    page = client.get(queue).get_data(as_text=True)
    assert 'name="anchor" value="row-4"' in page
    response = client.post(
        f"/brands/{brand.id}/search/label",
        data={
            "url": "site3.example.com/page",
            "label": "neutral",
            "next": queue,
            "anchor": "row-4",
        },
    )
    assert response.headers["Location"].endswith(f"{queue}#row-4")


# --- "Check all now" -----------------------------------------------------------------------------


def test_check_all_says_why_no_query_will_be_checked(app, client, brand, users):
    login(client, users["editor"].email)
    base = f"/brands/{brand.id}/search"
    none = client.post(f"{base}/check-all")
    assert "since=" not in none.headers["Location"]
    assert "There is no tracked query to check yet" in flashes(client, none.headers["Location"])

    make_query(app, brand, None, text="uploads", provider="manual")
    paused = make_query(app, brand, None, text="paused")
    ops.set_paused(db.session, paused, None, True)
    db.session.commit()
    response = client.post(f"{base}/check-all")
    said = flashes(client, response.headers["Location"])
    assert (
        "No query will be checked: 1 is paused (resume to check); 1 is checked only from " in said
    )
    assert "0 queries" not in said and "since=" not in response.headers["Location"]

    make_query(app, brand, None, text="fetched")
    response = client.post(f"{base}/check-all")
    said = flashes(client, response.headers["Location"].split("?")[0])
    assert "1 query will be checked by the worker within a minute. Left out: 1 is paused" in said


def test_check_all_message_for_every_case():
    def query(paused=False, provider="html"):
        return TrackedQuery(text="q", paused=paused, provider=provider)

    assert ops.check_all_message([], 0).startswith("There is no tracked query")
    both_manual = [query(provider="manual"), query(provider="manual")]
    assert ops.check_all_message(both_manual, 0) == (
        "No query will be checked: 2 are checked only from uploaded pages (upload a saved result "
        "page on the query's page)."
    )
    assert ops.check_all_message([query(), query()], 2) == (
        "2 queries will be checked by the worker within a minute."
    )


# --- plans do not suggest what the brand has ------------------------------------------------


def test_a_plan_does_not_suggest_a_reviews_page_the_brand_already_has(app, brand, users):
    assert [i.key for i in plans.propose(8, [])][0] == "reviews_page"
    record_owned_asset(
        db.session, brand.id, "https://acme.example/b/acme/reviews", AssetKind.REVIEWS_PAGE,
        utcnow() - timedelta(days=30), title="Selected reviews of Acme",
    )  # fmt: skip
    db.session.commit()
    kinds = plans.owned_asset_kinds(db.session, brand.id)
    assert kinds == {"reviews_page"}
    for position in range(1, 11):
        ideas = plans.propose(position, [], kinds)
        assert len(ideas) == 11 - position
        assert "reviews_page" not in [i.key for i in ideas]
    # Without one, it is proposed once, even when the catalogue is used again from the top.
    ten = [i.key for i in plans.propose(1, [])]
    assert ten.count("reviews_page") == 1 and len(ten) == 10


def test_create_plan_leaves_out_the_reviews_page_the_brand_has(app, brand, users):
    from tests.serp.test_displacement import N2, build_scenario

    q1, _ = build_scenario(app, brand, users["admin"])
    create_channel(db.session, brand, users["admin"], platform="linkedin")
    record_owned_asset(
        db.session, brand.id, "https://acme.example/reviews", AssetKind.REVIEWS_PAGE,
        utcnow(), title="Selected reviews",
    )  # fmt: skip
    db.session.commit()
    from tests.serp.test_displacement import week

    plan = plans.create_plan(
        db.session, brand, users["editor"], query_id=q1.id, negative_url="https://" + N2,
        now=week(12) + timedelta(hours=2),
    )  # fmt: skip
    assert [a.kind for a in plan.assets] == ["case_study", "video_linkedin", "video_youtube"]
