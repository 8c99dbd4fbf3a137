"""Telling people when publishing needs them: a post failed, may or may not have been published,
or a channel must be connected again. Email to the brand's admins, and a JSON event to the
operator's webhook (NOTIFY_WEBHOOK_URL) when one is set."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import db, utcnow
from core.i18n import language, local_datetime
from core.mail import send_mail
from core.models import Role, User
from core.outbound import post_json
from core.tenants import BrandMember
from planner.models import Post, PostStatus
from planner.serialize import iso
from planner.status_names import status_name

logger = logging.getLogger("planner.notifications")

# Worker outcomes that need a person, by the event name sent out.
EVENTS = {
    "failed": "post.failed",
    "unconfirmed": "post.unconfirmed",
    "reauth": "channel.needs_reauth",
}

# Mails are written in the brand's language (core.i18n.language), hence lazy texts.
_SUBJECTS = {
    "post.failed": _l("%(brand)s: a post to %(channel)s failed"),
    "post.unconfirmed": _l(
        "%(brand)s: check %(channel)s — a post may or may not have been published"
    ),
    "channel.needs_reauth": _l("%(brand)s: connect %(channel)s again"),
}

_ADVICE = {
    "post.failed": _l(
        "The platform did not publish the post. Open it to see why, fix it and schedule it again."
    ),
    "post.unconfirmed": _l(
        "The request may have reached the platform. Check the platform before re-sending, then "
        "say on the post's page whether it was published."
    ),
    "channel.needs_reauth": _l(
        "The platform no longer accepts the channel's credentials. An admin must enter new ones "
        "on the channel's page; until then its posts fail."
    ),
}


@dataclass(frozen=True)
class Event:
    name: str
    post_id: int
    brand_id: int
    brand: str
    channel_id: int
    channel: str
    platform: str
    status: str
    reason: str | None
    scheduled_at: str | None
    post_url: str | None
    channel_url: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "event": self.name,
            "at": iso(utcnow()),
            "post": {
                "id": self.post_id,
                "status": self.status,
                "scheduled_at": self.scheduled_at,
                "reason": self.reason,
                "url": self.post_url,
            },
            "channel": {
                "id": self.channel_id,
                "name": self.channel,
                "platform": self.platform,
                "url": self.channel_url,
            },
            "brand": {"id": self.brand_id, "name": self.brand},
        }


def event_name(outcome: str, post_status: str) -> str | None:
    """The event a worker outcome raises, if any (a retry that gave up is a failure)."""
    if outcome == "reauth":
        return EVENTS["reauth"]
    if post_status == PostStatus.FAILED:
        return EVENTS["failed"]
    if post_status == PostStatus.UNCONFIRMED:
        return EVENTS["unconfirmed"]
    return None


def brand_admin_emails(session: Session, brand_id: int) -> list[str]:
    """Addresses of the brand's active members with the admin role."""
    return list(
        session.scalars(
            select(User.email)
            .join(BrandMember, BrandMember.user_id == User.id)
            .where(
                BrandMember.brand_id == brand_id,
                User.role == Role.ADMIN.value,
                User.active.is_(True),
            )
            .order_by(User.email)
        )
    )


def build_event(post: Post, name: str, base_url: str | None) -> Event:
    channel = post.channel
    return Event(
        name=name,
        post_id=post.id,
        brand_id=channel.brand_id,
        brand=channel.brand.name,
        channel_id=channel.id,
        channel=channel.name,
        platform=channel.platform,
        status=post.status,
        reason=post.last_error,
        scheduled_at=iso(post.scheduled_at),
        post_url=f"{base_url}/posts/{post.id}" if base_url else None,
        channel_url=f"{base_url}/channels/{channel.id}" if base_url else None,
    )


def mail_text(event: Event) -> str:
    """The mail's body, in the language spoken where it is called (the brand's, in notify)."""
    if event.scheduled_at:
        due = _("Post: %(id)s, due %(when)s", id=event.post_id, when=event.scheduled_at)
    else:
        due = _("Post: %(id)s, without a date", id=event.post_id)
    lines = [
        str(_ADVICE[event.name]),
        "",
        _("Brand: %(brand)s", brand=event.brand),
        _("Channel: %(channel)s (%(platform)s)", channel=event.channel, platform=event.platform),
        due,
        _("Status: %(status)s", status=status_name(event.status)),
    ]
    if event.reason:
        lines.append(_("Reason: %(reason)s", reason=event.reason))
    if event.name == "channel.needs_reauth" and event.channel_url:
        lines += ["", _("Channel: %(url)s", url=event.channel_url)]
    if event.post_url:
        lines += ["", _("Open the post: %(url)s", url=event.post_url)]
    return "\n".join(lines) + "\n"


