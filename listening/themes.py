"""Recurring complaint themes across a brand's reviews and mentions: weekly volume, examples,
growth, the CSV export, and the alert when a theme's count doubles week over week.

Themes are computed on read (``core.themes``: seeds per language, then the nearest seeded
theme); only the alerts are stored, one per brand, theme and week (``ThemeAlert``).
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask import Flask
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.db import db, utcnow
from core.i18n import language, local_date
from core.mail import send_mail
from core.sentiment import text_label
from core.tenants import Brand
from core.themes import OTHER, THEME_LABELS, THEMES, assign_themes, week_start, weekly_counts
from listening.fetch import FetchError, post_json
from listening.inbox import brand_admins
from listening.models import Mention, ThemeAlert
from planner.drafts import review_texts

logger = logging.getLogger(__name__)

DEFAULT_WEEKS = 8
MAX_WEEKS = 26
EXAMPLES = 3


@dataclass(frozen=True)
class ThemedText:
    kind: str  # review or mention
    id: int
    text: str
    url: str | None
    created_at: datetime
    theme: str


@dataclass
class ThemeRow:
    theme: str
    label: str
    counts: list[int]
    growing: bool
    doubled: bool  # the last week doubled the one before (with the minimum count)
    examples: list[ThemedText] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass
class ThemeReport:
    weeks: list[date]
    rows: list[ThemeRow]


def complaint_texts(session: Session, brand_id: int, since: datetime) -> list[ThemedText]:
    """The brand's negative and neutral reviews and mentions since the moment, themed."""
    found: list[tuple[str, int, str, str | None, datetime, str | None]] = []
    for review in review_texts(session, brand_id, since):
        reads_positive = text_label(review.sentiment) == "positive"
        if review.text.strip() and (
            review.rating <= 2 or (review.rating == 3 and not reads_positive)
        ):
            found.append(
                ("review", review.id, review.text, review.url, review.created_at, review.language)
            )
    mentions = session.execute(
        select(
            Mention.id,
            Mention.title,
            Mention.text,
            Mention.url,
            Mention.published_at,
            Mention.language,
        )  # fmt: skip
        .where(
            Mention.brand_id == brand_id,
            Mention.published_at >= since,
            Mention.sentiment_label.in_(("negative", "neutral")),
        )
        .order_by(Mention.published_at, Mention.id)
    )
    for row in mentions:
        text = row.text or row.title or ""
        if text.strip():
            found.append(("mention", row.id, text, row.url, row.published_at, row.language))
    themes = assign_themes([(text, language) for _, _, text, _, _, language in found])
    return [
        ThemedText(kind, item_id, text, url, created, theme)
        for (kind, item_id, text, url, created, _), theme in zip(found, themes, strict=True)
    ]


def report(
    session: Session, brand_id: int, now: datetime, weeks: int = DEFAULT_WEEKS
) -> ThemeReport:
    """Each theme's count in each of the last ``weeks`` weeks (this one last), growth, examples."""
    last = week_start(now)
    first = last - timedelta(days=7 * (weeks - 1))
    since = datetime.combine(first, datetime.min.time(), tzinfo=now.tzinfo)
    texts = complaint_texts(session, brand_id, since)
    counts = weekly_counts(((t.theme, t.created_at) for t in texts), first, last)
    rows = []
    for theme in (*THEMES, OTHER):
        series = counts[theme]
        doubled = bool(series.doubled_weeks()) and series.doubled_weeks()[-1] == last
        newest = sorted(
            (t for t in texts if t.theme == theme), key=lambda t: t.created_at, reverse=True
        )
        rows.append(
            ThemeRow(
                theme,
                str(THEME_LABELS[theme]),
                series.counts,
                series.growing,
                doubled,
                newest[:EXAMPLES],
            )  # fmt: skip
        )
    rows.sort(key=lambda row: (row.theme == OTHER, -row.total))
    return ThemeReport(counts[OTHER].weeks, rows)


