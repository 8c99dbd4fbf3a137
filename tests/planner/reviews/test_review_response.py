"""Response times of reviews against targets per rating, and the overdue mail, sent once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core.db import db
from planner.operations import PlannerError
from planner.reviews import response
from planner.reviews.models import Review, ReviewSettings
from tests.conftest import login
from tests.listening.conftest import smtp  # noqa: F401  (a real SMTP server on loopback)

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def add_review(brand, external_id, rating, *, posted_hours_ago, imported_hours_ago, reply=None):
    review = Review(
        brand_id=brand.id,
        source="google",
        external_id=external_id,
        rating=rating,
        text=f"Review {external_id}",
        author="Ann Lee",
        created_at=NOW - timedelta(hours=posted_hours_ago),
        imported_at=NOW - timedelta(hours=imported_hours_ago),
        content_hash=external_id,
        reply_text=reply,
        reply_at=NOW - timedelta(hours=1) if reply else None,
        url=f"https://g.example/{external_id}",
    )
    db.session.add(review)
    db.session.commit()
    return review


def test_targets_default_per_rating_and_the_brands_override_them(brand, users):
    assert response.targets_of(None) == {1: 24, 2: 24, 3: 48, 4: 72, 5: 72}
    response.update_targets(db.session, brand, users["admin"], {"1": "4", "5": "0"})
    settings = db.session.scalar(select(ReviewSettings))
    assert response.targets_of(settings) == {1: 4, 2: 24, 3: 48, 4: 72, 5: 0}


@pytest.mark.parametrize("bad", [{"1": "-1"}, {"2": "soon"}, {"3": "99999"}])
def test_bad_targets_are_refused_and_nothing_changes(brand, users, bad):
    with pytest.raises(PlannerError, match="must be 0 \\(none\\) to 2160 hours"):
        response.update_targets(db.session, brand, users["admin"], bad)
    db.session.rollback()
    assert db.session.scalar(select(ReviewSettings)) is None


def test_response_time_is_measured_against_the_ratings_target(brand):
    quick = add_review(brand, "q", 1, posted_hours_ago=3, imported_hours_ago=3, reply="Sorry")
    slow = add_review(brand, "s", 1, posted_hours_ago=30, imported_hours_ago=30, reply="Sorry")
    waiting = add_review(brand, "w", 2, posted_hours_ago=25, imported_hours_ago=25)
    targets = response.targets_of(None)
    assert response.response_minutes(quick) == 120
    assert response.is_overdue(waiting, targets, NOW)
    assert not response.is_overdue(slow, targets, NOW)  # replied, late but not open
    figures = response.figures([quick, slow, waiting], targets, NOW)
    assert figures.replied == 2
    assert figures.within_target_share == 0.5
    assert figures.open_overdue == 1


def test_overdue_reviews_are_mailed_to_the_admins_once(app, brand, users, smtp):  # noqa: F811
    app.config["BASE_URL"] = "https://pageone.example"
    late = add_review(brand, "late", 1, posted_hours_ago=30, imported_hours_ago=29)
    add_review(brand, "fresh", 1, posted_hours_ago=2, imported_hours_ago=2)
    add_review(brand, "answered", 1, posted_hours_ago=30, imported_hours_ago=29, reply="Sorry")
    add_review(brand, "old", 2, posted_hours_ago=24 * 20, imported_hours_ago=1)  # known late
    add_review(brand, "happy", 5, posted_hours_ago=50, imported_hours_ago=50)  # target 72 h

    assert response.alert_overdue_reviews(app, NOW) == 1
    [mail] = smtp.messages
    assert mail["To"] == users["admin"].email
    assert mail["Subject"] == "1 review overdue for a reply (Acme Bakery)"
    body = mail.get_content()
    assert "1★ on Google by Ann Lee: Review late" in body
    assert "target 24 h, overdue by 6 h 00 min" in body
    assert f"https://pageone.example/brands/{brand.id}/reviews/{late.id}/reply" in body
    assert "Review fresh" not in body and "Review old" not in body

    assert response.alert_overdue_reviews(app, NOW + timedelta(minutes=5)) == 0
    assert len(smtp.messages) == 1
    db.session.expire_all()
    assert db.session.get(Review, late.id).overdue_alerted_at == NOW


def test_a_failed_mail_releases_the_reviews_for_the_next_round(app, brand, users):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=9, SMTP_TIMEOUT=2)
    late = add_review(brand, "late", 1, posted_hours_ago=30, imported_hours_ago=29)
    assert response.alert_overdue_reviews(app, NOW) == 0
    db.session.expire_all()
    assert db.session.get(Review, late.id).overdue_alerted_at is None


def test_the_job_is_registered_with_the_worker(app):
    registered = []

    class Scheduler:
        def add_job(self, func, trigger, **kwargs):
            registered.append((func, kwargs["id"]))

    for register in app.extensions["pageone.worker_jobs"]:
        register(Scheduler(), app, "w1")
    assert (response.alert_overdue_reviews, "reviews-overdue") in registered


def test_the_reply_page_says_when_the_reply_is_due(client, brand, users):
    late = add_review(brand, "late", 1, posted_hours_ago=24 * 3, imported_hours_ago=24 * 3)
    login(client, users["viewer"].email)
    page = client.get(f"/brands/{brand.id}/reviews/{late.id}/reply").get_data(as_text=True)
    assert "Overdue</strong>: the target for 1★ is 24 h" in page


def test_the_overdue_mail_speaks_the_brands_language(app, brand, users, smtp):  # noqa: F811
    brand.language = "lv"
    db.session.commit()
    add_review(brand, "late", 1, posted_hours_ago=30, imported_hours_ago=29)

    assert response.alert_overdue_reviews(app, NOW) == 1
    [mail] = smtp.messages
    assert mail["Subject"] == "1 atsauksmei nokavēta atbilde (Acme Bakery)"
    body = mail.get_content()
    assert "Šīs atsauksmes mērķa laikā nav saņēmušas atbildi:" in body
    assert "1★ vietnē Google, autors Ann Lee: Review late" in body
    assert "mērķis 24 h, nokavēts par 6 h 00 min" in body
