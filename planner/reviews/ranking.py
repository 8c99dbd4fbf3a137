"""Which reviews to promote first, and why: a score out of 100 in four explained parts.

- rating (40): five stars 40, four stars 30.
- sentiment (25): VADER's compound score mapped from -1..1 to 0..25 for English text; other
  languages (and text the detector was unsure of) take the rating's share instead.
- specificity (20): length up to 400 characters (10), and concrete details such as numbers and
  names of products or staff (2.5 each, up to 10). Specific reviews persuade; "Great!" does not.
- recency (15): halves every 180 days.

Only reviews of four or five stars with text, whose text does not read negative, and that were
not promoted within the brand's cool-down (90 days by default) are promotable.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from core.sentiment import NEGATIVE_BELOW

WEIGHTS = {"rating": 40.0, "sentiment": 25.0, "specificity": 20.0, "recency": 15.0}
PART_NAMES = {
    "rating": _l("Rating"),
    "sentiment": _l("Sentiment"),
    "specificity": _l("Specificity"),
    "recency": _l("Recency"),
}
MIN_RATING = 4
LENGTH_FOR_FULL_MARKS = 400
POINTS_PER_DETAIL = 2.5
HALF_LIFE_DAYS = 180


@dataclass(frozen=True)
class ReviewFacts:
    """What ranking reads of a review (a row of the reviews table, or a test's own)."""

    id: int
    rating: int
    sentiment: float | None
    text_length: int
    detail_count: int
    created_at: datetime
    last_promoted_at: datetime | None
    language: str | None = None
    details: tuple[str, ...] = ()  # the details themselves, for the explanation


@dataclass
class Ranked:
    review_id: int
    score: float
    parts: dict[str, float]
    reasons: dict[str, str] = field(default_factory=dict)


def promotable(facts: ReviewFacts, now: datetime, cooldown_days: int) -> str | None:
    """None when the review may be promoted, else the reason it may not."""
    if facts.rating < MIN_RATING:
        return _("%(num)d stars: only 4 and 5 star reviews are promoted", num=facts.rating)
    if facts.text_length == 0:
        return _("no text to quote")
    if facts.sentiment is not None and facts.sentiment <= NEGATIVE_BELOW:
        return _("the text reads negative (sentiment %(score)s)", score=f"{facts.sentiment:+.2f}")
    if facts.last_promoted_at is not None:
        again = facts.last_promoted_at + timedelta(days=cooldown_days)
        if again > now:
            return _(
                "promoted on %(day)s; again from %(again)s",
                day=f"{facts.last_promoted_at:%Y-%m-%d}",
                again=f"{again:%Y-%m-%d}",
            )
    return None


def _parts(facts: ReviewFacts, now: datetime) -> tuple[float, float, float, float, float]:
    rating_share = (facts.rating - 1) / 4
    rating = WEIGHTS["rating"] * rating_share
    if facts.sentiment is not None:
        sentiment = WEIGHTS["sentiment"] * (facts.sentiment + 1) / 2
    else:
        sentiment = WEIGHTS["sentiment"] * rating_share
    length_points = min(facts.text_length / LENGTH_FOR_FULL_MARKS, 1.0) * 10
    specificity = length_points + min(facts.detail_count * POINTS_PER_DETAIL, 10.0)
    age_days = max((now - facts.created_at).total_seconds() / 86400, 0.0)
    recency = WEIGHTS["recency"] * 0.5 ** (age_days / HALF_LIFE_DAYS)
    return rating, sentiment, specificity, recency, age_days


def total(facts: ReviewFacts, now: datetime) -> float:
    """The score alone, without its explanation: what ranking many reviews needs."""
    return sum(_parts(facts, now)[:4])


def score(facts: ReviewFacts, now: datetime) -> Ranked:
    """The review's score and the reason behind each part."""
    rating, sentiment, specificity, recency, age_days = _parts(facts, now)
    if facts.sentiment is not None:
        sentiment_why = _(
            "VADER compound %(score)s (English text)", score=f"{facts.sentiment:+.2f}"
        )
    else:
        language = facts.language or _("unknown language")
        sentiment_why = _(
            "from the rating (%(language)s: text sentiment is read for English only)",
            language=language,
        )
    if facts.details:
        shown = ", ".join(facts.details[:4])
    else:
        shown = (
            _("%(num)d found", num=facts.detail_count) if facts.detail_count else _("none found")
        )
    parts = {
        "rating": round(rating, 1),
        "sentiment": round(sentiment, 1),
        "specificity": round(specificity, 1),
        "recency": round(recency, 1),
    }
    reasons = {
        "rating": _("%(num)s of 5 stars", num=facts.rating),
        "sentiment": sentiment_why,
        "specificity": ngettext(
            "%(num)d character; details: %(details)s",
            "%(num)d characters; details: %(details)s",
            facts.text_length,
            details=shown,
        ),
        "recency": ngettext("%(num)d day old", "%(num)d days old", round(age_days)),
    }
    return Ranked(facts.id, round(sum(parts.values()), 1), parts, reasons)


def rank(
    reviews: Iterable[ReviewFacts], now: datetime, cooldown_days: int = 90, limit: int | None = None
) -> list[Ranked]:
    """Promotable reviews, best first (ties: the older review id first, for a stable order)."""
    eligible = [f for f in reviews if promotable(f, now, cooldown_days) is None]
    keyed = ((-total(f, now), f.id, f) for f in eligible)
    best = heapq.nsmallest(limit, keyed) if limit is not None else sorted(keyed)
    return [score(f, now) for _, _, f in best]
