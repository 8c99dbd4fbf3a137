"""Plain dictionaries of planner objects for the JSON API, the calendar and exports."""

from __future__ import annotations

from typing import Any

from core.api import iso
from core.tenants import Brand
from planner.models import Channel, EngagementWindow, Platform, Post


def brand_dict(brand: Brand) -> dict[str, Any]:
    return {
        "id": brand.id,
        "slug": brand.slug,
        "name": brand.name,
        "timezone": brand.timezone,
        "grace_minutes": brand.grace_minutes,
        "requires_approval": brand.requires_approval,
        "paused": brand.paused_at is not None,
        "pause_reason": brand.pause_reason,
        "archived": brand.archived_at is not None,
    }


def window_dict(window: EngagementWindow) -> dict[str, Any]:
    return {
        "weekday": window.weekday,
        "start": f"{window.start_minute // 60:02d}:{window.start_minute % 60:02d}",
        "end": f"{window.end_minute // 60:02d}:{window.end_minute % 60:02d}",
        "weight": window.weight,
    }


def channel_dict(channel: Channel, *, with_windows: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": channel.id,
        "brand_id": channel.brand_id,
        "platform": channel.platform,
        "name": channel.name,
        "timezone": channel.timezone,
        "min_gap_minutes": channel.min_gap_minutes,
        "max_per_day": channel.max_per_day,
        "colour": Platform(channel.platform).colour,
        "has_credentials": bool(channel.credentials_encrypted),
        "needs_reauth": channel.needs_reauth,
    }
    if with_windows:
        data["windows"] = [window_dict(w) for w in channel.windows]
    return data


def post_dict(post: Post) -> dict[str, Any]:
    return {
        "id": post.id,
        "channel_id": post.channel_id,
        "text": post.text,
        "link": post.link,
        "image_url": post.image_url,
        "scheduled_at": iso(post.scheduled_at),
        "status": post.status,
        "source": post.source,
        # A change sent with this number is refused (409) if the post changed since.
        "version": post.version,
        "author_id": post.author_id,
        "public_url": post.public_url,
        "platform_post_id": post.platform_post_id,
        "last_error": post.last_error,
        "created_at": iso(post.created_at),
        "updated_at": iso(post.updated_at),
        "group_id": post.group_id,
    }
