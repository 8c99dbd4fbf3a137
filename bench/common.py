"""Helpers shared by the benchmarks: apps on throw-away databases, percentiles, tables."""

from __future__ import annotations

import os
import statistics
import tempfile
from collections.abc import Sequence

from flask import Flask
from sqlalchemy import create_engine, text

import core.models  # noqa: F401
import planner.models  # noqa: F401
from app import create_app
from core.db import Base

PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def percentile(values: Sequence[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def postgres_available() -> bool:
    try:
        engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001 - any failure means: skip the PostgreSQL figures
        return False


def bench_database_url() -> str:
    """A database of the benchmarks' own beside the test one, so the two never collide (named
    after the test database, so benchmarks run against different test databases do not either)."""
    engine = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    test_name = engine.url.database or "test"
    name = "pageone_bench" if test_name == "test" else f"{test_name}_bench"
    with engine.connect() as connection:
        exists = connection.scalar(
            text("select 1 from pg_database where datname = :name"), {"name": name}
        )
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return engine.url.set(database=name).render_as_string(hide_password=False)


def bench_app(backend: str) -> Flask:
    """An app on an empty database: a temporary SQLite file, or a PostgreSQL bench database."""
    if backend == "sqlite":
        url = f"sqlite:///{tempfile.mkdtemp(prefix='pageone-bench-')}/bench.db"
    else:
        url = bench_database_url()
    app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": url, "WTF_CSRF_ENABLED": False})
    engine = app.extensions["pageone.db"]
    if backend == "postgres":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    Base.metadata.create_all(engine)
    return app


def table(rows: list[tuple[str, str, str]]) -> None:
    width = max(len(r[0]) for r in rows)
    for name, value, target in rows:
        print(f"  {name:<{width}}  {value:>12}   {target}")
