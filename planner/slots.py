"""Scheduling rules for engagement windows and "Add to queue".

Pure functions: no database, no Flask. The planner's database layer passes in the channel's
windows, its IANA timezone and a `busy(start, end)` callable that returns the channel's post
times, and stores what these functions decide.

Local wall-clock rules (DESIGN.md, "Engagement windows"):
- a window is a weekday plus a local wall-clock range; it may cross midnight (end <= start);
- a local time that does not exist (clocks jump forward) is skipped;
- an ambiguous local time (clocks fall back) means its first occurrence only.
"""

from __future__ import annotations

import difflib
import math
import zoneinfo
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from flask_babel import gettext, ngettext

from core.i18n import current_language, local_datetime

if TYPE_CHECKING:
    from planner.models import Channel

MINUTES_PER_DAY = 24 * 60
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
SLOT_STEP = timedelta(minutes=5)
_ONE_DAY = timedelta(days=1)
_MIDNIGHT = time()

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTH_ABBREVIATIONS = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)

# No zone in tzdata moves its clocks by more than two hours at once; three leaves room to spare
# when we jump ahead in wall-clock time instead of converting every step.
_LARGEST_CLOCK_CHANGE = timedelta(hours=3)

# "Add to queue" asks `busy` for a few days at a time: the first chunk covers the coming week,
# which is where the answer almost always is, so one indexed query usually suffices; later chunks
# grow so that a queue filled months ahead still needs only a handful of queries.
_FIRST_CHUNK_DAYS = 8
_LARGEST_CHUNK_DAYS = 32

Busy = Callable[[datetime, datetime], Sequence[datetime]]


@dataclass(frozen=True)
class WindowSpec:
    """One engagement window: a local weekday and wall-clock range, in the channel's timezone."""

    weekday: int  # 0 = Monday … 6 = Sunday: the local weekday on which the window starts
    start_minute: int  # local wall-clock minute of the day, 0..1439
    end_minute: int  # 0..1439; end <= start means the window runs past midnight into the next day
    weight: float = 1.0

    @property
    def length_minutes(self) -> int:
        """Wall-clock length; 0 when end equals start, which is invalid."""
        return (self.end_minute - self.start_minute) % MINUTES_PER_DAY

    @property
    def crosses_midnight(self) -> bool:
        return self.end_minute < self.start_minute


def _window(weekday: int, start: str, end: str) -> WindowSpec:
    return WindowSpec(weekday, _minute_of_day(start), _minute_of_day(end))


def _minute_of_day(hh_mm: str) -> int:
    hours, minutes = hh_mm.split(":")
    return int(hours) * 60 + int(minutes)


MON, TUE, WED, THU, FRI, SAT, SUN = range(7)

DEFAULT_WINDOWS: dict[str, list[WindowSpec]] = {
    # Sprout Social's published best times, exactly as the table in DESIGN.md.
    "facebook": [_window(WED, "11:00", "12:00"), _window(WED, "13:00", "14:00")],
    "instagram": [_window(WED, "11:00", "12:00"), _window(FRI, "10:00", "11:00")],
    "x": [_window(WED, "09:00", "10:00"), _window(FRI, "09:00", "10:00")],
    "linkedin": [
        _window(WED, "08:00", "10:00"),
        _window(WED, "12:00", "13:00"),
        _window(THU, "09:00", "10:00"),
        _window(THU, "13:00", "14:00"),
        _window(FRI, "09:00", "10:00"),
    ],
    # Our own choices for platforms the study does not cover.
    # Mastodon home timelines are chronological with no algorithm to resurface a post later, so
    # it is read by whoever is online when it goes out: mid-week working mornings, spread over
    # three days so followers' timelines are not flooded on one.
    "mastodon": [
        _window(TUE, "09:00", "11:00"),
        _window(WED, "09:00", "11:00"),
        _window(THU, "09:00", "11:00"),
    ],
    # Bluesky's Following feed is chronological too and much of its audience came from X, so we
    # keep X's best hour (09:00-10:00) and offer it on every weekday rather than two.
    "bluesky": [_window(day, "09:00", "10:00") for day in (MON, TUE, WED, THU, FRI)],
    # Blog posts are found through feeds, newsletters and search rather than a live timeline;
    # publishing early on Tuesday and Thursday puts them in readers' feeds before the working day
    # starts and leaves time for the social posts that link to them.
    "wordpress": [_window(TUE, "07:00", "09:00"), _window(THU, "07:00", "09:00")],
    # A webhook feeds another system (a chat room, an automation) whose readers we do not know:
    # weekday working hours, wide enough that "Add to queue" always finds room.
    "webhook": [_window(day, "09:00", "17:00") for day in (MON, TUE, WED, THU, FRI)],
}


