"""LinkedIn (Posts API) and X (API v2): neither de-duplicates, so doubt is UNCONFIRMED."""

import time

import pytest
from werkzeug import Response

from planner.publishing.adapters import Outcome, OutgoingPost, get_adapter
from planner.publishing.adapters.linkedin import escape_little_text

from .conftest import TIMEOUT

LI_TOKEN = "AQVlinkedintoken42"
X_TOKEN = "x-user-token-4242"


def post(text="Join our webinar", link=None, key="post-5-v1", **extra):
    return OutgoingPost(
        post_id=5, text=text, link=link, image_url=None, idempotency_key=key, **extra
    )


def li_creds(fake):
    return {
        "access_token": LI_TOKEN,
        "author_urn": "urn:li:organization:5515715",
        "base_url": fake.url_for("").rstrip("/"),
        "_allow_private": "1",
    }


def x_creds(fake):
    return {
        "access_token": X_TOKEN,
        "base_url": fake.url_for("").rstrip("/"),
        "_allow_private": "1",
    }


def json_response(body, status, headers=None):
    return Response(body, status=status, headers=headers or {}, content_type="application/json")


# --- LinkedIn ---------------------------------------------------------------------------


def test_linkedin_post_is_created_with_an_article_for_the_link(fake):
    fake.expect_request(
        "/rest/posts",
        method="POST",
        headers={
            "Authorization": f"Bearer {LI_TOKEN}",
            "LinkedIn-Version": "202511",
            "X-Restli-Protocol-Version": "2.0.0",
            "Content-Type": "application/json",
        },
        json={
            "author": "urn:li:organization:5515715",
            "commentary": "Join our webinar \\(free\\)",
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
            "content": {"article": {"source": "https://example.com/webinar", "title": "Webinar"}},
        },
    ).respond_with_response(
        Response(status=201, headers={"x-restli-id": "urn:li:share:6844785523593134080"})
    )

    result = get_adapter("linkedin").publish(
        post(text="Join our webinar (free)", link="https://example.com/webinar", title="Webinar"),
        li_creds(fake),
    )

    assert result.outcome is Outcome.PUBLISHED
    assert result.platform_id == "urn:li:share:6844785523593134080"
    assert result.url == "https://www.linkedin.com/feed/update/urn:li:share:6844785523593134080/"


def test_linkedin_reserved_characters_are_escaped():
    assert escape_little_text("50% off (today) #sale @team [x] <y> a_b *c* ~d~ {e} |f| \\g") == (
        "50% off \\(today\\) \\#sale \\@team \\[x\\] \\<y\\> a\\_b \\*c\\* \\~d\\~ "
        "\\{e\\} \\|f\\| \\\\g"
    )


@pytest.mark.parametrize(
    ("status", "body", "outcome"),
    [
        (
            401,
            '{"status":401,"serviceErrorCode":65601,"code":"REVOKED_ACCESS_TOKEN",'
            '"message":"The token used in the request has been revoked by the user"}',
            Outcome.REAUTH,
        ),
        (
            422,
            '{"status":422,"message":"ERROR :: /commentary :: length 3001 exceeds 3000"}',
            Outcome.FAILED,
        ),
        (
            403,
            '{"status":403,"serviceErrorCode":100,"code":"ACCESS_DENIED",'
            '"message":"Not enough permissions to access: partnerApiPostsExternal.CREATE"}',
            Outcome.FAILED,
        ),
        (400, '{"status":400,"message":"Invalid author"}', Outcome.FAILED),
        (500, '{"status":500,"message":"Internal Server Error"}', Outcome.UNCONFIRMED),
    ],
)
def test_linkedin_errors_map_to_outcomes(fake, status, body, outcome):
    fake.expect_request("/rest/posts", method="POST").respond_with_response(
        json_response(body, status)
    )

    result = get_adapter("linkedin").publish(post(), li_creds(fake))

    assert result.outcome is outcome
    assert result.status_code == status
    if outcome is Outcome.FAILED:
        assert result.reason.startswith(f"linkedin answered {status}: ")


def test_linkedin_rate_limit_is_retried_after_the_given_delay(fake):
    fake.expect_request("/rest/posts", method="POST").respond_with_response(
        json_response('{"status":429,"message":"Too many requests"}', 429, {"Retry-After": "60"})
    )

    result = get_adapter("linkedin").publish(post(), li_creds(fake))

    assert result.outcome is Outcome.RETRY
    assert result.retry_after == 60


def test_linkedin_timeout_is_unconfirmed(fake, stall):
    fake.expect_request("/rest/posts", method="POST").respond_with_handler(stall)

    result = get_adapter("linkedin").publish(post(), li_creds(fake), timeout=TIMEOUT)

    assert result.outcome is Outcome.UNCONFIRMED
    assert "may have been published" in result.reason


