"""What review requests add to running PageOne: customers' personal data (export and erase) and
the brand's export."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from core.db import utcnow
from core.ops.personal import Person, row_dict, rows_of
from planner.reviews.requests.models import RequestSettings, ReviewCustomer, ReviewRequest


def _customers_of(person: Person) -> Any:
    keys = person.keys
    return or_(
        func.lower(func.trim(ReviewCustomer.email)).in_(keys),
        func.lower(func.trim(ReviewCustomer.name)).in_(keys),
    )


class RequestCustomers:
    """Customers asked for a review: their address, name, order and the requests sent."""

    kind = "review_request_customers"

    def export(self, session: Session, person: Person) -> list[dict[str, Any]]:
        found = []
        for customer in session.scalars(
            select(ReviewCustomer).where(_customers_of(person)).order_by(ReviewCustomer.id)
        ):
            entry = row_dict(customer)
            entry["requests"] = rows_of(
                session,
                ReviewRequest,
                ReviewRequest.customer_id == customer.id,
                skip=("claimed_by",),
            )
            found.append(entry)
        return found

    def erase(self, session: Session, person: Person, stand_in: str) -> int:
        """The address and name are replaced, and the customer is never mailed again."""
        customers = session.scalars(select(ReviewCustomer).where(_customers_of(person))).all()
        now = utcnow()
        for customer in customers:
            customer.email = f"erased-{customer.id}@erased.invalid"
            customer.name = stand_in
            customer.order_ref = None
            customer.unsubscribed_at = customer.unsubscribed_at or now
            session.execute(
                update(ReviewRequest)
                .where(ReviewRequest.customer_id == customer.id)
                .values(done=True, next_attempt_at=None)
                .execution_options(synchronize_session=False)
            )
        session.flush()
        return len(customers)


def brand_parts(session: Session, brand_id: int) -> dict[str, list[dict[str, Any]]]:
    """The brand's request settings (without the webhook secret), customers and requests."""
    return {
        "review_request_settings": rows_of(
            session, RequestSettings, RequestSettings.brand_id == brand_id, skip=("webhook_secret",)
        ),
        "review_customers": rows_of(session, ReviewCustomer, ReviewCustomer.brand_id == brand_id),
        "review_requests": rows_of(
            session, ReviewRequest, ReviewRequest.brand_id == brand_id, skip=("claimed_by",)
        ),
    }
