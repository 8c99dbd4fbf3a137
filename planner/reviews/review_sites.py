"""A brand's accounts on the review sites whose APIs take replies.

Google Business Profile connects through Google's OAuth 2.0 authorization code flow with
offline access (scope ``business.manage``), on the connections' guarded Authlib client; the
location (``accounts/…/locations/…``) is given when connecting. Trustpilot's business API takes
the brand's API key and secret with a business user's login (the password grant). Everything
is stored encrypted and never shown back.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, MutableMapping
from datetime import datetime, timedelta
from typing import Any

import requests
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.crypto import CredentialsUnreadable, decrypt_json, encrypt_json
from core.models import Role, User
from core.outbound import OutboundBlocked
from core.tenants import Brand
from planner.connections import flow
from planner.operations import PlannerError
from planner.reviews.reply_models import ReviewConnection

GBP_SCOPE = "https://www.googleapis.com/auth/business.manage"
GBP_SETTINGS = ("GOOGLE_BUSINESS_CLIENT_ID", "GOOGLE_BUSINESS_CLIENT_SECRET")
PLATFORM = "google_business"
LOCATION_RE = r"accounts/[A-Za-z0-9_-]+/locations/[A-Za-z0-9_-]+"
# Renew an access token this long before its end.
AHEAD = timedelta(seconds=60)
SITE_LABELS = {"google": "Google Business Profile", "trustpilot": "Trustpilot"}


class SiteProblem(PlannerError):
    """A review site that cannot be reached or refused; the message is for the person."""


def connection_for(session: Session, brand: Brand, source: str) -> ReviewConnection | None:
    return session.scalar(
        select(ReviewConnection).where(
            ReviewConnection.brand_id == brand.id, ReviewConnection.source == source
        )
    )


def connections_of(session: Session, brand: Brand) -> dict[str, ReviewConnection]:
    rows = session.scalars(select(ReviewConnection).where(ReviewConnection.brand_id == brand.id))
    return {row.source: row for row in rows}


def credentials(connection: ReviewConnection, config: Mapping[str, Any]) -> dict[str, Any]:
    try:
        return decrypt_json(connection.credentials_encrypted, dict(config))
    except CredentialsUnreadable:
        return {}


def _store(
    session: Session,
    brand: Brand,
    source: str,
    actor: User | None,
    stored: dict[str, Any],
    config: Mapping[str, Any],
    *,
    account: str,
    expires_at: datetime | None,
    now: datetime,
) -> ReviewConnection:
    connection = connection_for(session, brand, source)
    if connection is None:
        connection = ReviewConnection(brand_id=brand.id, source=source)
        session.add(connection)
    connection.credentials_encrypted = encrypt_json(stored, dict(config))
    connection.account = account[:200]
    connection.access_expires_at = expires_at
    connection.connected_at = now
    connection.last_error = None
    audit.record(
        session,
        actor,
        "reviews.site_connected",
        "brand",
        brand.id,
        brand_id=brand.id,
        source=source,
        keys=sorted(stored),
    )
    session.flush()
    return connection


def disconnect(session: Session, brand: Brand, source: str, actor: User) -> None:
    if not actor.has_role(Role.ADMIN):
        raise PlannerError(_("Only admins connect or disconnect review sites."))
    connection = connection_for(session, brand, source)
    if connection is None:
        raise PlannerError(_("%(site)s is not connected.", site=SITE_LABELS.get(source, source)))
    session.delete(connection)
    audit.record(
        session,
        actor,
        "reviews.site_disconnected",
        "brand",
        brand.id,
        brand_id=brand.id,
        source=source,
    )
    session.flush()


# --- Google Business Profile ------------------------------------------------------------------


def gbp_configured(config: Mapping[str, Any]) -> bool:
    return all(config.get(name) for name in GBP_SETTINGS)


def _gbp_client(config: Mapping[str, Any], **kwargs: Any) -> flow.GuardedOAuth2Session:
    return flow.oauth_client(
        config,
        client_id=config["GOOGLE_BUSINESS_CLIENT_ID"],
        client_secret=config["GOOGLE_BUSINESS_CLIENT_SECRET"],
        token_endpoint_auth_method="client_secret_post",
        **kwargs,
    )


def _token_url(config: Mapping[str, Any]) -> str:
    return f"{config['GOOGLE_BUSINESS_TOKEN_URL']}/token"


def gbp_start(
    brand: Brand,
    actor: User,
    location: str,
    redirect_uri: str,
    store: MutableMapping[str, Any],
    config: Mapping[str, Any],
) -> str:
    """The address of Google's consent page; the attempt is remembered for the callback."""
    if not actor.has_role(Role.ADMIN):
        raise PlannerError(_("Only admins connect or disconnect review sites."))
    if not gbp_configured(config):
        raise PlannerError(
            _(
                "Connecting Google Business Profile is not set up on this server: the operator "
                "sets GOOGLE_BUSINESS_CLIENT_ID and GOOGLE_BUSINESS_CLIENT_SECRET (see the README)."
            )
        )
    location = (location or "").strip().strip("/")
    if not re.fullmatch(LOCATION_RE, location):
        raise PlannerError(
            _(
                "The location is its resource name, accounts/<account id>/locations/<location id>, "
                "as Google Business Profile's API names it."
            )
        )
    client = _gbp_client(config, redirect_uri=redirect_uri, scope=GBP_SCOPE)
    url, state = client.create_authorization_url(
        f"{config['GOOGLE_BUSINESS_AUTH_URL']}/o/oauth2/v2/auth",
        access_type="offline",
        prompt="consent",
        include_granted_scopes="true",
    )
    flow.remember_attempt(
        store,
        state=state,
        platform=PLATFORM,
        user_id=actor.id,
        channel_id=None,
        brand_id=brand.id,
        location=location,
        redirect_uri=redirect_uri,
    )
    return url