def csv_text(themes: ThemeReport) -> str:
    """One line per theme and week: theme, week, count, growing."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["theme", "label", "week_start", "count", "growing"])
    for row in themes.rows:
        for week, count in zip(themes.weeks, row.counts, strict=True):
            writer.writerow(
                [row.theme, row.label, week.isoformat(), count, str(row.growing).lower()]
            )
    return out.getvalue()


def as_json(themes: ThemeReport) -> dict[str, Any]:
    return {
        "weeks": [week.isoformat() for week in themes.weeks],
        "themes": [
            {
                "theme": row.theme,
                "label": row.label,
                "counts": row.counts,
                "total": row.total,
                "growing": row.growing,
                "doubled": row.doubled,
                "examples": [
                    {
                        "kind": t.kind,
                        "id": t.id,
                        "text": t.text[:280],
                        "url": t.url,
                        "created_at": t.created_at.isoformat(),
                    }  # fmt: skip
                    for t in row.examples
                ],
            }
            for row in themes.rows
        ],
    }


def recent_alerts(session: Session, brand_id: int, limit: int = 20) -> list[ThemeAlert]:
    return list(
        session.scalars(
            select(ThemeAlert)
            .where(ThemeAlert.brand_id == brand_id)
            .order_by(ThemeAlert.created_at.desc(), ThemeAlert.id.desc())
            .limit(limit)
        )
    )


def check_brand(session: Session, brand_id: int, now: datetime) -> list[ThemeAlert]:
    """Store an alert for each theme whose count this week doubled last week's (at least
    ``DOUBLING_MIN_COUNT``), unless the theme already has one for this week."""
    themes = report(session, brand_id, now, weeks=2)
    week = themes.weeks[-1]
    created = []
    for row in themes.rows:
        if not row.doubled:
            continue
        alert = ThemeAlert(
            brand_id=brand_id, theme=row.theme, week=week, count=row.counts[-1],
            previous=row.counts[-2], created_at=now,
        )  # fmt: skip
        try:
            with session.begin_nested():
                session.add(alert)
                session.flush()
        except IntegrityError:  # already alerted this week (or another worker just did)
            continue
        created.append(alert)
    return created


def notify(app_config: Mapping[str, Any], session: Session, alert: ThemeAlert) -> dict[str, Any]:
    """Email the brand's admins and post to NOTIFY_WEBHOOK_URL, as crisis alerts do."""
    brand = session.get(Brand, alert.brand_id)
    with language(brand.language):  # the mail speaks the brand's language
        label = str(THEME_LABELS.get(alert.theme, alert.theme))
        text = _(
            "Complaints about %(theme)s doubled this week for %(brand)s: %(count)s since "
            "%(week)s, %(previous)s the week before.",
            theme=label.lower(),
            brand=brand.name,
            count=alert.count,
            week=local_date(alert.week),
            previous=alert.previous,
        )
        subject = _("Growing complaints: %(brand)s — %(theme)s", brand=brand.name, theme=label)
    result: dict[str, Any] = {"mail": 0, "webhook": None}
    for admin in brand_admins(session, brand.id):
        try:
            if send_mail(app_config, admin.email, subject, text):
                result["mail"] += 1
        except Exception as exc:  # noqa: BLE001 - one failed mail must not stop the others
            logger.warning("theme alert mail failed: %s", type(exc).__name__)
    webhook = app_config.get("NOTIFY_WEBHOOK_URL")
    if webhook:
        payload = {
            "event": "listening.theme_alert",
            "brand": {"id": brand.id, "slug": brand.slug, "name": brand.name},
            "theme": alert.theme,
            "week": alert.week.isoformat(),
            "count": alert.count,
            "previous": alert.previous,
        }
        try:
            result["webhook"] = post_json(webhook, payload, app_config)
        except FetchError as exc:
            result["webhook"] = str(exc)
    alert.notified = result
    return result


def check_themes(app: Flask, now: datetime | None = None) -> list[int]:
    """The hourly job: every brand's doubled themes stored once per week, then notified."""
    now = now or utcnow()
    sent: list[int] = []
    with app.app_context():
        with db.job_session() as session:
            brand_ids = list(session.scalars(select(Brand.id)))
        for brand_id in brand_ids:
            try:
                with db.job_session() as session:
                    ids = [alert.id for alert in check_brand(session, brand_id, now)]
                for alert_id in ids:
                    with db.job_session() as session:
                        notify(app.config, session, session.get(ThemeAlert, alert_id))
                sent.extend(ids)
            except Exception:  # noqa: BLE001 - one brand's failure must not stop the others
                logger.exception("theme check failed for brand %s", brand_id)
    return sent
