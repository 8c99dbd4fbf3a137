"""Demo data for displacement: a year of weekly checks in which the brand's reviews page and two
case studies push a negative item from 3rd to 12th."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from core.models import User
from core.tenants import Brand
from planner.assets import AssetKind, record_owned_asset
from serp import rules as rule_ops
from serp import upkeep
from serp.checks import store_check
from serp.models import TrackedQuery
from serp.parse.model import SerpResult

WEEKS = 52
DEPTH = 20
BLOCKED_WEEK = 30  # one CAPTCHA page: kept as a gap


def _negative_position(week: int) -> int:
    # 3rd for the first quarter, then pushed down steadily to 12th by week 48.
    if week < 12:
        return 3
    return min(12, 3 + round((week - 12) * 9 / 36))


def _climb(week: int, live: int, best: int) -> int | None:
    """An owned page found 2 weeks after it went live at 20, rising one place a week."""
    if week < live + 2:
        return None
    return max(best, DEPTH - (week - live - 2))


def load_serp_demo(session: Session, brand: Brand, admin: User, now: datetime) -> TrackedQuery:
    """A tracked query for the brand's name with 52 weekly checks ending at ``now``."""
    slug = brand.slug
    negative = f"complaints.example/{slug}-scam"
    reviews = f"{slug}.example/reviews"
    case_one = f"{slug}.example/case-studies/one"
    case_two = f"{slug}.example/case-studies/two"
    first = now - timedelta(weeks=WEEKS - 1)
    query = TrackedQuery(
        brand_id=brand.id, text=brand.name.lower(), depth=DEPTH, provider="manual",
        schedule="manual", importance=2.0, created_by_id=admin.id,
    )  # fmt: skip
    session.add(query)
    session.flush()
    rule_ops.save_rule(
        session, brand.id, admin, match_type="exact", pattern=negative, label="negative",
        note="demo: a complaint page",
    )  # fmt: skip
    rule_ops.save_rule(
        session, brand.id, admin, match_type="domain", pattern="wikipedia.org", label="neutral"
    )
    launches = {reviews: 10, case_one: 20, case_two: 32}
    best = {reviews: 2, case_one: 3, case_two: 4}
    for url, title, kind in (
        (reviews, "Selected reviews", AssetKind.REVIEWS_PAGE),
        (case_one, "Case study: a bakery chain", AssetKind.BLOG_POST),
        (case_two, "Case study: a hotel group", AssetKind.BLOG_POST),
    ):
        record_owned_asset(
            session, brand.id, "https://" + url, kind, first + timedelta(weeks=launches[url]),
            title=title,
        )  # fmt: skip
    for week in range(WEEKS):
        checked_at = first + timedelta(weeks=week)
        if week == BLOCKED_WEEK:
            store_check(
                session, query, status="blocked", results=[], checked_at=checked_at,
                provider="manual", reason="demo: unusual traffic page",
            )  # fmt: skip
            continue
        wanted = {f"en.wikipedia.org/wiki/{slug}": 1, negative: _negative_position(week)}
        for url, live in launches.items():
            position = _climb(week, live, best[url])
            if position is not None:
                wanted[url] = position
        page: dict[int, str] = {}
        # The negative is placed first (its position is the story); others take the next free.
        for url, position in sorted(wanted.items(), key=lambda item: item[0] != negative):
            while position in page:
                position += 1
            page[position] = url
        fillers = iter(f"site{n}.example/{slug}" for n in range(1, 100))
        results = [
            SerpResult(p, "https://" + (page.get(p) or next(fillers)), f"Result {p}", "")
            for p in range(1, DEPTH + 1)
        ]
        store_check(
            session, query, status="ok", results=results, checked_at=checked_at,
            provider="manual",
        )  # fmt: skip
    query.last_checked_at = first + timedelta(weeks=WEEKS - 1)
    # Summarized as recorded checks are, so that pages that only read them (the home
    # overview's brand score) have them from the start.
    upkeep.labels_changed(session, brand.id)
    return query