def default_windows(platform: str) -> list[WindowSpec]:
    """The windows a new channel on `platform` starts with (a fresh list the caller may edit)."""
    key = platform.strip().lower()
    if key not in DEFAULT_WINDOWS:
        known = ", ".join(sorted(DEFAULT_WINDOWS))
        raise ValueError(f'Unknown platform "{platform}"; expected one of: {known}.')
    return list(DEFAULT_WINDOWS[key])


def window_specs(channel: Channel) -> list[WindowSpec]:
    """The channel's stored engagement windows, as these rules read them."""
    return [WindowSpec(w.weekday, w.start_minute, w.end_minute, w.weight) for w in channel.windows]


# --- validation --------------------------------------------------------------------------------


def describe_window(window: WindowSpec) -> str:
    """A window as people read it, e.g. "Sunday 23:00–01:00 (ends Monday)"."""
    weekday = _weekday_name(window.weekday)
    text = f"{weekday} {_clock(window.start_minute)}–{_clock(window.end_minute)}"
    if window.crosses_midnight and 0 <= window.weekday <= 6:
        text += f" (ends {_weekday_name((window.weekday + 1) % 7)})"
    return text


def _weekday_name(weekday: int) -> str:
    return WEEKDAY_NAMES[weekday] if 0 <= weekday <= 6 else f"weekday {weekday}"


def _clock(minute: int) -> str:
    if 0 <= minute < MINUTES_PER_DAY:
        return f"{minute // 60:02d}:{minute % 60:02d}"
    return f"minute {minute}"


def _range_errors(window: WindowSpec) -> list[str]:
    errors = []
    if not 0 <= window.weekday <= 6:
        errors.append(f"the weekday must be 0 (Monday) to 6 (Sunday), not {window.weekday}")
    for label, minute in (("start", window.start_minute), ("end", window.end_minute)):
        if not 0 <= minute < MINUTES_PER_DAY:
            errors.append(
                f"the {label} time must be from 00:00 to 23:59 "
                f"(minute 0 to {MINUTES_PER_DAY - 1}), not minute {minute}"
            )
    if not errors and window.start_minute == window.end_minute:
        errors.append(
            f"it starts and ends at {_clock(window.start_minute)}; a window must end at a "
            "different time than it starts (an end earlier than the start runs past midnight)"
        )
    if not (math.isfinite(window.weight) and window.weight > 0):
        errors.append(f"the weight must be a positive number, not {window.weight}")
    return errors


def _is_usable(window: WindowSpec) -> bool:
    return not _range_errors(window)


def _overlaps_in_week(a: WindowSpec, b: WindowSpec) -> bool:
    # Each window is an arc on the weekly wall clock; Sunday-night windows wrap into Monday.
    a_start = a.weekday * MINUTES_PER_DAY + a.start_minute
    b_start = b.weekday * MINUTES_PER_DAY + b.start_minute
    return (b_start - a_start) % MINUTES_PER_WEEK < a.length_minutes or (
        a_start - b_start
    ) % MINUTES_PER_WEEK < b.length_minutes


def validate_windows(windows: Sequence[WindowSpec]) -> list[str]:
    """Problems with a channel's windows, in plain words; an empty list means they are valid."""
    messages = []
    for number, window in enumerate(windows, start=1):
        for error in _range_errors(window):
            messages.append(f"Window {number}: {error}.")
    usable = [(n, w) for n, w in enumerate(windows, start=1) if _is_usable(w)]
    for i, (first_number, first) in enumerate(usable):
        for second_number, second in usable[i + 1 :]:
            if _overlaps_in_week(first, second):
                messages.append(
                    f"Windows {first_number} and {second_number} overlap: "
                    f"{describe_window(first)} and {describe_window(second)}."
                )
    return messages


