"""Customers come from a CSV file (previewed, all or nothing), the API or the signed webhook,
and a customer seen twice adds nothing."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

from sqlalchemy import func, select

from core.db import db
from planner.reviews.requests.customers import import_csv, preview_csv
from planner.reviews.requests.models import ReviewCustomer, ReviewRequest
from planner.reviews.requests.settings import request_settings
from planner.reviews.requests.webhook import signature
from tests.conftest import login


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


CSV_OK = (
    b"email,name,order_ref,completed_at\n"
    b"Anna@Example.com,Anna Berzina,A-1,2026-11-01T10:00:00Z\n"
    b"anna@example.com ,Anna again,A-2,\n"
    b"jonas@example.lt,Jonas,A-3,\n"
)


def test_csv_preview_marks_repeated_rows_and_writes_nothing(sending_brand):
    preview = preview_csv(db.session, sending_brand, CSV_OK)
    assert [r.status for r in preview.rows] == ["new", "duplicate", "new"]
    assert preview.rows[0].email == "anna@example.com"
    assert count(ReviewCustomer) == 0


def test_csv_import_adds_each_address_once_even_imported_twice(sending_brand):
    settings = request_settings(db.session, sending_brand)
    now = datetime.now(UTC)
    assert import_csv(db.session, sending_brand, settings, CSV_OK, now).ok
    db.session.commit()
    again = import_csv(db.session, sending_brand, settings, CSV_OK, now)
    db.session.commit()
    assert [r.status for r in again.rows] == ["known", "duplicate", "known"]
    assert count(ReviewCustomer) == 2 and count(ReviewRequest) == 2


def test_a_file_with_a_bad_row_imports_nothing_and_names_the_line(client, users, sending_brand):
    login(client, "editor@example.com")
    data = (
        b"email,name,completed_at\nok@example.com,Ok,\nnot-an-address,Bad,\nx@example.com,X,soon\n"
    )
    response = client.post(
        f"/brands/{sending_brand.id}/reviews/requests/import",
        data={"action": "import", "csv_text": data.decode()},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Line 3: “not-an-address” is not an e-mail address" in page
    assert "Line 4: &#39;completed_at&#39; is not an ISO 8601 date-time" in page
    assert count(ReviewCustomer) == 0


def test_a_file_without_an_email_column_is_refused_clearly(client, users, sending_brand):
    login(client, "editor@example.com")
    response = client.post(
        f"/brands/{sending_brand.id}/reviews/requests/import",
        data={"action": "preview", "csv_text": "mail,name\na@b.example,A\n"},
    )
    assert response.status_code == 400
    assert "needs an “email” column" in response.get_data(as_text=True)


def test_the_import_page_previews_then_imports(client, users, sending_brand):
    login(client, "editor@example.com")
    url = f"/brands/{sending_brand.id}/reviews/requests/import"
    preview = client.post(url, data={"action": "preview", "csv_text": CSV_OK.decode()})
    assert preview.status_code == 200 and "Import 2 customers" in preview.get_data(as_text=True)
    assert count(ReviewCustomer) == 0
    done = client.post(url, data={"action": "import", "csv_text": CSV_OK.decode()})
    assert done.status_code == 302
    assert count(ReviewCustomer) == 2


def test_the_api_adds_a_customer_once(api, sending_brand):
    url = f"/api/v1/brands/{sending_brand.id}/review-requests/customers"
    first = api["editor"].post(url, json={"email": "Eva@Example.com", "name": "Eva"})
    second = api["editor"].post(url, json={"email": "eva@example.com", "name": "Eva N."})
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.get_json()["customer_id"] == second.get_json()["customer_id"]
    bad = api["editor"].post(url, json={"email": "nope", "completed_at": "yesterday"})
    assert bad.status_code == 422
    assert count(ReviewCustomer) == 1
    assert api["viewer"].post(url, json={"email": "v@example.com"}).status_code == 403


# --- the webhook --------------------------------------------------------------------------------


def make_secret(client, brand) -> str:
    login(client, "admin@example.com")
    page = client.post(f"/brands/{brand.id}/reviews/requests/webhook-secret").get_data(as_text=True)
    start = page.index("whsec_")
    return page[start : page.index("<", start)]


def deliver(client, brand, secret, body: dict, *, at: float | None = None, sign=None):
    raw = json.dumps(body).encode()
    stamp = str(int(at if at is not None else time.time()))
    return client.post(
        f"/hooks/reviews/{brand.id}/orders",
        data=raw,
        content_type="application/json",
        headers={
            "X-PageOne-Timestamp": stamp,
            "X-PageOne-Signature": sign or signature(secret, stamp, raw),
        },
    )


ORDER = {
    "order_id": "1001",
    "email": "Marta@example.pl",
    "name": "Marta",
    "completed_at": "2026-12-01T12:00:00Z",
}


def test_a_signed_order_adds_one_customer(app, sending_brand):
    client = app.test_client()
    secret = make_secret(client, sending_brand)
    response = deliver(app.test_client(), sending_brand, secret, ORDER)
    assert response.status_code == 201, response.get_json()
    customer = db.session.scalar(select(ReviewCustomer))
    assert (customer.email, customer.order_ref, customer.source) == (
        "marta@example.pl",
        "1001",
        "webhook",
    )


def test_a_repeated_delivery_adds_nothing(app, sending_brand):
    secret = make_secret(app.test_client(), sending_brand)
    hook = app.test_client()
    assert deliver(hook, sending_brand, secret, ORDER).status_code == 201
    again = deliver(hook, sending_brand, secret, ORDER)
    same_order_other_mail = deliver(hook, sending_brand, secret, {**ORDER, "email": "m@x.example"})
    assert again.status_code == 200 and again.get_json()["duplicate"] is True
    assert same_order_other_mail.get_json()["duplicate"] is True
    assert count(ReviewCustomer) == 1 and count(ReviewRequest) == 1


def test_a_wrong_signature_is_refused(app, sending_brand):
    secret = make_secret(app.test_client(), sending_brand)
    forged = deliver(app.test_client(), sending_brand, secret, ORDER, sign="sha256=" + "0" * 64)
    other_key = deliver(app.test_client(), sending_brand, "whsec_other", ORDER)
    for response in (forged, other_key):
        assert response.status_code == 401
        assert "signature does not match" in response.get_json()["error"]
    assert count(ReviewCustomer) == 0


def test_a_replayed_delivery_older_than_five_minutes_is_refused(app, sending_brand):
    secret = make_secret(app.test_client(), sending_brand)
    old = deliver(app.test_client(), sending_brand, secret, ORDER, at=time.time() - 360)
    assert old.status_code == 401 and "more than 5 minutes" in old.get_json()["error"]
    assert count(ReviewCustomer) == 0


def test_a_rotated_secret_stops_the_old_one(app, sending_brand):
    old = make_secret(app.test_client(), sending_brand)
    make_secret(app.test_client(), sending_brand)
    assert deliver(app.test_client(), sending_brand, old, ORDER).status_code == 401


def test_unsigned_or_malformed_deliveries_get_clear_errors(app, sending_brand):
    secret = make_secret(app.test_client(), sending_brand)
    hook = app.test_client()
    unsigned = hook.post(f"/hooks/reviews/{sending_brand.id}/orders", json=ORDER)
    assert unsigned.status_code == 401 and "X-PageOne-Signature" in unsigned.get_json()["error"]
    missing = deliver(hook, sending_brand, secret, {"order_id": "", "completed_at": "later"})
    assert missing.status_code == 422
    assert "'order_id'" in missing.get_json()["error"] and "'email'" in missing.get_json()["error"]
    no_brand = hook.post("/hooks/reviews/999999/orders", json=ORDER)
    assert no_brand.status_code == 404
    assert count(ReviewCustomer) == 0
