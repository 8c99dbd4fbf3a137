"""A weekly run of 1,000 tracked queries against a rate-limited fake provider on loopback.

The fake (a SearXNG-style JSON endpoint, in a process of its own) answers each request after
300 ms and allows 10 requests in any one-second window, answering 429 with Retry-After beyond
that and counting those refusals. At 10 requests a second, 1,000 single-page queries cannot take
less than 100 s: the figure is the run's total time over that floor, through the worker's own
job (claim → fetch on the thread pool → store every result row).
"""

from __future__ import annotations

import json
import multiprocessing
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.queues import Queue
from multiprocessing.sharedctypes import Synchronized
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import func, insert, select

import serp.models  # noqa: F401  (registers the serp tables before the schema is created)
from bench.common import bench_app, table
from core.db import db, utcnow
from planner.brands import create_brand
from serp.jobs import due_checks_job
from serp.models import SerpCheck, SerpResultRow, TrackedQuery

QUERIES = 1000
LATENCY = 0.3
ALLOWED_PER_SECOND = 10
FLOOR_SECONDS = QUERIES / ALLOWED_PER_SECOND


class FakeProvider(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, served: Synchronized, refused: Synchronized) -> None:
        super().__init__(("127.0.0.1", 0), FakeHandler)
        self.lock = threading.Lock()
        self.arrivals: deque[float] = deque()
        self.served = served
        self.refused = refused

    def admit(self) -> bool:
        """Whether a request arriving now stays within 10 in the last second."""
        now = time.monotonic()
        with self.lock:
            while self.arrivals and now - self.arrivals[0] >= 1.0:
                self.arrivals.popleft()
            if len(self.arrivals) >= ALLOWED_PER_SECOND:
                self.refused.value += 1
                return False
            self.arrivals.append(now)
            self.served.value += 1
            return True


def serve(port: Queue, served: Synchronized, refused: Synchronized) -> None:
    """The fake provider in a process of its own, as a real one would be: the app's threads
    (fetching, writing to the database) do not delay its clock."""
    server = FakeProvider(served, refused)
    port.put(server.server_address[1])
    server.serve_forever()


class FakeHandler(BaseHTTPRequestHandler):
    server: FakeProvider

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        if not self.server.admit():
            self._send(429, b'{"error": "too many requests"}', {"Retry-After": "1"})
            return
        time.sleep(LATENCY)
        query = parse_qs(urlsplit(self.path).query).get("q", [""])[0]
        results = [
            {
                "url": f"https://site{i}.example.com/{query.replace(' ', '-')}",
                "title": f"{query} {i}",
                "content": "snippet",
            }
            for i in range(10)
        ]
        self._send(200, json.dumps({"results": results}).encode(), {})

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


def main() -> dict[str, float]:
    served, refused = multiprocessing.Value("i", 0), multiprocessing.Value("i", 0)
    port: Queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(port, served, refused), daemon=True)
    server.start()
    base = f"http://127.0.0.1:{port.get(timeout=30)}"
    app = bench_app("sqlite")
    app.config.update(
        OUTBOUND_ALLOW_PRIVATE=True,
        SERP_PROVIDER_URLS={"searxng": base},
        SERP_PROVIDER_LIMITS={
            "searxng": {"rate": ALLOWED_PER_SECOND, "burst": 1, "concurrency": 8}
        },
        SERP_CHECK_THREADS=8,
    )
    try:
        with app.app_context():
            brand = create_brand(db.session, name="Weekly", timezone="UTC", creator=None)
            now = utcnow()
            db.session.execute(
                insert(TrackedQuery),
                [
                    {"brand_id": brand.id, "text": f"acme query {n}", "provider": "searxng",
                     "engine": "google", "depth": 10, "next_check_at": now, "tags": [],
                     "created_at": now, "updated_at": now}
                    for n in range(QUERIES)
                ],
            )  # fmt: skip
            db.session.commit()
        started = time.perf_counter()
        counts = due_checks_job(app, "bench")
        total = time.perf_counter() - started
        with app.app_context():
            ok = db.session.scalar(
                select(func.count()).select_from(SerpCheck).where(SerpCheck.status == "ok")
            )
            rows = db.session.scalar(select(func.count()).select_from(SerpResultRow))
    finally:
        server.terminate()
        server.join()
    ratio = total / FLOOR_SECONDS
    table(
        [
            ("queries checked", f"{counts.get('claimed', 0)}", ""),
            ("checks stored ok", f"{ok}", f"{QUERIES}"),
            ("result rows stored", f"{rows}", f"{QUERIES * 10}"),
            ("requests served", f"{served.value}", ""),
            ("429 refusals", f"{refused.value}", "0"),
            ("total time", f"{total:.1f} s", f"floor {FLOOR_SECONDS:.0f} s"),
            ("ratio to floor", f"{ratio:.3f}", "≤ 1.10"),
        ]
    )
    return {"serp_weekly_1000_ratio_to_floor": ratio}


if __name__ == "__main__":
    main()
