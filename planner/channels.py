"""Channels and their engagement windows."""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from core import audit
from core.errors import NotFound
from core.models import User
from core.tenants import Brand, is_member
from planner import slots
from planner.brands import check_name, check_timezone
from planner.models import CHANNEL_NAME_MAX, Channel, EngagementWindow, Platform
from planner.operations import PlannerError, lock_channels


def channel_for(session: Session, user: User, channel_id: int) -> Channel:
    channel = session.get(Channel, channel_id)
    if channel is None or not is_member(session, user, channel.brand_id):
        raise NotFound(_("No channel %(id)s that you can see.", id=channel_id))
    return channel


def _check_channel_numbers(min_gap_minutes: int, max_per_day: int | None) -> None:
    errors = []
    if not 0 <= min_gap_minutes <= 7 * 24 * 60:
        errors.append(_("The minimum gap must be between 0 minutes and 7 days."))
    if max_per_day is not None and not 1 <= max_per_day <= 500:
        errors.append(_("The daily maximum must be between 1 and 500 (or empty for no maximum)."))
    if errors:
        raise PlannerError(*errors)


def create_channel(
    session: Session,
    brand: Brand,
    actor: User | None,
    *,
    platform: str,
    name: str | None = None,
    timezone: str | None = None,
    min_gap_minutes: int = 60,
    max_per_day: int | None = 3,
) -> Channel:
    """A new channel, with the platform's default engagement windows.

    Without a ``name`` (None) the channel is called after its platform, as the API documents;
    a name that is given but blank is refused, never replaced.
    """
    try:
        platform_enum = Platform(platform)
    except ValueError:
        known = ", ".join(p.value for p in Platform)
        raise PlannerError(
            _(
                "Unknown platform “%(platform)s”; use one of %(known)s.",
                platform=platform,
                known=known,
            )
        ) from None
    name = check_name(platform_enum.label if name is None else name, "channel", CHANNEL_NAME_MAX)
    timezone = timezone or brand.timezone
    check_timezone(timezone)
    _check_channel_numbers(min_gap_minutes, max_per_day)
    channel = Channel(
        brand=brand,
        platform=platform_enum.value,
        name=name,
        timezone=timezone,
        min_gap_minutes=min_gap_minutes,
        max_per_day=max_per_day,
    )
    session.add(channel)
    for spec in slots.default_windows(platform_enum.value):
        channel.windows.append(
            EngagementWindow(
                weekday=spec.weekday,
                start_minute=spec.start_minute,
                end_minute=spec.end_minute,
                weight=spec.weight,
            )
        )
    session.flush()
    audit.record(
        session,
        actor,
        "channel.created",
        "channel",
        channel.id,
        brand_id=brand.id,
        platform=channel.platform,
    )
    return channel


def update_channel(
    session: Session,
    channel: Channel,
    actor: User,
    *,
    name: str,
    timezone: str,
    min_gap_minutes: int,
    max_per_day: int | None,
) -> Channel:
    name = check_name(name, "channel", CHANNEL_NAME_MAX)
    check_timezone(timezone)
    _check_channel_numbers(min_gap_minutes, max_per_day)
    # The gap and the daily maximum change between two placements, never during one.
    lock_channels(session, [channel.id])
    channel.name = name
    channel.timezone = timezone
    channel.min_gap_minutes = min_gap_minutes
    channel.max_per_day = max_per_day
    audit.record(
        session, actor, "channel.updated", "channel", channel.id, brand_id=channel.brand_id
    )
    session.flush()
    return channel


def replace_windows(
    session: Session, channel: Channel, specs: Sequence[slots.WindowSpec], actor: User | None
) -> None:
    """Replace all of a channel's windows, or refuse with every reason."""
    errors = slots.validate_windows(specs)
    if errors:
        raise PlannerError(*errors)
    lock_channels(session, [channel.id])
    channel.windows.clear()
    session.flush()
    for spec in specs:
        channel.windows.append(
            EngagementWindow(
                weekday=spec.weekday,
                start_minute=spec.start_minute,
                end_minute=spec.end_minute,
                weight=spec.weight,
            )
        )
    audit.record(
        session,
        actor,
        "channel.windows_replaced",
        "channel",
        channel.id,
        brand_id=channel.brand_id,
        count=len(specs),
    )
    session.flush()
