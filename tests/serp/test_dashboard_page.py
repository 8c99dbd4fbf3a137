"""The dashboard page of the demo brand: the complaint's decline beside the owned assets."""

from __future__ import annotations

from datetime import UTC, datetime

import lxml.html
import pytest
from sqlalchemy import select

from core.db import db
from core.tenants import Brand
from planner.assets import AssetKind, record_owned_asset
from planner.demo import DEMO_EMAIL, DEMO_PASSWORD, load_demo
from tests.conftest import login

from .conftest import make_query

COMPLAINT = "complaints.example/northwind-coffee-scam"


@pytest.fixture
def demo_page(app, client):
    load_demo(
        db.session,
        now=datetime.now(UTC),
        only_if_empty=False,
        more=app.extensions["pageone.demo_loaders"],
    )
    db.session.commit()
    brand_id = db.session.scalar(select(Brand.id))
    login(client, DEMO_EMAIL, DEMO_PASSWORD)
    response = client.get(f"/brands/{brand_id}/serp/dashboard")
    assert response.status_code == 200
    data = client.get(f"/brands/{brand_id}/serp/dashboard.json").get_json()
    return lxml.html.fromstring(response.get_data(as_text=True)), data


def rows(section) -> list[list[str]]:
    return [
        [" ".join(cell.text_content().split()) for cell in row.xpath("td")]
        for row in section.xpath(".//tbody/tr")
    ]


def test_dashboard_lists_the_owned_assets_with_where_they_rank(demo_page):
    page, _data = demo_page
    [section] = page.xpath("//section[@id='owned-assets']")
    titles = section.xpath(".//tbody/tr/td[1]/strong/text()")
    by_title = dict(zip(titles, rows(section), strict=True))
    assert set(by_title) == {
        "Selected reviews",
        "Case study: a bakery chain",
        "Case study: a hotel group",
    }
    best = {title: row[4].split(" ")[0] for title, row in by_title.items()}
    assert best == {
        "Selected reviews": "2",
        "Case study: a bakery chain": "3",
        "Case study: a hotel group": "4",
    }
    for row in by_title.values():
        assert row[3].split(" ")[0].isdigit(), "first seen: a position"
        assert COMPLAINT in row[5], "each now ranks above the complaint"


def test_dashboard_shows_the_complaint_before_and_after_each_asset_went_live(demo_page):
    page, data = demo_page
    [section] = page.xpath("//section[@id='is-it-working']")
    assert COMPLAINT in section.text_content()
    shown = {row[0]: row for row in rows(section)}
    windows = [w for w in data["is_it_working"] if w["url"] == COMPLAINT]
    assert len(windows) == 3
    for window in windows:
        row = shown[window["asset"]]
        assert window["median_before"] is not None and window["median_after"] is not None
        assert row[2:4] == [f"{window['median_before']:g}", f"{window['median_after']:g}"]
        assert row[5] == (", ".join(window["entered_page_one"]) or "none")
    # The complaint sank as the assets went live: 3rd before the first, 8.5th after the last.
    assert (shown["Selected reviews"][2], shown["Case study: a hotel group"][3]) == ("3", "8.5")


def test_dashboard_leaves_out_the_social_posts_no_result_held(app, client, demo_page):
    # A brand that posts daily has thousands of posts, each an owned asset: the page lists the
    # pages and articles meant to rank, and the posts a tracked result held; the JSON has all.
    brand_id = db.session.scalar(select(Brand.id))
    for n, url in enumerate(("social.example/northwind/1", "social.example/northwind/2")):
        record_owned_asset(
            db.session, brand_id, "https://" + url, AssetKind.SOCIAL_POST, datetime.now(UTC),
            title=f"Post {n}",
        )  # fmt: skip
    db.session.commit()
    response = client.get(f"/brands/{brand_id}/serp/dashboard")
    page = lxml.html.fromstring(response.get_data(as_text=True))
    [assets] = page.xpath("//section[@id='owned-assets']")
    assert "Post 0" not in assets.text_content()
    assert "2 social posts that no tracked result has held yet" in " ".join(
        assets.text_content().split()
    )
    [windows] = page.xpath("//section[@id='is-it-working']")
    assert [row[0] for row in rows(windows)] == [
        "Selected reviews", "Case study: a bakery chain", "Case study: a hotel group",
    ]  # fmt: skip
    data = client.get(f"/brands/{brand_id}/serp/dashboard.json").get_json()
    assert {a["title"] for a in data["assets"]} >= {"Post 0", "Post 1"}
    assert {w["asset"] for w in data["is_it_working"]} >= {"Post 0", "Post 1"}


def test_dashboard_says_so_instead_of_a_chart_when_no_negative_is_on_page_one(demo_page):
    page, _data = demo_page
    assert not page.xpath("//canvas[@id='needed-chart']")
    assert "No negative item is on page one" in page.text_content()
    # The negative-items table and the windows are still shown, below the charts.
    assert page.xpath("//table[@id='negative-items']//code[text()=$url]", url=COMPLAINT)


def test_checking_one_query_says_query_in_the_singular(app, client, brand, users):
    make_query(app, brand, None, text="only one", schedule="manual")
    login(client, users["editor"].email)
    response = client.post(f"/brands/{brand.id}/search/check-all", follow_redirects=True)
    assert "1 query will be checked" in response.get_data(as_text=True)
