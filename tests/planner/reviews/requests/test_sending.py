"""The worker mails each customer once (and one reminder at most), in the brand's language,
within the daily limit, never after an unsubscribe; reviews that follow are matched."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core.db import db
from core.errors import Refused
from planner.reviews.importing import import_reviews
from planner.reviews.requests.customers import add_customer
from planner.reviews.requests.models import ReviewRequest
from planner.reviews.requests.sending import send_due_requests
from planner.reviews.requests.settings import request_settings
from tests.planner.reviews.conftest import csv_file
from tests.planner.reviews.requests.conftest import enable

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def customer(brand, email, name="", order=None, at=NOW - timedelta(days=5)):
    made, _ = add_customer(
        db.session,
        brand,
        request_settings(db.session, brand),
        email=email,
        name=name,
        order_ref=order,
        ordered_at=at,
        source="api",
    )
    db.session.commit()
    return made


def request_of(found) -> ReviewRequest:
    db.session.expire_all()
    return db.session.scalar(select(ReviewRequest).where(ReviewRequest.customer_id == found.id))


def test_each_customer_gets_one_request_and_one_reminder_at_most(app, smtp, brand):
    enable(brand, reminder_days=4)
    anna = customer(brand, "anna@example.com", "Anna")
    assert send_due_requests(app, "w1", NOW)["sent"] == 1
    assert send_due_requests(app, "w1", NOW + timedelta(days=1))["sent"] == 0
    assert send_due_requests(app, "w1", NOW + timedelta(days=4))["reminded"] == 1
    for days in (5, 30, 400):
        assert sum(send_due_requests(app, "w1", NOW + timedelta(days=days)).values()) == 0
    assert len(smtp.messages) == 2
    first, reminder = smtp.messages
    assert first["Subject"] == f"How was your order from {brand.name}?"
    assert reminder["Subject"].startswith("A quick reminder")
    assert request_of(anna).reminded_at == NOW + timedelta(days=4)


def test_without_a_reminder_only_one_mail_goes(app, smtp, sending_brand):
    customer(sending_brand, "one@example.com")
    for days in (0, 3, 10, 60):
        send_due_requests(app, "w1", NOW + timedelta(days=days))
    assert len(smtp.messages) == 1


def test_the_request_waits_for_the_delay_after_the_order(app, smtp, brand):
    enable(brand, delay_days=3)
    customer(brand, "late@example.com", at=NOW - timedelta(days=1))
    assert send_due_requests(app, "w1", NOW)["sent"] == 0
    assert send_due_requests(app, "w1", NOW + timedelta(days=2))["sent"] == 1


def test_the_daily_limit_counts_in_the_brands_time_zone(app, smtp, brand):
    enable(brand, daily_limit=2)
    for n in range(5):
        customer(brand, f"c{n}@example.com")
    # 22:30 UTC is 23:30 in Berlin: the day ends half an hour later.
    evening = datetime(2026, 12, 7, 22, 30, tzinfo=UTC)
    assert send_due_requests(app, "w1", evening)["sent"] == 2
    assert send_due_requests(app, "w1", evening + timedelta(minutes=20))["sent"] == 0
    assert send_due_requests(app, "w1", evening + timedelta(minutes=31))["sent"] == 2
    assert len(smtp.messages) == 4


def test_an_unsubscribed_customer_never_gets_another_mail(app, smtp, brand):
    enable(brand, reminder_days=2)
    found = customer(brand, "stop@example.com")
    send_due_requests(app, "w1", NOW)
    link = smtp.messages[0]["List-Unsubscribe"].strip().strip("<>")
    assert smtp.messages[0]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = link.removeprefix("https://pageone.example")
    client = app.test_client()
    confirm = client.get(path)
    assert confirm.status_code == 200 and "Unsubscribe from" in confirm.get_data(as_text=True)
    assert request_of(found).customer.unsubscribed_at is None  # a GET writes nothing
    # The mail client's one-click POST (RFC 8058), without any CSRF token.
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert request_of(found).customer.unsubscribed_at is not None
    for days in (2, 3, 30):
        send_due_requests(app, "w1", NOW + timedelta(days=days))
    assert len(smtp.messages) == 1
    assert client.get("/r/unsubscribe/forged-token").status_code == 404


def test_the_mail_is_in_the_brands_language_with_links_and_unsubscribe(app, smtp, brand):
    expected = {
        "en": ("How was your order", "Hi Laura,", "Unsubscribe with one click"),
        "lv": ("Kā Jums patika pirkums?", "Labdien, Laura!", "Atsakieties ar vienu klikšķi"),
        "lt": ("Kaip jums patiko užsakymas?", "Sveiki, Laura,", "Atsisakykite vienu paspaudimu"),
        "pl": ("Jak oceniasz swoje zamówienie?", "Dzień dobry Laura,", "Wypisz się jednym"),
    }
    for n, (language, (subject, greeting, unsubscribe)) in enumerate(expected.items()):
        enable(brand, language=language)
        customer(brand, f"laura{n}@example.com", "Laura")
        assert send_due_requests(app, "w1", NOW + timedelta(days=n))["sent"] == 1
        message = smtp.messages[-1]
        text = message.get_body(("plain",)).get_content()
        assert subject in message["Subject"] and brand.name in message["Subject"]
        assert text.startswith(greeting)
        assert "Google: https://g.page/r/acme/review" in text
        assert unsubscribe in text and "https://pageone.example/r/unsubscribe/" in text
        assert message["Content-Language"] == language
        assert message["To"] == f"laura{n}@example.com"


def test_a_mail_failure_backs_off_and_is_logged(app, smtp, sending_brand):
    found = customer(sending_brand, "retry@example.com")
    smtp.refuse = True
    assert send_due_requests(app, "w1", NOW)["failed"] == 1
    failed = request_of(found)
    assert failed.sent_at is None and failed.failures == 1
    assert "451" in failed.last_error and failed.next_attempt_at == NOW + timedelta(minutes=5)
    assert send_due_requests(app, "w1", NOW + timedelta(minutes=1))["failed"] == 0
    smtp.refuse = False
    assert send_due_requests(app, "w1", NOW + timedelta(minutes=6))["sent"] == 1
    assert request_of(found).failures == 0 and len(smtp.messages) == 1


def test_nothing_is_sent_while_requests_are_switched_off(app, smtp, brand):
    enable(brand, enabled=False)
    customer(brand, "off@example.com")
    assert send_due_requests(app, "w1", NOW)["sent"] == 0 and smtp.messages == []


@pytest.mark.parametrize(
    "text",
    [
        "Leave us a review and get a 10% discount on your next order! {review_links}",
        "Only happy customers should leave a review: {review_links}",
        "{review_links}\nWe send a voucher for every review you write.",
    ],
)
def test_a_text_that_offers_an_incentive_or_gates_by_sentiment_is_refused(brand, text):
    with pytest.raises(Refused) as refused:
        enable(brand, templates={"en": {"body": text}})
    assert any("Text (EN)" in e and "not allowed" in e for e in refused.value.errors)
    assert request_settings(db.session, brand).id is None


def test_the_brands_do_not_phrases_apply_to_the_texts(brand, client, users):
    from planner.reviews.models import ReviewSettings

    db.session.add(ReviewSettings(brand_id=brand.id, do_not_phrases="cheapest"))
    db.session.commit()
    with pytest.raises(Refused) as refused:
        enable(brand, templates={"pl": {"subject": "Najtańsze {brand} – cheapest in town"}})
    assert "“cheapest” is on Acme Bakery's do-not list." in refused.value.errors[0]


def test_bad_settings_are_refused_with_every_reason(brand, client, users):
    from tests.conftest import login

    login(client, "admin@example.com")
    response = client.post(
        f"/brands/{brand.id}/reviews/requests/settings",
        data={
            "enabled": "on",
            "language": "de",
            "delay_days": "x",
            "daily_limit": "0",
            "match_days": "30",
            "review_links": "not a link",
            "text-en-body": "No links {here}",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Delay after the order" in page
    assert request_settings(db.session, brand).id is None


def test_a_review_after_the_request_is_matched_by_name(app, smtp, sending_brand):
    found = customer(sending_brand, "maria@example.com", "María  Schmidt")
    other = customer(sending_brand, "tom@example.com", "Tom Jones")
    send_due_requests(app, "w1", NOW)
    later = (NOW + timedelta(days=3)).isoformat()
    long_after = (NOW + timedelta(days=90)).isoformat()
    data = csv_file(
        f"google,m1,5,,Great,maria schmidt,{later},,,,",
        f"google,t1,2,,Slow,Tom Jones,{long_after},,,,",
    )
    assert import_reviews(db.session, sending_brand, data, actor="t", now=NOW).ok
    db.session.commit()
    assert send_due_requests(app, "w1", NOW + timedelta(days=91))["matched"] == 1
    assert request_of(found).reviewed_at == NOW + timedelta(days=3)
    assert request_of(found).review_id is not None
    assert request_of(other).reviewed_at is None


def test_a_matched_review_stops_the_reminder(app, smtp, brand):
    enable(brand, reminder_days=5)
    customer(brand, "rita@example.com", "Rita Ozola")
    send_due_requests(app, "w1", NOW)
    data = csv_file(f"google,r1,4,,Nice,Rita Ozola,{(NOW + timedelta(days=1)).isoformat()},,,,")
    assert import_reviews(db.session, brand, data, actor="t", now=NOW).ok
    db.session.commit()
    send_due_requests(app, "w1", NOW + timedelta(days=6))
    assert len(smtp.messages) == 1


def test_opens_are_recorded_only_when_tracking_is_on(app, smtp, brand):
    enable(brand, track_opens=True)
    found = customer(brand, "open@example.com")
    send_due_requests(app, "w1", NOW)
    html = smtp.messages[0].get_body(("html",)).get_content()
    pixel = html.split('src="')[1].split('"')[0].removeprefix("https://pageone.example")
    response = app.test_client().get(pixel)
    assert response.status_code == 200 and response.mimetype == "image/gif"
    assert request_of(found).opened_at is not None


def test_no_pixel_is_in_the_mail_by_default(app, smtp, sending_brand):
    customer(sending_brand, "private@example.com")
    send_due_requests(app, "w1", NOW)
    assert "/r/open/" not in smtp.messages[0].as_string()


def test_requests_speak_the_brands_language_until_another_is_chosen(app, brand):
    from planner.reviews.requests.settings import request_settings

    brand.language = "lv"
    db.session.commit()
    assert request_settings(db.session, brand).language == "lv"
