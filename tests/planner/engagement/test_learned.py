"""Learned windows: the defaults until the history is thick enough, never a data-less best hour,
and scores that move the way shrinkage says they should."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from planner import slots
from planner.engagement.learned import (
    MIN_POSTS,
    Observation,
    default_hours,
    propose_windows,
    score_hours,
)

PLATFORMS = sorted(slots.DEFAULT_WINDOWS)
observation = st.builds(
    Observation,
    weekday=st.integers(0, 6),
    hour=st.integers(0, 23),
    figure=st.floats(0, 20, allow_nan=False),
)


@given(platform=st.sampled_from(PLATFORMS))
def test_with_no_history_the_proposal_is_the_defaults(platform):
    defaults = slots.default_windows(platform)
    proposal = propose_windows([], defaults)
    assert proposal.windows == defaults
    assert not proposal.learned and proposal.posts == 0 and proposal.best is None


@given(
    platform=st.sampled_from(PLATFORMS),
    history=st.lists(observation, max_size=MIN_POSTS - 1),
)
def test_a_thin_history_keeps_the_defaults_and_says_how_many_posts_it_has(platform, history):
    defaults = slots.default_windows(platform)
    proposal = propose_windows(history, defaults)
    assert proposal.windows == defaults
    assert f"this channel has {len(history)}" in proposal.method


@settings(max_examples=200)
@given(
    platform=st.sampled_from(PLATFORMS),
    history=st.lists(observation, min_size=MIN_POSTS, max_size=120),
)
def test_the_best_hour_always_has_posts_behind_it(platform, history):
    defaults = slots.default_windows(platform)
    proposal = propose_windows(history, defaults)
    assert proposal.learned and proposal.posts == len(history)
    seen = {(o.weekday, o.hour) for o in history}
    best = proposal.best
    assert best is not None and best.posts > 0 and (best.weekday, best.hour) in seen
    # The heaviest proposed window is an hour with data too.
    heaviest = max(proposal.windows, key=lambda w: w.weight)
    assert (heaviest.weekday, heaviest.start_minute // 60) in seen
    assert slots.validate_windows(proposal.windows) == []
    assert f"Based on {len(history)} posts" in proposal.method


@given(
    history=st.lists(observation, min_size=1, max_size=60),
    extra=st.floats(0, 50, allow_nan=False),
)
def test_a_better_post_never_lowers_its_hours_score(history, extra):
    defaults = slots.default_windows("facebook")
    cell = (history[0].weekday, history[0].hour)
    before = {(s.weekday, s.hour): s.score for s in score_hours(history, defaults)}[cell]
    better = [Observation(*cell, history[0].figure + extra), *history[1:]]
    after = {(s.weekday, s.hour): s.score for s in score_hours(better, defaults)}[cell]
    # Both the hour's own mean and the prior it is shrunk towards can only rise.
    assert after >= before - 1e-9


@given(
    own=st.floats(0, 10, allow_nan=False),
    others=st.floats(0, 10, allow_nan=False),
    n=st.integers(1, 30),
)
def test_more_posts_at_the_same_mean_pull_the_score_towards_that_mean(own, others, n):
    defaults = slots.default_windows("x")
    background = [Observation(0, 3, others)] * 10

    def score(count: int) -> float:
        history = [*background, *[Observation(5, 20, own)] * count]
        return {(s.weekday, s.hour): s.score for s in score_hours(history, defaults)}[(5, 20)]

    # The hour's distance from its own mean shrinks as its posts grow (n/(n+k) rises).
    assert abs(score(2 * n) - own) <= abs(score(n) - own) + 1e-9


def test_a_strong_hour_outside_the_defaults_is_proposed_first():
    defaults = slots.default_windows("facebook")  # Wednesday 11:00 and 13:00
    history = [Observation(1, 18, 3.0)] * 12 + [Observation(2, 11, 0.5)] * 12
    proposal = propose_windows(history, defaults)
    assert (proposal.best.weekday, proposal.best.hour) == (1, 18)
    assert proposal.windows[0] == slots.WindowSpec(1, 18 * 60, 19 * 60, proposal.windows[0].weight)
    assert proposal.windows[0].weight > proposal.windows[1].weight


def test_default_hours_cover_every_hour_a_window_touches():
    assert default_hours([slots.WindowSpec(6, 23 * 60, 60)]) == {(6, 23), (0, 0)}
