"""Customers to ask for a review: from a CSV file, the order webhook or the API, once each.

A customer is one e-mail address of a brand (and one order): the same address or order coming
again, from a file, a repeated webhook or a second import, adds nothing and sends nothing more.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.errors import Refused
from core.parsing import InvalidInput, csv_header, csv_rows, parse_datetime
from core.tenants import Brand
from planner.reviews.requests.models import RequestSettings, ReviewCustomer, ReviewRequest

MAX_CSV_BYTES = 2 * 1024 * 1024
MAX_ROWS = 20_000
COLUMNS = {
    "email": _l("The customer's e-mail address (required)."),
    "name": _l("The customer's name, for the greeting and for matching a later review."),
    "order_ref": _l("The order number; an order seen before adds nothing."),
    "completed_at": _l(
        "When the order was completed (ISO 8601); the request waits its delay from then. "
        "Empty: now."
    ),
}
EMAIL_RE = re.compile(r"^[^@\s,;<>\"]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.)+[A-Za-z]{2,63}$")


def normal_email(value: str) -> str:
    return unicodedata.normalize("NFKC", value or "").strip().lower()


def normal_name(value: str) -> str:
    """A name as matching compares it: no accents, case or extra spaces."""
    folded = unicodedata.normalize("NFKD", value or "").casefold()
    letters = "".join(c for c in folded if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w\s]", " ", letters).split())


def check_customer(email: str, name: str, order_ref: str | None) -> list[str]:
    errors = []
    if not email:
        errors.append(_("the e-mail address is missing"))
    elif not EMAIL_RE.match(email):
        errors.append(_("“%(value)s” is not an e-mail address", value=email[:80]))
    if len(name) > 200:
        errors.append(_("the name is longer than 200 characters"))
    if order_ref is not None and len(order_ref) > 200:
        errors.append(_("the order number is longer than 200 characters"))
    return errors


def existing_customer(
    session: Session, brand: Brand, email: str, order_ref: str | None
) -> ReviewCustomer | None:
    same = ReviewCustomer.email == email
    if order_ref:
        same = same | (ReviewCustomer.order_ref == order_ref)
    return session.scalars(
        select(ReviewCustomer).where(ReviewCustomer.brand_id == brand.id, same).limit(1)
    ).first()


def add_customer(
    session: Session,
    brand: Brand,
    settings: RequestSettings,
    *,
    email: str,
    name: str,
    order_ref: str | None,
    ordered_at: datetime,
    source: str,
) -> tuple[ReviewCustomer, bool]:
    """The customer and whether it is new; a new one gets its request, due after the delay.

    Two deliveries of the same order at once both end here: the database's unique keys let
    one in, and the other finds it.
    """
    email, name = normal_email(email), " ".join((name or "").split())
    order_ref = (order_ref or "").strip() or None
    errors = check_customer(email, name, order_ref)
    if errors:
        raise Refused(*[e[0].upper() + e[1:] + "." for e in errors])
    found = existing_customer(session, brand, email, order_ref)
    if found is not None:
        return found, False
    customer = ReviewCustomer(
        brand_id=brand.id,
        email=email,
        name=name,
        order_ref=order_ref,
        source=source,
        ordered_at=ordered_at,
    )
    try:
        with session.begin_nested():
            session.add(customer)
            session.flush()
    except IntegrityError:
        found = existing_customer(session, brand, email, order_ref)
        if found is None:
            raise
        return found, False
    session.add(
        ReviewRequest(
            brand_id=brand.id,
            customer_id=customer.id,
            next_attempt_at=ordered_at + timedelta(days=settings.delay_days),
        )
    )
    session.flush()
    return customer, True


# --- the CSV file -------------------------------------------------------------------------------


@dataclass
class CsvRow:
    line: int
    email: str
    name: str
    order_ref: str | None
    completed_at: datetime | None
    status: str = "new"  # new, duplicate (in the file), known (a customer already), error
    errors: list[str] = field(default_factory=list)


@dataclass
class CsvPreview:
    rows: list[CsvRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # about the whole file

    @property
    def errors(self) -> list[CsvRow]:
        return [r for r in self.rows if r.status == "error"]

    @property
    def new(self) -> list[CsvRow]:
        return [r for r in self.rows if r.status == "new"]

    @property
    def ok(self) -> bool:
        return not self.problems and not self.errors

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)


def preview_csv(session: Session, brand: Brand, data: bytes) -> CsvPreview:
    """Every row of the file with what importing it would do; writes nothing."""
    preview = CsvPreview()
    if len(data) > MAX_CSV_BYTES:
        preview.problems.append(_("The file is larger than 2 MB; split it into smaller files."))
        return preview
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        preview.problems.append(_("The file is not UTF-8 text; save it as “CSV UTF-8”."))
        return preview
    reader = csv.DictReader(io.StringIO(text, newline=""))

    def problem(line: int, reason: str) -> None:
        preview.problems.append(_("Line %(line)s: %(reason)s", line=line, reason=reason))

    header = [h.strip().lower() for h in csv_header(reader, problem)]
    if preview.problems:
        return preview
    if "email" not in header:
        preview.problems.append(
            _("The file needs an “email” column (and may have name, order_ref, completed_at).")
        )
        return preview
    reader.fieldnames = header
    seen_emails: set[str] = set()
    seen_orders: set[str] = set()
    for raw in csv_rows(reader, problem):
        if len(preview.rows) >= MAX_ROWS:
            preview.problems.append(
                _("The file has more than %(num)d rows; split it.", num=MAX_ROWS)
            )
            break
        line = reader.line_num
        email = normal_email(raw.get("email") or "")
        name = " ".join((raw.get("name") or "").split())
        order_ref = (raw.get("order_ref") or "").strip() or None
        row = CsvRow(line, email, name, order_ref, None)
        row.errors = check_customer(email, name, order_ref)
        when = (raw.get("completed_at") or "").strip()
        if when:
            try:
                row.completed_at = parse_datetime(when, "completed_at", default_zone=brand.zone)
            except InvalidInput as exc:
                row.errors.append(exc.message)
        if row.errors:
            row.status = "error"
        elif email in seen_emails or (order_ref and order_ref in seen_orders):
            row.status = "duplicate"
        elif existing_customer(session, brand, email, order_ref) is not None:
            row.status = "known"
        seen_emails.add(email)
        if order_ref:
            seen_orders.add(order_ref)
        preview.rows.append(row)
    if not preview.rows and not preview.problems:
        preview.problems.append(_("The file has no customers under its header."))
    return preview


def import_csv(
    session: Session, brand: Brand, settings: RequestSettings, data: bytes, now: datetime
) -> CsvPreview:
    """Add the file's new customers, all or none: with any bad row nothing is written."""
    preview = preview_csv(session, brand, data)
    if not preview.ok:
        return preview
    for row in preview.new:
        add_customer(
            session,
            brand,
            settings,
            email=row.email,
            name=row.name,
            order_ref=row.order_ref,
            ordered_at=row.completed_at or now,
            source="csv",
        )
    return preview
