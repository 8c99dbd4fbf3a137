"""X: OAuth 2.0 authorization code with PKCE and ``offline.access``.

The access token lives two hours; the refresh token renews it (X sends a new refresh token with
each renewal, and the old one stops working), so the worker renews ahead of every end.
Endpoints: authorize at ``{X_AUTH_URL}/i/oauth2/authorize``, tokens at
``{X_API_URL}/2/oauth2/token``, revocation at ``{X_API_URL}/2/oauth2/revoke``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import requests
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from core.models import User
from planner.connections import flow
from planner.connections.base import Connector
from planner.models import Channel

SCOPES = ("tweet.read", "tweet.write", "users.read", "offline.access")


class XConnector(Connector):
    platform = "x"
    label = "X"
    settings = ("X_CLIENT_ID",)

    def _client(self, config: Mapping[str, Any], **kwargs: Any) -> flow.GuardedOAuth2Session:
        # A confidential client (with a secret) authenticates with Basic; a public one sends
        # its client_id in the body (Authlib's "none" method).
        return flow.oauth_client(
            config,
            client_id=config["X_CLIENT_ID"],
            client_secret=config.get("X_CLIENT_SECRET"),
            code_challenge_method="S256",
            **kwargs,
        )

    def start(self, channel, actor, form, store, config, session) -> str:  # type: ignore[no-untyped-def]
        verifier = flow.new_verifier()
        client = self._client(
            config, redirect_uri=self.redirect_uri(config), scope=" ".join(SCOPES)
        )
        url, state = client.create_authorization_url(
            f"{config['X_AUTH_URL']}/i/oauth2/authorize", code_verifier=verifier
        )
        flow.remember_attempt(
            store,
            state=state,
            platform=self.platform,
            user_id=actor.id,
            channel_id=channel.id,
            verifier=verifier,
        )
        return url

    def finish(
        self,
        session: Session,
        channel: Channel,
        actor: User,
        attempt: Mapping[str, Any],
        args: Mapping[str, str],
        config: Mapping[str, Any],
        now: datetime,
    ) -> str:
        client = self._client(config, redirect_uri=self.redirect_uri(config))
        answer = flow.exchange_code(
            client,
            f"{config['X_API_URL']}/2/oauth2/token",
            self.label,
            args.get("code", ""),
            code_verifier=attempt["verifier"],
        )
        tokens = flow.tokens_from(answer, now)
        flow.check_scopes(self.label, tokens.scopes, SCOPES)
        account = self._username(tokens.access_token, config)
        flow.store_tokens(session, channel, actor, tokens, config, account=account, now=now)
        if account:
            return _("X connected as %(account)s.", account=account)
        return _("X connected.")

    def _username(self, access_token: str, config: Mapping[str, Any]) -> str | None:
        """The account's @name, to show on the channel page; the connection stands without."""
        try:
            with flow.http(config) as http:
                response = http.get(
                    f"{config['X_API_URL']}/2/users/me",
                    headers={"Authorization": f"Bearer {access_token}"},
                    timeout=flow.timeout(config),
                    allow_redirects=False,
                )
            username = response.json().get("data", {}).get("username")
        except (requests.RequestException, ValueError, AttributeError):
            return None
        return f"@{username}" if isinstance(username, str) and username else None

    def refresh(self, session, channel, credentials, config, now) -> flow.Tokens:  # type: ignore[no-untyped-def]
        client = self._client(config)
        answer = client.refresh_token(
            f"{config['X_API_URL']}/2/oauth2/token", refresh_token=credentials["refresh_token"]
        )
        return flow.tokens_from(answer, now)

    def revoke(
        self, session: Session, credentials: Mapping[str, Any], config: Mapping[str, Any]
    ) -> None:
        client = self._client(config)
        for hint in ("refresh_token", "access_token"):
            if credentials.get(hint):
                client.revoke_token(
                    f"{config['X_API_URL']}/2/oauth2/revoke",
                    token=credentials[hint],
                    token_type_hint=hint,
                )
