"""Replies to reviews: saved replies with placeholders, the brand's voice checks, approval under
the brand's approval rule, then posting through the site's API or marking replied by hand.

``draft → pending_approval → approved → sent`` (through the API) or ``manual`` (posted by a
person). A refused or failed send leaves the reply approved and unsent, with the site's reason.
Operations take explicit arguments and only flush; the caller commits.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.models import Role, User
from core.parsing import DB_INT_MAX
from core.tenants import Brand
from planner.models import PostStatus
from planner.operations import PlannerError, schedule_status
from planner.reviews import posters, review_sites
from planner.reviews.models import Review, source_name
from planner.reviews.rendering import reviewer_name
from planner.reviews.reply_models import (
    REPLY_STATUS_NAMES,
    ReplyStatus,
    ReviewReply,
    SavedReviewReply,
)
from planner.reviews.voice import BLOCKING, check_for_brand

MAX_REPLY = 4000
MAX_TITLE = 120
PLACEHOLDER = re.compile(r"\{([^{}\s]{0,40})\}")
PLACEHOLDERS = {
    "reviewer_name": _l("the reviewer's first name, or “there” when the review has no name"),
    "brand": _l("the brand's name"),
    "rating": _l("the star rating, 1 to 5"),
    "source": _l("the site the review is on, such as Google"),
}
DONE = (ReplyStatus.SENT.value, ReplyStatus.MANUAL.value)


class ReplyNotSent(PlannerError):
    """The site did not take the reply; it stays unsent."""


# --- placeholders and saved replies -------------------------------------------------------------


def unknown_placeholders(text: str) -> list[str]:
    found = {m.group(1) for m in PLACEHOLDER.finditer(text)}
    return sorted(found - set(PLACEHOLDERS))


def _placeholder_error(unknown: list[str]) -> str:
    names = ", ".join("{" + n + "}" for n in unknown)
    known = ", ".join("{" + n + "}" for n in PLACEHOLDERS)
    return _(
        "Unknown placeholder %(names)s: the placeholders are %(known)s.", names=names, known=known
    )


def fill_placeholders(text: str, review: Review, brand: Brand) -> str:
    """The text with each placeholder replaced for this review; an unknown one is refused."""
    unknown = unknown_placeholders(text)
    if unknown:
        raise PlannerError(_placeholder_error(unknown))
    first = reviewer_name(review.author or "").split()[0] if (review.author or "").strip() else ""
    values = {
        "reviewer_name": first or "there",
        "brand": brand.name,
        "rating": str(review.rating),
        "source": source_name(review.source),
    }
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def saved_replies(session: Session, brand: Brand) -> list[SavedReviewReply]:
    return list(
        session.scalars(
            select(SavedReviewReply)
            .where(SavedReviewReply.brand_id == brand.id)
            .order_by(SavedReviewReply.title, SavedReviewReply.id)
        )
    )


def saved_reply_of(session: Session, brand: Brand, saved_id: int) -> SavedReviewReply:
    fits = isinstance(saved_id, int) and 1 <= saved_id <= DB_INT_MAX
    saved = session.get(SavedReviewReply, saved_id) if fits else None
    if saved is None or saved.brand_id != brand.id:
        raise PlannerError(_("No saved reply %(id)s of %(brand)s.", id=saved_id, brand=brand.name))
    return saved


def create_saved_reply(
    session: Session, brand: Brand, actor: User, title: Any, text: Any
) -> SavedReviewReply:
    if not actor.has_role(Role.EDITOR):
        raise PlannerError(_("Viewers cannot change saved replies."))
    errors = []
    title = title.strip() if isinstance(title, str) else ""
    text = text.replace("\r\n", "\n").strip() if isinstance(text, str) else ""
    if not title:
        errors.append(_("Give the saved reply a title."))
    elif len(title) > MAX_TITLE:
        errors.append(_("The title is longer than %(num)d characters.", num=MAX_TITLE))
    if not text:
        errors.append(_("Write the saved reply's text."))
    elif len(text) > MAX_REPLY:
        errors.append(_("The text is longer than %(num)d characters.", num=MAX_REPLY))
    unknown = unknown_placeholders(text)
    if unknown:
        errors.append(_placeholder_error(unknown))
    if errors:
        raise PlannerError(*errors)
    saved = SavedReviewReply(brand_id=brand.id, title=title, text=text)
    session.add(saved)
    session.flush()
    audit.record(
        session, actor, "reviews.saved_reply_created", "brand", brand.id, brand_id=brand.id
    )
    return saved


def delete_saved_reply(session: Session, brand: Brand, actor: User, saved_id: int) -> None:
    if not actor.has_role(Role.EDITOR):
        raise PlannerError(_("Viewers cannot change saved replies."))
    session.delete(saved_reply_of(session, brand, saved_id))
    session.flush()


# --- the reply ----------------------------------------------------------------------------------


def reply_states(session: Session, review_ids: list[int]) -> dict[int, str]:
    """The state of each review's reply, for the inbox."""
    if not review_ids:
        return {}
    rows = session.execute(
        select(ReviewReply.review_id, ReviewReply.status).where(
            ReviewReply.review_id.in_(review_ids)
        )
    )
    return {review_id: status for review_id, status in rows}


