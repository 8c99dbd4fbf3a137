"""Crisis detection: the last hour's mentions against the previous seven days, per term and overall.

The baseline for "now" is the hourly counts of the previous seven days *at the same time of day*
(the hour ending at this minute one to seven days ago, and the hours either side of it: 21
samples). Comparing with all 168 hours alarms at every daily peak of a brand with a daily rhythm;
the same-time baseline follows the rhythm. A spike is a count above
``mean + k·σ`` and at least ``min_count``, where σ is at least √mean: counts of rare events
vary at least as much as a Poisson count does, and a perfectly regular history must not make one
extra mention an alarm.

The flow, every five minutes: :func:`check_spikes` counts, writes a :class:`CrisisAlert` for each
term over its threshold that had no alert within the cooldown, and notifies the brand's admins
(and the operator's webhook) with a sample of the mentions behind it. From the alert an admin can
pause the brand's publishing (planner's switch), draft a statement and open the public page.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import audit
from core.db import db, utcnow
from core.mail import send_mail
from core.models import User
from listening.fetch import FetchError, post_json
from listening.models import (
    OVERALL,
    CrisisAlert,
    CrisisPage,
    CrisisUpdate,
    ListeningSettings,
    Mention,
    MentionSource,
)
from listening.operations import ListeningError, brand_admins, settings_for
from planner.models import Brand

logger = logging.getLogger("listening.crisis")

HOUR = timedelta(hours=1)
DAYS = 7
# Hours ago (end of window) of the baseline samples: the same time of day ±1 h, 1–7 days back.
BASELINE_LAGS = tuple(24 * d + o for d in range(1, DAYS + 1) for o in (-1, 0, 1))
HISTORY_HOURS = max(BASELINE_LAGS) + 1
SAMPLE_SIZE = 5


@dataclass(frozen=True)
class Verdict:
    count: int
    mean: float
    sigma: float
    threshold: float
    spike: bool


def threshold(
    samples: list[float] | np.ndarray, k: float, min_count: int
) -> tuple[float, float, float]:
    """(mean, σ, bound) of a baseline: a count above mean + k·max(σ, √mean) is unusual."""
    values = np.asarray(samples, dtype=float)
    mean = float(values.mean()) if values.size else 0.0
    sigma = float(values.std()) if values.size else 0.0
    return mean, sigma, mean + k * max(sigma, math.sqrt(mean))


def judge(current: int, samples: list[float], k: float = 3.0, min_count: int = 10) -> Verdict:
    mean, sigma, bound = threshold(samples, k, min_count)
    return Verdict(current, mean, sigma, bound, current > bound and current >= min_count)


def spike_flags(series: np.ndarray, k: float = 3.0, min_count: int = 10) -> np.ndarray:
    """For hourly counts (terms × hours), whether each hour would have alerted.

    Hours without a full week of history are never flagged. Vectorised for the benchmark and the
    tests on synthetic series; :func:`check_spikes` applies the same rule to the database.
    """
    counts = np.atleast_2d(np.asarray(series, dtype=float))
    terms, hours = counts.shape
    flags = np.zeros((terms, hours), dtype=bool)
    start = HISTORY_HOURS
    if hours <= start:
        return flags
    # Sums over each hour and its two neighbours first: seven slices instead of 21.
    window = counts[:, :-2] + counts[:, 1:-1] + counts[:, 2:]  # centred on hour i + 1
    squared = counts * counts
    window_sq = squared[:, :-2] + squared[:, 1:-1] + squared[:, 2:]
    current = counts[:, start:]
    total = np.zeros_like(current)
    squares = np.zeros_like(current)
    for day in range(1, DAYS + 1):
        # The window centred on h - 24·day starts at index h - 24·day - 1.
        first = start - 24 * day - 1
        total += window[:, first : first + hours - start]
        squares += window_sq[:, first : first + hours - start]
    n = len(BASELINE_LAGS)
    mean = total / n
    sigma = np.sqrt(np.maximum(squares / n - mean * mean, 0.0))
    bound = mean + k * np.maximum(sigma, np.sqrt(mean))
    flags[:, start:] = (current > bound) & (current >= min_count)
    return flags


# --- counting from the database -----------------------------------------------------------------


def hourly_counts(rows: list[tuple[datetime, list[str]]], now: datetime) -> dict[str, np.ndarray]:
    """Per term (and OVERALL), counts per hour-long window ending ``i`` hours before ``now``."""
    counts: dict[str, np.ndarray] = {}
    for published, terms in rows:
        index = int((now - published) // HOUR)
        if not 0 <= index < HISTORY_HOURS + 1:
            continue
        for term in (OVERALL, *dict.fromkeys(terms or [])):
            array = counts.get(term)
            if array is None:
                array = counts[term] = np.zeros(HISTORY_HOURS + 1)
            array[index] += 1
    return counts


def detect(
    rows: list[tuple[datetime, list[str]]], now: datetime, settings: ListeningSettings
) -> dict[str, Verdict]:
    """Verdicts for every term whose last hour is above its threshold."""
    spikes: dict[str, Verdict] = {}
    for term, array in hourly_counts(rows, now).items():
        current = int(array[0])
        if current < settings.spike_min_count:
            continue
        verdict = judge(
            current,
            [array[lag] for lag in BASELINE_LAGS],
            settings.spike_k,
            settings.spike_min_count,
        )
        if verdict.spike:
            spikes[term] = verdict
    return spikes


def _bucket(now: datetime, cooldown_minutes: int) -> str:
    return str(int(now.timestamp() // (cooldown_minutes * 60)))


def _recently_alerted(session: Session, brand_id: int, term: str, since: datetime) -> bool:
    return (
        session.scalar(
            select(CrisisAlert.id).where(
                CrisisAlert.brand_id == brand_id,
                CrisisAlert.term == term,
                CrisisAlert.created_at > since,
            )
        )
        is not None
    )


def _sample(session: Session, brand_id: int, term: str, now: datetime) -> list[int]:
    rows = session.execute(
        select(Mention.id, Mention.key_terms)
        .where(
            Mention.brand_id == brand_id,
            Mention.published_at > now - HOUR,
            Mention.published_at <= now,
        )
        .order_by(Mention.sentiment.asc().nulls_last(), Mention.published_at.desc())
    ).all()
    return [mid for mid, terms in rows if term == OVERALL or term in (terms or [])][:SAMPLE_SIZE]


def check_brand(session: Session, brand: Brand, now: datetime) -> list[CrisisAlert]:
    """Write alerts for the brand's spikes (outside the cooldown); the caller notifies."""
    settings = settings_for(session, brand)
    rows = [
        (published, terms)
        for published, terms in session.execute(
            select(Mention.published_at, Mention.key_terms).where(
                Mention.brand_id == brand.id,
                Mention.published_at > now - HOUR * (HISTORY_HOURS + 1),
                Mention.published_at <= now,
            )
        )
    ]
    alerts: list[CrisisAlert] = []
    cooldown = timedelta(minutes=settings.spike_cooldown_minutes)
    for term, verdict in sorted(detect(rows, now, settings).items()):
        if _recently_alerted(session, brand.id, term, now - cooldown):
            continue
        alert = CrisisAlert(
            brand_id=brand.id,
            term=term[:120],
            bucket=_bucket(now, settings.spike_cooldown_minutes),
            count=verdict.count,
            baseline_mean=verdict.mean,
            baseline_sigma=verdict.sigma,
            threshold=verdict.threshold,
            sample_mention_ids=_sample(session, brand.id, term, now),
            notified={},
            created_at=now,
        )
        try:
            with session.begin_nested():
                session.add(alert)
        except IntegrityError:
            continue  # another worker wrote this alert a moment ago
        audit.record(
            session,
            "system",
            "crisis.alert",
            "crisis_alert",
            alert.id,
            brand_id=brand.id,
            term=term,
            count=verdict.count,
        )
        alerts.append(alert)
    session.flush()
    return alerts


