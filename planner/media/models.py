"""Media items of a brand's library and their ordered attachment to posts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow

ALT_TEXT_MAX = 1500  # X allows 1,000, Mastodon 1,500; the stricter limit is checked per platform


class MediaKind(StrEnum):
    IMAGE = "image"
    VIDEO = "video"


class MediaItem(Base):
    __tablename__ = "media_items"
    __table_args__ = (
        # The same file uploaded twice to one brand is one item.
        UniqueConstraint("brand_id", "sha256", name="uq_media_items_brand_sha256"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    filename: Mapped[str] = mapped_column(String(255))
    storage_key: Mapped[str] = mapped_column(String(255))
    thumb_key: Mapped[str | None] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(64))
    bytes: Mapped[int]
    width: Mapped[int]
    height: Mapped[int]
    duration_ms: Mapped[int | None]  # video only
    alt_text: Mapped[str] = mapped_column(Text, default="")
    sha256: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def is_image(self) -> bool:
        return self.kind == MediaKind.IMAGE

    @property
    def duration(self) -> float | None:
        return None if self.duration_ms is None else self.duration_ms / 1000

    @property
    def aspect_ratio(self) -> float:
        return self.width / self.height if self.height else 0.0


class PostMedia(Base):
    """An item attached to a post, in the order the post shows it (0 first)."""

    __tablename__ = "post_media"
    __table_args__ = (Index("ix_post_media_media", "media_id"),)

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    # A used item cannot be deleted from the library (RESTRICT): detach it first.
    media_id: Mapped[int] = mapped_column(
        ForeignKey("media_items.id", ondelete="RESTRICT"), primary_key=True
    )
    position: Mapped[int] = mapped_column(default=0)
