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
  followed, so a guarded URL cannot be bounced to a private address; nothing was created), on
  invalid credentials and on URLs the outbound guard refuses.

A ``RETRY`` whose request may have landed carries ``may_have_landed``: the worker re-sends it only
after the platform's request time limit (:attr:`BaseAdapter.request_time_limit`). A "success"
without the id it should carry is classified by :meth:`BaseAdapter.unusable_answer`; an adapter
that raises is ``RETRY`` when no request had left, else treated as a lost answer.

Everything kept about an attempt passes :class:`Redactor`: every shape of every secret.

Private addresses: the outbound guard refuses loopback/private/link-local hosts unless the
credentials mapping carries ``_allow_private = "1"`` (:data:`ALLOW_PRIVATE_KEY`); the worker sets it
from the operator's config. Every base URL an adapter calls passes the guard, including the
overridable defaults of the fixed-host platforms.
"""

from __future__ import annotations

import base64
import email.utils
import functools
import html
import json
import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar, Protocol, runtime_checkable
from urllib.parse import parse_qsl, quote, quote_plus, unquote, urlsplit

import regex
import requests
from urllib3.exceptions import NewConnectionError

from core.outbound import OutboundBlocked, UnresolvableHost, check_url, guarded_session

logger = logging.getLogger("planner.publishing")

ALLOW_PRIVATE_KEY = "_allow_private"
# A channel setting stored with its credentials (not secret): see BaseAdapter.request_time_limit.
REQUEST_TIME_LIMIT_KEY = "request_time_limit"
MAX_REQUEST_TIME_LIMIT = 3600.0
# Error statuses that say the application never got the request (see BaseAdapter.error_result).
NOTHING_LANDED_STATUSES = frozenset({502, 503})
USER_AGENT = "PageOne/0.1 (self-hosted publishing)"
EXCERPT_LENGTH = 300
REDACTED = "[redacted]"


@dataclass(frozen=True)
class MediaPayload:
    """A media file's bytes as one platform takes them (converted and scaled for its limits)."""

    data: bytes
    content_type: str
    width: int
    height: int


@dataclass(frozen=True)
class OutgoingMedia:
    """One attached image or video, in the post's order. ``load`` reads and prepares the file
    when the adapter sends it; ``public_url`` is a signed, expiring address for platforms whose
    servers fetch media themselves (Instagram)."""

    media_id: int
    kind: str  # "image" or "video"
    filename: str
    content_type: str
    width: int
    height: int
    alt_text: str
    load: Callable[[], MediaPayload] = field(compare=False, repr=False)
    duration: float | None = None
    public_url: str | None = field(default=None, repr=False)

    @property
    def is_video(self) -> bool:
        return self.kind == "video"


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
    # Mastodon status id; Bluesky "at://…" uri and cid joined as "uri|cid"; X tweet id. For a
    # first comment (:meth:`BaseAdapter.comment`), the id of the post commented on.
    in_reply_to: str | None = None
    # Bluesky: the thread's first post ("uri|cid") when ``in_reply_to`` is a later one.
    thread_root: str | None = None
    media: tuple[OutgoingMedia, ...] = ()


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
    # A RETRY whose request may have reached the platform (a timeout, a 500): safe to re-send only
    # once the first request can no longer land, past the platform's request time limit.
    may_have_landed: bool = False


@runtime_checkable
class Adapter(Protocol):
    platform: str
    # True when re-sending a request that may have landed cannot create a second post: the one
    # place the worker (and its recovery of dead workers' posts) learns whether a re-send is safe.
    deduplicates: bool

    def outgoing(self, post: OutgoingPost) -> OutgoingPost: ...

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


def _hex_digit(digit: str) -> str:
    return f"[{digit.upper()}{digit.lower()}]" if digit.isalpha() else digit


def _shape_pattern(shape: str) -> str:
    """A shape as a regular expression whose percent escapes match in either hex case."""
    return re.sub(
        r"%([0-9A-Fa-f])([0-9A-Fa-f])",
        lambda m: "%" + _hex_digit(m.group(1)) + _hex_digit(m.group(2)),
        re.escape(shape),
    )


