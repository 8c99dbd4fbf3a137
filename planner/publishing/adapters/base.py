"""What every platform adapter shares: the post it receives, the result it returns, and the HTTP
plumbing that turns transport failures and error responses into an :class:`Outcome`.

An adapter publishes one post through one platform's API and never touches Flask or the database:
the worker loads the post and the decrypted credentials, calls :meth:`Adapter.publish`, and records
the result.

Outcome rules (DESIGN.md, "Post lifecycle"):

* ``RETRY`` when the request certainly did not land (connection refused, DNS failure, connect
  timeout, TLS handshake failure, 429, 503 with ``Retry-After``), or when the platform de-duplicates
  a re-sent request for us (``deduplicates = True``), in which case a read timeout or a 5xx is
  ``RETRY`` too.
* ``UNCONFIRMED`` when the request may have landed (read timeout, dropped connection, 5xx) on a
  platform that does not de-duplicate: a person must look; the post is never re-sent blindly.
* ``REAUTH`` on 401 and on the platforms' own invalid-token errors.
* ``FAILED`` on other 4xx (the platform's own message in ``reason``), on redirects (never
  followed, so a guarded URL cannot be bounced to a private address), on invalid credentials and
  on URLs the outbound guard refuses.

Private addresses: the outbound guard refuses loopback/private/link-local hosts unless the
credentials mapping carries ``_allow_private = "1"`` (:data:`ALLOW_PRIVATE_KEY`); the worker sets it
from the operator's config. Every base URL an adapter calls passes the guard, including the
overridable defaults of the fixed-host platforms.
"""

from __future__ import annotations

import email.utils
import logging
import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar, Protocol, runtime_checkable

import regex
import requests
from urllib3.exceptions import NewConnectionError

from core.outbound import OutboundBlocked, UnresolvableHost, check_url, guarded_session

logger = logging.getLogger("planner.publishing")

ALLOW_PRIVATE_KEY = "_allow_private"
USER_AGENT = "PageOne/0.1 (self-hosted publishing)"
EXCERPT_LENGTH = 300
REDACTED = "[redacted]"


@dataclass(frozen=True)
class OutgoingPost:
    post_id: int
    text: str
    link: str | None
    image_url: str | None
    # Derived from the post by the caller; stable across retries of the same post version.
    idempotency_key: str
    title: str | None = None  # WordPress title; others ignore it
    slug: str | None = None  # WordPress slug, looked up before creating
    # Mastodon status id; Bluesky "at://…" uri and cid joined as "uri|cid"; X tweet id.
    in_reply_to: str | None = None


class Outcome(StrEnum):
    PUBLISHED = "published"
    FAILED = "failed"
    RETRY = "retry"
    UNCONFIRMED = "unconfirmed"
    REAUTH = "reauth"


@dataclass
class PublishResult:
    outcome: Outcome
    platform_id: str | None = None
    url: str | None = None
    reason: str | None = None  # short, human, never containing secrets
    status_code: int | None = None
    response_excerpt: str | None = None  # first ~300 chars of the body, secrets redacted
    retry_after: float | None = None  # seconds


@runtime_checkable
class Adapter(Protocol):
    platform: str

    def publish(
        self,
        post: OutgoingPost,
        credentials: Mapping[str, str],
        *,
        timeout: float = 10.0,
        http: requests.Session | None = None,
    ) -> PublishResult: ...

    def check_credentials(self, credentials: Mapping[str, str]) -> str | None: ...


class TransportError(Exception):
    """The HTTP exchange failed without a response; ``may_have_landed`` says whether the request
    could have reached the platform."""

    def __init__(self, reason: str, *, may_have_landed: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.may_have_landed = may_have_landed


class Rejected(Exception):
    """An adapter step decided the outcome early (carries the finished result)."""

    def __init__(self, result: PublishResult) -> None:
        super().__init__(result.reason)
        self.result = result


# Token-shaped strings redacted from excerpts even when they are not this post's credentials.
_TOKEN_PATTERNS = (
    re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"),  # JWTs
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"(?i)((?:access|refresh)_?token[\"']?\s*[:=]\s*[\"']?)[^\s\"'&,}]{4,}"),
)


