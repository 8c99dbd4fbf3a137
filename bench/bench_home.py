"""The home overview of an agency: one user in 50 brands, each with 8 channels, 120 posts,
300 mentions and 5 tracked queries with a year of weekly checks. Times the whole GET / (login
session, every section's queries, the page) on SQLite and, when reachable, PostgreSQL.

Run: `python -m bench bench_home` or `python bench/bench_home.py`.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from sqlalchemy import create_engine, insert, text  # noqa: E402

import listening.models  # noqa: E402, F401  (registers the tables)
import serp.models  # noqa: E402, F401
import serp.summaries  # noqa: E402, F401
from app import create_app  # noqa: E402
from bench.common import PG_URL, bench_app, median, percentile, postgres_available, table  # noqa: E402
from core.db import Base, db  # noqa: E402
from core.models import Role, User  # noqa: E402
from listening.models import Mention, MentionSource  # noqa: E402
from planner.brands import create_brand  # noqa: E402
from planner.channels import create_channel  # noqa: E402
from planner.models import Platform, Post, PostStatus  # noqa: E402
from serp.models import SerpCheck, TrackedQuery  # noqa: E402
from serp.summaries import CheckSummary  # noqa: E402

BRANDS = 50
POSTS_PER_CHANNEL = 15
MENTIONS_PER_BRAND = 300
QUERIES_PER_BRAND = 5
WEEKS = 52
RUNS = 40
EMAIL, PASSWORD = "agency@example.com", "agency-password-1"
STATUSES = [PostStatus.SCHEDULED] * 10 + [
    PostStatus.PUBLISHED, PostStatus.FAILED, PostStatus.PENDING_APPROVAL,
    PostStatus.UNCONFIRMED, PostStatus.DRAFT,
]  # fmt: skip


def populate(now: datetime) -> None:
    user = User(email=EMAIL, name="Agency", role=Role.ADMIN.value)
    user.set_password(PASSWORD)
    db.session.add(user)
    db.session.flush()
    check_id = 0
    for b in range(BRANDS):
        brand = create_brand(
            db.session, name=f"Client {b:02d}", timezone="Europe/Berlin", creator=user
        )
        posts = []
        for platform in Platform:
            channel = create_channel(
                db.session, brand, user, platform=platform.value, name=f"{platform.label} {b}"
            )
            channel.needs_reauth = b % 7 == 0 and platform is Platform.X
            db.session.flush()
            for n in range(POSTS_PER_CHANNEL):
                posts.append(
                    {
                        "channel_id": channel.id,
                        "text": f"Post {n}",
                        "status": STATUSES[n % len(STATUSES)].value,
                        "scheduled_at": now + timedelta(hours=9 * n - 20),
                    }
                )
        db.session.execute(insert(Post), posts)
        source = MentionSource(brand_id=brand.id, kind="rss", name="News", url="https://x.test/")
        db.session.add(source)
        db.session.flush()
        db.session.execute(
            insert(Mention),
            [
                {
                    "brand_id": brand.id,
                    "source_id": source.id,
                    "external_id": f"m{n}",
                    "published_at": now - timedelta(hours=n),
                    "due_at": now - timedelta(hours=n) + timedelta(days=1),
                    "state": "new" if n % 3 else "replied",
                }
                for n in range(MENTIONS_PER_BRAND)
            ],
        )
        checks, summaries = [], []
        for q in range(QUERIES_PER_BRAND):
            query = TrackedQuery(brand_id=brand.id, text=f"client {b} query {q}")
            db.session.add(query)
            db.session.flush()
            for week in range(WEEKS):
                check_id += 1
                at = now - timedelta(weeks=WEEKS - 1 - week, hours=1)
                checks.append(
                    {"id": check_id, "query_id": query.id, "checked_at": at, "status": "ok",
                     "engine": "google", "provider": "html", "result_count": 10}
                )  # fmt: skip
                negatives = [f"bad{b}.example/{q}"] if week % 5 == 0 else []
                summaries.append(
                    {"check_id": check_id, "fingerprint": "bench", "score": (week % 9 - 4) / 10,
                     "owned": 3, "positive": 1, "neutral": 4, "unlabelled": 2 - len(negatives),
                     "negative": len(negatives), "page_one": [],
                     "negative_urls": json.dumps(negatives)}
                )  # fmt: skip
        db.session.execute(insert(SerpCheck), checks)
        db.session.execute(insert(CheckSummary), summaries)
    db.session.commit()


def measure(app, label: str) -> dict[str, float]:
    client = app.test_client()
    login = client.post("/login", data={"email": EMAIL, "password": PASSWORD})
    assert login.status_code == 302, login.status_code
    first = client.get("/")
    assert first.status_code == 200 and first.get_data(as_text=True).count("home-brand") >= BRANDS
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        response = client.get("/")
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    p50, p95 = median(times), percentile(times, 95)
    table(
        [
            (f"GET / ({label}), median", f"{p50:.1f} ms", ""),
            (f"GET / ({label}), p95", f"{p95:.1f} ms", "target < 300 ms"),
        ]
    )
    return {f"home_50_brands_{label}_p50_ms": p50, f"home_50_brands_{label}_p95_ms": p95}


def postgres_app():
    """An app on a PostgreSQL database of this benchmark's own, so no other run shares it."""
    name = "pageone_bench_home"
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


def main() -> dict[str, float]:
    now = datetime.now(UTC)
    figures: dict[str, float] = {}
    backends = [("sqlite", lambda: bench_app("sqlite"))]
    if postgres_available():
        backends.append(("postgres", postgres_app))
    else:
        print("  PostgreSQL unreachable: SQLite figures only")
    for label, make in backends:
        app = make()
        with app.app_context():
            populate(now)
        figures.update(measure(app, label))
        app.extensions["pageone.db"].dispose()
    return figures


if __name__ == "__main__":
    main()
