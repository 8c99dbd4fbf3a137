"""Mastodon, on any instance: PageOne registers itself as an app on the instance the first time
someone connects there (``POST /api/v1/apps``), keeps that app per instance, then runs the
authorization code flow (with PKCE, which Mastodon 4.3+ checks and older versions ignore).

Mastodon access tokens do not end; they stop working only when revoked, which the worker sees
as a 401 and reports as needing a new connection. Nothing to configure on the operator's side.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.crypto import decrypt_json, encrypt_json
from core.models import User
from core.outbound import OutboundBlocked, parse_url
from planner.connections import flow
from planner.connections.base import Connector
from planner.connections.models import MastodonApp
from planner.models import Channel

SCOPES = ("read:accounts", "write:statuses", "write:media")
APP_NAME = "PageOne"


def instance_url(text: str) -> str:
    """The instance's origin from what a person typed: ``mastodon.social``,
    ``https://mastodon.social/@acme`` and ``https://mastodon.social/`` all give
    ``https://mastodon.social``."""
    text = (text or "").strip()
    if not text:
        raise flow.ConnectProblem(_("Enter the address of the Mastodon instance."))
    if "://" not in text:
        text = f"https://{text.lstrip('@').split('@')[-1]}"
    try:
        scheme, host, port = parse_url(text)
    except OutboundBlocked as exc:
        raise flow.ConnectProblem(
            _("This instance address cannot be used (%(reason)s).", reason=exc)
        ) from None
    default = {"http": 80, "https": 443}[scheme]
    netloc = host if port == default else f"{host}:{port}"
    if ":" in host and not host.startswith("["):
        netloc = f"[{host}]" if port == default else f"[{host}]:{port}"
    return f"{scheme}://{netloc.lower()}"


class MastodonConnector(Connector):
    platform = "mastodon"
    label = "Mastodon"
    start_fields = (("instance", "Instance address, e.g. mastodon.social", True),)

    def app_for(self, session: Session, instance: str, config: Mapping[str, Any]) -> MastodonApp:
        """The app registered on this instance, registering it the first time (or again when
        PageOne's callback address or scopes changed)."""
        redirect_uri = self.redirect_uri(config)
        scopes = " ".join(SCOPES)
        app = session.scalar(select(MastodonApp).where(MastodonApp.instance_url == instance))
        if app is not None and app.redirect_uri == redirect_uri and app.scopes == scopes:
            return app
        try:
            with flow.http(config) as http:
                response = http.post(
                    f"{instance}/api/v1/apps",
                    data={
                        "client_name": APP_NAME,
                        "redirect_uris": redirect_uri,
                        "scopes": scopes,
                        **({"website": config["BASE_URL"]} if config.get("BASE_URL") else {}),
                    },
                    timeout=flow.timeout(config),
                    allow_redirects=False,
                )
            answer = response.json() if response.ok else {}
        except (requests.RequestException, ValueError) as exc:
            raise flow.ConnectProblem(
                _(
                    "The instance %(instance)s could not be reached (%(error)s).",
                    instance=instance,
                    error=type(exc).__name__,
                )
            ) from None
        if not isinstance(answer, dict) or not answer.get("client_id"):
            raise flow.ConnectProblem(
                _(
                    "%(instance)s did not accept PageOne as an app (HTTP %(status)s); is it a"
                    " Mastodon instance?",
                    instance=instance,
                    status=response.status_code,
                )
            )
        if app is None:
            app = MastodonApp(instance_url=instance)
            session.add(app)
        app.redirect_uri = redirect_uri
        app.scopes = scopes
        app.client_id = str(answer["client_id"])
        app.client_secret_encrypted = encrypt_json(
            {"client_secret": str(answer.get("client_secret") or "")}, dict(config)
        )
        session.flush()
        return app

    def _client(
        self, app: MastodonApp, config: Mapping[str, Any], **kwargs: Any
    ) -> flow.GuardedOAuth2Session:
        secret = decrypt_json(app.client_secret_encrypted, dict(config))["client_secret"]
        return flow.oauth_client(
            config,
            client_id=app.client_id,
            client_secret=secret,
            token_endpoint_auth_method="client_secret_post",
            revocation_endpoint_auth_method="client_secret_post",
            code_challenge_method="S256",
            **kwargs,
        )

    def start(self, channel, actor, form, store, config, session) -> str:  # type: ignore[no-untyped-def]
        instance = instance_url(form.get("instance", ""))
        app = self.app_for(session, instance, config)
        verifier = flow.new_verifier()
        client = self._client(app, config, redirect_uri=app.redirect_uri, scope=app.scopes)
        url, state = client.create_authorization_url(
            f"{instance}/oauth/authorize", code_verifier=verifier
        )
        flow.remember_attempt(
            store,
            state=state,
            platform=self.platform,
            user_id=actor.id,
            channel_id=channel.id,
            verifier=verifier,
            instance=instance,
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
        instance = attempt["instance"]
        app = session.scalar(select(MastodonApp).where(MastodonApp.instance_url == instance))
        if app is None:
            raise flow.ConnectProblem(_("The app on this instance is gone; connect again."))
        client = self._client(app, config, redirect_uri=app.redirect_uri)
        answer = flow.exchange_code(
            client,
            f"{instance}/oauth/token",
            self.label,
            args.get("code", ""),
            code_verifier=attempt["verifier"],
        )
        tokens = flow.tokens_from(answer, now)
        flow.check_scopes(self.label, tokens.scopes, SCOPES)
        account = self._account(instance, tokens.access_token, config)
        flow.store_tokens(
            session,
            channel,
            actor,
            tokens,
            config,
            account=account,
            credentials={"base_url": instance},
            now=now,
        )
        if account:
            return _("Mastodon connected as %(account)s.", account=account)
        return _("Mastodon connected.")

    def _account(self, instance: str, access_token: str, config: Mapping[str, Any]) -> str | None:
        try:
            with flow.http(config) as http:
                response = http.get(
                    f"{instance}/api/v1/accounts/verify_credentials",
                    headers={"Authorization": f"Bearer {access_token}"},
                    timeout=flow.timeout(config),
                    allow_redirects=False,
                )
            acct = response.json().get("acct") if response.ok else None
        except (requests.RequestException, ValueError, AttributeError):
            return None
        if not isinstance(acct, str) or not acct:
            return None
        return f"@{acct}" if "@" in acct else f"@{acct}@{urlsplit(instance).hostname}"

    def revoke(
        self, session: Session, credentials: Mapping[str, Any], config: Mapping[str, Any]
    ) -> None:
        instance = str(credentials.get("base_url") or "").rstrip("/")
        app = session.scalar(select(MastodonApp).where(MastodonApp.instance_url == instance))
        if app is None or not credentials.get("access_token"):
            return
        self._client(app, config).revoke_token(
            f"{instance}/oauth/revoke", token=credentials["access_token"]
        )
