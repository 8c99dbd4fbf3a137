"""Kept figures: a report computed once is served again only while its data is unchanged.

Each change a user or the worker can make to what the figures are computed from must make the
next report equal to one computed from scratch, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select

from app import create_app
from core.db import db
from planner.assets import AssetKind, record_owned_asset
from serp import displacement as dsp
from serp import operations as serp_ops
from serp import rules as rule_ops
from serp import summaries, upkeep
from serp.brand_history import load_brand_history
from serp.checks import _row, store_check
from serp.models import SerpCheck
from serp.query_figures import QueryFigures
from serp.reports import brand_report, figures_cache
from serp.rules import set_curve
from tests.conftest import make_app, postgres_url
from tests.serp.conftest import FAST, make_query
from tests.serp.test_displacement import NEWS, WIKI, N, build_scenario, page, week


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def app(request, tmp_path) -> Iterator[Flask]:
    url = f"sqlite:///{tmp_path / 'test.db'}" if request.param == "sqlite" else postgres_url()
    app = make_app(url, **FAST)
    with app.app_context():
        yield app
    app.extensions["pageone.db"].dispose()


@pytest.fixture
def scenario(app, brand, users):
    q1, q2 = build_scenario(app, brand, users["admin"])
    worker_round(brand)
    return brand, q1, q2


def worker_round(brand) -> None:
    """What the worker's round does for a brand: its summaries and kept parts brought up to
    date with its labels (the checks above were stored in bulk, without the post-check hook)."""
    upkeep.catch_up(db.session, brand.id)
    db.session.commit()


def report(brand, **kw):
    return brand_report(db.session, brand, with_checks=False, windows_of=20, **kw)


def from_scratch(brand, **kw):
    """The figures computed from every check: nothing kept in the process or as query parts."""
    return report(brand, keep=False, stored=False, **kw)


def test_the_same_data_is_served_from_the_kept_figures(scenario):
    brand, q1, _q2 = scenario
    first = report(brand)
    again = report(brand)
    assert again["negative_items"] is first["negative_items"]  # not computed again
    assert again == first
    # Another period or query is another report.
    assert report(brand, query_id=q1.id)["queries"] != first["queries"]


CHANGES: dict[str, Callable] = {}


def change(name):
    def register(function):
        CHANGES[name] = function
        return function

    return register


@change("a new check")
def _new_check(brand, q1, q2, admin):
    return store_check(
        db.session, q1, status="ok", results=page({N: 1}, 20, {}), checked_at=week(13),
        provider="manual",
    )  # fmt: skip


@change("a new label rule")
def _new_rule(brand, q1, q2, admin):
    rule_ops.save_rule(
        db.session, brand.id, admin, match_type="domain", pattern="news.example", label="negative"
    )


@change("an owned page recorded by the planner")
def _owned(brand, q1, q2, admin):
    record_owned_asset(
        db.session, brand.id, "https://" + NEWS, AssetKind.BLOG_POST, week(3), title="News"
    )


@change("a query's importance")
def _importance(brand, q1, q2, admin):
    q2.importance = 10


@change("a query deleted")
def _deleted(brand, q1, q2, admin):
    serp_ops.delete_query(db.session, q2, admin, datetime.now(UTC))


@change("a check read again as blocked")
def _reparsed(brand, q1, q2, admin):
    check = db.session.scalars(
        select(SerpCheck).where(SerpCheck.query_id == q1.id, SerpCheck.checked_at == week(12))
    ).one()
    check.status, check.reason = "blocked", "captcha"
    summaries.refresh_check(db.session, check)


@change("a check read again with other results")
def _read_again(brand, q1, q2, admin):
    check = db.session.scalars(
        select(SerpCheck).where(SerpCheck.query_id == q2.id, SerpCheck.checked_at == week(12))
    ).one()
    check.results = [_row(result) for result in page({N: 7}, 10, {})]
    db.session.flush()
    summaries.refresh_check(db.session, check)


@change("a check deleted")
def _check_deleted(brand, q1, q2, admin):
    db.session.delete(
        db.session.scalars(
            select(SerpCheck).where(SerpCheck.query_id == q2.id, SerpCheck.checked_at == week(12))
        ).one()
    )


@change("the click-through curve")
def _curve(brand, q1, q2, admin):
    set_curve(db.session, brand.id, admin, [10] * 10)


@pytest.mark.parametrize("name", list(CHANGES))
def test_every_change_to_the_data_gives_the_figures_computed_from_scratch(scenario, users, name):
    brand, q1, q2 = scenario
    before = report(brand)
    assert report(brand)["negative_items"] is before["negative_items"]
    CHANGES[name](brand, q1, q2, users["admin"])
    db.session.commit()
    after = report(brand)
    assert after == from_scratch(brand)
    assert after != before, f"{name} changes the figures"


def test_a_period_ending_now_follows_new_checks(scenario):
    brand, q1, _q2 = scenario
    until = week(13) + timedelta(days=1)
    before = report(brand, until=until)
    _new_check(brand, q1, None, None)
    db.session.commit()
    after = report(brand, until=until)
    assert after == from_scratch(brand, until=until) and after != before


def test_a_report_without_history_has_each_querys_latest_composition(scenario):
    brand, _q1, _q2 = scenario
    full = brand_report(db.session, brand)
    short = report(brand)
    assert [q["composition"] for q in short["queries"]] == [
        q["composition"] for q in full["queries"]
    ]
    assert all(q["composition"] for q in short["queries"])
    assert full["queries"][0]["history"][-1]["composition"] == full["queries"][0]["composition"]


def test_a_report_without_assets_has_the_same_negative_items_and_queries(scenario):
    brand, _q1, _q2 = scenario
    full = report(brand)
    short = report(brand, with_assets=False, with_windows=False)
    assert full["assets"] and full["is_it_working"]
    assert short["assets"] == [] and short["is_it_working"] == []
    for name in ("negative_items", "queries", "weeks", "brand_score"):
        assert short[name] == full[name]


def test_every_report_gives_every_item_every_figure_in_the_same_order(scenario):
    # Merged from the kept parts, computed from every check, or for one query: one arithmetic.
    brand, q1, _q2 = scenario
    full = from_scratch(brand)
    assert report(brand)["negative_items"] == full["negative_items"]
    assert len(full["negative_items"]) >= 3
    assert all(item["best"] is not None for item in full["negative_items"])
    one = brand_report(db.session, brand, query_id=q1.id, with_checks=False, windows_of=20)
    assert one["negative_items"] == [i for i in full["negative_items"] if i["query_id"] == q1.id]


def test_instants_are_written_with_z_also_from_parts_kept_with_an_offset(scenario):
    brand, q1, _q2 = scenario
    first = report(brand)
    assert first["queries"][0]["latest_check_at"].endswith("Z")
    # A part kept before instants were written with "Z".
    row = db.session.get(QueryFigures, q1.id)
    figures = dict(row.figures)
    figures["latest_check_at"] = figures["latest_check_at"].replace("Z", "+00:00")
    row.figures = figures
    db.session.commit()
    figures_cache().clear()
    again = report(brand)
    assert again == first


def kept_parts() -> dict[int, tuple[str, datetime]]:
    return {
        row.query_id: (row.stamp, row.computed_at)
        for row in db.session.scalars(select(QueryFigures))
    }


def test_a_new_check_recomputes_only_its_querys_part(scenario):
    brand, q1, q2 = scenario
    report(brand)
    before = kept_parts()
    assert set(before) == {q1.id, q2.id}
    # The worker stores the check, and its post-check hook keeps the query's part.
    upkeep.after_check(db.session, _new_check(brand, q1, q2, None))
    db.session.commit()
    figures_cache().clear()
    after = report(brand)
    parts = kept_parts()
    assert parts[q2.id] == before[q2.id]
    assert parts[q1.id][0] != before[q1.id][0] and parts[q1.id][1] > before[q1.id][1]
    assert after == from_scratch(brand)


def recorded(brand, url: str, kind: AssetKind, title: str) -> tuple[dict, dict]:
    """The kept parts after a view, and the next report once an owned asset is recorded at
    ``url`` (the process's kept figures are not cleared: they must see it too)."""
    report(brand)
    db.session.commit()
    before = kept_parts()
    record_owned_asset(db.session, brand.id, "https://" + url, kind, week(12), title=title)
    db.session.commit()
    # Until the worker's next round, a view computes what moved for itself and keeps nothing.
    assert report(brand) == from_scratch(brand)
    assert kept_parts() == before
    worker_round(brand)
    return before, report(brand)


def test_a_post_published_in_no_result_recomputes_no_part(scenario):
    # Each published post with a public URL is an owned asset: it is listed at once, and the
    # queries' parts stay as they are while no result holds it.
    brand, _q1, _q2 = scenario
    before, after = recorded(brand, "social.example/acme/1", AssetKind.SOCIAL_POST, "Our new bread")
    assert kept_parts() == before
    assert after["assets"][-1]["title"] == "Our new bread"
    assert after == from_scratch(brand)


def test_a_page_leaves_out_the_windows_of_the_posts_a_querys_results_never_held(scenario):
    brand, q1, _q2 = scenario
    recorded(brand, "social.example/acme/1", AssetKind.SOCIAL_POST, "Our new bread")
    # A post deep in the first query's results: its windows stay, in that query only.
    recorded(brand, "filler16.example/acme", AssetKind.SOCIAL_POST, "Held post")
    listed = report(brand, every_window=False)
    assert listed == from_scratch(brand, every_window=False)
    assets = {(w["query_id"], w["asset"]) for w in listed["is_it_working"]}
    assert "Our new bread" not in {asset for _q, asset in assets}
    assert {q for q, asset in assets if asset == "Held post"} == {q1.id}
    every = {w["asset"] for w in report(brand)["is_it_working"]}
    assert {"Our new bread", "Held post"} <= every


def test_an_owned_page_in_one_querys_results_recomputes_only_its_part(scenario):
    brand, q1, q2 = scenario
    # A page deep in the first query's results (below page one: no summary changes), not in
    # the second's.
    before, after = recorded(brand, "filler16.example/acme", AssetKind.BLOG_POST, "Deep page")
    parts = kept_parts()
    assert parts[q2.id] == before[q2.id]
    assert parts[q1.id][0] == before[q1.id][0] and parts[q1.id][1] > before[q1.id][1]
    [deep] = [a for a in after["assets"] if a["title"] == "Deep page"]
    assert deep["first_seen"]["query_id"] == q1.id and deep["best"]["position"] > 10
    assert after == from_scratch(brand)


def test_a_new_rule_recomputes_only_the_parts_whose_pages_one_it_relabels(scenario, users):
    brand, q1, q2 = scenario
    report(brand)
    db.session.commit()
    before = kept_parts()
    # A page deep in the first query's results only: no page one changes, no part either.
    rule_ops.save_rule(
        db.session, brand.id, users["admin"], match_type="exact",
        pattern="filler16.example/acme", label="positive",
    )  # fmt: skip
    db.session.commit()
    assert report(brand) == from_scratch(brand)
    assert kept_parts() == before
    # The encyclopedia page, first on the first query's page one and absent from the second's.
    rule_ops.save_rule(
        db.session, brand.id, users["admin"], match_type="exact", pattern=WIKI, label="neutral"
    )
    db.session.commit()
    after = report(brand)
    parts = kept_parts()
    assert parts[q2.id] == before[q2.id]
    assert parts[q1.id][0] != before[q1.id][0]
    assert after == from_scratch(brand)
    assert after["queries"][0]["strip"][0] == "neutral"


def test_the_kept_parts_serve_another_process(scenario, app):
    brand, _q1, _q2 = scenario
    first = report(brand)
    db.session.commit()
    before = kept_parts()
    # Another application on the same database, as a second web process or a restart.
    other = create_app({"SECRET_KEY": "t", "DATABASE_URL": app.config["DATABASE_URL"], **FAST})
    with other.app_context():
        again = report(db.session.get(type(brand), brand.id))
        assert kept_parts() == before  # read, not computed again
    other.extensions["pageone.db"].dispose()
    assert again == first


S = "scam.example/acme-bakery"


def test_a_negative_new_on_page_one_of_one_query_is_followed_in_the_others(scenario, users, app):
    # A negative result that reaches page one of one query becomes an item of every query whose
    # results hold it, however deep: the other queries' kept parts are computed again.
    brand, q1, _q2 = scenario
    rule_ops.save_rule(
        db.session, brand.id, users["admin"], match_type="exact", pattern=S, label="negative"
    )
    q3 = make_query(app, brand, text="acme bakery prices", depth=50, provider="manual")
    for n in (11, 12):
        store_check(
            db.session, q3, status="ok", results=page({S: 25}, 50, {}), checked_at=week(n),
            provider="manual",
        )  # fmt: skip
    db.session.commit()
    before = report(brand)
    assert S not in {i["url"] for i in before["negative_items"]}
    store_check(
        db.session, q1, status="ok", results=page({S: 7}, 20, {}), checked_at=week(13),
        provider="manual",
    )  # fmt: skip
    db.session.commit()
    after = report(brand)
    found = {(i["query_id"], i["current"]) for i in after["negative_items"] if i["url"] == S}
    assert found == {(q1.id, 7), (q3.id, 25)}
    assert after == from_scratch(brand)


def test_the_weekly_reports_figures_are_merged_from_the_kept_parts(scenario):
    brand, _q1, q2 = scenario
    report(brand)
    db.session.commit()
    before = kept_parts()
    weekly = {"with_checks": False, "with_windows": False, "with_assets": False, "keep": False}
    now = week(13)  # after every check
    merged = brand_report(db.session, brand, until=now, **weekly)
    assert kept_parts() == before  # read, not computed again
    assert (merged["assets"], merged["is_it_working"]) == ([], [])
    assert merged == brand_report(db.session, brand, until=now, stored=False, **weekly)
    # A check later than the report's end: computed from the checks of its period.
    store_check(
        db.session, q2, status="ok", results=page({N: 1}, 10, {}), checked_at=week(14),
        provider="manual",
    )  # fmt: skip
    db.session.commit()
    earlier = brand_report(db.session, brand, until=now, **weekly)
    assert earlier == merged
    assert brand_report(db.session, brand, **weekly) != merged


def test_a_report_ending_now_is_computed_and_not_kept(scenario):
    brand, _q1, _q2 = scenario
    figures_cache().clear()
    now = week(13)
    unkept = report(brand, until=now, keep=False)
    assert report(brand, until=now, keep=False)["weeks"] is not unkept["weeks"]
    assert unkept == from_scratch(brand, until=now)


@pytest.mark.parametrize("zone", ["Europe/Berlin", "Asia/Kolkata", "America/St_Johns"])
def test_the_weeks_read_with_the_checks_are_the_weeks_of_the_brand_zone(app, brand, zone):
    # Checks an hour or less either side of local midnight between Sunday and Monday, across a
    # change to summer time, in zones a whole hour, half an hour and 3.5 hours from UTC.
    query = make_query(app, brand, text="acme bakery", provider="manual")
    local = ZoneInfo(zone)
    moments = []
    for monday in (datetime(2026, 3, 23), datetime(2026, 3, 30), datetime(2026, 10, 26)):
        midnight = monday.replace(tzinfo=local)
        moments += [midnight - timedelta(minutes=30), midnight, midnight + timedelta(minutes=59)]
    for n, moment in enumerate(moments):
        store_check(
            db.session, query, status="ok", results=page({N: 1 + n % 10}, 10, {}),
            checked_at=moment.astimezone(UTC), provider="manual",
        )  # fmt: skip
    db.session.commit()

    loaded = load_brand_history(db.session, brand.id, zone=local)
    (history,) = loaded.histories
    assert [c.week for c in history.checks] == [
        dsp.week_start(c.checked_at, local) for c in history.checks
    ]
    assert len({c.week for c in history.checks}) == 5  # 23 and 30 March in two weeks each
    # The weekly brand scores are those computed from the check times alone.
    plain = load_brand_history(db.session, brand.id)
    assert plain.histories[0].week_zone is None
    assert dsp.brand_score_by_week(loaded.histories, local) == dsp.brand_score_by_week(
        plain.histories, local
    )