def validate_timezone(name: str) -> str | None:
    """An error message when `name` is not a known IANA timezone, else None."""
    try:
        ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        pass
    else:
        return None
    message = gettext(
        '"%(name)s" is not a known timezone; use an IANA name such as "Europe/Berlin".', name=name
    )
    if isinstance(name, str):
        suggestions = difflib.get_close_matches(name, zoneinfo.available_timezones(), n=1)
        if suggestions:
            message = gettext(
                '"%(name)s" is not a known timezone. Did you mean "%(suggestion)s"? '
                'Use an IANA name such as "Europe/Berlin".',
                name=name,
                suggestion=suggestions[0],
            )
    return message


# --- local wall clock ---------------------------------------------------------------------------


# The queue search converts many wall times, and `datetime.replace` costs several times what
# arithmetic does: UTC is attached by adding to an aware epoch instead.
_NAIVE_EPOCH = datetime(2000, 1, 1)
_UTC_EPOCH = _NAIVE_EPOCH.replace(tzinfo=UTC)


def _instant_of(wall: datetime, tz: ZoneInfo) -> datetime | None:
    """The UTC instant a local wall time first shows, or None when the clocks skip it."""
    if wall.fold:
        wall = wall.replace(fold=0)
    offset = tz.utcoffset(wall)  # the zone reads a naive time as its own, fold=0: first showing
    instant = _UTC_EPOCH + (wall - _NAIVE_EPOCH - offset)
    # A skipped wall time gives an instant at which another offset is in force.
    if instant.astimezone(tz).utcoffset() != offset:
        return None
    return instant


def _first_instant_at_or_after(wall: datetime, tz: ZoneInfo) -> datetime:
    """When the local clock first reaches `wall`: for a skipped time, the moment clocks jump."""
    probe = wall
    for _ in range(24 * 60):
        instant = _instant_of(probe, tz)
        if instant is not None:
            return instant
        probe += timedelta(minutes=1)
    raise ValueError(f"{tz.key} skips a whole day after {wall:%Y-%m-%d %H:%M}")


def _local_wall(instant: datetime, tz: ZoneInfo) -> datetime:
    return instant.astimezone(tz).replace(tzinfo=None)


class _DayStarts:
    """When each local calendar day begins, in UTC (a day need not begin at 00:00)."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        self._known: dict[date, datetime] = {}

    def __call__(self, day: date) -> datetime:
        start = self._known.get(day)
        if start is None:
            start = _first_instant_at_or_after(datetime.combine(day, _MIDNIGHT), self.tz)
            self._known[day] = start
        return start


@dataclass(frozen=True)
class _Occurrence:
    window: WindowSpec
    wall_start: datetime
    wall_end: datetime
    start: datetime  # UTC: when the clock first reaches wall_start
    end: datetime  # UTC: when the clock first reaches wall_end


# A usable window with its start (from local midnight) and length as wall-clock durations.
_TimedWindow = tuple[WindowSpec, timedelta, timedelta]


def _usable_by_weekday(windows: Sequence[WindowSpec]) -> dict[int, list[_TimedWindow]]:
    """The usable windows of each local weekday, in the order they open."""
    by_weekday: dict[int, list[_TimedWindow]] = {}
    for window in sorted(windows, key=lambda window: window.start_minute):
        if _is_usable(window):
            by_weekday.setdefault(window.weekday, []).append(
                (
                    window,
                    timedelta(minutes=window.start_minute),
                    timedelta(minutes=window.length_minutes),
                )
            )
    return by_weekday


def _walls_starting_on(
    days: Sequence[date], by_weekday: dict[int, list[_TimedWindow]]
) -> Iterator[tuple[WindowSpec, datetime, datetime]]:
    """Each window's local wall-clock start and end on `days`, in the order they open."""
    for day in days:
        midnight = datetime.combine(day, _MIDNIGHT)
        for window, start, length in by_weekday.get(day.weekday(), ()):
            wall_start = midnight + start
            yield window, wall_start, wall_start + length


def _occurrences_starting_on(
    days: Sequence[date], windows: Sequence[WindowSpec], tz: ZoneInfo
) -> list[_Occurrence]:
    found = []
    for window, wall_start, wall_end in _walls_starting_on(days, _usable_by_weekday(windows)):
        start = _first_instant_at_or_after(wall_start, tz)
        end = _first_instant_at_or_after(wall_end, tz)
        if start < end:  # a window lying wholly in skipped time has no occurrence
            found.append(_Occurrence(window, wall_start, wall_end, start, end))
    found.sort(key=lambda occurrence: (occurrence.start, occurrence.end))
    return found


def _days(first: date, last_exclusive: date) -> list[date]:
    days = []
    day = first
    while day < last_exclusive:
        days.append(day)
        day += _ONE_DAY
    return days


def _require_aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")
    return value.astimezone(UTC)


def window_occurrences(
    windows: Sequence[WindowSpec], tz: ZoneInfo, start: datetime, end: datetime
) -> list[tuple[datetime, datetime, WindowSpec]]:
    """Window occurrences overlapping [start, end) as sorted UTC intervals, for the week view.

    An occurrence runs from when the local clock first reaches its start to when it first
    reaches its end, so a repeated hour inside a window is shaded twice and a skipped one not.
    """
    start = _require_aware(start, "start")
    end = _require_aware(end, "end")
    if start >= end:
        return []
    # An occurrence lasts under a day (plus at most a clock change), so one starting the day
    # before `start` is the earliest that can still reach into the range.
    first_day = _local_wall(start, tz).date() - timedelta(days=1)
    last_day = _local_wall(end, tz).date()
    occurrences = _occurrences_starting_on(
        _days(first_day, last_day + timedelta(days=1)), windows, tz
    )
    return [(o.start, o.end, o.window) for o in occurrences if o.start < end and o.end > start]


def in_window(windows: Sequence[WindowSpec], tz: ZoneInfo, when: datetime) -> bool:
    """Whether `when` falls inside one of the window occurrences shaded on the calendar."""
    when = _require_aware(when, "when")
    return bool(window_occurrences(windows, tz, when, when + timedelta(microseconds=1)))


# --- busy posts ---------------------------------------------------------------------------------


class _ChannelPosts:
    """The channel's post times within one fetched range, for gap and per-day checks."""

    def __init__(self, instants: Sequence[datetime]) -> None:
        # A naive time would silently be read in the server's own timezone: refuse it instead.
        if any(instant.tzinfo is None for instant in instants):
            raise ValueError("busy() must return timezone-aware datetimes")
        self.instants = sorted(
            instant if instant.tzinfo is UTC else instant.astimezone(UTC) for instant in instants
        )

    def too_close(self, when: datetime, min_gap: timedelta) -> list[datetime]:
        """Posts less than `min_gap` away from `when`, earliest first."""
        first = bisect_right(self.instants, when - min_gap)
        last = bisect_left(self.instants, when + min_gap)
        return self.instants[first:last]

    def last_too_close(self, when: datetime, min_gap: timedelta) -> datetime | None:
        """The latest post less than `min_gap` away from `when`, or None."""
        last = bisect_left(self.instants, when + min_gap) - 1
        if last >= 0 and self.instants[last] > when - min_gap:
            return self.instants[last]
        return None

    def count_between(self, start: datetime, end: datetime) -> int:
        return bisect_left(self.instants, end) - bisect_left(self.instants, start)


def _non_negative(gap: timedelta) -> timedelta:
    return max(gap, timedelta(0))


# --- "Add to queue" ------------------------------------------------------------------------------


@dataclass
class _QueueSearch:
    """The rules one "Add to queue" search applies within one fetched chunk of local days.

    A local wall time's first instant grows with the wall time (DST shifts it, never reverses
    it), so the search walks window steps in wall-clock order and jumps over runs of steps that
    cannot be free instead of converting each one to UTC: the rest of a full day, the steps
    before `not_before`, and the steps within `min_gap` of the post that blocks a step.
    """

    tz: ZoneInfo
    min_gap: timedelta
    max_per_day: int | None
    posts: _ChannelPosts
    day_starts: _DayStarts
    first_day: date  # first local day of the chunk
    end_day: date  # first local day after the chunk
    not_before: datetime  # UTC
    before: datetime  # UTC
    _full_days: dict[date, bool] = field(default_factory=dict, init=False)
    _first_wall_worth_checking: datetime = field(init=False)

    def __post_init__(self) -> None:
        # Converting every step before `not_before` would waste time in long windows. Steps are
        # in wall time, which a clock change shifts against UTC, so start a safe margin earlier.
        not_before_wall = _local_wall(self.not_before, self.tz)
        self._first_wall_worth_checking = not_before_wall - _LARGEST_CLOCK_CHANGE

    def day_is_full(self, day: date) -> bool:
        if self.max_per_day is None:
            return False
        full = self._full_days.get(day)
        if full is None:
            posts = self.posts.count_between(self.day_starts(day), self.day_starts(day + _ONE_DAY))
            full = self._full_days[day] = posts >= self.max_per_day
        return full

    def earliest_slot_in(self, wall_start: datetime, wall_end: datetime) -> datetime | None:
        """The first free 5-minute step of one window occurrence, or None."""
        step = max(0, _steps_until(wall_start, self._first_wall_worth_checking))
        while True:
            wall = wall_start + step * SLOT_STEP
            if wall >= wall_end:
                return None
            day = wall.date()
            if day >= self.end_day:
                return None
            if day < self.first_day or self.day_is_full(day):
                step = _steps_until(wall_start, datetime.combine(day + _ONE_DAY, _MIDNIGHT))
                continue
            slot = _instant_of(wall, self.tz)
            if slot is None:  # skipped by the clocks
                step += 1
                continue
            if slot < self.not_before:
                wait_until = self.not_before
            else:
                if slot >= self.before:
                    return None
                blocking = self.posts.last_too_close(slot, self.min_gap)
                if blocking is None:
                    return slot
                wait_until = blocking + self.min_gap
            # Every step before the one showing `wait_until` comes earlier, so it is no better.
            step = max(step + 1, _steps_until(wall_start, _local_wall(wait_until, self.tz)))


def _steps_until(wall_start: datetime, target: datetime) -> int:
    """How many 5-minute steps from `wall_start` reach `target` or just past it."""
    return math.ceil((target - wall_start) / SLOT_STEP)


def _chunks(first_day: date, last_day: date) -> Iterator[tuple[date, date]]:
    """Consecutive [first, end) ranges of local days covering first_day..last_day."""
    size = _FIRST_CHUNK_DAYS
    day = first_day
    while day <= last_day:
        end = min(day + timedelta(days=size), last_day + _ONE_DAY)
        yield day, end
        day = end
        size = min(size * 2, _LARGEST_CHUNK_DAYS)


def find_free_slot(
    windows: Sequence[WindowSpec],
    tz: ZoneInfo,
    min_gap: timedelta,
    max_per_day: int | None,
    after: datetime,
    busy: Busy,
    horizon_days: int = 366,
) -> datetime | None:
    """The earliest free slot at or after `after` for "Add to queue", in UTC, or None.

    A slot is a 5-minute step from a window's local start, at least `min_gap` from every other
    post, on a local day holding fewer than `max_per_day` posts (None: no limit). Windows that
    `validate_windows` rejects are ignored. `busy(start, end)` is asked once per chunk of days.
    """
    after = _require_aware(after, "after")
    min_gap = _non_negative(min_gap)
    by_weekday = _usable_by_weekday(windows)
    if horizon_days <= 0 or not by_weekday:
        return None
    before = after + timedelta(days=horizon_days)
    day_starts = _DayStarts(tz)
    first_day = _local_wall(after, tz).date()
    last_day = _local_wall(before, tz).date()
    for chunk_first, chunk_end in _chunks(first_day, last_day):
        chunk_start, chunk_stop = day_starts(chunk_first), day_starts(chunk_end)
        search = _QueueSearch(
            tz=tz,
            min_gap=min_gap,
            max_per_day=max_per_day,
            posts=_ChannelPosts(busy(chunk_start - min_gap, chunk_stop + min_gap)),
            day_starts=day_starts,
            first_day=chunk_first,
            end_day=chunk_end,
            not_before=max(after, chunk_start),
            before=min(before, chunk_stop),
        )
        # Windows that cross midnight reach into the chunk from the day before it.
        days = _days(chunk_first - _ONE_DAY, chunk_end)
        slot = _earliest_slot(_walls_starting_on(days, by_weekday), search)
        if slot is not None:
            return slot
    return None


def _earliest_slot(
    walls: Iterator[tuple[WindowSpec, datetime, datetime]], search: _QueueSearch
) -> datetime | None:
    best: datetime | None = None
    best_wall: datetime | None = None
    for _window, wall_start, wall_end in walls:  # in the order they open
        # A window opening at or after the best slot's wall time cannot show a slot before it.
        if best_wall is not None and wall_start >= best_wall:
            break  # valid windows never overlap, so this is where the search usually stops
        slot = search.earliest_slot_in(wall_start, wall_end)
        if slot is not None and (best is None or slot < best):
            best, best_wall = slot, _local_wall(slot, search.tz)
    return best


# --- moving a post by hand ----------------------------------------------------------------------


@dataclass
class SlotCheck:
    """What is wrong with a time a user picked: errors block the move, warnings only inform."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def check_slot(
    windows: Sequence[WindowSpec],
    tz: ZoneInfo,
    min_gap: timedelta,
    max_per_day: int | None,
    when: datetime,
    busy: Busy,
) -> SlotCheck:
    """Check a time a user dragged a post to; `busy` must leave out the post being moved."""
    when = _require_aware(when, "when")
    min_gap = _non_negative(min_gap)
    local = when.astimezone(tz)
    day_starts = _DayStarts(tz)
    day_start, next_day_start = day_starts(local.date()), day_starts(local.date() + _ONE_DAY)
    posts = _ChannelPosts(busy(min(day_start, when - min_gap), max(next_day_start, when + min_gap)))

    check = SlotCheck()
    for other in posts.too_close(when, min_gap):
        check.errors.append(
            gettext(
                "Another post is scheduled at %(other)s, only %(distance)s from %(when)s; this"
                " channel needs at least %(gap)s between posts.",
                other=describe_local_time(other, tz),
                distance=_describe_duration(abs(other - when)),
                when=describe_local_time(when, tz),
                gap=_describe_duration(min_gap),
            )
        )
    if max_per_day is not None:
        posts_that_day = posts.count_between(day_start, next_day_start)
        if posts_that_day >= max_per_day:
            check.errors.append(
                gettext(
                    "%(day)s already has %(count)s on this channel; it allows at most %(most)s a"
                    " day.",
                    day=_day_label(local, tz),
                    count=_posts(posts_that_day),
                    most=_posts(max_per_day),
                )
            )
    if not in_window(windows, tz, when):
        check.warnings.append(
            gettext(
                "%(when)s is outside the engagement windows for this channel.",
                when=describe_local_time(when, tz),
            )
        )
    return check


def describe_local_time(instant: datetime, tz: ZoneInfo) -> str:
    """An instant as people in `tz` read it, e.g. "Thursday 10 Dec 2026 09:00 (CET)"; in
    another language the same, written that language's way by Babel."""
    if current_language() != "en":
        local = instant.astimezone(tz)
        return f"{local_datetime(local, tz, 'yMMMEd')} ({local.tzname()})"
    return _local_label(instant, tz)


def _local_label(instant: datetime, tz: ZoneInfo) -> str:
    local = instant.astimezone(tz)
    return f"{_local_day_label(local)} {local:%H:%M} ({local.tzname()})"


def _local_day_label(local: datetime) -> str:
    # Spelled out by hand so the text does not depend on the server's locale.
    weekday = WEEKDAY_NAMES[local.weekday()]
    return f"{weekday} {local.day} {MONTH_ABBREVIATIONS[local.month - 1]} {local.year}"


def _posts(count: int) -> str:
    return ngettext("%(num)d post", "%(num)d posts", count)


def _day_label(local: datetime, tz: ZoneInfo) -> str:
    """A day as people read it: spelled out by hand in English, by Babel in other languages."""
    if current_language() == "en":
        return _local_day_label(local)
    return format_skeleton("yMMMEd", local, tzinfo=tz, locale=current_language())


def _describe_duration(duration: timedelta) -> str:
    seconds = round(duration.total_seconds())
    if seconds < 60:
        return ngettext("%(num)d second", "%(num)d seconds", seconds)
    minutes = seconds // 60
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(ngettext("%(num)d hour", "%(num)d hours", hours))
    if minutes:
        parts.append(ngettext("%(num)d minute", "%(num)d minutes", minutes))
    return " ".join(parts)
