"""The calendar's event feed: posts as events, engagement windows as shaded background."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, literal_column, select
from sqlalchemy.orm import Session

from core.tenants import Brand
from planner import slots
from planner.models import Channel, Platform, Post, PostStatus
from planner.serialize import iso
from planner.slots import window_specs

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
    """The UTC instant as ISO 8601 text ending in Z, formatted by the database: building a
    datetime per row was most of a busy month's feed time (bench/bench_planner.py)."""
    if dialect == "postgresql":
        return func.to_char(
            func.timezone("UTC", column), literal_column('\'YYYY-MM-DD"T"HH24:MI:SS"Z"\'')
        )
    # SQLite keeps naive UTC as "YYYY-MM-DD HH:MM:SS[.ffffff]".
    return func.substr(column, 1, 10) + "T" + func.substr(column, 12, 8) + "Z"


def _title(text: str) -> str:
    head = " ".join(text.split())
    return head if len(head) <= TITLE_LENGTH else head[: TITLE_LENGTH - 1] + "…"


def _wanted(brand: Brand, channel_ids: Sequence[int] | None) -> dict[int, Channel]:
    channels = {c.id: c for c in brand.channels}
    return {cid: channels[cid] for cid in (channel_ids or channels) if cid in channels}


def post_rows(
    session: Session, channels: Sequence[int], start: datetime, end: datetime
) -> list[tuple[Any, ...]]:
    """(id, channel id, head of the text, ISO start, status, source, public URL, version,
    campaign group id, number of media) per post."""
    if not channels:
        return []
    table = Post.__table__

    connection = session.connection()
    return [
        tuple(row)
        for row in connection.execute(
            select(
                table.c.id,
                table.c.channel_id,
                # Only the head of the text is shown on the calendar.
                func.substr(table.c.text, 1, TITLE_LENGTH * 2),
                utc_iso_text(table.c.scheduled_at, connection.dialect.name),
                table.c.status,
                table.c.source,
                table.c.public_url,
                table.c.version,
                table.c.group_id,
                table.c.media_count,
            ).where(
                table.c.channel_id.in_(channels),
                table.c.scheduled_at >= start,
                table.c.scheduled_at < end,
            )
            # No ORDER BY: the calendar places events itself, and sorting a month costs.
        ).all()  # one fetchall: iterating a result fetches row by row, several times slower
    ]


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
    channels = _wanted(brand, channel_ids)
    events: list[dict[str, Any]] = []
    for (
        post_id,
        channel_id,
        text,
        when,
        status,
        source,
        public_url,
        version,
        group,
        media,
    ) in post_rows(session, list(channels), start, end):
        channel = channels[channel_id]
        props = {
            "channelId": channel_id,
            "channelName": channel.name,
            "platform": channel.platform,
            "status": status,
            "source": source,
            "version": version,
        }
        if public_url:
            props["publicUrl"] = public_url
        if group is not None:
            props["groupId"] = group
        if media:
            props["mediaCount"] = media
        event = {
            "id": str(post_id),
            "title": _title(text),
            "start": when,
            "color": Platform(channel.platform).colour,
            "className": "status-" + status,
            "extendedProps": props,
        }
        if status not in DRAGGABLE:
            event["editable"] = False
        events.append(event)
    if include_windows:
        events.extend(window_events(list(channels.values()), start, end))
    return events


COMPACT_FIELDS = [
    "id", "channelId", "text", "start", "status", "source", "publicUrl", "version", "group",
    "media",
]  # fmt: skip


def compact_feed(
    session: Session,
    brand: Brand,
    start: datetime,
    end: datetime,
    *,
    channel_ids: Sequence[int] | None = None,
    include_windows: bool = False,
) -> dict[str, Any]:
    """The calendar page's own feed: one row per post, expanded into events by the page, which
    knows the channels. A month of a busy brand is ten thousand posts; building an object per
    event on the server took most of the feed's time (bench/bench_planner.py)."""
    channels = _wanted(brand, channel_ids)
    return {
        "fields": COMPACT_FIELDS,
        "posts": post_rows(session, list(channels), start, end),
        "movable": sorted(s.value for s in DRAGGABLE),
        "windows": window_events(list(channels.values()), start, end) if include_windows else [],
    }


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
