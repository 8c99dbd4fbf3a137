"""Page features of checks: stored per check, labelled like results, weighed in the score,
shown on the query page and in the API."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.db import db, utcnow
from serp import rules as rule_ops
from serp import uploads
from serp.checks import purge_query, reparse, run_due_checks
from serp.displacement import DEFAULT_CTR_CURVE
from serp.features import DEFAULT_BLOCK_WEIGHTS, CheckFeature, CheckFeatureItem, slots
from serp.models import SerpCheck
from serp.parse import PageFeature
from serp.summaries import CheckSummary
from tests.conftest import login

from .conftest import fixture_text, make_query

NEWS = "https://www.delfi.example/verslas/petraitis-bankrotas-12345"
NEWS_KEY = "delfi.example/verslas/petraitis-bankrotas-12345"


@pytest.fixture
def features_page(engine_server):
    """The fake Bing answers its Lithuanian page with ads, top stories, videos and more."""
    engine_server["page"] = lambda start: fixture_text("bing_features_lt_2022.html")
    return engine_server


def checked_bing_query(app, brand):
    query = make_query(app, brand, None, engine="bing")
    assert run_due_checks(app, limit=10, worker_id="w1")["ok"] == 1
    return query


def only_check() -> SerpCheck:
    return db.session.scalars(select(SerpCheck)).one()


def score_of(check: SerpCheck) -> float:
    db.session.expire_all()
    return db.session.get(CheckSummary, check.id).score


def stored_layout(check_id: int) -> list[tuple[str, int, int, int]]:
    return [
        (f.kind, f.page, f.position, f.slot)
        for f in db.session.scalars(
            select(CheckFeature)
            .where(CheckFeature.check_id == check_id)
            .order_by(CheckFeature.position)
        )
    ]


def test_an_html_check_stores_the_blocks_of_its_page_with_their_items(app, brand, features_page):
    checked_bing_query(app, brand)
    check = only_check()
    assert stored_layout(check.id) == [
        ("ads", 0, 1, 1),
        ("sitelinks", 0, 3, 2),
        ("top_stories", 0, 4, 2),
        ("videos", 0, 6, 3),
        ("people_also_ask", 0, 7, 3),
        ("knowledge_panel", 0, 9, 4),
    ]
    news = db.session.scalars(
        select(CheckFeatureItem).where(CheckFeatureItem.normalized_url == NEWS_KEY)
    ).one()
    assert news.url == NEWS and news.check_id == check.id and news.item_order == 1
    assert news.domain == "delfi.example" and news.date == "prieš 4 val."


def test_an_api_check_stores_the_blocks_the_provider_maps(app, brand, httpserver):
    httpserver.expect_request(
        "/search",
        method="POST",
        headers={"X-API-KEY": "sk"},
        json={"q": "acme bakery", "gl": "us", "hl": "en", "num": 10, "page": 1},
    ).respond_with_json(
        {
            "organic": [
                {"link": f"https://r{i}.example.com/", "title": f"R{i}", "snippet": "s"}
                for i in range(10)
            ],
            "topStories": [
                {
                    "link": "https://news.example/acme-fined",
                    "title": "Acme fined",
                    "source": "News",
                    "date": "1 day ago",
                }
            ],
            "peopleAlsoAsk": [{"question": "Is Acme safe?", "link": "https://a.example/q"}],
        }  # fmt: skip
    )
    app.config["SERP_PROVIDER_URLS"] = {"serper": httpserver.url_for("").rstrip("/")}
    app.config["OUTBOUND_ALLOW_PRIVATE"] = True
    make_query(
        app, brand, None, engine="google", provider="serper",
        provider_settings={"api_key": "sk"},
    )  # fmt: skip
    assert run_due_checks(app, limit=10, worker_id="w1")["ok"] == 1
    check = only_check()
    assert check.result_count == 10
    # Serper lists the blocks after the organic results.
    assert stored_layout(check.id) == [
        ("top_stories", 0, 11, 11),
        ("people_also_ask", 0, 12, 11),
    ]
    items = db.session.scalars(select(CheckFeatureItem).order_by(CheckFeatureItem.id)).all()
    assert [(i.url, i.title, i.source, i.date) for i in items] == [
        ("https://news.example/acme-fined", "Acme fined", "News", "1 day ago"),
        ("https://a.example/q", "Is Acme safe?", "", ""),
    ]


def test_an_uploaded_page_keeps_its_blocks_and_reparse_and_purge_follow(app, brand, users):
    query = make_query(app, brand, None, engine="bing", provider="manual")
    uploads.import_upload(
        db.session, query, users["editor"], content=fixture_text("bing_features_lt_2022.html"),
        kind="html", checked_at=utcnow(),
    )  # fmt: skip
    db.session.commit()
    check = only_check()
    before = stored_layout(check.id)
    assert ("top_stories", 0, 4, 2) in before
    assert reparse(db.session, app.config)["changed"] == 0
    assert stored_layout(check.id) == before
    purge_query(db.session, query.id)
    db.session.commit()
    assert db.session.scalars(select(CheckFeature)).all() == []
    assert db.session.scalars(select(CheckFeatureItem)).all() == []


def test_a_block_stands_before_the_organic_result_that_follows_it():
    page = [PageFeature("ads", 1), PageFeature("top_stories", 3), PageFeature("videos", 4)]
    assert slots(page) == [1, 2, 2]


def test_a_negative_in_top_stories_lowers_the_page_one_score_by_its_weight(
    app, brand, users, features_page
):
    checked_bing_query(app, brand)
    check = only_check()
    before = score_of(check)
    rule_ops.save_rule(
        db.session, brand.id, users["editor"], match_type="exact", pattern=NEWS, label="negative"
    )
    db.session.commit()
    # Top stories stand before organic result 2: they count like a negative there, times 1.0.
    expected = DEFAULT_BLOCK_WEIGHTS["top_stories"] * DEFAULT_CTR_CURVE[1] / sum(DEFAULT_CTR_CURVE)
    assert score_of(check) == pytest.approx(before - expected)
    blocks = db.session.get(CheckSummary, check.id).blocks
    assert ["top_stories", 2, NEWS_KEY, "negative"] in blocks


def test_a_check_without_blocks_keeps_its_score(app, brand, users, engine_server):
    checked_bing_query(app, brand)
    check = only_check()
    rule_ops.save_rule(
        db.session, brand.id, users["editor"], match_type="exact",
        pattern="https://site1.example.com/page", label="negative",
    )  # fmt: skip
    db.session.commit()
    assert score_of(check) == pytest.approx(-DEFAULT_CTR_CURVE[1] / sum(DEFAULT_CTR_CURVE))
    assert db.session.get(CheckSummary, check.id).blocks is None


def test_the_block_weight_setting_changes_the_score(app, brand, users, features_page):
    checked_bing_query(app, brand)
    check = only_check()
    organic_only = score_of(check)
    rule_ops.save_rule(
        db.session, brand.id, users["editor"], match_type="domain",
        pattern="delfi.example", label="negative",
    )  # fmt: skip
    db.session.commit()
    step = DEFAULT_CTR_CURVE[1] / sum(DEFAULT_CTR_CURVE)
    assert score_of(check) == pytest.approx(organic_only - step)
    rule_ops.set_block_weights(db.session, brand.id, users["editor"], {"top_stories": 0.25})
    db.session.commit()
    assert score_of(check) == pytest.approx(organic_only - 0.25 * step)
    rule_ops.set_block_weights(db.session, brand.id, users["editor"], {"top_stories": 0})
    db.session.commit()
    assert score_of(check) == pytest.approx(organic_only)
    rule_ops.set_block_weights(db.session, brand.id, users["editor"], None)
    db.session.commit()
    assert score_of(check) == pytest.approx(organic_only - step)


@pytest.mark.parametrize("bad", [{"top_stories": "lots"}, {"top_stories": -1}, {"ufo": 1}])
def test_bad_block_weights_are_refused_and_nothing_changes(app, brand, users, bad):
    from serp.errors import SerpError
    from serp.features import weights_for_brand

    with pytest.raises(SerpError):
        rule_ops.set_block_weights(db.session, brand.id, users["editor"], bad)
    db.session.rollback()
    assert weights_for_brand(db.session, brand.id) == DEFAULT_BLOCK_WEIGHTS


def test_viewers_cannot_change_block_weights(app, brand, users):
    from serp.errors import SerpError

    with pytest.raises(SerpError):
        rule_ops.set_block_weights(db.session, brand.id, users["viewer"], {"ads": 1})


def test_the_query_page_shows_the_blocks_beside_the_results(
    app, brand, users, client, features_page
):
    query = checked_bing_query(app, brand)
    rule_ops.save_rule(
        db.session, brand.id, users["editor"], match_type="exact", pattern=NEWS, label="negative"
    )
    db.session.commit()
    login(client, "viewer@example.com")
    html = client.get(f"/brands/{brand.id}/search/{query.id}").get_data(as_text=True)
    assert "Page blocks" in html
    top = html.index('data-kind="top_stories"')
    assert html.index('data-kind="ads"') < top < html.index('data-kind="videos"')
    block = html[top : html.index("</li>\n  \n    <li", top)]
    assert "Top stories" in block and "weight 1" in block and NEWS in block
    assert "serp-block-negative" in html[top - 80 : top] and "score -0." in block


def test_the_block_weights_page_saves_and_refuses_bad_input(app, brand, users, client):
    login(client, "editor@example.com")
    page = client.get(f"/brands/{brand.id}/search/block-weights")
    assert page.status_code == 200 and "Top stories" in page.get_data(as_text=True)
    form = {f"weight_{kind}": str(v) for kind, v in DEFAULT_BLOCK_WEIGHTS.items()}
    answer = client.post(
        f"/brands/{brand.id}/search/block-weights", data={**form, "weight_videos": "3"}
    )
    assert answer.status_code == 200 and "between 0 and 2" in answer.get_data(as_text=True)
    answer = client.post(
        f"/brands/{brand.id}/search/block-weights", data={**form, "weight_videos": "0.4"}
    )
    assert answer.status_code == 302
    from serp.features import weights_for_brand

    assert weights_for_brand(db.session, brand.id)["videos"] == 0.4


def test_the_api_returns_a_checks_blocks_to_members_only(app, brand, users, api, features_page):
    checked_bing_query(app, brand)
    check = only_check()
    rule_ops.save_rule(
        db.session, brand.id, users["editor"], match_type="exact", pattern=NEWS, label="negative"
    )
    db.session.commit()
    answer = api["viewer"].get(f"/api/v1/serp/checks/{check.id}/features")
    assert answer.status_code == 200
    data = answer.get_json()
    assert data["check_id"] == check.id and data["weights"] == DEFAULT_BLOCK_WEIGHTS
    kinds = [b["kind"] for b in data["blocks"]]
    assert kinds == ["ads", "sitelinks", "top_stories", "videos", "people_also_ask",
                     "knowledge_panel"]  # fmt: skip
    top = data["blocks"][2]
    assert top["slot"] == 2 and top["counts_in_score"] and top["score_effect"] < 0
    assert top["items"][0]["url"] == NEWS and top["items"][0]["label"] == "negative"
    assert api["viewer"].get("/api/v1/serp/checks/999999/features").status_code == 404
