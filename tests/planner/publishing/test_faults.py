"""Faults on PostgreSQL: worker processes racing, killed mid-batch and cut off from the database
(backends terminated, or the whole server out of reach behind a proxy of the test's own), checked
against what a fake Mastodon on loopback received."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import wait
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from werkzeug import Response

from app import create_app
from core.crypto import encrypt_json
from core.db import db, utcnow
from core.models import AuditEntry
from core.tenants import Brand
from planner.models import Channel, Post, PostStatus
from planner.publishing.adapters import Outcome
from planner.publishing.queue import claim_due_posts, recover_expired_leases
from planner.publishing.worker import Publisher, publish_one

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[3]
FLASK = str(Path(sys.executable).with_name("flask"))
# The test's own connections carry this name so that cutting the workers' connections spares them.
TEST_CONNECTION = "pageone-fault-test"
FINAL = {PostStatus.PUBLISHED.value, PostStatus.UNCONFIRMED.value, PostStatus.FAILED.value}


class FakeMastodon(ThreadingHTTPServer):
    """A threaded Mastodon on loopback: creates one status per Idempotency-Key, as Mastodon does
    for an hour, and records every send, including those whose sender died before the answer."""

    daemon_threads = True
    request_queue_size = 256

    def __init__(self, delay: float = 0.0) -> None:
        super().__init__(("127.0.0.1", 0), _MastodonHandler)
        self.delay = delay
        self.lock = threading.Lock()
        self.sends: Counter[str] = Counter()  # POSTs per Idempotency-Key
        self.statuses: dict[str, dict] = {}  # Idempotency-Key -> the status created first
        self.in_flight = 0
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def post_status(self, key: str, status: str) -> dict:
        with self.lock:
            self.sends[key] += 1
            if key not in self.statuses:
                number = len(self.statuses) + 1
                self.statuses[key] = {
                    "id": str(number),
                    "url": f"https://social.example/@acme/{number}",
                    "content": status,
                }
            return self.statuses[key]

    def statuses_per_text(self) -> Counter[str]:
        with self.lock:
            return Counter(status["content"] for status in self.statuses.values())


class _MastodonHandler(BaseHTTPRequestHandler):
    server: FakeMastodon

    def do_GET(self) -> None:
        if self.path == "/api/v2/instance":
            self._answer(200, {"configuration": {"statuses": {"max_characters": 500}}})
        else:
            self._answer(404, {"error": "Record not found"})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        key = self.headers.get("Idempotency-Key")
        if self.path != "/api/v1/statuses" or not key:
            self._answer(422, {"error": "unexpected request"})
            return
        with self.server.lock:
            self.server.in_flight += 1
        try:
            # The status exists as soon as the request arrives; the answer comes after the delay.
            status = self.server.post_status(key, body["status"])
            time.sleep(self.server.delay)
            self._answer(200, status)
        finally:
            with self.server.lock:
                self.server.in_flight -= 1

    def _answer(self, code: int, body: dict) -> None:
        data = json.dumps(body).encode()
        try:
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass  # the worker died waiting: the status was created all the same

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def fake_mastodon() -> Iterator[callable]:
    servers: list[FakeMastodon] = []

    def start(delay: float = 0.0) -> FakeMastodon:
        server = FakeMastodon(delay)
        server.thread.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def watcher(pg_app) -> Iterator[Engine]:
    """An engine of the test's own, whose connections are never cut."""
    engine = create_engine(
        pg_app.config["DATABASE_URL"],
        pool_pre_ping=True,
        connect_args={"application_name": TEST_CONNECTION},
    )
    yield engine
    engine.dispose()


