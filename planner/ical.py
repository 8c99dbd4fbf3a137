"""The brand's plan as an iCalendar feed (icalendar builds valid RFC 5545 output)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import utcnow
from core.tenants import Brand
from planner.models import Platform, Post, PostStatus

SHOWN = [
    PostStatus.PENDING_APPROVAL,
    PostStatus.SCHEDULED,
    PostStatus.PUBLISHING,
    PostStatus.PUBLISHED,
    PostStatus.UNCONFIRMED,
    PostStatus.HELD,
    PostStatus.MISSED,
]


def brand_feed(session: Session, brand: Brand, start: datetime, end: datetime) -> bytes:
    from icalendar import Calendar, Event  # loads with the first feed asked for

    calendar = Calendar()
    calendar.add("prodid", "-//PageOne//Content calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"{brand.name} — content plan")
    calendar.add("x-wr-timezone", brand.timezone)
    channels = {c.id: c for c in brand.channels}
    if not channels:
        return calendar.to_ical()
    stamp = utcnow()
    rows = session.execute(
        select(
            Post.id,
            Post.channel_id,
            Post.text,
            Post.link,
            Post.scheduled_at,
            Post.status,
            Post.public_url,
            Post.updated_at,
        )
        .where(
            Post.channel_id.in_(list(channels)),
            Post.scheduled_at >= start,
            Post.scheduled_at < end,
            Post.status.in_([s.value for s in SHOWN]),
        )
        .order_by(Post.scheduled_at)
    )
    for post_id, channel_id, text, link, when, status, public_url, updated in rows:
        channel = channels[channel_id]
        event = Event()
        event.add("uid", f"post-{post_id}@pageone")
        event.add("dtstamp", stamp)
        event.add("last-modified", updated)
        event.add("dtstart", when)
        event.add("dtend", when + timedelta(minutes=15))
        summary = " ".join(text.split())
        event.add("summary", f"[{Platform(channel.platform).label}] {summary[:120]}")
        description = f"{text}\n\nChannel: {channel.name}\nStatus: {status.replace('_', ' ')}"
        if link:
            description += f"\nLink: {link}"
        event.add("description", description)
        if public_url:
            event.add("url", public_url)
        event.add("categories", [channel.platform])
        calendar.add_component(event)
    return calendar.to_ical()


def new_feed_token() -> str:
    """A fresh secret for the brand's feed address; the old address stops working."""
    return secrets.token_urlsafe(24)
