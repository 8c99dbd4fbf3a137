"""What the query and URL pages show of the checks: a query's history, its latest page one
beside the one before, the unlabelled results of page one, and one URL across queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from serp.labels import Classifier, classifier_for_brand
from serp.models import CheckStatus, SerpCheck, SerpResultRow, TrackedQuery


def history(
    session: Session,
    query_id: int,
    limit: int | None = None,
    since: datetime | None = None,
    offset: int = 0,
) -> list[SerpCheck]:
    """A query's checks with their results, newest first (``offset`` newest ones skipped)."""
    statement = (
        select(SerpCheck)
        .where(SerpCheck.query_id == query_id)
        .options(selectinload(SerpCheck.results))
        .order_by(SerpCheck.checked_at.desc(), SerpCheck.id.desc())
    )
    if since is not None:
        statement = statement.where(SerpCheck.checked_at >= since)
    if limit:
        statement = statement.limit(limit)
    if offset:
        statement = statement.offset(offset)
    return list(session.scalars(statement))


def count_checks(session: Session, query_id: int, since: datetime | None = None) -> int:
    """How many checks a query has (since a time)."""
    statement = select(func.count()).select_from(SerpCheck).where(SerpCheck.query_id == query_id)
    if since is not None:
        statement = statement.where(SerpCheck.checked_at >= since)
    return session.scalar(statement) or 0


# Failed checks after the latest good one shown above a query's latest page.
NEWER_FAILURES_SHOWN = 5


def latest_checks(session: Session, query_id: int) -> list[SerpCheck]:
    """What a query's latest page is read from, newest first, whatever the history's length:
    the two newest good checks and the newest failed ones after them."""
    ordered = (SerpCheck.checked_at.desc(), SerpCheck.id.desc())
    good = list(
        session.scalars(
            select(SerpCheck)
            .where(SerpCheck.query_id == query_id, SerpCheck.status == CheckStatus.OK.value)
            .options(selectinload(SerpCheck.results))
            .order_by(*ordered)
            .limit(2)
        )
    )
    failed = select(SerpCheck).where(
        SerpCheck.query_id == query_id, SerpCheck.status != CheckStatus.OK.value
    )
    if good:
        failed = failed.where(SerpCheck.checked_at > good[0].checked_at)
    newer = list(session.scalars(failed.order_by(*ordered).limit(NEWER_FAILURES_SHOWN)))
    return newer + good


@dataclass
class Movement:
    """A result of the latest good check beside the good check before it."""

    row: SerpResultRow
    label: str | None
    previous: int | None  # position in the previous good check; None: new
    compared: bool = True  # False on the first good check: nothing to compare with

    @property
    def change(self) -> str:
        if not self.compared:
            return ""
        if self.previous is None:
            return "new"
        delta = self.previous - self.row.position
        return f"↑{delta}" if delta > 0 else f"↓{-delta}" if delta < 0 else "="


@dataclass
class LatestPage:
    check: SerpCheck | None
    previous: SerpCheck | None
    rows: list[Movement] = field(default_factory=list)
    gone: list[tuple[str, int]] = field(default_factory=list)  # (normalized url, old position)
    newer_failures: list[SerpCheck] = field(default_factory=list)


def latest_page(checks: list[SerpCheck], classifier: Classifier) -> LatestPage:
    """The newest good check, its movements since the good one before, and later failures."""
    good = [c for c in checks if c.status == CheckStatus.OK.value]
    if not good:
        return LatestPage(None, None, newer_failures=checks)
    latest, previous = good[0], good[1] if len(good) > 1 else None
    before = {r.normalized_url: r.position for r in previous.results} if previous else {}
    page = LatestPage(latest, previous)
    page.newer_failures = [c for c in checks if c.checked_at > latest.checked_at]
    seen = set()
    for row in latest.results:
        seen.add(row.normalized_url)
        page.rows.append(
            Movement(
                row,
                classifier.label(row.normalized_url, normalized=True),
                before.get(row.normalized_url),
                compared=previous is not None,
            )
        )
    page.gone = sorted((url, pos) for url, pos in before.items() if url not in seen)
    return page


