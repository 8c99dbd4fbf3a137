"""Pages only read: the dashboard, the reports and the labelling read write nothing, take no
lock and leave garbage collection alone, even when the summaries and kept figures they meet are
out of date; the operations that change labels and the worker after a check keep them up to
date instead (PostgreSQL)."""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import event, select

from core.db import db
from planner.assets import AssetKind, record_owned_asset
from serp import plans, query_figures, summaries, upkeep, uploads
from serp import rules as rule_ops
from serp.checks import run_due_checks, store_check
from serp.jobs import keep_figures
from serp.models import LabelRule, SerpCheck, TrackedQuery
from serp.reports import brand_report, figures_cache
from serp.rules import set_curve
from tests.conftest import login, make_app, postgres_url
from tests.serp.conftest import FAST, bing_page, make_query
from tests.serp.test_displacement import NEWS, build_scenario, page, week

pytestmark = pytest.mark.postgres

WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE|MERGE|TRUNCATE|CREATE|ALTER|DROP)\b", re.I)
LOCKS = re.compile(r"\bFOR\s+(UPDATE|SHARE|NO\s+KEY\s+UPDATE|KEY\s+SHARE)\b", re.I)


@pytest.fixture
def app() -> Iterator[Flask]:
    app = make_app(postgres_url(), **FAST)
    with app.app_context():
        yield app
    app.extensions["pageone.db"].dispose()


@contextmanager
def watched(app: Flask, monkeypatch) -> Iterator[list[str]]:
    """Every statement that writes or locks, every commit and every switch of garbage
    collection made meanwhile."""
    seen: list[str] = []
    engine = app.extensions["pageone.db"]

    def statement(_conn, _cursor, text, _params, _context, _many) -> None:
        if WRITES.match(text) or LOCKS.search(text):
            seen.append(text.split("\n")[0][:120])

    def commit(_conn) -> None:
        seen.append("COMMIT")

    monkeypatch.setattr(gc, "disable", lambda: seen.append("gc.disable"))
    monkeypatch.setattr(gc, "freeze", lambda: seen.append("gc.freeze"))
    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", commit)
        monkeypatch.undo()


@pytest.fixture
def scenario(app, brand, users):
    q1, q2 = build_scenario(app, brand, users["admin"])
    return brand, q1, q2


def out_of_date_labels(app, brand, users, q1) -> None:
    """Leave the brand's summaries and kept parts behind its data, as a view may meet them: a
    check stored in bulk without its summary, an owned page the planner recorded, and a rule
    written straight into the database."""
    store_check(
        db.session, q1, status="ok", results=page({NEWS: 2}, 20, {}), checked_at=week(13),
        provider="manual",
    )  # fmt: skip
    record_owned_asset(
        db.session, brand.id, "https://filler3.example/acme", AssetKind.BLOG_POST, week(12)
    )
    db.session.add(
        LabelRule(brand_id=brand.id, match_type="exact", pattern="filler1.example/acme",
                  label="negative", note="")
    )  # fmt: skip
    db.session.commit()


def get_pages(client, brand_id: int, query_id: int) -> list[int]:
    paths = [
        f"/brands/{brand_id}/search/{query_id}",
        f"/brands/{brand_id}/search/url?u=https://filler1.example/acme",
        f"/api/v1/serp/queries/{query_id}/history",
        f"/api/v1/brands/{brand_id}/serp/progress",
        f"/brands/{brand_id}/serp/dashboard",
        f"/brands/{brand_id}/serp/dashboard.json",
        *(f"/brands/{brand_id}/serp/dashboard/{t}.csv" for t in ("scores", "negatives", "report")),
        f"/brands/{brand_id}/serp/report",
        f"/brands/{brand_id}/serp/report.eml.html",
        f"/brands/{brand_id}/search",
        f"/brands/{brand_id}/search/labels",
        f"/brands/{brand_id}/search/queue",
    ]
    return [client.get(path).status_code for path in paths]


@pytest.mark.parametrize("state", ["up to date", "out of date"])
def test_the_dashboard_and_report_pages_write_nothing(app, scenario, users, monkeypatch, state):
    brand, q1, _q2 = scenario
    upkeep.catch_up(db.session, brand.id)
    db.session.commit()
    if state == "out of date":
        out_of_date_labels(app, brand, users, q1)
    client = app.test_client()
    login(client, users["viewer"].email)
    figures_cache().clear()
    with watched(app, monkeypatch) as seen:
        statuses = get_pages(client, brand.id, q1.id)
    assert statuses == [200] * len(statuses)
    assert seen == []


def test_the_labelling_read_and_the_report_write_nothing(app, scenario, users, monkeypatch):
    brand, q1, _q2 = scenario
    upkeep.catch_up(db.session, brand.id)
    db.session.commit()
    out_of_date_labels(app, brand, users, q1)
    with watched(app, monkeypatch) as seen:
        labelling = summaries.labelling_for_brand(db.session, brand.id)
        report = brand_report(db.session, brand, with_checks=False, keep=False)
        db.session.rollback()
    assert seen == []
    # What it read is what the data says now, though nothing was kept.
    assert "filler1.example/acme" in labelling.classifier.exact
    assert report == brand_report(db.session, brand, with_checks=False, keep=False, stored=False)
    assert report["queries"][0]["latest_check_at"].startswith(week(13).date().isoformat())


def up_to_date(brand) -> bool:
    """Nothing left for a writer to do: no summary to relabel or compute, no part to compute
    (tried in a savepoint, rolled back)."""
    with db.session.begin_nested() as savepoint:
        changed = summaries.refresh_brand(db.session, brand.id)
        labelling = summaries.labelling_for_brand(db.session, brand.id)
        parts = query_figures.keep_parts(db.session, brand.id, labelling, ZoneInfo(brand.timezone))
        savepoint.rollback()
    return (changed, parts) == (0, 0)


def _new_rule(app, brand, users, _q1) -> None:
    rule_ops.save_rule(
        db.session, brand.id, users["admin"], match_type="exact", pattern="filler1.example/acme",
        label="negative",
    )  # fmt: skip


def _rule_changed(app, brand, users, _q1) -> None:
    rule = db.session.scalars(select(LabelRule).where(LabelRule.pattern.like("%news%"))).one()
    rule_ops.update_rule(db.session, rule, users["admin"], {"label": "negative"})


def _rule_deleted(app, brand, users, _q1) -> None:
    rule = db.session.scalars(select(LabelRule).where(LabelRule.pattern.like("%news%"))).one()
    rule_ops.delete_rule(db.session, rule, users["admin"])


def _curve(app, brand, users, _q1) -> None:
    set_curve(db.session, brand.id, users["admin"], list(range(10, 0, -1)))


def _plan_asset_published(app, brand, users, q1) -> None:
    # The plan's long-form asset goes live at a URL on page one: an owned asset recorded here.
    rule_ops.save_rule(
        db.session, brand.id, users["admin"], match_type="exact", pattern="filler2.example/acme",
        label="negative",
    )  # fmt: skip
    store_check(
        db.session, q1, status="ok", results=page({"filler2.example/acme": 4}, 20, {}),
        checked_at=week(13), provider="manual",
    )  # fmt: skip
    upkeep.catch_up(db.session, brand.id)
    plan = plans.create_plan(
        db.session, brand, users["admin"], query_id=q1.id,
        negative_url="https://filler2.example/acme", now=week(13),
    )  # fmt: skip
    asset = next(a for a in plan.assets if a.post_id is None)
    plans.mark_published(
        db.session, asset, users["admin"], "https://filler5.example/acme", week(13)
    )


def _reparsed(app, brand, users, q1) -> None:
    check = db.session.scalars(
        select(SerpCheck).where(SerpCheck.query_id == q1.id, SerpCheck.checked_at == week(12))
    ).one()
    check.status, check.reason = "blocked", "captcha"
    upkeep.after_check(db.session, check)


def _uploaded(app, brand, users, q1) -> None:
    text = "checked_at,position,url\n2030-04-01T06:00:00Z,1,https://filler9.example/acme\n"
    uploads.import_upload(
        db.session, q1, users["editor"], content=text, kind="csv", checked_at=week(13)
    )


