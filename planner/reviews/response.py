"""Response times of reviews against the brand's targets per star rating, and the overdue mail.

A review's reply is due its rating's target after it was posted. A review is mailed about once,
when it passes its target unreplied, and only if PageOne knew of it before then: importing a
year of old reviews does not mail about each of them.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.db import db, utcnow
from core.i18n import language
from core.mail import send_mail
from core.models import Role, User
from core.response_times import ResponseFigures, due_at, late_text, minutes_between
from core.response_times import response_figures as figures_of
from core.tenants import Brand, BrandMember
from planner.operations import PlannerError
from planner.reviews.inbox import unreplied_clause
from planner.reviews.models import Review, ReviewSettings, source_name

logger = logging.getLogger("planner.reviews.response")
# Hours to reply by star rating; 0 means no target for that rating.
DEFAULT_TARGETS = {1: 24, 2: 24, 3: 48, 4: 72, 5: 72}
MAX_HOURS = 24 * 90
# Reviews older than this are not looked at by the overdue scan.
SCAN_DAYS = 120
BATCH = 500


def targets_of(settings: ReviewSettings | None) -> dict[int, int]:
    """Hours per rating (1..5), the brand's where set, the defaults elsewhere."""
    stored = (settings.reply_targets if settings is not None else None) or {}
    targets = dict(DEFAULT_TARGETS)
    for key, hours in stored.items():
        if str(key).isdigit() and int(key) in targets and isinstance(hours, int):
            targets[int(key)] = hours
    return targets


def parse_targets(values: dict[Any, Any]) -> dict[str, int]:
    """Targets from a form or JSON ({"1": 24, …}); refused with every reason."""
    errors, cleaned = [], {}
    for rating in range(1, 6):
        raw = values.get(str(rating), values.get(rating))
        if raw is None or raw == "":
            continue
        try:
            hours = int(str(raw).strip()) if not isinstance(raw, bool) else None
        except ValueError:
            hours = None
        if hours is None or not 0 <= hours <= MAX_HOURS:
            errors.append(
                _(
                    "The target for %(stars)s★ must be 0 (none) to %(most)s hours.",
                    stars=rating,
                    most=MAX_HOURS,
                )
            )
            continue
        cleaned[str(rating)] = hours
    if errors:
        raise PlannerError(*errors)
    return cleaned


def target_minutes(targets: dict[int, int], rating: int) -> int | None:
    hours = targets.get(rating, 0)
    return hours * 60 if hours else None


def review_due(review: Review, targets: dict[int, int]) -> datetime | None:
    minutes = target_minutes(targets, review.rating)
    return due_at(review.created_at, minutes) if minutes is not None else None


def response_minutes(review: Review) -> float | None:
    if review.reply_at is None or not (review.reply_text or "").strip():
        return None
    return max(minutes_between(review.created_at, review.reply_at), 0.0)


def is_overdue(review: Review, targets: dict[int, int], now: datetime) -> bool:
    due = review_due(review, targets)
    return due is not None and due <= now and not (review.reply_text or "").strip()


def figures(reviews: list[Review], targets: dict[int, int], now: datetime) -> ResponseFigures:
    replied = [
        (minutes, target_minutes(targets, r.rating))
        for r in reviews
        if (minutes := response_minutes(r)) is not None
    ]
    overdue = sum(1 for r in reviews if is_overdue(r, targets, now))
    return figures_of(replied, overdue)


def update_targets(session: Session, brand: Brand, actor: User, values: dict[Any, Any]) -> None:
    from core import audit
    from planner.reviews.settings import settings_for

    if not actor.has_role(Role.ADMIN):
        raise PlannerError(_("Only admins change review settings."))
    cleaned = parse_targets(values)
    settings = settings_for(session, brand)
    if settings.id is None:
        session.add(settings)
    settings.reply_targets = cleaned
    audit.record(
        session,
        actor,
        "reviews.targets_updated",
        "brand",
        brand.id,
        brand_id=brand.id,
        targets=cleaned,
    )
    session.flush()


# --- the overdue mail ---------------------------------------------------------------------------


def overdue_candidates(session: Session, now: datetime) -> list[int]:
    """Reviews past their target, unreplied, not mailed about, known before they were due."""
    settings = {s.brand_id: s for s in session.scalars(select(ReviewSettings))}
    rows = session.scalars(
        select(Review)
        .where(
            Review.overdue_alerted_at.is_(None),
            Review.created_at >= now - timedelta(days=SCAN_DAYS),
            unreplied_clause(),
        )
        .order_by(Review.created_at)
    )
    found = []
    for review in rows:
        due = review_due(review, targets_of(settings.get(review.brand_id)))
        if due is not None and due <= now and review.imported_at < due:
            found.append(review.id)
            if len(found) >= BATCH:
                break
    return found


