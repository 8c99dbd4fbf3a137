"""Each tracked query's displacement figures, kept in the database between views.

A brand's figures are made of its queries' parts: each query's latest page one and weekly
scores, its negative items with every figure, where each owned asset appeared in its results and
which negatives it outranks there, and the positions its items' "is it working" windows are
computed from (only for the items a page shows, at the merge). A part depends
only on the query's own checks and their summaries (the labels of their pages one), the brand's
time zone and curve, and which of the URLs the brand follows at any depth its results hold: the
negatives of page one of any of its queries (a negative is followed in every query) and the
owned assets. :func:`keep_parts` (called by those who write, :mod:`serp.upkeep`) recomputes
only the parts whose stamp moved or whose results hold a followed URL that changed (after a new
check, one; after a new post, those it appears in; after a new rule, those whose pages it
relabels or whose results hold a new negative) and keeps them; :func:`brand_figures` reads
them, computes for itself (without keeping) any it finds out of date, and :func:`merge` merges
every part into the report's figures with the assets' titles and dates of the moment: the same
figures as computed from every check (``tests/serp/test_figures_cache.py`` holds them to it),
from 200 small rows rather than a year of checks and positions.

Parts are kept as plain JSON; a stale part is never read, whoever wrote it: each says what it
was computed from.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import JSON, ForeignKey, Integer, String, case, delete, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.api import iso
from core.db import Base, upsert, utcnow
from serp import brand_history, result_index, summaries
from serp import displacement as dsp
from serp.models import SerpCheck, TrackedQuery
from serp.result_index import among
from serp.summaries import Labelling, digest

# The layout of a part: a release that changes it changes this, and every kept part is then
# computed again rather than misread.
PART_FORMAT = 4


class QueryFigures(Base):
    """One query's part of its brand's displacement figures, and what it was computed from."""

    __tablename__ = "serp_query_figures"

    query_id: Mapped[int] = mapped_column(
        ForeignKey("serp_queries.id", ondelete="CASCADE"), primary_key=True
    )
    # sha256 of the query's checks (count, ids, good ones, summaries changed) and depth, and of
    # the brand's curve and time zone.
    stamp: Mapped[str] = mapped_column(String(64))
    # The digest of the brand's followed URLs it was computed with (a TrackedSet's).
    tracked: Mapped[str] = mapped_column(String(64))
    # Those of them its good checks hold at any depth, sorted: the only ones its figures use.
    present: Mapped[list[str]] = mapped_column(JSON)
    # The URLs this query's good checks list as negative on page one, sorted.
    own_negatives: Mapped[list[str]] = mapped_column(JSON)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    # What the "is it working" windows of its items are computed from, read only for the items
    # a page shows: each negative URL's position in every good check, the good checks' times,
    # and when each owned asset was first on the query's page one.
    series: Mapped[dict[str, Any]] = mapped_column(JSON)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class TrackedSet(Base):
    """The URLs a brand's figures follow at any depth (its negatives and owned assets), by
    digest: what the kept parts were computed with, so that a part is computed again only when
    a URL that changed is in its results."""

    __tablename__ = "serp_tracked_sets"

    brand_id: Mapped[int] = mapped_column(
        ForeignKey("brands.id", ondelete="CASCADE"), primary_key=True
    )
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    # ["n <url>" for a negative, "o <url>" for an owned asset], sorted
    urls: Mapped[list[str]] = mapped_column(JSON)


# --- a query's part -----------------------------------------------------------------------------


def window_entry(query_id: int, url: str, window: dsp.Window) -> dict[str, Any]:
    """An "is it working" window as the report lists it."""
    return {
        "query_id": query_id,
        "url": url,
        "asset_id": window.asset.id,
        "asset": window.asset.title,
        "published_at": iso(window.asset.published_at),
        "median_before": window.before,
        "median_after": window.after,
        "checks_before": window.checks_before,
        "checks_after": window.checks_after,
        "entered_page_one": [a.title for a in window.entered_page_one],
        "notes": window.notes,
    }


def negative_entry(item: dsp.NegativeItem) -> dict[str, Any]:
    """A negative item's figures as plain data, without its query's text."""
    values = {name: getattr(item, name) for name in NEGATIVE_ITEM_FIELDS}
    values["notes"] = dict(item.notes)
    return values


NEGATIVE_ITEM_FIELDS = tuple(dsp.NegativeItem.__dataclass_fields__)


def query_part(
    history: dsp.QueryHistory,
    labels: dict[str, str],
    assets: Sequence[dsp.Asset],
    zone: ZoneInfo,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The query's figures (without its text and importance, which the merge adds) and what
    its items' windows are computed from, as JSON-ready data."""
    last_of_week: dict[date, float | None] = {}
    weeks = (
        [c.week for c in history.checks]
        if history.week_zone == zone.key
        else [dsp.week_start(c.checked_at, zone) for c in history.checks]
    )
    for week, check in zip(weeks, history.checks, strict=True):
        last_of_week.setdefault(week, None)
        if check.status == dsp.OK and check.score is not None:
            last_of_week[week] = check.score
    items = dsp.negative_items([history], labels)
    series = {
        "positions": {
            item.url: [c.positions.get(item.url) for c in history.good] for item in items
        },
        # The windows' spans are found at the merge, with the assets of that moment.
        "checked": [iso(c.checked_at) for c in history.good] if items else [],
        "entered": {
            url: iso(moment)
            for url, moment in dsp.first_on_page_one(history, (a.url for a in assets)).items()
            if moment is not None
        }
        if items
        else {},
    }
    seen = {}
    for url, figure in dsp.all_asset_figures([history], assets, labels).items():
        if figure.first_seen is None and not figure.outranks:
            continue
        seen[url] = {
            "first_seen": _appearance(figure.first_seen),
            "best": _appearance(figure.best),
            "outranks": [[u, p] for _q, u, p in figure.outranks],
        }
    figures = {
        **query_entry(history),
        "weeks": [[week.isoformat() for week in last_of_week], list(last_of_week.values())],
        "negative_items": [negative_entry(item) for item in items],
        "assets": seen,
    }
    return figures, series


