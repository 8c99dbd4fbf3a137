"""Listening fixtures: apps with listening's tables, a frozen "now", sources and mentions."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
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


class MailBox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append(message_from_bytes(envelope.content, policy=default_policy))
        return "250 OK"

    def to(self, address: str) -> list[Any]:
        return [m for m in self.messages if address in m["To"]]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(app: Flask) -> Iterator[MailBox]:
    """A real SMTP server on a loopback port, and the app configured to send to it."""
    box = MailBox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, MAIL_FROM="pageone@example.com")
    try:
        yield box
    finally:
        controller.stop()