def _alert_text(
    alert: CrisisAlert, brand: Brand, samples: list[Mention], base_url: str | None
) -> str:
    term = "all mentions" if alert.term == OVERALL else f"“{alert.term}”"
    lines = [
        f"Mentions of {brand.name} for {term}: {alert.count} in the last hour; "
        f"the usual at this time is {alert.baseline_mean:.1f} ± {alert.baseline_sigma:.1f} "
        f"(alert above {alert.threshold:.1f}, and at least the brand's minimum count).",
        "",
        "A sample of the mentions behind it:",
    ]
    for mention in samples:
        lines.append(
            f"- {(mention.title or mention.text)[:200]} "
            f"({mention.author or 'unknown'}) {mention.url or ''}"
        )
    if base_url:
        lines += ["", f"Respond: {base_url}/brands/{brand.id}/listening/alerts/{alert.id}"]
    lines += [
        "",
        "From the alert you can pause scheduled publishing, draft a statement and open a "
        "public updates page.",
    ]
    return "\n".join(lines)


def notify(app_config: Mapping[str, Any], session: Session, alert: CrisisAlert) -> dict[str, Any]:
    """Email the brand's admins and post to NOTIFY_WEBHOOK_URL; what was delivered."""
    brand = session.get(Brand, alert.brand_id)
    samples = list(
        session.scalars(select(Mention).where(Mention.id.in_(alert.sample_mention_ids or [])))
    )
    text = _alert_text(alert, brand, samples, app_config.get("BASE_URL"))
    term = "all mentions" if alert.term == OVERALL else alert.term
    result: dict[str, Any] = {"mail": 0, "webhook": None}
    for admin in brand_admins(session, brand.id):
        try:
            if send_mail(
                app_config, admin.email, f"Crisis alert: {brand.name} — {term} spiking", text
            ):
                result["mail"] += 1
        except Exception as exc:  # noqa: BLE001 - one failed mail must not stop the others
            logger.warning("crisis alert mail failed: %s", type(exc).__name__)
    webhook = app_config.get("NOTIFY_WEBHOOK_URL")
    if webhook:
        payload = {
            "event": "listening.crisis_alert",
            "brand": {"id": brand.id, "slug": brand.slug, "name": brand.name},
            "term": alert.term,
            "count": alert.count,
            "baseline_mean": alert.baseline_mean,
            "threshold": alert.threshold,
            "at": alert.created_at.isoformat(),
            "sample": [
                {"id": m.id, "url": m.url, "author": m.author, "text": (m.title or m.text)[:280]}
                for m in samples
            ],
        }
        try:
            result["webhook"] = post_json(webhook, payload, app_config)
        except FetchError as exc:
            result["webhook"] = str(exc)
    alert.notified = result
    return result


