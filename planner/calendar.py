"""The calendar's event feed: posts as events, engagement windows as shaded background."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, literal_column, select
from sqlalchemy.orm import Session

from planner import slots
from planner.models import Brand, Channel, Platform, Post, PostStatus
from planner.operations import window_specs
from planner.serialize import iso

TITLE_LENGTH = 80
# Statuses a person can still drag to another time.
DRAGGABLE = {
    PostStatus.DRAFT,
    PostStatus.PENDING_APPROVAL,
    PostStatus.SCHEDULED,
    PostStatus.MISSED,
    PostStatus.HELD,
    PostStatus.FAILED,
}


def utc_iso_text(column: Any, dialect: str) -> Any:
    """The UTC instant as text, without building a datetime per row: ISO 8601 ending in Z on
    PostgreSQL; on SQLite the stored "YYYY-MM-DD HH:MM:SS" UTC text, finished by _sqlite_iso."""
    if dialect == "postgresql":
        return func.to_char(
            func.timezone("UTC", column), literal_column('\'YYYY-MM-DD"T"HH24:MI:SS"Z"\'')
        )
    return func.substr(column, 1, 19)


def _sqlite_iso(stored: str) -> str:
    return stored[:10] + "T" + stored[11:19] + "Z"


def _title(text: str) -> str:
    # Only the head of the text is shown; folding the whole of a long post would waste time.
    head = " ".join(text[: TITLE_LENGTH * 2].split())
    return head if len(head) <= TITLE_LENGTH else head[: TITLE_LENGTH - 1] + "…"


def calendar_events(
    session: Session,
    brand: Brand,
    start: datetime,
    end: datetime,
    *,
    channel_ids: Sequence[int] | None = None,
    include_windows: bool = False,
) -> list[dict[str, Any]]:
    """FullCalendar event objects for [start, end): one per post, plus window shading."""
    channels = {c.id: c for c in brand.channels}
    wanted = [cid for cid in (channel_ids or channels) if cid in channels]
    if not wanted:
        return []
    table = Post.__table__
    connection = session.connection()
    # Core rows, not ORM objects, with the time formatted by the database: a busy month holds
    # thousands of posts, and per-row datetime objects were most of the feed's time (bench/).
    rows = connection.execute(
        select(
            table.c.id,
            table.c.channel_id,
            func.substr(table.c.text, 1, TITLE_LENGTH * 2),
            utc_iso_text(table.c.scheduled_at, connection.dialect.name),
            table.c.status,
            table.c.source,
            table.c.public_url,
        )
        .where(
            table.c.channel_id.in_(wanted),
            table.c.scheduled_at >= start,
            table.c.scheduled_at < end,
        )
        # No ORDER BY: the calendar places events itself, and sorting a month costs.
    ).all()  # one fetchall: iterating the result fetches row by row, several times slower
    on_sqlite = connection.dialect.name == "sqlite"
    looks = {
        cid: (Platform(channels[cid].platform).colour, channels[cid].name, channels[cid].platform)
        for cid in wanted
    }
    events: list[dict[str, Any]] = []
    append = events.append
    for post_id, channel_id, text, scheduled_at, status, source, public_url in rows:
        colour, channel_name, platform = looks[channel_id]
        props = {
            "channelId": channel_id,
            "channelName": channel_name,
            "platform": platform,
            "status": status,
            "source": source,
        }
        if public_url:
            props["publicUrl"] = public_url
        event = {
            "id": str(post_id),
            "title": _title(text),
            "start": _sqlite_iso(scheduled_at) if on_sqlite else scheduled_at,
            "color": colour,
            "className": "status-" + status,
            "extendedProps": props,
        }
        if status not in DRAGGABLE:
            event["editable"] = False
        append(event)
    if include_windows:
        events.extend(window_events([channels[cid] for cid in wanted], start, end))
    return events


def window_events(
    channels: Sequence[Channel], start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """Background events shading each channel's engagement windows."""
    shading = []
    for channel in channels:
        colour = Platform(channel.platform).colour
        for occ_start, occ_end, _spec in slots.window_occurrences(
            window_specs(channel), channel.zone, start, end
        ):
            shading.append(
                {
                    "start": iso(occ_start),
                    "end": iso(occ_end),
                    "display": "background",
                    "color": colour,
                    "className": "engagement-window",
                    "extendedProps": {"channelId": channel.id, "window": True},
                }
            )
    return shading
