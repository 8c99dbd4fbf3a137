"""Checks: every result stored, blocks stored as gaps and retried sooner, atomic claims."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from core.db import db, utcnow
from serp import check_history, checks, uploads
from serp import operations as ops
from serp import rules as rule_ops
from serp.checks import (
    check_now,
    claim_due_checks,
    expire_raw_pages,
    next_scheduled,
    purge_query,
    reparse,
    run_due_checks,
)
from serp.labels import classifier_for_brand
from serp.models import SerpCheck, SerpResultRow, TrackedQuery

from .conftest import bing_page, fixture_text, make_query


def bing_query(app, brand, **values):
    return make_query(app, brand, None, engine="bing", **values)


def test_a_check_stores_every_result_of_every_page(app, brand, engine_server):
    query = bing_query(app, brand, depth=20)
    counts = run_due_checks(app, limit=10, worker_id="w1")
    assert counts["claimed"] == 1 and counts["ok"] == 1
    check = db.session.scalars(select(SerpCheck)).one()
    assert check.status == "ok" and check.result_count == 20
    rows = db.session.scalars(
        select(SerpResultRow).where(SerpResultRow.check_id == check.id).order_by("position")
    ).all()
    assert [r.position for r in rows] == list(range(1, 21))
    assert rows[0].normalized_url == "site0.example.com/page"
    assert rows[0].domain == "site0.example.com"
    assert check.raw_pages is not None
    assert check.raw_expires_at - check.checked_at == timedelta(days=90)
    db.session.refresh(query)
    assert query.claimed_by is None and query.failures == 0
    # The next weekly slot: the query's local weekday and hour, within the coming week.
    assert query.schedule == "weekly"
    assert check.checked_at < query.next_check_at <= check.checked_at + timedelta(days=7)
    local = query.next_check_at.astimezone(ZoneInfo(brand.timezone))
    assert (local.weekday(), local.hour, local.minute) == (query.weekday, query.hour, 0)


def test_a_blocked_check_is_a_gap_never_not_found(app, brand, users, engine_server):
    query = bing_query(app, brand)
    run_due_checks(app, limit=10, worker_id="w1")
    engine_server["page"] = lambda start: fixture_text("google_captcha.html")
    ops.update_query(db.session, query, None, {}, config=app.config, now=utcnow())
    query.next_check_at = utcnow()
    # Its weekly slot half a day away, so that the retry comes first whatever the hour the
    # test runs at (a slot due sooner than the retry takes its place; tested below).
    local = utcnow().astimezone(ZoneInfo(brand.timezone))
    query.schedule, query.weekday, query.hour = "weekly", local.weekday(), (local.hour + 12) % 24
    db.session.commit()
    before = utcnow()
    counts = run_due_checks(app, limit=10, worker_id="w1")
    assert counts["blocked"] == 1
    newest = check_history.history(db.session, query.id)[0]
    assert newest.status == "blocked" and newest.reason == "captcha"
    assert newest.result_count == 0
    # The page of record is still the last good one; the block is shown as a later gap.
    page = check_history.latest_page(
        check_history.history(db.session, query.id), classifier_for_brand(db.session, brand.id)
    )
    assert page.check.status == "ok" and len(page.rows) == 10
    assert [c.status for c in page.newer_failures] == ["blocked"]
    assert page.gone == []
    # Retried sooner than the weekly schedule, with backoff.
    db.session.refresh(query)
    assert query.failures == 1
    assert before + timedelta(minutes=14) < query.next_check_at < before + timedelta(minutes=16)


def test_a_blocked_check_waits_for_its_weekly_slot_when_the_slot_comes_before_the_retry(
    app, brand, engine_server, monkeypatch
):
    # Monday 04:54:46 UTC; the query's slot is Monday 06:00 in Berlin (05:00 UTC), five minutes
    # before the first retry would be: the regular check takes the retry's place.
    monday = datetime(2026, 12, 7, 4, 54, 46, tzinfo=UTC)
    monkeypatch.setattr(checks, "utcnow", lambda: monday)
    engine_server["page"] = lambda start: fixture_text("google_captcha.html")
    query = bing_query(app, brand)
    query.schedule, query.weekday, query.hour = "weekly", 0, 6
    query.next_check_at = monday
    db.session.commit()
    assert run_due_checks(app, limit=10, worker_id="w1")["blocked"] == 1
    db.session.refresh(query)
    assert query.failures == 1
    assert query.next_check_at == datetime(2026, 12, 7, 5, 0, tzinfo=UTC)


def test_failures_back_off_and_retry_after_is_honoured():
    assert checks.retry_delay(1) == timedelta(minutes=15)
    assert checks.retry_delay(3) == timedelta(hours=1)
    assert checks.retry_delay(10) == timedelta(hours=12)
    assert checks.retry_delay(1, retry_after=7200) == timedelta(hours=2)


def test_a_check_with_an_unusable_provider_is_stored_as_an_error(app, brand):
    query = bing_query(app, brand)
    db.session.execute(update(TrackedQuery).values(provider="serper"))
    db.session.commit()
    assert check_now(app, query.id, "w1") == "error"
    check = db.session.scalars(select(SerpCheck)).one()
    assert check.status == "error" and "Serper" in check.reason


def test_movements_since_the_previous_good_check(app, brand, users, engine_server):
    query = bing_query(app, brand)
    check_now(app, query.id, "w1")
    # Second look: site3 climbs to the top, site9 drops out, a new result appears.
    order = [3, 0, 1, 2, 4, 5, 6, 7, 8, 42]
    engine_server["page"] = lambda start: bing_page(0, 0).replace(
        "</ol>",
        "".join(
            f'<li class="b_algo"><h2><a href="https://site{i}.example.com/page">R{i}</a></h2></li>'
            for i in order
        )
        + "</ol>",
    )
    check_now(app, query.id, "w1")
    rule_ops.save_rule(db.session, brand.id, users["editor"], match_type="domain",
                  pattern="site3.example.com", label="negative")  # fmt: skip
    page = check_history.latest_page(
        check_history.history(db.session, query.id), classifier_for_brand(db.session, brand.id)
    )
    changes = {m.row.domain: (m.change, m.label) for m in page.rows}
    assert changes["site3.example.com"] == ("↑3", "negative")
    assert changes["site0.example.com"] == ("↓1", None)
    assert changes["site4.example.com"] == ("=", None)
    assert changes["site42.example.com"] == ("new", None)
    assert page.gone == [("site9.example.com/page", 10)]


def test_claims_are_atomic_between_workers_sqlite(app, brand):
    claims_are_disjoint(app, brand)


@pytest.mark.postgres
def test_claims_are_atomic_between_workers_postgres(pg_app):
    from planner.brands import create_brand

    brand = create_brand(db.session, name="PG", timezone="UTC", creator=None)
    db.session.commit()
    claims_are_disjoint(pg_app, brand)


def claims_are_disjoint(app, brand):
    for i in range(30):
        db.session.add(
            TrackedQuery(brand_id=brand.id, text=f"q{i}", next_check_at=utcnow() - timedelta(1))
        )
    db.session.commit()
    won: dict[str, list[int]] = {}
    barrier = threading.Barrier(4)

    def claim(worker: str) -> None:
        with app.app_context():
            barrier.wait()
            for _ in range(5):
                with db.job_session() as session:
                    won.setdefault(worker, []).extend(
                        claim_due_checks(session, worker, utcnow(), limit=4)
                    )

    threads = [threading.Thread(target=claim, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [qid for ids in won.values() for qid in ids]
    assert len(every) == len(set(every)) == 30
    holders = db.session.execute(select(TrackedQuery.id, TrackedQuery.claimed_by)).all()
    owner = {qid: worker for worker, ids in won.items() for qid in ids}
    assert all(owner[qid] == holder for qid, holder in holders)


def test_paused_deleted_manual_and_leased_queries_are_not_claimed(app, brand):
    now = utcnow()
    due = now - timedelta(minutes=1)
    rows = [
        TrackedQuery(brand_id=brand.id, text="due", next_check_at=due),
        TrackedQuery(brand_id=brand.id, text="paused", next_check_at=due, paused=True),
        TrackedQuery(brand_id=brand.id, text="deleted", next_check_at=due, deleted_at=now),
        TrackedQuery(brand_id=brand.id, text="upload", next_check_at=due, provider="manual"),
        TrackedQuery(brand_id=brand.id, text="later", next_check_at=now + timedelta(hours=1)),
        TrackedQuery(
            brand_id=brand.id,
            text="held",
            next_check_at=due,
            claimed_by="w0",
            lease_until=now + timedelta(minutes=5),
        ),  # fmt: skip
        TrackedQuery(
            brand_id=brand.id,
            text="expired lease",
            next_check_at=due,
            claimed_by="w0",
            lease_until=now - timedelta(minutes=5),
        ),  # fmt: skip
    ]
    db.session.add_all(rows)
    db.session.commit()
    claimed = claim_due_checks(db.session, "w1", now, limit=10)
    assert sorted(db.session.get(TrackedQuery, i).text for i in claimed) == ["due", "expired lease"]


def test_next_check_follows_the_brand_local_hour_across_dst():
    berlin = ZoneInfo("Europe/Berlin")
    weekly = TrackedQuery(schedule="weekly", weekday=6, hour=2)  # Sunday 02:00 local
    # 2026-03-29 is the Sunday clocks jump from 02:00 to 03:00 in Berlin.
    after = datetime(2026, 3, 27, 12, tzinfo=UTC)
    when = next_scheduled(weekly, berlin, after)
    assert when.astimezone(berlin).date().isoformat() == "2026-03-29"
    daily = TrackedQuery(schedule="daily", hour=9)
    when = next_scheduled(daily, berlin, datetime(2026, 7, 1, 8, tzinfo=UTC))
    assert when == datetime(2026, 7, 2, 7, tzinfo=UTC)  # 09:00 CEST
    assert next_scheduled(TrackedQuery(schedule="manual"), berlin, after) is None


def test_reparse_reads_stored_pages_again(app, brand, engine_server):
    query = bing_query(app, brand)
    check_now(app, query.id, "w1")
    check = db.session.scalars(select(SerpCheck)).one()
    # Pretend an older parser missed the last two results.
    check.results = check.results[:8]
    check.result_count = 8
    db.session.commit()
    counts = reparse(db.session, app.config, query.id)
    db.session.commit()
    assert counts == {"read": 1, "changed": 1}
    db.session.refresh(check)
    assert check.result_count == 10 and len(check.results) == 10
    assert reparse(db.session, app.config)["changed"] == 0


def test_raw_pages_expire_and_purge_removes_history(app, brand, engine_server):
    query = bing_query(app, brand)
    check_now(app, query.id, "w1")
    assert expire_raw_pages(db.session, utcnow() + timedelta(days=91)) == 1
    db.session.commit()
    check = db.session.scalars(select(SerpCheck)).one()
    assert check.raw_pages is None and check.result_count == 10
    assert purge_query(db.session, query.id) == 1
    db.session.commit()
    assert db.session.scalars(select(SerpResultRow)).all() == []
    assert db.session.get(TrackedQuery, query.id) is None


def test_csv_upload_makes_one_check_per_time(app, brand, users):
    query = make_query(app, brand, users["editor"], provider="manual")
    text = (
        "checked_at,position,url,title\n"
        "2026-01-05T09:00:00Z,1,https://a.example/,A\n"
        "2026-01-05T09:00:00Z,2,https://b.example/,B\n"
        "2026-01-12,1,https://b.example/,B\n"
    )
    made = uploads.import_upload(db.session, query, users["editor"], content=text, kind="csv",
                                 checked_at=utcnow())  # fmt: skip
    db.session.commit()
    assert [(c.checked_at.date().isoformat(), c.result_count) for c in made] == [
        ("2026-01-05", 2),
        ("2026-01-12", 1),
    ]
    with pytest.raises(ops.SerpError) as refused:
        uploads.import_upload(db.session, query, users["editor"], kind="csv", checked_at=utcnow(),
                              content="checked_at,position,url\nnope,0,ftp://x\n")  # fmt: skip
    assert refused.value.errors == ["Line 2: checked_at 'nope' is not a date."]


def test_html_upload_of_a_consent_page_is_stored_blocked(app, brand, users):
    query = make_query(app, brand, users["editor"], provider="manual")
    [check] = uploads.import_upload(
        db.session, query, users["editor"], content=fixture_text("google_consent.html"),
        kind="html", checked_at=utcnow(),
    )  # fmt: skip
    assert check.status == "blocked" and check.result_count == 0


def test_worker_job_checks_everything_due_and_registers_every_minute(app, brand, engine_server):
    from serp.jobs import due_checks_job, register_jobs
    from serp.query_figures import QueryFigures
    from serp.reports import brand_report

    for n in range(5):
        bing_query(app, brand, text=f"query {n}")
    assert run_due_checks(app, limit=2, worker_id="w1")["claimed"] == 2
    counts = due_checks_job(app, "w2")
    assert (counts["claimed"], counts["ok"]) == (3, 3)
    # The round stores its checks without the brand's lock and keeps the figures of its three
    # queries once at its end: the dashboard's next view reads them ready.
    assert counts["parts"] == 3
    kept = {row.query_id: row.computed_at for row in db.session.scalars(select(QueryFigures))}
    assert len(kept) == 5
    again = due_checks_job(app, "w2")
    assert (again["claimed"], again["parts"]) == (0, 0)
    report = brand_report(db.session, brand, with_checks=False, keep=False)
    assert len(report["queries"]) == 5
    db.session.expire_all()
    assert {r.query_id: r.computed_at for r in db.session.scalars(select(QueryFigures))} == kept

    class Scheduler:
        def add_job(self, func, trigger, **options):
            self.added = (func, trigger, options)

    scheduler = Scheduler()
    register_jobs(scheduler, app)
    func, trigger, options = scheduler.added
    assert func is due_checks_job and trigger == "interval" and options["seconds"] == 60
    assert options["max_instances"] == 1