def check_spikes(app: Flask, now: datetime | None = None) -> list[int]:
    """The five-minute job: alert on spikes for every brand with listening sources."""
    now = now or utcnow()
    created: list[int] = []
    with app.app_context():
        with db.job_session() as session:
            brand_ids = list(session.scalars(select(MentionSource.brand_id).distinct()))
        for brand_id in brand_ids:
            try:
                with db.job_session() as session:
                    brand = session.get(Brand, brand_id)
                    alerts = check_brand(session, brand, now) if brand else []
                    ids = [a.id for a in alerts]
                for alert_id in ids:
                    with db.job_session() as session:
                        notify(app.config, session, session.get(CrisisAlert, alert_id))
                created.extend(ids)
            except Exception:  # noqa: BLE001 - one brand's failure must not stop the others
                logger.exception("spike check failed for brand %s", brand_id)
    return created


# --- responding to a crisis ---------------------------------------------------------------------


def alert_for(session: Session, brand: Brand, alert_id: int) -> CrisisAlert:
    alert = session.get(CrisisAlert, alert_id)
    if alert is None or alert.brand_id != brand.id:
        from planner.operations import NotFound

        raise NotFound(f"No alert {alert_id} for this brand.")
    return alert


def draft_statement(brand: Brand, alert: CrisisAlert | None) -> str:
    """A first statement to edit: acknowledge, say what is being done, when the next update is."""
    topic = f" about {alert.term}" if alert is not None and alert.term != OVERALL else ""
    return (
        f"We are aware of reports{topic} concerning {brand.name} and are looking into them now. "
        "We take this seriously. We will share what we know, and what we are doing about it, "
        "on this page, and post the next update within two hours."
    )


