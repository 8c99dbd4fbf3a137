"""Checks: claim due queries, fetch their pages, store every result, schedule the next look.

Due queries are a queue of :mod:`core.claims`: a batch is claimed with one statement before any
network call, each claim with a lease, so several workers never check the same query at once.
A blocked or failed check is stored as such, with its reason, and the query is retried sooner
with a growing backoff: it is a gap in the history, never "the result left the page".
"""

from __future__ import annotations

import json
import logging
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, as_completed, wait
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from core import claims
from core.claims import default_worker_id
from core.crypto import CredentialsUnreadable, decrypt_json
from core.db import db, utcnow
from core.tenants import Brand
from core.urls import domain_of, normalize_url
from serp import upkeep
from serp.features import delete_features, store_features, stored_blocks
from serp.models import CheckStatus, Schedule, SerpCheck, SerpResultRow, TrackedQuery
from serp.parse import PageFeature, SerpResult
from serp.providers import (
    FetchOutcome,
    HttpClient,
    ProviderPage,
    QuerySpec,
    fetch_results,
    get_provider,
)
from serp.reports import alerts_after_check, send_alerts

logger = logging.getLogger("serp.checks")

DEFAULT_LEASE = timedelta(minutes=30)
DEFAULT_THREADS = 8
RAW_KEEP = timedelta(days=90)
FIRST_RETRY = timedelta(minutes=15)
RETRY_CAP = timedelta(hours=12)
MAX_FAILURES = 6  # then wait for the next regular check
# Results stored past a query's depth: one page more, so a result just below the tracked depth
# is still seen, and no more (an uploaded 19 MB page once stored 129,021 results).
RESULTS_MARGIN = 10


# --- schedule -----------------------------------------------------------------------------------


def next_scheduled(query: TrackedQuery, zone: ZoneInfo, after: datetime) -> datetime | None:
    """The next regular check after ``after``: the query's local hour (and weekday), in UTC."""
    if query.schedule == Schedule.MANUAL.value:
        return None
    local = after.astimezone(zone)
    for days in range(0, 9):
        day = (local + timedelta(days=days)).date()
        if query.schedule == Schedule.WEEKLY.value and day.weekday() != query.weekday:
            continue
        # A local hour skipped by DST moves forward with the clock; an ambiguous one is its first.
        candidate = datetime(day.year, day.month, day.day, query.hour, tzinfo=zone).astimezone(UTC)
        if candidate > after:
            return candidate
    return None


def retry_delay(failures: int, retry_after: float | None = None) -> timedelta:
    """The wait before retrying after ``failures`` failed checks in a row."""
    return claims.backoff(failures, FIRST_RETRY, RETRY_CAP, retry_after)


# --- raw pages ----------------------------------------------------------------------------------


def compress_pages(pages: list[dict[str, Any]]) -> bytes | None:
    if not pages:
        return None
    return zlib.compress(json.dumps(pages).encode(), level=6)


def decompress_pages(blob: bytes | None) -> list[dict[str, Any]]:
    if not blob:
        return []
    return json.loads(zlib.decompress(blob))


# --- storing ------------------------------------------------------------------------------------


def results_cap(depth: int) -> int:
    """How many results a check of a query this deep stores at most."""
    return max(depth, 10) + RESULTS_MARGIN


def _kept(results: list[SerpResult], depth: int) -> tuple[list[SerpResult], str | None]:
    """The results a check stores, and a note saying what was left out (None: nothing)."""
    cap = results_cap(depth)
    if len(results) <= cap:
        return results, None
    return results[:cap], (
        f"Kept the first {cap} of {len(results):,} results; the query tracks the top {depth}."
    )


def store_check(
    session: Session,
    query: TrackedQuery,
    *,
    status: str,
    results: Iterable[SerpResult],
    checked_at: datetime,
    provider: str,
    reason: str | None = None,
    pages: list[dict[str, Any]] | None = None,
    features: Iterable[tuple[int, list[PageFeature]]] = (),
) -> SerpCheck:
    """A check with every result row (all positions, whoever's they are, up to the cap) and
    the blocks of its pages (``(page index, features)``)."""
    results, note = _kept(list(results), query.depth)
    if note:
        reason = f"{reason} {note}" if reason else note
    check = SerpCheck(
        query_id=query.id,
        checked_at=checked_at,
        status=status,
        engine=query.engine,
        provider=provider,
        reason=reason,
        raw_pages=compress_pages(pages or []),
        raw_expires_at=checked_at + RAW_KEEP if pages else None,
    )
    check.results = [_row(result) for result in results]
    check.result_count = len(check.results)
    session.add(check)
    session.flush()
    store_features(session, check, features)
    return check


