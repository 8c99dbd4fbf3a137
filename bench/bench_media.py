"""Media benchmark: a 10 MB photo uploaded to the library (checked, turned upright, stripped,
thumbnailed, stored) and prepared for four platforms as the worker sends it."""

from __future__ import annotations

import io
import random
import tempfile
import time

from PIL import Image

from bench.common import bench_app, median, percentile, table
from core.db import db
from core.models import Role, User
from planner.brands import create_brand
from planner.media import operations as media_ops
from planner.media.outgoing import prepared_payload
from planner.media.storage import storage_for

PLATFORMS = ("bluesky", "x", "instagram", "linkedin")
TARGET_SECONDS = 10.0
RUNS = 5


def photo_bytes(target: int = 10 * 1024 * 1024) -> bytes:
    """A camera-sized JPEG of about ``target`` bytes: a gradient with grain, as photos have,
    and EXIF orientation 6 (a phone held upright)."""
    width, height = 4032, 3024
    rng = random.Random(3)
    grain = Image.frombytes("L", (width, height), rng.randbytes(width * height))
    base = Image.linear_gradient("L").resize((width, height))
    image = Image.merge("RGB", (base, grain, Image.blend(base, grain, 0.5)))
    exif = Image.Exif()
    exif[0x0112] = 6
    quality = 95
    while True:
        out = io.BytesIO()
        image.save(out, "JPEG", quality=quality, exif=exif.tobytes())
        if out.tell() <= target or quality <= 60:
            return out.getvalue()
        quality -= 5


def run() -> dict[str, list[float]]:
    app = bench_app("sqlite")
    app.config["MEDIA_DIR"] = tempfile.mkdtemp(prefix="pageone-media-bench-")
    data = photo_bytes()
    timings: dict[str, list[float]] = {"upload": [], "prepare": [], "total": []}
    with app.app_context():
        admin = User(email="bench-media@example.com", name="bench", role=Role.ADMIN.value)
        admin.password_hash = "x"
        db.session.add(admin)
        db.session.flush()
        limits = media_ops.Limits.from_config(app.config)
        storage = storage_for(app.config)
        for run_number in range(RUNS):
            brand = create_brand(
                db.session, name=f"Media {run_number}", timezone="UTC", creator=admin
            )
            started = time.perf_counter()
            item = media_ops.upload(
                db.session, storage, brand, admin, data=data, filename="photo.jpg", limits=limits
            )
            db.session.commit()
            uploaded = time.perf_counter()
            stored = storage.get(item.storage_key)
            for platform in PLATFORMS:
                payload = prepared_payload(
                    stored, item.kind, item.content_type, (item.width, item.height), platform
                )
                assert payload.data
            done = time.perf_counter()
            timings["upload"].append(uploaded - started)
            timings["prepare"].append(done - uploaded)
            timings["total"].append(done - started)
    app.extensions["pageone.db"].dispose()
    timings["size_mb"] = [len(data) / 1048576]
    return timings


def main() -> dict[str, float]:
    timings = run()
    size = timings.pop("size_mb")[0]
    rows = [
        (
            f"upload of a {size:.1f} MB photo (check, upright, strip, thumbnail, store), "
            "median/p95 s",
            f"{median(timings['upload']):.2f} / {percentile(timings['upload'], 95):.2f}",
            "",
        ),
        (
            "prepare it for Bluesky, X, Instagram and LinkedIn, median/p95 s",
            f"{median(timings['prepare']):.2f} / {percentile(timings['prepare'], 95):.2f}",
            "",
        ),
        (
            "upload and prepare for four platforms, median/p95 s",
            f"{median(timings['total']):.2f} / {percentile(timings['total'], 95):.2f}",
            f"target p95 ≤ {TARGET_SECONDS:g} s",
        ),
    ]
    table(rows)
    return {
        "media_upload_10mb_median_s": median(timings["upload"]),
        "media_prepare_4_platforms_median_s": median(timings["prepare"]),
        "media_upload_and_prepare_p95_s": percentile(timings["total"], 95),
    }


if __name__ == "__main__":
    main()
