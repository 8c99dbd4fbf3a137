"""Rules every adapter shares: transport failures, Retry-After, redaction, the registry."""

import base64
import html
import json
import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from urllib.parse import quote, quote_plus

import pytest

from planner.publishing import PLATFORMS, Adapter, UnknownPlatform, get_adapter
from planner.publishing.adapters import Outcome, OutgoingPost
from planner.publishing.adapters.base import (
    compose_text,
    parse_retry_after,
    redact,
    secret_values,
)

from .conftest import TIMEOUT


def post(text="Hello"):
    return OutgoingPost(post_id=1, text=text, link=None, image_url=None, idempotency_key="k-1")


def test_every_platform_has_an_adapter_that_fits_the_interface():
    assert set(PLATFORMS) == {
        "mastodon",
        "bluesky",
        "linkedin",
        "facebook",
        "instagram",
        "x",
        "wordpress",
        "webhook",
    }
    for platform in PLATFORMS:
        adapter = get_adapter(platform)
        assert isinstance(adapter, Adapter)
        assert adapter.platform == platform
    assert get_adapter("Twitter") is get_adapter("x")


def test_unknown_platform_is_an_error():
    with pytest.raises(UnknownPlatform, match="myspace"):
        get_adapter("myspace")


def test_refused_connection_is_retried_even_where_resends_are_unsafe(refused_url):
    result = get_adapter("x").publish(
        post(),
        {"access_token": "t0ken-abc", "base_url": refused_url, "_allow_private": "1"},
        timeout=TIMEOUT,
    )

    assert result.outcome is Outcome.RETRY
    assert result.status_code is None


def test_dropped_connection_after_sending_is_unconfirmed(hangup_url):
    result = get_adapter("x").publish(
        post(),
        {"access_token": "t0ken-abc", "base_url": hangup_url, "_allow_private": "1"},
        timeout=TIMEOUT,
    )

    assert result.outcome is Outcome.UNCONFIRMED


def test_dropped_connection_is_retried_where_the_platform_deduplicates(hangup_url):
    result = get_adapter("webhook").publish(
        post(),
        {"url": hangup_url, "secret": "whsec_c2VjcmV0LWtleQ==", "_allow_private": "1"},
        timeout=TIMEOUT,
    )

    assert result.outcome is Outcome.RETRY


def test_dns_failure_is_retried(monkeypatch):
    def fail(*args, **kwargs):
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", fail)

    result = get_adapter("linkedin").publish(
        post(), {"access_token": "t0ken-abc", "author_urn": "urn:li:person:1"}
    )

    assert result.outcome is Outcome.RETRY
    assert "could not be resolved" in result.reason


def test_retry_after_accepts_seconds_and_http_dates():
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=90), usegmt=True)

    assert parse_retry_after("120") == 120
    assert parse_retry_after(later, now=now.timestamp()) == 90
    assert parse_retry_after(format_datetime(now - timedelta(hours=1), usegmt=True)) == 0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_secrets_and_token_shapes_are_redacted():
    text = (
        'token s3cr3t-value leaked; {"access_token":"abcdef123456"} '
        "Authorization: Bearer zzzzzzzzzzzz eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTYifQ.c2ln"
    )

    cleaned = redact(text, frozenset({"s3cr3t-value"}))

    for secret in ("s3cr3t-value", "abcdef123456", "zzzzzzzzzzzz", "eyJhbGciOiJIUzI1NiJ9"):
        assert secret not in cleaned
    assert cleaned.count("[redacted]") == 4


def test_link_is_appended_once():
    assert compose_text("New menu", "https://e.com/m") == "New menu\n\nhttps://e.com/m"
    assert compose_text("See https://e.com/m today", "https://e.com/m") == (
        "See https://e.com/m today"
    )
    assert compose_text("New menu", None) == "New menu"


# --- secrets in every shape they come back in ------------------------------------------

HOOK_TOKEN = "XyZ9/tok+en=42abc"
HOOK_URL = "https://hooks.example.com/services/T0001/" + quote(HOOK_TOKEN, safe="")
WP_USER, WP_PASSWORD = "editor", "abcd EFGH 1234 ijkl"


def shapes_of(secret: str) -> dict[str, str]:
    return {
        "raw": secret,
        "url-encoded": quote(secret, safe=""),
        "url-encoded-lower-hex": quote(secret, safe="").replace("%2F", "%2f"),
        "form-encoded": quote_plus(secret),
        "json-escaped-slashes": json.dumps(secret)[1:-1].replace("/", "\\/"),
        "html-escaped": html.escape(secret),
        "base64": base64.b64encode(secret.encode()).decode(),
    }


@pytest.mark.parametrize("shape", list(shapes_of(HOOK_TOKEN)))
def test_a_secret_is_redacted_in_every_shape(shape):
    secret = "s3cr/et+v&l<ue>"
    shown = shapes_of(secret)[shape]

    cleaned = redact(f"the receiver said: {shown}!", {secret})

    assert cleaned == "the receiver said: [redacted]!"


@pytest.mark.parametrize(
    "echo",
    [
        HOOK_URL,
        json.dumps({"url": HOOK_URL}),  # JSON escapes nothing here, but a PHP receiver does:
        json.dumps({"url": HOOK_URL}).replace("/", "\\/"),
        f"POST /services/T0001/{quote(HOOK_TOKEN, safe='')} not found",  # the path alone
        f"unknown hook {HOOK_TOKEN}",  # the token part, percent-decoded
        f"unknown hook {quote(HOOK_TOKEN, safe='').replace('%2F', '%2f')}",
        html.escape(f'<a href="{HOOK_URL}">'),
    ],
    ids=["url", "json", "json-escaped-slashes", "path", "decoded-token", "lower-hex", "html"],
)
def test_a_webhook_urls_token_is_redacted_however_the_receiver_echoes_it(echo):
    cleaned = redact(echo, secret_values({"url": HOOK_URL, "secret": "whsec_AAAA"}))

    assert "tok" not in cleaned and "42abc" not in cleaned
    assert "[redacted]" in cleaned


@pytest.mark.parametrize(
    "echo",
    [
        "Authorization: Basic " + base64.b64encode(f"{WP_USER}:{WP_PASSWORD}".encode()).decode(),
        "password=" + base64.b64encode(WP_PASSWORD.encode()).decode(),
        quote(WP_PASSWORD),
        json.dumps({"password": WP_PASSWORD}),
    ],
    ids=["basic-user-password", "base64-password", "url-encoded", "json"],
)
def test_a_basic_auth_value_is_redacted_in_its_base64_shapes(echo):
    cleaned = redact(echo, secret_values({"username": WP_USER, "app_password": WP_PASSWORD}))

    assert "[redacted]" in cleaned
    for secret in (WP_PASSWORD, *shapes_of(WP_PASSWORD).values()):
        assert secret not in cleaned
    assert base64.b64encode(f"{WP_USER}:{WP_PASSWORD}".encode()).decode() not in cleaned


def test_public_credential_values_stay_readable():
    cleaned = redact(
        "site https://blog.example.com user editor",
        secret_values({"site_url": "https://blog.example.com", "username": "editor"}),
    )

    assert cleaned == "site https://blog.example.com user editor"


def test_a_webhook_path_without_a_token_keeps_its_ordinary_words():
    secrets = secret_values({"url": "https://hooks.example.com/hooks/pageone", "secret": "x" * 8})

    assert redact("no route for hooks here", secrets) == "no route for hooks here"
