import pytest
import requests
from werkzeug import Response

from planner.publishing.adapters import Outcome, OutgoingPost, get_adapter
from planner.publishing.adapters.mastodon import countable_length

from .conftest import TIMEOUT

TOKEN = "alice_token"  # seeded by mastodon-mock's default test seed
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99"
    b"=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


def post(key="post-1-v1", text="Spring menu is live", link=None, image_url=None, **extra):
    return OutgoingPost(
        post_id=1, text=text, link=link, image_url=image_url, idempotency_key=key, **extra
    )


def creds(base_url, token=TOKEN):
    return {"base_url": base_url, "access_token": token, "_allow_private": "1"}


def fetch_status(server, status_id):
    response = requests.get(
        f"{server.base_url}/api/v1/statuses/{status_id}",
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=5,
    )
    response.raise_for_status()
    return response.json()


def own_status_count(server):
    headers = {"Authorization": f"Bearer {TOKEN}"}
    me = requests.get(
        f"{server.base_url}/api/v1/accounts/verify_credentials", headers=headers, timeout=5
    ).json()
    return me["statuses_count"]


# --- against a real mastodon-mock server --------------------------------------------------


def test_status_is_published_with_the_link_appended(mastodon_server):
    result = get_adapter("mastodon").publish(
        post(key="m-publish", link="https://example.com/menu"), creds(mastodon_server.base_url)
    )

    assert result.outcome is Outcome.PUBLISHED
    assert result.platform_id and result.url
    status = fetch_status(mastodon_server, result.platform_id)
    assert "Spring menu is live" in status["content"]
    assert "https://example.com/menu" in status["content"]
    assert status["url"] == result.url


def test_retry_with_the_same_idempotency_key_does_not_post_twice(mastodon_server):
    adapter = get_adapter("mastodon")
    before = own_status_count(mastodon_server)

    first = adapter.publish(post(key="m-retry"), creds(mastodon_server.base_url))
    again = adapter.publish(post(key="m-retry"), creds(mastodon_server.base_url))
    other = adapter.publish(post(key="m-retry-v2"), creds(mastodon_server.base_url))

    assert first.outcome is again.outcome is other.outcome is Outcome.PUBLISHED
    assert again.platform_id == first.platform_id
    assert other.platform_id != first.platform_id
    assert own_status_count(mastodon_server) == before + 2


def test_text_over_the_instance_limit_fails_before_posting(mastodon_server):
    before = own_status_count(mastodon_server)

    result = get_adapter("mastodon").publish(
        post(key="m-long", text="x" * 501), creds(mastodon_server.base_url)
    )

    assert result.outcome is Outcome.FAILED
    assert "500" in result.reason
    assert result.status_code is None
    assert own_status_count(mastodon_server) == before


def test_invalid_token_asks_for_reauthorisation(mastodon_server):
    result = get_adapter("mastodon").publish(
        post(key="m-badtoken"), creds(mastodon_server.base_url, token="revoked-token-123")
    )

    assert result.outcome is Outcome.REAUTH
    assert result.status_code == 401
    assert "revoked-token-123" not in (result.reason or "") + (result.response_excerpt or "")


def test_image_is_uploaded_and_attached(mastodon_server, fake):
    fake.expect_request("/img/menu.png", method="GET").respond_with_data(
        PNG, content_type="image/png"
    )

    result = get_adapter("mastodon").publish(
        post(key="m-image", image_url=fake.url_for("/img/menu.png")),
        creds(mastodon_server.base_url),
    )

    assert result.outcome is Outcome.PUBLISHED
    attachments = fetch_status(mastodon_server, result.platform_id)["media_attachments"]
    assert len(attachments) == 1
    assert attachments[0]["type"] == "image"


def test_reply_is_threaded_under_its_parent(mastodon_server):
    adapter = get_adapter("mastodon")
    parent = adapter.publish(post(key="m-parent"), creds(mastodon_server.base_url))

    reply = adapter.publish(
        post(key="m-reply", text="And the dessert list", in_reply_to=parent.platform_id),
        creds(mastodon_server.base_url),
    )

    assert reply.outcome is Outcome.PUBLISHED
    assert fetch_status(mastodon_server, reply.platform_id)["in_reply_to_id"] == parent.platform_id


# --- against a pytest-fake fake, for what the mock cannot do ----------------------


def instance(fake, max_characters=500):
    fake.expect_request("/api/v2/instance", method="GET").respond_with_json(
        {"configuration": {"statuses": {"max_characters": max_characters}}}
    )


