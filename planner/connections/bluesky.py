"""Bluesky: a handle and an app password (kept, encrypted), which open a session
(``com.atproto.server.createSession``). The session's access JWT lives about two hours and its
refresh JWT about two months; PageOne renews the session with the refresh JWT
(``com.atproto.server.refreshSession``) ahead of each end, and opens a new one with the app
password when the refresh JWT is no longer accepted. Only a refused app password needs a person.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import requests
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from core.db import utcnow
from core.outbound import OutboundBlocked, parse_url
from planner.connections import flow
from planner.connections.base import Connector
from planner.models import Channel

DEFAULT_SERVICE = "https://bsky.social"


def jwt_expiry(token: str) -> datetime | None:
    """The ``exp`` claim of a JWT, read without checking the signature: it only decides when to
    renew, and the server remains the judge of the token."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return datetime.fromtimestamp(int(claims["exp"]), UTC)
    except (IndexError, ValueError, KeyError, TypeError):
        return None


class BlueskyConnector(Connector):
    platform = "bluesky"
    label = "Bluesky"
    redirects = False
    start_fields = (
        ("handle", "Handle, e.g. acme.bsky.social", True),
        ("app_password", "App password (Settings → Privacy and security → App passwords)", True),
        ("service", "Service (empty: https://bsky.social)", False),
    )

    def _post(self, config: Mapping[str, Any], url: str, **kwargs: Any) -> requests.Response:
        with flow.http(config) as http:
            return http.post(url, timeout=flow.timeout(config), allow_redirects=False, **kwargs)

    def _session_tokens(self, answer: Any, now: datetime) -> flow.Tokens:
        if not isinstance(answer, dict) or not answer.get("accessJwt"):
            raise flow.ConnectProblem(_("Bluesky's answer held no session."))
        access, refresh = str(answer["accessJwt"]), str(answer.get("refreshJwt") or "")
        return flow.Tokens(
            access_token=access,
            refresh_token=refresh or None,
            access_expires_at=jwt_expiry(access),
            extra={"did": answer.get("did"), "handle": answer.get("handle")},
        )

    def create_session(
        self, service: str, handle: str, password: str, config: Mapping[str, Any], now: datetime
    ) -> flow.Tokens:
        response = self._post(
            config,
            f"{service}/xrpc/com.atproto.server.createSession",
            json={"identifier": handle, "password": password},
        )
        if response.status_code in (400, 401):
            raise flow.ConnectProblem(
                _(
                    "Bluesky refused the handle and app password for %(handle)s; check both (an"
                    " app password, never the account password).",
                    handle=handle,
                )
            )
        response.raise_for_status()
        return self._session_tokens(response.json(), now)

    def start(self, channel, actor, form, store, config, session) -> str:  # type: ignore[no-untyped-def]
        flow.require_admin(actor)
        handle = (form.get("handle") or "").strip().lstrip("@")
        password = (form.get("app_password") or "").strip()
        service = (form.get("service") or "").strip().rstrip("/") or DEFAULT_SERVICE
        if not handle or not password:
            raise flow.ConnectProblem(_("Enter the handle and an app password."))
        try:
            parse_url(service)
        except OutboundBlocked as exc:
            raise flow.ConnectProblem(
                _("This service address cannot be used (%(reason)s).", reason=exc)
            ) from None
        now = utcnow()
        try:
            tokens = self.create_session(service, handle, password, config, now)
        except (requests.RequestException, ValueError) as exc:
            raise flow.token_call_problem(self.label, exc) from None
        flow.store_tokens(
            session,
            channel,
            actor,
            tokens,
            config,
            method="app_password",
            account=f"@{tokens.extra.get('handle') or handle}",
            credentials={
                "handle": handle,
                "app_password": password,
                "service": service,
                # The adapter publishes with this session instead of opening its own.
                "did": str(tokens.extra.get("did") or ""),
            },
            now=now,
        )
        return _("Bluesky connected as @%(handle)s.", handle=tokens.extra.get("handle") or handle)

    def refresh(
        self,
        session: Session,
        channel: Channel,
        credentials: Mapping[str, Any],
        config: Mapping[str, Any],
        now: datetime,
    ) -> flow.Tokens:
        service = str(credentials.get("service") or DEFAULT_SERVICE).rstrip("/")
        response = self._post(
            config,
            f"{service}/xrpc/com.atproto.server.refreshSession",
            headers={"Authorization": f"Bearer {credentials['refresh_token']}"},
        )
        if response.ok:
            return self._session_tokens(response.json(), now)
        if response.status_code not in (400, 401):
            response.raise_for_status()
        # The refresh JWT ended or was revoked: the kept app password opens a new session.
        return self.create_session(
            service, str(credentials["handle"]), str(credentials["app_password"]), config, now
        )
