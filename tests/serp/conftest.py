"""Search-tracking fixtures: apps with fast retries and limits, tracked queries, small pages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug import Request, Response

import serp.models  # noqa: F401  (registers the serp tables before the schema is created)
from core.db import db, utcnow
from serp import operations as ops
from tests.conftest import make_app, postgres_url

FIXTURES = Path(__file__).parent / "fixtures"

# Retries in milliseconds and limits the fakes never hit, so the suite stays fast.
FAST = {
    "SERP_RETRY_BASE_SECONDS": 0.01,
    "SERP_MAX_RETRY_WAIT": 2.0,
    "SERP_HTTP_TIMEOUT": 2.0,
    "SERP_PROVIDER_LIMITS": {
        name: {"rate": 1000.0, "burst": 1000, "concurrency": 8}
        for name in ("html", "serpapi", "serper", "searxng", "brave_api")
    },
}


@pytest.fixture
def app(tmp_path) -> Iterator[Flask]:
    app = make_app(f"sqlite:///{tmp_path / 'test.db'}", **FAST)
    with app.app_context():
        yield app
    app.extensions["pageone.db"].dispose()


@pytest.fixture
def pg_app() -> Iterator[Flask]:
    app = make_app(postgres_url(), **FAST)
    with app.app_context():
        yield app
    app.extensions["pageone.db"].dispose()


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def make_query(app: Flask, brand, user=None, **values):
    """A tracked query of the brand, committed."""
    values.setdefault("text", "acme bakery")
    query = ops.create_query(db.session, brand, user, values, config=app.config, now=utcnow())
    db.session.commit()
    return query


def bing_page(start: int, count: int = 10) -> str:
    """A minimal Bing result page with results site<start>… site<start+count-1>."""
    items = "".join(
        f'<li class="b_algo"><h2><a href="https://site{i}.example.com/page">Result {i}</a></h2>'
        f"<p>Snippet {i}</p></li>"
        for i in range(start, start + count)
    )
    head = "<html><head><title>q - Search</title></head>"
    return f'{head}<body><ol id="b_results">{items}</ol></body></html>'


@pytest.fixture
def engine_server(app, httpserver):
    """A fake Bing at loopback: answers pages from `state["page"]` (a callable of start)."""
    state = {"page": lambda start: bing_page(start), "status": 200}

    def answer(request: Request) -> Response:
        start = int(request.args.get("first", "1")) - 1
        return Response(
            state["page"](start), status=state["status"], content_type="text/html; charset=utf-8"
        )

    httpserver.expect_request("/search").respond_with_handler(answer)
    app.config["SERP_ENGINE_URLS"] = {"bing": httpserver.url_for("/search")}
    return state
