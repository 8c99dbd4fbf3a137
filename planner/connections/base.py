"""What each platform's connection module offers."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from datetime import datetime
from typing import Any, ClassVar

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from core.models import User
from planner.connections.flow import Tokens
from planner.models import Channel


class Connector:
    """One platform's way of connecting a channel.

    ``start`` returns the address to send the browser to (the provider's consent page), having
    remembered the attempt; ``finish`` handles the provider's answer at the callback. Platforms
    whose tokens can be renewed implement ``refresh``.
    """

    platform: ClassVar[str]
    label: ClassVar[str]
    # The operator settings this platform needs (empty: nothing to configure).
    settings: ClassVar[tuple[str, ...]] = ()
    # Fields the connect form asks for before leaving (the Mastodon instance, the site address):
    # (name, label, required).
    start_fields: ClassVar[tuple[tuple[str, str, bool], ...]] = ()
    # Whether the callback is a browser redirect (OAuth) or the connect form does it all.
    redirects: ClassVar[bool] = True

    def configured(self, config: Mapping[str, Any]) -> bool:
        return all(config.get(name) for name in self.settings)

    def not_configured_message(self) -> str:
        names = ", ".join(self.settings)
        return _(
            "Connecting with %(platform)s is not set up on this server: the operator sets"
            " %(names)s (see the README). The manual fields below still work.",
            platform=self.label,
            names=names,
        )

    def redirect_uri(self, config: Mapping[str, Any]) -> str:
        """The callback address to register with the provider."""
        path = url_for("connections.callback", platform=self.platform)
        base = config.get("BASE_URL")
        return (
            f"{base}{path}"
            if base
            else url_for("connections.callback", platform=self.platform, _external=True)
        )

    def start(
        self,
        channel: Channel,
        actor: User,
        form: Mapping[str, str],
        store: MutableMapping[str, Any],
        config: Mapping[str, Any],
        session: Session,
    ) -> str:
        raise NotImplementedError

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
        """Complete the connection; returns the success message."""
        raise NotImplementedError

    def refresh(
        self,
        session: Session,
        channel: Channel,
        credentials: Mapping[str, Any],
        config: Mapping[str, Any],
        now: datetime,
    ) -> Tokens | None:
        """New tokens from the stored refresh token; None: this platform renews nothing."""
        return None

    def revoke(
        self, session: Session, credentials: Mapping[str, Any], config: Mapping[str, Any]
    ) -> None:
        """Tell the provider the tokens are no longer wanted (best effort)."""