def _row(result: SerpResult) -> SerpResultRow:
    return SerpResultRow(
        position=result.position,
        url=result.url,
        normalized_url=normalize_url(result.url)[:2048],
        domain=domain_of(result.url)[:255],
        title=result.title,
        snippet=result.snippet,
    )


# --- claiming -----------------------------------------------------------------------------------


def _due(now: datetime) -> tuple[Any, ...]:
    return (
        TrackedQuery.deleted_at.is_(None),
        TrackedQuery.paused.is_(False),
        TrackedQuery.provider != "manual",
        TrackedQuery.next_check_at <= now,
        or_(TrackedQuery.claimed_by.is_(None), TrackedQuery.lease_until < now),
    )


CHECKS = claims.Queue(
    name="search check",
    model=TrackedQuery,
    due=_due,
    order_by=lambda: (TrackedQuery.next_check_at, TrackedQuery.id),
    lease_column=TrackedQuery.lease_until,
    holder_column=TrackedQuery.claimed_by,
)


def claim_due_checks(
    session: Session,
    worker_id: str,
    now: datetime,
    limit: int,
    lease: timedelta = DEFAULT_LEASE,
) -> list[int]:
    """Claim up to ``limit`` due queries for this worker in one statement; the caller commits
    before fetching."""
    return [row[0] for row in claims.claim(session, CHECKS, worker_id, now, limit, lease)]


def claim_query(
    session: Session, query_id: int, worker_id: str, now: datetime, lease: timedelta = DEFAULT_LEASE
) -> bool:
    """Claim one query now, due or not (a check asked for by a person); False if taken."""
    return claims.claim_one(
        session, CHECKS, query_id, worker_id, now, lease, (TrackedQuery.deleted_at.is_(None),)
    )


def mark_due_now(session: Session, queries: Iterable[TrackedQuery], now: datetime) -> int:
    """Ask the worker to check these queries at its next round."""
    count = 0
    for query in queries:
        if query.deleted_at is None and query.provider != "manual":
            query.next_check_at = now
            count += 1
    session.flush()
    return count


# --- running ------------------------------------------------------------------------------------


def query_spec(query: TrackedQuery) -> QuerySpec:
    return QuerySpec(
        text=query.text,
        engine=query.engine,
        language=query.language,
        country=query.country,
        device=query.device,
        depth=query.depth,
    )


def provider_settings(query: TrackedQuery, config: Mapping[str, Any]) -> dict[str, Any]:
    return decrypt_json(query.provider_settings_encrypted, dict(config))


def _fetch(
    client: HttpClient, query: TrackedQuery, config: Mapping[str, Any]
) -> tuple[FetchOutcome, str]:
    try:
        settings = provider_settings(query, config)
    except CredentialsUnreadable:
        return FetchOutcome(
            CheckStatus.ERROR.value, [], [], "the provider settings cannot be decrypted"
        ), query.provider
    try:
        provider = get_provider(query.provider, client)
    except ValueError as exc:
        return FetchOutcome(CheckStatus.ERROR.value, [], [], str(exc)), query.provider
    problems = provider.problems(query.engine, settings)
    if problems:
        return FetchOutcome(CheckStatus.ERROR.value, [], [], " ".join(problems)), provider.name
    return fetch_results(provider, query_spec(query), settings), provider.name


