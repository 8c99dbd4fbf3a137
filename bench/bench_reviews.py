"""Review benchmarks: importing 100,000 reviews, ranking them, serving the public page."""

from __future__ import annotations

import csv
import io
import random
import time
from datetime import UTC, datetime, timedelta

from bench.common import bench_app, percentile, table
from core.db import db
from core.models import Role, User
from core.sentiment import analyse
from planner.brands import create_brand
from planner.reviews.importing import import_reviews
from planner.reviews.models import ReviewSettings
from planner.reviews.promotable import promotable_reviews

NOW = datetime(2031, 3, 1, tzinfo=UTC)
OPENINGS = [
    "The flat white was perfect",
    "Ordered a birthday cake for {n} guests",
    "We waited {n} minutes for a table",
    "Ana at the counter was so kind",
    "Best sourdough in the city",
    "The oat latte was cold",
    "Marco explained the Ethiopian single origin",
    "Service was slow on Saturday",
]
ENDINGS = [
    "and we will be back next week.",
    "but the music was far too loud.",
    "Highly recommended for families.",
    "Not worth {n} euros, sadly.",
    "The staff remembered my name after {n} visits!",
    "Clean tables, fast wifi, friendly people.",
]
OTHER_LANGUAGES = [
    "Der Kaffee war ausgezeichnet und das Personal sehr freundlich.",
    "Le café était excellent et le personnel très aimable.",
    "El café estaba muy bueno y el servicio fue rápido.",
]


def review_file(count: int, seed: int = 5) -> bytes:
    """A CSV export of ``count`` reviews: mostly English, a tenth in other languages, varied."""
    rng = random.Random(seed)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["source", "external_id", "rating", "title", "text", "author", "created_at"])
    for i in range(count):
        if i % 10 == 9:
            text = rng.choice(OTHER_LANGUAGES)
        else:
            parts = [rng.choice(OPENINGS), rng.choice(ENDINGS)]
            if rng.random() < 0.5:
                parts.append(rng.choice(ENDINGS))
            text = (" ".join(parts)).format(n=rng.randint(2, 90)) + f" (visit {i})"
        created = NOW - timedelta(minutes=rng.randint(0, 3 * 365 * 24 * 60))
        writer.writerow(
            [
                rng.choice(("google", "trustpilot", "yelp")),
                f"r{i:07d}",
                rng.choices((1, 2, 3, 4, 5), weights=(8, 5, 10, 27, 50))[0],
                "",
                text,
                f"Reviewer {i} Name",
                created.isoformat(),
            ]
        )
    return buffer.getvalue().encode()


def _brand(name: str):
    admin = User(email=f"bench-{name.lower()}@example.com", name="bench", role=Role.ADMIN.value)
    admin.password_hash = "x"
    db.session.add(admin)
    db.session.flush()
    return create_brand(db.session, name=name, timezone="Europe/Berlin", creator=admin)


def import_and_rank(count: int = 100_000) -> tuple[float, float, float]:
    data = review_file(count)
    app = bench_app("sqlite")
    with app.app_context():
        brand = _brand("Import")
        db.session.commit()
        analyse("warm", "Warm the models up.", None)  # loading the models is not the import
        started = time.perf_counter()
        report = import_reviews(db.session, brand, data, actor="bench", now=NOW)
        db.session.commit()
        imported = time.perf_counter() - started
        assert report.ok and report.created == count, report.errors[:3]
        started = time.perf_counter()
        again = import_reviews(db.session, brand, data, actor="bench", now=NOW)
        db.session.commit()
        reimported = time.perf_counter() - started
        assert again.unchanged == count
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            ranked = promotable_reviews(db.session, brand, now=NOW, limit=50)
            timings.append((time.perf_counter() - started) * 1000)
        assert len(ranked) == 50
    return imported, reimported, min(timings)


def page_p95(count: int = 1000, requests: int = 30) -> float:
    app = bench_app("sqlite")
    with app.app_context():
        brand = _brand("Page")
        db.session.add(
            ReviewSettings(
                brand_id=brand.id,
                profile_url="https://maps.example/page",
                page_enabled=True,
                weekly_cap=2,
                cooldown_days=90,
                do_not_phrases="",
                templates={},
            )
        )
        import_reviews(db.session, brand, review_file(count, seed=9), actor="b", now=NOW)
        db.session.commit()
        slug = brand.slug
    client = app.test_client()
    assert client.get(f"/b/{slug}/reviews").status_code == 200  # warm-up
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(f"/b/{slug}/reviews")
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return percentile(timings, 95)


def main() -> dict[str, float]:
    imported, reimported, rank_ms = import_and_rank()
    p95 = page_p95()
    table(
        [
            ("import 100,000 reviews (SQLite)", f"{imported:.1f} s", "target < 20 s"),
            ("re-import, all unchanged", f"{reimported:.1f} s", ""),
            ("rank 100,000 reviews (top 50)", f"{rank_ms:.0f} ms", ""),
            ("public page, 1,000 reviews, p95", f"{p95:.1f} ms", "target ≤ 150 ms"),
        ]
    )
    return {
        "reviews_import_100k_s": imported,
        "reviews_rank_ms": rank_ms,
        "reviews_page_p95_ms": p95,
    }


if __name__ == "__main__":
    main()
