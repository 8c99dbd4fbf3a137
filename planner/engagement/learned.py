"""Engagement windows learned from a channel's own published posts (pure: no database).

Method (empirical-Bayes shrinkage). Each post contributes one figure: its interactions (likes,
comments and shares) 24 hours after publication divided by the channel's mean over the same posts,
so 1.0 is an average post. The posts are grouped by the local weekday and hour they went out.
Each hour h with n_h posts and mean figure x̄_h gets the score

    score_h = (n_h · x̄_h + k · prior_h) / (n_h + k)

where prior_h is the overall mean m raised by LIFT inside the default windows (m · (1 + LIFT))
and m outside them: an hour with few posts stays near what the defaults say about it, an hour
with many near its own mean (the weight of the data is n_h / (n_h + k)). The proposal is the
hours with data ranked by score, as many as the defaults cover; default hours without data fill
any places left, always ranked below every hour with data. Nothing is proposed (the defaults
stand) until the channel has MIN_POSTS posts with a 24-hour read.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import ngettext

from planner.slots import MINUTES_PER_DAY, WindowSpec

MIN_POSTS = 20  # posts with a 24-hour read before anything is proposed
PRIOR_WEIGHT = 5.0  # k: an hour's own data outweighs the prior once it has more than k posts
LIFT = 0.25  # how much better the defaults' hours are believed to be before any data
FILLER_WEIGHT = 0.5  # weight of a default hour kept without data, below every learned hour
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Observation:
    """One published post: the local weekday (0 = Monday) and hour it went out, and its
    engagement figure (normalised per post: 1.0 is the channel's average post)."""

    weekday: int
    hour: int
    figure: float


@dataclass(frozen=True)
class HourScore:
    weekday: int
    hour: int
    posts: int  # posts behind the score; 0 for a default hour kept without data
    mean: float | None
    score: float

    @property
    def label(self) -> str:
        return f"{WEEKDAY_NAMES[self.weekday]} {self.hour:02d}:00–{(self.hour + 1) % 24:02d}:00"


@dataclass(frozen=True)
class Proposal:
    windows: list[WindowSpec]  # the defaults themselves when nothing is learned yet
    ranked: list[HourScore]  # best first; empty when nothing is learned yet
    posts: int  # posts the proposal rests on
    learned: bool
    method: str

    @property
    def best(self) -> HourScore | None:
        return self.ranked[0] if self.ranked else None


def default_hours(defaults: Sequence[WindowSpec]) -> set[tuple[int, int]]:
    """The (weekday, hour) cells any default window touches."""
    cells: set[tuple[int, int]] = set()
    for window in defaults:
        start = window.weekday * MINUTES_PER_DAY + window.start_minute
        for minute in range(start, start + window.length_minutes):
            cells.add(((minute // MINUTES_PER_DAY) % 7, (minute % MINUTES_PER_DAY) // 60))
    return cells


def method_text(posts: int) -> str:
    base = _(
        "Empirical-Bayes shrinkage: each weekday-hour's mean engagement (interactions after 24"
        " hours, relative to this channel's average post) is pulled towards the default windows"
        " with weight n/(n+%(prior)s), where n is the number of posts in that hour; default"
        " hours start %(lift)s above average.",
        prior=f"{PRIOR_WEIGHT:g}",
        lift=f"{LIFT:.0%}",
    )
    if posts < MIN_POSTS:
        more = _(
            "Nothing is proposed until %(least)d posts have a 24-hour read; this channel has"
            " %(count)d.",
            least=MIN_POSTS,
            count=posts,
        )
    else:
        more = ngettext("Based on %(num)d post.", "Based on %(num)d posts.", posts)
    return f"{base} {more}"


def _usable(observations: Sequence[Observation]) -> list[Observation]:
    return [
        o
        for o in observations
        if 0 <= o.weekday <= 6 and 0 <= o.hour <= 23 and math.isfinite(o.figure) and o.figure >= 0
    ]


def score_hours(
    observations: Sequence[Observation], defaults: Sequence[WindowSpec]
) -> list[HourScore]:
    """The shrunk score of every hour with data, best first (ties: more posts, then earlier)."""
    usable = _usable(observations)
    if not usable:
        return []
    mean = sum(o.figure for o in usable) / len(usable)
    favoured = default_hours(defaults)
    groups: dict[tuple[int, int], list[float]] = {}
    for o in usable:
        groups.setdefault((o.weekday, o.hour), []).append(o.figure)
    scores = []
    for (weekday, hour), figures in groups.items():
        prior = mean * (1 + LIFT) if (weekday, hour) in favoured else mean
        n = len(figures)
        own = sum(figures) / n
        score = (n * own + PRIOR_WEIGHT * prior) / (n + PRIOR_WEIGHT)
        scores.append(HourScore(weekday, hour, n, own, score))
    scores.sort(key=lambda s: (-s.score, -s.posts, s.weekday, s.hour))
    return scores


def propose_windows(
    observations: Sequence[Observation], defaults: Sequence[WindowSpec]
) -> Proposal:
    """Windows proposed from the channel's own engagement, or the defaults while the history is
    thinner than MIN_POSTS posts."""
    usable = _usable(observations)
    if len(usable) < MIN_POSTS:
        return Proposal(list(defaults), [], len(usable), False, method_text(len(usable)))
    scored = score_hours(usable, defaults)
    places = max(len(default_hours(defaults)), 1)
    chosen = scored[:places]
    mean = sum(o.figure for o in usable) / len(usable)
    with_data = {(s.weekday, s.hour) for s in scored}
    fillers = [
        HourScore(weekday, hour, 0, None, mean * (1 + LIFT))
        for weekday, hour in sorted(default_hours(defaults) - with_data)
    ][: places - len(chosen)]
    windows = [
        WindowSpec(
            s.weekday,
            s.hour * 60,
            (s.hour + 1) * 60 % MINUTES_PER_DAY,
            round(max(s.score / mean, 0.1), 2) if mean > 0 else 1.0,
        )
        for s in chosen
    ]
    lowest = min((w.weight for w in windows), default=1.0)
    windows += [
        WindowSpec(
            s.weekday,
            s.hour * 60,
            (s.hour + 1) * 60 % MINUTES_PER_DAY,
            round(max(lowest * FILLER_WEIGHT, 0.05), 2),
        )
        for s in fillers
    ]
    return Proposal(windows, chosen + fillers, len(usable), True, method_text(len(usable)))