def record_outcome(
    session: Session,
    query: TrackedQuery,
    outcome: FetchOutcome,
    provider: str,
    worker_id: str,
    checked_at: datetime,
    keep_figures: bool = True,
) -> SerpCheck:
    """Store the check and schedule the query's next one (only while this worker holds it).

    ``keep_figures`` brings the brand's summaries and figures up to date in the same transaction,
    under the brand's lock; a worker's round passes False and catches up once per brand at its
    end (``serp.jobs.keep_figures``), so checks of one brand are not stored one at a time."""
    check = store_check(
        session,
        query,
        status=outcome.status,
        results=outcome.results,
        checked_at=checked_at,
        provider=provider,
        reason=outcome.reason,
        pages=outcome.pages,
        features=outcome.features,
    )
    if keep_figures:
        upkeep.after_check(session, check)
    zone = ZoneInfo(session.get(Brand, query.brand_id).timezone)
    now = utcnow()
    if outcome.status == CheckStatus.OK.value:
        values = {"failures": 0, "next_check_at": next_scheduled(query, zone, now)}
    else:
        failures = query.failures + 1
        regular = next_scheduled(query, zone, now)
        retry_at = now + retry_delay(failures, outcome.retry_after)
        if failures > MAX_FAILURES or (regular is not None and regular <= retry_at):
            retry_at = regular
        values = {"failures": failures, "next_check_at": retry_at}
    session.execute(
        update(TrackedQuery)
        .where(TrackedQuery.id == query.id, TrackedQuery.claimed_by == worker_id)
        .values(last_checked_at=checked_at, claimed_by=None, lease_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    return check


def run_check(
    app: Flask,
    query_id: int,
    worker_id: str,
    client: HttpClient | None = None,
    keep_figures: bool = True,
) -> str:
    """Check one claimed query: fetch (outside any transaction), then store; its status."""
    with app.app_context():
        client = client or HttpClient(app.config)
        with db.job_session() as session:
            query = session.get(TrackedQuery, query_id)
            if query is None:
                return "gone"
            session.expunge(query)
        checked_at = utcnow()
        try:
            outcome, provider = _fetch(client, query, app.config)
        except Exception as exc:  # noqa: BLE001 - a provider bug is stored as an error, not lost
            logger.exception("check of query %s failed", query_id)
            outcome = FetchOutcome(CheckStatus.ERROR.value, [], [], f"internal error: {exc!r}")
            provider = query.provider
        with db.job_session() as session:
            fresh = session.get(TrackedQuery, query_id)
            if fresh is None:  # purged while it was being checked
                return "gone"
            check = record_outcome(
                session, fresh, outcome, provider, worker_id, checked_at, keep_figures
            )
            try:
                with session.begin_nested():
                    alerts = alerts_after_check(session, check)
            except Exception:  # noqa: BLE001 - the check is kept even if its alerts fail
                logger.exception("alerts after the check of query %s failed", query_id)
                alerts = []
        if alerts:  # sent once the check is committed: no network inside the transaction
            try:
                send_alerts(app, alerts)
            except Exception:  # noqa: BLE001
                logger.exception("alerts after the check of query %s were not sent", query_id)
        if outcome.status != CheckStatus.OK.value:
            logger.info("query %s: %s (%s)", query_id, outcome.status, outcome.reason)
        return outcome.status


def run_queries(
    app: Flask,
    query_ids: list[int],
    worker_id: str,
    *,
    threads: int | None = None,
    on_done: Callable[[int, str], None] | None = None,
) -> dict[str, int]:
    """Run claimed queries on a thread pool; counts of each outcome."""
    counts = {"claimed": len(query_ids), "ok": 0, "blocked": 0, "error": 0, "gone": 0}
    if not query_ids:
        return counts
    client = HttpClient(app.config)
    workers = threads or int(app.config.get("SERP_CHECK_THREADS", DEFAULT_THREADS))
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="serp") as pool:
        futures = {pool.submit(run_check, app, qid, worker_id, client): qid for qid in query_ids}
        for future in as_completed(futures):
            try:
                status = future.result()
            except Exception:  # noqa: BLE001 - e.g. the database went away; the lease expires
                logger.exception("check of query %s was not recorded", futures[future])
                status = "error"
            counts[status] = counts.get(status, 0) + 1
            if on_done is not None:
                on_done(futures[future], status)
    return counts


def run_due_checks(
    app: Flask,
    limit: int = 100,
    worker_id: str | None = None,
    *,
    threads: int | None = None,
    budget_seconds: float | None = None,
    on_done: Callable[[int, str], None] | None = None,
    keep_figures: bool = True,
) -> dict[str, int]:
    """Check up to ``limit`` due queries on a thread pool; counts of each outcome.

    Queries are claimed a few at a time whenever the pool runs short of work, so the pool
    never drains between batches and no query sits claimed for long before it is fetched.
    No new claims are made after ``budget_seconds``. With ``keep_figures`` False the caller
    brings the checked brands' figures up to date afterwards (the worker's round does).
    """
    worker_id = worker_id or default_worker_id()
    workers = max(1, threads or int(app.config.get("SERP_CHECK_THREADS", DEFAULT_THREADS)))
    client = HttpClient(app.config)
    counts = {"claimed": 0, "ok": 0, "blocked": 0, "error": 0, "gone": 0}
    started = time.monotonic()
    pending: dict[Future[str], int] = {}
    exhausted = False
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="serp") as pool:
        while True:
            over_budget = budget_seconds is not None and time.monotonic() - started > budget_seconds
            room = min(2 * workers - len(pending), limit - counts["claimed"])
            if not exhausted and not over_budget and room > 0:
                with app.app_context(), db.job_session() as session:
                    ids = claim_due_checks(session, worker_id, utcnow(), room)
                exhausted = len(ids) < room
                counts["claimed"] += len(ids)
                for query_id in ids:
                    pending[
                        pool.submit(run_check, app, query_id, worker_id, client, keep_figures)
                    ] = query_id
            if not pending:
                break
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                query_id = pending.pop(future)
                try:
                    status = future.result()
                except Exception:  # noqa: BLE001 - e.g. the database went away; the lease expires
                    logger.exception("check of query %s was not recorded", query_id)
                    status = "error"
                counts[status] = counts.get(status, 0) + 1
                if on_done is not None:
                    on_done(query_id, status)
    return counts


