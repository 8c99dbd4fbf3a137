"""Posting replies to Google Business Profile and Trustpilot, against local contract fakes that
check each request's method, path, headers and body, and answer like the real APIs."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from werkzeug import Request, Response

from core.crypto import decrypt_json, encrypt_json
from core.db import db
from planner.operations import PlannerError
from planner.reviews import replies, review_sites
from planner.reviews.models import Review
from planner.reviews.reply_models import ReviewConnection
from tests.conftest import login
from tests.planner.connections.conftest import leaving_for, query
from tests.planner.connections.fakes import FakeOAuth

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
LOCATION = "accounts/111/locations/222"


def review(external_id: str) -> Review:
    return db.session.scalar(select(Review).where(Review.external_id == external_id))


def json_answer(body, status=200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def approved(brand, users, target, text="Sorry about the wait, {reviewer_name}."):
    brand.requires_approval = False
    replies.save_reply(db.session, brand, target, users["editor"], text, submit=True, now=NOW)
    db.session.commit()


# --- Google Business Profile ----------------------------------------------------------------


class FakeGoogle:
    """updateReply: PUT /v4/accounts/*/locations/*/reviews/*/reply with {"comment"}."""

    def __init__(self, httpserver, token="gbp-access"):
        self.token = token
        self.requests: list[dict] = []
        self.refuse: tuple[int, dict] | None = None
        httpserver.expect_request(
            f"/v4/{LOCATION}/reviews/g2/reply", method="PUT"
        ).respond_with_handler(self.update_reply)

    def update_reply(self, request: Request) -> Response:
        self.requests.append(
            {
                "auth": request.headers.get("Authorization"),
                "type": request.content_type,
                "body": request.get_json(silent=True),
            }
        )
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return json_answer(
                {
                    "error": {
                        "code": 401,
                        "message": "Invalid Credentials",
                        "status": "UNAUTHENTICATED",
                    }
                },
                401,
            )
        if self.refuse:
            status, body = self.refuse
            return json_answer(body, status)
        body = request.get_json(silent=True)
        if set(body or {}) != {"comment"}:
            return json_answer({"error": {"code": 400, "message": "Invalid JSON payload"}}, 400)
        return json_answer({"comment": body["comment"], "updateTime": "2026-12-06T12:00:01Z"})


@pytest.fixture
def google(app, brand, httpserver):
    base = httpserver.url_for("/").rstrip("/")
    app.config.update(
        GOOGLE_BUSINESS_CLIENT_ID="gbp-client",
        GOOGLE_BUSINESS_CLIENT_SECRET="gbp-secret",
        GOOGLE_BUSINESS_AUTH_URL=base,
        GOOGLE_BUSINESS_TOKEN_URL=base,
        GOOGLE_BUSINESS_API_URL=base,
    )
    return FakeGoogle(httpserver)


def connect_google(app, brand, token="gbp-access", expires_at=None, refresh="gbp-refresh"):
    db.session.add(
        ReviewConnection(
            brand_id=brand.id,
            source="google",
            account=LOCATION,
            credentials_encrypted=encrypt_json(
                {"access_token": token, "refresh_token": refresh, "location": LOCATION},
                app.config,
            ),
            access_expires_at=expires_at,
        )
    )
    db.session.commit()


def test_an_approved_reply_is_put_to_google_and_the_review_is_replied(
    app, brand, users, reviews, google
):
    connect_google(app, brand)
    target = review("g2")
    approved(brand, users, target)
    reply = replies.send_reply(db.session, brand, target, users["editor"], app.config, NOW)
    db.session.commit()
    assert google.requests == [
        {
            "auth": "Bearer gbp-access",
            "type": "application/json",
            "body": {"comment": "Sorry about the wait, Tom."},
        }
    ]
    assert reply.status == "sent"
    assert (target.reply_text, target.reply_at) == ("Sorry about the wait, Tom.", NOW)


def test_a_reply_google_refuses_stays_unsent_with_googles_reason(
    app, brand, users, reviews, google
):
    connect_google(app, brand)
    target = review("g2")
    approved(brand, users, target)
    google.refuse = (
        400,
        {
            "error": {
                "code": 400,
                "message": "Location is not verified.",
                "status": "FAILED_PRECONDITION",
            }
        },
    )
    with pytest.raises(replies.ReplyNotSent) as failed:
        replies.send_reply(db.session, brand, target, users["editor"], app.config, NOW)
    db.session.commit()
    assert (
        failed.value.errors[0] == "Google refused the reply (HTTP 400): Location is not verified."
    )
    reply = replies.reply_of(db.session, target)
    assert reply.status == "approved"
    assert "Location is not verified" in reply.last_error
    db.session.refresh(target)
    assert target.reply_text is None and target.reply_at is None


def test_an_expired_google_token_is_renewed_before_the_reply(
    app, brand, users, reviews, httpserver
):
    fake = FakeOAuth(
        httpserver,
        client_id="gbp-client",
        client_secret="gbp-secret",
        authorize_path="/o/oauth2/v2/auth",
        token_path="/token",
        client_auth="post",
        pkce=False,
    )
    fake.refresh_tokens.add("gbp-refresh")
    base = httpserver.url_for("/").rstrip("/")
    app.config.update(
        GOOGLE_BUSINESS_CLIENT_ID="gbp-client",
        GOOGLE_BUSINESS_CLIENT_SECRET="gbp-secret",
        GOOGLE_BUSINESS_TOKEN_URL=base,
        GOOGLE_BUSINESS_API_URL=base,
    )
    seen = []

    def update_reply(request: Request) -> Response:
        seen.append(request.headers.get("Authorization", ""))
        token = request.headers.get("Authorization", "")[7:]
        if token not in fake.access_tokens:
            return json_answer({"error": {"code": 401, "message": "expired"}}, 401)
        return json_answer({"comment": request.get_json()["comment"]})

    httpserver.expect_request(
        f"/v4/{LOCATION}/reviews/g2/reply", method="PUT"
    ).respond_with_handler(update_reply)
    connect_google(app, brand, token="old", expires_at=NOW - timedelta(minutes=5))
    target = review("g2")
    approved(brand, users, target)
    reply = replies.send_reply(db.session, brand, target, users["editor"], app.config, NOW)
    assert reply.status == "sent"
    assert fake.token_requests[0]["grant_type"] == "refresh_token"
    assert seen and seen[0] != "Bearer old"
    connection = review_sites.connection_for(db.session, brand, "google")
    assert decrypt_json(connection.credentials_encrypted, app.config)["access_token"] != "old"


def test_sending_without_a_connection_or_approval_is_refused_clearly(
    app, brand, users, reviews, google
):
    target = review("g2")
    brand.requires_approval = True
    replies.save_reply(db.session, brand, target, users["editor"], "Sorry.", submit=True, now=NOW)
    with pytest.raises(PlannerError, match="posted once it is approved"):
        replies.send_reply(db.session, brand, target, users["editor"], app.config, NOW)
    replies.approve_reply(db.session, brand, target, users["approver"])
    with pytest.raises(PlannerError, match="not connected for Acme Bakery"):
        replies.send_reply(db.session, brand, target, users["editor"], app.config, NOW)
    assert google.requests == []


def test_connecting_google_asks_for_offline_access_and_business_manage(
    app, client, brand, users, httpserver
):
    fake = FakeOAuth(
        httpserver,
        client_id="gbp-client",
        client_secret="gbp-secret",
        authorize_path="/o/oauth2/v2/auth",
        token_path="/token",
        client_auth="post",
        pkce=False,
        expires_in=3599,
    )
    base = httpserver.url_for("/").rstrip("/")
    app.config.update(
        GOOGLE_BUSINESS_CLIENT_ID="gbp-client",
        GOOGLE_BUSINESS_CLIENT_SECRET="gbp-secret",
        GOOGLE_BUSINESS_AUTH_URL=base,
        GOOGLE_BUSINESS_TOKEN_URL=base,
    )
    login(client, users["admin"].email)
    bad = client.post(f"/brands/{brand.id}/reviews/connect/google", data={"location": "nope"})
    assert bad.status_code == 303
    authorize = leaving_for(
        client.post(f"/brands/{brand.id}/reviews/connect/google", data={"location": LOCATION})
    )
    asked = query(authorize)
    assert authorize.startswith(f"{base}/o/oauth2/v2/auth")
    assert asked["scope"] == "https://www.googleapis.com/auth/business.manage"
    assert (asked["access_type"], asked["prompt"]) == ("offline", "consent")
    answer = client.get("/reviews/connect/google/callback", query_string=fake.consent(authorize))
    assert answer.status_code == 303
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert f"Google Business Profile connected for {LOCATION}." in page
    assert (
        fake.token_requests[0]["redirect_uri"] == "http://localhost/reviews/connect/google/callback"
    )
    assert fake.problems == []
    stored = decrypt_json(
        review_sites.connection_for(db.session, brand, "google").credentials_encrypted, app.config
    )
    assert stored["location"] == LOCATION and stored["refresh_token"].startswith("rt-")
    assert "rt-" not in page  # secrets are never shown back


# --- Trustpilot -----------------------------------------------------------------------------


class FakeTrustpilot:
    """The password grant and POST /v1/private/reviews/{reviewId}/reply."""

    KEY, SECRET = "tp-key", "tp-secret"

    def __init__(self, httpserver):
        self.token_requests: list[dict] = []
        self.replies: list[dict] = []
        self.down = False
        httpserver.expect_request(
            review_sites.TRUSTPILOT_TOKEN_PATH, method="POST"
        ).respond_with_handler(self.token)
        httpserver.expect_request(
            "/v1/private/reviews/t1/reply", method="POST"
        ).respond_with_handler(self.reply)

    def token(self, request: Request) -> Response:
        form = request.form.to_dict()
        self.token_requests.append(form)
        basic = base64.b64encode(f"{self.KEY}:{self.SECRET}".encode()).decode()
        if not request.content_type.startswith("application/x-www-form-urlencoded"):
            return json_answer({"error": "bad content type"}, 400)
        if request.headers.get("Authorization") != f"Basic {basic}":
            return json_answer({"fault": "Invalid ApiKey"}, 401)
        if form != {"grant_type": "password", "username": "me@acme.example", "password": "pw"}:
            return json_answer({"error": "invalid_grant"}, 400)
        return json_answer(
            {"access_token": "tp-access", "refresh_token": "tp-refresh", "expires_in": "359999"}
        )

    def reply(self, request: Request) -> Response:
        self.replies.append(
            {"auth": request.headers.get("Authorization"), "body": request.get_json(silent=True)}
        )
        if self.down:
            return Response("upstream error", status=503)
        if request.headers.get("Authorization") != "Bearer tp-access":
            return json_answer({"message": "Unauthorized"}, 401)
        body = request.get_json(silent=True) or {}
        if set(body) != {"message", "authorBusinessUserId"}:
            return json_answer({"message": "Bad request"}, 400)
        return json_answer({"reply": {"message": body["message"]}}, 201)


@pytest.fixture
def trustpilot(app, httpserver):
    app.config.update(TRUSTPILOT_API_URL=httpserver.url_for("/").rstrip("/"))
    return FakeTrustpilot(httpserver)


TP_FORM = {
    "api_key": "tp-key",
    "api_secret": "tp-secret",
    "username": "me@acme.example",
    "password": "pw",
    "business_user_id": "bu-77",
}


def test_connecting_trustpilot_checks_the_login_and_posts_the_reply(
    app, brand, users, reviews, trustpilot
):
    review_sites.trustpilot_connect(db.session, brand, users["admin"], TP_FORM, app.config, NOW)
    db.session.commit()
    target = review("t1")
    approved(brand, users, target, "Thank you, {reviewer_name}!")
    reply = replies.send_reply(db.session, brand, target, users["editor"], app.config, NOW)
    db.session.commit()
    assert trustpilot.token_requests == [
        {"grant_type": "password", "username": "me@acme.example", "password": "pw"}
    ]
    assert trustpilot.replies == [
        {
            "auth": "Bearer tp-access",
            "body": {"message": "Thank you, Aisha!", "authorBusinessUserId": "bu-77"},
        }
    ]
    assert reply.status == "sent"
    assert target.reply_text == "Thank you, Aisha!"


def test_a_wrong_trustpilot_key_is_refused_and_nothing_is_kept(
    app, client, brand, users, trustpilot
):
    login(client, users["admin"].email)
    answer = client.post(
        f"/brands/{brand.id}/reviews/connect/trustpilot",
        data={**TP_FORM, "api_secret": "wrong"},
        follow_redirects=True,
    )
    assert "Trustpilot refused the API key, secret or login" in answer.get_data(as_text=True)
    assert db.session.scalar(select(ReviewConnection)) is None
    missing = client.post(
        f"/brands/{brand.id}/reviews/connect/trustpilot",
        data={"api_key": "k"},
        follow_redirects=True,
    )
    assert "Trustpilot needs: API secret" in missing.get_data(as_text=True)


def test_a_trustpilot_failure_leaves_the_reply_unsent_and_says_so_through_the_api(
    app, api, brand, users, reviews, trustpilot
):
    review_sites.trustpilot_connect(db.session, brand, users["admin"], TP_FORM, app.config, NOW)
    target = review("t1")
    approved(brand, users, target, "Thanks!")
    trustpilot.down = True
    answer = api["editor"].post(f"/api/v1/brands/{brand.id}/reviews/{target.id}/reply/send")
    assert answer.status_code == 502
    assert answer.json["error"] == "Not sent: Trustpilot refused the reply (HTTP 503)."
    state = api["viewer"].get(f"/api/v1/brands/{brand.id}/reviews/{target.id}/reply").json
    assert state["reply"]["status"] == "approved"
    assert state["reply"]["last_error"] == "Trustpilot refused the reply (HTTP 503)."
    db.session.refresh(target)
    assert target.reply_text is None


def test_an_unreachable_site_is_not_sent_and_can_be_sent_again(app, brand, users, reviews):
    app.config.update(GOOGLE_BUSINESS_API_URL="http://127.0.0.1:9", HTTP_TIMEOUT=2)
    connect_google(app, brand)
    target = review("g2")
    approved(brand, users, target)
    with pytest.raises(replies.ReplyNotSent, match="could not be reached"):
        replies.send_reply(db.session, brand, target, users["editor"], app.config, NOW)
    assert replies.reply_of(db.session, target).status == "approved"
