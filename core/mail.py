"""Outgoing mail over SMTP, configured by SMTP_* settings; without SMTP_HOST nothing is sent."""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from core.ops.metrics import MAIL_FAILURES

logger = logging.getLogger("core.mail")

DEFAULT_TIMEOUT = 10.0


def build_message(
    sender: str,
    to: Sequence[str],
    subject: str,
    text: str,
    html: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    # After the content: setting the content clears Content-* headers.
    for name, value in (headers or {}).items():
        message[name] = value
    return message


def send_mail(
    config: Mapping[str, Any],
    to: str | Sequence[str],
    subject: str,
    text: str,
    html: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> bool:
    """Send one message to every address in ``to``; whether it was handed to a server.

    Without SMTP_HOST this logs a line and sends nothing, so a fresh install works without mail.
    SMTP errors propagate: the caller decides whether a failed mail matters. ``headers`` are
    added as given (List-Unsubscribe, for instance).
    """
    recipients = [to] if isinstance(to, str) else [address for address in to if address]
    if not recipients:
        return False
    host = config.get("SMTP_HOST")
    if not host:
        logger.info(
            "mail not sent (SMTP_HOST unset): %r to %d recipient(s)", subject, len(recipients)
        )
        return False
    message = build_message(
        config.get("MAIL_FROM") or "pageone@localhost", recipients, subject, text, html, headers
    )
    timeout = float(config.get("SMTP_TIMEOUT") or DEFAULT_TIMEOUT)
    try:
        with smtplib.SMTP(host, int(config.get("SMTP_PORT") or 25), timeout=timeout) as smtp:
            if config.get("SMTP_STARTTLS"):
                smtp.starttls(context=ssl.create_default_context())
            if config.get("SMTP_USERNAME"):
                smtp.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD") or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException):
        MAIL_FAILURES.inc()
        raise
    # Recipients are counted, not listed: the log is not a place for addresses either.
    logger.info("mail sent: %r to %d recipient(s) via %s", subject, len(recipients), host)
    return True
