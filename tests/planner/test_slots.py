"""Engagement windows and "Add to queue": examples first, then properties against a brute force."""

from __future__ import annotations

import time as clock
from bisect import bisect_left
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.slots import (
    DEFAULT_WINDOWS,
    SlotCheck,
    WindowSpec,
    check_slot,
    default_windows,
    find_free_slot,
    in_window,
    validate_timezone,
    validate_windows,
    window_occurrences,
)

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
LONDON = ZoneInfo("Europe/London")
HOUR = timedelta(hours=1)
NO_GAP = timedelta(0)


def window(weekday: int, start: str, end: str) -> WindowSpec:
    return WindowSpec(weekday, minute_of_day(start), minute_of_day(end))


def minute_of_day(hh_mm: str) -> int:
    hours, minutes = hh_mm.split(":")
    return int(hours) * 60 + int(minutes)


def local(tz: ZoneInfo, *fields: int, fold: int = 0) -> datetime:
    return datetime(*fields, tzinfo=tz, fold=fold)


class ChannelPosts:
    """A channel's post times behind the `busy` callable, recording each query it receives."""

    def __init__(self, instants: Sequence[datetime] = ()) -> None:
        self.instants = sorted(instant.astimezone(UTC) for instant in instants)
        self.queries: list[tuple[datetime, datetime]] = []

    def __call__(self, start: datetime, end: datetime) -> list[datetime]:
        self.queries.append((start, end))
        return self.instants[bisect_left(self.instants, start) : bisect_left(self.instants, end)]


def queue(
    windows: Sequence[WindowSpec],
    tz: ZoneInfo,
    after: datetime,
    posts: Sequence[datetime] = (),
    min_gap: timedelta = NO_GAP,
    max_per_day: int | None = None,
    horizon_days: int = 366,
) -> datetime | None:
    return find_free_slot(
        windows, tz, min_gap, max_per_day, after, ChannelPosts(posts), horizon_days
    )


# --- defaults --------------------------------------------------------------------------------


def test_defaults_match_the_published_best_times() -> None:
    assert default_windows("facebook") == [
        window(WED, "11:00", "12:00"),
        window(WED, "13:00", "14:00"),
    ]
    assert default_windows("instagram") == [
        window(WED, "11:00", "12:00"),
        window(FRI, "10:00", "11:00"),
    ]
    assert default_windows("x") == [window(WED, "09:00", "10:00"), window(FRI, "09:00", "10:00")]
    assert default_windows("linkedin") == [
        window(WED, "08:00", "10:00"),
        window(WED, "12:00", "13:00"),
        window(THU, "09:00", "10:00"),
        window(THU, "13:00", "14:00"),
        window(FRI, "09:00", "10:00"),
    ]


def test_every_platform_has_valid_weekday_defaults() -> None:
    platforms = {"facebook", "instagram", "x", "linkedin", "mastodon", "bluesky", "wordpress"}
    assert set(DEFAULT_WINDOWS) == platforms | {"webhook"}
    for platform in DEFAULT_WINDOWS:
        windows = default_windows(platform)
        assert windows, platform
        assert validate_windows(windows) == [], platform
        assert all(w.weekday < SAT and w.weight == 1.0 for w in windows), platform


def test_default_windows_are_a_copy_the_caller_may_edit() -> None:
    default_windows("x").clear()
    assert len(default_windows("x")) == 2


def test_unknown_platform_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ValueError, match="linkedin"):
        default_windows("myspace")


# --- add to queue ----------------------------------------------------------------------------


def test_queue_takes_the_first_window_start() -> None:
    monday = local(LONDON, 2026, 3, 2, 8, 0)
    assert queue(default_windows("linkedin"), LONDON, monday) == local(LONDON, 2026, 3, 4, 8, 0)


def test_queue_returns_utc() -> None:
    slot = queue(default_windows("x"), NEW_YORK, local(NEW_YORK, 2026, 3, 2, 8, 0))
    assert slot is not None and slot.tzinfo is UTC
    assert slot == datetime(2026, 3, 4, 14, 0, tzinfo=UTC)  # Wed 09:00 EST


def test_after_on_a_step_is_itself_free() -> None:
    after = local(LONDON, 2026, 3, 4, 8, 35)
    assert queue(default_windows("linkedin"), LONDON, after) == after