def _url_parts(url: str) -> set[str]:
    """The parts of a secret URL that carry its secret: the path (a webhook token lives there),
    token-like path segments, query values and a password, each raw and percent-decoded."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return set()
    if not parts.scheme or not parts.netloc:
        return set()
    found: set[str] = set()
    if len(parts.path.strip("/")) >= 8:
        found.add(parts.path)
        if parts.query:
            found.add(f"{parts.path}?{parts.query}")
    # Segments as sent and as a receiver that decoded the path (%2F included) sees them.
    for segment in {*parts.path.split("/"), *unquote(parts.path).split("/")}:
        # "hooks" or "services" are not secret; a 16-character or digit-bearing segment may be.
        if len(segment) >= 16 or (len(segment) >= 8 and any(c.isdigit() for c in segment)):
            found.add(segment)
    found.update(value for _, value in parse_qsl(parts.query) if len(value) >= 8)
    if parts.password:
        found.add(parts.password)
    return found | {unquote(part) for part in found}


def secret_shapes(secret: str) -> set[str]:
    """Every form a secret can come back in: raw, URL-encoded (``+`` for spaces; either hex
    case is matched), JSON-escaped (with ``\\/`` slashes), HTML-escaped and base64; for a URL
    also the parts that hold its token."""
    bases = {secret} | _url_parts(secret)
    shapes: set[str] = set()
    for value in bases:
        shapes.add(value)
        shapes |= {quote(value, safe=""), quote(value), quote_plus(value)}
        for escaped in (json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]):
            shapes |= {escaped, escaped.replace("/", "\\/")}
        for escaped in (html.escape(value), html.escape(value, quote=False)):
            shapes |= {escaped, escaped.replace("&#x27;", "&#39;")}
        raw = value.encode("utf-8")
        for encoded in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
            text = encoded.decode("ascii")
            shapes |= {text, text.rstrip("=")}
    return {shape for shape in shapes if len(shape) >= 4}


class Redactor:
    """Replaces every shape of the given secrets, and anything token-shaped, with ``[redacted]``.

    The shapes are derived once (per publish call), then one regular expression does the work."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        shapes: set[str] = set()
        for secret in secrets:
            if secret and len(secret) >= 4:
                shapes |= secret_shapes(secret)
        # Longest first, so a whole secret URL wins over its path.
        ordered = sorted(shapes, key=lambda shape: (-len(shape), shape))
        self.pattern = re.compile("|".join(map(_shape_pattern, ordered))) if ordered else None
        self.longest = len(ordered[0]) if ordered else 0

    def __call__(self, text: str) -> str:
        if self.pattern is not None:
            text = self.pattern.sub(REDACTED, text)
        text = _TOKEN_PATTERNS[0].sub(REDACTED, text)
        for pattern in _TOKEN_PATTERNS[1:]:
            text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
        return text

    def excerpt(self, text: str, length: int = EXCERPT_LENGTH) -> str:
        """The first ``length`` characters of the redacted text (long bodies are cut first, with
        room for a secret that starts inside the excerpt)."""
        return self(text[: length + self.longest + 2048])[:length]


# One per channel a worker publishes for: building one derives every shape of every secret.
@functools.lru_cache(maxsize=1024)
def _redactor(secrets: frozenset[str]) -> Redactor:
    return Redactor(secrets)


def redact(text: str, secrets: frozenset[str] | Iterable[str] = frozenset()) -> str:
    """Replace every shape of the given secret values and anything token-shaped with
    ``[redacted]``."""
    return _redactor(frozenset(secrets))(text)


# Credential keys naming an account; with each secret they form a ``user:password`` pair that
# HTTP Basic sends base64-encoded.
_ACCOUNT_KEYS = ("username", "handle")


def secret_values(credentials: Mapping[str, Any]) -> frozenset[str]:
    """The secret values of a channel's credentials, and the ``user:secret`` pairs of them."""
    secrets = {
        str(value)
        for key, value in credentials.items()
        if value and key not in _PUBLIC_CREDENTIAL_KEYS
    }
    accounts = [str(credentials[key]) for key in _ACCOUNT_KEYS if credentials.get(key)]
    pairs = {f"{account}:{secret}" for account in accounts for secret in secrets}
    return frozenset(secrets | pairs)


def redactor_for(credentials: Mapping[str, Any]) -> Redactor:
    """The redactor of a channel's secrets (built once per set of secrets)."""
    return _redactor(secret_values(credentials))


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

    def __post_init__(self) -> None:
        self.redact = _redactor(self.secrets)

    def guard(self, url: str) -> None:
        check_url(url, allow_private=self.allow_private)

    def send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """Send one request with connect and read timeouts, never following redirects."""
        self.guard(url)
        headers = {"User-Agent": USER_AGENT, **kwargs.pop("headers", {})}
        self.requests_sent.append(f"{method} {url}")
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
        return self.redact.excerpt(body)

    def result(
        self, outcome: Outcome, response: requests.Response | None = None, **fields: Any
    ) -> PublishResult:
        if "reason" in fields and fields["reason"]:
            fields["reason"] = self.redact.excerpt(str(fields["reason"]), 500)
        if response is not None:
            fields.setdefault("status_code", response.status_code)
            fields.setdefault("response_excerpt", self.excerpt(response))
        return PublishResult(outcome, **fields)