class Workers:
    """`flask planner worker` processes on the test database, their output kept in files."""

    def __init__(
        self,
        app,
        folder: Path,
        lease_seconds: float | None = None,
        database_url: str | None = None,
    ) -> None:
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url or app.config["DATABASE_URL"],
            "SECRET_KEY": app.config["SECRET_KEY"],
            "OUTBOUND_ALLOW_PRIVATE": "1",
            "HTTP_TIMEOUT": "5",
        }
        # PUBLISH_LEASE_SECONDS is read from the app config, which the environment does not
        # reach; Flask's --app passes literal arguments to the factory.
        self.app_spec = (
            f"app:create_app({{'PUBLISH_LEASE_SECONDS': {lease_seconds}}})"
            if lease_seconds
            else "app"
        )
        self.folder = folder
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, name: str) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            [FLASK, "--app", self.app_spec, "planner", "worker", "--worker-id", name],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.processes[name] = process
        return process

    def output(self) -> str:
        return "\n".join(
            f"--- {name} ---\n{(self.folder / f'{name}.log').read_text()[-3000:]}"
            for name in self.processes
        )

    def stop_all(self) -> dict[str, int | None]:
        """SIGTERM every running worker; the exit codes (a hung worker is killed and gets None)."""
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        codes: dict[str, int | None] = {}
        for name, process in self.processes.items():
            try:
                codes[name] = process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                codes[name] = None
        return codes


@pytest.fixture
def workers(pg_app, tmp_path) -> Iterator[callable]:
    made: list[Workers] = []

    def make(lease_seconds: float | None = None, database_url: str | None = None) -> Workers:
        group = Workers(pg_app, tmp_path, lease_seconds, database_url)
        made.append(group)
        return group

    yield make
    for group in made:
        group.stop_all()


def mastodon_posts(app, fake: FakeMastodon, count: int, channels: int = 5) -> list[int]:
    """``count`` posts due now, spread over ``channels`` Mastodon channels of one brand."""
    brand = Brand(slug="acme", name="Acme")
    db.session.add(brand)
    made = [
        Channel(
            brand=brand,
            platform="mastodon",
            name=f"mastodon {n}",
            # A re-send after a dead worker waits out Mastodon's request time limit (60 s by
            # default); the fake answers at once, so 1 s is enough.
            credentials_encrypted=encrypt_json(
                {"base_url": fake.base_url, "access_token": f"tok{n}", "request_time_limit": "1"},
                app.config,
            ),
        )
        for n in range(channels)
    ]
    due = datetime.now(UTC) - timedelta(seconds=5)
    posts = [
        Post(
            channel=made[n % channels],
            text=f"Fresh bread #{n}",
            scheduled_at=due,
            status="scheduled",
        )
        for n in range(count)
    ]
    db.session.add_all(posts)
    db.session.commit()
    return [post.id for post in posts]


def statuses(engine: Engine) -> dict[int, tuple[str, str | None, str]]:
    """Each post's status, platform id and text, read through the test's own connection."""
    with engine.connect() as connection:
        rows = connection.execute(select(Post.id, Post.status, Post.platform_post_id, Post.text))
        return {post_id: (status, platform_id, body) for post_id, status, platform_id, body in rows}


def wait_until_settled(engine: Engine, seconds: float) -> dict[int, tuple[str, str | None, str]]:
    """Poll until every post reached a final status or the time is up; the last reading."""
    deadline = time.monotonic() + seconds
    while True:
        now = statuses(engine)
        if all(status in FINAL for status, _, _ in now.values()) or time.monotonic() > deadline:
            return now
        time.sleep(0.25)


def audit_counts(engine: Engine, action: str) -> Counter[int]:
    with engine.connect() as connection:
        return Counter(
            connection.scalars(
                select(AuditEntry.object_id).where(
                    AuditEntry.object_type == "post", AuditEntry.action == action
                )
            )
        )


def publishing_actors(engine: Engine) -> Counter[str]:
    with engine.connect() as connection:
        return Counter(
            dict(
                connection.execute(
                    select(AuditEntry.actor, func.count())
                    .where(AuditEntry.action == "post.published")
                    .group_by(AuditEntry.actor)
                ).all()
            )
        )


def key(post_id: int) -> str:
    return f"pageone-{post_id}-v1"


def assert_matches_the_platform(posts: dict, fake: FakeMastodon) -> None:
    """Every published post points at the one status the platform holds for it."""
    for post_id, (status, platform_id, _) in posts.items():
        if status == PostStatus.PUBLISHED.value:
            assert platform_id == fake.statuses[key(post_id)]["id"], post_id
    per_text = fake.statuses_per_text()
    assert not [body for body, count in per_text.items() if count > 1], "a post appeared twice"


