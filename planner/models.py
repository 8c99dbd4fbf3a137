"""Brands, channels, engagement windows and posts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from core.db import Base, utcnow
from core.tenants import Brand


class Platform(StrEnum):
    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"
    X = "x"
    LINKEDIN = "linkedin"
    MASTODON = "mastodon"
    BLUESKY = "bluesky"
    WORDPRESS = "wordpress"
    WEBHOOK = "webhook"

    @property
    def label(self) -> str:
        return PLATFORM_LABELS[self]

    @property
    def colour(self) -> str:
        return PLATFORM_COLOURS[self]


PLATFORM_LABELS = {
    Platform.FACEBOOK: "Facebook",
    Platform.INSTAGRAM: "Instagram",
    Platform.X: "X",
    Platform.LINKEDIN: "LinkedIn",
    Platform.MASTODON: "Mastodon",
    Platform.BLUESKY: "Bluesky",
    Platform.WORDPRESS: "WordPress blog",
    Platform.WEBHOOK: "Webhook",
}

PLATFORM_COLOURS = {
    Platform.FACEBOOK: "#1877f2",
    Platform.INSTAGRAM: "#c13584",
    Platform.X: "#111111",
    Platform.LINKEDIN: "#0a66c2",
    Platform.MASTODON: "#6364ff",
    Platform.BLUESKY: "#1185fe",
    Platform.WORDPRESS: "#21759b",
    Platform.WEBHOOK: "#6b7280",
}


class PostStatus(StrEnum):
    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"
    SCHEDULED = "scheduled"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    FAILED = "failed"
    UNCONFIRMED = "unconfirmed"
    MISSED = "missed"
    HELD = "held"


# Posts that occupy their slot: the gap and the daily maximum are kept against these.
OCCUPYING_STATUSES = (
    PostStatus.SCHEDULED,
    PostStatus.PUBLISHING,
    PostStatus.PUBLISHED,
    PostStatus.UNCONFIRMED,
    PostStatus.PENDING_APPROVAL,
)

# A post in one of these may still be moved or edited by a person.
EDITABLE_STATUSES = (
    PostStatus.DRAFT,
    PostStatus.PENDING_APPROVAL,
    PostStatus.SCHEDULED,
    PostStatus.FAILED,
    PostStatus.MISSED,
    PostStatus.HELD,
)


class PostSource(StrEnum):
    MANUAL = "manual"
    REVIEW = "review"
    PLAN = "plan"


CHANNEL_NAME_MAX = 120


class Channel(Base):
    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(CHANNEL_NAME_MAX))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    min_gap_minutes: Mapped[int] = mapped_column(default=60)
    max_per_day: Mapped[int | None]  # None: no daily maximum
    credentials_encrypted: Mapped[str | None] = mapped_column(Text)
    needs_reauth: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    brand: Mapped[Brand] = relationship(
        backref=backref("channels", cascade="all, delete-orphan", order_by="Channel.id")
    )
    windows: Mapped[list[EngagementWindow]] = relationship(
        back_populates="channel",
        cascade="all, delete-orphan",
        order_by="(EngagementWindow.weekday, EngagementWindow.start_minute)",
    )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def platform_enum(self) -> Platform:
        return Platform(self.platform)


class EngagementWindow(Base):
    """A weekly range of local wall-clock time when the channel's audience engages."""

    __tablename__ = "engagement_windows"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(
        ForeignKey("channels.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int]  # 0 = Monday
    start_minute: Mapped[int]
    end_minute: Mapped[int]  # <= start_minute: the window crosses midnight
    weight: Mapped[float] = mapped_column(default=1.0)

    channel: Mapped[Channel] = relationship(back_populates="windows")


class PostGroup(Base):
    """One message composed for several channels: the versions stay together as a campaign."""

    __tablename__ = "post_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    # The text as written once, before any channel's own version.
    text: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(2048))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    posts: Mapped[list[Post]] = relationship(back_populates="group", order_by="Post.id")


class Post(Base):
    __tablename__ = "posts"
    __table_args__ = (
        Index("ix_posts_channel_scheduled", "channel_id", "scheduled_at"),
        Index("ix_posts_status_scheduled", "status", "scheduled_at"),
        # The calendar reads a month of all the brand's channels by time.
        Index("ix_posts_scheduled_at", "scheduled_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(2048))
    image_url: Mapped[str | None] = mapped_column(String(2048))
    # How many library items are attached (post_media), kept by planner.media.operations so that
    # the calendar feed reads it without counting.
    media_count: Mapped[int] = mapped_column(default=0, server_default="0")
    scheduled_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20), default=PostStatus.DRAFT.value)
    source: Mapped[str] = mapped_column(String(16), default=PostSource.MANUAL.value)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(default=1)
    # Publishing state: the worker's claim, and what the platform answered.
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None]
    # Set just before a claimed post's request leaves: a recovery tells a post that may have
    # landed from one that never went out.
    send_started_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    platform_post_id: Mapped[str | None] = mapped_column(String(255))
    public_url: Mapped[str | None] = mapped_column(String(2048))
    last_error: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # The campaign this post is one channel's version of, when it was composed for several.
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("post_groups.id", ondelete="SET NULL"), index=True
    )

    channel: Mapped[Channel] = relationship()
    group: Mapped[PostGroup | None] = relationship(back_populates="posts")


class PartKind(StrEnum):
    REPLY = "reply"  # a thread's next post on X, Bluesky or Mastodon
    COMMENT = "comment"  # the first comment under the post on Facebook, Instagram or LinkedIn


class PartState(StrEnum):
    PENDING = "pending"
    PUBLISHED = "published"
    FAILED = "failed"


class PostPart(Base):
    """What follows a post once it is published: the next posts of its thread, or its first
    comment. The post itself is part 0; its parts are numbered 1, 2, … and go out in order."""

    __tablename__ = "post_parts"
    __table_args__ = (
        Index("ux_post_parts_position", "post_id", "position", unique=True),
        # The worker looks for pending parts whose post is out.
        Index("ix_post_parts_state", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default=PartState.PENDING.value)
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None]
    # Set just before the part's request leaves, as for posts.
    send_started_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    remote_id: Mapped[str | None] = mapped_column(String(255))
    remote_url: Mapped[str | None] = mapped_column(String(2048))
    error: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None]

    post: Mapped[Post] = relationship(
        backref=backref(
            "parts",
            cascade="all, delete-orphan",
            order_by="PostPart.position",
            passive_deletes=True,
        )
    )


# The media tables live in their own package; imported here so that loading the planner's models
# registers them too.
from planner.media.models import MediaItem, PostMedia  # noqa: E402, F401
