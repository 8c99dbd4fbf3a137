"""Facebook Pages and Instagram, both through the Graph API."""

from urllib.parse import urlencode

import pytest
from werkzeug import Response

from planner.publishing.adapters import Outcome, OutgoingPost, get_adapter

from .conftest import TIMEOUT

PAGE_TOKEN = "EAAGpagetoken123456"
IG_TOKEN = "EAAGigtoken7890123"
FEED = "/v23.0/1234/feed"
MEDIA = "/v23.0/1784/media"
PUBLISH = "/v23.0/1784/media_publish"


def post(text="Our new menu", link=None, image_url=None, key="post-3-v1"):
    return OutgoingPost(post_id=3, text=text, link=link, image_url=image_url, idempotency_key=key)


def page_creds(fake):
    return {
        "page_id": "1234",
        "page_access_token": PAGE_TOKEN,
        "base_url": fake.url_for("").rstrip("/"),
        "_allow_private": "1",
    }


def ig_creds(fake):
    return {
        "ig_user_id": "1784",
        "access_token": IG_TOKEN,
        "base_url": fake.url_for("").rstrip("/"),
        "_allow_private": "1",
    }


def graph_error(message, code, status=400, **extra):
    return Response(
        f'{{"error":{{"message":"{message}","type":"OAuthException","code":{code}'
        + "".join(f',"{k}":{v}' for k, v in extra.items())
        + ',"fbtrace_id":"AbC"}}',
        status=status,
        content_type="application/json",
    )


# --- Facebook ---------------------------------------------------------------------------


def test_facebook_post_goes_to_the_page_feed_with_message_and_link(fake):
    form = urlencode(
        {"message": "Our new menu", "link": "https://example.com/m", "access_token": PAGE_TOKEN}
    )
    fake.expect_request(
        FEED,
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        data=form,
        query_string="",
    ).respond_with_json({"id": "1234_5678"})

    result = get_adapter("facebook").publish(post(link="https://example.com/m"), page_creds(fake))

    assert result.outcome is Outcome.PUBLISHED
    assert result.platform_id == "1234_5678"
    assert result.url == "https://www.facebook.com/1234_5678"


@pytest.mark.parametrize(
    ("response", "outcome"),
    [
        (graph_error("Error validating access token", 190, error_subcode=463), Outcome.REAUTH),
        (graph_error("Application request limit reached", 4), Outcome.RETRY),
        (graph_error("Page request limit reached", 32, status=403), Outcome.RETRY),
        (
            graph_error("(#200) Requires pages_manage_posts permission", 200, status=403),
            Outcome.FAILED,
        ),
        (graph_error("Invalid parameter", 100), Outcome.FAILED),
        (graph_error("An unexpected error has occurred", 2, status=500), Outcome.UNCONFIRMED),
    ],
)
def test_facebook_errors_map_to_outcomes(fake, response, outcome):
    fake.expect_request(FEED, method="POST").respond_with_response(response)

    result = get_adapter("facebook").publish(post(), page_creds(fake))

    assert result.outcome is outcome
    assert result.status_code == response.status_code
    assert "(code" in result.reason


def test_facebook_failure_message_names_the_platform_reason(fake):
    fake.expect_request(FEED, method="POST").respond_with_response(
        graph_error("Invalid parameter", 100)
    )

    result = get_adapter("facebook").publish(post(), page_creds(fake))

    assert result.reason == "facebook answered 400: Invalid parameter (code 100)"


def test_facebook_timeout_is_unconfirmed(fake, stall):
    fake.expect_request(FEED, method="POST").respond_with_handler(stall)

    result = get_adapter("facebook").publish(post(), page_creds(fake), timeout=TIMEOUT)

    assert result.outcome is Outcome.UNCONFIRMED


def test_facebook_token_echoed_in_an_error_is_redacted(fake):
    fake.expect_request(FEED, method="POST").respond_with_response(
        graph_error(f"Bad token {PAGE_TOKEN}", 190)
    )

    result = get_adapter("facebook").publish(post(), page_creds(fake))

    assert result.outcome is Outcome.REAUTH
    assert PAGE_TOKEN not in result.reason
    assert PAGE_TOKEN not in result.response_excerpt
    assert "[redacted]" in result.response_excerpt


# --- Instagram --------------------------------------------------------------------------


def expect_container(fake, caption="Our new menu"):
    fake.expect_request(
        MEDIA,
        method="POST",
        data=urlencode(
            {
                "image_url": "https://cdn.example.com/menu.jpg",
                "caption": caption,
                "access_token": IG_TOKEN,
            }
        ),
    ).respond_with_json({"id": "17900"})