def waiting_replies(session: Session, brand: Brand) -> list[tuple[ReviewReply, Review]]:
    """The brand's replies waiting for approval, the oldest first."""
    rows = session.execute(
        select(ReviewReply, Review)
        .join(Review, Review.id == ReviewReply.review_id)
        .where(
            Review.brand_id == brand.id,
            ReviewReply.status == ReplyStatus.PENDING_APPROVAL.value,
        )
        .order_by(ReviewReply.updated_at, ReviewReply.id)
    )
    return [(reply, review) for reply, review in rows]


def reply_of(session: Session, review: Review) -> ReviewReply | None:
    return session.scalar(select(ReviewReply).where(ReviewReply.review_id == review.id))


def _lock(session: Session, review: Review) -> ReviewReply | None:
    """The review's reply, locked on PostgreSQL so two people acting at once take turns."""
    query = select(ReviewReply).where(ReviewReply.review_id == review.id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.scalar(query.execution_options(populate_existing=True))


def save_reply(
    session: Session,
    brand: Brand,
    review: Review,
    actor: User,
    text: Any,
    *,
    submit: bool,
    now: datetime,
    saved_reply_id: int | None = None,
) -> ReviewReply:
    """Save the reply as a draft, or submit it: it is approved at once or waits for an approver
    as the brand's approval rule says. Words on the do-not list refuse it; the voice guide's
    other warnings are kept with it for the approver."""
    if not actor.has_role(Role.EDITOR):
        raise PlannerError(_("Viewers cannot write replies."))
    if not isinstance(text, str) or not text.strip():
        raise PlannerError(_("Write the reply first."))
    text = fill_placeholders(text.replace("\r\n", "\n").strip(), review, brand)
    if len(text) > MAX_REPLY:
        raise PlannerError(_("The reply is longer than %(num)d characters.", num=MAX_REPLY))
    if saved_reply_id is not None:
        saved_reply_of(session, brand, saved_reply_id)
    reply = _lock(session, review)
    if reply is not None and reply.status in DONE:
        raise PlannerError(_("This review has been replied to already; the reply cannot change."))
    warnings = check_for_brand(session, brand, text)
    blocking = [w.reason for w in warnings if w.code in BLOCKING]
    if blocking and submit:
        raise PlannerError(*blocking)
    if reply is None:
        reply = ReviewReply(review_id=review.id, created_at=now)
        session.add(reply)
    reply.text = text
    reply.saved_reply_id = saved_reply_id
    reply.warnings = [w.as_dict() for w in warnings]
    reply.author_id = actor.id
    reply.approved_by_id = None
    reply.last_error = None
    reply.updated_at = now
    if submit:
        waits = schedule_status(brand, actor) == PostStatus.PENDING_APPROVAL
        reply.status = (ReplyStatus.PENDING_APPROVAL if waits else ReplyStatus.APPROVED).value
    else:
        reply.status = ReplyStatus.DRAFT.value
    session.flush()
    audit.record(
        session,
        actor,
        "review.reply_submitted" if submit else "review.reply_saved",
        "review",
        review.id,
        brand_id=brand.id,
        status=reply.status,
        warnings=[w.code for w in warnings],
    )
    return reply


def approvers_for(session: Session, brand: Brand, reply: ReviewReply) -> list[User]:
    """Members who may approve this reply (not its author when two people are needed)."""
    from core.tenants import BrandMember

    members = session.scalars(
        select(User)
        .join(BrandMember, BrandMember.user_id == User.id)
        .where(BrandMember.brand_id == brand.id, User.active.is_(True))
        .order_by(User.email)
    )
    return [
        u
        for u in members
        if u.has_role(Role.APPROVER) and not (brand.requires_two_people and u.id == reply.author_id)
    ]


def may_approve(brand: Brand, reply: ReviewReply, user: User) -> bool:
    if not user.has_role(Role.APPROVER) or reply.status != ReplyStatus.PENDING_APPROVAL:
        return False
    return not (brand.requires_two_people and reply.author_id == user.id)


def approve_reply(
    session: Session,
    brand: Brand,
    review: Review,
    approver: User,
    *,
    override_reason: str | None = None,
) -> ReviewReply:
    """Approve a waiting reply. Under the two-person rule nobody approves their own, except an
    admin who states why (kept in the audit log), as with posts."""
    if not approver.has_role(Role.APPROVER):
        raise PlannerError(_("Only approvers approve or reject replies."))
    reply = _lock(session, review)
    if reply is None or reply.status != ReplyStatus.PENDING_APPROVAL:
        state = REPLY_STATUS_NAMES.get(reply.status, reply.status) if reply else _("not written")
        raise PlannerError(_("This reply is %(state)s, not waiting for approval.", state=state))
    override = (override_reason or "").strip()
    if brand.requires_two_people and reply.author_id == approver.id:
        if not approver.has_role(Role.ADMIN):
            raise PlannerError(
                _(
                    "%(brand)s needs two people: another approver must approve your own reply.",
                    brand=brand.name,
                )
            )
        if not override:
            raise PlannerError(
                _(
                    "%(brand)s needs two people: another approver must approve your own reply. "
                    "As an admin you may approve it yourself by stating why.",
                    brand=brand.name,
                )
            )
    else:
        override = ""
    reply.status = ReplyStatus.APPROVED.value
    reply.approved_by_id = approver.id
    session.flush()
    audit.record(
        session,
        approver,
        "review.reply_approved",
        "review",
        review.id,
        brand_id=brand.id,
        **({"own_reply_override": override[:2000]} if override else {}),
    )
    return reply


def reject_reply(
    session: Session, brand: Brand, review: Review, approver: User, reason: Any
) -> ReviewReply:
    if not approver.has_role(Role.APPROVER):
        raise PlannerError(_("Only approvers approve or reject replies."))
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        raise PlannerError(_("Say why the reply is rejected, so its author can fix it."))
    reply = _lock(session, review)
    if reply is None or reply.status != ReplyStatus.PENDING_APPROVAL:
        raise PlannerError(_("This reply is not waiting for approval."))
    reply.status = ReplyStatus.DRAFT.value
    reply.last_error = f"Rejected: {reason[:2000]}"
    session.flush()
    audit.record(
        session,
        approver,
        "review.reply_rejected",
        "review",
        review.id,
        brand_id=brand.id,
        reason=reason[:2000],
    )
    return reply


def _approved_reply(session: Session, review: Review) -> ReviewReply:
    reply = _lock(session, review)
    if reply is None:
        raise PlannerError(_("Write and submit the reply first."))
    if reply.status in DONE:
        raise PlannerError(_("This review has been replied to already."))
    if reply.status != ReplyStatus.APPROVED:
        raise PlannerError(
            _(
                "The reply is %(state)s: it is posted once it is approved.",
                state=REPLY_STATUS_NAMES.get(reply.status, reply.status),
            )
        )
    return reply


def _mark_replied(
    session: Session, review: Review, reply: ReviewReply, actor: User, status: str, now: datetime
) -> None:
    reply.status = status
    reply.sent_at = now
    reply.sent_by_id = actor.id
    reply.last_error = None
    review.reply_text = reply.text
    review.reply_at = now
    review.updated_at = now


def send_reply(
    session: Session,
    brand: Brand,
    review: Review,
    actor: User,
    config: Mapping[str, Any],
    now: datetime,
) -> ReviewReply:
    """Post the approved reply through the site's API. When the site does not take it, the
    reply stays approved and unsent with the reason in ``last_error``, and ``ReplyNotSent`` is
    raised after that reason is flushed (the caller commits it)."""
    if not actor.has_role(Role.EDITOR):
        raise PlannerError(_("Viewers cannot send replies."))
    poster = posters.POSTERS.get(review.source)
    if poster is None:
        raise PlannerError(
            _(
                "%(site)s has no API for replies: copy the reply, post it on the review's page "
                "and mark it replied.",
                site=source_name(review.source),
            )
        )
    reply = _approved_reply(session, review)
    connection = review_sites.connection_for(session, brand, review.source)
    if connection is None:
        raise PlannerError(
            _(
                "%(site)s is not connected for %(brand)s: connect it under Reviews → Replies "
                "settings, or post the reply by hand.",
                site=review_sites.SITE_LABELS[review.source],
                brand=brand.name,
            )
        )
    try:
        posted = poster(session, review, reply.text, connection, config, now)
    except review_sites.SiteProblem as exc:
        reply.last_error = exc.errors[0]
        connection.last_error = exc.errors[0]
        session.flush()
        audit.record(
            session,
            actor,
            "review.reply_failed",
            "review",
            review.id,
            brand_id=brand.id,
            reason=exc.errors[0][:500],
        )
        raise ReplyNotSent(exc.errors[0]) from None
    _mark_replied(session, review, reply, actor, ReplyStatus.SENT.value, now)
    connection.last_error = None
    session.flush()
    audit.record(
        session,
        actor,
        "review.reply_sent",
        "review",
        review.id,
        brand_id=brand.id,
        via=review.source,
        status_code=posted.status_code,
    )
    return reply


def mark_replied_by_hand(
    session: Session, brand: Brand, review: Review, actor: User, now: datetime
) -> ReviewReply:
    """Record that a person posted the approved reply on the review's page themselves."""
    if not actor.has_role(Role.EDITOR):
        raise PlannerError(_("Viewers cannot mark reviews replied."))
    reply = _approved_reply(session, review)
    _mark_replied(session, review, reply, actor, ReplyStatus.MANUAL.value, now)
    session.flush()
    audit.record(
        session, actor, "review.reply_marked", "review", review.id, brand_id=brand.id, via="manual"
    )
    return reply


def reply_dict(reply: ReviewReply | None) -> dict[str, Any] | None:
    from core.api import iso

    if reply is None:
        return None
    return {
        "id": reply.id,
        "review_id": reply.review_id,
        "text": reply.text,
        "status": reply.status,
        "warnings": reply.warnings or [],
        "author_id": reply.author_id,
        "approved_by_id": reply.approved_by_id,
        "sent_at": iso(reply.sent_at),
        "last_error": reply.last_error,
    }
