"""Outbound requests for users: the one place the server fetches a URL a user gave it.

Every URL the server requests on a user's behalf (webhooks, WordPress sites, Mastodon instances,
Bluesky services, feeds, search providers, images to upload, notification webhooks) goes through a
session from :func:`guarded_session`, so a user cannot make the server reach its own loopback
interface, the cloud metadata service or the private network behind it.

Two layers, both on every request and on every redirect hop:

* **The URL must be unambiguous** (:func:`parse_url`): http or https, a host, no user-info, no
  backslash, no whitespace or control characters, and the host that Python's URL parser sees must
  be the host the HTTP client (urllib3) will connect to. A URL such as
  ``http://127.0.0.1:8080\\@example.com/`` is refused, because the two parsers disagree about it.
* **The connection goes only to the address that was checked**: the connection class resolves the
  host once, refuses the request if any address is not public, and connects to those very
  addresses. A DNS answer that changes between a check and the connection (rebinding) cannot lead
  anywhere else, because there is no second look-up. TLS still verifies the certificate against
  the host name.

:func:`check_url` runs the same checks without sending anything; forms use it to tell a user at
once that an address is refused. Requests through an operator's proxy (``SERP_PROXIES``) are
resolved by the proxy: their URL passes :func:`check_url`, and the operator answers for the proxy.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url as urllib3_parse_url

__all__ = [
    "OutboundBlocked",
    "ResponseTooLarge",
    "UnresolvableHost",
    "check_url",
    "guarded_session",
    "is_public_address",
    "parse_url",
    "post_json",
    "read_capped",
]

_ALLOWED_SCHEMES = ("http", "https")
_DEFAULT_PORTS = {"http": 80, "https": 443}
USER_AGENT = "PageOne/0.1"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class OutboundBlocked(Exception):
    """The server refuses to request this URL (bad scheme, no host, an ambiguous form, or a
    non-public address). Nothing was sent."""


class UnresolvableHost(OutboundBlocked):
    """The host name did not resolve; nothing was sent, so trying again later is safe."""


class ResponseTooLarge(Exception):
    """The answer was larger than the caller's limit; reading stopped there."""

    def __init__(self, limit: int, declared: int | None = None) -> None:
        size = f"{declared:,} bytes" if declared is not None else "larger than the limit"
        super().__init__(f"the answer is {size}; the limit is {limit:,} bytes")
        self.limit = limit


def is_public_address(address: IPAddress) -> bool:
    """Whether an address is a public unicast one (IPv4-mapped IPv6 judged by its IPv4 form)."""
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped
        if mapped is not None:
            return is_public_address(mapped)
        # 6to4 and Teredo embed an IPv4 address a relay would forward to.
        embedded = address.sixtofour or (address.teredo[1] if address.teredo else None)
        if embedded is not None and not is_public_address(embedded):
            return False
        if address.is_site_local:
            return False
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def parse_url(url: str) -> tuple[str, str, int]:
    """The scheme, host and port of a URL the server may request, or :class:`OutboundBlocked`.

    Refuses every form that two URL parsers could read differently: the host is taken only when
    Python's parser and the HTTP client's agree on it.
    """
    if not isinstance(url, str) or not url:
        raise OutboundBlocked("the URL is empty")
    if any(ch <= " " or ch == "\x7f" for ch in url):
        raise OutboundBlocked("the URL contains spaces or control characters")
    if "\\" in url:
        raise OutboundBlocked("the URL contains a backslash")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise OutboundBlocked(f"not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in _ALLOWED_SCHEMES:
        raise OutboundBlocked(f"only http and https URLs are allowed (scheme: {scheme or 'none'})")
    if "@" in parts.netloc:
        raise OutboundBlocked("the URL contains a user name or password before the host")
    host = parts.hostname
    if not host:
        raise OutboundBlocked("the URL has no host")
    if "%" in host:
        raise OutboundBlocked("the URL's host is percent-encoded")
    if port == 0:
        raise OutboundBlocked("the URL's port is 0")
    try:
        client = urllib3_parse_url(url)
    except LocationParseError as exc:
        raise OutboundBlocked(f"not a valid URL: {exc}") from None
    client_host = (client.host or "").strip("[]").lower()
    if client_host != host.lower() or (client.port or None) != port:
        raise OutboundBlocked("the URL's host is ambiguous")
    return scheme, host, port or _DEFAULT_PORTS[scheme]


def _literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def resolve(host: str, port: int, *, allow_private: bool) -> list[str]:
    """The addresses to connect to for ``host``: all of them public unless private ones are
    allowed. Refuses the host when any address it resolves to is not public."""
    literal = _literal_address(host.strip("[]"))
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise UnresolvableHost(f"the host {host!r} could not be resolved ({exc})") from None
        seen: dict[IPAddress, None] = {}
        for info in infos:
            # An IPv6 sockaddr may carry a scope ("fe80::1%eth0"); the address is what matters.
            seen[ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])] = None
        addresses = list(seen)
        if not addresses:
            raise UnresolvableHost(f"the host {host!r} has no addresses")
    if not allow_private:
        for address in addresses:
            if not is_public_address(address):
                raise OutboundBlocked(
                    f"the host {host!r} resolves to {address}, a private, loopback, link-local "
                    "or otherwise non-public address; the operator can allow private addresses "
                    "in config"
                )
    return [str(address) for address in addresses]


