"""LinkedIn: the authorization code flow (3-legged OAuth), posting as the member
(``w_member_social``) or as an organization page the member administers
(``w_organization_social``, checked against the member's organization roles).

Access tokens live 60 days. Refresh tokens (365 days) are issued only to apps LinkedIn approved
for programmatic refresh; with one, the worker renews ahead of each end and people are warned
before the refresh token's end; without, people are warned before the access token's end.
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

MEMBER_SCOPES = ("openid", "profile", "w_member_social")
ORGANIZATION_SCOPES = ("openid", "profile", "w_organization_social", "r_organization_admin")
API_VERSION = "202505"


def organization_urn(text: str) -> str | None:
    """``12345`` or ``urn:li:organization:12345`` as an URN; empty: post as the member."""
    text = (text or "").strip()
    if not text:
        return None
    number = text.removeprefix("urn:li:organization:")
    if not number.isdigit():
        raise flow.ConnectProblem(
            _(
                "The organization page ID is the number in the page's admin address"
                " (linkedin.com/company/12345/admin)."
            )
        )
    return f"urn:li:organization:{number}"


class LinkedInConnector(Connector):
    platform = "linkedin"
    label = "LinkedIn"
    settings = ("LINKEDIN_CLIENT_ID", "LINKEDIN_CLIENT_SECRET")
    start_fields = (("organization", "Organization page ID (empty: post as yourself)", False),)

    def _client(self, config: Mapping[str, Any], **kwargs: Any) -> flow.GuardedOAuth2Session:
        # LinkedIn reads the client's id and secret from the form body.
        return flow.oauth_client(
            config,
            client_id=config["LINKEDIN_CLIENT_ID"],
            client_secret=config["LINKEDIN_CLIENT_SECRET"],
            token_endpoint_auth_method="client_secret_post",
            revocation_endpoint_auth_method="client_secret_post",
            **kwargs,
        )

    def start(self, channel, actor, form, store, config, session) -> str:  # type: ignore[no-untyped-def]
        organization = organization_urn(form.get("organization", ""))
        scopes = ORGANIZATION_SCOPES if organization else MEMBER_SCOPES
        client = self._client(
            config, redirect_uri=self.redirect_uri(config), scope=" ".join(scopes)
        )
        url, state = client.create_authorization_url(
            f"{config['LINKEDIN_AUTH_URL']}/oauth/v2/authorization"
        )
        flow.remember_attempt(
            store,
            state=state,
            platform=self.platform,
            user_id=actor.id,
            channel_id=channel.id,
            organization=organization,
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
            f"{config['LINKEDIN_AUTH_URL']}/oauth/v2/accessToken",
            self.label,
            args.get("code", ""),
        )
        tokens = flow.tokens_from(answer, now)
        organization = attempt.get("organization")
        flow.check_scopes(
            self.label, tokens.scopes, ORGANIZATION_SCOPES if organization else MEMBER_SCOPES
        )
        member, name = self._member(tokens.access_token, config)
        if organization:
            if organization not in self._administered(tokens.access_token, config):
                raise flow.ConnectProblem(
                    _(
                        "This LinkedIn member is not an approved administrator of"
                        " %(organization)s; nothing was saved.",
                        organization=organization,
                    )
                )
            author, account = organization, f"{organization} (by {name or member})"
        else:
            author, account = member, name or member
        flow.store_tokens(
            session,
            channel,
            actor,
            tokens,
            config,
            account=account,
            credentials={"author_urn": author},
            now=now,
        )
        return _("LinkedIn connected as %(account)s.", account=account)

    def _get(self, url: str, access_token: str, config: Mapping[str, Any], **headers: str) -> Any:
        try:
            with flow.http(config) as http:
                response = http.get(
                    url,
                    headers={"Authorization": f"Bearer {access_token}", **headers},
                    timeout=flow.timeout(config),
                    allow_redirects=False,
                )
            return response.json() if response.ok else None
        except (requests.RequestException, ValueError):
            return None

    def _member(self, access_token: str, config: Mapping[str, Any]) -> tuple[str, str | None]:
        """The member's URN (from OpenID Connect's userinfo) and name."""
        info = self._get(f"{config['LINKEDIN_API_URL']}/v2/userinfo", access_token, config)
        if not isinstance(info, dict) or not info.get("sub"):
            raise flow.ConnectProblem(_("LinkedIn did not say which member connected; try again."))
        return f"urn:li:person:{info['sub']}", info.get("name")

    def _administered(self, access_token: str, config: Mapping[str, Any]) -> set[str]:
        answer = self._get(
            f"{config['LINKEDIN_API_URL']}/rest/organizationAcls"
            "?q=roleAssignee&role=ADMINISTRATOR&state=APPROVED",
            access_token,
            config,
            **{"LinkedIn-Version": API_VERSION, "X-Restli-Protocol-Version": "2.0.0"},
        )
        elements = answer.get("elements") if isinstance(answer, dict) else None
        return {
            str(e.get("organization") or e.get("organizationTarget") or "")
            for e in elements or []
            if isinstance(e, dict)
        }

    def refresh(self, session, channel, credentials, config, now) -> flow.Tokens:  # type: ignore[no-untyped-def]
        answer = self._client(config).refresh_token(
            f"{config['LINKEDIN_AUTH_URL']}/oauth/v2/accessToken",
            refresh_token=credentials["refresh_token"],
        )
        return flow.tokens_from(answer, now)

    def revoke(
        self, session: Session, credentials: Mapping[str, Any], config: Mapping[str, Any]
    ) -> None:
        if credentials.get("access_token"):
            self._client(config).revoke_token(
                f"{config['LINKEDIN_AUTH_URL']}/oauth/v2/revoke", token=credentials["access_token"]
            )