def test_after_between_steps_moves_to_the_next_step() -> None:
    after = local(LONDON, 2026, 3, 4, 8, 31, 10)
    assert queue(default_windows("linkedin"), LONDON, after) == local(LONDON, 2026, 3, 4, 8, 35)


def test_steps_count_from_the_window_start_not_the_hour() -> None:
    windows = [window(MON, "09:07", "10:00")]
    after = local(LONDON, 2026, 3, 2, 9, 8)
    assert queue(windows, LONDON, after) == local(LONDON, 2026, 3, 2, 9, 12)


def test_queue_fills_a_window_then_moves_on() -> None:
    windows = [window(WED, "09:00", "10:00"), window(FRI, "09:00", "10:00")]
    posts = [local(LONDON, 2026, 3, 4, 9, 0)]
    after = local(LONDON, 2026, 3, 2, 0, 0)
    assert queue(windows, LONDON, after, posts, min_gap=HOUR) == local(LONDON, 2026, 3, 6, 9, 0)


def test_gap_is_kept_on_both_sides_and_exactly_min_gap_is_enough() -> None:
    windows = [window(WED, "08:00", "12:00")]
    posts = [local(LONDON, 2026, 3, 4, 8, 10), local(LONDON, 2026, 3, 4, 10, 0)]
    after = local(LONDON, 2026, 3, 2, 0, 0)
    gap = timedelta(minutes=50)
    # 09:00 is 50 min after 08:10 but only 60 min before 10:00: fine; 08:55 would be 45 min.
    assert queue(windows, LONDON, after, posts, min_gap=gap) == local(LONDON, 2026, 3, 4, 9, 0)
    assert queue(windows, LONDON, after, posts, min_gap=HOUR) == local(LONDON, 2026, 3, 4, 11, 0)


def test_gap_looks_at_posts_before_after() -> None:
    windows = [window(WED, "08:00", "12:00")]
    posts = [local(LONDON, 2026, 3, 4, 8, 0)]
    after = local(LONDON, 2026, 3, 4, 8, 1)
    assert queue(windows, LONDON, after, posts, min_gap=HOUR) == local(LONDON, 2026, 3, 4, 9, 0)


def test_full_day_is_skipped_even_for_posts_outside_windows() -> None:
    windows = [window(WED, "08:00", "10:00"), window(THU, "09:00", "10:00")]
    posts = [local(LONDON, 2026, 3, 4, 6, 0), local(LONDON, 2026, 3, 4, 20, 0)]
    after = local(LONDON, 2026, 3, 2, 0, 0)
    assert queue(windows, LONDON, after, posts, max_per_day=2) == local(LONDON, 2026, 3, 5, 9, 0)
    assert queue(windows, LONDON, after, posts, max_per_day=3) == local(LONDON, 2026, 3, 4, 8, 0)
    assert queue(windows, LONDON, after, posts, max_per_day=None) == local(LONDON, 2026, 3, 4, 8)


def test_daily_maximum_counts_the_channels_local_day() -> None:
    # 23:30 in New York on Tuesday is already Wednesday in UTC; it must count for Tuesday.
    windows = [window(WED, "09:00", "10:00"), window(THU, "09:00", "10:00")]
    posts = [local(NEW_YORK, 2026, 3, 3, 23, 30)]
    after = local(NEW_YORK, 2026, 3, 2, 0, 0)
    slot = queue(windows, NEW_YORK, after, posts, max_per_day=1)
    assert slot == local(NEW_YORK, 2026, 3, 4, 9, 0)


def test_no_windows_or_no_room_gives_none() -> None:
    after = local(LONDON, 2026, 3, 2, 0, 0)
    assert queue([], LONDON, after) is None
    assert queue([WindowSpec(WED, 600, 600)], LONDON, after) is None
    assert queue(default_windows("x"), LONDON, after, max_per_day=0) is None
    assert queue(default_windows("x"), LONDON, after, horizon_days=1) is None


def test_naive_after_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        queue(default_windows("x"), LONDON, datetime(2026, 3, 2))


def test_naive_post_times_are_refused_rather_than_read_as_server_time() -> None:
    def naive_busy(start: datetime, end: datetime) -> list[datetime]:
        return [datetime(2026, 3, 4, 9, 0)]

    after = local(LONDON, 2026, 3, 2, 0, 0)
    with pytest.raises(ValueError, match="timezone-aware"):
        find_free_slot(default_windows("x"), LONDON, HOUR, None, after, naive_busy)


