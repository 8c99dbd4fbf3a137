"""Crisis detection on synthetic hourly series with known answers, and alerts from the database."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import select

from core.db import db
from listening import crisis
from listening.models import OVERALL, CrisisAlert
from planner.operations import PlannerError
from tests.listening.conftest import NOW, add_mentions, item, make_source


def weekly_rhythm(weeks: int, seed: int = 7) -> np.ndarray:
    """Hourly counts with a daily curve (quiet nights, a lunchtime peak) and quieter weekends."""
    rng = np.random.default_rng(seed)
    hours = np.arange(weeks * 7 * 24)
    hour_of_day, day = hours % 24, (hours // 24) % 7
    daily = (
        2
        + 38 * np.exp(-((hour_of_day - 12) ** 2) / 8)
        + 12 * np.exp(-((hour_of_day - 19) ** 2) / 4)
    )
    weekly = np.where(day >= 5, 0.5, 1.0)
    return rng.poisson(daily * weekly).astype(float)


def test_known_answers_of_the_threshold():
    # A flat history of 10 an hour: σ is taken as at least √10, so the bound is 10 + 3·√10 ≈ 19.5.
    assert not crisis.judge(19, [10] * 21).spike
    assert crisis.judge(20, [10] * 21).spike
    # A term never seen before alerts only from the minimum count on.
    assert not crisis.judge(9, [0] * 21).spike
    assert crisis.judge(10, [0] * 21).spike
    assert not crisis.judge(12, [0] * 21, min_count=15).spike


def test_a_weekly_rhythm_never_alerts():
    series = weekly_rhythm(weeks=4)
    flags = crisis.spike_flags(series[None, :])
    assert flags.sum() == 0
    # The same rhythm judged against all 168 hours of the week would alarm on many lunchtimes.
    naive = [
        series[h] > series[h - 168 : h].mean() + 3 * series[h - 168 : h].std()
        for h in range(168, len(series))
    ]
    assert sum(naive) >= 5


def test_a_five_fold_burst_alerts_in_the_hour_it_lands():
    series = weekly_rhythm(weeks=3)
    burst_hour = 2 * 168 + 3 * 24 + 15  # a Thursday afternoon
    quiet = series.copy()
    series[burst_hour] += 5 * series[burst_hour - 24 : burst_hour].mean()
    flags = crisis.spike_flags(np.vstack([quiet, series]))
    assert flags[0].sum() == 0
    assert np.flatnonzero(flags[1]).tolist() == [burst_hour]


def _history(brand, source, per_hour: int = 6) -> None:
    """Eight days of steady mentions up to NOW, spread over each hour."""
    items = []
    for hour in range(1, 8 * 24):
        for n in range(per_hour):
            at = NOW - timedelta(hours=hour) + timedelta(minutes=7 + n * 9)
            items.append(item(hour * 100 + n, published_at=at, text=f"Acme Bakery bread {n}"))
    add_mentions(brand, source, items, NOW)


def test_a_burst_is_alerted_at_the_next_five_minute_check_once(app, brand, users, smtp, httpserver):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    app.config["NOTIFY_WEBHOOK_URL"] = httpserver.url_for("/hook")
    source = make_source(brand, users["editor"])
    _history(brand, source)
    assert crisis.check_spikes(app, NOW) == []

    # Thirty mentions of a product recall land within the next five minutes: 5× an hour's volume.
    burst = [
        item(
            100_000 + n,
            published_at=NOW + timedelta(minutes=1, seconds=n * 5),
            text=f"Acme Bakery recall: mould found in rye bread, customer {n} says",
        )
        for n in range(30)
    ]
    add_mentions(brand, source, burst, NOW + timedelta(minutes=5))
    created = crisis.check_spikes(app, NOW + timedelta(minutes=5))
    alerts = {a.term: a for a in db.session.scalars(select(CrisisAlert))}
    assert len(created) == len(alerts)
    assert {OVERALL, "recall"} <= set(alerts)
    overall = alerts[OVERALL]
    assert overall.count == 36 and overall.baseline_mean == 6
    assert len(overall.sample_mention_ids) == 5

    mails = smtp.to("admin@example.com")
    assert len(mails) == len(alerts)
    recall_mail = next(m for m in mails if "recall" in m["Subject"])
    body = recall_mail.get_content()
    assert "30 in the last hour" in body and "mould found in rye bread" in body
    hook = httpserver.log[-1][0].get_json()
    assert hook["event"] == "listening.crisis_alert" and len(hook["sample"]) == 5

    # Within the cooldown the same terms do not alert again.
    assert crisis.check_spikes(app, NOW + timedelta(minutes=10)) == []
    assert len(smtp.messages) == len(alerts)


def test_an_admin_pauses_publishing_and_opens_the_updates_page(app, brand, users):
    alert = CrisisAlert(
        brand_id=brand.id,
        term="recall",
        bucket="1",
        count=40,
        baseline_mean=2,
        baseline_sigma=1,
        threshold=6,
        sample_mention_ids=[],
        notified={},
        created_at=NOW,
    )
    db.session.add(alert)
    db.session.commit()
    crisis.pause_publishing(db.session, brand, users["admin"], alert)
    statement = crisis.draft_statement(brand, alert)
    page = crisis.open_page(
        db.session,
        brand,
        users["admin"],
        title="",
        statement=statement,
        faq="Is the bread safe?\nDo not eat rye bread bought this week.",
        alert=alert,
        now=NOW,
    )
    crisis.add_update(db.session, page, users["admin"], "Batch 42 recalled.", NOW)
    db.session.commit()
    assert brand.paused_at is not None and "recall" in brand.pause_reason
    assert page.faq == [{"q": "Is the bread safe?", "a": "Do not eat rye bread bought this week."}]
    assert [u.text for u in page.updates] == ["Batch 42 recalled."]
    with pytest.raises(PlannerError, match="admins"):
        crisis.pause_publishing(db.session, brand, users["editor"], alert)