def unlabelled_page_one(session: Session, brand_id: int, limit: int = 200) -> list[dict[str, Any]]:
    """Page-one results of the brand's latest good checks that no rule labels yet."""
    classifier = classifier_for_brand(session, brand_id)
    latest = (
        select(SerpCheck.query_id, func.max(SerpCheck.checked_at).label("at"))
        .join(TrackedQuery, TrackedQuery.id == SerpCheck.query_id)
        .where(
            TrackedQuery.brand_id == brand_id,
            TrackedQuery.deleted_at.is_(None),
            SerpCheck.status == CheckStatus.OK.value,
        )
        .group_by(SerpCheck.query_id)
        .subquery()
    )
    rows = session.execute(
        select(SerpResultRow, TrackedQuery)
        .join(SerpCheck, SerpCheck.id == SerpResultRow.check_id)
        .join(
            latest,
            (latest.c.query_id == SerpCheck.query_id) & (latest.c.at == SerpCheck.checked_at),
        )
        .join(TrackedQuery, TrackedQuery.id == SerpCheck.query_id)
        .where(SerpCheck.status == CheckStatus.OK.value, SerpResultRow.position <= 10)
        .order_by(SerpResultRow.position, TrackedQuery.text)
    ).all()
    queue: dict[str, dict[str, Any]] = {}
    for row, query in rows:
        if classifier.label(row.normalized_url, normalized=True) is not None:
            continue
        item = queue.setdefault(
            row.normalized_url,
            {"row": row, "best": row.position, "queries": [], "weight": 0.0},
        )
        item["queries"].append((query, row.position))
        item["best"] = min(item["best"], row.position)
        item["weight"] += query.importance * (11 - row.position)
    # Most visible first: high on page one for important queries.
    return sorted(queue.values(), key=lambda item: -item["weight"])[:limit]


def _queries_holding(brand_id: int, normalized_url: str) -> tuple[Any, ...]:
    query_ids = (
        select(SerpCheck.query_id)
        .join(SerpResultRow, SerpResultRow.check_id == SerpCheck.id)
        .where(SerpResultRow.normalized_url == normalized_url)
    )
    return (TrackedQuery.brand_id == brand_id, TrackedQuery.id.in_(query_ids))


def count_url_queries(session: Session, brand_id: int, normalized_url: str) -> int:
    """How many of the brand's queries the URL appeared in."""
    matching = _queries_holding(brand_id, normalized_url)
    return session.scalar(select(func.count()).select_from(TrackedQuery).where(*matching)) or 0


def url_history(
    session: Session,
    brand_id: int,
    normalized_url: str,
    *,
    limit: int | None = None,
    offset: int = 0,
    checks_per_query: int | None = None,
) -> list[tuple[TrackedQuery, int, list[tuple[SerpCheck, int | None]]]]:
    """A page of the brand's queries the URL appeared in, each with its number of checks and
    the URL's position at each of its latest checks (oldest first)."""
    queries = session.scalars(
        select(TrackedQuery)
        .where(*_queries_holding(brand_id, normalized_url))
        .order_by(TrackedQuery.text, TrackedQuery.id)
        .limit(limit)
        .offset(offset)
    ).all()
    out = []
    for query in queries:
        count = session.scalar(
            select(func.count()).select_from(SerpCheck).where(SerpCheck.query_id == query.id)
        )
        checks = list(
            session.scalars(
                select(SerpCheck)
                .where(SerpCheck.query_id == query.id)
                .order_by(SerpCheck.checked_at.desc(), SerpCheck.id.desc())
                .limit(checks_per_query)
            ).all()
        )
        checks.reverse()
        positions = dict(
            session.execute(
                select(SerpResultRow.check_id, func.min(SerpResultRow.position))
                .where(
                    SerpResultRow.check_id.in_([check.id for check in checks]),
                    SerpResultRow.normalized_url == normalized_url,
                )
                .group_by(SerpResultRow.check_id)
            ).all()
        )
        out.append((query, count or 0, [(check, positions.get(check.id)) for check in checks]))
    return out


def check_progress(
    session: Session, brand_id: int, since: datetime | None, now: datetime
) -> dict[str, int]:
    """Counts for a "check all now" progress bar: waiting, being checked, done since a time."""
    active = (
        TrackedQuery.brand_id == brand_id,
        TrackedQuery.deleted_at.is_(None),
        TrackedQuery.provider != "manual",
    )
    running = session.scalar(
        select(func.count()).where(
            *active, TrackedQuery.claimed_by.is_not(None), TrackedQuery.lease_until >= now
        )
    )
    waiting = session.scalar(
        select(func.count()).where(
            *active,
            TrackedQuery.paused.is_(False),
            TrackedQuery.next_check_at <= now,
            TrackedQuery.claimed_by.is_(None),
        )
    )
    done = 0
    if since is not None:
        done = session.scalar(
            select(func.count(func.distinct(SerpCheck.query_id)))
            .join(TrackedQuery, TrackedQuery.id == SerpCheck.query_id)
            .where(TrackedQuery.brand_id == brand_id, SerpCheck.checked_at >= since)
        )
    return {"waiting": waiting or 0, "running": running or 0, "done": done or 0}


def position_grid(checks: list[SerpCheck], keys: list[str]) -> dict[str, list[int | None]]:
    """Each URL's position at each check (None: not in the recorded results, or a gap)."""
    grid: dict[str, list[int | None]] = {key: [] for key in keys}
    for check in checks:
        positions: dict[str, int] = {}
        if check.status == CheckStatus.OK.value:
            for row in check.results:
                positions.setdefault(row.normalized_url, row.position)
        for key in keys:
            grid[key].append(positions.get(key))
    return grid
