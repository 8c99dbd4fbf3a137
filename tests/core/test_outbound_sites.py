"""Every place that fetches for a user, against every trick that tries to reach a loopback port.

A sink listens on loopback and counts every connection it accepts: with private addresses not
allowed, no site may reach it, whatever shape the URL takes. A second server on 127.0.0.2 plays a
public host (the guard is told to treat that one address as public), so that redirects and DNS
rebinding can be tried without any traffic leaving the machine.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
import requests

import core.outbound as outbound
from core.outbound import OutboundBlocked, guarded_session
from listening.fetch import FetchError, post_json
from listening.models import SourceKind
from listening.sources import SourceError, fetch_source
from planner.notifications import send_webhook
from planner.publishing.adapters import base
from planner.publishing.adapters.base import ALLOW_PRIVATE_KEY, Outcome, OutgoingPost
from planner.publishing.adapters.bluesky import BlueskyAdapter
from planner.publishing.adapters.mastodon import MastodonAdapter, download_image
from planner.publishing.adapters.webhook import WebhookAdapter
from planner.publishing.adapters.wordpress import WordPressAdapter
from serp.providers import QuerySpec, fetch_results, get_provider
from serp.providers.http import HttpClient

PLAYS_PUBLIC = ipaddress.ip_address("127.0.0.2")
REBIND_HOST = "rebind.pageone.test"


class Listener:
    """A loopback server that counts connections and answers each request with ``answer``."""

    def __init__(self, host: str, port: int, answer: bytes) -> None:
        self.server = socket.create_server((host, port))
        self.port = self.server.getsockname()[1]
        self.answer = answer
        self.connections = 0
        self.requests: list[bytes] = []
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.server.settimeout(0.05)
        while not self._stop:
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            with conn:
                conn.settimeout(2)
                try:
                    self.requests.append(conn.recv(65536))
                    conn.sendall(self.answer)
                except OSError:
                    pass

    def close(self) -> None:
        self._stop = True
        self.thread.join(timeout=2)
        self.server.close()


FEED = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>internal</title>'
    b"<item><title>secret internal page</title><link>http://internal/</link></item>"
    b"</channel></rss>"
)


def http_answer(status: str, body: bytes, extra: str = "") -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: application/rss+xml\r\n{extra}"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


@pytest.fixture
def sink():
    listener = Listener("127.0.0.1", 0, http_answer("200 OK", FEED))
    yield listener
    listener.close()


@pytest.fixture
def public_relay(sink, monkeypatch):
    """A "public" server on 127.0.0.2, on the sink's port, that redirects to the sink."""
    target = f"http://127.0.0.1:{sink.port}/internal"
    relay = Listener(
        "127.0.0.2", sink.port, http_answer("302 Found", b"", f"Location: {target}\r\n")
    )
    real_is_public = outbound.is_public_address
    monkeypatch.setattr(
        outbound,
        "is_public_address",
        lambda address: address == PLAYS_PUBLIC or real_is_public(address),
    )
    yield relay
    relay.close()


@pytest.fixture
def rebinding_dns(monkeypatch):
    """The rebinding host resolves to the "public" address once, then to loopback."""
    real = socket.getaddrinfo
    answers = iter(["127.0.0.2"])
    calls = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host != REBIND_HOST:
            return real(host, port, *args, **kwargs)
        address = next(answers, "127.0.0.1")
        calls.append(address)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return calls


def tricks(port: int) -> dict[str, str]:
    return {
        "backslash before @": f"http://127.0.0.1:{port}\\@93.184.215.14/",
        "loopback literal": f"http://127.0.0.1:{port}/",
        "localhost": f"http://localhost:{port}/",
        "decimal address": f"http://2130706433:{port}/",
        "hex address": f"http://0x7f.0.0.1:{port}/",
        "short address": f"http://127.1:{port}/",
        "IPv4-mapped IPv6": f"http://[::ffff:127.0.0.1]:{port}/",
        "IPv6 loopback": f"http://[::1]:{port}/",
        "user-info": f"http://93.184.215.14@127.0.0.1:{port}/",
        "fragment before @": f"http://127.0.0.1:{port}#@93.184.215.14/",
        "tab in host": f"http://127.0.0.1:{port}\t/",
        "redirect to loopback": f"http://127.0.0.2:{port}/feed",
        "DNS rebinding": f"http://{REBIND_HOST}:{port}/feed",
    }


