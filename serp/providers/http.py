"""The one place providers reach the network: outbound guard, timeouts, rate limits, retries.

Every provider has a token bucket (requests per second) and a concurrency limit shared by all
threads of the process, so a worker's thread pool never goes faster than the provider allows.
429 and 503 answers are retried after their Retry-After (or an exponential backoff) as long as
the wait stays under a ceiling; connection failures and timeouts are retried the same way, which
is safe because a search is a read.
"""

from __future__ import annotations

import email.utils
import itertools
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import requests

from core.outbound import (
    OutboundBlocked,
    ResponseTooLarge,
    guarded_session,
    parse_url,
    read_capped,
)

RETRY_STATUSES = frozenset({429, 503})
MAX_REDIRECTS = 5
# A real result page weighs 0.3–1.5 MB; anything far larger is refused before it is parsed.
DEFAULT_MAX_PAGE_BYTES = 5 * 1024 * 1024

# Requests per second and requests in flight, per provider, unless config says otherwise.
# Scraping result pages directly is kept slow: engines block fast scrapers within minutes.
DEFAULT_LIMITS: dict[str, dict[str, float]] = {
    "serpapi": {"rate": 5.0, "burst": 5, "concurrency": 5},
    "serper": {"rate": 5.0, "burst": 5, "concurrency": 5},
    "searxng": {"rate": 1.0, "burst": 2, "concurrency": 2},
    "brave_api": {"rate": 1.0, "burst": 1, "concurrency": 1},
    "html": {"rate": 0.2, "burst": 1, "concurrency": 1},
}


