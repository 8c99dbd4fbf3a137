"""The worker's connection jobs: renew tokens ahead of their end, and warn people before a
connection that cannot be renewed ends (CONNECTION_WARN_DAYS ahead) and again when it ends."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from core.db import db, utcnow
from planner.connections.lifecycle import refresh_due_connections
from planner.connections.models import ChannelConnection
from planner.models import Channel
from planner.notifications import notify_channel

logger = logging.getLogger("planner.connections")


def warn_expiring_connections(app: Flask, now: datetime | None = None) -> dict[str, int]:
    """Send each warning once per end: "soon" when the end is near, "ended" when it passed
    (the channel is then marked as needing a new connection). A new connection resets both."""
    now = now or utcnow()
    sent = {"channel.expiring": 0, "channel.expired": 0}
    with app.app_context():
        ahead = timedelta(days=int(app.config.get("CONNECTION_WARN_DAYS", 7)))
        with db.job_session() as session:
            rows = session.scalars(
                select(ChannelConnection)
                .join(Channel, Channel.id == ChannelConnection.channel_id)
                .where(
                    ChannelConnection.reconnect_by.is_not(None),
                    ChannelConnection.reconnect_by <= now + ahead,
                    ChannelConnection.warned != "ended",
                )
                .with_for_update(skip_locked=True, of=ChannelConnection)
            ).all()
            for connection in rows:
                channel = connection.channel
                ended = connection.reconnect_by <= now
                if ended:
                    name, connection.warned = "channel.expired", "ended"
                    channel.needs_reauth = True
                elif connection.warned != "soon" and not channel.needs_reauth:
                    name, connection.warned = "channel.expiring", "soon"
                else:
                    continue
                session.flush()
                notify_channel(session, app.config, channel, name, until=connection.reconnect_by)
                sent[name] += 1
    return sent


def register_jobs(scheduler: Any, app: Flask, worker_id: str | None = None) -> None:
    """Add the connection jobs to the worker's APScheduler scheduler."""
    common = {"max_instances": 1, "coalesce": True, "replace_existing": True}
    scheduler.add_job(
        refresh_due_connections,
        "interval",
        minutes=2,
        args=[app],
        id="connections-refresh",
        **common,
    )
    scheduler.add_job(
        warn_expiring_connections,
        "interval",
        minutes=30,
        args=[app],
        id="connections-warn",
        **common,
    )
