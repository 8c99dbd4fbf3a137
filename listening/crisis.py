"""Crisis detection: the last hour's mentions against the previous seven days, per term and overall.

The baseline for "now" is the hourly counts of the previous seven days *at the same time of day*
(the hour ending at this minute one to seven days ago, and the hours either side of it: 21
samples). Comparing with all 168 hours alarms at every daily peak of a brand with a daily rhythm;
the same-time baseline follows the rhythm. A spike is a count above
``mean + k·σ`` and at least ``min_count``, where σ is at least √mean: counts of rare events
vary at least as much as a Poisson count does, and a perfectly regular history must not make one
extra mention an alarm.

The flow, every five minutes: :func:`check_spikes` counts, writes one :class:`CrisisAlert` per
spike listing every term over its threshold that had no alert within the cooldown (a spike of a
brand's volume lifts the brand's terms with it: five alerts for one event were noise), and
notifies the brand's admins (and the operator's webhook) with a sample of the mentions behind it.
Terms that cross their threshold within the hour after an alert join that alert. From the alert
an admin can pause the brand's publishing (planner's switch), draft a statement and open the
public page.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from flask import Flask
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import audit
from core.db import db, utcnow
from core.i18n import language, number
from core.mail import send_mail
from core.models import User
from core.tenants import Brand
from listening.fetch import FetchError, post_json
from listening.inbox import brand_admins
from listening.models import (
    OVERALL,
    CrisisAlert,
    CrisisPage,
    CrisisUpdate,
    ListeningSettings,
    Mention,
    MentionSource,
)
from listening.operations import ListeningError, settings_for

if TYPE_CHECKING:  # numpy loads when spikes are first computed, not with the app
    import numpy as np

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
    alert_at: int = 0  # the smallest count that alerts: above the bound and at least the minimum
    k: float = 3.0
    min_count: int = 10

    def as_entry(self, term: str) -> dict[str, Any]:
        return {
            "term": term,
            "count": self.count,
            "mean": self.mean,
            "sigma": self.sigma,
            "bound": self.threshold,
            "k": self.k,
            "min_count": self.min_count,
            "alert_at": self.alert_at,
        }


def threshold(
    samples: list[float] | np.ndarray, k: float, min_count: int
) -> tuple[float, float, float]:
    """(mean, σ, bound) of a baseline: a count above mean + k·max(σ, √mean) is unusual."""
    import numpy as np

    values = np.asarray(samples, dtype=float)
    mean = float(values.mean()) if values.size else 0.0
    sigma = float(values.std()) if values.size else 0.0
    return mean, sigma, mean + k * max(sigma, math.sqrt(mean))


def judge(current: int, samples: list[float], k: float = 3.0, min_count: int = 10) -> Verdict:
    mean, sigma, bound = threshold(samples, k, min_count)
    alert_at = max(min_count, math.floor(bound) + 1)
    return Verdict(
        current,
        mean,
        sigma,
        bound,
        current > bound and current >= min_count,
        alert_at=alert_at,
        k=k,
        min_count=min_count,
    )


def spike_flags(series: np.ndarray, k: float = 3.0, min_count: int = 10) -> np.ndarray:
    """For hourly counts (terms × hours), whether each hour would have alerted.

    Hours without a full week of history are never flagged. Vectorised for the benchmark and the
    tests on synthetic series; :func:`check_spikes` applies the same rule to the database.
    """
    import numpy as np

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
    import numpy as np

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


def alert_terms(alert: CrisisAlert) -> list[dict[str, Any]]:
    """The terms of an alert with their figures; an alert from before grouping has one."""
    if alert.terms:
        return list(alert.terms)
    return [
        {
            "term": alert.term,
            "count": alert.count,
            "mean": alert.baseline_mean,
            "sigma": alert.baseline_sigma,
            "bound": alert.threshold,
            "k": None,
            "min_count": None,
            "alert_at": math.floor(alert.threshold) + 1,
        }
    ]


def term_label(term: str) -> str:
    return _("all mentions") if term == OVERALL else f"“{term}”"


def terms_text(alert: CrisisAlert) -> str:
    """The terms in words, e.g. “all mentions, “recall” and “mould””."""
    labels = [term_label(entry["term"]) for entry in alert_terms(alert)]
    if len(labels) == 1:
        return labels[0]
    return _("%(some)s and %(last)s", some=", ".join(labels[:-1]), last=labels[-1])


def threshold_text(entry: Mapping[str, Any]) -> str:
    """The threshold that was used, in words: the brand's minimum or the baseline's bound."""
    alert_at = entry["alert_at"]
    if entry.get("min_count") is not None and entry["min_count"] >= alert_at:
        return _("alerts from %(num)s mentions an hour, the brand's minimum count", num=alert_at)
    if entry.get("k") is not None:
        return _(
            "alerts from %(num)s mentions an hour: more than the usual plus %(k)s standard "
            "deviations (%(bound)s)",
            num=alert_at,
            k=number(entry["k"]),
            bound=number(entry["bound"], 1),
        )
    return _("alerts above %(bound)s mentions an hour", bound=number(entry["bound"], 1))


def _recently_alerted_terms(session: Session, brand_id: int, since: datetime) -> set[str]:
    terms: set[str] = set()
    for alert in session.scalars(
        select(CrisisAlert).where(CrisisAlert.brand_id == brand_id, CrisisAlert.created_at > since)
    ):
        terms.update(entry["term"] for entry in alert_terms(alert))
    return terms


def _sample(session: Session, brand_id: int, terms: set[str], now: datetime) -> list[int]:
    rows = session.execute(
        select(Mention.id, Mention.key_terms)
        .where(
            Mention.brand_id == brand_id,
            Mention.published_at > now - HOUR,
            Mention.published_at <= now,
        )
        .order_by(Mention.sentiment.asc().nulls_last(), Mention.published_at.desc())
    ).all()
    matching = [mid for mid, found in rows if OVERALL in terms or terms.intersection(found or [])]
    return matching[:SAMPLE_SIZE]


def check_brand(session: Session, brand: Brand, now: datetime) -> list[CrisisAlert]:
    """Write the alert for the brand's spike (terms outside the cooldown); the caller notifies.

    The terms of one check are one alert. A term that crosses its threshold within the hour
    after an alert joins it (the same spike, seen a few minutes later) without a new message.
    """
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
    cooldown = timedelta(minutes=settings.spike_cooldown_minutes)
    spikes = detect(rows, now, settings)
    if not spikes:
        return []
    alerted = _recently_alerted_terms(session, brand.id, now - cooldown)
    fresh = {term: verdict for term, verdict in spikes.items() if term not in alerted}
    if not fresh:
        return []
    # Overall volume first, then the largest counts: the lead term names the alert.
    order = sorted(fresh, key=lambda t: (t != OVERALL, -fresh[t].count, t))
    entries = [fresh[t].as_entry(t[:120]) for t in order]
    same_spike = session.scalar(
        select(CrisisAlert)
        .where(CrisisAlert.brand_id == brand.id, CrisisAlert.created_at > now - HOUR)
        .order_by(CrisisAlert.created_at.desc())
        .limit(1)
        .with_for_update()
    )
    if same_spike is not None:
        same_spike.terms = alert_terms(same_spike) + entries
        audit.record(
            session,
            "system",
            "crisis.alert_terms_added",
            "crisis_alert",
            same_spike.id,
            brand_id=brand.id,
            terms=order,
        )
        session.flush()
        return []
    lead = fresh[order[0]]
    alert = CrisisAlert(
        brand_id=brand.id,
        term=order[0][:120],
        bucket=_bucket(now, settings.spike_cooldown_minutes),
        count=lead.count,
        baseline_mean=lead.mean,
        baseline_sigma=lead.sigma,
        threshold=lead.alert_at,
        terms=entries,
        sample_mention_ids=_sample(session, brand.id, set(order), now),
        notified={},
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(alert)
    except IntegrityError:
        return []  # another worker wrote this alert a moment ago
    audit.record(
        session,
        "system",
        "crisis.alert",
        "crisis_alert",
        alert.id,
        brand_id=brand.id,
        terms=order,
        count=lead.count,
    )
    session.flush()
    return [alert]


def _alert_text(
    alert: CrisisAlert, brand: Brand, samples: list[Mention], base_url: str | None
) -> str:
    entries = alert_terms(alert)
    lines = [
        _(
            "Mentions of %(brand)s are spiking for %(terms)s.",
            brand=brand.name,
            terms=terms_text(alert),
        ),
        "",
    ]
    for entry in entries:
        figures = _(
            "%(count)s in the last hour; the usual at this time is %(mean)s ± %(sigma)s "
            "(%(threshold)s).",
            count=entry["count"],
            mean=number(entry["mean"], 1),
            sigma=number(entry["sigma"], 1),
            threshold=threshold_text(entry),
        )
        lines.append(f"- {term_label(entry['term'])}: {figures}")
    lines += ["", _("A sample of the mentions behind it:")]
    for mention in samples:
        lines.append(
            f"- {(mention.title or mention.text)[:200]} "
            f"({mention.author or _('unknown')}) {mention.url or ''}"
        )
    if base_url:
        url = f"{base_url}/brands/{brand.id}/listening/alerts/{alert.id}"
        lines += ["", _("Respond: %(url)s", url=url)]
    lines += [
        "",
        _(
            "From the alert you can pause scheduled publishing, draft a statement and open a "
            "public updates page."
        ),
    ]
    return "\n".join(lines)


def notify(app_config: Mapping[str, Any], session: Session, alert: CrisisAlert) -> dict[str, Any]:
    """Email the brand's admins and post to NOTIFY_WEBHOOK_URL; what was delivered."""
    brand = session.get(Brand, alert.brand_id)
    samples = list(
        session.scalars(select(Mention).where(Mention.id.in_(alert.sample_mention_ids or [])))
    )
    with language(brand.language):  # the mail speaks the brand's language
        text = _alert_text(alert, brand, samples, app_config.get("BASE_URL"))
        term = terms_text(alert).replace("“", "").replace("”", "")
        subject = _("Crisis alert: %(brand)s — %(term)s spiking", brand=brand.name, term=term)
    result: dict[str, Any] = {"mail": 0, "webhook": None}
    for admin in brand_admins(session, brand.id):
        try:
            if send_mail(app_config, admin.email, subject, text):
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
            "terms": alert_terms(alert),
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
        from core.errors import NotFound

        raise NotFound(f"No alert {alert_id} for this brand.")
    return alert