def test_limit_is_read_from_the_instance_and_cached(fake):
    instance(fake, max_characters=1000)
    fake.expect_request(
        "/api/v1/statuses",
        method="POST",
        headers={
            "Authorization": f"Bearer {TOKEN}",
            "Idempotency-Key": "m-fake-1",
        },
        json={"status": "y" * 800},
    ).respond_with_json({"id": "111", "url": "https://social.example/@brand/111"})
    adapter = get_adapter("mastodon")

    first = adapter.publish(post(key="m-fake-1", text="y" * 800), creds(fake.url_for("")))
    second = adapter.publish(post(key="m-fake-2", text="z" * 1001), creds(fake.url_for("/")))

    assert first.outcome is Outcome.PUBLISHED
    assert first.platform_id == "111"
    assert first.url == "https://social.example/@brand/111"
    assert second.outcome is Outcome.FAILED
    assert "1000" in second.reason
    instance_calls = [r for r, _ in fake.log if r.path == "/api/v2/instance"]
    assert len(instance_calls) == 1


def test_urls_count_as_23_characters():
    assert countable_length("see https://example.com/" + "a" * 100) == 4 + 23
    assert countable_length("hi @alice@social.example") == len("hi @alice")


def test_timeout_is_retried_because_the_key_deduplicates(fake, stall):
    instance(fake)
    fake.expect_request(
        "/api/v1/statuses", method="POST", headers={"Idempotency-Key": "m-slow"}
    ).respond_with_handler(stall)

    result = get_adapter("mastodon").publish(
        post(key="m-slow"), creds(fake.url_for("")), timeout=TIMEOUT
    )

    assert result.outcome is Outcome.RETRY
    assert "no answer" in result.reason


def test_server_error_is_retried(fake):
    instance(fake)
    fake.expect_request("/api/v1/statuses", method="POST").respond_with_json(
        {"error": "Internal server error"}, status=500
    )

    result = get_adapter("mastodon").publish(post(), creds(fake.url_for("")))

    assert result.outcome is Outcome.RETRY
    assert result.status_code == 500


def test_validation_error_fails_with_mastodons_message(fake):
    instance(fake)
    fake.expect_request("/api/v1/statuses", method="POST").respond_with_json(
        {"error": "Validation failed: Text can't be blank"}, status=422
    )

    result = get_adapter("mastodon").publish(post(), creds(fake.url_for("")))

    assert result.outcome is Outcome.FAILED
    assert result.status_code == 422
    assert "Text can't be blank" in result.reason


def test_rate_limit_is_retried_after_the_reset_time(fake):
    instance(fake)
    fake.expect_request("/api/v1/statuses", method="POST").respond_with_response(
        Response(
            '{"error":"Too many requests"}',
            status=429,
            headers={"X-RateLimit-Reset": "2099-01-01T00:00:00.000Z"},
            content_type="application/json",
        )
    )

    result = get_adapter("mastodon").publish(post(), creds(fake.url_for("")))

    assert result.outcome is Outcome.RETRY
    assert result.retry_after > 3600


def test_unreachable_instance_is_retried(refused_url):
    result = get_adapter("mastodon").publish(post(), creds(refused_url), timeout=TIMEOUT)

    assert result.outcome is Outcome.RETRY
    assert "could not connect" in result.reason


def test_loopback_instance_is_refused_unless_the_operator_allows_it(fake):
    result = get_adapter("mastodon").publish(
        post(), {"base_url": fake.url_for(""), "access_token": TOKEN}
    )

    assert result.outcome is Outcome.FAILED
    assert "URL refused" in result.reason
    assert fake.log == []


def test_missing_credentials_fail_without_a_request():
    result = get_adapter("mastodon").publish(post(), {"base_url": "https://social.example"})

    assert result.outcome is Outcome.FAILED
    assert "access_token" in result.reason


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_redirected_status_created_nothing_and_fails_with_the_address(fake, status):
    instance(fake)
    fake.expect_request("/api/v1/statuses", method="POST").respond_with_response(
        Response(status=status, headers={"Location": "https://www.social.example/api/v1/statuses"})
    )

    result = get_adapter("mastodon").publish(post(), creds(fake.url_for("")))

    # Never followed: nothing was made where it points, and the instance did not make it here.
    assert result.outcome is Outcome.FAILED
    assert "redirected to https://www.social.example" in result.reason
    assert len([r for r, _ in fake.log if r.method == "POST"]) == 1


def test_status_answered_without_an_id_is_retried_under_the_same_key(fake):
    instance(fake)
    fake.expect_request("/api/v1/statuses", method="POST").respond_with_json({"content": "?"})

    result = get_adapter("mastodon").publish(post(), creds(fake.url_for("")))

    assert result.outcome is Outcome.RETRY and result.may_have_landed


def test_media_upload_answered_without_an_id_posts_nothing(fake):
    instance(fake)
    fake.expect_request("/img.png").respond_with_data(b"\x89PNG....", content_type="image/png")
    fake.expect_request("/api/v2/media", method="POST").respond_with_json({"type": "image"})

    result = get_adapter("mastodon").publish(
        post(image_url=fake.url_for("/img.png")), creds(fake.url_for(""))
    )

    assert result.outcome is Outcome.RETRY and not result.may_have_landed
    assert not [r for r, _ in fake.log if r.path == "/api/v1/statuses"]
