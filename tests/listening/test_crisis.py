"""Crisis detection on synthetic hourly series with known answers, and alerts from the database."""

from __future__ import annotations

from datetime import timedelta
from email.header import decode_header, make_header

import numpy as np
import pytest
from sqlalchemy import select

from core.db import db
from listening import crisis
from listening.models import OVERALL, CrisisAlert, Mention
from planner.operations import PlannerError
from tests.conftest import login
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
    # One spike, one alert: the overall volume and every term the burst lifted, listed together.
    (alert,) = db.session.scalars(select(CrisisAlert)).all()
    assert created == [alert.id]
    terms = {entry["term"]: entry for entry in alert.terms}
    assert {OVERALL, "recall"} <= set(terms) and len(terms) >= 3, set(terms)
    assert alert.term == OVERALL and alert.count == 36 and alert.baseline_mean == 6
    assert terms["recall"]["count"] == 30 and terms["recall"]["mean"] == 0
    assert len(alert.sample_mention_ids) == 5

    (mail,) = smtp.to("admin@example.com")
    assert "all mentions" in mail["Subject"] and "recall" in mail["Subject"]
    body = mail.get_content()
    assert "“recall”: 30 in the last hour" in body and "mould found in rye bread" in body
    # The threshold that was used, not the baseline's bound of 0.0 the minimum count overrode.
    assert "above 0.0" not in body
    assert (
        "“recall”: 30 in the last hour; the usual at this time is 0.0 ± 0.0 (alerts from 10 "
        "mentions an hour, the brand's minimum count)" in body
    )
    hook = httpserver.log[-1][0].get_json()
    assert hook["event"] == "listening.crisis_alert" and len(hook["sample"]) == 5
    assert {OVERALL, "recall"} <= {entry["term"] for entry in hook["terms"]}

    # Within the cooldown the same terms do not alert again.
    assert crisis.check_spikes(app, NOW + timedelta(minutes=10)) == []
    assert len(smtp.messages) == 1

    # A term that crosses its threshold a few minutes later is the same spike: it joins the alert.
    strike = [
        item(
            200_000 + n,
            published_at=NOW + timedelta(minutes=11, seconds=n * 5),
            text=f"Acme Bakery strike announced by the union, worker {n}",
        )
        for n in range(12)
    ]
    add_mentions(brand, source, strike, NOW + timedelta(minutes=15))
    assert crisis.check_spikes(app, NOW + timedelta(minutes=15)) == []
    db.session.expire_all()
    (alert,) = db.session.scalars(select(CrisisAlert)).all()
    assert "strike" in {entry["term"] for entry in alert.terms}
    assert len(smtp.messages) == 1

    # The alert's page and the list name every term once, with the threshold used.
    client = app.test_client()
    login(client, users["admin"].email)
    page = client.get(f"/brands/{brand.id}/listening/alerts/{alert.id}").text
    assert "all mentions" in page and "<td>recall</td>" in page and "<td>strike</td>" in page
    assert "alerts from 10 mentions an hour, the brand&#39;s minimum count" in page
    assert "above 0.0" not in page
    listed = client.get(f"/brands/{brand.id}/listening/alerts").text
    assert listed.count(">Respond</a>") == 1 and "strike" in listed


def test_the_alert_says_the_threshold_it_used():
    quiet = crisis.judge(12, [0.0] * 21, k=3.0, min_count=10)
    assert quiet.spike and quiet.alert_at == 10
    assert crisis.threshold_text(quiet.as_entry("recall")) == (
        "alerts from 10 mentions an hour, the brand's minimum count"
    )
    busy = crisis.judge(40, [20.0] * 21, k=3.0, min_count=10)  # 20 + 3·√20 = 33.4
    assert busy.spike and busy.alert_at == 34
    assert crisis.threshold_text(busy.as_entry(OVERALL)) == (
        "alerts from 34 mentions an hour: more than the usual plus 3 standard deviations (33.4)"
    )
    assert not crisis.judge(33, [20.0] * 21, k=3.0, min_count=10).spike


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


def test_the_alert_mail_speaks_the_brands_language(app, brand, users, smtp):
    brand.language = "lv"
    source = make_source(brand, users["editor"])
    add_mentions(brand, source, [item(1, text="Pelējums maizē!")])
    mention = db.session.scalar(select(Mention))
    alert = CrisisAlert(
        brand_id=brand.id, term="pelējums", bucket="1", count=12, baseline_mean=1.5,
        baseline_sigma=0.5, threshold=9.0, sample_mention_ids=[mention.id], notified={},
        created_at=NOW,
    )  # fmt: skip
    db.session.add(alert)
    db.session.commit()
    assert crisis.notify(app.config, db.session, alert)["mail"] == 1
    (mail,) = smtp.to("admin@example.com")
    subject = str(make_header(decode_header(mail["Subject"])))
    assert subject == "Krīzes brīdinājums: Acme Bakery — strauji pieaug pelējums"
    body = mail.get_content()
    assert body.startswith("Strauji pieaug Acme Bakery pieminējumi — “pelējums”.")
    # Numbers the Latvian way, with a decimal comma.
    assert "pēdējā stundā 12; parasti šajā laikā 1,5 ± 0,5" in body
    assert "Pelējums maizē!" in body and "spiking" not in body
