"""Writing what the platforms answered, for a batch of sent posts in a few statements.

Each outcome is written only while its post is still claimed by the worker that sent it (one
guarded ``UPDATE … FROM unnest(…) … RETURNING`` per kind of outcome on PostgreSQL, a guarded
update per post on SQLite); the attempt itself is always kept in the audit log.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, bindparam, column, func, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from core import audit, claims
from planner.assets import record_published_posts
from planner.models import Channel, Post, PostStatus

from .adapters import Outcome, PublishResult
from .queue import POSTS, actor
from .sending import Prepared

logger = logging.getLogger("pageone.worker")

# A platform that is down (refused connections, 502/503, rate limits) is tried again with a
# growing back-off until this long after the post's time, then the post fails.
DEFAULT_RETRY_FOR = timedelta(hours=1)
FIRST_BACKOFF = timedelta(seconds=1)
BACKOFF_CAP = timedelta(hours=1)
EXCERPT_LENGTH = 300


@dataclass(frozen=True)
class Finished:
    """A post whose attempt is over: what was sent, what the platform answered, and when."""

    prepared: Prepared
    result: PublishResult
    at: datetime

    @property
    def post_id(self) -> int:
        return self.prepared.post_id


def backoff(attempts: int, retry_after: float | None) -> timedelta:
    """The wait before attempt ``attempts + 1``: Retry-After when longer than 2^attempts s."""
    return claims.backoff(attempts + 1, FIRST_BACKOFF, BACKOFF_CAP, retry_after)


def next_try(
    prepared: Prepared, result: PublishResult, now: datetime, retry_for: timedelta
) -> datetime | None:
    """When a post whose attempt said RETRY goes out again; None when its time is up.

    The back-off grows (1 s, 2 s, 4 s, … up to an hour) and the last try falls on the end of the
    retry time, counted from the post's scheduled time. A Retry-After is honoured, and so is the
    platform's request time limit after a request that may have landed: the re-send (and a
    WordPress slug look-up) must not run while the first request can still land, even if that
    takes the post a little past its retry time.
    """
    deadline = (prepared.scheduled_at or now) + retry_for
    if now >= deadline:
        return None
    earliest = now + timedelta(seconds=result.retry_after or 0)
    if result.may_have_landed:
        earliest = max(earliest, now + timedelta(seconds=prepared.time_limit))
    elif earliest > deadline:
        return None  # the platform asks for a wait that ends past the post's retry time
    return max(min(now + backoff(prepared.attempts, None), deadline), earliest)


def _duration(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    if seconds % 3600 == 0 and seconds >= 3600:
        hours = seconds // 3600
        return "an hour" if hours == 1 else f"{hours} hours"
    if seconds % 60 == 0 and seconds >= 60:
        return f"{seconds // 60} minutes"
    return f"{seconds} seconds"


def outcome_values(
    finished: Finished, retry_for: timedelta
) -> tuple[str, dict[str, Any], str | None]:
    """The audit action, the post's new column values, and the redacted reason of an attempt."""
    prepared, result, now = finished.prepared, finished.result, finished.at
    attempt = prepared.attempts + 1
    # Whatever the adapter did, what is stored about the attempt never holds a secret.
    reason = prepared.redact.excerpt(result.reason, 500) if result.reason else None
    values: dict[str, Any] = {
        "claimed_by": None,
        "lease_until": None,
        "send_started_at": None,
        "updated_at": now,
        "attempts": attempt,
    }
    retry_at = (
        next_try(prepared, result, now, retry_for) if result.outcome is Outcome.RETRY else None
    )
    gave_up = f"gave up after {attempt} attempts in {_duration(retry_for)}: {reason}"
    if result.outcome is Outcome.PUBLISHED:
        action = "post.published"
        values |= {
            "status": PostStatus.PUBLISHED.value,
            "platform_post_id": result.platform_id,
            "public_url": result.url,
            "published_at": now,
            "last_error": None,
        }
    elif result.outcome is Outcome.RETRY and retry_at is not None:
        action = "post.rescheduled"
        values |= {
            "status": PostStatus.SCHEDULED.value,
            "next_attempt_at": retry_at,
            "last_error": reason,
        }
    elif result.outcome is Outcome.RETRY and result.may_have_landed:
        action = "post.unconfirmed"
        values |= {
            "status": PostStatus.UNCONFIRMED.value,
            "last_error": f"{gave_up}; the last request may have been published, check the "
            "platform",
        }
    elif result.outcome is Outcome.RETRY:
        action = "post.failed"
        values |= {"status": PostStatus.FAILED.value, "last_error": gave_up}
    elif result.outcome is Outcome.UNCONFIRMED:
        action = "post.unconfirmed"
        values |= {"status": PostStatus.UNCONFIRMED.value, "last_error": reason}
    else:  # FAILED, REAUTH
        action = "post.failed"
        values |= {
            "status": PostStatus.FAILED.value,
            "last_error": reason or "the platform refused the post",
        }
    return action, values, reason