# --- windows crossing midnight ----------------------------------------------------------------


def test_window_crossing_midnight_continues_into_the_next_day() -> None:
    windows = [window(FRI, "23:00", "01:00")]
    after = local(BERLIN, 2026, 3, 7, 0, 10)  # Saturday
    assert queue(windows, BERLIN, after) == local(BERLIN, 2026, 3, 7, 0, 10)
    posts = [local(BERLIN, 2026, 3, 6, 23, 30)]
    after = local(BERLIN, 2026, 3, 6, 23, 0)
    assert queue(windows, BERLIN, after, posts, min_gap=HOUR) == local(BERLIN, 2026, 3, 7, 0, 30)


def test_after_midnight_part_of_a_window_counts_for_the_next_day() -> None:
    windows = [window(FRI, "23:00", "01:00")]
    posts = [local(BERLIN, 2026, 3, 6, 20, 0)]  # Friday is full
    after = local(BERLIN, 2026, 3, 6, 22, 0)
    assert queue(windows, BERLIN, after, posts, max_per_day=1) == local(BERLIN, 2026, 3, 7, 0, 0)


def test_sunday_window_runs_into_monday() -> None:
    windows = [window(SUN, "22:00", "02:00")]
    after = local(BERLIN, 2026, 3, 2, 0, 30)  # Monday
    assert queue(windows, BERLIN, after) == after
    after = local(BERLIN, 2026, 3, 2, 2, 0)  # the window has just closed
    assert queue(windows, BERLIN, after) == local(BERLIN, 2026, 3, 8, 22, 0)
    assert in_window(windows, BERLIN, local(BERLIN, 2026, 3, 2, 1, 55))
    assert not in_window(windows, BERLIN, local(BERLIN, 2026, 3, 2, 2, 0))


# --- daylight saving time ---------------------------------------------------------------------


def test_spring_forward_skips_the_missing_hour_in_new_york() -> None:
    # 2026-03-08: clocks go from 01:59 EST to 03:00 EDT; 02:00-02:59 does not exist.
    windows = [window(SUN, "01:30", "03:30")]
    after = local(NEW_YORK, 2026, 3, 8, 1, 56)
    assert queue(windows, NEW_YORK, after) == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)  # 03:00 EDT


def test_window_wholly_in_the_missing_hour_waits_a_week() -> None:
    windows = [window(SUN, "02:00", "02:45")]
    after = local(NEW_YORK, 2026, 3, 8, 0, 0)
    assert queue(windows, NEW_YORK, after) == local(NEW_YORK, 2026, 3, 15, 2, 0)
    assert window_occurrences(windows, NEW_YORK, after, after + timedelta(days=1)) == []


def test_spring_forward_in_berlin() -> None:
    # 2026-03-29: 02:00 CET becomes 03:00 CEST.
    windows = [window(SUN, "02:00", "04:00")]
    after = local(BERLIN, 2026, 3, 29, 0, 0)
    assert queue(windows, BERLIN, after) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 03:00 CEST
    [(start, end, _)] = window_occurrences(windows, BERLIN, after, after + timedelta(days=1))
    assert (start, end) == (
        datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
        datetime(2026, 3, 29, 2, 0, tzinfo=UTC),
    )


def test_fall_back_takes_only_the_first_occurrence() -> None:
    # 2026-11-01: New York shows 01:00-01:59 twice, first EDT (05:00Z) then EST (06:00Z).
    windows = [window(SUN, "01:00", "02:00")]
    first_hour_start = datetime(2026, 11, 1, 5, 0, tzinfo=UTC)
    assert queue(windows, NEW_YORK, local(NEW_YORK, 2026, 11, 1, 0, 0)) == first_hour_start
    posts = [first_hour_start]
    slot = queue(windows, NEW_YORK, first_hour_start, posts, min_gap=timedelta(minutes=30))
    assert slot == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    # Once the first 01:55 has passed the repeated hour is not offered: next Sunday instead.
    after = datetime(2026, 11, 1, 5, 56, tzinfo=UTC)
    assert queue(windows, NEW_YORK, after) == local(NEW_YORK, 2026, 11, 8, 1, 0)


