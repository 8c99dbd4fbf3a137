"""WordPress: the application-password authorisation screen (WordPress 5.6+), so nobody copies a
password by hand. PageOne sends the person to the site's ``authorize-application.php``; after
they approve, WordPress redirects back with the user name and a new application password, which
PageOne checks against ``/wp-json/wp/v2/users/me`` before keeping it.

Application passwords do not end; they stop working when revoked in the user's profile. WordPress
accepts a success_url only over https, except on sites whose environment type is ``local``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import requests
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from core.models import User
from core.outbound import OutboundBlocked, parse_url
from planner.connections import flow
from planner.connections.base import Connector
from planner.models import Channel

APP_NAME = "PageOne"
# Fixed, so WordPress lists every PageOne password under one application.
APP_ID = "6f1c7a52-4a0e-4c55-9b1e-50a9e0c1d2a1"


def site_url(text: str) -> str:
    text = (text or "").strip().rstrip("/")
    if not text:
        raise flow.ConnectProblem(_("Enter the address of the WordPress site."))
    if "://" not in text:
        text = f"https://{text}"
    try:
        parse_url(text)
    except OutboundBlocked as exc:
        raise flow.ConnectProblem(f"This site address cannot be used ({exc}).") from None
    return text


class WordPressConnector(Connector):
    platform = "wordpress"
    label = "WordPress"
    start_fields = (("site_url", "Site address, e.g. https://blog.example.com", True),)

    def authorization_endpoint(self, site: str, config: Mapping[str, Any]) -> str:
        """The site's authorisation screen, as its REST index announces it (a site may move
        wp-admin); the usual place when the index does not say."""
        fallback = f"{site}/wp-admin/authorize-application.php"
        try:
            with flow.http(config) as http:
                response = http.get(
                    f"{site}/wp-json/", timeout=flow.timeout(config), allow_redirects=False
                )
            index = response.json() if response.ok else {}
            endpoint = index["authentication"]["application-passwords"]["endpoints"][
                "authorization"
            ]
        except (requests.RequestException, ValueError, KeyError, TypeError):
            return fallback
        if not isinstance(endpoint, str):
            return fallback
        try:
            parse_url(endpoint)
        except OutboundBlocked:
            return fallback
        return endpoint

    def start(self, channel, actor, form, store, config, session) -> str:  # type: ignore[no-untyped-def]
        site = site_url(form.get("site_url", ""))
        state = flow.new_verifier()
        back = self.redirect_uri(config)
        flow.remember_attempt(
            store,
            state=state,
            platform=self.platform,
            user_id=actor.id,
            channel_id=channel.id,
            site=site,
        )
        query = urlencode(
            {
                "app_name": APP_NAME,
                "app_id": APP_ID,
                "success_url": f"{back}?{urlencode({'state': state})}",
                "reject_url": f"{back}?{urlencode({'state': state, 'error': 'access_denied'})}",
            }
        )
        return f"{self.authorization_endpoint(site, config)}?{query}"

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
        if args.get("success") == "false":
            raise flow.ConnectProblem(
                _("WordPress was not connected: the application password was refused on the site.")
            )
        username, password = args.get("user_login", ""), args.get("password", "")
        if not username or not password:
            raise flow.ConnectProblem(_("WordPress sent back no application password; try again."))
        site = attempt["site"]
        try:
            with flow.http(config) as http:
                response = http.get(
                    f"{site}/wp-json/wp/v2/users/me",
                    params={"context": "edit"},
                    auth=(username, password),
                    timeout=flow.timeout(config),
                    allow_redirects=False,
                )
            me = response.json() if response.ok else None
        except (requests.RequestException, ValueError) as exc:
            raise flow.token_call_problem(self.label, exc) from None
        if not isinstance(me, dict):
            raise flow.ConnectProblem(
                _(
                    "%(site)s did not accept the new application password (HTTP %(status)s);"
                    " nothing was saved.",
                    site=site,
                    status=response.status_code,
                )
            )
        capabilities = me.get("capabilities") if isinstance(me.get("capabilities"), dict) else {}
        if not capabilities.get("publish_posts"):
            raise flow.ConnectProblem(
                _(
                    "The WordPress user %(user)s may not publish posts on %(site)s; connect with"
                    " an author, editor or administrator. Nothing was saved.",
                    user=username,
                    site=site,
                )
            )
        flow.store_tokens(
            session,
            channel,
            actor,
            flow.Tokens(access_token=password),
            config,
            method="application_password",
            account=f"{me.get('name') or username} on {site}",
            credentials={"site_url": site, "username": username, "app_password": password},
            now=now,
        )
        return _("WordPress connected as %(user)s on %(site)s.", user=username, site=site)
