"""The inbox: finding, filtering and assigning mentions, their states, saved replies and bulk
actions.

Operations take explicit arguments (the session, the acting user, ``now``) and only flush; the
caller commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from core import audit
from core.errors import NotFound
from core.i18n import number
from core.models import Role, User
from core.parsing import parse_int
from core.tenants import Brand, BrandMember, is_member
from listening.models import OPEN_STATES, Mention, MentionState, SavedReply, state_name
from listening.operations import MAX_NAME_LENGTH, ListeningError
from listening.replies import record_reply


def mention_for(session: Session, user: User, mention_id: int) -> Mention:
    mention = session.get(Mention, mention_id)
    if mention is None or not is_member(session, user, mention.brand_id):
        raise NotFound(f"No mention {mention_id} that you can see.")
    return mention


@dataclass
class InboxFilters:
    state: str | None = None
    sentiment: str | None = None
    source_id: int | None = None
    assignee_id: int | None = None  # 0: unassigned
    overdue: bool = False


def parse_filters(args: Mapping[str, Any]) -> InboxFilters:
    def as_int(name: str) -> int | None:
        return parse_int(args.get(name), name, minimum=0)

    state = str(args.get("state") or "").strip() or None
    if state not in (None, "open", *[s.value for s in MentionState]):
        raise ListeningError(f"Unknown state {state!r}.")
    sentiment = str(args.get("sentiment") or "").strip() or None
    if sentiment not in (None, "positive", "negative", "neutral"):
        raise ListeningError(f"Unknown sentiment {sentiment!r}.")
    return InboxFilters(
        state=state,
        sentiment=sentiment,
        source_id=as_int("source"),
        assignee_id=as_int("assignee"),
        overdue=str(args.get("overdue") or "") in ("1", "true", "yes", "on"),
    )


def inbox_query(brand_id: int, filters: InboxFilters, now: datetime) -> Select[tuple[Mention]]:
    query = select(Mention).where(Mention.brand_id == brand_id)
    if filters.state == "open":
        query = query.where(Mention.state.in_(OPEN_STATES))
    elif filters.state:
        query = query.where(Mention.state == filters.state)
    if filters.sentiment:
        query = query.where(Mention.sentiment_label == filters.sentiment)
    if filters.source_id:
        query = query.where(Mention.source_id == filters.source_id)
    if filters.assignee_id == 0:
        query = query.where(Mention.assignee_id.is_(None))
    elif filters.assignee_id:
        query = query.where(Mention.assignee_id == filters.assignee_id)
    if filters.overdue:
        query = query.where(Mention.state.in_(OPEN_STATES), Mention.due_at <= now)
    return query.order_by(Mention.published_at.desc(), Mention.id.desc())


def is_overdue(mention: Mention, now: datetime) -> bool:
    return mention.state in OPEN_STATES and mention.due_at <= now


def set_state(
    session: Session, mention: Mention, actor: User, state: str, now: datetime
) -> Mention:
    try:
        new = MentionState(state)
    except ValueError:
        raise ListeningError(
            f"'state' must be one of: {', '.join(s.value for s in MentionState)}."
        ) from None
    if new is MentionState.REPLIED and not mention.replies:
        raise ListeningError(_("Reply first, or use 'mark replied' with the text you sent."))
    before = mention.state
    mention.state = new.value
    audit.record(
        session,
        actor,
        "mention.state",
        "mention",
        mention.id,
        brand_id=mention.brand_id,
        before=before,
        after=new.value,
    )
    session.flush()
    return mention


def brand_members(session: Session, brand_id: int) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(BrandMember, BrandMember.user_id == User.id)
            .where(BrandMember.brand_id == brand_id, User.active.is_(True))
            .order_by(User.email)
        )
    )


def _check_assignee(session: Session, brand_id: int, assignee_id: int | None) -> User | None:
    if assignee_id is None:
        return None
    member = next((u for u in brand_members(session, brand_id) if u.id == assignee_id), None)
    if member is None:
        raise ListeningError(_("The assignee must be an active member of the brand."))
    return member


def assign(session: Session, mention: Mention, actor: User, assignee_id: int | None) -> Mention:
    _check_assignee(session, mention.brand_id, assignee_id)
    return _assign(session, mention, actor, assignee_id)


def _assign(session: Session, mention: Mention, actor: User, assignee_id: int | None) -> Mention:
    mention.assignee_id = assignee_id
    # A new assignee gets their own overdue alert.
    mention.overdue_alerted_at = None
    audit.record(
        session,
        actor,
        "mention.assigned",
        "mention",
        mention.id,
        brand_id=mention.brand_id,
        assignee_id=assignee_id,
    )
    session.flush()
    return mention


def saved_replies_of(session: Session, brand_id: int) -> list[SavedReply]:
    return list(
        session.scalars(
            select(SavedReply).where(SavedReply.brand_id == brand_id).order_by(SavedReply.title)
        )
    )


def create_saved_reply(
    session: Session, brand: Brand, actor: User, title: str, text: str
) -> SavedReply:
    title, text = (title or "").strip(), (text or "").strip()
    if not title or not text:
        raise ListeningError(_("A saved reply needs a title and a text."))
    if len(title) > MAX_NAME_LENGTH:
        raise ListeningError(
            _(
                "The title is %(length)s characters long; keep it to %(most)s or fewer.",
                length=number(len(title)),
                most=MAX_NAME_LENGTH,
            )
        )
    saved = SavedReply(brand_id=brand.id, title=title, text=text)
    session.add(saved)
    session.flush()
    audit.record(
        session, actor, "listening.saved_reply", "saved_reply", saved.id, brand_id=brand.id
    )
    return saved


def brand_admins(session: Session, brand_id: int) -> list[User]:
    return [u for u in brand_members(session, brand_id) if u.has_role(Role.ADMIN)]


# --- bulk actions -------------------------------------------------------------------------------

BULK_ACTIONS = ("assign", "set_state", "mark_replied")
# "Select all on this page" selects one inbox page; a larger list is not from the inbox.
MAX_BULK = 500


def count_of(n: int, noun: str = "mention") -> str:
    """A count with its noun, plural when it is not one: 1 mention, 3 mentions, No mentions."""
    if n == 0:
        return f"No {noun}s"
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def state_label(state: str) -> str:
    return state.replace("_", " ")


@dataclass
class BulkResult:
    changed: list[int]
    unchanged: list[int]
    message: str


def _bulk_message(changed: int, unchanged: int, kind: str, **words: str) -> str:
    """What a bulk action did, in whole sentences ("3 mentions assigned to ann@example.com.
    1 mention was already assigned to ann@example.com.")."""
    if kind == "assign":
        done = ngettext(
            "%(num)d mention assigned to %(who)s.",
            "%(num)d mentions assigned to %(who)s.",
            changed,
            **words,
        )
        already = ngettext(
            "%(num)d mention was already assigned to %(who)s.",
            "%(num)d mentions were already assigned to %(who)s.",
            unchanged,
            **words,
        )
    elif kind == "unassign":
        done = ngettext("%(num)d mention unassigned.", "%(num)d mentions unassigned.", changed)
        already = ngettext(
            "%(num)d mention was already unassigned.",
            "%(num)d mentions were already unassigned.",
            unchanged,
        )
    elif kind == "set_state":
        done = ngettext(
            "%(num)d mention set to %(state)s.",
            "%(num)d mentions set to %(state)s.",
            changed,
            **words,
        )
        already = ngettext(
            "%(num)d mention was already %(state)s.",
            "%(num)d mentions were already %(state)s.",
            unchanged,
            **words,
        )
    else:
        done = ngettext(
            "%(num)d mention marked replied.", "%(num)d mentions marked replied.", changed
        )
        already = ngettext(
            "%(num)d mention was already replied.",
            "%(num)d mentions were already replied.",
            unchanged,
        )
    if not changed:
        done = _("No mentions changed.")
    return f"{done} {already}" if unchanged else done


def apply_bulk(
    session: Session,
    brand: Brand,
    actor: User,
    mention_ids: Sequence[int],
    action: str,
    now: datetime,
    *,
    state: str | None = None,
    assignee_id: int | None = None,
    text: str = "",
) -> BulkResult:
    """Assign, set the state of, or mark replied the selected mentions of this brand.

    Ids of other brands' mentions are ignored. Everything is checked before anything changes, so
    a refused request changes no mention.
    """
    if action not in BULK_ACTIONS:
        raise ListeningError(
            _(
                "Choose what to do with the selected mentions: assign them, set their state or "
                "mark them replied."
            )
        )
    ids = list(dict.fromkeys(mention_ids))
    if not ids:
        raise ListeningError(_("Select at least one mention first."))
    if len(ids) > MAX_BULK:
        raise ListeningError(_("Select at most %(num)s mentions at a time.", num=MAX_BULK))
    mentions = list(
        session.scalars(
            select(Mention)
            .where(Mention.brand_id == brand.id, Mention.id.in_(ids))
            .order_by(Mention.id)
        )
    )
    if not mentions:
        raise ListeningError(_("None of the selected mentions belongs to this brand any more."))
    changed: list[Mention] = []
    unchanged: list[Mention] = []
    if action == "assign":
        member = _check_assignee(session, brand.id, assignee_id)
        for mention in mentions:
            if mention.assignee_id == assignee_id:
                unchanged.append(mention)
            else:
                _assign(session, mention, actor, assignee_id)
                changed.append(mention)
        if member:
            message = _bulk_message(len(changed), len(unchanged), "assign", who=member.email)
        else:
            message = _bulk_message(len(changed), len(unchanged), "unassign")
    elif action == "set_state":
        try:
            new = MentionState(state or "")
        except ValueError:
            raise ListeningError(_("Choose the state to set.")) from None
        if new is MentionState.REPLIED:
            without = [m for m in mentions if not m.replies and m.state != new.value]
            if without:
                raise ListeningError(
                    ngettext(
                        "%(num)d of the selected mentions has no reply yet: use “Mark replied” "
                        "with the text you sent instead.",
                        "%(num)d of the selected mentions have no reply yet: use “Mark replied” "
                        "with the text you sent instead.",
                        len(without),
                    )
                )
        for mention in mentions:
            if mention.state == new.value:
                unchanged.append(mention)
            else:
                set_state(session, mention, actor, new.value, now)
                changed.append(mention)
        message = _bulk_message(
            len(changed), len(unchanged), "set_state", state=state_name(new.value)
        )
    else:
        text = (text or "").strip()
        if not text:
            raise ListeningError(
                _("Write the reply you sent before marking the selected mentions replied.")
            )
        for mention in mentions:
            if mention.state == MentionState.REPLIED.value and mention.replies:
                unchanged.append(mention)
            else:
                record_reply(session, mention, actor, text, "manual", now)
                changed.append(mention)
        message = _bulk_message(len(changed), len(unchanged), "mark_replied")
    audit.record(
        session,
        actor,
        "mention.bulk",
        "brand",
        brand.id,
        brand_id=brand.id,
        bulk_action=action,
        changed=[m.id for m in changed],
        unchanged=[m.id for m in unchanged],
        state=state if action == "set_state" else None,
        assignee_id=assignee_id if action == "assign" else None,
    )
    session.flush()
    return BulkResult([m.id for m in changed], [m.id for m in unchanged], message)
