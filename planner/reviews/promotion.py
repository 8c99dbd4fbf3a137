"""A review turned into posts on the brand's channels, within the weekly cap."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import audit
from core.errors import NotFound
from core.models import User
from core.tenants import Brand
from planner.models import OCCUPYING_STATUSES, Channel, Post, PostSource
from planner.models import PostStatus as _PostStatus
from planner.operations import PlannerError, create_post, lock_channels, next_free_slot
from planner.reviews import ranking
from planner.reviews.donot import check_do_not_list
from planner.reviews.models import Review, ReviewPromotion, ReviewSettings
from planner.reviews.promotable import facts_of
from planner.reviews.rendering import RenderedPost, render_post, review_context, template_for
from planner.reviews.settings import settings_for

# Posts that count against the weekly cap of review posts on a channel.
CAPPED_STATUSES = [s.value for s in (*OCCUPYING_STATUSES, _PostStatus.HELD)]


@dataclass
class ChannelPreview:
    channel: Channel
    post: RenderedPost
    refusals: list[str]

    @property
    def ok(self) -> bool:
        return not self.refusals


def review_for(session: Session, brand: Brand, review_id: int) -> Review:
    review = session.get(Review, review_id)
    if review is None or review.brand_id != brand.id:
        raise NotFound(f"No review {review_id} of {brand.name}.")
    return review


def _review_link(review: Review, settings: ReviewSettings) -> str | None:
    return review.url or settings.profile_url or None


def preview_posts(
    session: Session,
    brand: Brand,
    review: Review,
    channels: Sequence[Channel],
    *,
    image_url: str | None = None,
) -> list[ChannelPreview]:
    """Per channel, exactly what would be published, and every reason it would be refused."""
    settings = settings_for(session, brand)
    context = review_context(review, brand.name)
    link = _review_link(review, settings)
    previews = []
    for channel in channels:
        source = template_for(channel.platform, settings.templates)
        post = render_post(channel.platform, source, context, link=link, image_url=image_url)
        refusals = list(post.errors)
        if post.text:
            refusals += check_do_not_list(session, brand, post.published)
        previews.append(ChannelPreview(channel, post, refusals))
    return previews


def week_bounds(when: datetime, zone: Any) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday 00:00 around ``when``, in ``zone``, as UTC instants."""
    local = when.astimezone(zone)
    monday = local.date() - timedelta(days=local.weekday())
    start = datetime(monday.year, monday.month, monday.day, tzinfo=zone)
    following = monday + timedelta(days=7)
    end = datetime(following.year, following.month, following.day, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def review_posts_in_week(session: Session, channel: Channel, when: datetime) -> int:
    start, end = week_bounds(when, channel.zone)
    return (
        session.scalar(
            select(func.count(Post.id)).where(
                Post.channel_id == channel.id,
                Post.source == PostSource.REVIEW.value,
                Post.status.in_(CAPPED_STATUSES),
                Post.scheduled_at >= start,
                Post.scheduled_at < end,
            )
        )
        or 0
    )


def queue_start(session: Session, channel: Channel, cap: int, now: datetime) -> datetime:
    """The instant to queue after so that the next free slot is in a week below the cap."""
    after = now
    for _week in range(60):
        slot = next_free_slot(session, channel, after)
        if slot is None:
            break
        if review_posts_in_week(session, channel, slot) < cap:
            return after
        after = week_bounds(slot, channel.zone)[1]
    raise PlannerError(
        _(
            "%(channel)s: no free slot in a week with fewer than %(cap)s review posts "
            "within a year; raise the weekly cap or add engagement windows.",
            channel=channel.name,
            cap=cap,
        )
    )


def promote_review(
    session: Session,
    brand: Brand,
    review: Review,
    channels: Sequence[Channel],
    actor: User | None,
    *,
    now: datetime,
    image_url: str | None = None,
) -> list[Post]:
    """Posts of the review on each channel, in their next free slots under the weekly cap.

    All or nothing: when any channel would refuse (the do-not list, the platform's rules, no
    slot) no post is made and every reason is given.
    """
    if not channels:
        raise PlannerError(_("Choose at least one channel."))
    settings = settings_for(session, brand)
    if any(c.brand_id != brand.id for c in channels):
        raise PlannerError(_("A review can only be promoted on the brand's own channels."))
    why_not = ranking.promotable(facts_of(review), now, settings.cooldown_days)
    if why_not:
        raise PlannerError(_("This review cannot be promoted: %(reason)s.", reason=why_not))
    previews = preview_posts(session, brand, review, channels, image_url=image_url)
    refusals = [f"{p.channel.name}: {reason}" for p in previews for reason in p.refusals]
    if refusals:
        raise PlannerError(*refusals)
    # The weekly cap is counted and the slots found under the channels' planning locks.
    lock_channels(session, [channel.id for channel in channels])
    posts = []
    for preview in previews:
        after = queue_start(session, preview.channel, settings.weekly_cap, now)
        change = create_post(
            session,
            preview.channel,
            actor,
            text=preview.post.text,
            link=preview.post.link,
            image_url=image_url,
            queue=True,
            source=PostSource.REVIEW,
            # create_post queues into the first free slot after `now`: after a full week.
            now=after,
        )
        session.add(
            ReviewPromotion(
                review_id=review.id,
                post_id=change.post.id,
                channel_id=preview.channel.id,
                created_by_id=actor.id if actor else None,
                created_at=now,
            )
        )
        posts.append(change.post)
    review.last_promoted_at = now
    audit.record(
        session,
        actor,
        "review.promoted",
        "review",
        review.id,
        brand_id=brand.id,
        posts=[p.id for p in posts],
    )
    session.flush()
    return posts
