"""After connecting: renewing tokens ahead of their end, saying how healthy a connection is,
and warning people before a connection that cannot be renewed ends."""

from __future__ import annotations

import logging
import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import requests
from authlib.integrations.requests_client import OAuthError
from flask import Flask, current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import db
from planner.connections import flow
from planner.connections.models import ChannelConnection
from planner.connections.registry import connector_for
from planner.models import Channel
from planner.notifications import notify_channel

logger = logging.getLogger("planner.connections")


class Refresh(StrEnum):
    """What :func:`refresh_if_needed` did."""

    NOT_NEEDED = "not_needed"  # no renewable connection, or the token is good for a while
    REFRESHED = "refreshed"
    NEEDS_REAUTH = "needs_reauth"  # the provider refused: a person must connect again
    TRY_LATER = "try_later"  # the provider could not be reached; the stored token stays


def _config(config: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return config if config is not None else current_app.config


def _refused(exc: Exception) -> bool:
    """Whether a failed renewal means the refresh token is no good (as opposed to an outage)."""
    if isinstance(exc, (OAuthError, flow.ConnectProblem)):
        return True
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return exc.response.status_code in (400, 401, 403)
    return False


def refresh_if_needed(
    session: Session,
    channel: Channel,
    now: datetime,
    config: Mapping[str, Any] | None = None,
    *,
    rejected_token: str | None = None,
) -> Refresh:
    """Renew the channel's access token when it ends within TOKEN_REFRESH_AHEAD_SECONDS, or
    when the platform just refused ``rejected_token`` (a 401: renew once, then retry once).

    Takes the channel's row lock first, so two workers never spend the same refresh token (X
    accepts each only once). A refused renewal marks the channel ``needs_reauth`` and tells the
    brand's admins; an unreachable provider changes nothing. Flushes only: the caller commits at
    once, before publishing, so a rotated refresh token is never lost.
    """
    config = _config(config)
    connection = channel.connection
    if connection is None or not connection.refreshable or channel.needs_reauth:
        return Refresh.NEEDS_REAUTH if channel.needs_reauth else Refresh.NOT_NEEDED
    ahead = timedelta(seconds=int(config.get("TOKEN_REFRESH_AHEAD_SECONDS", 600)))
    if rejected_token is None and (
        connection.access_expires_at is None or connection.access_expires_at - ahead > now
    ):
        return Refresh.NOT_NEEDED
    connector = connector_for(channel.platform)
    if connector is None:
        return Refresh.NOT_NEEDED
    session.execute(select(Channel.id).where(Channel.id == channel.id).with_for_update())
    session.refresh(channel)
    session.refresh(connection)
    credentials = flow.read_credentials(channel, config)
    if channel.needs_reauth:
        return Refresh.NEEDS_REAUTH
    # Another worker renewed while this one waited for the lock.
    if rejected_token is not None and credentials.get("access_token") != rejected_token:
        return Refresh.REFRESHED
    if rejected_token is None and connection.access_expires_at - ahead > now:
        return Refresh.REFRESHED
    if not credentials.get("refresh_token"):
        return _needs_reauth(session, channel, connection, config, "no refresh token is stored")
    try:
        tokens = connector.refresh(session, channel, credentials, config, now)
    except Exception as exc:  # noqa: BLE001 - sorted into refused and unreachable below
        if _refused(exc):
            reason = getattr(exc, "description", None) or getattr(exc, "error", None) or str(exc)
            return _needs_reauth(
                session, channel, connection, config, f"the renewal was refused: {reason}"[:300]
            )
        connection.last_error = f"renewal failed, will try again: {type(exc).__name__}"
        session.flush()
        logger.warning("renewing channel %s failed: %s", channel.id, type(exc).__name__)
        return Refresh.TRY_LATER
    if tokens is None:
        return Refresh.NOT_NEEDED
    flow.store_tokens(session, channel, None, tokens, config, now=now, refreshed=True)
    return Refresh.REFRESHED


def _needs_reauth(
    session: Session,
    channel: Channel,
    connection: ChannelConnection,
    config: Mapping[str, Any],
    reason: str,
) -> Refresh:
    channel.needs_reauth = True
    connection.last_error = reason
    connection.refreshable = False
    session.flush()
    notify_channel(session, config, channel, "channel.needs_reauth", reason=reason)
    return Refresh.NEEDS_REAUTH


def refresh_due_connections(
    app: Flask, now: datetime | None = None, channel_ids: Collection[int] | None = None
) -> dict[str, int]:
    """Renew every renewable connection whose token ends soon (of ``channel_ids`` only, when
    given: the publisher's claimed posts, just before they are sent), each in a transaction of
    its own (one provider's trouble does not hold up the others)."""
    from core.db import utcnow

    if channel_ids is not None and not channel_ids:
        return {}

    now = now or utcnow()
    counts: dict[str, int] = {}
    with app.app_context():
        ahead = timedelta(seconds=int(app.config.get("TOKEN_REFRESH_AHEAD_SECONDS", 600)))
        with db.job_session() as session:
            due = list(
                session.scalars(
                    select(ChannelConnection.channel_id)
                    .join(Channel, Channel.id == ChannelConnection.channel_id)
                    .where(
                        ChannelConnection.refreshable.is_(True),
                        Channel.needs_reauth.is_(False),
                        ChannelConnection.access_expires_at <= now + ahead,
                        *(
                            [ChannelConnection.channel_id.in_(list(channel_ids))]
                            if channel_ids is not None
                            else []
                        ),
                    )
                )
            )
        for channel_id in due:
            try:
                with db.job_session() as session:
                    channel = session.get(Channel, channel_id)
                    if channel is not None:
                        outcome = refresh_if_needed(session, channel, now, app.config)
                        counts[outcome.value] = counts.get(outcome.value, 0) + 1
            except Exception:  # noqa: BLE001 - the next channel still gets its turn
                logger.exception("renewing channel %s failed", channel_id)
    return counts


def renew_rejected(app: Flask, channel_id: int, rejected_token: str) -> dict[str, Any] | None:
    """The platform refused ``rejected_token`` (a 401, which published nothing): renew the
    token once and commit it; the channel's new credentials, or None when it was not renewed."""
    from core.db import utcnow

    with app.app_context(), db.job_session() as session:
        channel = session.get(Channel, channel_id)
        if channel is None:
            return None
        outcome = refresh_if_needed(
            session, channel, utcnow(), app.config, rejected_token=rejected_token
        )
        if outcome is not Refresh.REFRESHED:
            return None
        credentials = flow.read_credentials(channel, app.config)
    return credentials or None


# --- health -----------------------------------------------------------------------------------


class Health(StrEnum):
    CONNECTED = "connected"
    EXPIRING = "expiring"
    NEEDS_RECONNECT = "needs_reconnect"
    MANUAL = "manual"  # credentials pasted by hand: PageOne knows no end
    NOT_CONNECTED = "not_connected"


@dataclass(frozen=True)
class ConnectionHealth:
    state: Health
    account: str | None = None
    method: str | None = None
    ends_at: datetime | None = None  # when a person must connect again
    days_left: int | None = None
    access_expires_at: datetime | None = None
    renews_itself: bool = False
    problem: str | None = None

    @property
    def words(self) -> str:
        """The state in a few words for a badge."""
        if self.state is Health.EXPIRING:
            return ngettext(
                "expiring in %(num)d day", "expiring in %(num)d days", self.days_left or 0
            )
        return {
            Health.CONNECTED: _("connected"),
            Health.NEEDS_RECONNECT: _("needs reconnect"),
            Health.MANUAL: _("entered by hand"),
            Health.NOT_CONNECTED: _("not connected"),
        }[self.state]


def days_until(end: datetime, now: datetime) -> int:
    return max(0, math.ceil((end - now).total_seconds() / 86400))


def channel_health(channel: Channel, now: datetime, warn_days: int = 7) -> ConnectionHealth:
    """Connected, expiring in N days, or needs reconnect, with the date that matters."""
    connection = channel.connection
    if connection is None:
        if channel.needs_reauth:
            return ConnectionHealth(Health.NEEDS_RECONNECT)
        if channel.credentials_encrypted:
            return ConnectionHealth(Health.MANUAL)
        return ConnectionHealth(Health.NOT_CONNECTED)
    end = connection.reconnect_by
    common = {
        "account": connection.account,
        "method": connection.method,
        "ends_at": end,
        "access_expires_at": connection.access_expires_at,
        "renews_itself": connection.refreshable,
        "problem": connection.last_error,
    }
    if channel.needs_reauth or (end is not None and end <= now):
        return ConnectionHealth(Health.NEEDS_RECONNECT, **common)
    if end is not None and end - now <= timedelta(days=warn_days):
        return ConnectionHealth(Health.EXPIRING, days_left=days_until(end, now), **common)
    return ConnectionHealth(Health.CONNECTED, **common)


def forget_connection(session: Session, channel: Channel) -> None:
    """Credentials entered by hand replace a connection: its ends no longer apply."""
    if channel.connection is not None:
        session.delete(channel.connection)
        channel.connection = None
        session.flush()
