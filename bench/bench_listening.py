"""Listening: storing 100,000 mentions, and spike detection over a year of hourly counts.

Ingest runs the whole path a poll runs after fetching: duplicate look-ups by entry id and URL,
language detection, VADER for English, key terms, questions, targets, and the batched INSERT, in
batches of 1,000 (a large feed poll), on SQLite and, when reachable, PostgreSQL.
Spike detection judges every hour of a year for 500 terms against each hour's same-time baseline.

Run: `python -m bench bench_listening` or `python bench/bench_listening.py`.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import numpy as np  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

import listening.models  # noqa: E402, F401  (registers the tables)
from app import create_app  # noqa: E402
from bench.common import PG_URL, bench_app, postgres_available, table  # noqa: E402
from core.db import Base, db  # noqa: E402
from listening import crisis  # noqa: E402
from listening import operations as ops  # noqa: E402
from listening.sources import FetchedItem  # noqa: E402
from planner.brands import create_brand  # noqa: E402

MENTIONS = 100_000
BATCH = 1_000
TERMS = 500
HOURS = 365 * 24
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)

PHRASES = [
    "Just tried the new sourdough from Acme Bakery and it is wonderful",
    "Acme Bakery delivery was two hours late again, really disappointing",
    "Does Acme Bakery have gluten-free options at the Leipzig shop?",
    "Acme Bakery opens a second shop in the city centre next month",
    "Terrible service at Acme Bakery today, the staff were rude",
    "Das Brot von Acme Bakery ist ausgezeichnet, sehr zu empfehlen",
    "Le pain de Acme Bakery est vraiment bon, je recommande",
    "Acme Bakery sponsors the marathon, nice to see local support",
]


def make_items(count: int, seed: int = 1) -> list[FetchedItem]:
    rng = random.Random(seed)
    items = []
    for n in range(count):
        text = f"{rng.choice(PHRASES)} #{n % 997}"
        items.append(
            FetchedItem(
                external_id=f"bench-{n}",
                url=f"https://news.example.com/{n}",
                author=f"user{n % 5000}",
                title="",
                text=text,
                language=None,  # detected, as for most feeds
                published_at=NOW - timedelta(minutes=rng.randrange(0, 60 * 24 * 30)),
            )
        )
    return items


def postgres_app():
    """An app on a PostgreSQL database of this benchmark's own, so no other run shares it."""
    name = "pageone_bench_listening"
    engine = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        if not connection.scalar(text("select 1 from pg_database where datname=:n"), {"n": name}):
            connection.execute(text(f"CREATE DATABASE {name}"))
    engine.dispose()
    url = engine.url.set(database=name).render_as_string(hide_password=False)
    app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": url, "WTF_CSRF_ENABLED": False})
    with app.extensions["pageone.db"].begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    Base.metadata.create_all(app.extensions["pageone.db"])
    return app


def ingest_seconds(backend: str, items: list[FetchedItem]) -> float:
    app = bench_app("sqlite") if backend == "sqlite" else postgres_app()
    with app.app_context():
        admin = create_brand(db.session, name="Acme Bakery", timezone="UTC", creator=None)
        source = ops.create_source(
            db.session, admin, None, {"kind": "rss", "url": "https://example.com/feed"}, NOW
        )
        settings = ops.settings_for(db.session, admin)
        db.session.commit()
        # Warm the models (VADER lexicon, language model) outside the timing, as a worker has.
        ops.read_sentiment("warm up", None)
        start = time.perf_counter()
        for offset in range(0, len(items), BATCH):
            ops.ingest(
                db.session, admin, source, items[offset : offset + BATCH], NOW, settings=settings
            )
            db.session.commit()
        elapsed = time.perf_counter() - start
    app.extensions["pageone.db"].dispose()
    return elapsed


def spike_ms(rounds: int = 3) -> tuple[float, int]:
    rng = np.random.default_rng(3)
    hours = np.arange(HOURS)
    rhythm = 2 + 10 * np.exp(-(((hours % 24) - 12) ** 2) / 8)
    rates = rng.uniform(0.2, 3.0, size=(TERMS, 1)) * rhythm
    series = rng.poisson(rates).astype(float)
    series[:, 5000] += 200  # one burst for every term
    best = float("inf")
    flags = None
    for _ in range(rounds):
        start = time.perf_counter()
        flags = crisis.spike_flags(series)
        best = min(best, time.perf_counter() - start)
    return best * 1000, int(flags.sum())


def main() -> dict[str, float]:
    items = make_items(MENTIONS)
    sqlite_s = ingest_seconds("sqlite", items)
    figures = {"mentions_ingest_100k_s": sqlite_s}
    rows = [
        ("ingest 100,000 mentions, SQLite", f"{sqlite_s:.1f} s", f"{MENTIONS / sqlite_s:,.0f}/s")
    ]
    if postgres_available():
        pg_s = ingest_seconds("postgres", items)
        figures["mentions_ingest_100k_pg_s"] = pg_s
        rows.append(
            ("ingest 100,000 mentions, PostgreSQL", f"{pg_s:.1f} s", f"{MENTIONS / pg_s:,.0f}/s")
        )
    ms, alerts = spike_ms()
    figures["spike_detection_ms"] = ms
    rows.append(
        (
            f"spike detection, {TERMS} terms x {HOURS:,} hours",
            f"{ms:.0f} ms",
            f"{alerts} alert hours",
        )
    )
    table(rows)
    return figures


if __name__ == "__main__":
    main()
