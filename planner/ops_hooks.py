"""What the planner gives `core.ops`: publishing metrics, the personal data reviews hold, the
brand's part of its export, the sweep of old attempts and audit entries, and
`flask ops retention`. Registered in ``app.register_ops_hooks``."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import click
from flask.cli import with_appcontext
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from core.db import db
from core.errors import Refused
from core.models import AuditEntry
from core.ops.personal import Person, row_dict, rows_of
from core.retention import RETENTION_FIELDS, BrandRetention, retention_of, set_retention
from core.tenants import Brand, BrandMember
from planner.assets import OwnedAsset
from planner.models import Channel, EngagementWindow, Post, PostGroup, PostPart, PostStatus
from planner.reviews.models import Review, ReviewPromotion, ReviewSettings

DAY = timedelta(days=1)
# A due post not sent this long after its time is late (a worker ticks every few seconds).
LATE_AFTER = timedelta(minutes=2)
LATENESS_BUCKETS = (5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0)
ATTEMPT = "post.publish_attempt"


# --- metrics --------------------------------------------------------------------------------------


def publishing_metrics(session: Session, now: datetime) -> Iterator[Metric]:
    """Posts due, claimed and late now; how late the last day's posts went out; the last day's
    attempts by platform and outcome."""
    due = GaugeMetricFamily("pageone_posts_due", "Scheduled posts whose time has come")
    due.add_metric(
        [],
        session.scalar(
            select(func.count(Post.id)).where(
                Post.status == PostStatus.SCHEDULED.value, Post.scheduled_at <= now
            )
        )
        or 0,
    )
    yield due
    claimed = GaugeMetricFamily("pageone_posts_claimed", "Posts a worker is publishing now")
    claimed.add_metric(
        [],
        session.scalar(
            select(func.count(Post.id)).where(Post.status == PostStatus.PUBLISHING.value)
        )
        or 0,
    )
    yield claimed
    late = GaugeMetricFamily(
        "pageone_posts_late", "Due posts not yet sent more than 2 minutes after their time"
    )
    late.add_metric(
        [],
        session.scalar(
            select(func.count(Post.id)).where(
                Post.status.in_([PostStatus.SCHEDULED.value, PostStatus.PUBLISHING.value]),
                Post.scheduled_at <= now - LATE_AFTER,
            )
        )
        or 0,
    )
    yield late
    yield _lateness(session, now)
    outcomes = GaugeMetricFamily(
        "pageone_publish_attempts_last_day",
        "Publish attempts of the last 24 hours by platform and outcome",
        labels=["platform", "outcome"],
    )
    counted: Counter[tuple[str, str]] = Counter()
    for (detail,) in session.execute(
        select(AuditEntry.detail).where(AuditEntry.action == ATTEMPT, AuditEntry.at >= now - DAY)
    ):
        detail = detail or {}
        counted[(str(detail.get("platform")), str(detail.get("outcome")))] += 1
    for (platform, outcome), n in sorted(counted.items()):
        outcomes.add_metric([platform, outcome], n)
    yield outcomes


def _lateness(session: Session, now: datetime) -> Metric:
    """Seconds between each post's time and its publication, over the last 24 hours."""
    delays = [
        max(0.0, (published - scheduled).total_seconds())
        for published, scheduled in session.execute(
            select(Post.published_at, Post.scheduled_at).where(
                Post.status == PostStatus.PUBLISHED.value,
                Post.published_at >= now - DAY,
                Post.scheduled_at.is_not(None),
            )
        )
    ]
    buckets = []
    for bound in LATENESS_BUCKETS:
        buckets.append((str(bound), sum(1 for d in delays if d <= bound)))
    buckets.append(("+Inf", len(delays)))
    histogram = HistogramMetricFamily(
        "pageone_publish_lateness_seconds",
        "How long after their time the last 24 hours' posts were published",
    )
    histogram.add_metric([], buckets, sum_value=sum(delays))
    return histogram


# --- personal data ----------------------------------------------------------------------------


def _authored_by(column: Any, person: Person) -> Any:
    return func.lower(func.trim(column)).in_(person.keys)


def _swap_name(text: str | None, person: Person, stand_in: str) -> str | None:
    if not text or not person.name:
        return text
    return re.sub(re.escape(person.name.strip()), stand_in, text, flags=re.IGNORECASE)


class ReviewAuthors:
    """Reviews written by the person, and the posts that quote them."""

    kind = "reviews"

    def export(self, session: Session, person: Person) -> list[dict[str, Any]]:
        reviews = session.scalars(
            select(Review).where(_authored_by(Review.author, person)).order_by(Review.id)
        ).all()
        found = []
        for review in reviews:
            entry = row_dict(review, skip=("content_hash",))
            entry["promoted_in_posts"] = rows_of(
                session,
                Post,
                Post.id.in_(
                    select(ReviewPromotion.post_id).where(ReviewPromotion.review_id == review.id)
                ),
                skip=("claimed_by", "lease_until"),
            )
            found.append(entry)
        return found

    def erase(self, session: Session, person: Person, stand_in: str) -> int:
        reviews = session.scalars(select(Review).where(_authored_by(Review.author, person))).all()
        for review in reviews:
            # The posts quoting the review lose its words and the name; one being sent right now
            # is left to its worker (erase again once it is done).
            quoted = [t for t in (review.text, review.title) if t and len(t.strip()) > 3]
            posts = session.scalars(
                select(Post).where(
                    Post.id.in_(
                        select(ReviewPromotion.post_id).where(
                            ReviewPromotion.review_id == review.id
                        )
                    ),
                    Post.status != PostStatus.PUBLISHING.value,
                )
            )
            for post in posts:
                for words in quoted:
                    post.text = post.text.replace(words.strip(), "…")
                post.text = _swap_name(post.text, person, stand_in) or ""
            # Rating, date, source, language and sentiment stay: the brand's figures stay true.
            review.author = stand_in
            review.title = ""
            review.text = ""
            review.url = None
            review.details = []
            review.reply_text = _swap_name(review.reply_text, person, stand_in)
        session.flush()
        return len(reviews)