def _write(session: Session, worker_id: str, rows: list[tuple[int, dict[str, Any]]]) -> set[int]:
    """Write each post's values while it is still claimed by this worker; the ids written."""
    table = Post.__table__
    guard = (table.c.status == PostStatus.PUBLISHING.value, claims.held_by(POSTS, worker_id))
    written: set[int] = set()
    if session.get_bind().dialect.name != "postgresql":
        for post_id, row in rows:
            result = session.execute(
                update(table).where(table.c.id == post_id, *guard).values(**row)
            )
            if result.rowcount == 1:
                written.add(post_id)
        return written
    # One statement per kind of outcome (the same columns written), whatever the batch's size.
    shapes: dict[tuple[str, ...], list[tuple[int, dict[str, Any]]]] = defaultdict(list)
    for post_id, row in rows:
        shapes[tuple(sorted(row))].append((post_id, row))
    for keys, group in shapes.items():
        # The values travel as one array per column, so the statement's text is the same for
        # any number of posts (compiled once, prepared once by the server).
        names = ("post_id", *keys)
        types = (Integer(), *(table.c[key].type for key in keys))
        lists = (
            [post_id for post_id, _ in group],
            *([row[key] for _, row in group] for key in keys),
        )
        outcome = (
            func.unnest(
                *(
                    bindparam(f"outcome_{name}", items, type_=ARRAY(type_))
                    for name, type_, items in zip(names, types, lists, strict=True)
                )
            )
            .table_valued(*(column(name, type_) for name, type_ in zip(names, types, strict=True)))
            .render_derived(name="outcome")
        )
        written.update(
            session.scalars(
                update(table)
                .where(table.c.id == outcome.c.post_id, *guard)
                .values({key: outcome.c[key] for key in keys})
                .returning(table.c.id)
            )
        )
    return written


def record_outcomes(
    session: Session,
    worker_id: str,
    batch: Sequence[Finished],
    retry_for: timedelta = DEFAULT_RETRY_FOR,
) -> list[bool]:
    """Write what the platforms answered for a batch of posts, each only while the post is still
    this worker's; whether each was written."""
    if not batch:
        return []
    planned = [(finished, *outcome_values(finished, retry_for)) for finished in batch]
    written = _write(
        session, worker_id, [(finished.post_id, row) for finished, _, row, _ in planned]
    )
    entries: list[tuple[str, str, int | None, int | None, dict[str, Any]]] = []
    reauth: dict[int, tuple[int, str | None]] = {}
    published: list[tuple[Finished, dict[str, Any]]] = []
    for finished, action, row, reason in planned:
        prepared, result = finished.prepared, finished.result
        excerpt = (
            prepared.redact.excerpt(result.response_excerpt) if result.response_excerpt else None
        )
        applied = finished.post_id in written
        # The attempt happened whether or not the result still applies: it is always kept.
        entries.append(
            (
                "post.publish_attempt",
                "post",
                finished.post_id,
                prepared.brand_id,
                {
                    "at": finished.at.isoformat(),
                    "platform": prepared.platform,
                    "attempt": prepared.attempts + 1,
                    "outcome": result.outcome.value,
                    "status_code": result.status_code,
                    "response_excerpt": (excerpt or "")[:EXCERPT_LENGTH] or None,
                    "reason": reason,
                    "applied": applied,
                },
            )
        )
        if not applied:
            logger.warning(
                "post %s was no longer claimed by %s; its %s was not written",
                finished.post_id,
                worker_id,
                result.outcome.value,
            )
            continue
        logger.info(
            "post %s %s (attempt %s, %s)",
            finished.post_id,
            row["status"],
            prepared.attempts + 1,
            result.outcome.value,
        )
        next_at = row.get("next_attempt_at")
        entries.append(
            (
                action,
                "post",
                finished.post_id,
                prepared.brand_id,
                {
                    "reason": row.get("last_error"),
                    "public_url": row.get("public_url"),
                    "next_attempt_at": next_at.isoformat() if next_at else None,
                },
            )
        )
        if result.outcome is Outcome.REAUTH:
            reauth[prepared.channel_id] = (prepared.brand_id, reason)
        if result.outcome is Outcome.PUBLISHED and result.url:
            published.append((finished, row))
    if reauth:
        session.execute(
            update(Channel).where(Channel.id.in_(list(reauth))).values(needs_reauth=True)
        )
        for channel_id, (brand_id, reason) in reauth.items():
            logger.info("channel %s needs reauthorisation", channel_id)
            entries.append(
                ("channel.needs_reauth", "channel", channel_id, brand_id, {"reason": reason})
            )
    audit.record_many(session, actor(worker_id), entries)
    if published:
        # The published URLs are owned assets: search tracking recognises them in results.
        record_published_posts(
            session,
            [
                {
                    "brand_id": finished.prepared.brand_id,
                    "platform": finished.prepared.platform,
                    "post_id": finished.post_id,
                    "url": row["public_url"],
                    "text": finished.prepared.outgoing.text,
                    "published_at": row["published_at"],
                }
                for finished, row in published
            ],
        )
    return [finished.post_id in written for finished in batch]