@contextmanager
def uploading_media(call: Call) -> Iterator[None]:
    """Media uploads come before the post is created and create no post themselves: whatever
    goes wrong here, nothing was posted, so trying again later is safe (an orphan upload is
    discarded by the platform)."""
    try:
        yield
    except TransportError as exc:
        raise Rejected(
            call.result(
                Outcome.RETRY, reason=f"{exc.reason} while uploading media; nothing was posted"
            )
        ) from None


def load_media(item: OutgoingMedia, call: Call) -> MediaPayload:
    """The item's bytes for this platform; a file that cannot be read fails the post."""
    try:
        return item.load()
    except Exception as exc:  # noqa: BLE001 - storage or decoding errors, nothing sent yet
        raise Rejected(
            call.result(
                Outcome.FAILED,
                reason=f"the media file {item.filename} could not be read ({type(exc).__name__})",
            )
        ) from None


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
    # Seconds a request that reached the platform may still take to act after our client gave
    # up on it (its server's own time limit); a re-send waits that long. A channel may override
    # it with the ``request_time_limit`` setting. 0 where the platform's de-duplication is atomic.
    request_time_limit: ClassVar[float] = 0.0

    def outgoing(self, post: OutgoingPost) -> OutgoingPost:
        """A scheduled post as this platform sends it (what the worker hands to :meth:`publish`):
        a platform that needs more than the text (a title, a stable slug) adds it here."""
        return post

    def check_credentials(self, credentials: Mapping[str, str]) -> str | None:
        """An error message when a required credential is missing, else None."""
        missing = [key for key in self.required_credentials if not credentials.get(key)]
        if missing:
            return f"missing credentials for {self.platform}: {', '.join(missing)}"
        limit = credentials.get(REQUEST_TIME_LIMIT_KEY)
        if limit not in (None, ""):
            try:
                seconds = float(limit)
            except (TypeError, ValueError):
                seconds = -1.0
            if not 0 <= seconds <= MAX_REQUEST_TIME_LIMIT:
                return (
                    "the request time limit must be a number of seconds between 0 and "
                    f"{MAX_REQUEST_TIME_LIMIT:g}"
                )
        return None

    def time_limit(self, credentials: Mapping[str, Any] | None = None) -> float:
        """Seconds before a request that may have landed can no longer land: the channel's own
        ``request_time_limit`` when set and valid, else the platform's default."""
        value = (credentials or {}).get(REQUEST_TIME_LIMIT_KEY)
        try:
            seconds = float(value) if value not in (None, "") else self.request_time_limit
        except (TypeError, ValueError):
            return self.request_time_limit
        return min(max(seconds, 0.0), MAX_REQUEST_TIME_LIMIT)

    def publish(
        self,
        post: OutgoingPost,
        credentials: Mapping[str, str],
        *,
        timeout: float = 10.0,
        http: requests.Session | None = None,
    ) -> PublishResult:
        """Publish one post; never raises for platform or network failures."""
        return self._attempt(post, credentials, timeout, http, self._publish)

    def comment(
        self,
        post: OutgoingPost,
        credentials: Mapping[str, str],
        *,
        timeout: float = 10.0,
        http: requests.Session | None = None,
    ) -> PublishResult:
        """Comment ``post.text`` on the published post ``post.in_reply_to`` (a first comment);
        never raises for platform or network failures."""
        return self._attempt(post, credentials, timeout, http, self._comment)

    def _attempt(
        self,
        post: OutgoingPost,
        credentials: Mapping[str, str],
        timeout: float,
        http: requests.Session | None,
        step: Callable[[OutgoingPost, Mapping[str, str], Call], PublishResult],
    ) -> PublishResult:
        problem = self.check_credentials(credentials)
        if problem:
            result = PublishResult(Outcome.FAILED, reason=problem)
        else:
            allow_private = str(credentials.get(ALLOW_PRIVATE_KEY, "")) == "1"
            with _session(http, allow_private) as session:
                call = Call(
                    session=session,
                    timeout=timeout,
                    secrets=secret_values(credentials),
                    allow_private=allow_private,
                    platform=self.platform,
                )
                result = self._run(post, credentials, call, step)
        logger.info(
            "publish %s post=%s outcome=%s status=%s reason=%s",
            self.platform,
            post.post_id,
            result.outcome,
            result.status_code,
            result.reason,
        )
        return result

    def _run(
        self,
        post: OutgoingPost,
        credentials: Mapping[str, str],
        call: Call,
        step: Callable[[OutgoingPost, Mapping[str, str], Call], PublishResult] | None = None,
    ) -> PublishResult:
        try:
            return (step or self._publish)(post, credentials, call)
        except Rejected as rejected:
            return rejected.result
        except UnresolvableHost as exc:
            return call.result(Outcome.RETRY, reason=str(exc))
        except OutboundBlocked as exc:
            return call.result(Outcome.FAILED, reason=f"URL refused: {exc}")
        except TransportError as exc:
            if not exc.may_have_landed:
                return call.result(Outcome.RETRY, reason=exc.reason)
            return self._may_have_landed(call, exc.reason, "the post may have been published")
        except Exception as exc:  # noqa: BLE001 - an adapter bug must still give an outcome
            logger.error(
                "publishing to %s raised %s: %s",
                self.platform,
                type(exc).__name__,
                call.redact(str(exc))[:500],
            )
            what = f"the {self.platform} adapter failed ({type(exc).__name__})"
            if not call.requests_sent:
                # Nothing left this machine: the post can go back to the queue at once.
                return call.result(Outcome.RETRY, reason=f"{what} before sending anything")
            return self._may_have_landed(
                call, f"{what} after sending", "check the platform before re-sending"
            )

    def _may_have_landed(self, call: Call, what: str, look_first: str) -> PublishResult:
        """A request that may have landed: sent again where the platform de-duplicates it,
        otherwise left for a person to look at."""
        if self.deduplicates:
            return call.result(
                Outcome.RETRY,
                reason=f"{what}; the platform de-duplicates a re-send",
                may_have_landed=True,
            )
        return call.result(Outcome.UNCONFIRMED, reason=f"{what}; {look_first}")

    def _publish(
        self, post: OutgoingPost, credentials: Mapping[str, str], call: Call
    ) -> PublishResult:
        raise NotImplementedError

    def _comment(
        self, post: OutgoingPost, credentials: Mapping[str, str], call: Call
    ) -> PublishResult:
        return call.result(Outcome.FAILED, reason=f"{self.platform} takes no first comment")

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
                # A gateway that could not reach the application (502) or a service that turned
                # the request away (503) processed nothing; a 500 or a gateway timeout (504, the
                # application may still be working on it) may have.
                return call.result(
                    Outcome.RETRY,
                    response,
                    reason=described,
                    retry_after=retry_after,
                    may_have_landed=status not in NOTHING_LANDED_STATUSES,
                )
            return call.result(
                Outcome.UNCONFIRMED,
                response,
                reason=f"{described}; the post may have been published",
            )
        return call.result(Outcome.FAILED, response, reason=described)

    def unusable_answer(
        self, response: requests.Response, call: Call, what: str, *, created: bool = True
    ) -> PublishResult:
        """A create answered without the id it should carry, or with something that is not a
        success at all: classified by whether anything could have landed.

        A redirect is never followed, so nothing was created where it points, and the request
        itself was not processed (the platform moved the endpoint): ``FAILED``, check the URL.
        A 2xx without an id may mean the post exists (``created``): a re-send is safe only where
        the platform de-duplicates; elsewhere a person must look.
        """
        if not 200 <= response.status_code < 300:
            return self.error_result(response, call)
        reason = f"{self.platform} answered {response.status_code} without {what}"
        if not created:
            return call.result(Outcome.RETRY, response, reason=f"{reason}; nothing was posted yet")
        if self.deduplicates:
            return call.result(
                Outcome.RETRY,
                response,
                reason=f"{reason}; the platform de-duplicates a re-send",
                may_have_landed=True,
            )
        return call.result(
            Outcome.UNCONFIRMED, response, reason=f"{reason}; the post may have been published"
        )


# Credential keys whose values are not secret (kept readable in excerpts). A webhook URL is
# treated as secret: many receivers put a token in it.
_PUBLIC_CREDENTIAL_KEYS = frozenset(
    {
        ALLOW_PRIVATE_KEY,
        REQUEST_TIME_LIMIT_KEY,
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