def test_repeated_hour_is_still_inside_the_window_for_a_manual_move() -> None:
    windows = [window(SUN, "01:00", "02:00")]
    second_one_thirty = local(NEW_YORK, 2026, 11, 1, 1, 30, fold=1)
    assert second_one_thirty.astimezone(UTC) == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    assert in_window(windows, NEW_YORK, second_one_thirty)
    day = local(NEW_YORK, 2026, 11, 1, 0, 0)
    [(start, end, _)] = window_occurrences(windows, NEW_YORK, day, day + timedelta(days=1))
    assert end - start == 2 * HOUR


def test_lord_howe_half_hour_shift() -> None:
    lord_howe = ZoneInfo("Australia/Lord_Howe")
    # 2026-10-04: 02:00 (+10:30) becomes 02:30 (+11).
    windows = [window(SUN, "02:00", "03:00")]
    after = local(lord_howe, 2026, 10, 4, 0, 0)
    assert queue(windows, lord_howe, after) == datetime(2026, 10, 3, 15, 30, tzinfo=UTC)
    # 2026-04-05: 02:00 (+11) falls back to 01:30 (+10:30); 01:30-01:59 repeats.
    windows = [window(SUN, "01:30", "02:30")]
    after = datetime(2026, 4, 4, 14, 56, tzinfo=UTC)  # just after the first 01:55
    assert queue(windows, lord_howe, after) == datetime(2026, 4, 4, 15, 30, tzinfo=UTC)  # 02:00


def test_kathmandu_quarter_hour_offset() -> None:
    kathmandu = ZoneInfo("Asia/Kathmandu")
    windows = [window(MON, "09:00", "10:00")]
    after = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    assert queue(windows, kathmandu, after) == datetime(2026, 3, 2, 3, 15, tzinfo=UTC)


# --- validation -------------------------------------------------------------------------------


def test_valid_windows_give_no_messages() -> None:
    windows = [
        window(MON, "09:00", "10:00"),
        window(MON, "10:00", "11:00"),
        window(SUN, "22:00", "00:00"),
    ]
    assert validate_windows(windows) == []
    assert validate_windows([]) == []


def test_out_of_range_values_are_explained() -> None:
    messages = validate_windows(
        [
            WindowSpec(7, 60, 120),
            WindowSpec(MON, -1, 120),
            WindowSpec(MON, 600, 1440),
            WindowSpec(TUE, 60, 120, -1),
        ]
    )
    assert messages == [
        "Window 1: the weekday must be 0 (Monday) to 6 (Sunday), not 7.",
        "Window 2: the start time must be from 00:00 to 23:59 (minute 0 to 1439), not minute -1.",
        "Window 3: the end time must be from 00:00 to 23:59 (minute 0 to 1439), not minute 1440.",
        "Window 4: the weight must be a positive number, not -1.",
    ]


def test_end_equal_to_start_is_explained() -> None:
    [message] = validate_windows([window(WED, "10:00", "10:00")])
    assert message.startswith("Window 1: it starts and ends at 10:00;")


def test_overlapping_windows_are_named() -> None:
    messages = validate_windows([window(WED, "09:00", "11:00"), window(WED, "10:30", "12:00")])
    assert messages == ["Windows 1 and 2 overlap: Wednesday 09:00–11:00 and Wednesday 10:30–12:00."]


def test_window_crossing_midnight_overlaps_the_next_morning() -> None:
    messages = validate_windows([window(TUE, "07:00", "08:00"), window(MON, "22:00", "07:30")])
    assert messages == [
        "Windows 1 and 2 overlap: Tuesday 07:00–08:00 and Monday 22:00–07:30 (ends Tuesday)."
    ]


def test_sunday_night_window_overlaps_monday_morning() -> None:
    messages = validate_windows([window(SUN, "23:00", "01:00"), window(MON, "00:30", "02:00")])
    assert messages == [
        "Windows 1 and 2 overlap: Sunday 23:00–01:00 (ends Monday) and Monday 00:30–02:00."
    ]


def test_timezone_names_are_checked() -> None:
    assert validate_timezone("Europe/Berlin") is None
    assert validate_timezone("Asia/Kathmandu") is None
    assert validate_timezone("UTC") is None
    message = validate_timezone("Europe/Berln")
    assert message is not None and '"Europe/Berln" is not a known timezone' in message
    assert 'Did you mean "Europe/Berlin"?' in message
    assert validate_timezone("Mars/Olympus_Mons") is not None
    assert validate_timezone("") is not None
    assert validate_timezone("../etc/passwd") is not None