def test_a_round_keeps_claiming_as_sends_finish_instead_of_one_pool_full_a_second(
    pg_app, fake_mastodon, monkeypatch
):
    # A tick of 5 s instead of 1 s: the claim is about claiming again as sends finish, and a
    # busy machine must not make two sends outlast the tick.
    monkeypatch.setattr("planner.publishing.worker.TICK_SECONDS", 5.0)
    fake = fake_mastodon()
    mastodon_posts(pg_app, fake, 12, channels=1)
    worker = Publisher(pg_app, "w1", threads=2)
    try:
        sent = worker.tick()
        wait(sent)
    finally:
        worker.shutdown()

    assert len(sent) > worker.threads
    assert sum(fake.sends.values()) == len(sent)


def test_two_worker_processes_share_500_due_posts_without_sending_any_twice(
    pg_app, fake_mastodon, workers, watcher
):
    fake = fake_mastodon()
    post_ids = mastodon_posts(pg_app, fake, 500)
    group = workers()

    group.start("proc0")
    group.start("proc1")
    posts = wait_until_settled(watcher, 45)
    codes = group.stop_all()

    assert codes == {"proc0": 0, "proc1": 0}, group.output()
    assert Counter(status for status, _, _ in posts.values()) == {"published": 500}, group.output()
    # Each post reached the platform once: not re-sent and left to the Idempotency-Key.
    assert fake.sends == Counter({key(post_id): 1 for post_id in post_ids})
    assert_matches_the_platform(posts, fake)
    assert audit_counts(watcher, "post.publish_attempt") == Counter(dict.fromkeys(post_ids, 1))
    assert audit_counts(watcher, "post.published") == Counter(dict.fromkeys(post_ids, 1))
    actors = publishing_actors(watcher)
    assert set(actors) == {"worker:proc0", "worker:proc1"}, "both workers took a share"


def test_worker_killed_mid_batch_leaves_no_post_lost_or_duplicated_after_restart(
    pg_app, fake_mastodon, workers, watcher
):
    fake = fake_mastodon(delay=0.3)
    post_ids = mastodon_posts(pg_app, fake, 120)
    group = workers(lease_seconds=2)

    doomed = group.start("doomed")
    deadline = time.monotonic() + 20
    while not (sum(fake.sends.values()) >= 20 and fake.in_flight >= 3):
        assert time.monotonic() < deadline, group.output()
        time.sleep(0.01)
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(5)
    sent_before_restart = sum(fake.sends.values())
    group.start("restarted")
    posts = wait_until_settled(watcher, 30)
    group.stop_all()

    assert sent_before_restart < len(post_ids), "the kill landed mid-batch"
    assert {status for status, _, _ in posts.values()} <= {"published", "unconfirmed"}, (
        Counter(status for status, _, _ in posts.values()),
        group.output(),
    )
    # Mastodon de-duplicates a re-send with the same Idempotency-Key, so nothing needs a person.
    assert Counter(status for status, _, _ in posts.values()) == {"published": 120}
    assert set(fake.statuses) == {key(post_id) for post_id in post_ids}
    assert_matches_the_platform(posts, fake)
    # The posts the dead worker had claimed were taken back after its lease and sent (again):
    # those it never heard back from reached the platform twice and still made one status.
    recovered = set(audit_counts(watcher, "post.lease_expired"))
    assert recovered, group.output()
    assert {fake.sends[key(post_id)] for post_id in recovered} <= {1, 2}
    assert any(fake.sends[key(post_id)] == 2 for post_id in recovered)
    assert all(fake.sends[key(post_id)] == 1 for post_id in set(post_ids) - recovered)


def cut_connections(engine: Engine, stop: threading.Event, cuts: list[int]) -> None:
    """Terminate every other connection to the test database, every 300 ms until told to stop."""
    while not stop.wait(0.3):
        try:
            with engine.connect() as connection:
                terminated = connection.scalars(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                        " AND application_name <> :ours"
                    ),
                    {"ours": TEST_CONNECTION},
                ).all()
                connection.commit()
            cuts.append(sum(terminated))
        except OperationalError:
            continue


