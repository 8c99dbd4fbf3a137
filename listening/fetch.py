"""The one place listening reads the network: guarded URLs, timeouts, a size cap, checked hops."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin

import requests

from core import outbound
from core.outbound import OutboundBlocked, ResponseTooLarge, guarded_session, parse_url

USER_AGENT = "PageOne/0.1 (self-hosted listening)"
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 3


class FetchError(Exception):
    """The source could not be read; the message says why, in words a person can act on."""


def settings(config: Mapping[str, Any]) -> tuple[float, int, bool]:
    timeout = float(config.get("LISTENING_HTTP_TIMEOUT") or config.get("HTTP_TIMEOUT") or 10.0)
    max_bytes = int(config.get("LISTENING_MAX_RESPONSE_BYTES") or DEFAULT_MAX_BYTES)
    return timeout, max_bytes, bool(config.get("OUTBOUND_ALLOW_PRIVATE"))


def fetch(
    url: str,
    config: Mapping[str, Any],
    *,
    params: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    http: requests.Session | None = None,
) -> tuple[bytes, str]:
    """GET a URL the user configured: the body (at most the configured size) and its content type.

    Every hop of a redirect passes the outbound guard again, and each connection goes only to the
    address the guard checked, so a public feed cannot bounce the server to a private address.
    """
    timeout, max_bytes, allow_private = settings(config)
    session = guarded_session(allow_private=allow_private, session=http)
    try:
        for _hop in range(MAX_REDIRECTS + 1):
            try:
                parse_url(url)
                response = session.get(
                    url,
                    params=params,
                    headers={"User-Agent": USER_AGENT, **(headers or {})},
                    timeout=(timeout, timeout),
                    allow_redirects=False,
                    stream=True,
                )
            except OutboundBlocked as exc:
                raise FetchError(f"URL refused: {exc}") from None
            except requests.Timeout:
                raise FetchError(f"no answer within {timeout:g} s") from None
            except requests.RequestException as exc:
                raise FetchError(f"could not connect: {type(exc).__name__}") from None
            with response:
                if response.is_redirect and response.headers.get("Location"):
                    url = urljoin(response.url, response.headers["Location"])
                    params = None
                    continue
                if response.status_code != 200:
                    raise FetchError(f"the server answered {response.status_code}")
                return _read_capped(response, max_bytes), response.headers.get("Content-Type", "")
        raise FetchError(f"more than {MAX_REDIRECTS} redirects")
    finally:
        if http is None:
            session.close()


def _read_capped(response: requests.Response, max_bytes: int) -> bytes:
    try:
        return outbound.read_capped(response, max_bytes)
    except ResponseTooLarge as exc:
        # Stop reading: a feed this large is a mistake or an attack, not news.
        raise FetchError(str(exc)) from None
    except requests.RequestException as exc:
        raise FetchError(f"the response broke off: {type(exc).__name__}") from None


def post_json(url: str, payload: Any, config: Mapping[str, Any]) -> int:
    """POST JSON to a guarded URL (the notification webhook); the status code."""
    timeout, _max, _allow_private = settings(config)
    try:
        response = outbound.post_json(url, payload, config, user_agent=USER_AGENT, timeout=timeout)
    except OutboundBlocked as exc:
        raise FetchError(f"URL refused: {exc}") from None
    except requests.RequestException as exc:
        raise FetchError(f"could not deliver: {type(exc).__name__}") from None
    return response.status_code
