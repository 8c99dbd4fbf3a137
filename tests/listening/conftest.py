"""Listening fixtures: apps with listening's tables, a frozen "now", sources and mentions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask

import listening.models  # noqa: F401  (registers the listening tables before the schema is made)
from core.db import db
from listening import operations as ops
from listening.sources import FetchedItem
from tests.conftest import make_app, postgres_url

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@pytest.fixture
def app(tmp_path) -> Iterator[Flask]:
    app = make_app(f"sqlite:///{tmp_path / 'test.db'}", HTTP_TIMEOUT=3.0)
    with app.app_context():
        yield app
    app.extensions["pageone.db"].dispose()


@pytest.fixture
def pg_app() -> Iterator[Flask]:
    app = make_app(postgres_url(), HTTP_TIMEOUT=3.0)
    with app.app_context():
        yield app
    app.extensions["pageone.db"].dispose()


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def make_source(brand, user, **values):
    values.setdefault("kind", "rss")
    values.setdefault("url", "https://example.com/feed.xml")
    source = ops.create_source(db.session, brand, user, values, NOW)
    db.session.commit()
    return source


def item(n: int, **values) -> FetchedItem:
    fields = {
        "external_id": f"item-{n}",
        "url": f"https://news.example.com/{n}",
        "author": "someone",
        "title": "",
        "text": f"Mention number {n} of Acme Bakery",
        "language": "en",
        "published_at": NOW,
    }
    fields.update(values)
    return FetchedItem(**fields)


def add_mentions(brand, source, items, now=NOW):
    result = ops.ingest(db.session, brand, source, items, now)
    db.session.commit()
    return result
