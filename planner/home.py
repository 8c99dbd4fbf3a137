"""The planner's lines of the home overview: posts due, posts that need a person, approvals and
channels to connect again.

Each kind of line is read with one query over all the brands shown, never one per brand, so the
page of an agency with 50 brands costs what the page of one brand costs. Reading writes nothing
(a GET never writes). The overview itself is assembled in ``core.home`` from every feature's
section (``app.register_home_sections``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from flask import url_for
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.home import HomeLine
from core.tenants import Brand
from planner.models import Channel, Post, PostStatus

WEEK = timedelta(days=7)


# --- the planner's lines ------------------------------------------------------------------------

# Statuses that need a person, in the order they are shown, with what the line says.
PROBLEMS = {
    PostStatus.FAILED.value: (
        10,
        lambda n: ngettext(
            "%(num)d post failed to publish: fix and retry it.",
            "%(num)d posts failed to publish: fix and retry them.",
            n,
        ),
    ),
    PostStatus.UNCONFIRMED.value: (
        11,
        lambda n: ngettext(
            "%(num)d post may have been published: check the platform and confirm.",
            "%(num)d posts may have been published: check the platform and confirm.",
            n,
        ),
    ),
    PostStatus.MISSED.value: (
        12,
        lambda n: ngettext(
            "%(num)d post was missed while no worker ran: reschedule or drop it.",
            "%(num)d posts were missed while no worker ran: reschedule or drop them.",
            n,
        ),
    ),
    PostStatus.HELD.value: (
        14,
        lambda n: ngettext(
            "%(num)d post is held while publishing is paused.",
            "%(num)d posts are held while publishing is paused.",
            n,
        ),
    ),
}


def planner_lines(session: Session, brands: Sequence[Brand], now: datetime) -> list[HomeLine]:
    """Posts due today and in the next 7 days, posts that failed, are unconfirmed, missed or
    held, posts waiting for approval, and channels that must be connected again."""
    ids = [brand.id for brand in brands]
    zones = {brand.id: brand.zone for brand in brands}
    lines: list[HomeLine] = []

    # Posts due: the times of the coming week's scheduled posts; "today" is the brand's day.
    due = session.execute(
        select(Channel.brand_id, Post.scheduled_at)
        .join(Channel, Channel.id == Post.channel_id)
        .where(
            Channel.brand_id.in_(ids),
            Post.status == PostStatus.SCHEDULED.value,
            Post.scheduled_at >= now,
            Post.scheduled_at < now + WEEK,
        )
    ).all()
    today: Counter[int] = Counter()
    week: Counter[int] = Counter()
    for brand_id, at in due:
        week[brand_id] += 1
        if at.astimezone(zones[brand_id]).date() == now.astimezone(zones[brand_id]).date():
            today[brand_id] += 1
    for brand_id in ids:
        calendar = url_for("planner.calendar", brand_id=brand_id)
        if today[brand_id]:
            n = today[brand_id]
            text = ngettext(
                "%(num)d post is due later today.", "%(num)d posts are due later today.", n
            )
            lines.append(HomeLine(brand_id, "due_today", n, text, calendar, False, 60))
        if week[brand_id]:
            n = week[brand_id]
            text = ngettext(
                "%(num)d post is due in the next 7 days.",
                "%(num)d posts are due in the next 7 days.",
                n,
            )
            lines.append(HomeLine(brand_id, "due_week", n, text, calendar, False, 61))

    # Posts that need a person and posts waiting for approval: one count per brand and status.
    counts = session.execute(
        select(Channel.brand_id, Post.status, func.count(Post.id))
        .join(Channel, Channel.id == Post.channel_id)
        .where(
            Channel.brand_id.in_(ids),
            Post.status.in_([*PROBLEMS, PostStatus.PENDING_APPROVAL.value]),
        )
        .group_by(Channel.brand_id, Post.status)
    ).all()
    for brand_id, status, n in counts:
        if status == PostStatus.PENDING_APPROVAL.value:
            text = ngettext(
                "%(num)d post is waiting for approval.",
                "%(num)d posts are waiting for approval.",
                n,
            )
            url = url_for("planner.approvals", brand_id=brand_id)
            lines.append(HomeLine(brand_id, "approvals", n, text, url, True, 20))
            continue
        order, say = PROBLEMS[status]
        url = url_for("planner.publishing", brand_id=brand_id)
        lines.append(HomeLine(brand_id, status, n, say(n), url, True, order))

    # Channels whose credentials stopped working: one opens its own page, several the list.
    reauth: dict[int, list[int]] = defaultdict(list)
    for brand_id, channel_id in session.execute(
        select(Channel.brand_id, Channel.id)
        .where(Channel.brand_id.in_(ids), Channel.needs_reauth.is_(True))
        .order_by(Channel.id)
    ):
        reauth[brand_id].append(channel_id)
    for brand_id, channel_ids in reauth.items():
        n = len(channel_ids)
        if n == 1:
            url = url_for("planner.channel", channel_id=channel_ids[0]) + "#credentials"
        else:
            url = url_for("planner.publishing", brand_id=brand_id)
        text = ngettext(
            "%(num)d channel must be connected again: its credentials stopped working.",
            "%(num)d channels must be connected again: their credentials stopped working.",
            n,
        )
        lines.append(HomeLine(brand_id, "reauth", n, text, url, True, 5))
    return lines
