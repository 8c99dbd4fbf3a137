"""The part every connection shares: the guarded OAuth client, the pending attempt kept in the
user's session (state and PKCE verifier), the scopes check, and storing what a provider gave.

A platform module builds on these; the lifecycle after connecting is in ``lifecycle.py``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session, OAuthError
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from core import audit
from core.crypto import CredentialsUnreadable, decrypt_json, encrypt_json
from core.models import Role, User
from core.outbound import guarded_session, parse_url
from planner.connections.models import ChannelConnection
from planner.models import Channel
from planner.operations import PlannerError

PENDING_KEY = "connect_pending"
# A consent screen left open longer than this is started again.
PENDING_SECONDS = 15 * 60
# At most this many attempts in progress per browser session (several tabs).
PENDING_MAX = 5


# Connections whose tokens PageOne keeps and renews: OAuth, and Bluesky's sessions (an app
# password opens them). WordPress's application password is the credential itself.
RENEWED_METHODS = frozenset({"oauth", "app_password"})


class ConnectProblem(PlannerError):
    """A connection attempt that cannot go on; the message is for the person connecting."""


class GuardedOAuth2Session(OAuth2Session):
    """Authlib's requests client on the outbound guard: every URL is checked as given, and every
    connection goes to the address that was checked. Each request has a timeout."""

    def request(self, method, url, withhold_token=False, auth=None, **kwargs):  # type: ignore[no-untyped-def]
        parse_url(url.decode() if isinstance(url, bytes) else url)
        kwargs.setdefault("allow_redirects", False)
        return super().request(method, url, withhold_token=withhold_token, auth=auth, **kwargs)


def oauth_client(config: Mapping[str, Any], **kwargs: Any) -> GuardedOAuth2Session:
    """An OAuth 2.0 client whose transport is ``core.outbound``'s, with the configured timeout."""
    seconds = float(config.get("HTTP_TIMEOUT") or 10)
    client = GuardedOAuth2Session(default_timeout=(seconds, seconds), **kwargs)
    guarded_session(allow_private=bool(config.get("OUTBOUND_ALLOW_PRIVATE")), session=client)
    return client


def http(config: Mapping[str, Any]) -> requests.Session:
    """A plain guarded session, for the calls around a flow (who is this account, which Pages)."""
    return guarded_session(allow_private=bool(config.get("OUTBOUND_ALLOW_PRIVATE")))


def timeout(config: Mapping[str, Any]) -> tuple[float, float]:
    seconds = float(config.get("HTTP_TIMEOUT") or 10)
    return (seconds, seconds)


def new_verifier() -> str:
    """A PKCE code verifier: 48 random URL-safe characters (RFC 7636 allows 43 to 128)."""
    return generate_token(48)


# --- the attempt in progress ------------------------------------------------------------------


def remember_attempt(
    store: MutableMapping[str, Any],
    *,
    state: str,
    platform: str,
    user_id: int,
    channel_id: int | None,
    brand_id: int | None = None,
    verifier: str | None = None,
    **extra: Any,
) -> None:
    """Keep what the callback must find again, under the state sent to the provider."""
    pending = {
        key: value
        for key, value in dict(store.get(PENDING_KEY) or {}).items()
        if time.time() - value.get("at", 0) < PENDING_SECONDS
    }
    while len(pending) >= PENDING_MAX:
        pending.pop(min(pending, key=lambda k: pending[k]["at"]))
    pending[state] = {
        "platform": platform,
        "user_id": user_id,
        "channel_id": channel_id,
        "brand_id": brand_id,
        "verifier": verifier,
        "at": time.time(),
        **extra,
    }
    store[PENDING_KEY] = pending


def take_attempt(
    store: MutableMapping[str, Any], *, state: str | None, platform: str, user_id: int
) -> dict[str, Any]:
    """The attempt a callback's state names, removed so it is used once; a state that is
    unknown, expired, from another platform or another user is refused."""
    pending = dict(store.get(PENDING_KEY) or {})
    attempt = pending.pop(state or "", None)
    store[PENDING_KEY] = pending
    if (
        attempt is None
        or attempt.get("platform") != platform
        or attempt.get("user_id") != user_id
        or time.time() - attempt.get("at", 0) >= PENDING_SECONDS
    ):
        raise ConnectProblem(
            _(
                "This answer does not belong to a connection started here (or it is older than"
                " 15 minutes). Nothing was changed; start the connection again."
            )
        )
    return attempt


def refusal_message(label: str, args: Mapping[str, str]) -> str | None:
    """What to tell the person when the provider sent back an error instead of a code."""
    error = args.get("error")
    if not error:
        return None
    if error in {
        "access_denied",
        "user_denied",
        "user_cancelled_login",
        "user_cancelled_authorize",
    }:
        return _(
            "%(platform)s was not connected: the permission was declined on %(platform)s's page."
            " Connect again and allow it to post.",
            platform=label,
        )
    detail = args.get("error_description") or error
    return _("%(platform)s refused the connection: %(detail)s", platform=label, detail=detail[:200])


# --- tokens -----------------------------------------------------------------------------------


@dataclass
class Tokens:
    """What a token endpoint gave, with its ends turned into instants."""

    access_token: str
    refresh_token: str | None = None
    access_expires_at: datetime | None = None
    refresh_expires_at: datetime | None = None
    scopes: frozenset[str] = frozenset()
    extra: dict[str, Any] = field(default_factory=dict)