# --- brand export -------------------------------------------------------------------------------


def brand_parts(session: Session, brand_id: int) -> dict[str, list[dict[str, Any]]]:
    """The brand, its settings, channels (without credentials), posts (with their thread parts
    and first comments), reviews and audit log."""
    channel_ids = select(Channel.id).where(Channel.brand_id == brand_id)
    return {
        "brand": rows_of(session, Brand, Brand.id == brand_id, skip=("ical_token",)),
        "members": rows_of(session, BrandMember, BrandMember.brand_id == brand_id),
        "channels": rows_of(
            session, Channel, Channel.brand_id == brand_id, skip=("credentials_encrypted",)
        ),
        "engagement_windows": rows_of(
            session, EngagementWindow, EngagementWindow.channel_id.in_(channel_ids)
        ),
        "posts": rows_of(
            session, Post, Post.channel_id.in_(channel_ids), skip=("claimed_by", "lease_until")
        ),
        "post_parts": rows_of(
            session,
            PostPart,
            PostPart.post_id.in_(select(Post.id).where(Post.channel_id.in_(channel_ids))),
            skip=("claimed_by", "lease_until"),
        ),
        "post_groups": rows_of(session, PostGroup, PostGroup.brand_id == brand_id),
        "reviews": rows_of(session, Review, Review.brand_id == brand_id),
        "review_settings": rows_of(session, ReviewSettings, ReviewSettings.brand_id == brand_id),
        "owned_assets": rows_of(session, OwnedAsset, OwnedAsset.brand_id == brand_id),
        "retention": rows_of(session, BrandRetention, BrandRetention.brand_id == brand_id),
        "audit_log": rows_of(session, AuditEntry, AuditEntry.brand_id == brand_id),
    }


# --- retention ----------------------------------------------------------------------------------


def sweep_attempts_and_audit(session: Session, now: datetime) -> dict[str, int]:
    """Delete each brand's publish attempts and other audit entries past its retention days,
    and the entries of deleted brands."""
    attempts = audit = 0
    for brand_id, settings in retention_of(session).items():
        if settings.attempts_days:
            attempts += session.execute(
                delete(AuditEntry)
                .where(
                    AuditEntry.brand_id == brand_id,
                    AuditEntry.action == ATTEMPT,
                    AuditEntry.at < now - timedelta(days=settings.attempts_days),
                )
                .execution_options(synchronize_session=False)
            ).rowcount
        if settings.audit_days:
            audit += session.execute(
                delete(AuditEntry)
                .where(
                    AuditEntry.brand_id == brand_id,
                    AuditEntry.action != ATTEMPT,
                    AuditEntry.at < now - timedelta(days=settings.audit_days),
                )
                .execution_options(synchronize_session=False)
            ).rowcount
    # A deleted brand's entries (their details quote posts, replies and platform answers) go
    # too; the entry that records the deletion stays.
    gone = session.execute(
        delete(AuditEntry)
        .where(
            AuditEntry.brand_id.is_not(None),
            AuditEntry.brand_id.not_in(select(Brand.id)),
            AuditEntry.action != "brand.deleted",
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    return {"publish_attempts": attempts, "audit_entries": audit, "deleted_brands_entries": gone}


@click.command("retention")
@click.argument("brand_id", type=int)
@click.option("--raw-pages-days", type=int, help="Keep search checks' raw pages this long.")
@click.option("--attempts-days", type=int, help="Keep publish attempts this long.")
@click.option("--audit-days", type=int, help="Keep the brand's other audit entries this long.")
@click.option("--forever", multiple=True, type=click.Choice(RETENTION_FIELDS))
@with_appcontext
def retention_command(brand_id: int, forever: tuple[str, ...], **days: int | None) -> None:
    """Show or set how long BRAND_ID keeps raw pages, attempts and audit entries."""
    if db.session.get(Brand, brand_id) is None:
        raise click.ClickException(f"No brand with the id {brand_id}.")
    changes: dict[str, int | None] = {k: v for k, v in days.items() if v is not None}
    changes |= {name: None for name in forever}
    if changes:
        try:
            set_retention(db.session, brand_id, **changes)
        except Refused as exc:
            raise click.ClickException(str(exc)) from exc
        db.session.commit()
    row = db.session.get(BrandRetention, brand_id)
    for name in RETENTION_FIELDS:
        value = getattr(row, name, None) if row is not None else None
        click.echo(f"{name}: {value if value is not None else 'forever'}")
