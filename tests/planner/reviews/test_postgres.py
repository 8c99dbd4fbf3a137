"""The review import and ranking on PostgreSQL (the chunked look-up and bulk writes)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.db import db
from planner.brands import create_brand
from planner.reviews.importing import import_reviews
from planner.reviews.promotable import promotable_reviews

from .conftest import csv_file

pytestmark = pytest.mark.postgres


def test_import_reimport_update_and_rank_on_postgres(pg_app):
    brand = create_brand(db.session, name="Postgres Bakery", timezone="UTC", creator=None)
    now = datetime.now(UTC)
    first = csv_file(
        "google,1,5,,Great coffee and Ana was lovely,Ann Lee,2026-01-01,,,,",
        "yelp,1,2,,Cold food,Bo Chen,2026-01-02,,,,",
    )
    assert import_reviews(db.session, brand, first, actor="t", now=now).created == 2
    db.session.commit()
    again = import_reviews(db.session, brand, first, actor="t", now=now)
    assert again.unchanged == 2
    edited = csv_file(
        "google,1,5,,Great coffee and Ana was lovely,Ann Lee,2026-01-01,,,,",
        "yelp,1,4,,Warm food now,Bo Chen,2026-01-02,,,,",
    )
    report = import_reviews(db.session, brand, edited, actor="t", now=now)
    assert (report.updated, report.unchanged) == (1, 1)
    db.session.commit()
    ranked = promotable_reviews(db.session, brand, now=now)
    assert {r.review.source for r in ranked} == {"google", "yelp"}