def redact(text: str, secrets: frozenset[str] = frozenset()) -> str:
    """Replace the given secret values and anything token-shaped with ``[redacted]``."""
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    text = _TOKEN_PATTERNS[0].sub(REDACTED, text)
    for pattern in _TOKEN_PATTERNS[1:]:
        text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
    return text


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def compose_text(text: str, link: str | None) -> str:
    """The post text with the link appended on its own paragraph unless the text already has it."""
    if link and link not in text:
        return f"{text.rstrip()}\n\n{link}" if text.strip() else link
    return text


def grapheme_count(text: str) -> int:
    """User-perceived characters (an emoji with modifiers counts once)."""
    return len(regex.findall(r"\X", text))


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _never_connected(exc: requests.ConnectionError) -> bool:
    """Whether the connection failed before any byte of the request was sent."""
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, NewConnectionError):  # refused, unreachable, DNS failure
            return True
        stack.extend([getattr(current, "reason", None), current.__cause__, current.__context__])
        stack.extend(arg for arg in current.args if isinstance(arg, BaseException))
    return False


@dataclass
class Call:
    """One publish attempt's HTTP context: session, timeouts, secrets to redact, the guard."""

    session: requests.Session
    timeout: float
    secrets: frozenset[str]
    allow_private: bool
    platform: str
    requests_sent: list[str] = field(default_factory=list)

    def guard(self, url: str) -> None:
        check_url(url, allow_private=self.allow_private)

    def send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """Send one request with connect and read timeouts, never following redirects."""
        self.guard(url)
        headers = {"User-Agent": USER_AGENT, **kwargs.pop("headers", {})}
        try:
            return self.session.request(
                method,
                url,
                headers=headers,
                timeout=(self.timeout, self.timeout),
                allow_redirects=False,
                **kwargs,
            )
        except requests.exceptions.ConnectTimeout:
            raise TransportError(
                f"could not connect within {self.timeout:g} s", may_have_landed=False
            ) from None
        except requests.exceptions.ReadTimeout:
            raise TransportError(
                f"no answer within {self.timeout:g} s", may_have_landed=True
            ) from None
        except requests.exceptions.SSLError:
            raise TransportError("TLS handshake failed", may_have_landed=False) from None
        except requests.exceptions.ConnectionError as exc:
            if _never_connected(exc):
                raise TransportError(
                    "could not connect (refused, unreachable or DNS failure)",
                    may_have_landed=False,
                ) from None
            raise TransportError(
                "the connection dropped before an answer", may_have_landed=True
            ) from None
        except requests.exceptions.RequestException as exc:
            raise TransportError(
                f"request error: {type(exc).__name__}", may_have_landed=False
            ) from None

    def excerpt(self, response: requests.Response) -> str:
        try:
            body = response.text
        except Exception:  # noqa: BLE001 - undecodable bodies get no excerpt
            return ""
        return redact(body, self.secrets)[:EXCERPT_LENGTH]

    def result(
        self, outcome: Outcome, response: requests.Response | None = None, **fields: Any
    ) -> PublishResult:
        if "reason" in fields and fields["reason"]:
            fields["reason"] = redact(str(fields["reason"]), self.secrets)[:500]
        if response is not None:
            fields.setdefault("status_code", response.status_code)
            fields.setdefault("response_excerpt", self.excerpt(response))
        return PublishResult(outcome, **fields)


