"""Review operations: import, settings, the inbox, ranking, promotion and the monthly roundup.

Like the planner's operations they take explicit arguments and only flush; the caller commits.
"""

from __future__ import annotations

import calendar
import html
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Select,
    and_,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from core import audit
from core.models import User
from core.sentiment import NEGATIVE_BELOW, Analysis, analyse_reviews
from core.tenants import Brand
from planner import operations as ops
from planner.assets import AssetKind, record_owned_asset
from planner.models import OCCUPYING_STATUSES, Channel, Platform, Post, PostSource
from planner.models import PostStatus as _PostStatus
from planner.reviews import ranking
from planner.reviews.donot import check_do_not_list
from planner.reviews.importers import URL_RE, ParsedFile, ReviewRow, parse_file
from planner.reviews.models import Review, ReviewPromotion, ReviewSettings, source_name
from planner.reviews.rendering import (
    DEFAULT_TEMPLATES,
    RenderedPost,
    check_template,
    render_post,
    review_context,
    reviewer_name,
    stars,
    template_for,
)

PlannerError = ops.PlannerError
CHUNK = 2000
# Posts that count against the weekly cap of review posts on a channel.
CAPPED_STATUSES = [s.value for s in (*OCCUPYING_STATUSES, _PostStatus.HELD)]
PAGE_CANDIDATES = 2000
PAGE_SIZE = 30


# --- settings -----------------------------------------------------------------------------------


def settings_for(session: Session, brand: Brand) -> ReviewSettings:
    """The brand's review settings; an unsaved default when it has none yet."""
    found = session.scalar(select(ReviewSettings).where(ReviewSettings.brand_id == brand.id))
    if found is not None:
        return found
    return ReviewSettings(
        brand_id=brand.id,
        profile_url=None,
        page_enabled=False,
        weekly_cap=2,
        cooldown_days=90,
        do_not_phrases="",
        templates={},
    )


def update_settings(
    session: Session,
    brand: Brand,
    actor: User | None,
    *,
    profile_url: str | None,
    page_enabled: bool,
    weekly_cap: int,
    cooldown_days: int,
    do_not_phrases: str,
    templates: dict[str, str],
    page_url: str,
    now: datetime,
) -> ReviewSettings:
    """Save the settings, or refuse with every reason; enabling the page records it as owned."""
    errors: list[str] = []
    profile_url = (profile_url or "").strip() or None
    if profile_url is not None and not URL_RE.match(profile_url):
        errors.append("The profile link must be a full http(s) address.")
    if page_enabled and profile_url is None:
        errors.append(
            "The public page needs the link to the full profile: a page of selected reviews "
            "must let readers see all of them."
        )
    if not 1 <= weekly_cap <= 50:
        errors.append("The weekly cap must be between 1 and 50 review posts per channel.")
    if not 0 <= cooldown_days <= 3650:
        errors.append("The pause before a review is promoted again must be 0 to 3650 days.")
    cleaned: dict[str, str] = {}
    for platform, source in templates.items():
        if platform not in DEFAULT_TEMPLATES:
            errors.append(f"Unknown platform “{platform}” in the templates.")
            continue
        source = (source or "").replace("\r\n", "\n").strip()
        if not source or source == DEFAULT_TEMPLATES[platform]:
            continue
        errors += check_template(platform, source)
        cleaned[platform] = source
    if errors:
        raise PlannerError(*errors)
    settings = settings_for(session, brand)
    if settings.id is None:
        session.add(settings)
    settings.profile_url = profile_url
    settings.page_enabled = page_enabled
    settings.weekly_cap = weekly_cap
    settings.cooldown_days = cooldown_days
    settings.do_not_phrases = "\n".join(p.strip() for p in do_not_phrases.splitlines() if p.strip())
    settings.templates = cleaned
    if page_enabled:
        record_owned_asset(
            session,
            brand.id,
            page_url,
            AssetKind.REVIEWS_PAGE,
            now,
            title=f"Selected reviews of {brand.name}",
        )
    audit.record(
        session,
        actor,
        "reviews.settings_updated",
        "brand",
        brand.id,
        brand_id=brand.id,
        page_enabled=page_enabled,
    )
    session.flush()
    return settings


# --- import -----------------------------------------------------------------------------------