# --- moving a post by hand --------------------------------------------------------------------


def test_check_slot_accepts_a_free_time_in_a_window() -> None:
    when = local(NEW_YORK, 2026, 3, 4, 9, 0)
    check = check_slot(default_windows("x"), NEW_YORK, HOUR, 2, when, ChannelPosts())
    assert check == SlotCheck(errors=[], warnings=[]) and check.ok


def test_check_slot_warns_outside_windows_but_allows_it() -> None:
    when = local(NEW_YORK, 2026, 3, 4, 15, 0)
    check = check_slot(default_windows("x"), NEW_YORK, HOUR, 2, when, ChannelPosts())
    assert check.ok
    assert check.warnings == [
        "Wednesday 4 Mar 2026 15:00 (EST) is outside the engagement windows for this channel."
    ]


def test_check_slot_names_the_post_that_is_too_close() -> None:
    when = local(NEW_YORK, 2026, 3, 4, 9, 0)
    posts = ChannelPosts([local(NEW_YORK, 2026, 3, 4, 9, 40), local(NEW_YORK, 2026, 3, 4, 11, 0)])
    check = check_slot(default_windows("x"), NEW_YORK, timedelta(minutes=90), None, when, posts)
    assert not check.ok
    assert check.errors == [
        "Another post is scheduled at Wednesday 4 Mar 2026 09:40 (EST), only 40 minutes from "
        "Wednesday 4 Mar 2026 09:00 (EST); this channel needs at least 1 hour 30 minutes "
        "between posts."
    ]


def test_check_slot_refuses_a_full_day() -> None:
    when = local(NEW_YORK, 2026, 3, 4, 9, 0)
    posts = ChannelPosts([local(NEW_YORK, 2026, 3, 4, 0, 5), local(NEW_YORK, 2026, 3, 4, 23, 55)])
    check = check_slot(default_windows("x"), NEW_YORK, HOUR, 2, when, posts)
    assert check.errors == [
        "Wednesday 4 Mar 2026 already has 2 posts on this channel; it allows at most 2 posts a day."
    ]
    assert check_slot(default_windows("x"), NEW_YORK, HOUR, 3, when, posts).ok


# --- how the database is asked ----------------------------------------------------------------


def test_one_bounded_query_when_the_answer_is_this_week() -> None:
    posts = ChannelPosts()
    after = local(LONDON, 2026, 3, 2, 8, 0)
    find_free_slot(default_windows("linkedin"), LONDON, HOUR, 3, after, posts)
    [(start, end)] = posts.queries
    assert start <= after - HOUR and end - start <= timedelta(days=8) + 2 * HOUR + HOUR


def test_queries_stay_bounded_when_nothing_is_free() -> None:
    posts = ChannelPosts()
    after = local(LONDON, 2026, 3, 2, 8, 0)
    assert find_free_slot(default_windows("x"), LONDON, HOUR, 0, after, posts) is None
    assert len(posts.queries) <= 15
    assert all(end - start <= timedelta(days=32, hours=4) for start, end in posts.queries)
    covered = posts.queries[-1][1] - posts.queries[0][0]
    assert covered >= timedelta(days=366)


def test_queue_on_a_busy_channel_is_fast() -> None:
    # 100,000 posts every 15 minutes up to a week ahead: this week is taken, next week is free.
    after = local(NEW_YORK, 2026, 3, 2, 8, 0).astimezone(UTC)
    first = after + timedelta(days=7) - 100_000 * timedelta(minutes=15)
    posts = ChannelPosts([first + n * timedelta(minutes=15) for n in range(100_000)])
    windows = default_windows("linkedin")
    expected = local(NEW_YORK, 2026, 3, 11, 8, 0)
    timings = []
    for _ in range(30):
        posts.queries.clear()
        started = clock.perf_counter()
        slot = find_free_slot(windows, NEW_YORK, HOUR, 3, after, posts)
        timings.append(clock.perf_counter() - started)
        assert slot == expected
    assert len(posts.queries) == 2
    assert min(timings) < 0.002


# --- properties -------------------------------------------------------------------------------

ZONES = [
    "America/New_York",
    "Europe/London",
    "Europe/Berlin",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "America/Santiago",
    "America/Havana",
    "Pacific/Auckland",
    "Asia/Tehran",
    "Asia/Kathmandu",
    "Africa/Casablanca",
    "UTC",
]


