"""The planner's public face for drafts: what other features may put on a brand's calendar and
read back from it, without reaching into the planner's models or operations.

A draft is placed through the planner's own placement: the channel's lock is taken before its
next free slot is read, as for any post given a time.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import NotFound
from core.models import User
from planner import operations
from planner.models import Channel, Platform, Post, PostSource, PostStatus

# The platforms a channel may be on, by their stored names.
LINKEDIN = Platform.LINKEDIN.value
FACEBOOK = Platform.FACEBOOK.value


@dataclass(frozen=True)
class BrandChannel:
    """A channel of the brand as a draft needs it."""

    id: int
    platform: str
    min_gap_minutes: int


@dataclass(frozen=True)
class PlacedDraft:
    post_id: int
    scheduled_at: datetime | None  # None: no free slot within a year


def channels_of(session: Session, brand_id: int) -> list[BrandChannel]:
    """The brand's channels, oldest first."""
    rows = session.execute(
        select(Channel.id, Channel.platform, Channel.min_gap_minutes)
        .where(Channel.brand_id == brand_id)
        .order_by(Channel.id)
    )
    return [BrandChannel(*row) for row in rows]


def draft_in_next_free_slot(
    session: Session,
    channel_id: int,
    author: User | None,
    *,
    text: str,
    after: datetime,
    now: datetime,
) -> PlacedDraft:
    """A draft post of a plan on the channel, at its next free slot from ``after`` (under the
    channel's lock); flushes. Refused (PlannerError) when the text does not fit the platform."""
    channel = session.get(Channel, channel_id)
    if channel is None:
        raise NotFound(f"No channel {channel_id}.")
    operations.lock_channels(session, [channel.id])
    slot = operations.next_free_slot(session, channel, after)
    post = operations.create_post(
        session, channel, author, text=text, draft=True, scheduled_at=slot,
        source=PostSource.PLAN, now=now,
    ).post  # fmt: skip
    return PlacedDraft(post.id, slot)


def is_public_url(url: str) -> bool:
    """Whether ``url`` is a full http(s) address, as the planner accepts for a published post."""
    return bool(operations.URL_RE.match(url))


def published_urls(session: Session, post_ids: Collection[int]) -> dict[int, str | None]:
    """Of these posts, those published, with their public address (None when it has none)."""
    if not post_ids:
        return {}
    rows = session.execute(
        select(Post.id, Post.public_url).where(
            Post.id.in_(sorted(set(post_ids))), Post.status == PostStatus.PUBLISHED.value
        )
    )
    return {post_id: url for post_id, url in rows}


def published_post_urls(session: Session, brand_id: int) -> list[str]:
    """The public addresses of the brand's published posts (also those published before owned
    assets were recorded)."""
    return list(
        session.scalars(
            select(Post.public_url)
            .join(Channel, Post.channel_id == Channel.id)
            .where(
                Channel.brand_id == brand_id,
                Post.status == PostStatus.PUBLISHED.value,
                Post.public_url.is_not(None),
            )
        )
    )


@dataclass(frozen=True)
class ReviewText:
    """A review's words as text analysis needs them."""

    id: int
    text: str
    rating: int
    language: str | None
    sentiment: float | None
    created_at: datetime
    url: str | None


def review_texts(session: Session, brand_id: int, since: datetime) -> list[ReviewText]:
    """The brand's reviews written since the moment, oldest first (title and text joined)."""
    from planner.reviews.models import Review

    rows = session.execute(
        select(
            Review.id,
            Review.title,
            Review.text,
            Review.rating,
            Review.language,
            Review.sentiment,
            Review.created_at,
            Review.url,
        )  # fmt: skip
        .where(Review.brand_id == brand_id, Review.created_at >= since)
        .order_by(Review.created_at, Review.id)
    )
    return [
        ReviewText(
            row.id,
            f"{row.title}. {row.text}" if row.title and row.text else (row.title or row.text),
            row.rating,
            row.language,
            row.sentiment,
            row.created_at,
            row.url,
        )  # fmt: skip
        for row in rows
    ]