@dataclass
class ImportReport:
    format: str
    errors: list[tuple[str, str]] = field(default_factory=list)  # (where, reason)
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "ok": self.ok,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": [{"where": w, "reason": r} for w, r in self.errors],
        }


def _chunks(rows: Sequence[ReviewRow], size: int) -> Iterator[Sequence[ReviewRow]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _stored_values(
    row: ReviewRow, content_hash: str, found: Analysis, details: list[str]
) -> dict[str, Any]:
    return {
        "rating": row.rating,
        "title": row.title,
        "text": row.text,
        "author": row.author,
        "created_at": row.created_at,
        "url": row.url,
        "reply_text": row.reply_text,
        "reply_at": row.reply_at,
        "language": found.language,
        "language_detected": found.language_detected,
        "sentiment": found.sentiment,
        "details": details,
        "detail_count": len(details),
        "content_hash": content_hash,
    }


def _written_once(session: Session, column: Any, value: Any) -> Any:
    """``value`` rendered into the statement as the column's type writes it, so that an
    executemany converts it for the database once rather than once per row."""
    sql = literal(value, column.type).compile(
        dialect=session.connection().dialect, compile_kwargs={"literal_binds": True}
    )
    return literal_column(str(sql), column.type)


def _stored_reviews(
    session: Session, brand: Brand, chunk: Sequence[ReviewRow]
) -> dict[tuple[str, str], tuple[int, str]]:
    """(source, external_id) → (id, content hash) of the chunk's reviews already stored."""
    # The condition names (source, external_id) pairs so that it reads the unique index.
    by_source: dict[str, set[str]] = {}
    for row in chunk:
        by_source.setdefault(row.source, set()).add(row.external_id)
    lookups = [
        select(Review.id, Review.source, Review.external_id, Review.content_hash).where(
            Review.brand_id == brand.id,
            Review.source == source,
            Review.external_id.in_(ids),
        )
        for source, ids in by_source.items()
    ]
    return {
        (source, external_id): (review_id, content_hash)
        for review_id, source, external_id, content_hash in session.execute(
            lookups[0] if len(lookups) == 1 else union_all(*lookups)
        )
    }


def import_reviews(
    session: Session,
    brand: Brand,
    data: bytes,
    *,
    fmt: str | None = None,
    actor: User | str | None,
    now: datetime,
) -> ImportReport:
    """Import a review file all or nothing: new reviews are added, edited ones updated."""
    parsed: ParsedFile = parse_file(data, fmt)
    report = ImportReport(parsed.format, list(parsed.errors))
    if parsed.errors:
        return report
    # First which reviews are new or edited (one query per chunk), then the language and
    # sentiment of only those, all at once so that a large file can use every core.
    changed: list[tuple[ReviewRow, str, int | None]] = []  # (row, its hash, id when stored)
    for chunk in _chunks(parsed.rows, CHUNK):
        existing = _stored_reviews(session, brand, chunk)
        for row in chunk:
            found = existing.get(row.key)
            content_hash = row.content_hash()
            if found is not None and found[1] == content_hash:
                report.unchanged += 1
            else:
                changed.append((row, content_hash, found[0] if found is not None else None))
    analyses = analyse_reviews([(row.title, row.text, row.language) for row, _, _ in changed])
    for start in range(0, len(changed), CHUNK):
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for (row, content_hash, review_id), (analysis, details) in zip(
            changed[start : start + CHUNK], analyses[start : start + CHUNK], strict=True
        ):
            values = _stored_values(row, content_hash, analysis, details)
            if review_id is None:
                values["brand_id"] = brand.id
                values["source"] = row.source
                values["external_id"] = row.external_id
                inserts.append(values)
            else:
                values["id"] = review_id
                values["updated_at"] = now
                updates.append(values)
        if inserts:
            # Core executemany: the ORM's bulk path would batch far smaller on SQLite.
            written_now = _written_once(session, Review.__table__.c.updated_at, now)
            statement = insert(Review.__table__).values(
                imported_at=written_now, updated_at=written_now
            )
            session.connection().execute(statement, inserts)
        if updates:
            session.execute(update(Review), updates)
        report.created += len(inserts)
        report.updated += len(updates)
    audit.record(
        session,
        actor,
        "reviews.imported",
        "brand",
        brand.id,
        brand_id=brand.id,
        format=report.format,
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
    )
    session.flush()
    return report


# --- the inbox ----------------------------------------------------------------------------------


def negative_clause() -> Any:
    return or_(Review.rating <= 2, Review.sentiment <= NEGATIVE_BELOW)


def unreplied_clause() -> Any:
    return or_(Review.reply_text.is_(None), Review.reply_text == "")


@dataclass
class InboxFilters:
    rating: int | None = None
    source: str | None = None
    replied: bool | None = None
    language: str | None = None
    needs_reply: bool = False

    @classmethod
    def from_args(cls, args: Any) -> InboxFilters:
        """Filters from query arguments; values that are not valid are ignored."""
        rating = args.get("rating", type=int)
        replied = {"yes": True, "no": False}.get(args.get("replied", ""))
        return cls(
            rating=rating if rating in range(1, 6) else None,
            source=(args.get("source") or "").strip().lower() or None,
            replied=replied,
            language=(args.get("language") or "").strip().lower() or None,
            needs_reply=args.get("needs_reply") in ("1", "true", "yes", "on"),
        )


def inbox_query(brand: Brand, filters: InboxFilters) -> Select[tuple[Review]]:
    """Every review of the brand that the filters let through, newest first."""
    query = select(Review).where(Review.brand_id == brand.id)
    if filters.rating is not None:
        query = query.where(Review.rating == filters.rating)
    if filters.source:
        query = query.where(Review.source == filters.source)
    if filters.replied is True:
        query = query.where(~unreplied_clause())
    elif filters.replied is False:
        query = query.where(unreplied_clause())
    if filters.language == "unknown":
        query = query.where(Review.language.is_(None))
    elif filters.language:
        query = query.where(Review.language == filters.language)
    if filters.needs_reply:
        query = query.where(negative_clause(), unreplied_clause())
    return query.order_by(Review.created_at.desc(), Review.id.desc())


def needs_reply(review: Review) -> bool:
    negative = review.rating <= 2 or (
        review.sentiment is not None and review.sentiment <= NEGATIVE_BELOW
    )
    return negative and not (review.reply_text or "").strip()


def waited(review: Review, now: datetime) -> str:
    """How long a review has waited for a reply, in words."""
    seconds = max((now - review.created_at).total_seconds(), 0)
    days = int(seconds // 86400)
    if days >= 2:
        return f"{days} days"
    hours = int(seconds // 3600)
    return f"{hours} hour{'s' if hours != 1 else ''}" if hours else "under an hour"


@dataclass
class InboxSummary:
    total: int
    needs_reply: int
    sources: list[str]
    languages: list[str]


def inbox_summary(session: Session, brand: Brand) -> InboxSummary:
    total = session.scalar(select(func.count(Review.id)).where(Review.brand_id == brand.id)) or 0
    waiting = session.scalar(
        select(func.count(Review.id)).where(
            Review.brand_id == brand.id, negative_clause(), unreplied_clause()
        )
    )
    sources = session.scalars(
        select(Review.source).where(Review.brand_id == brand.id).distinct().order_by(Review.source)
    ).all()
    languages = session.scalars(
        select(Review.language)
        .where(Review.brand_id == brand.id, Review.language.is_not(None))
        .distinct()
        .order_by(Review.language)
    ).all()
    return InboxSummary(total, waiting or 0, list(sources), list(languages))


# --- ranking ------------------------------------------------------------------------------------


def _facts_query(brand: Brand) -> Select[Any]:
    return select(
        Review.id,
        Review.rating,
        Review.sentiment,
        func.length(Review.text),
        Review.detail_count,
        Review.created_at,
        Review.last_promoted_at,
        Review.language,
    ).where(
        Review.brand_id == brand.id,
        Review.rating >= ranking.MIN_RATING,
        Review.text != "",
        or_(Review.sentiment.is_(None), Review.sentiment > NEGATIVE_BELOW),
    )


def _facts(rows: Any) -> Iterator[ranking.ReviewFacts]:
    for review_id, rating, sentiment, length, detail_count, created, promoted, language in rows:
        yield ranking.ReviewFacts(
            review_id, rating, sentiment, length or 0, detail_count, created, promoted, language
        )


@dataclass
class RankedReview:
    review: Review
    ranked: ranking.Ranked


def _with_reviews(
    session: Session, ranked: list[ranking.Ranked], now: datetime
) -> list[RankedReview]:
    """The ranked reviews loaded, each explained with the details it names."""
    by_id = {
        r.id: r
        for r in session.scalars(select(Review).where(Review.id.in_([x.review_id for x in ranked])))
    }
    return [
        RankedReview(by_id[x.review_id], ranking.score(_facts_of(by_id[x.review_id]), now))
        for x in ranked
        if x.review_id in by_id
    ]


def promotable_reviews(
    session: Session, brand: Brand, *, now: datetime, limit: int = 50
) -> list[RankedReview]:
    """The brand's promotable reviews, best first, each with its score breakdown."""
    settings = settings_for(session, brand)
    cutoff = now - timedelta(days=settings.cooldown_days)
    query = _facts_query(brand).where(
        or_(Review.last_promoted_at.is_(None), Review.last_promoted_at <= cutoff)
    )
    ranked = ranking.rank(_facts(session.execute(query)), now, settings.cooldown_days, limit=limit)
    return _with_reviews(session, ranked, now)


# --- promotion ----------------------------------------------------------------------------------


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
        raise ops.NotFound(f"No review {review_id} of {brand.name}.")
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
    for _ in range(60):
        slot = ops.next_free_slot(session, channel, after)
        if slot is None:
            break
        if review_posts_in_week(session, channel, slot) < cap:
            return after
        after = week_bounds(slot, channel.zone)[1]
    raise PlannerError(
        f"{channel.name}: no free slot in a week with fewer than {cap} review posts "
        "within a year; raise the weekly cap or add engagement windows."
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
        raise PlannerError("Choose at least one channel.")
    settings = settings_for(session, brand)
    if any(c.brand_id != brand.id for c in channels):
        raise PlannerError("A review can only be promoted on the brand's own channels.")
    why_not = ranking.promotable(_facts_of(review), now, settings.cooldown_days)
    if why_not:
        raise PlannerError(f"This review cannot be promoted: {why_not}.")
    previews = preview_posts(session, brand, review, channels, image_url=image_url)
    refusals = [f"{p.channel.name}: {reason}" for p in previews for reason in p.refusals]
    if refusals:
        raise PlannerError(*refusals)
    # The weekly cap is counted and the slots found under the channels' planning locks.
    ops.lock_channels(session, [channel.id for channel in channels])
    posts = []
    for preview in previews:
        after = queue_start(session, preview.channel, settings.weekly_cap, now)
        change = ops.create_post(
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


def _facts_of(review: Review) -> ranking.ReviewFacts:
    return ranking.ReviewFacts(
        review.id,
        review.rating,
        review.sentiment,
        len(review.text),
        len(review.details or []),
        review.created_at,
        review.last_promoted_at,
        review.language,
        tuple(review.details or []),
    )


# --- the public page ----------------------------------------------------------------------------


@dataclass
class ReviewsPage:
    brand: Brand
    settings: ReviewSettings
    total: int
    average: float | None
    selected: list[Review]
    latest: datetime | None
    sources: list[str]


def public_page(session: Session, brand: Brand, *, now: datetime) -> ReviewsPage:
    """The count and average of every imported review, and the selection shown."""
    total, average, latest = session.execute(
        select(func.count(Review.id), func.avg(Review.rating), func.max(Review.updated_at)).where(
            Review.brand_id == brand.id
        )
    ).one()
    query = (
        _facts_query(brand).order_by(Review.created_at.desc()).limit(PAGE_CANDIDATES)
    )  # the page ranks the newest candidates; promotion history does not matter here
    ranked = ranking.rank(
        (replace(f, last_promoted_at=None) for f in _facts(session.execute(query))),
        now,
        limit=PAGE_SIZE,
    )
    sources = session.scalars(
        select(Review.source).where(Review.brand_id == brand.id).distinct().order_by(Review.source)
    ).all()
    return ReviewsPage(
        brand=brand,
        settings=settings_for(session, brand),
        total=total or 0,
        average=round(float(average), 2) if average is not None else None,
        selected=[r.review for r in _with_reviews(session, ranked, now)],
        latest=latest,
        sources=[source_name(s) for s in sources],
    )


def json_ld(page: ReviewsPage, page_url: str) -> dict[str, Any]:
    """schema.org Organization with its AggregateRating (the whole set) and the shown reviews."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Organization",
        "name": page.brand.name,
        "url": page_url,
    }
    if page.settings.profile_url:
        data["sameAs"] = [page.settings.profile_url]
    if page.total and page.average is not None:
        data["aggregateRating"] = {
            "@type": "AggregateRating",
            "ratingValue": page.average,
            "reviewCount": page.total,
            "bestRating": 5,
            "worstRating": 1,
        }
    data["review"] = [
        {
            "@type": "Review",
            "author": {"@type": "Person", "name": reviewer_name(r.author)},
            "datePublished": r.created_at.date().isoformat(),
            "reviewRating": {
                "@type": "Rating",
                "ratingValue": r.rating,
                "bestRating": 5,
                "worstRating": 1,
            },
            "reviewBody": r.text,
            **({"name": r.title} if r.title else {}),
            **({"url": r.url} if r.url else {}),
        }
        for r in page.selected
    ]
    return data


# --- the monthly roundup ------------------------------------------------------------------------


@dataclass
class Roundup:
    title: str
    html: str
    text: str
    link: str | None
    reviews: list[Review]


def build_roundup(
    session: Session, brand: Brand, year: int, month: int, *, now: datetime, limit: int = 10
) -> Roundup:
    """A blog post of the month's best reviews, labelled as selected, with the profile link."""
    zone = brand.zone
    start = datetime(year, month, 1, tzinfo=zone).astimezone(UTC)
    days = calendar.monthrange(year, month)[1]
    end = (datetime(year, month, days, tzinfo=zone) + timedelta(days=1)).astimezone(UTC)
    query = _facts_query(brand).where(and_(Review.created_at >= start, Review.created_at < end))
    facts = (replace(f, last_promoted_at=None) for f in _facts(session.execute(query)))
    chosen = _with_reviews(session, ranking.rank(facts, now, limit=limit), now)
    month_name = f"{calendar.month_name[month]} {year}"
    if not chosen:
        raise PlannerError(f"No 4 or 5 star reviews with text from {month_name} to show.")
    settings = settings_for(session, brand)
    title = f"What our customers said in {month_name}"
    profile = settings.profile_url
    note = f"Selected reviews of {brand.name} from {month_name}."
    paragraphs = [note]
    parts = [f"<p>{html.escape(note)}</p>"]
    for item in chosen:
        review = item.review
        who = f"{stars(review.rating)} — {reviewer_name(review.author)} on "
        who += source_name(review.source)
        paragraphs.append(f"“{review.text}”\n{who}")
        cite = html.escape(who)
        if review.url:
            cite = f'<a href="{html.escape(review.url, quote=True)}">{cite}</a>'
        parts.append(
            f"<blockquote><p>{html.escape(review.text)}</p><cite>{cite}</cite></blockquote>"
        )
    if profile:
        closing = f"These are selected reviews. Read every review on the full profile: {profile}"
        parts.append(
            "<p>These are selected reviews. "
            f'<a href="{html.escape(profile, quote=True)}">Read every review</a>.</p>'
        )
    else:
        closing = "These are selected reviews."
        parts.append(f"<p>{closing}</p>")
    paragraphs.append(closing)
    text = title + "\n\n" + "\n\n".join(paragraphs)
    return Roundup(title, "\n".join(parts), text, profile, [c.review for c in chosen])


def post_roundup(
    session: Session,
    brand: Brand,
    actor: User | None,
    *,
    year: int,
    month: int,
    now: datetime,
) -> Post:
    """Queue the month's roundup on the brand's WordPress channel."""
    channel = next((c for c in brand.channels if c.platform == Platform.WORDPRESS.value), None)
    if channel is None:
        raise PlannerError("Add a WordPress blog channel to post review roundups.")
    roundup = build_roundup(session, brand, year, month, now=now)
    refusals = check_do_not_list(session, brand, roundup.text)
    if refusals:
        raise PlannerError(*refusals)
    change = ops.create_post(
        session,
        channel,
        actor,
        text=roundup.text,
        queue=True,
        source=PostSource.REVIEW,
        now=now,
    )
    audit.record(
        session,
        actor,
        "reviews.roundup_created",
        "post",
        change.post.id,
        brand_id=brand.id,
        month=f"{year}-{month:02d}",
        reviews=[r.id for r in roundup.reviews],
    )
    return change.post