def query_entry(history: dsp.QueryHistory) -> dict[str, Any]:
    """A query's depth, checks and latest page one as the report lists them."""
    latest = history.latest
    return {
        "depth": history.depth,
        "good_checks": len(history.good),
        "checks": len(history.checks),
        "latest_check_at": iso(latest.checked_at) if latest else None,
        "score": latest.score if latest else None,
        "composition": latest.counts if latest else None,
        "strip": history.strip,
        "strip_urls": history.strip_urls,
    }


def _appearance(appearance: dsp.Appearance | None) -> list[Any] | None:
    return None if appearance is None else [iso(appearance.checked_at), appearance.position]


# --- a brand's figures --------------------------------------------------------------------------


@dataclass
class BrandStamp:
    """What a brand's figures are computed from, summed up: equal stamps, equal figures."""

    queries: list[Any]  # id, text, importance and depth, in the report's order
    assets: list[dsp.Asset]
    shared: list[Any]  # what every part depends on: the layout, zone and curve
    stamps: dict[int, str]  # query id → the stamp its part must carry

    @property
    def key(self) -> tuple[Any, ...]:
        """Equal keys, equal merged figures: the parts' stamps, and what the merge adds to
        them (the queries' text and importance, the owned assets as they are listed)."""
        return (
            tuple(tuple(q) for q in self.queries),
            tuple(self.stamps.values()),
            tuple(self.assets),
        )


def brand_stamp(
    session: Session, brand_id: int, labelling: Labelling, zone: ZoneInfo
) -> BrandStamp:
    """The brand's queries, owned assets and each query's stamp as they are now."""
    queries = session.execute(
        select(TrackedQuery.id, TrackedQuery.text, TrackedQuery.importance, TrackedQuery.depth)
        .where(TrackedQuery.brand_id == brand_id, TrackedQuery.deleted_at.is_(None))
        .order_by(TrackedQuery.text, TrackedQuery.id)
    ).all()
    assets = brand_history.load_assets(session, brand_id)
    # Labels reach a part through its checks' summaries, which record when their content
    # changed (a new rule changes the parts whose pages one it relabels), and through the URLs
    # followed at any depth, followed apart (TrackedSet): a new post changes the parts of the
    # queries whose results hold it. The curve is in the report itself.
    shared = [PART_FORMAT, zone.key, list(labelling.curve)]
    return BrandStamp(queries, assets, shared, _stamps(session, brand_id, queries, shared))


def brand_figures(
    session: Session,
    brand_id: int,
    labelling: Labelling,
    zone: ZoneInfo,
    *,
    with_windows: bool = True,
    windows_of: int | None = None,
    every_window: bool = True,
    stamp: BrandStamp | None = None,
) -> tuple[dict[str, Any], BrandStamp]:
    """The brand's figures over every check, as :func:`serp.reports.brand_report` gives them
    without per-check history, and the brand's stamp; reads only. The parts whose stamp moved
    are computed here and not kept. ``stamp``: the brand's, when the caller has just read it.

    A part is also computed again when the brand's followed URLs (its negatives, followed in
    every query, and its owned assets) changed by one that its results hold or held."""
    stamp, parts, computed = _kept(session, brand_id, labelling, zone, stamp, keep=False)
    merged = merge(
        session, stamp.queries, parts, computed, stamp.assets, labelling.curve, with_windows,
        windows_of, every_window,
    )  # fmt: skip
    return merged, stamp


