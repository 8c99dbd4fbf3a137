"""Displacement figures against a 12-week scenario whose every number is worked out by hand.

The scenario (query "acme bakery", depth 20, importance 3; checked Mondays 06:00 UTC):

    week  check     N (negative)  N2 (negative)  A (case study)  B (reviews page)
     1    ok        3             -              -               -
     2    ok        3             -              -               -
     3    ok        4             -              -               -
     4    ok        3             -              -               -
     5    ok        5             -              9               -     A live 2 days before
     6    ok        6             -              7               -
     7    BLOCKED   (no results: a CAPTCHA page)
     8    ok        6             -              4               15    B live 2 days before
     9    ok        8             -              4               6
    10    ok        -  (> 20)     9              3               5
    11    ok        12            6              2               4
    12    ok        13            8              2               3

Position 1 is always wikipedia.org (positive by a domain rule), position 10 always news.example
(neutral by a domain rule); every other position is an unlabelled filler. A second query
"acme bakery reviews" (importance 1) is checked in weeks 11 and 12 with N at 2 and then 1.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import serp.plans  # noqa: F401  (registers the plan tables)
from core.db import db
from planner.assets import AssetKind, record_owned_asset
from serp import displacement as dsp
from serp import rules as rule_ops
from serp.brand_history import load_brand_history
from serp.checks import store_check
from serp.models import SerpCheck
from serp.parse.model import SerpResult
from serp.rules import set_curve
from tests.serp.conftest import make_query

START = datetime(2025, 1, 6, 6, 0, tzinfo=UTC)  # a Monday
N = "ripoffreport.com/acme-bakery"
N2 = "badreviews.example/acme"
A = "acme-bakery.example/case-studies/wedding-cakes"
B = "acme-bakery.example/reviews"
WIKI = "en.wikipedia.org/wiki/Acme_Bakery"
NEWS = "news.example/acme-opens-second-shop"

Q1_POSITIONS = {
    1: {N: 3},
    2: {N: 3},
    3: {N: 4},
    4: {N: 3},
    5: {N: 5, A: 9},
    6: {N: 6, A: 7},
    7: None,  # blocked
    8: {N: 6, A: 4, B: 15},
    9: {N: 8, A: 4, B: 6},
    10: {N2: 9, A: 3, B: 5},
    11: {N: 12, N2: 6, A: 2, B: 4},
    12: {N: 13, N2: 8, A: 2, B: 3},
}
Q2_POSITIONS = {11: {N: 2}, 12: {N: 1}}
CURVE_SUM = 117.77  # 31.73+24.71+18.66+13.60+9.51+6.23+4.15+3.12+2.97+3.09


def week(n: int) -> datetime:
    return START + timedelta(weeks=n - 1)


def page(placed: dict[str, int], depth: int, fixed: dict[str, int]) -> list[SerpResult]:
    by_position = {pos: url for url, pos in {**fixed, **placed}.items()}
    fillers = iter(f"filler{k}.example/acme" for k in range(1, 100))
    return [
        SerpResult(p, "https://" + (by_position.get(p) or next(fillers)), f"title {p}", "")
        for p in range(1, depth + 1)
    ]


def store_weeks(query, positions, fixed, depth):
    for n, placed in positions.items():
        if placed is None:
            store_check(
                db.session, query, status="blocked", results=[], checked_at=week(n),
                provider="manual", reason="captcha",
            )  # fmt: skip
        else:
            store_check(
                db.session, query, status="ok", results=page(placed, depth, fixed),
                checked_at=week(n), provider="manual",
            )  # fmt: skip


def build_scenario(app, brand, admin):
    """The brand's two queries with their checks, labels and owned assets; committed."""
    q1 = make_query(app, brand, text="acme bakery", depth=20, importance=3, provider="manual")
    q2 = make_query(app, brand, text="acme bakery reviews", importance=1, provider="manual")
    for pattern, label, kind in (
        (N, "negative", "exact"),
        (N2, "negative", "exact"),
        ("wikipedia.org", "positive", "domain"),
        ("news.example", "neutral", "domain"),
    ):
        rule_ops.save_rule(
            db.session, brand.id, admin, match_type=kind, pattern=pattern, label=label
        )
    record_owned_asset(
        db.session, brand.id, "https://" + A, AssetKind.BLOG_POST, week(5) - timedelta(days=2),
        title="Case study: wedding cakes",
    )  # fmt: skip
    record_owned_asset(
        db.session, brand.id, "https://" + B, AssetKind.REVIEWS_PAGE, week(8) - timedelta(days=2),
        title="Selected reviews",
    )  # fmt: skip
    store_weeks(q1, Q1_POSITIONS, {WIKI: 1, NEWS: 10}, 20)
    store_weeks(q2, Q2_POSITIONS, {}, 10)
    db.session.commit()
    return q1, q2