def json_body(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


@contextmanager
def _session(http: requests.Session | None, allow_private: bool) -> Iterator[requests.Session]:
    # Every request goes through the outbound guard's transport, which connects only to the
    # address it checked; a session handed in (tests, a caller's keep-alive) is guarded too.
    if http is not None:
        yield guarded_session(allow_private=allow_private, session=http)
        return
    session = guarded_session(allow_private=allow_private)
    try:
        yield session
    finally:
        session.close()


class BaseAdapter:
    """Common publish flow; a platform implements :meth:`_publish` and, if its errors carry
    meaning beyond the status code, :meth:`error_result`."""

    platform: ClassVar[str]
    required_credentials: ClassVar[tuple[str, ...]] = ()
    # True when re-sending a request that may have landed cannot create a second post.
    deduplicates: ClassVar[bool] = False

    def check_credentials(self, credentials: Mapping[str, str]) -> str | None:
        """An error message when a required credential is missing, else None."""
        missing = [key for key in self.required_credentials if not credentials.get(key)]
        if missing:
            return f"missing credentials for {self.platform}: {', '.join(missing)}"
        return None

    def publish(
        self,
        post: OutgoingPost,
        credentials: Mapping[str, str],
        *,
        timeout: float = 10.0,
        http: requests.Session | None = None,
    ) -> PublishResult:
        """Publish one post; never raises for platform or network failures."""
        problem = self.check_credentials(credentials)
        if problem:
            result = PublishResult(Outcome.FAILED, reason=problem)
        else:
            allow_private = str(credentials.get(ALLOW_PRIVATE_KEY, "")) == "1"
            with _session(http, allow_private) as session:
                call = Call(
                    session=session,
                    timeout=timeout,
                    secrets=frozenset(
                        str(value)
                        for key, value in credentials.items()
                        if value and key not in _PUBLIC_CREDENTIAL_KEYS
                    ),
                    allow_private=allow_private,
                    platform=self.platform,
                )
                result = self._run(post, credentials, call)
        logger.info(
            "publish %s post=%s outcome=%s status=%s reason=%s",
            self.platform,
            post.post_id,
            result.outcome,
            result.status_code,
            result.reason,
        )
        return result

    def _run(self, post: OutgoingPost, credentials: Mapping[str, str], call: Call) -> PublishResult:
        try:
            return self._publish(post, credentials, call)
        except Rejected as rejected:
            return rejected.result
        except UnresolvableHost as exc:
            return call.result(Outcome.RETRY, reason=str(exc))
        except OutboundBlocked as exc:
            return call.result(Outcome.FAILED, reason=f"URL refused: {exc}")
        except TransportError as exc:
            if not exc.may_have_landed:
                return call.result(Outcome.RETRY, reason=exc.reason)
            if self.deduplicates:
                return call.result(
                    Outcome.RETRY, reason=f"{exc.reason}; the platform de-duplicates a re-send"
                )
            return call.result(
                Outcome.UNCONFIRMED, reason=f"{exc.reason}; the post may have been published"
            )

    def _publish(
        self, post: OutgoingPost, credentials: Mapping[str, str], call: Call
    ) -> PublishResult:
        raise NotImplementedError

    def error_message(self, response: requests.Response) -> str | None:
        """The platform's own human message from an error body, if any."""
        body = json_body(response)
        if isinstance(body, dict):
            for key in ("error_description", "message", "detail", "error", "title"):
                value = body.get(key)
                if isinstance(value, str) and value:
                    return value
                if isinstance(value, dict) and isinstance(value.get("message"), str):
                    return value["message"]
        return None

    def error_result(
        self, response: requests.Response, call: Call, *, deduplicates: bool | None = None
    ) -> PublishResult:
        """Turn a non-2xx response into an outcome by its status code."""
        status = response.status_code
        message = self.error_message(response)
        described = f"{self.platform} answered {status}" + (f": {message}" if message else "")
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        safe_to_resend = self.deduplicates if deduplicates is None else deduplicates
        if 300 <= status < 400:
            location = response.headers.get("Location", "?")
            return call.result(
                Outcome.FAILED,
                response,
                reason=f"{self.platform} redirected to {location}; check the configured URL",
            )
        if status == 401:
            return call.result(Outcome.REAUTH, response, reason=described)
        if status in (408, 429) or (status == 503 and retry_after is not None):
            return call.result(Outcome.RETRY, response, reason=described, retry_after=retry_after)
        if status >= 500:
            if safe_to_resend:
                return call.result(
                    Outcome.RETRY, response, reason=described, retry_after=retry_after
                )
            return call.result(
                Outcome.UNCONFIRMED,
                response,
                reason=f"{described}; the post may have been published",
            )
        return call.result(Outcome.FAILED, response, reason=described)


# Credential keys whose values are not secret (kept readable in excerpts). A webhook URL is
# treated as secret: many receivers put a token in it.
_PUBLIC_CREDENTIAL_KEYS = frozenset(
    {
        ALLOW_PRIVATE_KEY,
        "base_url",
        "service",
        "handle",
        "site_url",
        "username",
        "page_id",
        "ig_user_id",
        "author_urn",
        "api_version",
        "graph_version",
    }
)