# --- X ----------------------------------------------------------------------------------


def test_x_post_is_created_with_the_link_in_the_text(fake):
    fake.expect_request(
        "/2/tweets",
        method="POST",
        headers={"Authorization": f"Bearer {X_TOKEN}", "Content-Type": "application/json"},
        json={"text": "Join our webinar\n\nhttps://example.com/w"},
    ).respond_with_json(
        {"data": {"id": "1445880548472328192", "text": "Join our webinar"}}, status=201
    )

    result = get_adapter("x").publish(post(link="https://example.com/w"), x_creds(fake))

    assert result.outcome is Outcome.PUBLISHED
    assert result.platform_id == "1445880548472328192"
    assert result.url == "https://x.com/i/web/status/1445880548472328192"


def test_x_reply_names_the_tweet_it_answers(fake):
    fake.expect_request(
        "/2/tweets",
        method="POST",
        json={"text": "Thanks!", "reply": {"in_reply_to_tweet_id": "1445880548472328192"}},
    ).respond_with_json({"data": {"id": "2", "text": "Thanks!"}}, status=201)

    result = get_adapter("x").publish(
        post(text="Thanks!", in_reply_to="1445880548472328192"), x_creds(fake)
    )

    assert result.outcome is Outcome.PUBLISHED


def test_x_duplicate_is_refused_with_its_message(fake):
    fake.expect_request("/2/tweets", method="POST").respond_with_response(
        json_response(
            '{"detail":"You are not allowed to create a Tweet with duplicate content.",'
            '"type":"about:blank","title":"Forbidden","status":403}',
            403,
        )
    )

    result = get_adapter("x").publish(post(), x_creds(fake))

    assert result.outcome is Outcome.FAILED
    assert "duplicate content" in result.reason


def test_x_expired_token_asks_for_reauthorisation(fake):
    fake.expect_request("/2/tweets", method="POST").respond_with_response(
        json_response(
            '{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}',
            401,
        )
    )

    assert get_adapter("x").publish(post(), x_creds(fake)).outcome is Outcome.REAUTH


def test_x_rate_limit_waits_until_the_reset_time(fake):
    reset = int(time.time()) + 900
    fake.expect_request("/2/tweets", method="POST").respond_with_response(
        json_response(
            '{"title":"Too Many Requests","detail":"Too Many Requests","status":429}',
            429,
            {"x-rate-limit-reset": str(reset), "x-rate-limit-remaining": "0"},
        )
    )

    result = get_adapter("x").publish(post(), x_creds(fake))

    assert result.outcome is Outcome.RETRY
    assert 890 <= result.retry_after <= 900


@pytest.mark.parametrize("status", [500, 502, 503])
def test_x_server_error_without_retry_after_is_unconfirmed(fake, status):
    fake.expect_request("/2/tweets", method="POST").respond_with_response(
        json_response('{"title":"Service Unavailable"}', status)
    )

    assert get_adapter("x").publish(post(), x_creds(fake)).outcome is Outcome.UNCONFIRMED


def test_x_503_with_retry_after_is_retried(fake):
    fake.expect_request("/2/tweets", method="POST").respond_with_response(
        json_response('{"title":"Service Unavailable"}', 503, {"Retry-After": "30"})
    )

    result = get_adapter("x").publish(post(), x_creds(fake))

    assert result.outcome is Outcome.RETRY
    assert result.retry_after == 30


def test_x_timeout_is_unconfirmed(fake, stall):
    fake.expect_request("/2/tweets", method="POST").respond_with_handler(stall)

    result = get_adapter("x").publish(post(), x_creds(fake), timeout=TIMEOUT)

    assert result.outcome is Outcome.UNCONFIRMED


@pytest.mark.parametrize("platform", ["x", "linkedin"])
def test_redirect_on_create_fails_and_a_2xx_without_id_needs_a_person(fake, platform):
    path = "/2/tweets" if platform == "x" else "/rest/posts"
    make_creds = x_creds if platform == "x" else li_creds
    fake.expect_oneshot_request(path, method="POST").respond_with_response(
        Response(status=307, headers={"Location": "https://elsewhere.example/"})
    )
    fake.expect_oneshot_request(path, method="POST").respond_with_json({}, status=200)

    redirected = get_adapter(platform).publish(post(), make_creds(fake))
    without_id = get_adapter(platform).publish(post(), make_creds(fake))

    # A redirect is never followed: nothing landed. A 2xx may have made the post, and neither
    # platform de-duplicates a re-send.
    assert redirected.outcome is Outcome.FAILED and "redirected" in redirected.reason
    assert without_id.outcome is Outcome.UNCONFIRMED
