"""Database engine and session: one session per app context, one transaction per request or job."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app, g, has_app_context
from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out; stored as UTC on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; times must be timezone-aware")
        value = value.astimezone(UTC)
        # SQLite has no time zones: store naive UTC so text comparison orders correctly.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is UTC:
            return value
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime()}


def upsert(
    session: Session, model: type[Any], rows: list[dict[str, Any]], chunk: int = 500
) -> None:
    """Insert rows of ``model`` or replace those with the same primary key, in one statement
    per ``chunk`` rows where the database can (PostgreSQL, SQLite): two requests may write the
    same row at once."""
    if not rows:
        return
    statement = _insert(session, model)
    if statement is None:
        for row in rows:
            session.merge(model(**row))
        session.flush()
        return
    table = model.__table__
    keys = [c.name for c in table.primary_key.columns]
    statement = statement.on_conflict_do_update(
        index_elements=keys,
        set_={c.name: statement.excluded[c.name] for c in table.columns if c.name not in keys},
    )
    for start in range(0, len(rows), chunk):
        session.execute(statement, rows[start : start + chunk])


def insert_missing(session: Session, model: type[Any], row: dict[str, Any]) -> None:
    """Insert a row of ``model`` unless one with its primary key exists: two requests may
    create the same row at once, and the first one stays."""
    statement = _insert(session, model)
    if statement is None:
        key = tuple(row[c.name] for c in model.__table__.primary_key.columns)
        if session.get(model, key) is None:
            session.add(model(**row))
            session.flush()
        return
    session.execute(statement.on_conflict_do_nothing().values(**row))


def _insert(session: Session, model: type[Any]) -> Any:
    """The database's own INSERT of ``model``, which can resolve conflicts (None elsewhere)."""
    module = {"postgresql": postgresql, "sqlite": sqlite}.get(session.get_bind().dialect.name)
    return None if module is None else module.insert(model.__table__)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the web process read while the worker writes; busy_timeout waits out short locks.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(
        url,
        echo=echo,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=10,
        # Sessions in UTC: timestamps come back as UTC datetimes, as they are stored.
        connect_args={"connect_timeout": 10, "options": "-c timezone=UTC"},
    )


def _scope() -> int:
    # One session per application context (a request, a CLI command, a job).
    return id(g._get_current_object()) if has_app_context() else 0


class Database:
    """Binds an engine to the app and hands out the current context's session."""

    def __init__(self) -> None:
        self._registry = scoped_session(self._new_session, scopefunc=_scope)

    def init_app(self, app: Flask) -> None:
        engine = make_engine(app.config["DATABASE_URL"], echo=app.config.get("SQL_ECHO", False))
        app.extensions["pageone.db"] = engine
        app.teardown_appcontext(self._teardown)

    @staticmethod
    def _new_session() -> Session:
        return Session(bind=current_app.extensions["pageone.db"], expire_on_commit=False)

    @property
    def engine(self) -> Engine:
        return current_app.extensions["pageone.db"]

    @property
    def session(self) -> Session:
        return self._registry()

    def _teardown(self, exc: BaseException | None) -> None:
        # remove() closes the session, which rolls back anything not committed.
        self._registry.remove()

    @contextmanager
    def job_session(self) -> Iterator[Session]:
        """A session for a worker job or thread: commit on success, roll back on error."""
        session = Session(bind=self.engine, expire_on_commit=False)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


db = Database()
