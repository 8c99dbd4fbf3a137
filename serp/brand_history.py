"""Loading a brand's history from the database: the input of the displacement figures.

Each good check's page-one score and composition come from its stored summary
(:mod:`serp.summaries`), and only the positions of the negative results and owned assets from
the result rows, so a brand with a year of deep checks is read without labelling or loading
every result row.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, DateTime, Integer, case, cast, func, null, select, type_coerce
from sqlalchemy.orm import Session

from planner.assets import OwnedAsset
from serp import summaries
from serp.displacement import (
    COMPOSITION_KEYS,
    EMPTY,
    NEGATIVE,
    OK,
    OWNED,
    PAGE_ONE,
    SIGN,
    UNLABELLED,
    Asset,
    CheckPoint,
    QueryHistory,
    check_curve,
    week_starts,
)
from serp.features import block_penalty
from serp.models import CheckStatus, SerpCheck, SerpResultRow, TrackedQuery
from serp.result_index import among
from serp.summaries import CheckSummary, Labelling

FEW_CHECKS = 200  # up to this many good checks, positions are read check by check


@dataclass
class BrandHistory:
    histories: list[QueryHistory]
    labels: dict[str, str]  # normalized URL → label, for the URLs the figures look at
    assets: list[Asset]
    curve: tuple[float, ...]
    refreshed: int = 0  # out-of-date check summaries computed (not written) while loading
    # query id → the URLs its good checks' summaries list as negative on page one, sorted
    listed: dict[int, list[str]] = field(default_factory=dict)

    def history(self, query_id: int) -> QueryHistory:
        return next(h for h in self.histories if h.query_id == query_id)


def load_brand_history(
    session: Session,
    brand_id: int,
    *,
    query_ids: Sequence[int] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    curve: Sequence[float] | None = None,
    compositions: bool = True,
    assets: bool = True,
    labelling: Labelling | None = None,
    zone: ZoneInfo | None = None,
    negatives: Collection[str] = (),
) -> BrandHistory:
    """The brand's queries with every check, their page-one scores and composition (from the
    checks' stored summaries), and the positions of its negative results and owned assets at
    any depth. Without ``compositions``, only each query's latest good check has its
    composition (what a page that shows no history needs). Without ``assets``, the owned
    assets are neither listed nor followed (a report that shows none). ``labelling``: the
    brand's, when the caller has just read it. ``zone``: each check's ``week`` is its Monday
    there, for :func:`brand_score_by_week`. ``negatives``: URLs negative on page one of the
    brand's other queries, when only some are loaded: they are followed in these queries too.

    Negative items are the results labelled negative that were on page one of a good check in
    the period; their positions are then followed down to the depth of each check. Summaries
    that are missing or were computed with other labels are computed here, not written: the
    operations that change labels and the worker after each check keep them up to date.
    """
    return _load_brand_history(
        session, brand_id, query_ids, since, until, curve, compositions, assets, labelling,
        zone, negatives,
    )  # fmt: skip


def _filters(
    brand_id: int, query_ids: Sequence[int] | None, since: datetime | None, until: datetime | None
) -> tuple[list[Any], list[Any]]:
    """The conditions on the brand's tracked queries and on their checks in the period."""
    query_filter = [TrackedQuery.brand_id == brand_id, TrackedQuery.deleted_at.is_(None)]
    if query_ids is not None:
        query_filter.append(TrackedQuery.id.in_(list(query_ids)))
    # A subquery rather than the ids: a brand's hundreds of ids would be bound in every read.
    check_filter = [SerpCheck.query_id.in_(select(TrackedQuery.id).where(*query_filter))]
    if since is not None:
        check_filter.append(SerpCheck.checked_at >= since)
    if until is not None:
        check_filter.append(SerpCheck.checked_at <= until)
    return query_filter, check_filter


def data_stamp(
    session: Session,
    brand_id: int,
    *,
    query_ids: Sequence[int] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    labelling: Labelling | None = None,
) -> tuple[Any, ...]:
    """What :func:`load_brand_history` reads, summed up: equal stamps, equal figures.

    The labels' fingerprint (rules, owned pages, curve); the queries as the figures show them;
    the owned assets; and of the checks in the period, how many there are, which ones (sum and
    largest id), how many are good and how many have summaries, and when a summary was last
    written: a new check, a check read again, a summary computed with other labels or a check
    deleted each changes it. Some 20 ms for a brand with a year of 200 queries.
    """
    query_filter, check_filter = _filters(brand_id, query_ids, since, until)
    # The first read goes through the session, so pending changes are flushed before any.
    queries = session.execute(
        select(
            TrackedQuery.id, TrackedQuery.text, TrackedQuery.importance, TrackedQuery.depth
        ).where(*query_filter)
    ).all()
    connection = session.connection()
    # The checks record when their summaries were written: no join with the summaries.
    checks = connection.execute(
        select(
            func.count(SerpCheck.id),
            func.coalesce(func.sum(SerpCheck.id), 0),
            func.max(SerpCheck.id),
            func.count(case((SerpCheck.status == OK, 1))),
            func.count(SerpCheck.summarized_at),
            func.max(SerpCheck.summarized_at),
        ).where(*check_filter)
    ).one()
    assets = connection.execute(
        select(
            OwnedAsset.id,
            OwnedAsset.normalized_url,
            OwnedAsset.url,
            OwnedAsset.title,
            OwnedAsset.kind,
            OwnedAsset.published_at,
        ).where(OwnedAsset.brand_id == brand_id)
    )
    return (
        (labelling or summaries.labelling_for_brand(session, brand_id)).fingerprint,
        tuple(sorted(tuple(q) for q in queries)),
        tuple(checks),
        tuple(sorted(tuple(a) for a in assets)),
    )


