"""The home overview's lines about connections: channels whose connection ends within
CONNECTION_WARN_DAYS, or has ended, and cannot be renewed without a person. One query for all
the brands shown; reading writes nothing."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from flask import current_app, url_for
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.home import HomeLine
from core.i18n import local_date
from core.tenants import Brand
from planner.connections.lifecycle import days_until
from planner.connections.models import ChannelConnection
from planner.models import Channel


def connection_lines(session: Session, brands: Sequence[Brand], now: datetime) -> list[HomeLine]:
    ids = [brand.id for brand in brands]
    ahead = timedelta(days=int(current_app.config.get("CONNECTION_WARN_DAYS", 7)))
    ending: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
    for brand_id, channel_id, end in session.execute(
        select(Channel.brand_id, Channel.id, ChannelConnection.reconnect_by)
        .join(ChannelConnection, ChannelConnection.channel_id == Channel.id)
        .where(
            Channel.brand_id.in_(ids),
            Channel.needs_reauth.is_(False),  # those have the planner's "connect again" line
            ChannelConnection.reconnect_by.is_not(None),
            ChannelConnection.reconnect_by <= now + ahead,
        )
        .order_by(ChannelConnection.reconnect_by)
    ):
        ending[brand_id].append((channel_id, end))
    lines = []
    for brand_id, channels in ending.items():
        n = len(channels)
        first_id, first_end = channels[0]
        if n == 1:
            url = url_for("planner.channel", channel_id=first_id) + "#credentials"
        else:
            url = url_for("planner.channels", brand_id=brand_id)
        if first_end <= now:
            text = ngettext(
                "%(num)d channel: the connection ended; connect again.",
                "%(num)d channels: the connection ended; connect again.",
                n,
            )
        else:
            days = days_until(first_end, now)
            within = ngettext("within %(num)d day", "within %(num)d days", days)
            text = ngettext(
                "%(num)d channel must be connected again %(within)s (the platform ends the "
                "connection on %(day)s).",
                "%(num)d channels must be connected again %(within)s (the platform ends the "
                "connection on %(day)s).",
                n,
                within=within,
                day=local_date(first_end, None, "MMMMd"),
            )
        lines.append(HomeLine(brand_id, "connection_ending", n, text, url, True, 6))
    return lines