def test_worker_carries_on_when_its_database_connections_are_cut(
    pg_app, fake_mastodon, workers, watcher
):
    fake = fake_mastodon(delay=0.05)
    post_ids = mastodon_posts(pg_app, fake, 300)
    group = workers(lease_seconds=3)
    stop, cuts = threading.Event(), []
    cutter = threading.Thread(target=cut_connections, args=(watcher, stop, cuts))

    group.start("proc0")
    cutter.start()
    try:
        posts = wait_until_settled(watcher, 40)
    finally:
        stop.set()
        cutter.join(5)
    codes = group.stop_all()

    assert sum(cuts) > 0, "connections were cut while the worker ran"
    assert codes == {"proc0": 0}, group.output()
    assert Counter(status for status, _, _ in posts.values()) == {"published": 300}, (
        Counter(status for status, _, _ in posts.values()),
        group.output(),
    )
    assert set(fake.statuses) == {key(post_id) for post_id in post_ids}
    assert_matches_the_platform(posts, fake)
    assert fake.sends == Counter({key(post_id): 1 for post_id in post_ids}), "none sent twice"


@pytest.mark.parametrize("beside", [False, True], ids=["alone", "beside-another-worker"])
def test_send_that_outlasts_its_lease_is_kept_by_its_worker_and_not_sent_again(
    pg_app, fake_mastodon, watcher, beside
):
    # The platform answers after 2.5 s; the claim lasts 1 s. The worker's ticks go on meanwhile,
    # as they do in `flask planner worker`, and so do another worker's.
    fake = fake_mastodon(delay=2.5)
    (post_id,) = mastodon_posts(pg_app, fake, 1, channels=1)
    pg_app.config["PUBLISH_LEASE_SECONDS"] = 1
    sender = Publisher(pg_app, "sender", threads=2)
    others = [Publisher(pg_app, "other", threads=2)] if beside else []
    try:
        (sent,) = sender.tick()
        deadline = time.monotonic() + 10
        while not sent.done():
            assert time.monotonic() < deadline
            time.sleep(0.3)
            for worker in (sender, *others):
                worker.tick()
        outcome = sent.result()
    finally:
        for worker in (sender, *others):
            worker.shutdown()

    assert outcome is Outcome.PUBLISHED
    assert fake.sends == Counter({key(post_id): 1})
    assert statuses(watcher)[post_id][:2] == ("published", fake.statuses[key(post_id)]["id"])
    assert audit_counts(watcher, "post.lease_expired") == Counter()
    assert audit_counts(watcher, "post.claimed") == Counter({post_id: 1})


