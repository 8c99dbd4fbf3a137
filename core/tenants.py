"""The tenant every feature is scoped to: brands, who belongs to them, and the lookups that keep
a user to their own brands."""

from __future__ import annotations

import secrets
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ForeignKey, Select, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from core.db import Base, utcnow
from core.errors import NotFound
from core.models import User

# The longest names people may give; the columns below are exactly this long, and the forms, the
# API and the CSV import refuse longer ones with a message (planner.brands.check_name).
BRAND_NAME_MAX = 120
BRAND_SLUG_MAX = 64


def _token() -> str:
    return secrets.token_urlsafe(24)


class Brand(Base):
    __tablename__ = "brands"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(BRAND_SLUG_MAX), unique=True)
    name: Mapped[str] = mapped_column(String(BRAND_NAME_MAX))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    grace_minutes: Mapped[int] = mapped_column(default=60)
    requires_approval: Mapped[bool] = mapped_column(default=False)
    requires_two_people: Mapped[bool] = mapped_column(default=False)
    paused_at: Mapped[datetime | None]
    pause_reason: Mapped[str | None] = mapped_column(Text)
    ical_token: Mapped[str] = mapped_column(String(64), default=_token, unique=True)
    # An archived brand is hidden from the switcher, publishes nothing and is neither checked
    # nor polled; all its data is kept, and unarchiving brings it back as it was.
    archived_at: Mapped[datetime | None]
    # The language of the brand's public pages and of mails about it (core/i18n.py).
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    # ``channels`` is added by planner's Channel model (a backref): core knows no feature.
    members: Mapped[list[BrandMember]] = relationship(
        back_populates="brand", cascade="all, delete-orphan"
    )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class BrandMember(Base):
    __tablename__ = "brand_members"
    __table_args__ = (UniqueConstraint("brand_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)

    brand: Mapped[Brand] = relationship(back_populates="members")


# --- lookups ----------------------------------------------------------------------------------


def brands_for(session: Session, user: User, *, include_archived: bool = False) -> list[Brand]:
    """The brands a user belongs to; archived ones only when asked for."""
    query = (
        select(Brand)
        .join(BrandMember, BrandMember.brand_id == Brand.id)
        .where(BrandMember.user_id == user.id)
        .order_by(Brand.name)
    )
    if not include_archived:
        query = query.where(Brand.archived_at.is_(None))
    return list(session.scalars(query))


def archived_brand_ids() -> Select[tuple[int]]:
    """The ids of archived brands, as a subquery: the search and listening jobs skip these."""
    return select(Brand.id).where(Brand.archived_at.is_not(None))


def brand_for(session: Session, user: User, brand_id: int) -> Brand:
    """A brand the user belongs to, or NotFound (never reveal brands of others)."""
    brand = session.scalar(
        select(Brand)
        .join(BrandMember, BrandMember.brand_id == Brand.id)
        .where(Brand.id == brand_id, BrandMember.user_id == user.id)
    )
    if brand is None:
        raise NotFound(f"No brand {brand_id} that you belong to.")
    return brand


def is_member(session: Session, user: User, brand_id: int) -> bool:
    return (
        session.scalar(
            select(BrandMember.id).where(
                BrandMember.brand_id == brand_id, BrandMember.user_id == user.id
            )
        )
        is not None
    )