def clock_changes(tz: ZoneInfo) -> list[datetime]:
    """Instants in 2026 when the zone's UTC offset changes (to the minute)."""
    changes = []
    day = datetime(2026, 1, 1, tzinfo=UTC)
    while day.year == 2026:
        next_day = day + timedelta(days=1)
        if next_day.astimezone(tz).utcoffset() != day.astimezone(tz).utcoffset():
            instant = day
            offset = day.astimezone(tz).utcoffset()
            while instant.astimezone(tz).utcoffset() == offset:
                instant += timedelta(minutes=1)
            changes.append(instant)
        day = next_day
    return changes


CLOCK_CHANGES = {name: clock_changes(ZoneInfo(name)) for name in ZONES}
FIFTEEN_MINUTES = timedelta(minutes=15)
FIVE_MINUTES = timedelta(minutes=5)


@st.composite
def moments_of_interest(draw: st.DrawFn, zone: str) -> datetime:
    """Mostly the zone's clock changes in 2026, sometimes any moment of the year."""
    changes = CLOCK_CHANGES[zone] or [datetime(2026, 6, 1, tzinfo=UTC)]
    moment = draw(
        st.one_of(
            st.sampled_from(changes),
            st.sampled_from(changes),
            st.datetimes(datetime(2026, 1, 1), datetime(2026, 12, 1)).map(
                lambda naive: naive.replace(tzinfo=UTC)
            ),
        )
    )
    return moment.replace(microsecond=0)


@st.composite
def window_lists(
    draw: st.DrawFn, near: datetime, tz: ZoneInfo, valid: bool = True
) -> list[WindowSpec]:
    """1-4 windows, most of them on the wall-clock day and hours around `near`."""
    shown = near.astimezone(tz)
    weekday_then, minute_then = shown.weekday(), shown.hour * 60 + shown.minute
    weekdays = st.one_of(
        st.sampled_from(
            [weekday_then, weekday_then, (weekday_then + 1) % 7, (weekday_then + 6) % 7]
        ),
        st.integers(0, 6),
    )
    starts = st.one_of(
        st.integers(-180, 60).map(lambda m: (minute_then + m) % 1440),
        st.integers(0, 1439),
        st.sampled_from([0, 30, 60, 90, 120, 150, 180, 1380, 1410, 1435]),
    )
    lengths = st.one_of(st.integers(1, 12 * 60), st.sampled_from([5, 30, 60, 90, 120, 180]))
    windows: list[WindowSpec] = []
    for _ in range(draw(st.integers(1, 4))):
        start = draw(starts)
        candidate = WindowSpec(draw(weekdays), start, (start + draw(lengths)) % 1440)
        # Dropping a window that overlaps the others is cheaper than rejecting the whole draw.
        if not valid or validate_windows([*windows, candidate]) == []:
            windows.append(candidate)
    return windows


@st.composite
def scenarios(draw: st.DrawFn, valid_windows: bool = True) -> dict:
    zone = draw(st.sampled_from(ZONES))
    tz = ZoneInfo(zone)
    moment = draw(moments_of_interest(zone))
    windows = draw(window_lists(moment, tz, valid=valid_windows))
    before_moment = st.integers(-24 * 60, 30).map(lambda m: timedelta(minutes=m))
    after = moment + draw(before_moment) + timedelta(seconds=draw(st.sampled_from([0, 0, 1, 59])))
    # Posts cluster around the moment, where they can crowd out the slots worth testing.
    post_offsets = st.one_of(
        st.integers(-3 * 60, 3 * 60), st.integers(-3 * 24 * 60, 2 * 24 * 60)
    ).map(lambda m: timedelta(minutes=m))
    posts = [moment + offset for offset in draw(st.lists(post_offsets, max_size=12))]
    gaps = st.sampled_from([0, 1, 5, 30, 60, 90, 240]).map(lambda m: timedelta(minutes=m))
    return {
        "windows": windows,
        "tz": tz,
        "min_gap": draw(gaps),
        "max_per_day": draw(st.one_of(st.none(), st.integers(0, 3))),
        "after": after,
        "posts": posts,
        "horizon_days": draw(st.integers(1, 3)),
    }