def send_webhook(config: Mapping[str, Any], payload: dict[str, Any]) -> None:
    """POST the event to NOTIFY_WEBHOOK_URL through the outbound guard, never following
    redirects."""
    response = post_json(
        config["NOTIFY_WEBHOOK_URL"], payload, config, user_agent="PageOne/0.1 (notifications)"
    )
    if not 200 <= response.status_code < 300:
        logger.warning("notification webhook answered %s", response.status_code)


def notify(session: Session, config: Mapping[str, Any], post: Post, name: str) -> Event:
    """Send one event by mail and webhook; a failure of one does not stop the other."""
    event = build_event(post, name, config.get("BASE_URL"))
    try:
        recipients = brand_admin_emails(session, event.brand_id)
        if recipients:
            with language(post.channel.brand.language):
                subject = str(_SUBJECTS[name] % {"brand": event.brand, "channel": event.channel})
                body = mail_text(event)
            send_mail(config, recipients, subject, body)
    except Exception:  # noqa: BLE001 - a mail server's trouble must not hide the webhook
        logger.exception("mail about post %s (%s) could not be sent", post.id, name)
    if config.get("NOTIFY_WEBHOOK_URL"):
        try:
            send_webhook(config, event.as_json())
        except Exception:  # noqa: BLE001
            logger.exception("webhook about post %s (%s) could not be sent", post.id, name)
    return event


def notify_outcome(app: Flask, post_id: int, outcome: str) -> str | None:
    """After the worker recorded an outcome: tell people when it needs them. Returns the event
    sent, if any."""
    if outcome == "published":
        return None  # the common case costs no query
    with app.app_context():
        with db.job_session() as session:
            post = session.get(Post, post_id)
            name = event_name(outcome, post.status) if post is not None else None
            if post is None or name is None:
                return None
            notify(session, app.config, post, name)
            return name


# --- channel events: a connection that needs a person, without a post to show ----------------

CHANNEL_EVENTS = {
    "channel.needs_reauth": (
        _l("%(brand)s: connect %(channel)s again"),
        _l(
            "%(platform)s no longer accepts the channel's connection (%(reason)s). An admin must "
            "connect it again on the channel's page; until then its posts fail."
        ),
    ),
    "channel.expiring": (
        _l("%(brand)s: %(channel)s must be connected again by %(until)s"),
        _l(
            "%(platform)s ends this channel's connection on %(until)s and it cannot be renewed "
            "without a person. An admin should connect it again on the channel's page before "
            "then."
        ),
    ),
    "channel.expired": (
        _l("%(brand)s: %(channel)s is no longer connected"),
        _l(
            "%(platform)s ended this channel's connection on %(until)s. Its posts fail until an "
            "admin connects it again on the channel's page."
        ),
    ),
}


def notify_channel(
    session: Session,
    config: Mapping[str, Any],
    channel: Any,
    name: str,
    *,
    reason: str | None = None,
    until: Any = None,
) -> dict[str, Any]:
    """Tell the brand's admins (mail) and the operator's webhook about a channel's connection;
    a failure of one does not stop the other. Returns the webhook payload."""
    subject_text, advice = CHANNEL_EVENTS[name]
    base_url = config.get("BASE_URL")
    channel_url = f"{base_url}/channels/{channel.id}" if base_url else None
    payload = {
        "event": name,
        "at": iso(utcnow()),
        "channel": {
            "id": channel.id,
            "name": channel.name,
            "platform": channel.platform,
            "url": channel_url,
            "reason": reason,
            "connection_ends_at": iso(until) if until is not None else None,
        },
        "brand": {"id": channel.brand_id, "name": channel.brand.name},
    }
    try:
        recipients = brand_admin_emails(session, channel.brand_id)
        if recipients:
            with language(channel.brand.language):
                words = {
                    "brand": channel.brand.name,
                    "channel": channel.name,
                    "platform": channel.platform_enum.label,
                    "reason": reason or _("it was refused"),
                    "until": _("%(when)s UTC", when=local_datetime(until, None, "yMMMMd"))
                    if until is not None
                    else _("now"),
                }
                lines = [
                    str(advice % words),
                    "",
                    _("Channel: %(channel)s (%(platform)s)", **words),
                ]
                if channel_url:
                    lines.append(_("Open it: %(url)s", url=channel_url))
                subject = str(subject_text % words)
            send_mail(config, recipients, subject, "\n".join(lines) + "\n")
    except Exception:  # noqa: BLE001 - a mail server's trouble must not hide the webhook
        logger.exception("mail about channel %s (%s) could not be sent", channel.id, name)
    if config.get("NOTIFY_WEBHOOK_URL"):
        try:
            send_webhook(config, payload)
        except Exception:  # noqa: BLE001
            logger.exception("webhook about channel %s (%s) could not be sent", channel.id, name)
    return payload