class DatabaseProxy:
    """A TCP proxy on a loopback port in front of PostgreSQL: ``cut()`` closes every connection
    through it and refuses new ones (as a database that went down), ``restore()`` listens on the
    same port again. The real server is never touched."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.lock = threading.Lock()
        self.sockets: set[socket.socket] = set()
        self.listener: socket.socket | None = None
        self.port = 0
        self.connections = 0
        self.cut_connections = 0
        self.restore()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self.port = listener.getsockname()[1]
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        with self.lock:
            listener, self.listener = self.listener, None
            doomed, self.sockets = self.sockets, set()
        if listener is not None:
            listener.close()
        self.cut_connections += len(doomed) // 2
        for sock in doomed:
            _close(sock)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                _close(client)
                continue
            with self.lock:
                if self.listener is not listener:
                    _close(client)
                    _close(server)
                    return
                self.sockets |= {client, server}
                self.connections += 1
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with self.lock:
                self.sockets -= {source, sink}
            _close(source)
            _close(sink)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


@pytest.fixture
def database_proxy(pg_app) -> Iterator[tuple[DatabaseProxy, str]]:
    """The proxy and a database URL that goes through it."""
    url = make_url(pg_app.config["DATABASE_URL"])
    proxy = DatabaseProxy(url.host or "127.0.0.1", url.port or 5432)
    yield proxy, url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    proxy.cut()


def test_database_out_of_reach_mid_batch_loses_no_outcome_and_sends_nothing_twice(
    pg_app, fake_mastodon, workers, watcher, database_proxy
):
    # PostgreSQL "goes down" for 10 s while a worker is half-way through 240 posts: every
    # connection through the proxy is closed and new ones are refused, then it comes back.
    proxy, proxied_url = database_proxy
    fake = fake_mastodon(delay=0.3)
    post_ids = mastodon_posts(pg_app, fake, 240)
    group = workers(lease_seconds=20, database_url=proxied_url)

    group.start("proc0")
    deadline = time.monotonic() + 30
    while not (sum(fake.sends.values()) >= 60 and fake.in_flight >= 4):
        assert time.monotonic() < deadline, group.output()
        time.sleep(0.01)
    proxy.cut()
    sent_at_cut, in_flight_at_cut = sum(fake.sends.values()), fake.in_flight
    time.sleep(10)
    proxy.restore()
    posts = wait_until_settled(watcher, 60)
    codes = group.stop_all()

    final = Counter(status for status, _, _ in posts.values())
    retried_writes = (group.folder / "proc0.log").read_text().count("database out of reach")
    print(
        f"\nDATABASE OUTAGE: {len(post_ids)} posts, {sent_at_cut} sent before the cut, "
        f"{in_flight_at_cut} awaiting the platform's answer, "
        f"{proxy.cut_connections} connections cut, "
        f"{retried_writes} database steps tried again, final statuses {dict(final)}"
    )
    assert proxy.cut_connections > 0 and sent_at_cut < len(post_ids), "the cut landed mid-batch"
    assert codes == {"proc0": 0}, group.output()
    # Every outcome the worker knew was written once the database was back: nothing unconfirmed,
    # nothing stuck, and no post taken back after its lease and sent again.
    assert final == {"published": len(post_ids)}, (final, group.output())
    assert fake.sends == Counter({key(post_id): 1 for post_id in post_ids}), "none sent twice"
    assert_matches_the_platform(posts, fake)
    assert audit_counts(watcher, "post.lease_expired") == Counter()
    assert audit_counts(watcher, "post.published") == Counter(dict.fromkeys(post_ids, 1))
    log = (group.folder / "proc0.log").read_text()
    assert "database out of reach" in log, "the worker met the outage and tried again"


def test_post_whose_database_stayed_out_of_reach_before_sending_goes_back_to_the_queue(
    pg_app, watcher, database_proxy, httpserver
):
    # A webhook channel: a re-send is not safe there once a request may have landed, so a post
    # wrongly taken for "may have landed" would end unconfirmed. This one never went out.
    proxy, proxied_url = database_proxy
    received: list[str] = []
    httpserver.expect_request("/hook", method="POST").respond_with_handler(
        lambda request: received.append(request.headers["webhook-id"]) or Response("", 204)
    )
    brand = Brand(slug="acme", name="Acme")
    channel = Channel(
        brand=brand,
        platform="webhook",
        name="hook",
        credentials_encrypted=encrypt_json(
            {"url": httpserver.url_for("/hook"), "secret": "whsec_" + "a" * 32}, pg_app.config
        ),
    )
    post = Post(
        channel=channel,
        text="Fresh bread",
        scheduled_at=datetime.now(UTC) - timedelta(seconds=5),
        status="scheduled",
    )
    db.session.add_all([brand, channel, post])
    db.session.commit()
    # The worker's app reaches the database through the proxy only; its claim lasts 2 s.
    cut_off = create_app(
        {
            "SECRET_KEY": pg_app.config["SECRET_KEY"],
            "DATABASE_URL": proxied_url,
            "OUTBOUND_ALLOW_PRIVATE": True,
            "PUBLISH_LEASE_SECONDS": 2,
        }
    )
    with db.job_session() as session:
        assert claim_due_posts(session, "w1", utcnow(), 10, timedelta(seconds=2)) == [post.id]

    proxy.cut()  # the database goes down between the claim and the send
    started = time.monotonic()
    with pytest.raises(OperationalError):
        publish_one(cut_off, post.id, "w1")
    waited = time.monotonic() - started
    proxy.restore()

    assert received == [], "nothing was sent while the post could not be read"
    assert 1.5 <= waited <= 5, "the worker kept trying until the claim would run out"
    with db.job_session() as session:
        assert recover_expired_leases(session, utcnow(), "w2", pg_app.config) == 1
    row = statuses(watcher)[post.id]
    assert row[0] == "scheduled", "back in the queue, not unconfirmed: it never went out"
    worker = Publisher(cut_off, "w2", threads=2)
    try:
        wait(worker.tick())
    finally:
        worker.shutdown()
    cut_off.extensions["pageone.db"].dispose()
    assert statuses(watcher)[post.id][0] == "published"
    assert received == [f"pageone-{post.id}-v1"]
