"""Search tracking's part of running PageOne: raw result pages are dropped after the brand's
retention days, the checks and their results stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from core.db import db
from core.retention import set_retention
from planner import brands
from serp.models import SerpCheck, SerpResultRow, TrackedQuery

NOW = datetime.now(UTC)


def check(query: TrackedQuery, days: int) -> SerpCheck:
    made = SerpCheck(
        query_id=query.id,
        checked_at=NOW - timedelta(days=days),
        status="ok",
        engine="google",
        provider="html",
        raw_pages=b"<html>page</html>",
        raw_expires_at=NOW + timedelta(days=90),
    )
    made.results.append(
        SerpResultRow(
            position=1,
            url="https://a.example/",
            normalized_url="a.example",
            domain="a.example",
        )
    )
    return made


def test_raw_pages_older_than_the_brands_days_are_dropped(app, brand, users):
    other = brands.create_brand(db.session, name="Other", timezone="UTC", creator=users["admin"])
    mine = TrackedQuery(brand_id=brand.id, text="acme")
    theirs = TrackedQuery(brand_id=other.id, text="other")
    db.session.add_all([mine, theirs])
    db.session.flush()
    old, recent, others_old = check(mine, 10), check(mine, 3), check(theirs, 10)
    db.session.add_all([old, recent, others_old])
    set_retention(db.session, brand.id, raw_pages_days=7)
    db.session.commit()

    swept = app.test_cli_runner().invoke(args=["ops", "retention-sweep"])

    assert swept.exit_code == 0 and "raw_pages 1" in swept.output
    db.session.expire_all()
    kept = dict(db.session.execute(select(SerpCheck.id, SerpCheck.raw_pages)).all())
    assert kept == {
        old.id: None,
        recent.id: b"<html>page</html>",
        others_old.id: b"<html>page</html>",
    }
    assert len(db.session.scalars(select(SerpResultRow)).all()) == 3, "results stay"