def test_instagram_creates_a_container_then_publishes_it(fake):
    expect_container(fake, caption="Our new menu\n\nhttps://example.com/m")
    fake.expect_request(
        PUBLISH, method="POST", data=urlencode({"creation_id": "17900", "access_token": IG_TOKEN})
    ).respond_with_json({"id": "17950"})
    fake.expect_request(
        "/v23.0/17950",
        method="GET",
        query_string={"fields": "permalink"},
        headers={"Authorization": f"Bearer {IG_TOKEN}"},
    ).respond_with_json({"permalink": "https://www.instagram.com/p/ABC/", "id": "17950"})

    result = get_adapter("instagram").publish(
        post(link="https://example.com/m", image_url="https://cdn.example.com/menu.jpg"),
        ig_creds(fake),
    )

    assert result.outcome is Outcome.PUBLISHED
    assert result.platform_id == "17950"
    assert result.url == "https://www.instagram.com/p/ABC/"


def test_instagram_needs_an_image(fake):
    result = get_adapter("instagram").publish(post(), ig_creds(fake))

    assert result.outcome is Outcome.FAILED
    assert "image" in result.reason
    assert fake.log == []


def test_instagram_container_timeout_is_retried(fake, stall):
    fake.expect_request(MEDIA, method="POST").respond_with_handler(stall)

    result = get_adapter("instagram").publish(
        post(image_url="https://cdn.example.com/menu.jpg"), ig_creds(fake), timeout=TIMEOUT
    )

    assert result.outcome is Outcome.RETRY
    assert "nothing published" in result.reason


def test_instagram_container_server_error_is_retried(fake):
    fake.expect_request(MEDIA, method="POST").respond_with_response(
        graph_error("An unexpected error has occurred", 2, status=500)
    )

    result = get_adapter("instagram").publish(
        post(image_url="https://cdn.example.com/menu.jpg"), ig_creds(fake)
    )

    assert result.outcome is Outcome.RETRY


def test_instagram_publish_timeout_is_unconfirmed(fake, stall):
    expect_container(fake)
    fake.expect_request(PUBLISH, method="POST").respond_with_handler(stall)

    result = get_adapter("instagram").publish(
        post(image_url="https://cdn.example.com/menu.jpg"), ig_creds(fake), timeout=TIMEOUT
    )

    assert result.outcome is Outcome.UNCONFIRMED


def test_instagram_publish_server_error_is_unconfirmed(fake):
    expect_container(fake)
    fake.expect_request(PUBLISH, method="POST").respond_with_response(
        graph_error("An unexpected error has occurred", 1, status=500)
    )

    result = get_adapter("instagram").publish(
        post(image_url="https://cdn.example.com/menu.jpg"), ig_creds(fake)
    )

    assert result.outcome is Outcome.UNCONFIRMED


def test_instagram_container_not_ready_is_retried(fake):
    expect_container(fake)
    fake.expect_request(PUBLISH, method="POST").respond_with_response(
        graph_error("Media ID is not available", 9007, error_subcode=2207027)
    )

    result = get_adapter("instagram").publish(
        post(image_url="https://cdn.example.com/menu.jpg"), ig_creds(fake)
    )

    assert result.outcome is Outcome.RETRY


@pytest.mark.parametrize(
    ("response", "outcome"),
    [
        (graph_error("Error validating access token", 190), Outcome.REAUTH),
        (graph_error("Only photo or video can be accepted as media type", 9004), Outcome.FAILED),
        (graph_error("Application request limit reached", 4), Outcome.RETRY),
    ],
)
def test_instagram_container_errors_map_to_outcomes(fake, response, outcome):
    fake.expect_request(MEDIA, method="POST").respond_with_response(response)

    result = get_adapter("instagram").publish(
        post(image_url="https://cdn.example.com/menu.jpg"), ig_creds(fake)
    )

    assert result.outcome is outcome


def test_instagram_container_answered_without_an_id_publishes_nothing(fake):
    fake.expect_request(MEDIA, method="POST").respond_with_json({"status": "ok"})

    result = get_adapter("instagram").publish(
        post(image_url="https://cdn.example.com/menu.jpg"), ig_creds(fake)
    )

    assert result.outcome is Outcome.RETRY and not result.may_have_landed
    assert "nothing was posted" in result.reason
    assert [r.path for r, _ in fake.log] == [MEDIA]


def test_facebook_redirect_created_nothing(fake):
    fake.expect_request(FEED, method="POST").respond_with_response(
        Response(status=302, headers={"Location": "https://www.facebook.com/login"})
    )

    result = get_adapter("facebook").publish(post(), page_creds(fake))

    assert result.outcome is Outcome.FAILED
    assert "redirected to https://www.facebook.com/login" in result.reason