def _claim(session: Session, ids: list[int], now: datetime) -> list[int]:
    """Mark the reviews as mailed; only the worker whose update matched a row mails about it."""
    if not ids:
        return []
    return list(
        session.scalars(
            update(Review)
            .where(Review.id.in_(ids), Review.overdue_alerted_at.is_(None))
            .values(overdue_alerted_at=now)
            .returning(Review.id)
        )
    )


def _admins(session: Session, brand_id: int) -> list[User]:
    members = session.scalars(
        select(User)
        .join(BrandMember, BrandMember.user_id == User.id)
        .where(BrandMember.brand_id == brand_id, User.active.is_(True))
    )
    return [u for u in members if u.has_role(Role.ADMIN)]


def _line(review: Review, targets: dict[int, int], now: datetime, base_url: str | None) -> str:
    due = review_due(review, targets) or now
    what = (review.title or review.text or _("(no text)"))[:200]
    link = f"{base_url}/brands/{review.brand_id}/reviews/{review.id}/reply" if base_url else ""
    head = _(
        "%(stars)s★ on %(site)s by %(reviewer)s",
        stars=review.rating,
        site=source_name(review.source),
        reviewer=review.author or _("anonymous"),
    )
    late = _(
        "target %(hours)s h, overdue by %(late)s",
        hours=targets.get(review.rating),
        late=late_text(now - due),
    )
    return (
        f"- {head}: {what}\n  {late}\n"
        + ("  " + _("reply in PageOne: %(url)s", url=link) + "\n" if link else "")
        + ("  " + _("on the site: %(url)s", url=review.url) + "\n" if review.url else "")
    )


def alert_overdue_reviews(app: Flask, now: datetime | None = None) -> int:
    """Mail each brand's admins about its reviews past their target, once per review.

    Returns the number of mails sent. A mail that fails releases its reviews for the next round.
    """
    now = now or utcnow()
    with app.app_context():
        with db.job_session() as session:
            ids = _claim(session, overdue_candidates(session, now), now)
        if not ids:
            return 0
        by_brand: dict[int, list[Review]] = defaultdict(list)
        recipients: dict[int, list[str]] = {}
        names: dict[int, str] = {}
        languages: dict[int, str | None] = {}
        targets: dict[int, dict[int, int]] = {}
        with db.job_session() as session:
            for review in session.scalars(select(Review).where(Review.id.in_(ids))):
                by_brand[review.brand_id].append(review)
            for brand_id in by_brand:
                brand = session.get(Brand, brand_id)
                names[brand_id] = brand.name if brand else "?"
                languages[brand_id] = brand.language if brand else None
                recipients[brand_id] = [u.email for u in _admins(session, brand_id)]
                targets[brand_id] = targets_of(
                    session.scalar(
                        select(ReviewSettings).where(ReviewSettings.brand_id == brand_id)
                    )
                )
            session.expunge_all()
        sent = 0
        for brand_id, items in by_brand.items():
            # The admins read the mail in the brand's language, as its other mails.
            with language(languages[brand_id]):
                subject = ngettext(
                    "%(num)d review overdue for a reply (%(brand)s)",
                    "%(num)d reviews overdue for a reply (%(brand)s)",
                    len(items),
                    brand=names[brand_id],
                )
                text = (
                    _("These reviews passed their response-time target without a reply:")
                    + "\n\n"
                    + "\n".join(
                        _line(r, targets[brand_id], now, app.config.get("BASE_URL")) for r in items
                    )
                )
            try:
                if send_mail(app.config, recipients[brand_id], subject, text):
                    sent += 1
            except Exception as exc:  # noqa: BLE001 - any SMTP failure: try again next round
                logger.warning("overdue review mail failed: %s", type(exc).__name__)
                with db.job_session() as session:
                    session.execute(
                        update(Review)
                        .where(
                            Review.id.in_([r.id for r in items]),
                            Review.overdue_alerted_at == now,
                        )
                        .values(overdue_alerted_at=None)
                    )
        return sent


def register_jobs(scheduler: Any, app: Flask, worker_id: str | None = None) -> None:
    """Add the overdue-review mail to the worker's scheduler."""
    scheduler.add_job(
        alert_overdue_reviews,
        "interval",
        minutes=5,
        args=[app],
        id="reviews-overdue",
        max_instances=1,
        coalesce=True,
        replace_existing=True,
    )
