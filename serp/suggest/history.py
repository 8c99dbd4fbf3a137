"""Autocomplete tracking's reads: the current suggestions per term, negatives per week, one
term's suggestions' ranks over time, and the CSV of every look-up. Nothing here writes."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from serp.suggest.models import SuggestFetch, Suggestion, SuggestTerm

CHART_WEEKS = 26
RANK_FETCHES = 20  # look-ups of one term in its rank chart
RANK_LINES = 10  # suggestions drawn in it
FORMULA_STARTS = ("=", "+", "-", "@")


@dataclass
class TermNow:
    """A term with its latest good look-up and, when newer, the failure after it."""

    term: SuggestTerm
    latest: SuggestFetch | None
    failure: SuggestFetch | None
    negatives: int = 0


@dataclass
class RankChart:
    labels: list[str] = field(default_factory=list)
    series: list[dict[str, Any]] = field(default_factory=list)


def terms_of(session: Session, brand_id: int, active_only: bool = True) -> list[SuggestTerm]:
    statement = select(SuggestTerm).where(SuggestTerm.brand_id == brand_id)
    if active_only:
        statement = statement.where(SuggestTerm.active.is_(True))
    return list(
        session.scalars(
            statement.order_by(
                SuggestTerm.text, SuggestTerm.language, SuggestTerm.country, SuggestTerm.engine
            )
        )
    )


def _newest(session: Session, term_ids: list[int], ok_only: bool) -> dict[int, SuggestFetch]:
    if not term_ids:
        return {}
    newest = select(SuggestFetch.term_id, func.max(SuggestFetch.id).label("id")).where(
        SuggestFetch.term_id.in_(term_ids)
    )
    if ok_only:
        newest = newest.where(SuggestFetch.status == "ok")
    sub = newest.group_by(SuggestFetch.term_id).subquery()
    fetches = session.scalars(
        select(SuggestFetch)
        .join(sub, sub.c.id == SuggestFetch.id)
        .options(selectinload(SuggestFetch.suggestions))
    )
    return {f.term_id: f for f in fetches}


def current(session: Session, brand_id: int) -> list[TermNow]:
    """Each active term's latest suggestions, negatives counted, and a newer failure if any."""
    terms = terms_of(session, brand_id)
    ids = [t.id for t in terms]
    good = _newest(session, ids, ok_only=True)
    last = _newest(session, ids, ok_only=False)
    rows = []
    for term in terms:
        latest = good.get(term.id)
        newest = last.get(term.id)
        failure = newest if newest is not None and newest.status != "ok" else None
        negatives = sum(1 for s in latest.suggestions if s.label == "negative") if latest else 0
        rows.append(TermNow(term, latest, failure, negatives))
    return rows


def week_of(moment: datetime) -> date:
    """The Monday of a moment's week (UTC)."""
    day = moment.date()
    return day - timedelta(days=day.weekday())


def negatives_per_week(
    session: Session, brand_id: int, now: datetime, weeks: int = CHART_WEEKS
) -> dict[str, list[Any]]:
    """Distinct negative suggestions seen in each of the last ``weeks`` weeks (Mondays, oldest
    first); a week without a good look-up has None, not 0: it says nothing."""
    start = week_of(now) - timedelta(weeks=weeks - 1)
    since = datetime.combine(start, datetime.min.time(), tzinfo=now.tzinfo)
    looked: set[date] = set()
    found: dict[date, set[str]] = {}
    rows = session.execute(
        select(SuggestFetch.fetched_at, Suggestion.key, Suggestion.label)
        .outerjoin(Suggestion, Suggestion.fetch_id == SuggestFetch.id)
        .where(
            SuggestFetch.brand_id == brand_id,
            SuggestFetch.status == "ok",
            SuggestFetch.fetched_at >= since,
        )
    )
    for fetched_at, key, label in rows:
        week = week_of(fetched_at)
        looked.add(week)
        if label == "negative":
            found.setdefault(week, set()).add(key)
    labels, counts = [], []
    for index in range(weeks):
        week = start + timedelta(weeks=index)
        labels.append(week.isoformat())
        counts.append(len(found.get(week, ())) if week in looked else None)
    return {"labels": labels, "counts": counts}


def rank_chart(session: Session, term: SuggestTerm, limit: int = RANK_FETCHES) -> RankChart:
    """Ranks of a term's suggestions over its last good look-ups, oldest first; negatives are
    drawn first, then the latest look-up's order."""
    fetches = list(
        session.scalars(
            select(SuggestFetch)
            .where(SuggestFetch.term_id == term.id, SuggestFetch.status == "ok")
            .options(selectinload(SuggestFetch.suggestions))
            .order_by(SuggestFetch.fetched_at.desc(), SuggestFetch.id.desc())
            .limit(limit)
        )
    )[::-1]
    chart = RankChart(labels=[f.fetched_at.strftime("%Y-%m-%d") for f in fetches])
    texts: dict[str, str] = {}
    negative: set[str] = set()
    ranks: dict[str, list[int | None]] = {}
    for index, fetch in enumerate(fetches):
        for s in fetch.suggestions:
            texts[s.key] = s.text
            if s.label == "negative":
                negative.add(s.key)
            ranks.setdefault(s.key, [None] * len(fetches))[index] = s.rank
    latest = {s.key: s.rank for s in fetches[-1].suggestions} if fetches else {}
    order = sorted(ranks, key=lambda k: (k not in negative, latest.get(k, 99), texts[k].casefold()))
    for key in order[:RANK_LINES]:
        chart.series.append({"text": texts[key], "negative": key in negative, "ranks": ranks[key]})
    return chart


CSV_COLUMNS = (
    "fetched_at", "term", "engine", "language", "country", "source", "status", "reason",
    "rank", "suggestion", "label", "label_reason",
)  # fmt: skip


def _cell(value: Any) -> Any:
    # A cell starting with = + - @ runs as a formula in spreadsheets; quote it as text.
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


EXPORT_BATCH = 200


def csv_lines(session: Session, brand_id: int) -> Iterator[str]:
    """Every look-up of the brand, in the order stored: one line per suggestion, one per empty or
    failed look-up; read a batch at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    statement = (
        select(SuggestFetch)
        .where(SuggestFetch.brand_id == brand_id)
        .options(selectinload(SuggestFetch.suggestions), selectinload(SuggestFetch.term))
        .order_by(SuggestFetch.id)
        .limit(EXPORT_BATCH)
    )
    last_id = 0
    while True:
        batch = list(session.scalars(statement.where(SuggestFetch.id > last_id)))
        for fetch in batch:
            term = fetch.term
            base = [
                fetch.fetched_at.isoformat(), _cell(term.text), term.engine, term.language,
                term.country, fetch.source, fetch.status, _cell(fetch.reason or ""),
            ]  # fmt: skip
            if not fetch.suggestions:
                writer.writerow([*base, "", "", "", ""])
            for s in fetch.suggestions:
                writer.writerow(
                    [*base, s.rank, _cell(s.text), s.label or "", _cell(s.reason or "")]
                )
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        if len(batch) < EXPORT_BATCH:
            break
        last_id = max(f.id for f in batch)
    yield buffer.getvalue()
