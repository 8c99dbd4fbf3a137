"""The brand's "do-not" list: phrases a post must never use, plus built-in rules every brand has.

The built-in rules refuse posts that offer something in exchange for a review (a discount, a
gift, a prize, a draw entry…) or that ask only happy customers to review: the US FTC rule on
consumer reviews (16 CFR 465) and Google's and Trustpilot's policies forbid both.

Importable without the rest of the reviews package, so the planner can check every post.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.tenants import Brand

_INCENTIVE = (
    r"discount|coupon|voucher|gift(?:\s*card)?|reward|prize|giveaway|free\s+\w+|cash\s*back|"
    r"cashback|raffle|draw|sweepstakes?|\d+\s*%\s*off|money\s+off|refund|points|credit"
)
_REVIEW = r"reviews?|rating|rate\s+us|stars?|feedback\s+on\s+(?:google|yelp|trustpilot)"
_GAP = r"[^.!?\n]{0,80}?"
BUILT_IN_RULES: list[tuple[re.Pattern[str], Any]] = [
    (
        re.compile(
            rf"\b(?:{_INCENTIVE})\b{_GAP}\b(?:for|in exchange for|when you|if you)\b{_GAP}"
            rf"\b(?:{_REVIEW})\b",
            re.IGNORECASE,
        ),
        _l("offers something in exchange for a review"),
    ),
    (
        re.compile(
            rf"\b(?:leave|write|post|give)\b{_GAP}\b(?:{_REVIEW})\b{_GAP}\b(?:get|receive|win|"
            rf"earn|enter)\b{_GAP}\b(?:{_INCENTIVE})\b",
            re.IGNORECASE,
        ),
        _l("offers something in exchange for a review"),
    ),
    (
        re.compile(
            rf"\b(?:only|just)\b{_GAP}\b(?:happy|satisfied|5[- ]star|five[- ]star)\b{_GAP}"
            rf"\b(?:customers?|guests?|clients?)\b{_GAP}\b(?:{_REVIEW}|review)\b",
            re.IGNORECASE,
        ),
        _l("asks only happy customers for reviews"),
    ),
    (
        re.compile(
            r"\b(?:if you (?:loved|liked|enjoyed)|happy with)\b[^.!?\n]{0,60}\breview\b"
            r"[^.!?\n]{0,80}\b(?:otherwise|if not|if you didn't|unhappy)\b",
            re.IGNORECASE,
        ),
        _l("steers unhappy customers away from reviewing"),
    ),
]
RULE_NOTE = _l("not allowed: US FTC 16 CFR 465 and the review sites' policies")


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def brand_phrases(session: Session, brand: Brand) -> list[str]:
    from planner.reviews.models import ReviewSettings

    stored = session.scalar(
        select(ReviewSettings.do_not_phrases).where(ReviewSettings.brand_id == brand.id)
    )
    return [p.strip() for p in (stored or "").splitlines() if p.strip()]


def check_do_not_list(session: Session, brand: Brand, text: str) -> list[str]:
    """Reasons the text may not be published for this brand; [] when it may."""
    reasons: list[str] = []
    for pattern, what in BUILT_IN_RULES:
        match = pattern.search(text)
        if match:
            quoted = " ".join(match.group(0).split())[:80]
            reasons.append(
                _("“%(quoted)s” %(what)s; %(rule)s.", quoted=quoted, what=what, rule=RULE_NOTE)
            )
    folded = _fold(text)
    for phrase in brand_phrases(session, brand):
        # Whole words only: "free" on the list does not refuse "carefree".
        if re.search(r"(?<!\w)" + re.escape(_fold(phrase)) + r"(?!\w)", folded):
            reasons.append(
                _("“%(phrase)s” is on %(brand)s's do-not list.", phrase=phrase, brand=brand.name)
            )
    return reasons
