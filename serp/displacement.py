"""Displacement figures: is the brand's content pushing the negative results down?

Pure functions over plain data (:class:`CheckPoint` lists per query) compute every figure; they
read no database. :mod:`serp.brand_history` loads their input.

Conventions shared by every figure:

- Only good checks (status ``ok``) count. A blocked or failed check is a gap: it is never read as
  "the item disappeared", and is skipped when looking for "the check before" or "4 weeks ago".
- A tracked URL missing from a good check is **below depth**: its position is ``None`` and it is
  shown as "> depth". It ranks below every position the check shows.
- A figure that compares or aggregates checks over time needs at least 2 good checks; with fewer
  its value is ``None`` and ``notes[field]`` says "too few checks".
"""

from __future__ import annotations

import statistics
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from serp.models import CheckStatus, Label

# Backlinko 2019 organic click-through rates for positions 1-10, in percent.
DEFAULT_CTR_CURVE: tuple[float, ...] = (
    31.73, 24.71, 18.66, 13.60, 9.51, 6.23, 4.15, 3.12, 2.97, 3.09,
)  # fmt: skip
PAGE_ONE = 10
TOO_FEW = "too few checks"
MIN_CHECKS = 2
UNLABELLED = "unlabelled"
EMPTY = "empty"
COMPOSITION_KEYS = ("owned", "positive", "neutral", UNLABELLED, "negative")
SIGN = {Label.OWNED.value: 1, Label.POSITIVE.value: 1, Label.NEGATIVE.value: -1}
# Plain strings: an enum member's .value costs a descriptor call in loops over every check.
OK = CheckStatus.OK.value
NEGATIVE = Label.NEGATIVE.value
OWNED = Label.OWNED.value
WINDOW_CHECKS = 4  # "is it working": good checks before and after an asset went live


# --- page one -----------------------------------------------------------------------------------


def check_curve(curve: Sequence[float]) -> tuple[float, ...]:
    """A click-through curve of 10 non-negative weights with a positive sum, or ValueError."""
    values = tuple(float(v) for v in curve)
    if len(values) != PAGE_ONE or any(v < 0 for v in values) or sum(values) <= 0:
        raise ValueError("A click-through curve has 10 non-negative weights, not all zero.")
    return values


def page_one_score(
    labels: Sequence[str | None], curve: Sequence[float] = DEFAULT_CTR_CURVE
) -> float:
    """Σ w(p)·s(p) / Σ w(p) over positions 1-10: +1 owned/positive, -1 negative, 0 otherwise.

    ``labels[0]`` is position 1. A page with fewer than 10 results counts its empty positions as
    0, so the score is always relative to the whole of page one.
    """
    weights = check_curve(curve)
    total = sum(w * SIGN.get(label or "", 0) for w, label in zip(weights, labels, strict=False))
    return total / sum(weights)


def composition(labels: Sequence[str | None]) -> dict[str, int]:
    """How many of positions 1-10 are owned, positive, neutral, unlabelled and negative."""
    counts = dict.fromkeys(COMPOSITION_KEYS, 0)
    for label in list(labels)[:PAGE_ONE]:
        if label == EMPTY:
            continue
        counts[label if label in counts else UNLABELLED] += 1
    return counts


def needed_to_leave_page_one(position: int | None) -> int:
    """Results that must move above a result at this position to push it off page one."""
    return PAGE_ONE + 1 - position if position is not None and position <= PAGE_ONE else 0


def weighted_mean(pairs: Iterable[tuple[float | None, float]]) -> float | None:
    """Mean of the values weighted by their weights, leaving out missing values."""
    pairs = [(value, weight) for value, weight in pairs if value is not None and weight > 0]
    total = sum(weight for _, weight in pairs)
    return sum(value * weight for value, weight in pairs) / total if total else None


# --- history of a query -------------------------------------------------------------------------


@dataclass(slots=True)  # a brand holds thousands: no per-instance __dict__
class CheckPoint:
    """One check of a query, as the figures need it."""

    check_id: int
    checked_at: datetime
    status: str
    score: float | None = None  # page-one score; None unless the check is good
    # Page-one composition in the order of COMPOSITION_KEYS; empty unless the check is good.
    counted: tuple[int, ...] = ()
    positions: dict[str, int] = field(default_factory=dict)  # tracked normalized URL → position
    week: date | None = None  # Monday of its week in the brand's zone, when loaded with one

    @property
    def ok(self) -> bool:
        return self.status == OK

    @property
    def counts(self) -> dict[str, int]:
        """The composition by label; a dict is made only for the few checks that show one."""
        return dict(zip(COMPOSITION_KEYS, self.counted, strict=True)) if self.counted else {}


