"""Check summaries: stored when a check is recorded, brought up to date when labels change, and
the alerts of a check sent once it is committed."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from werkzeug import Request, Response

from core.db import db, utcnow
from planner.assets import AssetKind, record_owned_asset
from serp import rules as rule_ops
from serp.brand_history import load_brand_history
from serp.checks import run_due_checks
from serp.jobs import keep_figures
from serp.models import SerpCheck
from serp.summaries import CheckSummary, SummaryLabels, labelling_for_brand

from .conftest import make_query

CURVE_SUM = 117.77


def checked_once(app, brand, users):
    """One good Bing check of site0 … site9 (site0 negative by a rule); its summary."""
    rule_ops.save_rule(
        db.session, brand.id, users["admin"], match_type="domain", pattern="site0.example.com",
        label="negative",
    )  # fmt: skip
    db.session.commit()
    make_query(app, brand, None, engine="bing")
    assert run_due_checks(app, limit=10, worker_id="w1")["ok"] == 1
    check = db.session.scalars(select(SerpCheck)).one()
    return db.session.get(CheckSummary, check.id)


def test_a_recorded_check_stores_its_page_one_labels_and_score(app, brand, users, engine_server):
    summary = checked_once(app, brand, users)
    assert summary.page_one[:2] == [
        [1, "site0.example.com/page", "negative"],
        [2, "site1.example.com/page", None],
    ]
    assert (summary.negative, summary.unlabelled, summary.owned) == (1, 9, 0)
    assert summary.score == pytest.approx(-31.73 / CURVE_SUM)
    assert summary.fingerprint == labelling_for_brand(db.session, brand.id).fingerprint


def test_a_new_label_rule_relabels_the_stored_summaries(app, brand, users, engine_server):
    summary = checked_once(app, brand, users)
    rule_ops.save_rule(
        db.session, brand.id, users["editor"], match_type="exact",
        pattern="https://site1.example.com/page", label="positive",
    )  # fmt: skip
    db.session.commit()
    db.session.expire_all()
    assert (summary.positive, summary.unlabelled) == (1, 8)
    assert summary.score == pytest.approx((-31.73 + 24.71) / CURVE_SUM)
    assert summary.fingerprint == labelling_for_brand(db.session, brand.id).fingerprint


def test_an_owned_page_recorded_by_the_planner_counts_at_the_next_read_and_the_worker_keeps_it(
    app, brand, users, engine_server
):
    summary = checked_once(app, brand, users)
    # The planner records owned pages without search tracking knowing: the summary is stale.
    record_owned_asset(
        db.session, brand.id, "https://site2.example.com/page", AssetKind.BLOG_POST, utcnow()
    )
    db.session.commit()
    latest = load_brand_history(db.session, brand.id).histories[0].latest
    assert latest.counts["owned"] == 1
    assert latest.score == pytest.approx((-31.73 + 18.66) / CURVE_SUM)
    db.session.commit()
    db.session.expire_all()
    assert summary.owned == 0  # the read wrote nothing
    keep_figures(app, set())  # the worker's next round
    db.session.expire_all()
    assert summary.owned == 1
    keep_figures(app, set())
    db.session.expire_all()
    assert db.session.get(SummaryLabels, brand.id).urls == ["site2.example.com/page"]


def test_a_new_owned_page_relabels_only_the_summaries_that_hold_it(
    app, brand, users, engine_server
):
    summary = checked_once(app, brand, users)
    check = db.session.scalars(select(SerpCheck)).one()
    written, changed = summary.computed_at, check.summarized_at

    def owned_page(url: str) -> None:
        """The planner records an owned page; the worker's next round follows it."""
        record_owned_asset(db.session, brand.id, url, AssetKind.BLOG_POST, utcnow())
        db.session.commit()
        keep_figures(app, set())
        db.session.expire_all()

    # A published post in no result: no summary is read or written again.
    owned_page("https://social.example/brand/1")
    assert (summary.computed_at, check.summarized_at) == (written, changed)
    held = db.session.get(SummaryLabels, brand.id)
    assert held.urls == ["social.example/brand/1"]
    # A page on the check's page one: its summary is relabelled, and the check says so.
    owned_page("https://site3.example.com/page")
    assert summary.owned == 1
    assert summary.page_one[3] == [4, "site3.example.com/page", "owned"]
    assert check.summarized_at > changed
    assert db.session.get(SummaryLabels, brand.id).urls == [
        "site3.example.com/page", "social.example/brand/1",
    ]  # fmt: skip


def test_a_relabelling_that_changes_nothing_keeps_the_time_a_summary_changed(
    app, brand, users, engine_server
):
    summary = checked_once(app, brand, users)
    check = db.session.scalars(select(SerpCheck)).one()
    changed = check.summarized_at
    rule_ops.save_rule(
        db.session, brand.id, users["editor"], match_type="exact",
        pattern="https://elsewhere.example.com/page", label="positive",
    )  # fmt: skip
    db.session.commit()
    db.session.expire_all()
    assert summary.fingerprint == labelling_for_brand(db.session, brand.id).fingerprint
    assert check.summarized_at == changed


def test_a_curve_change_rescores_the_stored_summaries(app, brand, users, engine_server):
    from serp.rules import set_curve

    summary = checked_once(app, brand, users)
    set_curve(db.session, brand.id, users["admin"], list(range(10, 0, -1)))
    db.session.commit()
    db.session.expire_all()
    assert summary.score == pytest.approx(-10 / 55)


def test_alerts_of_a_check_are_sent_after_it_is_committed(
    app, brand, users, engine_server, httpserver
):
    committed = []

    def hook(request: Request) -> Response:
        # Read on a connection of its own: only what the worker committed is visible.
        with app.extensions["pageone.db"].connect() as connection:
            committed.append(connection.scalar(text("select count(*) from serp_checks")))
        committed.append(request.get_json())
        return Response("{}", content_type="application/json")

    httpserver.expect_request("/hook", method="POST").respond_with_handler(hook)
    app.config["NOTIFY_WEBHOOK_URL"] = httpserver.url_for("/hook")
    checked_once(app, brand, users)
    count, payload = committed
    assert count == 1
    [alert] = payload["alerts"]
    assert (alert["kind"], alert["url"], alert["position"]) == (
        "new_on_page_one", "site0.example.com/page", 1,
    )  # fmt: skip
    assert db.session.scalar(select(func.count()).select_from(CheckSummary)) == 1