def minutes_into_window(w: WindowSpec, wall: datetime) -> int | None:
    """Wall-clock minutes since `w` opened when the clock shows `wall`, or None if it is shut."""
    # Wall-clock arithmetic on the weekly cycle: a Sunday-night window wraps into Monday.
    minute_of_week = wall.weekday() * 1440 + wall.hour * 60 + wall.minute
    since_start = (minute_of_week - w.weekday * 1440 - w.start_minute) % (7 * 1440)
    return since_start if since_start < (w.end_minute - w.start_minute) % 1440 else None


def offered_step(windows: Sequence[WindowSpec], tz: ZoneInfo, instant: datetime) -> bool:
    """Brute force: the clock shows a 5-minute step of a window, and shows it for the first time."""
    shown = instant.astimezone(tz)
    if shown.fold == 1 or shown.second or shown.microsecond:
        return False
    for w in windows:
        since_start = minutes_into_window(w, shown)
        if since_start is not None and since_start % 5 == 0:
            return True
    return False


def free_of_conflicts(
    tz: ZoneInfo,
    min_gap: timedelta,
    max_per_day: int | None,
    instant: datetime,
    posts: list[datetime],
) -> bool:
    if any(abs(instant - post) < min_gap for post in posts):
        return False
    if max_per_day is None:
        return True
    day = instant.astimezone(tz).date()
    return sum(post.astimezone(tz).date() == day for post in posts) < max_per_day


def reference_slot(scenario: dict) -> datetime | None:
    """Walk every minute from `after` and take the first that passes every rule."""
    after = scenario["after"]
    instant = after.replace(second=0)
    if instant < after:
        instant += timedelta(minutes=1)
    before = after + timedelta(days=scenario["horizon_days"])
    while instant < before:
        if offered_step(scenario["windows"], scenario["tz"], instant) and free_of_conflicts(
            scenario["tz"], scenario["min_gap"], scenario["max_per_day"], instant, scenario["posts"]
        ):
            return instant
        instant += timedelta(minutes=1)
    return None


def run_queue(scenario: dict) -> tuple[datetime | None, ChannelPosts]:
    posts = ChannelPosts(scenario["posts"])
    slot = find_free_slot(
        scenario["windows"],
        scenario["tz"],
        scenario["min_gap"],
        scenario["max_per_day"],
        scenario["after"],
        posts,
        scenario["horizon_days"],
    )
    return slot, posts


