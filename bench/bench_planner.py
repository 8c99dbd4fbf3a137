"""Planner benchmarks: the calendar feed, next_free_slot and CSV import at scale."""

from __future__ import annotations

import gc
import random
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, insert, select, update

from bench.common import bench_app, median, percentile, postgres_available, table
from core.db import db
from core.models import ApiToken, Role, User
from planner import operations as ops
from planner.brands import create_brand
from planner.channels import create_channel
from planner.csvio import import_posts
from planner.media.models import MediaItem, PostMedia
from planner.models import Platform, Post

PLATFORMS = [p.value for p in Platform if p is not Platform.INSTAGRAM]
MONTH_START = datetime(2031, 3, 1, tzinfo=UTC)


def _admin_and_brand(name: str):
    admin = User(email=f"bench-{name}@example.com", name="bench", role=Role.ADMIN.value)
    admin.password_hash = "x"
    db.session.add(admin)
    db.session.flush()
    brand = create_brand(db.session, name=name, timezone="Europe/Berlin", creator=admin)
    return admin, brand


def _attach_media(brand_id: int, admin_id: int) -> None:
    """200 library items, and one to four of them on every post of the brand."""
    items = [
        {
            "brand_id": brand_id,
            "kind": "image",
            "filename": f"photo{i}.jpg",
            "storage_key": f"brand-{brand_id}/{i:064x}.jpg",
            "content_type": "image/jpeg",
            "bytes": 500_000,
            "width": 1600,
            "height": 1200,
            "alt_text": f"Photo {i}",
            "sha256": f"{i:064x}",
            "created_by_id": admin_id,
            "created_at": MONTH_START,
        }
        for i in range(200)
    ]
    db.session.execute(insert(MediaItem), items)
    media_ids = list(db.session.scalars(select(MediaItem.id).where(MediaItem.brand_id == brand_id)))
    post_ids = db.session.scalars(select(Post.id)).all()
    rng = random.Random(2)
    links = []
    counts = []
    for post_id in post_ids:
        chosen = rng.sample(media_ids, rng.randint(1, 4))
        counts.append({"post_id": post_id, "count": len(chosen)})
        for position, media_id in enumerate(chosen):
            links.append({"post_id": post_id, "media_id": media_id, "position": position})
    db.session.execute(insert(PostMedia), links)
    posts = Post.__table__
    db.session.connection().execute(
        update(posts)
        .where(posts.c.id == bindparam("post_id"))
        .values(media_count=bindparam("count")),
        counts,
    )


def feed_p95(backend: str) -> dict[str, float]:
    """10,000 posts over 100 channels in one month, each with one to four media; the month's
    feed, 40 requests each, as the calendar page asks for it (compact) and as the JSON API's
    FullCalendar event feed."""
    app = bench_app(backend)
    with app.app_context():
        admin, brand = _admin_and_brand("Feed")
        channels = [
            create_channel(
                db.session,
                brand,
                admin,
                platform=PLATFORMS[i % len(PLATFORMS)],
                name=f"channel {i}",
                max_per_day=None,
            )
            for i in range(100)
        ]
        rng = random.Random(1)
        rows = [
            {
                "channel_id": channels[i % 100].id,
                "text": f"Post number {i} " + "x" * rng.randint(20, 200),
                "scheduled_at": MONTH_START + timedelta(minutes=rng.randint(0, 31 * 24 * 60 - 1)),
                "status": "scheduled",
                "source": "manual",
                "version": 1,
                "attempts": 0,
                "created_at": MONTH_START,
                "updated_at": MONTH_START,
            }
            for i in range(10_000)
        ]
        db.session.execute(insert(Post), rows)
        _attach_media(brand.id, admin.id)
        token, plain = ApiToken.issue(admin)
        db.session.add(token)
        db.session.commit()
        brand_id = brand.id
    client = app.test_client()
    headers = {"Authorization": f"Bearer {plain}"}
    url = f"/api/v1/brands/{brand_id}/events?start=2031-03-01T00:00:00Z&end=2031-04-01T00:00:00Z"
    figures = {}
    for name, suffix in (("compact", "&format=compact"), ("events", "")):
        timings = []
        for _ in range(40):
            # The checks below make garbage of their own; collect it outside the timing.
            gc.collect()
            started = time.perf_counter()
            response = client.get(url + suffix, headers=headers)
            timings.append((time.perf_counter() - started) * 1000)
            body = response.get_json()
            posts = body["posts"] if name == "compact" else body
            assert response.status_code == 200 and len(posts) == 10_000
            if name == "compact":
                assert all(row[-1] >= 1 for row in posts)  # every post carries media
        figures[f"{name}_p50"], figures[f"{name}_p95"] = median(timings), percentile(timings, 95)
    app.extensions["pageone.db"].dispose()
    return figures