def keep_parts(session: Session, brand_id: int, labelling: Labelling, zone: ZoneInfo) -> int:
    """Compute and keep the brand's parts that are out of date, as the worker does after its
    checks so that the next view finds them ready; how many were computed (flushed)."""
    return len(_kept(session, brand_id, labelling, zone, None, keep=True)[2])


def _kept(
    session: Session,
    brand_id: int,
    labelling: Labelling,
    zone: ZoneInfo,
    stamp: BrandStamp | None,
    *,
    keep: bool,
) -> tuple[BrandStamp, dict[int, dict[str, Any]], dict[int, tuple[dict[str, Any], dict[str, Any]]]]:
    """The brand's stamp, every part's figures, and the parts computed (figures and windows'
    series) by query id; with ``keep``, those computed are kept (flushed), else only read."""
    stamp = stamp or brand_stamp(session, brand_id, labelling, zone)
    queries, assets, stamps = stamp.queries, stamp.assets, stamp.stamps
    ids = [q.id for q in queries]
    connection = session.connection()
    kept = {
        row.query_id: row
        for row in connection.execute(
            select(
                QueryFigures.query_id,
                QueryFigures.stamp,
                QueryFigures.tracked,
                QueryFigures.present,
                QueryFigures.own_negatives,
                QueryFigures.figures,
            ).where(QueryFigures.query_id.in_(_brand_query_ids(brand_id)))
        )
        if row.query_id in stamps
    }
    # Labels changed and not yet followed by the summaries (the stamps tell only what the
    # summaries hold): every part after new rules, those of the pages one an owned page left
    # or joined after new owned pages.
    rules_moved, moved_checks = summaries.out_of_date(session, brand_id, labelling)
    unfollowed = set(ids) if rules_moved else set(moved_checks.values())
    stale = [i for i in ids if i not in kept or kept[i].stamp != stamps[i] or i in unfollowed]
    own = {i: set(kept[i].own_negatives) for i in ids if i not in stale}
    loads = []
    if stale:
        others = set().union(*own.values())
        data = _load(session, brand_id, stale if own else None, labelling, zone, others)
        own.update((i, set(urls)) for i, urls in data.listed.items())
        loads.append(data)
    negatives = set().union(*own.values())
    tracked = sorted({f"n {url}" for url in negatives} | {f"o {a.url}" for a in assets})
    tracked_digest = digest(tracked)
    moved = [i for i in ids if i not in stale and kept[i].tracked != tracked_digest]
    again, retagged = _touched(session, brand_id, moved, kept, tracked)
    if again:
        loads.append(_load(session, brand_id, again, labelling, zone, negatives))
    computed: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
    rows = []
    for data in loads:
        for history in data.histories:
            part = computed[history.query_id] = query_part(history, data.labels, assets, zone)
            rows.append(
                {
                    "query_id": history.query_id,
                    "stamp": stamps[history.query_id],
                    "tracked": tracked_digest,
                    "present": sorted(history.urls),
                    "own_negatives": sorted(own[history.query_id]),
                    "figures": part[0],
                    "series": part[1],
                }
            )
    parts = {i: computed[i][0] if i in computed else kept[i].figures for i in ids}
    if not keep:
        return stamp, parts, computed
    for old, query_ids in retagged.items():  # unchanged by the URLs that changed
        connection.execute(
            update(QueryFigures)
            .where(QueryFigures.query_id.in_(query_ids), QueryFigures.tracked == old)
            .values(tracked=tracked_digest)
        )
    now = utcnow()  # two views may compute the same part at once: the last one stays
    upsert(session, QueryFigures, [{**row, "computed_at": now} for row in rows], 200)
    if rows or moved:
        _keep_tracked(session, brand_id, tracked_digest, tracked)
    return stamp, parts, computed