def _load_brand_history(
    session: Session,
    brand_id: int,
    query_ids: Sequence[int] | None,
    since: datetime | None,
    until: datetime | None,
    curve: Sequence[float] | None,
    compositions: bool,
    with_assets: bool,
    labelling: Labelling | None,
    zone: ZoneInfo | None,
    negatives: Collection[str],
) -> BrandHistory:

    labelling = labelling or summaries.labelling_for_brand(session, brand_id)
    curve = check_curve(curve) if curve is not None else labelling.curve
    query_filter, check_filter = _filters(brand_id, query_ids, since, until)
    queries = session.execute(
        select(TrackedQuery.id, TrackedQuery.text, TrackedQuery.importance, TrackedQuery.depth)
        .where(*query_filter)
        .order_by(TrackedQuery.text, TrackedQuery.id)
    ).all()
    good_filter = [*check_filter, SerpCheck.status == CheckStatus.OK.value]

    # Core rather than ORM execution for the two large reads: no ORM work per row.
    connection = session.connection()
    postgres = connection.dialect.name == "postgresql"
    # PostgreSQL sessions run in UTC (core.db): the driver's datetimes are UTC already, without
    # a conversion per row. Checked once below in case a server setting overrode it.
    checked_at = (
        type_coerce(SerpCheck.checked_at, DateTime(timezone=True))
        if postgres
        else SerpCheck.checked_at
    )
    # Each check's week in the brand's zone, where the database can tell: a time-zone conversion
    # per check costs it far less than Python.
    week = (
        cast(func.date_trunc("week", func.timezone(zone.key, SerpCheck.checked_at)), Date)
        if zone is not None and postgres
        else null()
    )
    # The composition of every check only when asked for; the latest's comes with its strip.
    counted_columns = [getattr(CheckSummary, key) for key in COMPOSITION_KEYS]
    rows = connection.execute(
        select(
            SerpCheck.id,
            SerpCheck.query_id,
            checked_at.label("checked_at"),
            SerpCheck.status,
            # True: up to date; false: computed with other labels; null: no summary yet.
            (CheckSummary.fingerprint == labelling.fingerprint).label("fresh"),
            CheckSummary.score,
            # The negative URLs only where there are some: most pages repeat a few lists.
            case((CheckSummary.negative > 0, CheckSummary.negative_urls)),
            week,
            *(counted_columns if compositions else ()),
        )
        .outerjoin(CheckSummary, CheckSummary.check_id == SerpCheck.id)
        .where(*check_filter)
        # The order of the (query, time) index: no sort, and each query's checks oldest first.
        .order_by(SerpCheck.query_id, SerpCheck.checked_at, SerpCheck.id)
    ).all()
    # Summaries computed with other labels are computed again here, and not written: the
    # operations that change labels and the worker keep them up to date.
    moved = summaries.out_of_date(session, brand_id, labelling)[1]
    stale = [r.id for r in rows if r.status == OK and (not r.fresh or r.id in moved)]
    fresh = summaries.computed(session, brand_id, stale, labelling) if stale else {}
    rescore = tuple(curve) != labelling.curve  # a curve other than the brand's: scores again
    scores = _scores_with(session, good_filter, curve, labelling.weights) if rescore else {}
    convert = postgres and bool(rows) and rows[0].checked_at.tzinfo is not UTC

    checks: dict[int, list[CheckPoint]] = {q.id: [] for q in queries}
    good_by_id: dict[int, CheckPoint] = {}
    negative_lists: set[tuple[int, str]] = set()  # (query, list): most checks repeat a few
    for check_id, query_id, when, status, _fresh, score, listed, monday, *counted in rows:
        if convert:
            when = when.astimezone(UTC)
        if status != OK:
            checks[query_id].append(CheckPoint(check_id, when, status, week=monday))
            continue
        values = fresh.get(check_id)
        if values is not None:
            score = values["score"]
            counted = [values[key] for key in COMPOSITION_KEYS] if compositions else []
            listed = values["negative_urls"] if values["negative"] else None
        if rescore:
            score = scores.get(check_id, 0.0)
        point = CheckPoint(check_id, when, status, score, tuple(counted), week=monday)
        good_by_id[check_id] = point
        checks[query_id].append(point)
        if listed is not None:
            negative_lists.add((query_id, listed))

    labels: dict[str, str] = dict.fromkeys(negatives, NEGATIVE)
    by_query: dict[int, set[str]] = {q.id: set() for q in queries}
    for query_id, listed in negative_lists:
        by_query[query_id].update(json.loads(listed))
    for urls in by_query.values():
        labels.update(dict.fromkeys(urls, NEGATIVE))
    assets = load_assets(session, brand_id) if with_assets else []
    for asset in assets:
        # An owned asset is followed as owned, unless page one listed it as negative (a label
        # rule on it): what is negative is always what page one said.
        labels.setdefault(asset.url, OWNED)

    tracked = sorted(
        {u for u, label in labels.items() if label == NEGATIVE} | {a.url for a in assets}
    )
    if tracked:
        # Every row, not GROUP BY with min(): hashing the URLs took the database longer than
        # keeping the first position here. A URL listed twice on a page keeps its highest place.
        # Read from the (URL, check, position) index alone, without joining the checks: the
        # rows of other brands' checks, of checks outside the period and of bad checks (few:
        # these URLs are the brand's own) are left out here. The checks of a few queries are read
        # whole instead, by check: their rows are far fewer than the tracked URLs' brand-wide.
        few = query_ids is not None and len(good_by_id) <= FEW_CHECKS
        holding = (
            among(SerpResultRow.check_id, list(good_by_id), session, Integer)
            if few
            else among(SerpResultRow.normalized_url, tracked, session)
        )
        wanted = set(tracked)
        for check_id, url, position in connection.execute(
            select(
                SerpResultRow.check_id, SerpResultRow.normalized_url, SerpResultRow.position
            ).where(holding)
        ).all():  # fetched at once: row by row, the driver's per-row cost dominates
            point = good_by_id.get(check_id)
            if point is None or (few and url not in wanted):
                continue
            held = point.positions.setdefault(url, position)
            if position < held:
                point.positions[url] = position

    if zone is not None and not postgres:
        points = [point for of_query in checks.values() for point in of_query]
        for point, monday in zip(
            points, week_starts(zone)([p.checked_at for p in points]), strict=True
        ):
            point.week = monday
    week_zone = zone.key if zone is not None else None
    histories = [
        QueryHistory(q.id, q.text, q.importance, q.depth, checks[q.id], week_zone=week_zone)
        for q in queries
    ]
    _load_strips(session, histories, labels, fresh)
    listed = {query_id: sorted(urls) for query_id, urls in by_query.items()}
    return BrandHistory(histories, labels, assets, tuple(curve), len(stale), listed)


