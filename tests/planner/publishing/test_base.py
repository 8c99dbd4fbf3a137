"""Rules every adapter shares: transport failures, Retry-After, redaction, the registry."""

import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from planner.publishing import PLATFORMS, Adapter, UnknownPlatform, get_adapter
from planner.publishing.adapters import Outcome, OutgoingPost
from planner.publishing.adapters.base import compose_text, parse_retry_after, redact

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