CONFIG = {"OUTBOUND_ALLOW_PRIVATE": False, "HTTP_TIMEOUT": 3, "SERP_MAX_RETRIES": 0}
NOW = datetime(2026, 12, 1, tzinfo=UTC)
POST = OutgoingPost(
    post_id=1,
    text="Hello",
    link=None,
    image_url=None,
    idempotency_key="k" * 32,
    title="Hello",
    slug="hello",
)


def source(kind: SourceKind, url: str) -> SimpleNamespace:
    return SimpleNamespace(kind_enum=kind, url=url, query="brand")


def listening_site(kind: SourceKind) -> Callable[[str, dict], str]:
    def run(url: str, config: dict) -> str:
        try:
            items = fetch_source(source(kind, url), config, NOW)
        except FetchError as exc:
            return f"refused: {exc}"
        except SourceError as exc:
            return f"fetched, then: {exc}"
        return f"fetched {len(items)} items"

    return run


def serp_site(provider_name: str) -> Callable[[str, dict], str]:
    def run(url: str, config: dict) -> str:
        fast = {
            name: {"rate": 1000.0, "burst": 1000, "concurrency": 4} for name in ("html", "searxng")
        }
        provider = get_provider(provider_name, HttpClient({**config, "SERP_PROVIDER_LIMITS": fast}))
        outcome = fetch_results(provider, QuerySpec("brand"), {"base_url": url})
        return f"{outcome.status}: {outcome.reason}"

    return run


def publish_site(adapter: base.BaseAdapter, credentials: dict[str, str]) -> Callable:
    url_key = next(key for key, value in credentials.items() if value == "URL")

    def run(url: str, config: dict) -> str:
        given = {**credentials, url_key: url}
        if config["OUTBOUND_ALLOW_PRIVATE"]:
            given[ALLOW_PRIVATE_KEY] = "1"
        result = adapter.publish(POST, given, timeout=3)
        if result.outcome is Outcome.PUBLISHED:
            return "sent"
        return f"{result.outcome}: {result.reason}"

    return run


def image_download(url: str, config: dict) -> str:
    allow = bool(config["OUTBOUND_ALLOW_PRIVATE"])
    call = base.Call(
        session=guarded_session(allow_private=allow),
        timeout=3,
        secrets=frozenset(),
        allow_private=allow,
        platform="mastodon",
    )
    try:
        download_image(url, call)
    except (base.Rejected, OutboundBlocked) as exc:
        return f"refused: {exc}"
    return "downloaded"


def notification_webhook(url: str, config: dict) -> str:
    try:
        send_webhook({**config, "NOTIFY_WEBHOOK_URL": url}, {"event": "test"})
    except (OutboundBlocked, requests.RequestException) as exc:
        return f"refused: {exc}"
    return "sent"


def crisis_webhook(url: str, config: dict) -> str:
    try:
        return f"sent: {post_json(url, {'event': 'test'}, config)}"
    except FetchError as exc:
        return f"refused: {exc}"


SITES: dict[str, Callable[[str, dict], str]] = {
    "listening RSS": listening_site(SourceKind.RSS),
    "listening Google Alerts": listening_site(SourceKind.GOOGLE_ALERTS),
    "listening Mastodon tag": listening_site(SourceKind.MASTODON_TAG),
    "listening Mastodon search": listening_site(SourceKind.MASTODON_SEARCH),
    "listening Bluesky search": listening_site(SourceKind.BLUESKY_SEARCH),
    "SearXNG base URL": serp_site("searxng"),
    "result page fetch base URL": serp_site("html"),
    "webhook publishing": publish_site(WebhookAdapter(), {"url": "URL", "secret": "s" * 32}),
    "WordPress publishing": publish_site(
        WordPressAdapter(), {"site_url": "URL", "username": "u", "app_password": "p" * 24}
    ),
    "Mastodon publishing": publish_site(
        MastodonAdapter(), {"base_url": "URL", "access_token": "t" * 24}
    ),
    "Bluesky publishing": publish_site(
        BlueskyAdapter(), {"service": "URL", "handle": "a.bsky.social", "app_password": "p" * 19}
    ),
    "image download": image_download,
    "notification webhook (planner, serp alerts)": notification_webhook,
    "listening crisis webhook": crisis_webhook,
}