def gbp_finish(
    session: Session,
    brand: Brand,
    actor: User,
    attempt: Mapping[str, Any],
    args: Mapping[str, str],
    config: Mapping[str, Any],
    now: datetime,
) -> str:
    """Exchange the code, check the scope and keep the tokens; returns the success message."""
    refused = flow.refusal_message("Google", args)
    if refused:
        raise flow.ConnectProblem(refused)
    client = _gbp_client(config, redirect_uri=attempt["redirect_uri"])
    answer = flow.exchange_code(client, _token_url(config), "Google", args.get("code", ""))
    tokens = flow.tokens_from(answer, now)
    flow.check_scopes("Google", tokens.scopes, (GBP_SCOPE,))
    if not tokens.refresh_token:
        raise flow.ConnectProblem(
            "Google gave no refresh token, so replies would stop within the hour. Nothing was "
            "saved; remove PageOne's access in your Google account and connect again."
        )
    stored = {
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,
        "location": attempt["location"],
    }
    _store(
        session,
        brand,
        "google",
        actor,
        stored,
        config,
        account=attempt["location"],
        expires_at=tokens.access_expires_at,
        now=now,
    )
    return _("Google Business Profile connected for %(location)s.", location=attempt["location"])


def gbp_access_token(
    session: Session, connection: ReviewConnection, config: Mapping[str, Any], now: datetime
) -> tuple[str, str]:
    """A working access token (renewed when it ends within a minute) and the location."""
    stored = credentials(connection, config)
    if not stored.get("access_token"):
        raise SiteProblem("The Google connection cannot be read any more: connect it again.")
    ends = connection.access_expires_at
    if ends is not None and ends - AHEAD <= now:
        if not stored.get("refresh_token") or not gbp_configured(config):
            raise SiteProblem("The Google connection has ended: connect it again.")
        try:
            answer = _gbp_client(config).refresh_token(
                _token_url(config), refresh_token=stored["refresh_token"]
            )
            tokens = flow.tokens_from(answer, now)
        except (
            flow.OAuthError,
            flow.ConnectProblem,
            OutboundBlocked,
            requests.RequestException,
            ValueError,
        ) as exc:
            raise SiteProblem(
                f"Google did not renew the connection ({type(exc).__name__}); connect it again."
            ) from None
        stored["access_token"] = tokens.access_token
        if tokens.refresh_token:
            stored["refresh_token"] = tokens.refresh_token
        connection.credentials_encrypted = encrypt_json(stored, dict(config))
        connection.access_expires_at = tokens.access_expires_at
        session.flush()
    return stored["access_token"], stored.get("location", "")


