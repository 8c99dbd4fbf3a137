"""A channel's platform credentials: which fields each platform needs, saving them encrypted, and
what may be shown about them (which keys are set, and since when; never a value of a secret)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.crypto import CredentialsUnreadable, decrypt_json, encrypt_json
from core.models import AuditEntry, Role, User
from core.outbound import OutboundBlocked, parse_url
from planner.models import Channel
from planner.operations import PlannerError
from planner.publishing.adapters import get_adapter


@dataclass(frozen=True)
class CredentialField:
    key: str
    label: str
    secret: bool
    required: bool
    hint: str = ""


# Labels and hints in the user's words; the required keys come from each adapter.
_LABELS: dict[str, tuple[Any, bool, Any]] = {
    "base_url": (
        _l("API base URL"),
        False,
        _l("Only to reach a different server than the default."),
    ),
    "access_token": (_l("Access token"), True, ""),
    "handle": (_l("Handle"), False, _l("e.g. acme.bsky.social")),
    "app_password": (_l("App password"), True, _l("An app password, never the account password.")),
    "service": (_l("Service"), False, _l("The PDS or entryway; default https://bsky.social.")),
    "page_id": (_l("Page ID"), False, ""),
    "page_access_token": (
        _l("Page access token"),
        True,
        _l("A Page token with pages_manage_posts."),
    ),
    "graph_version": (_l("Graph API version"), False, _l("e.g. v23.0; empty for the default.")),
    "ig_user_id": (_l("Instagram user ID"), False, ""),
    "author_urn": (_l("Author URN"), False, "urn:li:person:… or urn:li:organization:…"),
    "api_version": (_l("API version"), False, _l("YYYYMM; empty for the default.")),
    "site_url": (_l("Site URL"), False, _l("e.g. https://blog.example.com")),
    "username": (_l("User name"), False, ""),
    "url": (_l("Receiver URL"), True, _l("Kept secret: many receivers put a token in it.")),
    "secret": (_l("Signing secret"), True, _l("whsec_ followed by base64.")),
    "request_time_limit": (
        _l("Request time limit (seconds)"),
        False,
        _l(
            "How long the server may still act on a request after PageOne stopped waiting; a "
            "re-send waits this long. Empty for the platform's default."
        ),
    ),
}

# Platforms that re-send a request that may have landed: their request time limit is a setting.
_OPTIONAL: dict[str, tuple[str, ...]] = {
    "bluesky": ("service", "request_time_limit"),
    "facebook": ("graph_version", "base_url"),
    "instagram": ("graph_version", "base_url"),
    "linkedin": ("api_version", "base_url"),
    "x": ("base_url",),
    "mastodon": ("request_time_limit",),
    "wordpress": ("request_time_limit",),
    "webhook": ("request_time_limit",),
}


def credential_fields(platform: str) -> list[CredentialField]:
    """The form fields of a platform: its adapter's required keys, then the optional ones."""
    required = get_adapter(platform).required_credentials
    fields = []
    for key in (*required, *_OPTIONAL.get(platform, ())):
        label, secret, hint = _LABELS.get(key, (key.replace("_", " ").capitalize(), True, ""))
        fields.append(CredentialField(key, str(label), secret, key in required, str(hint)))
    return fields


@dataclass(frozen=True)
class CredentialsState:
    """What the channel page may say about stored credentials."""

    keys_set: list[str]
    public_values: dict[str, str]
    saved_at: datetime | None
    unreadable: bool


def credentials_state(
    session: Session, channel: Channel, config: Mapping[str, Any]
) -> CredentialsState:
    stored: dict[str, Any] = {}
    unreadable = False
    try:
        stored = decrypt_json(channel.credentials_encrypted, dict(config))
    except CredentialsUnreadable:
        unreadable = True
    public = {
        f.key: str(stored[f.key])
        for f in credential_fields(channel.platform)
        if not f.secret and stored.get(f.key)
    }
    saved_at = session.scalar(
        select(AuditEntry.at)
        .where(
            AuditEntry.object_type == "channel",
            AuditEntry.object_id == channel.id,
            AuditEntry.action == "channel.credentials_saved",
        )
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )
    return CredentialsState(
        keys_set=[key for key, value in stored.items() if value],
        public_values=public,
        saved_at=saved_at if channel.credentials_encrypted else None,
        unreadable=unreadable,
    )


# Fields holding an address the worker will call: refused at once when their form is ambiguous.
URL_KEYS = frozenset({"base_url", "service", "site_url", "url"})


def save_credentials(
    session: Session,
    channel: Channel,
    actor: User,
    values: Mapping[str, str],
    config: Mapping[str, Any],
) -> list[str]:
    """Store the channel's credentials encrypted; an empty secret field keeps the stored value.

    Clears ``needs_reauth``. Returns the keys that are set. The audit entry names keys, never
    values.
    """
    if not actor.has_role(Role.ADMIN):
        raise PlannerError(_("Only admins change a channel's credentials."))
    fields = credential_fields(channel.platform)
    try:
        current = decrypt_json(channel.credentials_encrypted, dict(config))
    except CredentialsUnreadable:
        current = {}  # unreadable with this key: whatever is entered now replaces it
    merged: dict[str, str] = {}
    for f in fields:
        given = (values.get(f.key) or "").strip()
        if given:
            merged[f.key] = given
        elif f.secret and current.get(f.key):
            merged[f.key] = str(current[f.key])
    problem = get_adapter(channel.platform).check_credentials(merged)
    if problem:
        raise PlannerError(problem)
    for f in fields:
        if f.key in URL_KEYS and merged.get(f.key):
            try:
                parse_url(merged[f.key])
            except OutboundBlocked as exc:
                raise PlannerError(
                    _(
                        "%(field)s: this address cannot be used (%(reason)s).",
                        field=f.label,
                        reason=exc,
                    )
                ) from None
    channel.credentials_encrypted = encrypt_json(merged, dict(config))
    was_reauth = channel.needs_reauth
    channel.needs_reauth = False
    audit.record(
        session,
        actor,
        "channel.credentials_saved",
        "channel",
        channel.id,
        brand_id=channel.brand_id,
        keys=sorted(merged),
        cleared_reauth=was_reauth,
    )
    session.flush()
    return sorted(merged)


def remove_credentials(session: Session, channel: Channel, actor: User) -> None:
    if not actor.has_role(Role.ADMIN):
        raise PlannerError(_("Only admins change a channel's credentials."))
    channel.credentials_encrypted = None
    audit.record(
        session,
        actor,
        "channel.credentials_removed",
        "channel",
        channel.id,
        brand_id=channel.brand_id,
    )
    session.flush()