TRICK_NAMES = list(tricks(1))


@pytest.mark.parametrize("trick", TRICK_NAMES)
@pytest.mark.parametrize("site", list(SITES))
def test_no_fetch_site_reaches_loopback_through_any_trick(
    site, trick, sink, public_relay, rebinding_dns
):
    url = tricks(sink.port)[trick]
    outcome = SITES[site](url, dict(CONFIG))
    assert sink.connections == 0, f"{site} reached the loopback sink with {trick}: {outcome}"
    if trick == "redirect to loopback":
        assert public_relay.connections >= 1  # the first, public hop was asked; not the next
    elif trick != "DNS rebinding":  # a site may reach the "public" relay: the checked address
        assert not outcome.startswith(("fetched", "sent", "downloaded")), outcome


@pytest.mark.parametrize("site", list(SITES))
def test_each_site_really_sends_when_the_operator_allows_private_addresses(site, sink):
    """The matrix above can fail: with private addresses allowed each site reaches the sink."""
    SITES[site](f"http://127.0.0.1:{sink.port}/", {**CONFIG, "OUTBOUND_ALLOW_PRIVATE": True})
    assert sink.connections >= 1


def test_a_connection_goes_only_to_the_address_that_was_checked(sink, public_relay, monkeypatch):
    """One look-up per connection: the address checked is the address connected to."""
    real = socket.getaddrinfo
    calls = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host != REBIND_HOST:
            return real(host, port, *args, **kwargs)
        address = "127.0.0.2" if not calls else "127.0.0.1"
        calls.append(address)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    with guarded_session() as session:
        response = session.get(
            f"http://{REBIND_HOST}:{sink.port}/feed", timeout=3, allow_redirects=False
        )
    assert response.status_code == 302  # the relay on the checked address answered
    assert calls == ["127.0.0.2"]
    assert public_relay.connections == 1 and sink.connections == 0


def test_requests_following_redirects_itself_still_checks_every_hop(sink, public_relay):
    with guarded_session() as session, pytest.raises(OutboundBlocked, match="non-public"):
        session.get(f"http://127.0.0.2:{sink.port}/feed", timeout=3)
    assert public_relay.connections == 1 and sink.connections == 0


def test_environment_proxies_are_not_used(sink, public_relay, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{sink.port}")
    with guarded_session() as session:
        session.get(f"http://127.0.0.2:{sink.port}/", timeout=3, allow_redirects=False)
    assert sink.connections == 0


@pytest.mark.parametrize(
    "url, reason",
    [
        ("http://127.0.0.1:8080\\@example.com/", "backslash"),
        ("http://user:pass@example.com/", "user name or password"),
        ("http://example.com@127.0.0.1/", "user name or password"),
        ("http://exa mple.com/", "spaces or control"),
        ("http://example.com\n.evil/", "spaces or control"),
        ("http://%31%32%37.0.0.1/", "percent-encoded"),
        ("http://example.com:0/", "port is 0"),
        ("http://[::1/", "not a valid URL"),
    ],
)
def test_ambiguous_urls_are_refused_even_when_private_addresses_are_allowed(url, reason):
    with pytest.raises(OutboundBlocked, match=reason):
        outbound.check_url(url, allow_private=True)


def test_a_body_over_the_limit_is_refused_while_reading(monkeypatch):
    big = Listener("127.0.0.1", 0, http_answer("200 OK", b"x" * 200_000))
    try:
        with guarded_session(allow_private=True) as session:
            response = session.get(f"http://127.0.0.1:{big.port}/", stream=True, timeout=3)
            with pytest.raises(outbound.ResponseTooLarge, match="limit is 100,000"):
                outbound.read_capped(response, 100_000)
    finally:
        big.close()
