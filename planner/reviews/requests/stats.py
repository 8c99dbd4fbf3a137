"""What the requests page shows: the log of requests and, per week, requests sent → reviews."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from core.tenants import Brand
from planner.reviews.models import Review
from planner.reviews.requests.models import ReviewCustomer, ReviewRequest
from planner.reviews.requests.sending import status_of

WEEKS = 12


@dataclass(frozen=True)
class Week:
    start: datetime  # Monday 00:00 in the brand's zone
    sent: int
    reminded: int
    reviewed: int  # reviews that followed a request, by the week of the review
    all_reviews: int  # every review the brand received that week


def weekly(session: Session, brand: Brand, now: datetime, weeks: int = WEEKS) -> list[Week]:
    """The last ``weeks`` weeks (Monday to Sunday in the brand's zone), oldest first."""
    local = now.astimezone(brand.zone)
    monday = (local - timedelta(days=local.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    starts = [monday - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    first = starts[0]

    def times(query: Select) -> list[datetime]:
        return [t for t in session.scalars(query) if t is not None]

    sent = times(
        select(ReviewRequest.sent_at).where(
            ReviewRequest.brand_id == brand.id, ReviewRequest.sent_at >= first
        )
    )
    reminded = times(
        select(ReviewRequest.reminded_at).where(
            ReviewRequest.brand_id == brand.id, ReviewRequest.reminded_at >= first
        )
    )
    reviewed = times(
        select(ReviewRequest.reviewed_at).where(
            ReviewRequest.brand_id == brand.id, ReviewRequest.reviewed_at >= first
        )
    )
    received = times(
        select(Review.created_at).where(Review.brand_id == brand.id, Review.created_at >= first)
    )

    def count(moments: list[datetime], start: datetime) -> int:
        end = start + timedelta(weeks=1)
        return sum(1 for m in moments if start <= m < end)

    return [
        Week(s, count(sent, s), count(reminded, s), count(reviewed, s), count(received, s))
        for s in starts
    ]


def totals(session: Session, brand: Brand) -> dict[str, int]:
    def n(*conditions) -> int:
        return (
            session.scalar(
                select(func.count())
                .select_from(ReviewRequest)
                .join(ReviewCustomer, ReviewCustomer.id == ReviewRequest.customer_id)
                .where(ReviewRequest.brand_id == brand.id, *conditions)
            )
            or 0
        )

    return {
        "customers": n(),
        "waiting": n(ReviewRequest.sent_at.is_(None), ReviewRequest.done.is_(False)),
        "sent": n(ReviewRequest.sent_at.is_not(None)),
        "reminded": n(ReviewRequest.reminded_at.is_not(None)),
        "opened": n(ReviewRequest.opened_at.is_not(None)),
        "reviewed": n(ReviewRequest.reviewed_at.is_not(None)),
        "unsubscribed": n(ReviewCustomer.unsubscribed_at.is_not(None)),
        "failing": n(ReviewRequest.failures > 0, ReviewRequest.done.is_(False)),
    }


def log_query(brand: Brand) -> Select:
    return (
        select(ReviewRequest, ReviewCustomer)
        .join(ReviewCustomer, ReviewCustomer.id == ReviewRequest.customer_id)
        .where(ReviewRequest.brand_id == brand.id)
        .order_by(ReviewRequest.id.desc())
    )


def log_rows(session: Session, brand: Brand, limit: int, offset: int) -> list[dict]:
    rows = session.execute(log_query(brand).limit(limit).offset(offset))
    return [row_dict(request, customer) for request, customer in rows]


def row_dict(request: ReviewRequest, customer: ReviewCustomer) -> dict:
    return {
        "id": request.id,
        "customer_id": customer.id,
        "email": customer.email,
        "name": customer.name,
        "order_ref": customer.order_ref,
        "source": customer.source,
        "status": status_of(request, customer),
        "due_at": request.next_attempt_at if not request.done else None,
        "sent_at": request.sent_at,
        "reminded_at": request.reminded_at,
        "opened_at": request.opened_at,
        "reviewed_at": request.reviewed_at,
        "review_id": request.review_id,
        "unsubscribed_at": customer.unsubscribed_at,
        "failures": request.failures,
        "last_error": request.last_error,
        "language": request.language,
        "created_at": customer.created_at,
    }


CSV_COLUMNS = [
    "id",
    "email",
    "name",
    "order_ref",
    "source",
    "status",
    "created_at",
    "sent_at",
    "reminded_at",
    "opened_at",
    "reviewed_at",
    "unsubscribed_at",
    "failures",
    "last_error",
]


def _cell(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    text = "" if value is None else str(value)
    # A cell a spreadsheet would run as a formula starts with a quote instead.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def log_csv(session: Session, brand: Brand) -> Iterator[str]:
    """The whole log as CSV, a chunk at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    offset = 0
    while True:
        rows = log_rows(session, brand, 500, offset)
        if not rows:
            break
        for row in rows:
            writer.writerow([_cell(row[c]) for c in CSV_COLUMNS])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        offset += 500
    yield buffer.getvalue()
