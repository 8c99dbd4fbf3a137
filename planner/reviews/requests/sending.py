"""Sending the requests: the worker claims due ones through core.claims, within each brand's
daily limit, and mails them; a failed mail backs off. Reviews that follow a request are matched.

A request is due when its ``next_attempt_at`` has come: first the e-mail after the delay, then
(once) the reminder. Claiming moves ``next_attempt_at`` a lease ahead and records the worker, so
two workers never mail the same request; the outcome is written only while the claim is held.
The daily limit is counted in the brand's time zone, under a lock on the brand's settings row,
so two workers claiming at once cannot go past it together.
"""

from __future__ import annotations

import logging
import re
import smtplib
from datetime import datetime, time, timedelta
from typing import Any

from flask import Flask
from itsdangerous import BadSignature, URLSafeSerializer
from markupsafe import escape
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core import claims
from core.db import db, utcnow
from core.mail import send_mail
from core.tenants import Brand
from planner.reviews.models import Review
from planner.reviews.requests.customers import normal_email, normal_name
from planner.reviews.requests.models import RequestSettings, ReviewCustomer, ReviewRequest
from planner.reviews.requests.settings import parse_links
from planner.reviews.requests.texts import compose

logger = logging.getLogger("pageone.worker")
LEASE = timedelta(minutes=10)
BATCH = 20
FIRST_RETRY = timedelta(minutes=5)
MAX_RETRY = timedelta(hours=6)
# Review exports often carry a date without a time: a review of the day of the e-mail counts.
SAME_DAY = timedelta(days=1)


# --- links in the e-mail ------------------------------------------------------------------------


def _serializer(config: Any) -> URLSafeSerializer:
    return URLSafeSerializer(config["SECRET_KEY"], salt="pageone-review-request")


def request_token(config: Any, request_id: int) -> str:
    return _serializer(config).dumps({"r": request_id})


