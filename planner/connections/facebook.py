"""Facebook Pages and Instagram business accounts, through Facebook Login.

The code becomes a short-lived user token (about two hours), exchanged at once for a long-lived
one (about 60 days, ``grant_type=fb_exchange_token``); ``/me/accounts`` then lists the Pages
the person manages, each with a Page token. A Page token obtained from a long-lived user token
has no end date; it stops working when the person loses the Page role, changes their password or
removes the app, which the worker sees as a refusal and reports as needing a new connection.
Facebook also ends the app's *data access* 90 days after the person last used it
(``data_access_expires_at`` of ``/debug_token``): the channels keep that date as the day to
reconnect by, so the health badge, the home overview and the notifications warn ahead of it.

The person picks which Pages and linked Instagram accounts become channels; a Page or account
that already is a channel of the brand is reconnected, never duplicated. The long-lived user
token waits for the pick encrypted in the session cookie and is not kept afterwards.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests
from authlib.integrations.requests_client import OAuthError
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from core.crypto import CredentialsUnreadable, decrypt_json, encrypt_json
from core.models import User
from core.tenants import Brand, is_member
from planner import channels
from planner.connections import flow
from planner.connections.base import Connector
from planner.models import CHANNEL_NAME_MAX, Channel

PAGE_SCOPES = ("pages_show_list", "pages_read_engagement", "pages_manage_posts")
INSTAGRAM_SCOPES = ("instagram_basic", "instagram_content_publish")
PICK_KEY = "connect_facebook_pick"


@dataclass(frozen=True)
class Choice:
    """A Page or an Instagram account the person may make a channel of."""

    platform: str  # "facebook" or "instagram"
    account_id: str
    name: str
    page_token: str
    channel: Channel | None  # the brand's channel for it already, if any

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.account_id}"


def _no_client_auth(request: requests.PreparedRequest) -> requests.PreparedRequest:
    # Facebook takes the app's id and secret as query parameters of a GET.
    return request


class FacebookConnector(Connector):
    platform = "facebook"
    label = "Facebook"
    settings = ("FACEBOOK_CLIENT_ID", "FACEBOOK_CLIENT_SECRET")
    picks = True

    def graph(self, config: Mapping[str, Any]) -> str:
        return f"{config['FACEBOOK_API_URL']}/{config['FACEBOOK_GRAPH_VERSION']}"

    def _client(self, config: Mapping[str, Any], **kwargs: Any) -> flow.GuardedOAuth2Session:
        return flow.oauth_client(config, client_id=config["FACEBOOK_CLIENT_ID"], **kwargs)

    def start(self, channel, actor, form, store, config, session) -> str:  # type: ignore[no-untyped-def]
        return self.start_for_brand(channel.brand_id, channel.id, actor, store, config)

    def start_for_brand(
        self,
        brand_id: int,
        channel_id: int | None,
        actor: User,
        store: MutableMapping[str, Any],
        config: Mapping[str, Any],
    ) -> str:
        client = self._client(
            config,
            redirect_uri=self.redirect_uri(config),
            scope=",".join(PAGE_SCOPES + INSTAGRAM_SCOPES),
        )
        url, state = client.create_authorization_url(
            f"{config['FACEBOOK_AUTH_URL']}/{config['FACEBOOK_GRAPH_VERSION']}/dialog/oauth"
        )
        flow.remember_attempt(
            store,
            state=state,
            platform=self.platform,
            user_id=actor.id,
            channel_id=channel_id,
            brand_id=brand_id,
        )
        return url

    def _token(self, config: Mapping[str, Any], **params: str) -> dict[str, Any]:
        client = self._client(config)
        return client.fetch_token(
            f"{self.graph(config)}/oauth/access_token",
            method="GET",
            auth=_no_client_auth,
            client_id=config["FACEBOOK_CLIENT_ID"],
            client_secret=config["FACEBOOK_CLIENT_SECRET"],
            **params,
        )

    def _get(self, config: Mapping[str, Any], path: str, token: str, **params: str) -> Any:
        with flow.http(config) as http:
            response = http.get(
                f"{self.graph(config)}/{path}",
                params={**params, "access_token": token},
                timeout=flow.timeout(config),
                allow_redirects=False,
            )
        answer = response.json()
        if not response.ok or not isinstance(answer, dict):
            message = answer.get("error", {}).get("message") if isinstance(answer, dict) else None
            raise flow.ConnectProblem(
                _("Facebook refused: %(reason)s", reason=message or response.status_code)
            )
        return answer

    def long_lived_token(
        self, attempt: Mapping[str, Any], args: Mapping[str, str], config: Mapping[str, Any]
    ) -> str:
        """The code, exchanged for a short-lived user token, exchanged for a long-lived one;
        the Page permissions checked."""
        try:
            short = self._token(
                config,
                grant_type="authorization_code",
                code=args.get("code", ""),
                redirect_uri=self.redirect_uri(config),
            )
            long = self._token(
                config, grant_type="fb_exchange_token", fb_exchange_token=short["access_token"]
            )
        except (OAuthError, requests.RequestException, ValueError, KeyError) as exc:
            raise flow.token_call_problem(self.label, exc) from None
        token = str(long.get("access_token") or "")
        if not token:
            raise flow.ConnectProblem(_("Facebook's answer held no access token."))
        try:
            permissions = self._get(config, "me/permissions", token)
        except (requests.RequestException, ValueError) as exc:
            raise flow.token_call_problem(self.label, exc) from None
        granted = {
            p.get("permission")
            for p in permissions.get("data", [])
            if isinstance(p, dict) and p.get("status") == "granted"
        }
        flow.check_scopes(self.label, granted, PAGE_SCOPES)
        return token

    def data_access_ends(self, user_token: str, config: Mapping[str, Any]) -> datetime | None:
        """When Facebook ends the app's data access for this person (90 days after their last
        use), from ``/debug_token`` with the app's own token; None when Facebook does not say.
        Not knowing the date never stops a connection."""
        app_token = f"{config['FACEBOOK_CLIENT_ID']}|{config['FACEBOOK_CLIENT_SECRET']}"
        try:
            answer = self._get(config, "debug_token", app_token, input_token=user_token)
        except (flow.ConnectProblem, requests.RequestException, ValueError):
            return None
        data = answer.get("data")
        ends = data.get("data_access_expires_at") if isinstance(data, dict) else None
        if not isinstance(ends, int) or isinstance(ends, bool) or ends <= 0:
            return None
        return datetime.fromtimestamp(ends, UTC)

    def choices(
        self, session: Session, brand: Brand, user_token: str, config: Mapping[str, Any]
    ) -> list[Choice]:
        """The Pages the person manages and the Instagram accounts linked to them."""
        try:
            answer = self._get(
                config,
                "me/accounts",
                user_token,
                fields="id,name,access_token,instagram_business_account{id,username}",
                limit="100",
            )
        except (requests.RequestException, ValueError) as exc:
            raise flow.token_call_problem(self.label, exc) from None
        existing: dict[tuple[str, str], Channel] = {}
        for channel in brand.channels:
            if channel.platform in ("facebook", "instagram"):
                stored = flow.read_credentials(channel, config)
                key = stored.get("page_id") or stored.get("ig_user_id")
                if key:
                    existing[(channel.platform, str(key))] = channel
        found: list[Choice] = []
        for page in answer.get("data", []):
            if not isinstance(page, dict) or not page.get("id") or not page.get("access_token"):
                continue
            page_id, token = str(page["id"]), str(page["access_token"])
            name = str(page.get("name") or page_id)
            found.append(
                Choice("facebook", page_id, name, token, existing.get(("facebook", page_id)))
            )
            instagram = page.get("instagram_business_account")
            if isinstance(instagram, dict) and instagram.get("id"):
                ig_id = str(instagram["id"])
                ig_name = f"@{instagram['username']}" if instagram.get("username") else ig_id
                found.append(
                    Choice("instagram", ig_id, ig_name, token, existing.get(("instagram", ig_id)))
                )
        return found

    def offer(
        self,
        session: Session,
        actor: User,
        attempt: Mapping[str, Any],
        args: Mapping[str, str],
        store: MutableMapping[str, Any],
        config: Mapping[str, Any],
    ) -> tuple[Brand, list[Choice]]:
        """After consent: keep the long-lived token for the pick, and what may be picked."""
        brand = session.get(Brand, attempt.get("brand_id"))
        if brand is None:
            raise flow.ConnectProblem(_("The brand of this connection is gone."))
        token = self.long_lived_token(attempt, args, config)
        store[PICK_KEY] = {
            "brand_id": brand.id,
            "user_id": actor.id,
            "token": encrypt_json({"user_token": token}, dict(config)),
        }
        return brand, self.choices(session, brand, token, config)

    def pick(
        self,
        session: Session,
        actor: User,
        picked: list[str],
        store: MutableMapping[str, Any],
        config: Mapping[str, Any],
        now: datetime,
    ) -> tuple[Brand, list[str]]:
        """Make channels of the picked Pages and accounts (or reconnect the brand's ones)."""
        flow.require_admin(actor)
        kept = store.pop(PICK_KEY, None) or {}
        if kept.get("user_id") != actor.id:
            raise flow.ConnectProblem(_("Nothing is waiting to be picked; connect Facebook again."))
        brand = session.get(Brand, kept.get("brand_id"))
        try:
            user_token = decrypt_json(kept.get("token"), dict(config))["user_token"]
        except (CredentialsUnreadable, KeyError):
            raise flow.ConnectProblem(
                _("Nothing is waiting to be picked; connect again.")
            ) from None
        if brand is None or not is_member(session, actor, brand.id):
            raise flow.ConnectProblem(_("This brand is not one of yours."))
        chosen = [c for c in self.choices(session, brand, user_token, config) if c.key in picked]
        if not chosen:
            raise flow.ConnectProblem(_("Pick at least one Page or Instagram account."))
        reconnect_by = self.data_access_ends(user_token, config)
        done = []
        for choice in chosen:
            channel = choice.channel or channels.create_channel(
                session, brand, actor, platform=choice.platform, name=choice.name[:CHANNEL_NAME_MAX]
            )
            if choice.platform == "facebook":
                credentials = {"page_id": choice.account_id}
                tokens = flow.Tokens(access_token=choice.page_token)
                extra = {"page_access_token": choice.page_token}
            else:
                credentials = {"ig_user_id": choice.account_id}
                tokens = flow.Tokens(access_token=choice.page_token)
                extra = {}
            flow.store_tokens(
                session,
                channel,
                actor,
                tokens,
                config,
                account=choice.name,
                credentials={**credentials, **extra},
                reconnect_by=reconnect_by,
                now=now,
            )
            if choice.channel:
                done.append(_("reconnected %(name)s", name=choice.name))
            else:
                done.append(_("added %(name)s", name=choice.name))
        return brand, done


FACEBOOK = FacebookConnector()
