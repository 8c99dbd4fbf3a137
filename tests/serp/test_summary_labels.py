"""Owned pages and check summaries under concurrency: a check summarized while the brand's owned
pages move is labelled with them, whichever transaction commits first (PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from core.db import db
from planner.assets import AssetKind, record_owned_asset
from serp import rules as rule_ops
from serp.checks import store_check
from serp.models import TrackedQuery
from serp.parse.model import SerpResult
from serp.summaries import (
    CheckSummary,
    SummaryLabels,
    follow_labels,
    refresh,
    refresh_check,
)
from tests.conftest import make_app, postgres_url
from tests.serp.conftest import FAST, make_query

pytestmark = pytest.mark.postgres
PAGE = "https://reviews.example.com/brand"


@pytest.fixture
def app() -> Iterator[Flask]:
    app = make_app(postgres_url(), **FAST)
    with app.app_context():
        yield app
    app.extensions["pageone.db"].dispose()


def test_a_check_summarized_while_an_owned_page_is_recorded_is_labelled_with_it(app, brand, users):
    query_id = make_query(app, brand, users["admin"]).id
    follow_labels(db.session, brand.id)
    db.session.commit()
    engine = app.extensions["pageone.db"]
    # The worker stores a check with the page on page one and summarizes it with the brand's
    # owned pages of that moment (none); its transaction is still open.
    worker = Session(engine)
    query = worker.get(TrackedQuery, query_id)
    check = store_check(
        worker, query, status="ok", provider="manual", checked_at=datetime.now(UTC),
        results=[SerpResult(1, PAGE, "Reviews", ""), SerpResult(2, "https://x.example/", "x", "")],
    )  # fmt: skip
    refresh_check(worker, check)
    check_id = check.id
    assert worker.get(CheckSummary, check_id).owned == 0
    # Meanwhile the page is recorded as owned and the brand's summaries follow it (as the
    # worker's round does): it waits for the worker's check, then finds it among the summaries
    # to label again.
    done = []

    def request() -> None:
        with Session(engine) as web:
            record_owned_asset(web, brand.id, PAGE, AssetKind.REVIEWS_PAGE, datetime.now(UTC))
            follow_labels(web, brand.id)
            web.commit()
            done.append(True)

    thread = threading.Thread(target=request)
    thread.start()
    try:
        thread.join(1.0)
        waited = not done  # held by the worker's open summary
    finally:
        worker.commit()
        worker.close()
        thread.join(10)
    assert waited
    assert done
    db.session.expire_all()
    summary = db.session.get(CheckSummary, check_id)
    assert (summary.owned, summary.page_one[0]) == (1, [1, "reviews.example.com/brand", "owned"])
    assert db.session.get(SummaryLabels, brand.id).urls == ["reviews.example.com/brand"]


def summarized_after(app, brand, users, change) -> CheckSummary:
    """A writer reads the brand's labels, ``change`` moves them, and the writer then fills in
    the missing summary of a check with PAGE first: the summary it wrote."""
    query_id = make_query(app, brand, users["admin"]).id
    follow_labels(db.session, brand.id)
    db.session.commit()
    reader = Session(app.extensions["pageone.db"])
    stale = follow_labels(reader, brand.id)
    reader.commit()
    change()
    db.session.commit()
    query = reader.get(TrackedQuery, query_id)
    check = store_check(
        reader, query, status="ok", provider="manual", checked_at=datetime.now(UTC),
        results=[SerpResult(1, PAGE, "Reviews", "")],
    )  # fmt: skip
    check_id = check.id
    refresh(reader, brand.id, check_ids=[check_id], labelling=stale)
    reader.commit()
    reader.close()
    db.session.expire_all()
    return db.session.get(CheckSummary, check_id)


def test_a_summary_written_with_labels_read_before_the_owned_pages_moved_uses_them(
    app, brand, users
):
    def record_page() -> None:
        record_owned_asset(db.session, brand.id, PAGE, AssetKind.REVIEWS_PAGE, datetime.now(UTC))
        follow_labels(db.session, brand.id)

    assert summarized_after(app, brand, users, record_page).owned == 1


def test_a_summary_written_with_labels_read_before_a_new_rule_uses_the_rule(app, brand, users):
    def save_rule() -> None:
        rule_ops.save_rule(
            db.session, brand.id, users["admin"], match_type="exact", pattern=PAGE,
            label="negative",
        )  # fmt: skip

    assert summarized_after(app, brand, users, save_rule).negative == 1
