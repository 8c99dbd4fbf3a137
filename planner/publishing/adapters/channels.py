"""The brand's connected channel on a platform, for other features that post through an
adapter (listening's replies): read from the planner's channels without handing out its models."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.crypto import CredentialsUnreadable, decrypt_json
from planner.models import Channel


@dataclass(frozen=True)
class ConnectedChannel:
    """A channel with credentials that do not await reauthorisation."""

    id: int
    name: str
    platform: str
    credentials_encrypted: str


def connected_channel(
    session: Session,
    brand_id: int,
    platform: str,
    *,
    instance: str | None = None,
    config: Mapping[str, Any] | None = None,
) -> ConnectedChannel | None:
    """The brand's connected channel on ``platform``; with ``instance`` (a base URL, e.g. of a
    Mastodon server), the channel on that same host first. None when the brand has none."""
    channels = [
        ConnectedChannel(channel.id, channel.name, channel.platform, channel.credentials_encrypted)
        for channel in session.scalars(
            select(Channel)
            .where(Channel.brand_id == brand_id, Channel.platform == platform)
            .order_by(Channel.id)
        )
        if channel.credentials_encrypted and not channel.needs_reauth
    ]
    if not channels:
        return None
    if instance:
        host = urlsplit(instance).netloc
        for channel in channels:
            try:
                base = decrypt_json(
                    channel.credentials_encrypted, dict(config) if config else None
                ).get("base_url", "")
            except CredentialsUnreadable:
                continue
            if urlsplit(base).netloc == host:
                return channel
    return channels[0]