def page_title(brand: Brand) -> str:
    """The public updates page's first title, in the brand's language like the page."""
    with language(brand.language):
        return _("Updates from %(name)s", name=brand.name)


def draft_statement(brand: Brand, alert: CrisisAlert | None) -> str:
    """A first statement to edit: acknowledge, say what is being done, when the next update is;
    in the brand's language, as its public page."""
    with language(brand.language):
        if alert is not None and alert.term != OVERALL:
            return _(
                "We are aware of reports about %(topic)s concerning %(brand)s and are looking "
                "into them now. We take this seriously. We will share what we know, and what we "
                "are doing about it, on this page, and post the next update within two hours.",
                topic=alert.term,
                brand=brand.name,
            )
        return _(
            "We are aware of reports concerning %(brand)s and are looking into them now. We "
            "take this seriously. We will share what we know, and what we are doing about it, "
            "on this page, and post the next update within two hours.",
            brand=brand.name,
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
            question, _sep, answer = block.strip().partition("\n")
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
        raise ListeningError(_("The page needs a statement."))
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
        raise ListeningError(_("Write the update first."))
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

    if alert is None:
        reason = _("Crisis: mentions spiking for %(terms)s", terms=_("all mentions"))
    else:
        reason = _(
            "Crisis: mentions spiking for %(terms)s (%(count)s in an hour)",
            terms=terms_text(alert),
            count=alert.count,
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
