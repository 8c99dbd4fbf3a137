"""Fixtures for review requests: a real SMTP server (aiosmtpd) and a brand that sends requests."""

from __future__ import annotations

import socket
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from core.db import db
from planner.reviews.requests.settings import update_request_settings


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []
        self.refuse = False

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        if self.refuse:
            return "451 Try again later"
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(app):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=controller.port,
        MAIL_FROM="reviews@acme.example",
        BASE_URL="https://pageone.example",
    )
    try:
        yield inbox
    finally:
        controller.stop()


def enable(brand, **changes):
    values = {
        "enabled": True,
        "language": "en",
        "delay_days": 0,
        "reminder_days": None,
        "daily_limit": 100,
        "review_links": "Google | https://g.page/r/acme/review",
        "templates": {},
        "track_opens": False,
        "match_days": 30,
        **changes,
    }
    settings = update_request_settings(db.session, brand, None, **values)
    db.session.commit()
    return settings


@pytest.fixture
def sending_brand(brand):
    enable(brand)
    return brand
