"""How long a brand keeps what grows without bound: raw result pages, publish attempts and the
audit log. Each feature sweeps its own part (see the ``ops_hooks`` modules); None keeps forever."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base, utcnow
from core.errors import Refused

RETENTION_FIELDS = ("raw_pages_days", "attempts_days", "audit_days")
LONGEST_DAYS = 36_500


class BrandRetention(Base):
    __tablename__ = "brand_retention"

    brand_id: Mapped[int] = mapped_column(
        ForeignKey("brands.id", ondelete="CASCADE"), primary_key=True
    )
    raw_pages_days: Mapped[int | None]  # stored result pages of search checks
    attempts_days: Mapped[int | None]  # the audit log's publish attempts
    audit_days: Mapped[int | None]  # every other audit entry of the brand
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def retention_of(session: Session) -> dict[int, BrandRetention]:
    """Every brand's retention settings that say anything, by brand id."""
    return {row.brand_id: row for row in session.scalars(select(BrandRetention))}


def set_retention(session: Session, brand_id: int, **days: int | None) -> BrandRetention:
    """Set some of a brand's retention days (None: keep forever); flushes."""
    row = session.get(BrandRetention, brand_id) or BrandRetention(brand_id=brand_id)
    for name, value in days.items():
        if name not in RETENTION_FIELDS:
            raise Refused(f"unknown retention setting {name!r}")
        if value is not None and not 1 <= value <= LONGEST_DAYS:
            raise Refused(f"{name} must be between 1 and {LONGEST_DAYS} days, or empty")
        setattr(row, name, value)
    session.add(row)
    session.flush()
    return row