class FetchFailed(Exception):
    """Nothing usable came back (refused URL, connection failure, timeout after retries)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class TokenBucket:
    """``rate`` tokens a second, up to ``burst`` saved; acquire() waits for its token."""

    def __init__(
        self, rate: float, burst: float = 1, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = float(rate)
        self.burst = max(1.0, float(burst))
        self._clock = clock
        self._tokens = self.burst
        self._stamp = clock()
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Take a token now (possibly on credit); the seconds to wait before using it."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            self._tokens -= 1
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    def acquire(self, sleep: Callable[[float], None] = time.sleep) -> None:
        wait = self.reserve()
        if wait > 0:
            sleep(wait)


@dataclass
class Limiter:
    bucket: TokenBucket
    slots: threading.BoundedSemaphore


# Requests are paced a little under the provider's limit: the limit is counted where requests
# arrive, and scheduling and connection jitter would otherwise push some over it.
RATE_MARGIN = 0.04

_limiters: dict[tuple[str, float, float, int], Limiter] = {}
_limiters_lock = threading.Lock()


def limiter_for(provider: str, config: Mapping[str, Any]) -> Limiter:
    """The process-wide limiter of a provider (new settings give a new limiter)."""
    limits = {
        **DEFAULT_LIMITS.get(provider, {"rate": 1.0, "burst": 1, "concurrency": 1}),
        **(config.get("SERP_PROVIDER_LIMITS") or {}).get(provider, {}),
    }
    margin = float(config.get("SERP_RATE_MARGIN", RATE_MARGIN))
    rate = float(limits["rate"]) * (1 - margin)
    key = (provider, rate, float(limits["burst"]), int(limits["concurrency"]))
    with _limiters_lock:
        if key not in _limiters:
            _limiters[key] = Limiter(TokenBucket(rate, key[2]), threading.BoundedSemaphore(key[3]))
        return _limiters[key]


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: either a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass
class Answer:
    status: int
    text: str
    headers: Mapping[str, str]
    url: str
    retry_after: float | None = None

    def json(self) -> Any:
        import json

        return json.loads(self.text)


def _decode(response: requests.Response, max_bytes: int) -> str:
    # requests assumes ISO-8859-1 for text/* without a charset; result pages are UTF-8 then.
    content_type = response.headers.get("Content-Type", "")
    encoding = response.encoding if "charset=" in content_type.lower() else "utf-8"
    return read_capped(response, max_bytes).decode(encoding or "utf-8", "replace")


_local = threading.local()


def _session(allow_private: bool) -> requests.Session:
    # One keep-alive session per thread: requests.Session is not meant to be shared.
    sessions = getattr(_local, "sessions", None)
    if sessions is None:
        sessions = _local.sessions = {}
    if allow_private not in sessions:
        sessions[allow_private] = guarded_session(allow_private=allow_private)
    return sessions[allow_private]


# Only the direct fetch of result pages goes through proxies; paid APIs are called directly.
PROXIED_PROVIDERS = {"html"}


class HttpClient:
    """Sends provider requests with the app's outbound and retry settings."""

    def __init__(
        self, config: Mapping[str, Any], sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.config = config
        self.allow_private = bool(config.get("OUTBOUND_ALLOW_PRIVATE", False))
        timeout = float(config.get("SERP_HTTP_TIMEOUT") or config.get("HTTP_TIMEOUT") or 10)
        self.timeout = (min(timeout, 10.0), timeout)
        self.max_retries = int(config.get("SERP_MAX_RETRIES", 3))
        self.retry_base = float(config.get("SERP_RETRY_BASE_SECONDS", 1.0))
        self.max_retry_wait = float(config.get("SERP_MAX_RETRY_WAIT", 60.0))
        self.max_page_bytes = int(config.get("SERP_MAX_PAGE_BYTES") or DEFAULT_MAX_PAGE_BYTES)
        self.sleep = sleep
        # Result pages fetched directly may go out through the operator's proxies, in turn.
        self.proxies = itertools.cycle(list(config.get("SERP_PROXIES") or []) or [None])
        self._proxy_lock = threading.Lock()

    def next_proxy(self) -> str | None:
        with self._proxy_lock:
            return next(self.proxies)

    def send(
        self,
        provider: str,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        json_body: Any = None,
        data: Mapping[str, Any] | None = None,
    ) -> Answer:
        """The final answer after retries (a 429/503 too, once retries are spent).

        Raises FetchFailed when no answer came (refused URL, connection error, timeout).
        """
        limiter = limiter_for(provider, self.config)
        proxy = self.next_proxy() if provider in PROXIED_PROVIDERS else None
        attempt = 0
        while True:
            try:
                with limiter.slots:
                    limiter.bucket.acquire(self.sleep)
                    answer = self._send_following_redirects(
                        method,
                        url,
                        params=params,
                        headers=headers,
                        json_body=json_body,
                        data=data,
                        proxy=proxy,
                    )
            except OutboundBlocked as exc:
                raise FetchFailed(f"refused by the outbound guard: {exc}") from None
            except ResponseTooLarge as exc:
                raise FetchFailed(f"the page is too large: {exc}") from None
            except (requests.ConnectionError, requests.Timeout) as exc:
                wait = self.retry_base * 2**attempt
                if attempt >= self.max_retries or wait > self.max_retry_wait:
                    kind = "timed out" if isinstance(exc, requests.Timeout) else "failed"
                    raise FetchFailed(f"connection {kind}: {type(exc).__name__}") from None
            else:
                if answer.status not in RETRY_STATUSES:
                    return answer
                wait = max(answer.retry_after or 0.0, self.retry_base * 2**attempt)
                if attempt >= self.max_retries or wait > self.max_retry_wait:
                    return answer
            attempt += 1
            self.sleep(wait)

    def _send_following_redirects(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
        json_body: Any,
        data: Mapping[str, Any] | None,
        proxy: str | None = None,
    ) -> Answer:
        # Each hop passes the outbound guard (in the session's transport, which also connects
        # only to the address it checked): a redirect must not lead to a private address.
        for _hop in range(MAX_REDIRECTS + 1):
            parse_url(url)
            response = _session(self.allow_private).request(
                method,
                url,
                params=params,
                headers=dict(headers or {}),
                json=json_body,
                data=data,
                timeout=self.timeout,
                allow_redirects=False,
                proxies={"http": proxy, "https": proxy} if proxy else None,
                stream=True,
            )
            if response.is_redirect and response.headers.get("Location"):
                response.close()
                url = urljoin(response.url, response.headers["Location"])
                params, json_body, data = None, None, None
                if response.status_code in (301, 302, 303):
                    method = "GET"
                continue
            return Answer(
                status=response.status_code,
                text=_decode(response, self.max_page_bytes),
                headers=response.headers,
                url=response.url,
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        raise FetchFailed(f"more than {MAX_REDIRECTS} redirects")