def _touched(
    session: Session,
    brand_id: int,
    moved: list[int],
    kept: dict[int, Any],
    tracked: list[str],
) -> tuple[list[int], dict[str, list[int]]]:
    """Of the parts computed with other followed URLs: those to compute again (a URL that
    changed is in their results), and the others by the digest they carry."""
    if not moved:
        return [], {}
    digests = sorted({kept[i].tracked for i in moved})
    sets = {
        held: set(urls)
        for held, urls in session.connection().execute(
            select(TrackedSet.digest, TrackedSet.urls).where(
                TrackedSet.brand_id == brand_id, TrackedSet.digest.in_(digests)
            )
        )
    }
    now = set(tracked)
    again, added_of = [], {}
    for query_id in moved:
        held = sets.get(kept[query_id].tracked)
        if held is None:  # computed before sets were kept, or its set was removed
            again.append(query_id)
            continue
        # A URL no longer followed as it was, in this query's results: computed again.
        if {entry[2:] for entry in held - now} & set(kept[query_id].present):
            again.append(query_id)
        else:
            added_of[query_id] = {entry[2:] for entry in now - held}
    holding: dict[int, set[str]] = {}
    for _check, query_id, url in result_index.results_holding(
        session, brand_id, set().union(*added_of.values())
    ):
        holding.setdefault(query_id, set()).add(url)
    retagged: dict[str, list[int]] = {}
    for query_id, added in added_of.items():
        if added & holding.get(query_id, set()):
            again.append(query_id)
        else:
            retagged.setdefault(kept[query_id].tracked, []).append(query_id)
    return again, retagged


def _keep_tracked(session: Session, brand_id: int, current: str, tracked: list[str]) -> None:
    """Keep the followed URLs the parts now carry, and forget the sets no part carries."""
    upsert(session, TrackedSet, [{"brand_id": brand_id, "digest": current, "urls": tracked}])
    carried = select(QueryFigures.tracked).where(
        QueryFigures.query_id.in_(_brand_query_ids(brand_id))
    )
    session.connection().execute(
        delete(TrackedSet).where(
            TrackedSet.brand_id == brand_id,
            TrackedSet.digest != current,
            TrackedSet.digest.not_in(carried),
        )
    )


def _brand_query_ids(brand_id: int) -> Any:
    return select(TrackedQuery.id).where(TrackedQuery.brand_id == brand_id)


def _stamps(
    session: Session, brand_id: int, queries: Sequence[Any], shared: list[Any]
) -> dict[int, str]:
    """Each query's stamp: its checks summed up (a new check, a check read again or deleted, a
    summary written each moves it), its depth, and what the brand's queries share."""
    summed = {
        row[0]: [str(value) for value in row[1:]]
        for row in session.connection().execute(
            select(
                SerpCheck.query_id,
                func.count(SerpCheck.id),
                func.coalesce(func.sum(SerpCheck.id), 0),
                func.max(SerpCheck.id),
                func.count(case((SerpCheck.status == dsp.OK, 1))),
                func.count(SerpCheck.summarized_at),
                func.max(SerpCheck.summarized_at),
            )
            .where(SerpCheck.query_id.in_(_brand_query_ids(brand_id)))
            .group_by(SerpCheck.query_id)
        )
    }
    base = digest(shared)
    return {q.id: digest([base, q.depth, summed.get(q.id)]) for q in queries}


def _load(
    session: Session,
    brand_id: int,
    query_ids: list[int] | None,
    labelling: Labelling,
    zone: ZoneInfo,
    negatives: set[str],
) -> brand_history.BrandHistory:
    return brand_history.load_brand_history(
        session, brand_id, query_ids=query_ids, compositions=False, labelling=labelling,
        zone=zone, negatives=negatives,
    )  # fmt: skip


class QueryShown(NamedTuple):
    """A query as the report lists it beside its part."""

    id: int
    text: str
    importance: float
    depth: int


