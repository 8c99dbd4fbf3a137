"""The log, its CSV export, the weekly figures in the API, the built-in texts, personal data."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from core.db import db
from core.ops.personal import Person, erase_person, export_person
from planner.reviews.requests.models import LANGUAGES
from planner.reviews.requests.sending import send_due_requests
from planner.reviews.requests.texts import DEFAULT_TEXTS, check_texts
from tests.conftest import login
from tests.planner.reviews.requests.test_sending import customer, request_of

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_the_built_in_texts_pass_the_do_not_list_and_their_own_checks(brand, language):
    assert check_texts(db.session, brand, language, DEFAULT_TEXTS[language]) == []


def test_the_api_lists_requests_and_counts_them_per_week(app, api, smtp, sending_brand):
    customer(sending_brand, "a@example.com", "A", at=NOW - timedelta(days=3))
    customer(sending_brand, "b@example.com", "B", at=NOW + timedelta(days=30))
    send_due_requests(app, "w1", NOW)
    base = f"/api/v1/brands/{sending_brand.id}/review-requests"
    listed = api["viewer"].get(base).get_json()["requests"]
    assert {r["email"]: r["status"] for r in listed} == {
        "a@example.com": "sent",
        "b@example.com": "waiting",
    }
    assert listed[-1]["sent_at"].endswith("Z")
    stats = api["viewer"].get(f"{base}/stats?weeks=4").get_json()
    assert len(stats["weeks"]) == 4 and stats["weeks"][-1]["sent"] == 1
    assert stats["totals"]["sent"] == 1 and stats["totals"]["waiting"] == 1
    assert api["viewer"].get(f"{base}?limit=0").status_code == 422
    assert api["viewer"].get(f"{base}/stats?weeks=abc").status_code == 422


def test_the_page_and_the_csv_export_show_the_log(app, client, users, smtp, sending_brand):
    customer(sending_brand, "=cmd@example.com", "=HYPERLINK(1)")
    send_due_requests(app, "w1", NOW)
    login(client, "viewer@example.com")
    page = client.get(f"/brands/{sending_brand.id}/reviews/requests")
    assert page.status_code == 200 and "=cmd@example.com" in page.get_data(as_text=True)
    export = client.get(f"/brands/{sending_brand.id}/reviews/requests/export.csv")
    rows = list(csv.DictReader(io.StringIO(export.get_data(as_text=True))))
    assert rows[0]["email"] == "'=cmd@example.com" and rows[0]["name"] == "'=HYPERLINK(1)"
    assert rows[0]["status"] == "sent" and rows[0]["sent_at"]


def test_viewers_cannot_change_settings_or_import(client, users, sending_brand):
    login(client, "viewer@example.com")
    base = f"/brands/{sending_brand.id}/reviews/requests"
    assert client.post(f"{base}/settings", data={"enabled": "on"}).status_code == 403
    assert client.post(f"{base}/webhook-secret").status_code == 403
    assert (
        client.post(f"{base}/import", data={"csv_text": "email\na@b.example\n"}).status_code == 403
    )


def test_a_customer_can_be_exported_and_erased_and_is_never_mailed_after(app, smtp, brand):
    from tests.planner.reviews.requests.conftest import enable

    enable(brand, reminder_days=2)
    found = customer(brand, "gone@example.com", "Gone Person")
    send_due_requests(app, "w1", NOW)
    holders = app.extensions["pageone.personal_data"]
    exported = export_person(db.session, holders, Person(email="GONE@example.com"))
    assert exported["data"]["review_request_customers"][0]["email"] == "gone@example.com"
    erase_person(db.session, holders, Person(email="gone@example.com"), "secret")
    db.session.commit()
    assert request_of(found).customer.email.endswith("@erased.invalid")
    send_due_requests(app, "w1", NOW + timedelta(days=3))
    assert len(smtp.messages) == 1


def test_the_settings_page_gives_the_webhook_address_at_base_url(app, client, users, brand):
    app.config["BASE_URL"] = "https://pageone.example"
    login(client, "admin@example.com")
    page = client.get(f"/brands/{brand.id}/reviews/requests/settings").get_data(as_text=True)
    assert f"https://pageone.example/hooks/reviews/{brand.id}/orders" in page
    assert "No signing secret yet" in page