def _seconds(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def tokens_from(answer: Mapping[str, Any], now: datetime, *, scope_separator: str = " ") -> Tokens:
    """Read a token endpoint's answer (RFC 6749 section 5.1, plus LinkedIn's
    ``refresh_token_expires_in``); an answer without an access token is refused."""
    access = answer.get("access_token")
    if not isinstance(access, str) or not access:
        raise ConnectProblem(_("The platform's answer held no access token."))
    expires_in = _seconds(answer.get("expires_in"))
    refresh_in = _seconds(answer.get("refresh_token_expires_in"))
    scope = answer.get("scope") or ""
    if isinstance(scope, list):
        scopes = frozenset(str(s) for s in scope)
    else:
        scopes = frozenset(s for s in str(scope).replace(",", scope_separator).split() if s)
    refresh = answer.get("refresh_token")
    return Tokens(
        access_token=access,
        refresh_token=refresh if isinstance(refresh, str) and refresh else None,
        access_expires_at=now + timedelta(seconds=expires_in) if expires_in else None,
        refresh_expires_at=now + timedelta(seconds=refresh_in) if refresh_in else None,
        scopes=scopes,
    )


def check_scopes(label: str, granted: Iterable[str], required: Iterable[str]) -> None:
    """Refuse a connection that lacks a scope PageOne needs, naming what is missing."""
    missing = sorted(set(required) - set(granted))
    if missing:
        raise ConnectProblem(
            _(
                "%(platform)s did not grant every permission PageOne needs (missing: %(missing)s)."
                " Nothing was saved; connect again and allow all of them.",
                platform=label,
                missing=", ".join(missing),
            )
        )


def token_call_problem(label: str, exc: Exception) -> ConnectProblem:
    """A failed code exchange as a message; never includes a token or secret."""
    if isinstance(exc, OAuthError):
        detail = exc.description or exc.error or _("an error")
        return ConnectProblem(
            _(
                "%(platform)s refused to hand over the access: %(detail)s",
                platform=label,
                detail=str(detail)[:200],
            )
        )
    if isinstance(exc, requests.RequestException):
        return ConnectProblem(
            _(
                "%(platform)s could not be reached (%(error)s); try again.",
                platform=label,
                error=type(exc).__name__,
            )
        )
    return ConnectProblem(
        _("%(platform)s answered in a way PageOne does not understand.", platform=label)
    )


def exchange_code(
    client: OAuth2Session, token_url: str, label: str, code: str, **extra: str
) -> dict[str, Any]:
    """The provider's answer to the authorization code grant, or a ConnectProblem saying why
    there is none."""
    try:
        return dict(
            client.fetch_token(token_url, grant_type="authorization_code", code=code, **extra)
        )
    except (OAuthError, requests.RequestException, ValueError) as exc:
        raise token_call_problem(label, exc) from None


def require_admin(actor: User) -> None:
    if not actor.has_role(Role.ADMIN):
        raise ConnectProblem(_("Only admins connect channels."))


def read_credentials(channel: Channel, config: Mapping[str, Any]) -> dict[str, Any]:
    try:
        return decrypt_json(channel.credentials_encrypted, dict(config))
    except CredentialsUnreadable:
        return {}


def store_tokens(
    session: Session,
    channel: Channel,
    actor: User | None,
    tokens: Tokens,
    config: Mapping[str, Any],
    *,
    method: str = "oauth",
    account: str | None = None,
    credentials: Mapping[str, str] | None = None,
    reconnect_by: datetime | None = None,
    now: datetime,
    refreshed: bool = False,
) -> ChannelConnection:
    """Keep new tokens in the channel's encrypted credentials and describe the connection.

    A refresh token is never replaced by an empty one: a provider that does not rotate sends
    none with a refreshed access token, and the stored one stays valid. A connect (not a
    refresh) clears ``needs_reauth``.
    """
    stored = read_credentials(channel, config)
    stored.update({k: v for k, v in (credentials or {}).items() if v})
    if method in RENEWED_METHODS:
        stored["access_token"] = tokens.access_token
    if tokens.refresh_token:
        stored["refresh_token"] = tokens.refresh_token
    channel.credentials_encrypted = encrypt_json(stored, dict(config))
    connection = channel.connection or ChannelConnection(channel=channel, method=method)
    if connection.channel_id is None:
        session.add(connection)
    connection.method = method
    connection.access_expires_at = tokens.access_expires_at
    connection.refreshable = bool(stored.get("refresh_token")) and method in RENEWED_METHODS
    if tokens.refresh_expires_at is not None or not refreshed:
        # Only a provider that says when the refresh token ends moves this end; otherwise a
        # connection that cannot be renewed ends with its access token.
        connection.reconnect_by = reconnect_by or tokens.refresh_expires_at
        if connection.reconnect_by is None and not connection.refreshable:
            connection.reconnect_by = tokens.access_expires_at
    if tokens.scopes:
        connection.scopes = " ".join(sorted(tokens.scopes))
    if account:
        connection.account = account[:200]
    connection.last_error = None
    connection.warned = ""
    if refreshed:
        connection.refreshed_at = now
    else:
        connection.connected_at = now
        was_reauth = channel.needs_reauth
        channel.needs_reauth = False
        audit.record(
            session,
            actor,
            "channel.connected",
            "channel",
            channel.id,
            brand_id=channel.brand_id,
            method=method,
            account=connection.account,
            keys=sorted(stored),
            cleared_reauth=was_reauth,
        )
    session.flush()
    return connection