@pytest.fixture
def scenario(app, brand, users):
    q1, q2 = build_scenario(app, brand, users["admin"])
    return brand, q1, q2


def load(brand, **kw):
    return load_brand_history(db.session, brand.id, **kw)


# --- the score formula --------------------------------------------------------------------------


def test_page_one_score_of_an_all_owned_page_is_one_and_all_negative_minus_one():
    assert dsp.page_one_score(["owned"] * 10) == pytest.approx(1.0)
    assert dsp.page_one_score(["negative"] * 10) == pytest.approx(-1.0)
    assert dsp.page_one_score([None] * 10) == 0.0


def test_page_one_score_weights_positions_by_the_backlinko_curve():
    # negative at 1 and positive at 2: (-31.73 + 24.71) / 117.77 = -7.02 / 117.77
    labels = ["negative", "positive"] + ["neutral"] * 8
    assert dsp.page_one_score(labels) == pytest.approx(-7.02 / 117.77)
    assert sum(dsp.DEFAULT_CTR_CURVE) == pytest.approx(CURVE_SUM)


def test_page_one_score_counts_missing_positions_as_zero_and_takes_a_custom_curve():
    # curve 10..1 (sum 55): owned at 1 only = 10/55; a 3-result page is still over all ten.
    curve = list(range(10, 0, -1))
    assert dsp.page_one_score(["owned", None, "negative"], curve) == pytest.approx((10 - 8) / 55)
    with pytest.raises(ValueError):
        dsp.page_one_score(["owned"], [1, 2, 3])


def test_needed_is_eleven_minus_the_position_on_page_one_only():
    assert [dsp.needed_to_leave_page_one(p) for p in (1, 3, 10, 11, None)] == [10, 8, 1, 0, 0]


def test_composition_counts_each_kind_of_label():
    labels = ["positive", "owned", "owned", None, "negative", "neutral", "empty"]
    assert dsp.composition(labels) == {
        "owned": 2, "positive": 1, "neutral": 1, "unlabelled": 1, "negative": 1,
    }  # fmt: skip


ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu",
         "America/St_Johns", "Australia/Lord_Howe", "Pacific/Apia", "America/Santiago",
         "America/Havana", "Asia/Beirut"]  # fmt: skip
MOMENTS = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
)


@settings(max_examples=300, deadline=None)
@given(zone=st.sampled_from(ZONES), moments=st.lists(MOMENTS, min_size=1, max_size=40))
def test_the_week_of_a_check_is_the_monday_of_its_local_week(zone, moments):
    """The arithmetic week lookup the week scores use agrees with converting each moment,
    across half-hour offsets, DST changes at midnight and a zone that skipped a whole day."""
    weeks_of = dsp.week_starts(ZoneInfo(zone))
    # Each moment, half an hour later, and around the local midnights that begin its week.
    mondays = [dsp.week_start(m, ZoneInfo(zone)) for m in moments]
    midnights = [datetime.combine(d, time(), ZoneInfo(zone)).astimezone(UTC) for d in mondays]
    near = [m + timedelta(minutes=k) for m in midnights for k in (-40, -10, 10, 40)]
    moments = moments + [m + timedelta(minutes=30) for m in moments] + near
    assert weeks_of(moments) == [dsp.week_start(m, ZoneInfo(zone)) for m in moments]
    assert weeks_of(moments[::-1]) == [dsp.week_start(m, ZoneInfo(zone)) for m in moments[::-1]]


@settings(max_examples=300, deadline=None)
@given(first=MOMENTS, apart=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=9)))
def test_two_checks_share_a_week_number_when_they_share_an_iso_week(first, apart):
    second = first + apart
    same = first.isocalendar()[:2] == second.isocalendar()[:2]
    points = [dsp.CheckPoint(n, moment, "ok") for n, moment in enumerate((first, second))]
    weeks = dsp.QueryHistory(1, "q", 1.0, 10, points).good_weeks
    assert (weeks[0] == weeks[1]) == same


