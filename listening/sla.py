"""Response times against the brand's targets, and overdue alerts by email at any hour."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime
from typing import Any

from flask import Flask
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.db import db, utcnow
from core.i18n import language
from core.mail import send_mail
from core.models import User
from core.response_times import ResponseFigures, late_text
from core.response_times import response_figures as figures_of
from core.tenants import Brand
from listening.inbox import brand_admins
from listening.models import OPEN_STATES, Mention, sentiment_name

logger = logging.getLogger("listening.sla")
BATCH = 500


def _claim_overdue(session: Session, now: datetime) -> list[int]:
    """Mark overdue, not yet alerted mentions as alerted; only the worker whose update matched
    the row sends its mail, so two workers never alert the same mention twice."""
    candidates = list(
        session.scalars(
            select(Mention.id)
            .where(
                Mention.state.in_(OPEN_STATES),
                Mention.due_at <= now,
                Mention.overdue_alerted_at.is_(None),
            )
            .order_by(Mention.due_at)
            .limit(BATCH)
        )
    )
    if not candidates:
        return []
    claimed = session.scalars(
        update(Mention)
        .where(Mention.id.in_(candidates), Mention.overdue_alerted_at.is_(None))
        .values(overdue_alerted_at=now)
        .returning(Mention.id)
    ).all()
    return list(claimed)


def _describe(mention: Mention, now: datetime, base_url: str | None) -> str:
    what = (mention.title or mention.text or _("(no text)"))[:200]
    link = (
        f"{base_url}/brands/{mention.brand_id}/listening/mentions/{mention.id}" if base_url else ""
    )
    facts = _(
        "by %(author)s, %(sentiment)s, target %(minutes)s min, overdue by %(late)s",
        author=mention.author or _("unknown"),
        sentiment=sentiment_name(mention.sentiment_label),
        minutes=mention.target_minutes,
        late=late_text(now - mention.due_at),
    )
    original = _("original: %(url)s", url=mention.url or _("(none)"))
    return f"- {what}\n  {facts}\n  {original}\n" + (
        "  " + _("in PageOne: %(url)s", url=link) + "\n" if link else ""
    )


def alert_overdue(app: Flask, now: datetime | None = None) -> int:
    """Email every overdue mention's assignee (or the brand's admins when none), once per mention.

    Returns the number of mails sent. A mail that fails releases its mentions for the next round.
    """
    now = now or utcnow()
    with app.app_context():
        with db.job_session() as session:
            ids = _claim_overdue(session, now)
        if not ids:
            return 0
        # One mail per person and language: each brand's mentions in the brand's language.
        by_recipient: dict[tuple[str, str], list[Mention]] = defaultdict(list)
        brand_names: dict[int, str] = {}
        brand_languages: dict[int, str] = {}
        with db.job_session() as session:
            mentions = list(session.scalars(select(Mention).where(Mention.id.in_(ids))))
            for mention in mentions:
                if mention.brand_id not in brand_names:
                    brand = session.get(Brand, mention.brand_id)
                    brand_names[mention.brand_id] = brand.name if brand else "?"
                    brand_languages[mention.brand_id] = brand.language if brand else "en"
                user = session.get(User, mention.assignee_id) if mention.assignee_id else None
                recipients = (
                    [user]
                    if user is not None and user.active
                    else brand_admins(session, mention.brand_id)
                )
                for recipient in recipients:
                    key = (recipient.email, brand_languages[mention.brand_id])
                    by_recipient[key].append(mention)
            session.expunge_all()
        sent = 0
        for (address, code), items in by_recipient.items():
            brands = sorted({brand_names[m.brand_id] for m in items})
            with language(code):
                subject = ngettext(
                    "%(num)d mention overdue for a reply (%(brands)s)",
                    "%(num)d mentions overdue for a reply (%(brands)s)",
                    len(items),
                    brands=", ".join(brands),
                )
                text = _("These mentions passed their response-time target:") + "\n\n"
                text += "\n".join(_describe(m, now, app.config.get("BASE_URL")) for m in items)
            try:
                if send_mail(app.config, address, subject, text):
                    sent += 1
            except Exception as exc:  # noqa: BLE001 - any SMTP failure: try again next round
                logger.warning("overdue alert mail failed: %s", type(exc).__name__)
                with db.job_session() as session:
                    session.execute(
                        update(Mention)
                        .where(
                            Mention.id.in_([m.id for m in items]), Mention.overdue_alerted_at == now
                        )
                        .values(overdue_alerted_at=None)
                    )
        return sent


# --- response-time figures ----------------------------------------------------------------------


def response_figures(mentions: list[Mention], now: datetime) -> ResponseFigures:
    replied = [
        (m.response_minutes, m.target_minutes)
        for m in mentions
        if m.first_reply_at is not None and m.response_minutes is not None
    ]
    overdue = sum(1 for m in mentions if m.state in OPEN_STATES and m.due_at <= now)
    return figures_of(replied, overdue)


def response_by_assignee(
    mentions: list[Mention], users: dict[int, User], now: datetime
) -> list[dict[str, Any]]:
    groups: dict[int | None, list[Mention]] = defaultdict(list)
    for mention in mentions:
        groups[mention.assignee_id].append(mention)
    rows = []
    for assignee_id, items in groups.items():
        figures = response_figures(items, now)
        user = users.get(assignee_id) if assignee_id else None
        rows.append(
            {
                "assignee": user.email if user else "unassigned",
                "mentions": len(items),
                "replied": figures.replied,
                "median_minutes": figures.median_minutes,
                "within_target_share": figures.within_target_share,
                "open_overdue": figures.open_overdue,
            }
        )
    return sorted(rows, key=lambda r: r["assignee"])
