"""Listening's claims on PostgreSQL: two workers never poll a source or alert a mention twice."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import db
from core.models import Role
from listening.jobs import claim_due_sources
from listening.models import Mention
from listening.sla import _claim_overdue
from planner.brands import create_brand
from tests.conftest import create_user
from tests.listening.conftest import NOW, add_mentions, item, make_source

pytestmark = pytest.mark.postgres


def race(app, work, workers: int = 2) -> list:
    """Run ``work(session)`` in threads, each with its own session, all starting together."""
    results: list = [None] * workers
    start = threading.Barrier(workers)

    def run(index: int) -> None:
        with app.app_context():
            session = Session(bind=app.extensions["pageone.db"], expire_on_commit=False)
            start.wait()
            results[index] = work(session)
            session.commit()
            session.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


@pytest.fixture
def pg_brand(pg_app):
    admin = create_user("admin@example.com", Role.ADMIN)
    brand = create_brand(db.session, name="Acme", timezone="UTC", creator=admin)
    db.session.commit()
    return brand, admin


def test_two_workers_alert_each_overdue_mention_once(pg_app, pg_brand):
    brand, admin = pg_brand
    source = make_source(brand, admin)
    add_mentions(brand, source, [item(n) for n in range(300)])
    later = NOW + timedelta(days=3)  # every mention is past its 24-hour target
    claimed = race(pg_app, lambda session: _claim_overdue(session, later))
    first, second = (set(ids) for ids in claimed)
    assert not first & second
    # Each round takes at most a batch; together two rounds cover more than one worker's batch.
    assert len(first | second) == min(300, 2 * 500)


def test_two_workers_poll_a_due_source_once(pg_app, pg_brand):
    brand, admin = pg_brand
    source = make_source(brand, admin)
    source_id = source.id
    counter = iter(range(2))

    def claim(session: Session) -> list[int]:
        return claim_due_sources(session, f"w{next(counter)}", NOW + timedelta(hours=1), 10)

    assert sorted(race(pg_app, claim)) == [[], [source_id]]


def test_ingest_skips_entries_and_urls_already_stored_on_postgres(pg_app, pg_brand):
    brand, admin = pg_brand
    source = make_source(brand, admin)
    first = add_mentions(brand, source, [item(n) for n in range(1200)])
    assert (first.new, first.duplicates) == (1200, 0)
    again = [item(n) for n in range(1100, 1300)]  # 100 seen entries, 100 new
    again += [item(5000 + n, url=f"https://news.example.com/{n}") for n in range(50)]  # seen URLs
    second = add_mentions(brand, source, again)
    assert (second.new, second.duplicates) == (100, 150)
    stored = db.session.scalars(select(Mention.external_id).where(Mention.brand_id == brand.id))
    assert sorted(stored) == sorted(f"item-{n}" for n in range(1300))


def test_two_workers_store_a_doubled_theme_once(pg_app, pg_brand):
    from listening import themes
    from listening.models import ThemeAlert

    brand, admin = pg_brand
    source = make_source(brand, admin)
    texts = [(NOW - timedelta(days=7), "The courier lost my parcel, terrible.")] * 2 + [
        (NOW - timedelta(minutes=n), "Parcel is lost, the courier was terrible.") for n in range(5)
    ]
    add_mentions(
        brand, source, [item(n, text=t, published_at=at) for n, (at, t) in enumerate(texts)]
    )
    stored = race(
        pg_app, lambda session: [a.theme for a in themes.check_brand(session, brand.id, NOW)]
    )
    assert sorted(stored) == [[], ["delivery"]]
    assert len(db.session.scalars(select(ThemeAlert)).all()) == 1
