"""Mail over SMTP to a real local server; without SMTP_HOST nothing is sent."""

from __future__ import annotations

import logging
import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from core.mail import send_mail


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append(envelope)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def accept_pageone(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.password == b"mail-secret"
    return AuthResult(success=ok)


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=accept_pageone,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


def test_mail_is_delivered_with_text_and_html(smtp):
    controller, inbox = smtp
    config = {
        "SMTP_HOST": controller.hostname,
        "SMTP_PORT": controller.port,
        "MAIL_FROM": "po@x.example",
    }

    assert send_mail(config, ["a@x.example", "b@x.example"], "Hello", "Plain body", "<p>Rich</p>")

    (envelope,) = inbox.messages
    assert envelope.mail_from == "po@x.example"
    assert envelope.rcpt_tos == ["a@x.example", "b@x.example"]
    content = envelope.content.decode()
    assert "Subject: Hello" in content and "Plain body" in content and "<p>Rich</p>" in content


def test_mail_logs_in_when_a_user_is_configured(smtp):
    controller, inbox = smtp
    config = {
        "SMTP_HOST": controller.hostname,
        "SMTP_PORT": controller.port,
        "SMTP_USERNAME": "pageone",
        "SMTP_PASSWORD": "mail-secret",
    }
    assert send_mail(config, "a@x.example", "Logged in", "Body")
    assert len(inbox.messages) == 1


def test_without_smtp_host_nothing_is_sent_and_a_line_is_logged(caplog):
    with caplog.at_level(logging.INFO, logger="core.mail"):
        assert send_mail({"SMTP_HOST": None}, "a@x.example", "Hello", "Body") is False
    assert "SMTP_HOST unset" in caplog.text


def test_unreachable_server_raises_for_the_caller_to_decide():
    config = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": free_port(), "SMTP_TIMEOUT": 2}
    with pytest.raises(OSError):
        send_mail(config, "a@x.example", "Hello", "Body")
