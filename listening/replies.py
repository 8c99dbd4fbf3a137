"""Replies to mentions: recorded by hand, or sent from the brand's channel on Mastodon and
Bluesky through the planner's adapters, threaded under the mention.

Operations take explicit arguments (the session, the acting user, ``now``) and only flush; the
caller commits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from core import audit
from core.crypto import CredentialsUnreadable, decrypt_json
from core.models import User
from listening.models import Mention, MentionReply, MentionState, SavedReply
from listening.operations import REPLY_PLATFORMS, ListeningError, UnchangedSavedReply
from planner.publishing.adapters.channels import ConnectedChannel, connected_channel


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def _check_saved(
    session: Session,
    mention: Mention,
    text: str,
    saved_reply_id: int | None,
    confirm_unchanged: bool,
) -> tuple[int | None, bool]:
    if saved_reply_id is None:
        return None, False
    saved = session.get(SavedReply, saved_reply_id)
    if saved is None or saved.brand_id != mention.brand_id:
        return None, False
    unchanged = _same_text(saved.text, text)
    if unchanged and not confirm_unchanged:
        raise UnchangedSavedReply(
            f"This is the saved reply “{saved.title}” word for word. A saved reply is a starting "
            "point: answer what this person said, or confirm to send it as it is."
        )
    return saved.id, unchanged


def record_reply(
    session: Session,
    mention: Mention,
    actor: User,
    text: str,
    via: str,
    now: datetime,
    *,
    platform_id: str | None = None,
    url: str | None = None,
    saved_reply_id: int | None = None,
    unchanged: bool = False,
) -> MentionReply:
    reply = MentionReply(
        mention_id=mention.id,
        author_id=actor.id,
        text=text,
        via=via,
        platform_id=platform_id,
        url=url,
        saved_reply_id=saved_reply_id,
        unchanged_from_saved=unchanged,
        created_at=now,
    )
    session.add(reply)
    if mention.first_reply_at is None:
        mention.first_reply_at = now
    mention.state = MentionState.REPLIED.value
    session.flush()
    audit.record(
        session,
        actor,
        "mention.replied",
        "mention",
        mention.id,
        brand_id=mention.brand_id,
        via=via,
        unchanged_from_saved=unchanged,
    )
    return reply


def mark_replied(
    session: Session,
    mention: Mention,
    actor: User,
    text: str,
    now: datetime,
    *,
    saved_reply_id: int | None = None,
    confirm_unchanged: bool = False,
) -> MentionReply:
    """Record a reply the person sent themselves on the original page."""
    if not (text or "").strip():
        # A blank reply would stop the response clock without any record of what was said.
        raise ListeningError(
            _("Write the reply you sent (or paste it) before marking the mention replied.")
        )
    saved_id, unchanged = _check_saved(session, mention, text, saved_reply_id, confirm_unchanged)
    return record_reply(
        session,
        mention,
        actor,
        (text or "").strip(),
        "manual",
        now,
        saved_reply_id=saved_id,
        unchanged=unchanged,
    )


def can_reply_on_platform(mention: Mention) -> bool:
    return mention.platform in REPLY_PLATFORMS and bool(mention.platform_ref)


def reply_channel(session: Session, mention: Mention) -> ConnectedChannel | None:
    """The brand's channel on the mention's platform (for Mastodon, the same instance first)."""
    return connected_channel(
        session,
        mention.brand_id,
        mention.platform,
        instance=mention.platform_base if mention.platform == "mastodon" else None,
    )


def _local_status_id(
    mention: Mention,
    credentials: Mapping[str, str],
    config: Mapping[str, Any],
    http: requests.Session | None,
) -> str:
    """The mention's status id as the channel's instance knows it (ids are per instance)."""
    import json

    from listening.fetch import FetchError, fetch

    base = str(credentials.get("base_url", "")).rstrip("/")
    if mention.platform_base and urlsplit(mention.platform_base).netloc == urlsplit(base).netloc:
        return str(mention.platform_ref)
    if not mention.url:
        raise ListeningError(_("The status has no URL to look up on your instance."))
    try:
        body, _headers = fetch(
            f"{base}/api/v2/search",
            config,
            params={"q": mention.url, "type": "statuses", "resolve": "true", "limit": 1},
            headers={"Authorization": f"Bearer {credentials.get('access_token', '')}"},
            http=http,
        )
        statuses = json.loads(body).get("statuses") or []
    except (FetchError, ValueError, AttributeError) as exc:
        raise ListeningError(
            _("Your instance could not find the status: %(why)s", why=exc)
        ) from None
    if not statuses or not statuses[0].get("id"):
        raise ListeningError(_("Your instance could not find the status to reply to."))
    return str(statuses[0]["id"])


def reply_on_platform(
    session: Session,
    mention: Mention,
    actor: User,
    text: str,
    config: Mapping[str, Any],
    now: datetime,
    *,
    saved_reply_id: int | None = None,
    confirm_unchanged: bool = False,
    http: requests.Session | None = None,
) -> MentionReply:
    """Reply to a Mastodon or Bluesky mention from the brand's channel, threaded under it."""
    from planner.publishing.adapters import ALLOW_PRIVATE_KEY, Outcome, OutgoingPost, get_adapter

    text = (text or "").strip()
    if not text:
        raise ListeningError(_("Write the reply first."))
    if not can_reply_on_platform(mention):
        raise ListeningError(
            _("This mention cannot be answered from here: open the original and mark it replied.")
        )
    saved_id, unchanged = _check_saved(session, mention, text, saved_reply_id, confirm_unchanged)
    channel = reply_channel(session, mention)
    if channel is None:
        raise ListeningError(
            _(
                "Connect a %(platform)s channel with credentials to reply from here.",
                platform=mention.platform.capitalize(),
            )
        )
    try:
        credentials = {
            k: str(v) for k, v in decrypt_json(channel.credentials_encrypted, config).items()
        }
    except CredentialsUnreadable:
        raise ListeningError(
            _("The credentials of %(name)s cannot be read; enter them again.", name=channel.name)
        ) from None
    credentials[ALLOW_PRIVATE_KEY] = "1" if config.get("OUTBOUND_ALLOW_PRIVATE") else ""
    in_reply_to = (
        _local_status_id(mention, credentials, config, http)
        if mention.platform == "mastodon"
        else str(mention.platform_ref)
    )
    digest = hashlib.sha256(f"{mention.id}|{text}".encode()).hexdigest()[:24]
    outgoing = OutgoingPost(
        post_id=mention.id,
        text=text,
        link=None,
        image_url=None,
        idempotency_key=f"pageone-mention-reply-{digest}",
        in_reply_to=in_reply_to,
    )
    timeout = float(config.get("HTTP_TIMEOUT") or 10.0)
    result = get_adapter(channel.platform).publish(
        outgoing, credentials, timeout=timeout, http=http
    )
    if result.outcome is not Outcome.PUBLISHED:
        audit.record(
            session,
            actor,
            "mention.reply_failed",
            "mention",
            mention.id,
            brand_id=mention.brand_id,
            outcome=str(result.outcome),
            reason=result.reason,
        )
        raise ListeningError(
            _(
                "The reply was not posted (%(outcome)s): %(reason)s.",
                outcome=result.outcome,
                reason=result.reason or _("no reason given"),
            )
        )
    return record_reply(
        session,
        mention,
        actor,
        text,
        channel.platform,
        now,
        platform_id=result.platform_id,
        url=result.url,
        saved_reply_id=saved_id,
        unchanged=unchanged,
    )
