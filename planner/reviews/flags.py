"""Flagging a review that breaks its site's own guidelines, for removal by the site.

A flag has a reason from a fixed list, the link to the site's report form and a state:
``flagged → reported → removed`` or ``kept``. The review stays in the inbox, with a badge,
whatever the state: PageOne never hides a review, and only the site can remove one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.api import iso
from core.models import Role, User
from core.tenants import Brand
from planner.operations import PlannerError
from planner.reviews.models import Review, source_name
from planner.reviews.reply_models import (
    FLAG_REASON_LABELS,
    FLAG_STATE_NAMES,
    OPEN_FLAG_STATES,
    FlagReason,
    FlagState,
    ReviewFlag,
)

# Where each site says how its reports of reviews that break its guidelines are made.
REPORT_FORMS = {
    "google": "https://support.google.com/business/answer/4596773",
    "trustpilot": "https://support.trustpilot.com/hc/en-us/articles/202194328",
    "yelp": "https://www.yelp-support.com/article/How-do-I-report-a-review",
    "facebook": "https://www.facebook.com/help/439579382762400",
    "tripadvisor": "https://www.tripadvisor.com/help/how_do_i_report_a_review",
}
# Which states a flag may move to from each state.
MOVES = {
    FlagState.FLAGGED.value: (FlagState.REPORTED.value, FlagState.KEPT.value),
    FlagState.REPORTED.value: (FlagState.REMOVED.value, FlagState.KEPT.value),
    FlagState.REMOVED.value: (),
    FlagState.KEPT.value: (),
}
MAX_NOTE = 2000


def report_form(review: Review) -> str | None:
    """The site's form for reporting this review, or the review's own page when unknown."""
    return REPORT_FORMS.get(review.source) or review.url


def open_flag(session: Session, review: Review) -> ReviewFlag | None:
    return session.scalar(
        select(ReviewFlag)
        .where(ReviewFlag.review_id == review.id, ReviewFlag.state.in_(OPEN_FLAG_STATES))
        .order_by(ReviewFlag.id.desc())
        .limit(1)
    )


def flags_of(session: Session, review: Review) -> list[ReviewFlag]:
    return list(
        session.scalars(
            select(ReviewFlag).where(ReviewFlag.review_id == review.id).order_by(ReviewFlag.id)
        )
    )


def latest_flags(session: Session, review_ids: list[int]) -> dict[int, ReviewFlag]:
    """Each review's latest flag, for the inbox's badges."""
    if not review_ids:
        return {}
    rows = session.scalars(
        select(ReviewFlag).where(ReviewFlag.review_id.in_(review_ids)).order_by(ReviewFlag.id)
    )
    return {flag.review_id: flag for flag in rows}


def flag_review(
    session: Session,
    brand: Brand,
    review: Review,
    actor: User,
    reason: Any,
    note: Any,
    now: datetime,
) -> ReviewFlag:
    """Flag the review for removal, with the reason; one open flag per review."""
    if not actor.has_role(Role.EDITOR):
        raise PlannerError(_("Viewers cannot flag reviews."))
    errors = []
    if not isinstance(reason, str) or reason not in {r.value for r in FlagReason}:
        errors.append(
            _(
                "Choose the guideline the review breaks: %(reasons)s.",
                reasons=", ".join(str(FLAG_REASON_LABELS[r]).lower() for r in FlagReason),
            )
        )
    note = note.strip() if isinstance(note, str) else ""
    if len(note) > MAX_NOTE:
        errors.append(_("The note is longer than %(num)d characters.", num=MAX_NOTE))
    if errors:
        raise PlannerError(*errors)
    if open_flag(session, review) is not None:
        raise PlannerError(_("This review is flagged already; move that flag on instead."))
    flag = ReviewFlag(
        review_id=review.id,
        reason=reason,
        note=note,
        state=FlagState.FLAGGED.value,
        report_url=report_form(review),
        created_by_id=actor.id,
        created_at=now,
    )
    session.add(flag)
    session.flush()
    audit.record(
        session, actor, "review.flagged", "review", review.id, brand_id=brand.id, reason=reason
    )
    return flag


def move_flag(
    session: Session,
    brand: Brand,
    review: Review,
    actor: User,
    state: Any,
    now: datetime,
) -> ReviewFlag:
    """Move the review's open flag on: reported, then removed or kept."""
    if not actor.has_role(Role.EDITOR):
        raise PlannerError(_("Viewers cannot change flags."))
    flag = open_flag(session, review)
    if flag is None:
        raise PlannerError(_("This review has no open flag."))
    allowed = MOVES[flag.state]
    if not isinstance(state, str) or state not in allowed:
        raise PlannerError(
            _(
                "A %(state)s flag can become %(first)s or %(second)s, not “%(asked)s”.",
                state=FLAG_STATE_NAMES.get(flag.state, flag.state),
                first=FLAG_STATE_NAMES.get(allowed[0], allowed[0]),
                second=FLAG_STATE_NAMES.get(allowed[-1], allowed[-1]),
                asked=str(state)[:40],
            )
        )
    flag.state = state
    if state == FlagState.REPORTED:
        flag.reported_at = now
    else:
        flag.resolved_at = now
    session.flush()
    audit.record(session, actor, f"review.flag_{state}", "review", review.id, brand_id=brand.id)
    return flag


def flag_dict(flag: ReviewFlag | None) -> dict[str, Any] | None:
    if flag is None:
        return None
    return {
        "id": flag.id,
        "review_id": flag.review_id,
        "reason": flag.reason,
        "reason_label": str(FLAG_REASON_LABELS[FlagReason(flag.reason)]),
        "note": flag.note,
        "state": flag.state,
        "report_url": flag.report_url,
        "created_at": iso(flag.created_at),
        "reported_at": iso(flag.reported_at),
        "resolved_at": iso(flag.resolved_at),
    }


def site_label(review: Review) -> str:
    return source_name(review.source)