def test_median_ranks_below_depth_last_and_reports_it_as_such():
    assert dsp.median_position([3, 3, 4, 3]) == 3  # 3,3,3,4 → (3+3)/2
    assert dsp.median_position([6, 8, None, 12]) == 10  # 6,8,12,>d → (8+12)/2
    assert dsp.median_position([6, None, None, 12]) is None  # 6,12,>d,>d → middle is > depth


# --- the scenario -------------------------------------------------------------------------------


def test_page_one_scores_and_composition_per_check(scenario):
    brand, q1, q2 = scenario
    history = load(brand).history(q1.id)
    by_week = {(c.checked_at - START).days // 7 + 1: c for c in history.checks}
    # week 1: wikipedia +31.73 at 1, N -18.66 at 3 → 13.07 / 117.77
    assert by_week[1].score == pytest.approx(13.07 / 117.77)
    # week 12: +31.73 (wiki) +24.71 (A) +18.66 (B) -3.12 (N2 at 8) = 71.98 → 71.98 / 117.77
    assert by_week[12].score == pytest.approx(71.98 / 117.77)
    assert by_week[7].status == "blocked" and by_week[7].score is None
    # week 12 page one: wiki, A, B, filler x4, N2, filler, news
    assert by_week[12].counts == {
        "owned": 2, "positive": 1, "neutral": 1, "unlabelled": 5, "negative": 1,
    }  # fmt: skip
    assert history.strip == [
        "positive", "owned", "owned", "unlabelled", "unlabelled", "unlabelled", "unlabelled",
        "negative", "unlabelled", "neutral",
    ]  # fmt: skip
    # The SQL sums agree with the pure formula on the stored labels.
    assert by_week[12].score == pytest.approx(dsp.page_one_score(history.strip))


def test_brand_score_weights_queries_by_importance(scenario):
    brand, q1, q2 = scenario
    # q1 (importance 3) 71.98/117.77; q2 (importance 1) N at 1: -31.73/117.77
    # (3·71.98 - 31.73) / (4·117.77) = 184.21 / 471.08
    assert dsp.brand_score(load(brand).histories) == pytest.approx(184.21 / 471.08)


def test_brand_score_by_week_leaves_the_blocked_week_as_a_gap(scenario):
    brand, q1, q2 = scenario
    weeks = dsp.brand_score_by_week(load(brand).histories, ZoneInfo("Europe/Berlin"))
    assert len(weeks) == 12
    assert weeks[0].score == pytest.approx(13.07 / 117.77) and weeks[0].queries == 1
    assert weeks[6].score is None and weeks[6].queries == 0  # week 7: the blocked check
    # week 11: q1 = wiki 31.73 + A 24.71 + B 13.60 - N2 6.23 = 63.81; q2 = -24.71 (N at 2)
    # (3·63.81 - 24.71) / (4·117.77) = 166.72 / 471.08
    assert weeks[10].score == pytest.approx(166.72 / 471.08) and weeks[10].queries == 2


def test_a_custom_curve_per_brand_changes_the_score(scenario):
    brand, q1, q2 = scenario
    set_curve(db.session, brand.id, None, list(range(10, 0, -1)))
    db.session.commit()
    # week 12 with weights 10..1 (sum 55): wiki 10 + A 9 + B 8 - N2 3 = 24
    assert load(brand).history(q1.id).latest.score == pytest.approx(24 / 55)


def test_negative_item_figures(scenario):
    brand, q1, q2 = scenario
    data = load(brand)
    item = dsp.negative_item(data.history(q1.id), N)
    assert item.good_checks == 11  # 12 checks, one blocked
    assert item.current == 13 and item.needed == 0  # off page one
    assert item.best == 3
    assert item.worst is None and item.notes["worst"] == "> 20"  # below depth in week 10
    assert item.change_last == 1  # 13 (week 12) - 12 (week 11)
    assert item.change_4w == 7  # 13 - 6 (week 8)
    assert item.change_12w is None and item.notes["change_12w"] == "too few checks"
    # on page one in weeks 1, 2, 3, 4, 5, 6, 8, 9 (week 7 blocked, 10 below depth)
    assert item.weeks_on_page_one == 8
    assert item.shown("worst") == "> 20" and item.shown("change_4w") == "+7"

    n2 = dsp.negative_item(data.history(q1.id), N2)
    assert (n2.current, n2.needed, n2.best, n2.change_last) == (8, 3, 6, 2)  # 11-8; 8-6
    assert n2.change_4w is None and n2.notes["change_4w"] == "entered from > 20"  # week 8: absent

    in_q2 = dsp.negative_item(data.history(q2.id), N)
    assert (in_q2.current, in_q2.needed, in_q2.change_last) == (1, 10, -1)  # moved up 2 → 1


def test_four_week_change_skips_a_blocked_check(scenario):
    brand, q1, q2 = scenario
    data = load(brand, until=week(11))
    item = dsp.negative_item(data.history(q1.id), N)
    # 4 weeks before week 11 is week 7, blocked: the good check before it is week 6 (6).
    assert item.change_4w == 6  # 12 - 6
    assert item.change_last is None and item.notes["change_last"] == "entered from > 20"


def test_one_good_check_is_too_few_for_best_and_change(scenario):
    brand, q1, q2 = scenario
    item = dsp.negative_item(load(brand, until=week(11)).history(q2.id), N)
    assert item.current == 2 and item.needed == 9
    assert item.best is None and item.notes["best"] == "too few checks"
    assert item.change_last is None and item.notes["change_last"] == "too few checks"


def test_owned_asset_figures(scenario):
    brand, q1, q2 = scenario
    data = load(brand)
    figures = {a.url: dsp.asset_figures(data.histories, a, data.labels) for a in data.assets}
    a, b = figures[A], figures[B]
    assert (a.first_seen.checked_at, a.first_seen.position) == (week(5), 9)
    assert a.best.position == 2 and a.best.checked_at == week(11)
    assert a.outranks == [(q1.id, N2, 8), (q1.id, N, 13)]  # A at 2 in week 12
    assert (b.first_seen.checked_at, b.first_seen.position) == (week(8), 15)
    assert b.best.position == 3
    assert b.outranks == [(q1.id, N2, 8), (q1.id, N, 13)]  # B at 3


def test_is_it_working_medians_around_each_asset(scenario):
    brand, q1, q2 = scenario
    data = load(brand)
    history = data.history(q1.id)
    by_url = {a.url: a for a in data.assets}
    windows = {w.asset.url: w for w in dsp.is_it_working(history, N, data.assets)}
    around_a, around_b = windows[A], windows[B]
    # A live week 5 - 2 days. Before: weeks 1-4 → 3,3,4,3 → sorted 3,3,3,4 → (3+3)/2 = 3
    # After: weeks 5, 6, 8, 9 (7 blocked) → 5,6,6,8 → (6+6)/2 = 6
    assert (around_a.before, around_a.after, around_a.moved_down) == (3, 6, 3)
    assert around_a.checks_before == 4 and around_a.checks_after == 4
    # Entered page one from week 5 - 2 days to week 9: A (week 5, at 9), B (week 9, at 6)
    assert around_a.entered_page_one == [by_url[A], by_url[B]]
    # B live week 8 - 2 days. Before: weeks 3, 4, 5, 6 → 4,3,5,6 → 3,4,5,6 → (4+5)/2 = 4.5
    # After: weeks 8-11 → 6, 8, > 20, 12 → 6,8,12,>20 → (8+12)/2 = 10
    assert (around_b.before, around_b.after) == (4.5, 10)
    assert around_b.entered_page_one == [by_url[B]]  # week 9; A entered before

    n2_windows = dsp.is_it_working(history, N2, data.assets)
    # N2 was below depth in all four checks before A went live: the median is "> 20".
    assert n2_windows[0].before is None and n2_windows[0].notes["before"] == "> 20"


def test_is_it_working_says_too_few_checks_when_the_window_is_short(scenario):
    brand, q1, q2 = scenario
    data = load(brand, until=week(5))
    window = dsp.is_it_working(data.history(q1.id), N, data.assets)[0]
    # Only week 5 is after A went live: one good check.
    assert window.after is None and window.notes["after"] == "too few checks"
    assert window.before == 3


def test_negative_items_list_every_query_most_visible_first(scenario):
    brand, q1, q2 = scenario
    data = load(brand)
    items = dsp.negative_items(data.histories, data.labels)
    assert [(i.query_id, i.url, i.current) for i in items] == [
        (q2.id, N, 1), (q1.id, N2, 8), (q1.id, N, 13),
    ]  # fmt: skip


def test_blocked_checks_are_not_read_as_the_negative_disappearing(scenario):
    brand, q1, q2 = scenario
    check = db.session.query(SerpCheck).filter_by(query_id=q1.id, checked_at=week(7)).one()
    assert check.status == "blocked"
    history = load(brand).history(q1.id)
    blocked = next(c for c in history.checks if c.check_id == check.id)
    assert blocked.positions == {} and not blocked.ok
    assert all(N not in c.positions for c in history.checks if not c.ok)