def merge(
    session: Session,
    queries: Sequence[Any],
    parts: dict[int, dict[str, Any]],
    computed: dict[int, tuple[dict[str, Any], dict[str, Any]]],
    assets: Sequence[dsp.Asset],
    curve: Sequence[float],
    with_windows: bool,
    windows_of: int | None,
    every_window: bool = True,
) -> dict[str, Any]:
    """The brand's figures from its queries' parts (``queries``: each one's id, text, importance
    and depth, in the report's order; ``computed``: the parts just computed, with the series of
    their windows): the one arithmetic of every report. Instants read from kept parts are
    written as :func:`core.api.iso` writes them, whatever form they were kept in."""
    every_week: set[str] = set()
    columns = []  # per query: its score by week, and its importance
    entries, items = [], []
    first_seen: dict[str, list[Any]] = {}
    best: dict[str, list[Any]] = {}
    outranks: dict[str, list[tuple[int, str, int]]] = {a.url: [] for a in assets}
    for query in queries:  # in the report's order of queries, as the sums run there
        part = parts[query.id]
        weeks, scores = part["weeks"]
        every_week.update(weeks)
        columns.append((dict(zip(weeks, scores, strict=True)), query.importance))
        entries.append(
            {
                "id": query.id,
                "text": query.text,
                "importance": query.importance,
                "depth": query.depth,
                **{name: part[name] for name in QUERY_FIELDS},
                "latest_check_at": _instant(part["latest_check_at"]),
            }
        )
        items.extend({**item, "query": query.text} for item in part["negative_items"])
        for url, seen in part["assets"].items():
            if url not in outranks:
                continue
            mine = seen["first_seen"]
            if mine is not None:
                held = first_seen.get(url)
                when = datetime.fromisoformat(mine[0])
                if held is None or when < datetime.fromisoformat(held[1]):
                    first_seen[url] = [query.id, *mine]
                held = best.get(url)
                if held is None or seen["best"][1] < held[2]:
                    best[url] = [query.id, *seen["best"]]
            outranks[url].extend((query.id, u, p) for u, p in seen["outranks"])
    items.sort(key=lambda i: (dsp._rank(i["current"]), i["query_id"], i["url"]))
    weekly = []
    for week in sorted(every_week):  # each week's scores in the order of the queries
        scored = [
            (score, importance)
            for by_week, importance in columns
            if (score := by_week.get(week)) is not None
        ]
        weekly.append({"week": week, "score": dsp.weighted_mean(scored), "queries": len(scored)})
    report: dict[str, Any] = {
        "curve": list(curve),
        "brand_score": dsp.weighted_mean((parts[q.id]["score"], q.importance) for q in queries),
        "weeks": weekly,
        "queries": entries,
        "negative_items": items,
        "assets": [],
        "is_it_working": [],
    }
    for asset in assets:
        ranked = sorted(outranks[asset.url], key=lambda o: (o[2], o[0]))
        report["assets"].append(
            asset_entry(
                asset, _shown(first_seen.get(asset.url)), _shown(best.get(asset.url)), ranked
            )
        )
    if with_windows:
        shown = items[:windows_of]
        series = _series(session, {i["query_id"] for i in shown}, computed)
        spans = {}
        for item in shown:
            query_id, url = item["query_id"], item["url"]
            kept = series[query_id]
            if query_id not in spans:
                listed = assets
                if not every_window:
                    listed = dsp.windows_listed(assets, parts[query_id]["assets"])
                spans[query_id] = dsp.asset_spans(
                    [datetime.fromisoformat(moment) for moment in kept["checked"]],
                    {u: datetime.fromisoformat(m) for u, m in kept["entered"].items()},
                    listed,
                )
            positions = kept["positions"][url]
            for asset, start, split, end, entered in spans[query_id]:
                window = dsp.window_of(
                    query_id, url, asset, entered, item["depth"],
                    positions[start:split], positions[split:end],
                )  # fmt: skip
                report["is_it_working"].append(window_entry(query_id, url, window))
    return report


QUERY_FIELDS = (
    "good_checks", "checks", "latest_check_at", "score", "composition", "strip", "strip_urls",
)  # fmt: skip


def asset_entry(
    asset: dsp.Asset,
    first_seen: dict[str, Any] | None,
    best: dict[str, Any] | None,
    outranks: Iterable[tuple[int, str, int]],
) -> dict[str, Any]:
    """An owned asset's figures as the report lists them."""
    return {
        "id": asset.id,
        "url": asset.url,
        "title": asset.title,
        "kind": asset.kind,
        "published_at": iso(asset.published_at),
        "first_seen": first_seen,
        "best": best,
        "outranks": [{"query_id": q, "url": u, "position": p} for q, u, p in outranks],
    }


def _shown(seen: list[Any] | None) -> dict[str, Any] | None:
    if seen is None:
        return None
    return {"query_id": seen[0], "checked_at": _instant(seen[1]), "position": seen[2]}


def _instant(kept: str | None) -> str | None:
    """An instant of a kept part as the report writes it (parts kept before instants were
    written with ``Z`` hold ``+00:00``)."""
    return iso(datetime.fromisoformat(kept)) if kept else None


def _series(
    session: Session,
    query_ids: Iterable[int],
    computed: dict[int, tuple[dict[str, Any], dict[str, Any]]],
) -> dict[int, dict[str, Any]]:
    """The windows' series of these queries: those just computed, the others read."""
    series = {i: computed[i][1] for i in query_ids if i in computed}
    wanted = [i for i in query_ids if i not in computed]
    if wanted:
        for query_id, kept in session.connection().execute(
            select(QueryFigures.query_id, QueryFigures.series).where(
                among(QueryFigures.query_id, wanted, session, Integer)
            )
        ):
            series[query_id] = kept
    return series