def page_of(session: Session, brand: Brand) -> CrisisPage | None:
    return session.scalar(select(CrisisPage).where(CrisisPage.brand_id == brand.id))


def _faq(value: Any) -> list[dict[str, str]]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        # "Q: … / A: …" pairs in a text box, one blank line between them.
        pairs = []
        for block in value.replace("\r\n", "\n").split("\n\n"):
            question, _, answer = block.strip().partition("\n")
            if question.strip():
                pairs.append(
                    {
                        "q": question.strip().removeprefix("Q:").strip(),
                        "a": answer.strip().removeprefix("A:").strip(),
                    }
                )
        return pairs[:30]
    if isinstance(value, list) and all(isinstance(i, dict) for i in value):
        return [
            {"q": str(i.get("q", "")).strip(), "a": str(i.get("a", "")).strip()}
            for i in value
            if i.get("q")
        ][:30]
    raise ListeningError("'faq' must be a list of {q, a} objects.")


def open_page(
    session: Session,
    brand: Brand,
    actor: User,
    *,
    title: str,
    statement: str,
    faq: Any = None,
    alert: CrisisAlert | None = None,
    now: datetime,
) -> CrisisPage:
    """Publish (or re-publish with a new statement) the brand's public updates page."""
    statement = (statement or "").strip()
    if not statement:
        raise ListeningError("The page needs a statement.")
    page = page_of(session, brand)
    if page is None:
        page = CrisisPage(brand_id=brand.id, created_at=now)
        session.add(page)
    page.title = (title or "").strip()[:200] or f"Updates from {brand.name}"
    page.statement = statement
    page.faq = _faq(faq)
    page.published = True
    page.updated_at = now
    if alert is not None:
        page.alert_id = alert.id
    session.flush()
    audit.record(session, actor, "crisis.page_opened", "crisis_page", page.id, brand_id=brand.id)
    return page


def add_update(
    session: Session, page: CrisisPage, actor: User, text: str, now: datetime
) -> CrisisUpdate:
    text = (text or "").strip()
    if not text:
        raise ListeningError("Write the update first.")
    update = CrisisUpdate(page_id=page.id, text=text, author_id=actor.id, created_at=now)
    session.add(update)
    page.updated_at = now
    session.flush()
    audit.record(session, actor, "crisis.update", "crisis_page", page.id, brand_id=page.brand_id)
    return update


def close_page(session: Session, page: CrisisPage, actor: User) -> None:
    page.published = False
    audit.record(
        session, actor, "crisis.page_closed", "crisis_page", page.id, brand_id=page.brand_id
    )
    session.flush()


def pause_publishing(
    session: Session, brand: Brand, actor: User, alert: CrisisAlert | None
) -> Brand:
    """Planner's pause switch, with the alert as the reason."""
    from planner.pause import pause_brand

    what = "all mentions" if alert is None or alert.term == OVERALL else f"“{alert.term}”"
    reason = f"Crisis: mentions spiking for {what}" + (
        f" ({alert.count} in an hour)" if alert else ""
    )
    return pause_brand(session, brand, actor, reason)


def recent_alerts(session: Session, brand_id: int, limit: int = 50) -> list[CrisisAlert]:
    return list(
        session.scalars(
            select(CrisisAlert)
            .where(CrisisAlert.brand_id == brand_id)
            .order_by(CrisisAlert.created_at.desc())
            .limit(limit)
        )
    )


def term_counts(rows: list[list[str]]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for terms in rows:
        counts.update(dict.fromkeys(terms or []))
    return counts