def load_assets(session: Session, brand_id: int) -> list[Asset]:
    """The brand's owned assets as the figures need them, in the order they were recorded."""

    # Columns, not ORM objects: a brand that has published for years has thousands of posts,
    # each an owned asset, read on every view of its figures.
    rows = session.execute(
        select(
            OwnedAsset.id,
            OwnedAsset.normalized_url,
            OwnedAsset.title,
            OwnedAsset.url,
            OwnedAsset.kind,
            OwnedAsset.published_at,
        )
        .where(OwnedAsset.brand_id == brand_id)
        .order_by(OwnedAsset.id)
    )
    return [
        Asset(id_, normalized, title or url, kind, published_at)
        for id_, normalized, title, url, kind, published_at in rows
    ]


def _scores_with(
    session: Session,
    good_filter: list,
    curve: Sequence[float],
    block_weights: Mapping[str, float],
) -> dict[int, float]:
    """Page-one scores of the good checks with another curve than the brand's, by check id."""

    weights, total = tuple(curve), sum(curve)
    scores = {}
    for check_id, page_one, blocks in session.execute(
        select(CheckSummary.check_id, CheckSummary.page_one, CheckSummary.blocks)
        .join(SerpCheck, SerpCheck.id == CheckSummary.check_id)
        .where(*good_filter)
    ):
        weighted = sum(
            weights[p - 1] * SIGN.get(label or "", 0) for p, _u, label in page_one if 1 <= p <= 10
        )
        if blocks:
            weighted -= block_penalty(blocks, weights, block_weights)
            scores[check_id] = max(-1.0, weighted / total)
        else:
            scores[check_id] = weighted / total
    return scores


def _load_strips(
    session: Session,
    histories: list[QueryHistory],
    labels: dict[str, str],
    fresh: Mapping[int, Mapping[str, Any]],
) -> None:
    """Labels of positions 1-10 of each query's latest good check, from its summary (``fresh``:
    those computed while loading, in place of the stored ones)."""

    latest_ids = {h.latest.check_id: h for h in histories if h.latest is not None}
    if not latest_ids:
        return
    counted_columns = [getattr(CheckSummary, key) for key in COMPOSITION_KEYS]
    stored = [i for i in latest_ids if i not in fresh]
    pages = [
        (check_id, values["page_one"], [values[key] for key in COMPOSITION_KEYS])
        for check_id, values in fresh.items()
        if check_id in latest_ids
    ]
    if stored:
        pages += [
            (check_id, page_one, counted)
            for check_id, page_one, *counted in session.connection().execute(
                select(CheckSummary.check_id, CheckSummary.page_one, *counted_columns).where(
                    among(CheckSummary.check_id, stored, session, Integer)
                )
            )
        ]
    for check_id, page_one, counted in pages:
        latest = latest_ids[check_id].latest
        if not latest.counted:
            latest.counted = tuple(counted)
        strip, urls = [EMPTY] * PAGE_ONE, [""] * PAGE_ONE
        for position, url, label in page_one:
            if 1 <= position <= PAGE_ONE:
                strip[position - 1] = label or UNLABELLED
                urls[position - 1] = url
                if label:
                    labels.setdefault(url, label)
        latest_ids[check_id].strip, latest_ids[check_id].strip_urls = strip, urls
