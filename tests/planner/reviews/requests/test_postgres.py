"""Two workers on PostgreSQL at once never mail the same request, nor go past the daily limit."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller

from core.db import db
from planner.brands import create_brand
from planner.reviews.requests.customers import add_customer
from planner.reviews.requests.sending import send_due_requests
from tests.conftest import create_user
from tests.planner.reviews.requests.conftest import Inbox, enable, free_port

pytestmark = pytest.mark.postgres


def test_two_workers_never_send_one_request_twice_nor_past_the_limit(pg_app):
    from core.models import Role

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    pg_app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port)
    try:
        admin = create_user("admin@example.com", Role.ADMIN)
        brand = create_brand(db.session, name="Pg Bakery", timezone="Europe/Riga", creator=admin)
        db.session.commit()
        settings = enable(brand, daily_limit=40)
        now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
        for n in range(60):
            add_customer(
                db.session,
                brand,
                settings,
                email=f"c{n}@example.com",
                name=f"C {n}",
                order_ref=f"o{n}",
                ordered_at=now - timedelta(days=4),
                source="csv",
            )
        db.session.commit()
        results: dict[str, dict] = {}

        def work(name: str) -> None:
            results[name] = send_due_requests(pg_app, name, now)

        threads = [threading.Thread(target=work, args=(f"worker-{i}",)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        recipients = Counter(message["To"] for message in inbox.messages)
    finally:
        controller.stop()
    assert len(results) == 2
    assert max(recipients.values()) == 1
    assert len(recipients) == 40
    assert sum(r["sent"] for r in results.values()) == 40
