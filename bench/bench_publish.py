"""Publishing benchmark: 2,000 posts due in one minute over 200 Mastodon channels, published by
one and then two `flask planner worker` processes on PostgreSQL to a fake Mastodon on loopback
that answers in 50 ms.

Lateness is the time the fake received a post's status minus the post's ``scheduled_at``. The
"minute" run spreads the posts evenly over one minute (the figures with targets); the "burst" run
makes all 2,000 due at the same second, so posts per second is what the workers can sustain.
Posts per CPU-second counts the CPU time the worker processes spent from the moment the posts were
written until the last was out (user + system, read from /proc): on a machine shared with other
work it moves far less than posts per second does.

``python -m bench.bench_publish burst`` runs only the burst.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sqlalchemy import delete, func, insert, select

from bench.common import bench_app, median, percentile, postgres_available, table
from core.crypto import encrypt_json
from core.db import db
from core.models import AuditEntry
from core.tenants import Brand
from planner.models import Channel, Post

POSTS = 2_000
CHANNELS = 200
ANSWER_SECONDS = 0.05
ROOT = Path(__file__).resolve().parents[1]
FLASK = str(Path(sys.executable).with_name("flask"))


class FakeMastodon(ThreadingHTTPServer):
    """Mastodon's status endpoint on loopback: notes when each Idempotency-Key first arrived and
    how often it was sent, and answers after ``delay`` seconds."""

    daemon_threads = True
    request_queue_size = 512

    def __init__(self, delay: float) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.delay = delay
        self.lock = threading.Lock()
        self.first_seen: dict[str, float] = {}
        self.sends: Counter[str] = Counter()
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def forget(self) -> None:
        with self.lock:
            self.first_seen.clear()
            self.sends.clear()


class _Handler(BaseHTTPRequestHandler):
    server: FakeMastodon

    def do_GET(self) -> None:
        self._answer({"configuration": {"statuses": {"max_characters": 500}}})

    def do_POST(self) -> None:
        arrived = time.time()
        self.rfile.read(int(self.headers["Content-Length"]))
        key = self.headers["Idempotency-Key"]
        with self.server.lock:
            self.server.sends[key] += 1
            self.server.first_seen.setdefault(key, arrived)
        time.sleep(self.server.delay)
        self._answer({"id": key, "url": f"https://social.example/@bench/{key}"})

    def _answer(self, body: dict) -> None:
        data = json.dumps(body).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass

    def log_message(self, format: str, *args: object) -> None:
        pass


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """The user + system CPU time the process has used so far, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    # utime and stime are fields 14 and 15 of the line; the split starts at field 3.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _asleep(pid: int) -> bool:
    """Whether every thread of the process is sleeping (not running or waiting for a CPU)."""
    for stat in Path(f"/proc/{pid}/task").glob("*/stat"):
        try:
            state = stat.read_text().rpartition(")")[2].split()[0]
        except (OSError, IndexError):
            continue
        if state == "R":
            return False
    return True


def wait_until_idle(processes: list[subprocess.Popen], limit: float = 60.0) -> None:
    """Wait until every worker has started (imports done) and idles between its ticks: two
    seconds in a row in which none of them used a twentieth of a CPU-second and nearly every
    look found all their threads asleep (a start starved of CPU on a busy machine is runnable,
    not asleep)."""
    deadline = time.monotonic() + limit
    quiet = 0
    before = [cpu_seconds(p.pid) for p in processes]
    while time.monotonic() < deadline and quiet < 2:
        asleep = 0
        for _ in range(10):
            time.sleep(0.1)
            asleep += all(_asleep(p.pid) for p in processes)
        now = [cpu_seconds(p.pid) for p in processes]
        idle = asleep >= 8 and all(b - a < 0.05 for a, b in zip(before, now, strict=True))
        quiet = quiet + 1 if idle else 0
        before = now


