"""The calendar's event feed: posts as events, engagement windows as shaded background."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
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


def _title(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= TITLE_LENGTH else text[: TITLE_LENGTH - 1] + "…"


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
    # Column rows, not ORM objects: a busy month holds thousands of posts.
    rows = session.execute(
        select(
            Post.id,
            Post.channel_id,
            Post.text,
            Post.scheduled_at,
            Post.status,
            Post.source,
            Post.public_url,
        )
        .where(
            Post.channel_id.in_(wanted),
            Post.scheduled_at >= start,
            Post.scheduled_at < end,
        )
        .order_by(Post.scheduled_at)
    ).all()
    events: list[dict[str, Any]] = []
    for post_id, channel_id, text, scheduled_at, status, source, public_url in rows:
        channel = channels[channel_id]
        events.append(
            {
                "id": str(post_id),
                "title": _title(text),
                "start": iso(scheduled_at),
                "color": Platform(channel.platform).colour,
                "editable": status in DRAGGABLE,
                "classNames": [f"status-{status}"],
                "extendedProps": {
                    "channelId": channel_id,
                    "channelName": channel.name,
                    "platform": channel.platform,
                    "status": status,
                    "source": source,
                    "publicUrl": public_url,
                },
            }
        )
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
                    "classNames": ["engagement-window"],
                    "extendedProps": {"channelId": channel.id, "window": True},
                }
            )
    return shading