# --- Trustpilot ---------------------------------------------------------------------------------

TRUSTPILOT_TOKEN_PATH = "/v1/oauth/oauth-business-users-for-applications/accesstoken"
TRUSTPILOT_FIELDS = (
    ("api_key", _l("API key")),
    ("api_secret", _l("API secret")),
    ("username", _l("Business login e-mail")),
    ("password", _l("Business login password")),
    ("business_user_id", _l("Business user ID (the replies' author)")),
)


def trustpilot_token(config: Mapping[str, Any], stored: Mapping[str, Any]) -> dict[str, Any]:
    """Trustpilot's answer to the password grant (access_token, expires_in …)."""
    basic = base64.b64encode(f"{stored['api_key']}:{stored['api_secret']}".encode()).decode()
    url = f"{config['TRUSTPILOT_API_URL']}{TRUSTPILOT_TOKEN_PATH}"
    try:
        with flow.http(config) as http:
            response = http.post(
                url,
                headers={"Authorization": f"Basic {basic}"},
                data={
                    "grant_type": "password",
                    "username": stored["username"],
                    "password": stored["password"],
                },
                timeout=flow.timeout(config),
                allow_redirects=False,
            )
    except (requests.RequestException, OutboundBlocked) as exc:
        raise SiteProblem(f"Trustpilot could not be reached ({type(exc).__name__}).") from None
    if response.status_code in (400, 401, 403):
        raise SiteProblem(
            "Trustpilot refused the API key, secret or login: check them and save again."
        )
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not response.ok or not isinstance(answer, dict) or not answer.get("access_token"):
        raise SiteProblem(f"Trustpilot did not give an access token (HTTP {response.status_code}).")
    return answer


def trustpilot_connect(
    session: Session,
    brand: Brand,
    actor: User,
    values: Mapping[str, Any],
    config: Mapping[str, Any],
    now: datetime,
) -> ReviewConnection:
    """Check the keys and login with Trustpilot, then keep them; nothing is kept on a refusal."""
    if not actor.has_role(Role.ADMIN):
        raise PlannerError(_("Only admins connect or disconnect review sites."))
    stored: dict[str, Any] = {}
    missing = []
    for name, label in TRUSTPILOT_FIELDS:
        value = values.get(name)
        if not isinstance(value, str) or not value.strip():
            missing.append(label)
        else:
            stored[name] = value.strip()[:500]
    if missing:
        raise PlannerError(_("Trustpilot needs: %(fields)s.", fields=", ".join(map(str, missing))))
    answer = trustpilot_token(config, stored)
    expires = flow.tokens_from(answer, now).access_expires_at
    stored["access_token"] = answer["access_token"]
    return _store(
        session,
        brand,
        "trustpilot",
        actor,
        stored,
        config,
        account=stored["username"],
        expires_at=expires,
        now=now,
    )


def trustpilot_access_token(
    session: Session, connection: ReviewConnection, config: Mapping[str, Any], now: datetime
) -> tuple[str, str]:
    """A working access token (asked for again when it ends) and the business user id."""
    stored = credentials(connection, config)
    if not stored.get("api_key"):
        raise SiteProblem("The Trustpilot connection cannot be read any more: connect it again.")
    ends = connection.access_expires_at
    if not stored.get("access_token") or (ends is not None and ends - AHEAD <= now):
        answer = trustpilot_token(config, stored)
        stored["access_token"] = answer["access_token"]
        connection.credentials_encrypted = encrypt_json(stored, dict(config))
        connection.access_expires_at = flow.tokens_from(answer, now).access_expires_at
        session.flush()
    return stored["access_token"], stored["business_user_id"]