def publish_run(app, fake: FakeMastodon, channel_ids: list[int], workers: int, spread: float):
    """Schedule POSTS posts over ``spread`` seconds, run ``workers`` worker processes until they
    are all out; lateness list, posts per second, extra sends, unpublished posts, peak RSS and
    the CPU seconds the workers spent on the run."""
    fake.forget()
    env = {
        **os.environ,
        "DATABASE_URL": app.config["DATABASE_URL"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "OUTBOUND_ALLOW_PRIVATE": "1",
        "HTTP_TIMEOUT": "10",
    }
    logs = Path(tempfile.mkdtemp(prefix="pageone-bench-publish-"))
    processes = []
    for n in range(workers):
        with open(logs / f"worker{n}.log", "wb") as log:
            processes.append(
                subprocess.Popen(
                    [FLASK, "--app", "app", "planner", "worker", "--worker-id", f"bench{n}"],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
    # Due a few seconds from now, once the workers are up and idle.
    wait_until_idle(processes)
    cpu_before = sum(cpu_seconds(process.pid) for process in processes)
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3)
    rng = random.Random(workers)
    with app.app_context():
        db.session.execute(delete(AuditEntry))
        db.session.execute(delete(Post))
        db.session.execute(
            insert(Post),
            [
                {
                    "channel_id": channel_ids[i % len(channel_ids)],
                    "text": f"Bench post {i}",
                    "scheduled_at": start + timedelta(seconds=rng.uniform(0, spread)),
                    "status": "scheduled",
                    "source": "manual",
                    "version": 1,
                    "attempts": 0,
                    "created_at": start,
                    "updated_at": start,
                }
                for i in range(POSTS)
            ],
        )
        db.session.commit()
        due = {
            f"pageone-{post_id}-v1": when.timestamp()
            for post_id, when in db.session.execute(select(Post.id, Post.scheduled_at))
        }
        deadline = time.monotonic() + 6 + spread + 180
        left = POSTS
        while time.monotonic() < deadline:
            time.sleep(0.5)
            db.session.rollback()
            left = db.session.scalar(
                select(func.count()).where(Post.status.in_(("scheduled", "publishing")))
            )
            if left == 0:
                break
        unpublished = db.session.scalar(select(func.count()).where(Post.status != "published"))
    cpu = sum(cpu_seconds(process.pid) for process in processes) - cpu_before
    rss = max(peak_rss_mb(process.pid) for process in processes)
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if left:
        tail = "\n".join((logs / f"worker{n}.log").read_text()[-2000:] for n in range(workers))
        print(f"  {left} posts still due when the run gave up; worker output:\n{tail}")
    shutil.rmtree(logs, ignore_errors=True)
    with fake.lock:
        lateness = [fake.first_seen[key] - due[key] for key in fake.first_seen]
        extra_sends = sum(count - 1 for count in fake.sends.values())
        arrivals = sorted(fake.first_seen.values())
    rate = (len(arrivals) - 1) / max(arrivals[-1] - arrivals[0], 1e-9)
    return lateness, rate, extra_sends, unpublished, rss, cpu


RUNS = ((1, 60.0, "minute"), (2, 60.0, "minute"), (2, 0.0, "burst"))


def main(only: str | None = None) -> dict[str, float]:
    """Every run, or only those whose label is ``only`` ("minute" or "burst")."""
    if not postgres_available():
        table([("publishing benchmark", "skipped", "PostgreSQL unreachable")])
        return {}
    app = bench_app("postgres")
    fake = FakeMastodon(ANSWER_SECONDS)
    with app.app_context():
        brand = Brand(slug="bench", name="Bench")
        db.session.add(brand)
        channels = [
            Channel(
                brand=brand,
                platform="mastodon",
                name=f"mastodon {n}",
                credentials_encrypted=encrypt_json(
                    {"base_url": fake.base_url, "access_token": f"token-{n}"}, app.config
                ),
            )
            for n in range(CHANNELS)
        ]
        db.session.add_all(channels)
        db.session.commit()
        channel_ids = [channel.id for channel in channels]

    figures: dict[str, float] = {}
    rows: list[tuple[str, str, str]] = []
    duplicates = 0
    rss = 0.0
    for workers, spread, label in RUNS:
        if only and label != only:
            continue
        lateness, rate, extra, unpublished, peak, cpu = publish_run(
            app, fake, channel_ids, workers, spread
        )
        duplicates += extra
        rss = max(rss, peak)
        p50, p99 = median(lateness), percentile(lateness, 99)
        name = f"{workers} worker{'s' if workers > 1 else ''}, {label}"
        target = "target p99 ≤ 2 s" if label == "minute" else "(all due at once)"
        rows.append((f"lateness p50 / p99 s, {name}", f"{p50:.2f} / {p99:.2f}", target))
        per_cpu = POSTS / max(cpu, 1e-9)
        if label == "burst":
            rows.append((f"posts per second, {name}", f"{rate:.0f}", ""))
        rows.append((f"posts per worker CPU-second, {name}", f"{per_cpu:.0f}", f"{cpu:.1f} CPU-s"))
        rows.append((f"not published, sent twice, {name}", f"{unpublished} / {extra}", "target 0"))
        rows.append((f"worker peak RSS MB, {name}", f"{peak:.0f}", "target ≤ 150 MB"))
        suffix = f"{workers}worker{'s' if workers > 1 else ''}"
        if label == "minute":
            figures[f"publish_lateness_p99_s_{suffix}"] = p99
        else:
            figures[f"publish_posts_per_s_{suffix}"] = rate
            figures[f"publish_posts_per_cpu_s_{suffix}"] = per_cpu
            figures[f"publish_burst_lateness_p99_s_{suffix}"] = p99
    fake.shutdown()
    app.extensions["pageone.db"].dispose()
    figures["publish_duplicates"] = duplicates
    figures["worker_rss_mb"] = rss
    table(rows)
    return figures


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
