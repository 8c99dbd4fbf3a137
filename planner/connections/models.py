"""What PageOne knows about a channel's connection beside its encrypted tokens, and the apps it
registered on Mastodon instances."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from core.db import Base, utcnow
from planner.models import Channel


class ChannelConnection(Base):
    """How a channel was connected and until when it works without a person.

    The tokens themselves live in ``Channel.credentials_encrypted``, where the adapters read them;
    this row holds what may be shown and queried: the account, the scopes granted and the ends.
    """

    __tablename__ = "channel_connections"

    channel_id: Mapped[int] = mapped_column(
        ForeignKey("channels.id", ondelete="CASCADE"), primary_key=True
    )
    # "oauth", "app_password" (Bluesky) or "application_password" (WordPress).
    method: Mapped[str] = mapped_column(String(24))
    account: Mapped[str | None] = mapped_column(String(200))
    scopes: Mapped[str | None] = mapped_column(Text)
    # When the access token ends; the worker renews it ahead of this when it can.
    access_expires_at: Mapped[datetime | None]
    # When the connection as a whole ends and a person must connect again (a refresh token's
    # end, or the access token's when there is nothing to renew it with). None: no known end.
    reconnect_by: Mapped[datetime | None]
    refreshable: Mapped[bool] = mapped_column(default=False)
    connected_at: Mapped[datetime] = mapped_column(default=utcnow)
    refreshed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # The warnings already sent about the current ``reconnect_by``: "", "soon" or "ended".
    warned: Mapped[str] = mapped_column(String(8), default="")

    channel: Mapped[Channel] = relationship(
        backref=backref("connection", uselist=False, cascade="all, delete-orphan")
    )


class MastodonApp(Base):
    """The OAuth app PageOne registered on one Mastodon instance, reused for every channel
    there (registering on every connect would litter the instance with apps)."""

    __tablename__ = "mastodon_apps"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_url: Mapped[str] = mapped_column(String(255), unique=True)
    redirect_uri: Mapped[str] = mapped_column(Text)
    scopes: Mapped[str] = mapped_column(Text)
    client_id: Mapped[str] = mapped_column(Text)
    client_secret_encrypted: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