CHANGES: dict[str, Callable] = {
    "a page uploaded": _uploaded,
    "a new label rule": _new_rule,
    "a label rule changed": _rule_changed,
    "a label rule deleted": _rule_deleted,
    "the click-through curve": _curve,
    "a plan's asset published": _plan_asset_published,
    "a check read again": _reparsed,
}


@pytest.mark.parametrize("name", CHANGES)
def test_each_label_changing_operation_leaves_the_figures_up_to_date(app, scenario, users, name):
    brand, q1, _q2 = scenario
    upkeep.catch_up(db.session, brand.id)
    db.session.commit()
    before = brand_report(db.session, brand, with_checks=False, keep=False)
    CHANGES[name](app, brand, users, q1)
    db.session.commit()
    assert up_to_date(brand), name
    after = brand_report(db.session, brand, with_checks=False, keep=False)
    assert after == brand_report(db.session, brand, with_checks=False, keep=False, stored=False)
    assert after != before


def test_a_check_stored_by_the_worker_leaves_the_figures_up_to_date(app, brand, users, httpserver):
    httpserver.expect_request("/search").respond_with_data(
        bing_page(0), content_type="text/html; charset=utf-8"
    )
    app.config["SERP_ENGINE_URLS"] = {"bing": httpserver.url_for("/search")}
    rule_ops.save_rule(
        db.session, brand.id, users["admin"], match_type="domain", pattern="site0.example.com",
        label="negative",
    )  # fmt: skip
    db.session.commit()
    make_query(app, brand, None, engine="bing")
    make_query(app, brand, None, engine="bing", text="acme bakery prices")
    # Only the checks' own transactions: the worker's catch-up at the end of its round is not run.
    assert run_due_checks(app, limit=10, worker_id="w1")["ok"] == 2
    db.session.expire_all()
    assert up_to_date(brand)
    kept = db.session.scalars(select(query_figures.QueryFigures.query_id)).all()
    assert sorted(kept) == sorted(db.session.scalars(select(TrackedQuery.id)))


def test_the_workers_round_stores_checks_without_the_brand_lock_and_then_keeps_the_figures(
    app, brand, users, httpserver
):
    httpserver.expect_request("/search").respond_with_data(
        bing_page(0), content_type="text/html; charset=utf-8"
    )
    app.config["SERP_ENGINE_URLS"] = {"bing": httpserver.url_for("/search")}
    rule_ops.save_rule(
        db.session, brand.id, users["admin"], match_type="domain", pattern="site0.example.com",
        label="negative",
    )  # fmt: skip
    db.session.commit()
    make_query(app, brand, None, engine="bing")
    make_query(app, brand, None, engine="bing", text="acme bakery prices")
    # The checks alone keep nothing in a round: checks of one brand are stored side by side.
    assert run_due_checks(app, limit=10, worker_id="w1", keep_figures=False)["ok"] == 2
    db.session.expire_all()
    assert not up_to_date(brand)
    assert db.session.scalars(select(query_figures.QueryFigures.query_id)).all() == []
    # The end of the round brings the brand up to date.
    keep_figures(app, set(db.session.scalars(select(TrackedQuery.id))))
    db.session.expire_all()
    assert up_to_date(brand)
    kept = db.session.scalars(select(query_figures.QueryFigures.query_id)).all()
    assert sorted(kept) == sorted(db.session.scalars(select(TrackedQuery.id)))


def test_an_owned_page_recorded_by_the_planner_is_followed_by_the_workers_round(
    app, scenario, users
):
    brand, _q1, _q2 = scenario
    upkeep.catch_up(db.session, brand.id)
    db.session.commit()
    record_owned_asset(
        db.session, brand.id, "https://filler3.example/acme", AssetKind.BLOG_POST,
        datetime(2030, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    db.session.commit()
    assert not up_to_date(brand)
    assert keep_figures(app, set()) >= 1
    db.session.expire_all()
    assert up_to_date(brand)
    assert keep_figures(app, set()) == 0  # followed: the next round leaves the brand alone