def check_now(app: Flask, query_id: int, worker_id: str | None = None) -> str:
    """Check one query at once, whatever its schedule; "busy" when another worker holds it."""
    worker_id = worker_id or default_worker_id()
    with app.app_context():
        with db.job_session() as session:
            query = session.get(TrackedQuery, query_id)
            if query is None or query.deleted_at is not None:
                return "gone"
            if not claim_query(session, query_id, worker_id, utcnow()):
                return "busy"
    return run_check(app, query_id, worker_id)


# --- reparse, purge, expiry ---------------------------------------------------------------------


def reparse_check(session: Session, check: SerpCheck, config: Mapping[str, Any]) -> bool:
    """Read a check's stored pages again with today's parser; whether anything changed."""
    pages = decompress_pages(check.raw_pages)
    if not pages:
        return False
    query = check.query
    provider = get_provider(check.provider, HttpClient(config))
    spec = query_spec(query)
    results: list[SerpResult] = []
    seen: set[str] = set()
    features: list[tuple[int, list[PageFeature]]] = []
    status, reason = CheckStatus.OK.value, None
    for index, page in enumerate(pages):
        read: ProviderPage = provider.parse_raw(page["body"], page["format"], spec)
        if read.status != CheckStatus.OK.value:
            status = read.status
            reason = read.reason if not index else f"page {index + 1}: {read.reason}"
            break
        if read.features:
            features.append((page.get("page", index), list(read.features)))
        for result in read.results:
            key = normalize_url(result.url)
            if key not in seen:
                seen.add(key)
                results.append(
                    SerpResult(len(results) + 1, result.url, result.title, result.snippet)
                )
    note = None
    if check.provider != "manual":
        results = results[: query.depth]
    else:
        results, note = _kept(results, query.depth)
    before = (
        check.status,
        [(r.position, r.url, r.title, r.snippet) for r in check.results],
        stored_blocks(session, check.id),
    )
    after = (
        status,
        [(r.position, r.url, r.title, r.snippet) for r in results],
        [(i, f.kind, f.position, [x.to_dict() for x in f.items]) for i, fs in features for f in fs],
    )
    if before == after:
        return False
    check.status, check.reason = status, reason or note
    check.results = [_row(result) for result in results]
    check.result_count = len(check.results)
    session.flush()
    delete_features(session, [check.id])
    store_features(session, check, features)
    upkeep.after_check(session, check)
    return True


def reparse(
    session: Session, config: Mapping[str, Any], query_id: int | None = None
) -> dict[str, int]:
    """Re-read every stored raw page (of one query, or all); counts of checks read and changed."""
    statement = select(SerpCheck).where(SerpCheck.raw_pages.is_not(None)).order_by(SerpCheck.id)
    if query_id is not None:
        statement = statement.where(SerpCheck.query_id == query_id)
    counts = {"read": 0, "changed": 0}
    for check in session.scalars(statement):
        counts["read"] += 1
        if reparse_check(session, check, config):
            counts["changed"] += 1
    return counts


def purge_query(session: Session, query_id: int) -> int:
    """Delete a query and all its history for good; the number of checks removed."""
    check_ids = select(SerpCheck.id).where(SerpCheck.query_id == query_id)
    delete_features(session, check_ids)
    session.execute(delete(SerpResultRow).where(SerpResultRow.check_id.in_(check_ids)))
    removed = session.execute(delete(SerpCheck).where(SerpCheck.query_id == query_id)).rowcount
    session.execute(delete(TrackedQuery).where(TrackedQuery.id == query_id))
    session.expire_all()
    return removed


def expire_raw_pages(session: Session, now: datetime) -> int:
    """Drop stored raw pages past their keep date; rows and statuses stay."""
    result = session.execute(
        update(SerpCheck)
        .where(SerpCheck.raw_pages.is_not(None), SerpCheck.raw_expires_at < now)
        .values(raw_pages=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount
