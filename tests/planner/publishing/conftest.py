import socket
import threading

import pytest
from werkzeug import Request, Response

from planner.publishing.adapters import bluesky, mastodon

TIMEOUT = 0.5  # seconds; the fakes that stall answer only after the adapter has given up


@pytest.fixture(autouse=True)
def fresh_caches():
    """Each test starts without cached Bluesky sessions or Mastodon limits."""
    bluesky.forget_sessions()
    mastodon.forget_instance_limits()
    yield
    bluesky.forget_sessions()
    mastodon.forget_instance_limits()


@pytest.fixture
def fake(make_httpserver):
    """pytest-httpserver's server, failing the test when a request matched no expectation
    (the fake answers such requests with a 500, which some adapters would retry)."""
    server = make_httpserver
    server.clear()
    yield server
    server.check_assertions()


@pytest.fixture
def stall():
    """A handler that answers only after the test ends, so the adapter's read timeout fires.

    The single-threaded fake is released at teardown so it never delays the next test.
    """
    release = threading.Event()

    def handler(req: Request) -> Response:
        release.wait(10)
        return Response("too late", status=200)

    yield handler
    release.set()


@pytest.fixture
def refused_url():
    """An http URL on a loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def hangup_url():
    """A server that reads the request and closes the connection without answering."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    stop = threading.Event()

    def serve():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                conn.recv(65536)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    stop.set()
    thread.join(2)
    server.close()


@pytest.fixture(scope="session")
def mastodon_server():
    """A real mastodon-mock server (FastAPI + SQLite in memory) on a loopback port."""
    from mastodon_mock.testing.server import MockServer

    with MockServer() as server:
        yield server
