"""Claiming work across workers: one engine for every queue kept in a table (due posts, search
checks, listening sources).

A queue is a table whose rows fall due. A worker claims a batch of due rows with one statement
before any network call, and each claim carries a lease: until ``lease_until`` runs out the row is
the worker's, after that another worker (or a recovery) may take it back.

* PostgreSQL: ``UPDATE … WHERE id IN (SELECT id … ORDER BY … LIMIT n FOR UPDATE SKIP LOCKED)
  RETURNING …``. Workers claiming at once lock disjoint rows, and nobody waits on a row another
  worker is claiming.
* SQLite: the same statement without the lock clause. SQLite runs one writing statement at a time
  for the whole database, so the choice of rows and their update are one atomic step there too.

A queue whose table records the holder (``claimed_by``) gets guarded writes: renewing a lease or
writing an outcome applies only while the row is still held by the worker that claimed it.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, select, update
from sqlalchemy.orm import Session

logger = logging.getLogger("pageone.worker")


def default_worker_id() -> str:
    """The name a worker's claims carry when none is given: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Queue:
    """A kind of work claimed from one table.

    ``due(now)`` gives the conditions of a row that may be claimed (subqueries, not joins, so
    that only the queue's own rows are locked); ``lease_column`` is set to ``now + lease`` by a
    claim; ``holder_column``, when the table has one, records the claiming worker; ``values(now)``
    gives anything else a claim writes; ``returning`` the columns a claim hands back besides the
    id.
    """

    name: str  # what the log lines call a row: "post", "search check", "listening source"
    model: Any
    due: Callable[[datetime], Sequence[ColumnElement[bool]]]
    order_by: Callable[[], Sequence[Any]]
    lease_column: Any
    holder_column: Any | None = None
    values: Callable[[datetime], Mapping[str, Any]] = field(default=lambda now: {})
    returning: Callable[[], Sequence[Any]] = field(default=lambda: ())

    def _claim_values(self, worker_id: str, now: datetime, lease: timedelta) -> dict[str, Any]:
        values = {self.lease_column.key: now + lease, **self.values(now)}
        if self.holder_column is not None:
            values[self.holder_column.key] = worker_id
        return values


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def claim(
    session: Session,
    queue: Queue,
    worker_id: str,
    now: datetime,
    limit: int,
    lease: timedelta,
) -> list[Row[Any]]:
    """Claim up to ``limit`` due rows for ``worker_id`` in one statement, the first ones in the
    queue's order; the rows claimed (the id first, then ``queue.returning``), by id. The caller
    commits before any network call."""
    if limit <= 0:
        return []
    model = queue.model
    chosen = select(model.id).where(*queue.due(now)).order_by(*queue.order_by()).limit(limit)
    if _postgres(session):
        chosen = chosen.with_for_update(skip_locked=True)
    rows = list(
        session.execute(
            update(model)
            .where(model.id.in_(chosen))
            .values(**queue._claim_values(worker_id, now, lease))
            .returning(model.id, *queue.returning())
            .execution_options(synchronize_session=False)
        )
    )
    # RETURNING keeps no order: the rows come back by id, the same for every backend.
    rows.sort(key=lambda row: row[0])
    for row in rows:
        logger.info("claimed %s %s for %s", queue.name, row[0], worker_id)
    return rows


def claim_one(
    session: Session,
    queue: Queue,
    row_id: int,
    worker_id: str,
    now: datetime,
    lease: timedelta,
    conditions: Iterable[ColumnElement[bool]] = (),
) -> bool:
    """Claim one row whether or not it is due (work a person asked for now), unless another
    worker holds an unexpired claim on it or ``conditions`` fail; whether it was claimed."""
    model = queue.model
    free: list[ColumnElement[bool]] = list(conditions)
    if queue.holder_column is not None:
        free.append(queue.holder_column.is_(None) | (queue.lease_column < now))
    claimed = (
        session.execute(
            update(model)
            .where(model.id == row_id, *free)
            .values(**queue._claim_values(worker_id, now, lease))
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )
    if claimed:
        logger.info("claimed %s %s for %s", queue.name, row_id, worker_id)
    return claimed


def held_by(queue: Queue, worker_id: str) -> ColumnElement[bool]:
    """The condition of a row still held by ``worker_id`` (the guard of every write that
    finishes or extends its claim)."""
    if queue.holder_column is None:
        raise ValueError(f"the {queue.name} queue records no holder")
    return queue.holder_column == worker_id


def renew(
    session: Session,
    queue: Queue,
    worker_id: str,
    row_ids: Collection[int],
    now: datetime,
    lease: timedelta,
) -> int:
    """Extend this worker's claims on rows it is still working on, once half a lease is left;
    how many were extended. Work that outlasts a lease is then never taken back from a worker
    that is alive."""
    if not row_ids:
        return 0
    return session.execute(
        update(queue.model)
        .where(
            queue.model.id.in_(list(row_ids)),
            held_by(queue, worker_id),
            queue.lease_column < now + lease / 2,
        )
        .values({queue.lease_column.key: now + lease})
        .execution_options(synchronize_session=False)
    ).rowcount


def expired(queue: Queue, now: datetime) -> ColumnElement[bool]:
    """The condition of a row whose claim ran out: its worker died or lost the database."""
    if queue.holder_column is None:
        raise ValueError(f"the {queue.name} queue records no holder")
    return queue.holder_column.is_not(None) & (queue.lease_column < now)


def backoff(
    failures: int,
    first: timedelta,
    cap: timedelta,
    retry_after: float | None = None,
) -> timedelta:
    """The wait after ``failures`` failures in a row: ``first``, doubled per further failure,
    at least ``retry_after`` seconds (what the other side asked for), at most ``cap``."""
    seconds = first.total_seconds() * 2.0 ** min(max(failures - 1, 0), 60)
    seconds = max(seconds, float(retry_after or 0))
    # Compared in seconds: a huge Retry-After or failure count would not fit a timedelta.
    return timedelta(seconds=min(seconds, cap.total_seconds()))