def examples(count: int) -> settings:
    # Each example walks minutes by brute force, so Hypothesis's deadline would only add noise.
    return settings(max_examples=count, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@examples(150)
@given(scenarios())
def test_queue_gives_the_earliest_slot_that_keeps_every_rule(scenario: dict) -> None:
    slot, posts = run_queue(scenario)
    assert slot == reference_slot(scenario)
    if slot is not None:
        tz = scenario["tz"]
        assert slot.tzinfo is UTC and slot >= scenario["after"]
        wall = slot.astimezone(tz)
        assert wall.fold == 0 and wall.replace(tzinfo=tz).astimezone(UTC) == slot
        assert in_window(scenario["windows"], tz, slot)
        check = check_slot(
            scenario["windows"], tz, scenario["min_gap"], scenario["max_per_day"], slot, posts
        )
        assert check == SlotCheck(errors=[], warnings=[])


@examples(60)
@given(scenarios())
def test_queue_asks_for_bounded_ranges_only(scenario: dict) -> None:
    _, posts = run_queue(scenario)
    assert 1 <= len(posts.queries) <= 2
    for start, end in posts.queries:
        assert end - start <= timedelta(days=9) + 2 * scenario["min_gap"]
        assert start <= scenario["after"] - scenario["min_gap"]


@examples(60)
@given(scenarios(valid_windows=False))
def test_queue_is_earliest_even_when_windows_overlap(scenario: dict) -> None:
    assert run_queue(scenario)[0] == reference_slot(scenario)


def wall_inside_a_window(windows: Sequence[WindowSpec], tz: ZoneInfo, instant: datetime) -> bool:
    shown = instant.astimezone(tz)
    return any(minutes_into_window(w, shown) is not None for w in windows)


def is_ambiguous(tz: ZoneInfo, instant: datetime) -> bool:
    shown = instant.astimezone(tz)
    return shown.replace(fold=1 - shown.fold).astimezone(UTC) != instant


@examples(100)
@given(scenarios(), st.integers(-2 * 24 * 60, 2 * 24 * 60))
def test_in_window_follows_the_wall_clock(scenario: dict, minutes: int) -> None:
    tz = scenario["tz"]
    instant = scenario["after"] + timedelta(minutes=minutes)
    # A repeated wall time belongs to the window as long as the clock has not yet reached the
    # window's end; away from repeated hours, the wall clock alone decides.
    if not is_ambiguous(tz, instant):
        assert in_window(scenario["windows"], tz, instant) == wall_inside_a_window(
            scenario["windows"], tz, instant
        )


@examples(60)
@given(scenarios())
def test_window_occurrences_cover_the_range_in_order(scenario: dict) -> None:
    tz, windows, start = scenario["tz"], scenario["windows"], scenario["after"]
    end = start + timedelta(days=scenario["horizon_days"])
    occurrences = window_occurrences(windows, tz, start, end)
    assert occurrences == sorted(occurrences, key=lambda o: (o[0], o[1]))
    for begin, finish, spec in occurrences:
        assert begin < finish and begin < end and finish > start and spec in windows
        assert begin.tzinfo is UTC and finish - begin <= timedelta(hours=26)
    # Every slot the queue could offer lies in a shaded interval.
    instant = start.replace(second=0) + timedelta(minutes=1)
    while instant < end:
        if offered_step(windows, tz, instant):
            assert any(b <= instant < f for b, f, _ in occurrences)
        instant += FIFTEEN_MINUTES


@examples(100)
@given(scenarios(), st.integers(0, 3 * 24 * 60))
def test_check_slot_agrees_with_the_rules(scenario: dict, minutes: int) -> None:
    tz = scenario["tz"]
    when = scenario["after"] + timedelta(minutes=minutes)
    check = check_slot(
        scenario["windows"],
        tz,
        scenario["min_gap"],
        scenario["max_per_day"],
        when,
        ChannelPosts(scenario["posts"]),
    )
    assert check.ok == free_of_conflicts(
        tz, scenario["min_gap"], scenario["max_per_day"], when, scenario["posts"]
    )
    assert (check.warnings == []) == in_window(scenario["windows"], tz, when)


def test_clock_changes_were_found() -> None:
    # Guards the property tests: they only probe DST if these lists are right.
    assert [c.date() for c in CLOCK_CHANGES["America/New_York"]] == [
        date(2026, 3, 8),
        date(2026, 11, 1),
    ]
    assert CLOCK_CHANGES["UTC"] == [] and CLOCK_CHANGES["Asia/Kathmandu"] == []
    assert len(CLOCK_CHANGES["Australia/Lord_Howe"]) == 2


def windows_around(change: datetime, tz: ZoneInfo) -> list[list[WindowSpec]]:
    """Window sets that meet a clock change: one spanning it, one opening inside the jump."""
    before = (change - timedelta(minutes=1)).astimezone(tz).replace(tzinfo=None)
    after = change.astimezone(tz).replace(tzinfo=None)
    earliest, latest = min(before, after), max(before, after)
    spanning_start = earliest - timedelta(minutes=60)
    spanning = window_from(spanning_start, (latest - earliest) + timedelta(minutes=120))
    inside_jump = window_from(latest - timedelta(minutes=10), timedelta(minutes=20))
    return [[spanning], [inside_jump]]


def window_from(wall_start: datetime, length: timedelta) -> WindowSpec:
    start = wall_start.hour * 60 + wall_start.minute
    return WindowSpec(wall_start.weekday(), start, (start + length // timedelta(minutes=1)) % 1440)


@pytest.mark.parametrize("zone", [z for z in ZONES if CLOCK_CHANGES[z]])
def test_queue_is_earliest_around_every_clock_change_in_2026(zone: str) -> None:
    tz = ZoneInfo(zone)
    for change in CLOCK_CHANGES[zone]:
        for windows in windows_around(change, tz):
            for posts, min_gap in (([], NO_GAP), ([change], timedelta(minutes=30))):
                for minutes in range(-180, 91, 30):
                    scenario = {
                        "windows": windows,
                        "tz": tz,
                        "min_gap": min_gap,
                        "max_per_day": None,
                        "after": change + timedelta(minutes=minutes),
                        "posts": posts,
                        "horizon_days": 1,
                    }
                    assert run_queue(scenario)[0] == reference_slot(scenario), scenario