def check_url(url: str, *, allow_private: bool = False) -> None:
    """Raise :class:`OutboundBlocked` unless ``url`` is an unambiguous http(s) URL whose host
    resolves to public addresses only (any address is accepted when ``allow_private`` is true)."""
    _scheme, host, port = parse_url(url)
    if not allow_private:
        resolve(host, port, allow_private=False)


class _PinnedConnectionMixin:
    """Resolves the host itself, checks every address, and connects only to those addresses."""

    allow_private: bool = False
    _dns_host: str
    port: int

    def _new_conn(self):  # type: ignore[no-untyped-def]
        addresses = resolve(self._dns_host, self.port, allow_private=self.allow_private)
        name = self._dns_host
        last_error: Exception | None = None
        try:
            for address in addresses:
                self._dns_host = address  # what urllib3 connects to; TLS still checks `host`
                try:
                    return super()._new_conn()  # type: ignore[misc]
                except Exception as exc:  # noqa: BLE001 - try the next checked address
                    last_error = exc
        finally:
            self._dns_host = name
        assert last_error is not None
        raise last_error


def _pool_classes(allow_private: bool) -> dict[str, type]:
    http_connection = type(
        "PinnedHTTPConnection",
        (_PinnedConnectionMixin, HTTPConnection),
        {"allow_private": allow_private},
    )
    https_connection = type(
        "PinnedHTTPSConnection",
        (_PinnedConnectionMixin, HTTPSConnection),
        {"allow_private": allow_private},
    )
    return {
        "http": type("PinnedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http_connection}),
        "https": type(
            "PinnedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https_connection}
        ),
    }


_POOL_CLASSES = {flag: _pool_classes(flag) for flag in (False, True)}


class GuardedAdapter(HTTPAdapter):
    """A transport adapter for ``requests`` that checks each URL and pins each connection."""

    def __init__(self, *, allow_private: bool = False, **kwargs: Any) -> None:
        self.allow_private = allow_private
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOL_CLASSES[self.allow_private]

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any):  # type: ignore[override]
        proxies = kwargs.get("proxies") or {}
        parse_url(request.url or "")
        if proxies.get(urlsplit(request.url or "").scheme):
            # The proxy connects for us: check the target as well as we can before it goes.
            check_url(request.url or "", allow_private=self.allow_private)
        return super().send(request, *args, **kwargs)

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state["allow_private"] = self.allow_private
        return state


class GuardedSession(requests.Session):
    """A session that checks the URL exactly as given, before ``requests`` normalizes it."""

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any):  # type: ignore[override]
        parse_url(url.decode() if isinstance(url, bytes) else url)
        return super().request(method, url, *args, **kwargs)


def guarded_session(
    *, allow_private: bool = False, session: requests.Session | None = None
) -> requests.Session:
    """A ``requests`` session whose every request and redirect hop passes the outbound guard,
    connecting only to the addresses it checked (``session``, when given, is guarded in place).
    Callers still set timeouts on each request."""
    if session is None:
        session = GuardedSession()
    # Environment proxies (HTTP_PROXY, NO_PROXY) would decide where a request goes behind the
    # guard's back; the only proxies used are the ones a caller passes explicitly.
    session.trust_env = False
    adapter = GuardedAdapter(allow_private=allow_private)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def read_capped(response: requests.Response, max_bytes: int) -> bytes:
    """The body of a streamed response, refusing more than ``max_bytes``
    (:class:`ResponseTooLarge`); reading stops at the limit."""
    declared = response.headers.get("Content-Length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > max_bytes:
        response.close()
        raise ResponseTooLarge(max_bytes, int(declared))
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(64 * 1024):
        size += len(chunk)
        if size > max_bytes:
            response.close()
            raise ResponseTooLarge(max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


def post_json(
    url: str,
    payload: Any,
    config: Mapping[str, Any],
    *,
    user_agent: str = USER_AGENT,
    timeout: float | None = None,
) -> requests.Response:
    """POST JSON to a guarded URL (the notification and alert webhooks), never following a
    redirect. Raises :class:`OutboundBlocked` or a ``requests`` error."""
    seconds = float(timeout or config.get("HTTP_TIMEOUT") or 10)
    with guarded_session(allow_private=bool(config.get("OUTBOUND_ALLOW_PRIVATE"))) as session:
        return session.post(
            url,
            json=payload,
            headers={"User-Agent": user_agent},
            timeout=(seconds, seconds),
            allow_redirects=False,
        )