@dataclass
class QueryHistory:
    query_id: int
    text: str
    importance: float
    depth: int
    checks: list[CheckPoint]  # oldest first, blocked and failed ones included
    strip: list[str] = field(default_factory=list)  # labels of positions 1-10, latest good check
    strip_urls: list[str] = field(default_factory=list)
    week_zone: str | None = None  # the zone of the checks' ``week``, when they have one
    # weeks back → the check of weeks_before_latest(), filled in as items ask for it
    _references: dict[int, CheckPoint | None] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @cached_property
    def good(self) -> list[CheckPoint]:
        return [c for c in self.checks if c.status == OK]  # not .ok: a call per check

    @cached_property
    def urls(self) -> set[str]:
        """Every tracked URL in the query's good checks."""
        return set().union(*(c.positions for c in self.good))

    @cached_property
    def good_weeks(self) -> list[int]:
        """The ISO week (in UTC) of each good check, numbered from the week of 1 January 1970:
        weeks begin on Mondays, and day 0 of the epoch was a Thursday."""
        return [(int(c.checked_at.timestamp() // 86400) + 3) // 7 for c in self.good]

    @property
    def latest(self) -> CheckPoint | None:
        good = self.good
        return good[-1] if good else None

    def weeks_before_latest(self, weeks: int) -> CheckPoint | None:
        """The good check ``weeks`` weeks before the latest (the last one at or before that
        moment, with :data:`SLACK`); None when there is none. The same for every item of the
        query, so it is looked up once."""
        found = self._references.get(weeks, _UNSET)
        if found is _UNSET:
            good = self.good
            when = good[-1].checked_at - timedelta(weeks=weeks) + SLACK
            index = bisect_right(good, when, hi=len(good) - 1, key=_checked_at) - 1
            found = self._references[weeks] = good[index] if index >= 0 else None
        return found


_UNSET: Any = object()


def _checked_at(check: CheckPoint) -> datetime:
    return check.checked_at


def _rank(position: int | None) -> float:
    return float("inf") if position is None else float(position)


# Weekly checks drift by minutes from week to week; "4 weeks ago" tolerates half a day.
SLACK = timedelta(hours=12)


@dataclass
class NegativeItem:
    """A negative result of one query and how it moved."""

    query_id: int
    url: str
    depth: int
    current: int | None  # None: below depth in the latest good check
    best: int | None = None
    worst: int | None = None  # None with notes["worst"] == "> depth": it was below depth once
    change_last: int | None = None  # + moved down (good), - moved up
    change_4w: int | None = None
    change_12w: int | None = None
    weeks_on_page_one: int | None = None
    needed: int = 0
    good_checks: int = 0
    notes: dict[str, str] = field(default_factory=dict)

    def shown(self, name: str) -> str:
        """A figure as text: the number, "> depth", or the note that explains its absence."""
        value = getattr(self, name)
        if value is not None:
            return f"{value:+d}" if name.startswith("change") else str(value)
        return self.notes.get(name, f"> {self.depth}")


def _change(
    item: NegativeItem, name: str, now: CheckPoint, before: CheckPoint | None, url: str
) -> None:
    if before is None:
        item.notes[name] = TOO_FEW
        return
    old, new = before.positions.get(url), now.positions.get(url)
    if old is None and new is None:
        item.notes[name] = f"> {item.depth} both times"
    elif old is None:
        item.notes[name] = f"entered from > {item.depth}"
    elif new is None:
        item.notes[name] = f"fell below {item.depth}"
    else:
        setattr(item, name, new - old)


def negative_item(history: QueryHistory, url: str) -> NegativeItem:
    """Position, best, worst, movements, weeks on page one and "needed" of a negative URL."""
    item = _current(history, url)
    _movement(history, item)
    return item


def _current(history: QueryHistory, url: str) -> NegativeItem:
    """A negative item with its current position and "needed" only."""
    good = history.good
    item = NegativeItem(history.query_id, url, history.depth, None, good_checks=len(good))
    if not good:
        item.notes["current"] = "no good check"
        return item
    item.current = good[-1].positions.get(url)
    item.needed = needed_to_leave_page_one(item.current)
    return item


def _movement(history: QueryHistory, item: NegativeItem) -> None:
    """The rest of an item's figures: best, worst, weeks on page one and its changes."""
    good, url = history.good, item.url
    if not good:
        return
    latest = good[-1]
    seen = [c.positions.get(url) for c in good]
    if len(good) < MIN_CHECKS:
        for name in ("best", "worst", "weeks_on_page_one"):
            item.notes[name] = TOO_FEW
    else:
        known = [p for p in seen if p is not None]
        item.best = min(known) if known else None
        if item.best is None:
            item.notes["best"] = f"> {history.depth}"
        if len(known) == len(seen):
            item.worst = max(known)
        else:
            item.notes["worst"] = f"> {history.depth}"
        weeks = {
            week
            for position, week in zip(seen, history.good_weeks, strict=True)
            if position is not None and position <= PAGE_ONE
        }
        item.weeks_on_page_one = len(weeks)
    previous = good[-2] if len(good) >= MIN_CHECKS else None
    _change(item, "change_last", latest, previous, url)
    for name, weeks_back in (("change_4w", 4), ("change_12w", 12)):
        _change(item, name, latest, history.weeks_before_latest(weeks_back), url)


def negative_items(
    histories: Iterable[QueryHistory], labels: Mapping[str, str]
) -> list[NegativeItem]:
    """Every negative URL of every query with every figure, the most visible first."""
    items = []
    history_of = {}
    for history in histories:
        history_of[history.query_id] = history
        items.extend(_current(history, u) for u in history.urls if labels.get(u) == NEGATIVE)
    items.sort(key=lambda i: (_rank(i.current), i.query_id, i.url))
    for item in items:
        _movement(history_of[item.query_id], item)
    return items


# --- owned assets -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Asset:
    """An owned asset as the figures need it."""

    id: int
    url: str  # normalized
    title: str
    kind: str
    published_at: datetime | None


@dataclass
class Appearance:
    query_id: int
    checked_at: datetime
    position: int


@dataclass
class AssetFigures:
    asset: Asset
    first_seen: Appearance | None
    best: Appearance | None
    outranks: list[tuple[int, str, int]] = field(default_factory=list)  # (query, url, position)


def asset_figures(
    histories: Sequence[QueryHistory], asset: Asset, labels: Mapping[str, str]
) -> AssetFigures:
    """First appearance in any query, best position, and the negatives it now ranks above."""
    return all_asset_figures(histories, [asset], labels)[asset.url]


def all_asset_figures(
    histories: Sequence[QueryHistory], assets: Sequence[Asset], labels: Mapping[str, str]
) -> dict[str, AssetFigures]:
    """:func:`asset_figures` of many assets in one pass over the checks, by asset URL."""
    figures = {a.url: AssetFigures(a, None, None) for a in assets}
    for history in histories:
        # Only the assets this query's results hold: most of a check's tracked URLs are the
        # negatives, and most assets appear in few queries.
        present = [figures[url] for url in history.urls & figures.keys()]
        for check in history.good if present else ():
            positions = check.positions
            for figure in present:
                url = figure.asset.url
                position = positions.get(url)
                if position is None:
                    continue
                # An appearance is made only when it is the first or the best so far.
                earlier = (
                    figure.first_seen is None or check.checked_at < figure.first_seen.checked_at
                )
                better = figure.best is None or position < figure.best.position
                if earlier or better:
                    seen = Appearance(history.query_id, check.checked_at, position)
                    if earlier:
                        figure.first_seen = seen
                    if better:
                        figure.best = seen
        latest = history.latest
        if latest is None:
            continue
        negatives = [(u, p) for u, p in latest.positions.items() if labels.get(u) == NEGATIVE]
        for url in figures.keys() & latest.positions.keys():
            mine = latest.positions[url]
            figures[url].outranks.extend((history.query_id, u, p) for u, p in negatives if p > mine)
    for figure in figures.values():
        figure.outranks.sort(key=lambda o: (o[2], o[0]))
    return figures


# --- is it working ------------------------------------------------------------------------------


def median_position(positions: Sequence[int | None]) -> float | None:
    """Median position, "below depth" ranking last; None when the median is below depth."""
    middle = statistics.median(_rank(p) for p in positions)
    return None if middle == float("inf") else middle


@dataclass
class Window:
    """A negative item's median position around the day an owned asset went live."""

    query_id: int
    url: str
    asset: Asset
    before: float | None
    after: float | None
    checks_before: int
    checks_after: int
    entered_page_one: list[Asset]
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def moved_down(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before


@dataclass
class AssetWindow:
    """The good checks of one query around the day an asset went live, whatever the item."""

    asset: Asset
    before: list[CheckPoint]
    after: list[CheckPoint]
    entered_page_one: list[Asset]
    split: int = 0  # the index in the query's good checks of the first one after


def first_on_page_one(history: QueryHistory, urls: Iterable[str]) -> dict[str, datetime | None]:
    """When each URL was first on page one of a good check of the query, in one pass."""
    entered: dict[str, datetime | None] = dict.fromkeys(urls)
    pending = history.urls & entered.keys()  # the others never appear
    for check in history.good:
        if not pending:
            break
        positions = check.positions
        arrived = [u for u in pending & positions.keys() if positions[u] <= PAGE_ONE]
        for url in arrived:
            entered[url] = check.checked_at
        pending.difference_update(arrived)
    return entered


def asset_windows(history: QueryHistory, assets: Sequence[Asset]) -> list[AssetWindow]:
    """For each asset with a publication date, oldest first: the 4 good checks before and the 4
    from the day it went live, and the assets that entered page one over those 4 checks. The
    same for every negative item of the query, so :func:`is_it_working` takes it ready-made."""
    good = history.good
    entered_at = first_on_page_one(history, (a.url for a in assets))
    return [
        AssetWindow(asset, good[start:split], good[split:end], entered, split)
        for asset, start, split, end, entered in asset_spans(
            [c.checked_at for c in good], entered_at, assets
        )
    ]


def asset_spans(
    checked: Sequence[datetime],
    entered_at: Mapping[str, datetime | None],
    assets: Sequence[Asset],
) -> list[tuple[Asset, int, int, int, list[Asset]]]:
    """:func:`asset_windows` from a query's good checks' times (oldest first) and when each
    asset URL was first on its page one: for each dated asset, oldest first, the index of the
    first check before, of the first from the day it went live and past the last after, and
    the assets that entered page one over the checks after."""
    # Only the assets that were ever on page one of the query can enter it in a window.
    arrivals = [(moment, a) for a in assets if (moment := entered_at.get(a.url)) is not None]
    spans = []
    for asset in sorted(
        (a for a in assets if a.published_at), key=lambda a: (a.published_at, a.id)
    ):
        # Good checks are oldest first: the first one from the day the asset went live splits them.
        split = bisect_left(checked, asset.published_at)
        end = min(len(checked), split + WINDOW_CHECKS)
        entered: list[Asset] = []
        if end > split:
            last = checked[end - 1]
            for moment, other in arrivals:
                if asset.published_at <= moment <= last:
                    entered.append(other)
            entered.sort(key=lambda a: (a.published_at or last, a.id))
        spans.append((asset, max(0, split - WINDOW_CHECKS), split, end, entered))
    return spans


SOCIAL_POST = "social_post"  # planner.assets.AssetKind.SOCIAL_POST


def windows_listed(assets: Sequence[Asset], seen: Collection[str]) -> list[Asset]:
    """The assets whose "is it working" windows a page lists for a query's items: all but the
    social posts its results never held. A brand that posts daily has thousands; a window per
    post would bury the pages and articles meant to rank (and took seconds to compute)."""
    return [a for a in assets if a.kind != SOCIAL_POST or a.url in seen]


def is_it_working(
    history: QueryHistory,
    url: str,
    assets: Sequence[Asset],
    depth: int | None = None,
    *,
    around: Sequence[AssetWindow] | None = None,
) -> list[Window]:
    """For each asset with a publication date: the median position of the negative ``url`` in
    the 4 good checks before and the 4 from the day it went live, beside the assets that entered
    page one over those 4 checks. ``around``: the query's :func:`asset_windows`, when several
    items of the query are looked at."""
    depth = depth or history.depth
    if around is None:
        around = asset_windows(history, assets)
    return [
        window_of(
            history.query_id,
            url,
            span.asset,
            span.entered_page_one,
            depth,
            [c.positions.get(url) for c in span.before],
            [c.positions.get(url) for c in span.after],
        )  # fmt: skip
        for span in around
    ]


def window_of(
    query_id: int,
    url: str,
    asset: Asset,
    entered_page_one: Sequence[Asset],
    depth: int,
    before: Sequence[int | None],
    after: Sequence[int | None],
) -> Window:
    """The window of the negative ``url`` around ``asset`` from its positions in the good checks
    before and after the asset went live."""
    window = Window(
        query_id, url, asset, None, None, len(before), len(after), list(entered_page_one)
    )
    for name, positions in (("before", before), ("after", after)):
        if len(positions) < MIN_CHECKS:
            window.notes[name] = TOO_FEW
            continue
        value = median_position(positions)
        setattr(window, name, value)
        if value is None:
            window.notes[name] = f"> {depth}"
    return window


# --- brand --------------------------------------------------------------------------------------


def brand_score(histories: Iterable[QueryHistory]) -> float | None:
    """The latest page-one score of each query, weighted by the query's importance."""
    return weighted_mean((h.latest.score if h.latest else None, h.importance) for h in histories)


def week_start(moment: datetime, zone: ZoneInfo) -> date:
    local = moment.astimezone(zone).date()
    return local - timedelta(days=local.weekday())


_HOUR = timedelta(hours=1)
_EPOCH_DAY = date(1970, 1, 1)


def week_starts(zone: ZoneInfo) -> Callable[[Iterable[datetime]], list[date]]:
    """:func:`week_start` of many moments, in integer arithmetic on their timestamps: a brand
    has thousands of checks in a few hundred hours. The zone's UTC offset is looked up once
    per UTC hour; where it is a whole number of hours, local midnight falls on a UTC hour, so
    the whole hour has one week. An hour in which the offset changes (a transition at half
    past, say) is converted moment by moment."""
    offsets: dict[int, int | None] = {}  # UTC hour since the epoch → offset in seconds
    by_hour: dict[int, date] = {}  # UTC hour → its week, where the hour has a single one
    mondays: dict[int, date] = {}  # local day since the epoch → the Monday of its week

    def looked_up(moment: datetime, stamp: float, hour: int) -> date:
        try:
            offset = offsets[hour]
        except KeyError:
            start = datetime.fromtimestamp(hour * 3600, UTC)
            first = start.astimezone(zone).utcoffset()
            last = (start + _HOUR - timedelta.resolution).astimezone(zone).utcoffset()
            offset = offsets[hour] = int(first.total_seconds()) if first == last else None
        if offset is None:
            return week_start(moment, zone)
        day = int((stamp + offset) // 86400)
        monday = mondays.get(day)
        if monday is None:
            local = _EPOCH_DAY + timedelta(days=day)
            monday = mondays[day] = local - timedelta(days=local.weekday())
        if offset % 3600 == 0:
            by_hour[hour] = monday
        return monday

    def weeks_of(moments: Iterable[datetime]) -> list[date]:
        weeks = []
        for moment in moments:
            stamp = moment.timestamp()
            hour = int(stamp // 3600)
            monday = by_hour.get(hour)
            weeks.append(monday if monday is not None else looked_up(moment, stamp, hour))
        return weeks

    return weeks_of


@dataclass
class WeekScore:
    week: date  # Monday, in the brand's time zone
    score: float | None
    queries: int  # queries with a good check that week


def brand_score_by_week(histories: Sequence[QueryHistory], zone: ZoneInfo) -> list[WeekScore]:
    """Per week: each query's last good check of the week, weighted by importance. A week whose
    checks were all blocked or failed is a gap (score None), never a zero."""
    weeks_of = week_starts(zone)
    every_week: set[date] = set()
    scored: dict[date, list[tuple[float, float]]] = {}
    for history in histories:
        checks = history.checks  # oldest first: a later check of the week replaces an earlier
        if history.week_zone == zone.key:
            weeks = [c.week for c in checks]  # computed by the database as the checks were read
        else:
            weeks = weeks_of([c.checked_at for c in checks])
        every_week.update(weeks)
        last_of_week = {
            week: check.score
            for week, check in zip(weeks, checks, strict=True)
            if check.status == OK and check.score is not None
        }
        for week, score in last_of_week.items():
            scored.setdefault(week, []).append((score, history.importance))
    return [
        WeekScore(week, weighted_mean(scored.get(week, ())), len(scored.get(week, ())))
        for week in sorted(every_week)
    ]