def request_id_of(config: Any, token: str) -> int | None:
    """The request a link's token names, or None for a token that was not ours."""
    try:
        data = _serializer(config).loads(token)
    except BadSignature:
        return None
    value = data.get("r") if isinstance(data, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def base_url(config: Any) -> str:
    return (config.get("BASE_URL") or "http://localhost:5000").rstrip("/")


def unsubscribe_url(config: Any, request_id: int) -> str:
    return f"{base_url(config)}/r/unsubscribe/{request_token(config, request_id)}"


def pixel_url(config: Any, request_id: int) -> str:
    return f"{base_url(config)}/r/open/{request_token(config, request_id)}.gif"


_URL = re.compile(r"https?://[^\s<>\"]+")


def as_html(text: str, pixel: str | None) -> str:
    """The text as simple HTML, its addresses clickable; the open pixel when tracking is on."""
    paragraphs = []
    for block in text.split("\n\n"):
        lines = [
            _URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', str(escape(line)))
            for line in block.split("\n")
        ]
        paragraphs.append("<p>" + "<br>".join(lines) + "</p>")
    img = f'<img src="{escape(pixel)}" width="1" height="1" alt="">' if pixel else ""
    return "<!doctype html><html><body>" + "".join(paragraphs) + img + "</body></html>"


# --- the queue ----------------------------------------------------------------------------------


def _queue(brand_id: int) -> claims.Queue:
    unsubscribed = select(ReviewCustomer.id).where(
        ReviewCustomer.brand_id == brand_id, ReviewCustomer.unsubscribed_at.is_not(None)
    )
    return claims.Queue(
        name="review request",
        model=ReviewRequest,
        due=lambda now: (
            ReviewRequest.brand_id == brand_id,
            ReviewRequest.done.is_(False),
            ReviewRequest.reviewed_at.is_(None),
            ReviewRequest.next_attempt_at <= now,
            ReviewRequest.customer_id.not_in(unsubscribed),
        ),
        order_by=lambda: (ReviewRequest.next_attempt_at, ReviewRequest.id),
        lease_column=ReviewRequest.next_attempt_at,
        holder_column=ReviewRequest.claimed_by,
    )


def local_day(brand: Brand, now: datetime) -> tuple[datetime, datetime]:
    """Today in the brand's time zone, as two UTC instants."""
    day = now.astimezone(brand.zone).date()
    start = datetime.combine(day, time(0), tzinfo=brand.zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=brand.zone)
    return start, end


def sent_today(session: Session, brand: Brand, now: datetime) -> int:
    """E-mails (first ones and reminders) sent today in the brand's zone."""
    start, end = local_day(brand, now)
    count = 0
    for column in (ReviewRequest.sent_at, ReviewRequest.reminded_at):
        count += (
            session.scalar(
                select(func.count()).where(
                    ReviewRequest.brand_id == brand.id, column >= start, column < end
                )
            )
            or 0
        )
    return count


def claim_for_brand(
    session: Session,
    brand: Brand,
    worker_id: str,
    now: datetime,
    batch: int = BATCH,
) -> list[int]:
    """Claim the brand's due requests, no more than its daily limit leaves; their ids. The
    caller commits before mailing them."""
    settings = session.scalar(
        select(RequestSettings).where(RequestSettings.brand_id == brand.id).with_for_update()
    )
    if settings is None or not settings.enabled:
        return []
    in_flight = (
        session.scalar(
            select(func.count()).where(
                ReviewRequest.brand_id == brand.id,
                ReviewRequest.claimed_by.is_not(None),
                ReviewRequest.next_attempt_at > now,
            )
        )
        or 0
    )
    room = settings.daily_limit - sent_today(session, brand, now) - in_flight
    if room <= 0:
        return []
    rows = claims.claim(session, _queue(brand.id), worker_id, now, min(batch, room), LEASE)
    return [row[0] for row in rows]


def _finish(session: Session, request_id: int, worker_id: str, **values: Any) -> bool:
    """Write an outcome while this worker still holds the claim; whether it did."""
    return (
        session.execute(
            update(ReviewRequest)
            .where(ReviewRequest.id == request_id, ReviewRequest.claimed_by == worker_id)
            .values(claimed_by=None, **values)
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )


def send_claimed(app: Flask, request_id: int, worker_id: str, now: datetime) -> str:
    """Mail one claimed request: "sent", "reminded", "failed" or "skipped"."""
    config = app.config
    with db.job_session() as session:
        request = session.get(ReviewRequest, request_id)
        if request is None or request.claimed_by != worker_id:
            return "skipped"
        customer = request.customer
        settings = session.scalar(
            select(RequestSettings).where(RequestSettings.brand_id == request.brand_id)
        )
        brand = session.get(Brand, request.brand_id)
        if customer.unsubscribed_at is not None or settings is None or brand is None:
            _finish(session, request_id, worker_id, done=True, next_attempt_at=None)
            return "skipped"
        reminder = request.sent_at is not None
        links, _ = parse_links(settings.review_links)
        mail = compose(
            settings.templates or {},
            settings.language,
            reminder=reminder,
            brand_name=brand.name,
            customer_name=customer.name,
            order_ref=customer.order_ref,
            links=links,
            unsubscribe_url=unsubscribe_url(config, request_id),
        )
        email, language = customer.email, settings.language
        reminder_days = settings.reminder_days
        pixel = pixel_url(config, request_id) if settings.track_opens else None
    headers = {
        "List-Unsubscribe": f"<{unsubscribe_url(config, request_id)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Content-Language": language,
    }
    error = None
    try:
        if not send_mail(
            config, email, mail.subject, mail.text, as_html(mail.text, pixel), headers
        ):
            error = "Mail is not set up (SMTP_HOST is empty): nothing was sent."
    except (OSError, smtplib.SMTPException) as exc:
        error = f"The mail server refused or could not be reached: {exc}"[:500]
    with db.job_session() as session:
        if error is not None:
            failures = (
                session.scalar(select(ReviewRequest.failures).where(ReviewRequest.id == request_id))
                or 0
            ) + 1
            wait = claims.backoff(failures, FIRST_RETRY, MAX_RETRY)
            _finish(
                session,
                request_id,
                worker_id,
                failures=failures,
                last_error=error,
                next_attempt_at=now + wait,
            )
            logger.warning("review request %s failed (%s), retry in %s", request_id, error, wait)
            return "failed"
        if reminder:
            _finish(
                session,
                request_id,
                worker_id,
                reminded_at=now,
                done=True,
                next_attempt_at=None,
                failures=0,
                last_error=None,
            )
            return "reminded"
        _finish(
            session,
            request_id,
            worker_id,
            sent_at=now,
            language=language,
            done=reminder_days is None,
            next_attempt_at=now + timedelta(days=reminder_days) if reminder_days else None,
            failures=0,
            last_error=None,
        )
        return "sent"


def enabled_brands(session: Session) -> list[Brand]:
    return list(
        session.scalars(
            select(Brand)
            .join(RequestSettings, RequestSettings.brand_id == Brand.id)
            .where(RequestSettings.enabled.is_(True), Brand.archived_at.is_(None))
            .order_by(Brand.id)
        )
    )


def send_due_requests(
    app: Flask, worker_id: str | None = None, now: datetime | None = None
) -> dict[str, int]:
    """One round of the worker: match new reviews, then mail every brand's due requests."""
    worker_id = worker_id or claims.default_worker_id()
    counts: dict[str, int] = {"sent": 0, "reminded": 0, "failed": 0, "skipped": 0, "matched": 0}
    with app.app_context():
        now = now or utcnow()
        with db.job_session() as session:
            brands = enabled_brands(session)
            for brand in brands:
                counts["matched"] += match_reviews(session, brand, now)
        for brand in brands:
            while True:
                with db.job_session() as session:
                    ids = claim_for_brand(session, brand, worker_id, now)
                if not ids:
                    break
                for request_id in ids:
                    counts[send_claimed(app, request_id, worker_id, now)] += 1
    return counts


# --- which review followed which request --------------------------------------------------------


def match_reviews(session: Session, brand: Brand, now: datetime) -> int:
    """Link reviews that came after a request to it, by the reviewer's e-mail (where the site
    gives one) or normalised name, within the brand's matching window; how many were linked."""
    settings = session.scalar(select(RequestSettings).where(RequestSettings.brand_id == brand.id))
    if settings is None:
        return 0
    window = timedelta(days=settings.match_days)
    waiting = list(
        session.execute(
            select(ReviewRequest, ReviewCustomer)
            .join(ReviewCustomer, ReviewCustomer.id == ReviewRequest.customer_id)
            .where(
                ReviewRequest.brand_id == brand.id,
                ReviewRequest.sent_at.is_not(None),
                ReviewRequest.reviewed_at.is_(None),
                ReviewRequest.sent_at >= now - window - timedelta(days=365),
            )
        )
    )
    if not waiting:
        return 0
    by_key: dict[str, list[ReviewRequest]] = {}
    for request, customer in waiting:
        by_key.setdefault("@" + customer.email, []).append(request)
        if normal_name(customer.name):
            by_key.setdefault(normal_name(customer.name), []).append(request)
    earliest = min(request.sent_at for request, _ in waiting if request.sent_at) - SAME_DAY
    linked = select(ReviewRequest.review_id).where(ReviewRequest.review_id.is_not(None))
    reviews = session.scalars(
        select(Review)
        .where(
            Review.brand_id == brand.id,
            Review.created_at >= earliest,
            Review.id.not_in(linked),
        )
        .order_by(Review.created_at, Review.id)
    )
    matched = 0
    for review in reviews:
        author = review.author or ""
        key = "@" + normal_email(author) if "@" in author else normal_name(author)
        candidates = [
            r
            for r in by_key.get(key, [])
            if r.reviewed_at is None
            and r.sent_at is not None
            and r.sent_at - SAME_DAY <= review.created_at <= r.sent_at + window
        ]
        if not candidates:
            continue
        request = max(candidates, key=lambda r: r.sent_at or now)
        request.reviewed_at = review.created_at
        request.review_id = review.id
        if request.claimed_by is None:
            request.done = True
            request.next_attempt_at = None
        matched += 1
    session.flush()
    return matched


def unsubscribe(session: Session, request_id: int, now: datetime) -> ReviewCustomer | None:
    """Stop every e-mail to the customer of this request; the customer, or None if unknown."""
    request = session.get(ReviewRequest, request_id)
    if request is None:
        return None
    customer = request.customer
    if customer.unsubscribed_at is None:
        customer.unsubscribed_at = now
    session.execute(
        update(ReviewRequest)
        .where(ReviewRequest.customer_id == customer.id, ReviewRequest.claimed_by.is_(None))
        .values(done=True, next_attempt_at=None)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return customer


def record_open(session: Session, request_id: int, now: datetime) -> None:
    """The first time the e-mail's pixel was fetched (only when the brand tracks opens)."""
    session.execute(
        update(ReviewRequest)
        .where(
            ReviewRequest.id == request_id,
            ReviewRequest.opened_at.is_(None),
            ReviewRequest.sent_at.is_not(None),
            ReviewRequest.brand_id.in_(
                select(RequestSettings.brand_id).where(RequestSettings.track_opens.is_(True))
            ),
        )
        .values(opened_at=now)
        .execution_options(synchronize_session=False)
    )


def status_of(request: ReviewRequest, customer: ReviewCustomer) -> str:
    if request.reviewed_at is not None:
        return "reviewed"
    if customer.unsubscribed_at is not None:
        return "unsubscribed"
    if request.reminded_at is not None:
        return "reminded"
    if request.sent_at is not None:
        return "sent"
    if request.failures:
        return "retrying"
    return "waiting"