def next_slot_medians_us() -> tuple[float, float]:
    """A channel with 100,000 posts: four years of history and a queue planned ahead.

    The first figure has two weeks of the queue planned (the usual case); the second has eleven
    weeks planned, so every call walks past a long full stretch first.
    """
    app = bench_app("sqlite")
    with app.app_context():
        admin, brand = _admin_and_brand("Slots")
        channel = create_channel(
            db.session, brand, admin, platform="linkedin", min_gap_minutes=30, max_per_day=3
        )
        now = datetime(2031, 6, 2, 6, 0, tzinfo=UTC)
        start = now - timedelta(days=4 * 365)
        step = (now - start) / 99_900
        rows = [
            {
                "channel_id": channel.id,
                "text": "history",
                "scheduled_at": start + step * i,
                "status": "published",
                "source": "manual",
                "version": 1,
                "attempts": 0,
                "created_at": start,
                "updated_at": start,
            }
            for i in range(99_900)
        ]
        db.session.execute(insert(Post), rows)
        medians = []
        for planned in (18, 100):
            # Fill the queue ahead as "Add to queue" would (LinkedIn here: 9 slots a week).
            while db.session.query(Post).filter(Post.status == "scheduled").count() < planned:
                slot = ops.next_free_slot(db.session, channel, now)
                db.session.add(
                    Post(channel=channel, text="planned", scheduled_at=slot, status="scheduled")
                )
                db.session.flush()
            db.session.commit()
            timings = []
            for i in range(200):
                after = now + timedelta(minutes=7 * i)
                started = time.perf_counter()
                slot = ops.next_free_slot(db.session, channel, after)
                timings.append((time.perf_counter() - started) * 1e6)
                assert slot is not None and slot >= after
            medians.append(median(timings))
    app.extensions["pageone.db"].dispose()
    return medians[0], medians[1]


def csv_import_seconds() -> float:
    """10,000 rows over 10 channels, checked and written in one transaction."""
    app = bench_app("sqlite")
    with app.app_context():
        admin, brand = _admin_and_brand("Import")
        channels = [
            create_channel(
                db.session,
                brand,
                admin,
                platform="mastodon",
                name=f"m{i}",
                min_gap_minutes=30,
                max_per_day=None,
            )
            for i in range(10)
        ]
        db.session.commit()
        now = datetime(2031, 1, 1, tzinfo=UTC)
        lines = ["channel_id,text,link,scheduled_at"]
        for i in range(10_000):
            when = now + timedelta(days=1, hours=i // 10)
            lines.append(
                f"{channels[i % 10].id},Imported post {i} with some text,"
                f"https://acme.example/p/{i},{when.isoformat()}"
            )
        data = ("\n".join(lines) + "\n").encode()
        started = time.perf_counter()
        report = import_posts(db.session, brand, data, author=admin, now=now)
        db.session.commit()
        elapsed = time.perf_counter() - started
        assert report.ok and report.created == 10_000, report.errors[:3]
    app.extensions["pageone.db"].dispose()
    return elapsed


def main() -> dict[str, float]:
    figures: dict[str, float] = {}
    rows = []
    backends = ["sqlite"] + (["postgres"] if postgres_available() else [])
    for backend in backends:
        feed = feed_p95(backend)
        figures[f"calendar_feed_p95_ms_{backend}"] = feed["compact_p95"]
        figures[f"calendar_event_feed_p95_ms_{backend}"] = feed["events_p95"]
        rows.append(
            (
                f"calendar feed (page), 10k posts with media/100 channels, {backend} p50/p95 ms",
                f"{feed['compact_p50']:.1f} / {feed['compact_p95']:.1f}",
                "target p95 ≤ 100 ms",
            )
        )
        rows.append(
            (
                f"FullCalendar JSON event feed (API), {backend} p50/p95 ms",
                f"{feed['events_p50']:.1f} / {feed['events_p95']:.1f}",
                "",
            )
        )
    if "postgres" not in backends:
        rows.append(("calendar feed, PostgreSQL", "skipped", "PostgreSQL unreachable"))
    slot, deep = next_slot_medians_us()
    figures["next_slot_median_us"] = slot
    figures["next_slot_deep_queue_median_us"] = deep
    rows.append(
        ("next_free_slot, 100k posts, 2 weeks queued, median µs", f"{slot:.0f}", "target ≤ 2000 µs")
    )
    rows.append(
        (
            "next_free_slot, 100k posts, 11 weeks queued, median µs",
            f"{deep:.0f}",
            "(a long full queue)",
        )
    )
    seconds = csv_import_seconds()
    figures["csv_import_10k_s"] = seconds
    rows.append(("CSV import, 10k rows, s", f"{seconds:.2f}", "target ≤ 10 s"))
    table(rows)
    return figures


if __name__ == "__main__":
    main()
