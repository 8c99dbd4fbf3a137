import pytest

from planner.publishing.adapters import bluesky


@pytest.fixture
def fake(make_httpserver):
    """pytest-httpserver's server, failing the test when a request matched no expectation."""
    server = make_httpserver
    server.clear()
    bluesky.forget_sessions()
    yield server
    server.check_assertions()
    bluesky.forget_sessions()


from tests.planner.connections.conftest import admin_client, fake_x  # noqa: E402, F401
