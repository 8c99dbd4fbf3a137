"""On PostgreSQL: two workers mail about an overdue review once, and two approvers acting at once
leave one approval."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core.db import db
from planner.brands import add_member, create_brand
from planner.operations import PlannerError
from planner.reviews import replies, response
from planner.reviews.models import Review
from tests.conftest import create_user

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


@pytest.fixture
def pg_setup(pg_app):
    from core.models import Role

    admin = create_user("admin@example.com", Role.ADMIN)
    approvers = [create_user(f"a{n}@example.com", Role.APPROVER) for n in (1, 2)]
    editor = create_user("editor@example.com", Role.EDITOR)
    brand = create_brand(db.session, name="Acme", timezone="UTC", creator=admin)
    for user in (*approvers, editor):
        add_member(db.session, brand, user, admin)
    brand.requires_approval = True
    for n in range(3):
        db.session.add(
            Review(
                brand_id=brand.id,
                source="google",
                external_id=f"r{n}",
                rating=1,
                text="Cold",
                author="Ann",
                created_at=NOW - timedelta(hours=30),
                imported_at=NOW - timedelta(hours=29),
                content_hash=f"r{n}",
            )
        )
    db.session.commit()
    return pg_app, brand, approvers, editor


def run_together(*targets):
    barrier = threading.Barrier(len(targets))
    results: list = [None] * len(targets)

    def run(i, target):
        barrier.wait()
        results[i] = target()

    threads = [threading.Thread(target=run, args=(i, t)) for i, t in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_two_workers_claim_each_overdue_review_once(pg_setup):
    app, brand, _, _ = pg_setup

    def claim():
        with app.app_context(), db.job_session() as session:
            return response._claim(session, response.overdue_candidates(session, NOW), NOW)

    first, second = run_together(claim, claim)
    assert sorted(first + second) == sorted(db.session.scalars(select(Review.id)).all())
    assert not set(first) & set(second)


def test_two_approvers_at_once_leave_one_approval(pg_setup):
    app, brand, approvers, editor = pg_setup
    review = db.session.scalar(select(Review).where(Review.external_id == "r0"))
    replies.save_reply(db.session, brand, review, editor, "Sorry.", submit=True, now=NOW)
    db.session.commit()
    brand_id, review_id = brand.id, review.id
    ids = [a.id for a in approvers]

    def approve(user_id):
        def go():
            from core.models import User
            from core.tenants import Brand

            try:
                with app.app_context(), db.job_session() as session:
                    replies.approve_reply(
                        session,
                        session.get(Brand, brand_id),
                        session.get(Review, review_id),
                        session.get(User, user_id),
                    )
                return "approved"
            except PlannerError as exc:
                return exc.errors[0]

        return go

    results = run_together(approve(ids[0]), approve(ids[1]))
    assert sorted(results) == sorted(
        ["approved", "This reply is approved, not waiting for approval."]
    )
