"""The monthly roundup post of the best reviews."""

from __future__ import annotations

import calendar
import html
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_
from sqlalchemy.orm import Session

from core import audit
from core.i18n import language, local_date
from core.models import User
from core.tenants import Brand
from planner.models import Platform, Post, PostSource
from planner.operations import PlannerError, create_post
from planner.reviews import ranking
from planner.reviews.donot import check_do_not_list
from planner.reviews.models import Review, source_name
from planner.reviews.promotable import facts_from_rows, facts_query, with_reviews
from planner.reviews.rendering import reviewer_name, stars
from planner.reviews.settings import settings_for


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
    query = facts_query(brand).where(and_(Review.created_at >= start, Review.created_at < end))
    facts = (replace(f, last_promoted_at=None) for f in facts_from_rows(session.execute(query)))
    chosen = with_reviews(session, ranking.rank(facts, now, limit=limit), now)
    if not chosen:
        raise PlannerError(
            _(
                "No 4 or 5 star reviews with text from %(month)s to show.",
                month=local_date(date(year, month, 1), skeleton="yMMMM"),
            )
        )
    settings = settings_for(session, brand)
    profile = settings.profile_url
    with language(brand.language):  # published on the brand's blog: in the brand's language
        month_name = local_date(date(year, month, 1), skeleton="yMMMM")
        title = _("What our customers said in %(month)s", month=month_name)
        note = _("Selected reviews of %(brand)s from %(month)s.", brand=brand.name,
                 month=month_name)  # fmt: skip
        paragraphs = [note]
        parts = [f"<p>{html.escape(note)}</p>"]
        for item in chosen:
            review = item.review
            who = _(
                "%(stars)s — %(reviewer)s on %(site)s",
                stars=stars(review.rating),
                reviewer=reviewer_name(review.author),
                site=source_name(review.source),
            )
            paragraphs.append(f"“{review.text}”\n{who}")
            cite = html.escape(who)
            if review.url:
                cite = f'<a href="{html.escape(review.url, quote=True)}">{cite}</a>'
            parts.append(
                f"<blockquote><p>{html.escape(review.text)}</p><cite>{cite}</cite></blockquote>"
            )
        selected = _("These are selected reviews.")
        if profile:
            closing = _(
                "These are selected reviews. Read every review on the full profile: %(url)s",
                url=profile,
            )
            read = html.escape(_("Read every review"))
            link = f'<a href="{html.escape(profile, quote=True)}">{read}</a>'
            parts.append(f"<p>{html.escape(selected)} {link}.</p>")
        else:
            closing = selected
            parts.append(f"<p>{html.escape(closing)}</p>")
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
        raise PlannerError(_("Add a WordPress blog channel to post review roundups."))
    roundup = build_roundup(session, brand, year, month, now=now)
    refusals = check_do_not_list(session, brand, roundup.text)
    if refusals:
        raise PlannerError(*refusals)
    change = create_post(
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
