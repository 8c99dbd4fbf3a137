"""Listening operations: settings, sources, ingesting mentions, the inbox, replies and targets.

Operations take explicit arguments (the session, the acting user, ``now``) and only flush; the
caller commits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from sqlalchemy import ARRAY, Select, String, bindparam, func, select
from sqlalchemy.orm import Session

from core import audit
from core.crypto import CredentialsUnreadable, decrypt_json
from core.errors import NotFound, Refused
from core.models import Role, User
from core.outbound import OutboundBlocked, parse_url
from core.parsing import parse_int
from core.tenants import Brand, BrandMember, is_member
from listening.models import (
    OPEN_STATES,
    ListeningSettings,
    Mention,
    MentionReply,
    MentionSource,
    MentionState,
    SavedReply,
    SourceKind,
)
from listening.sources import FetchedItem
from listening.text import is_question, key_terms, read_sentiment, url_key
from planner.models import Channel

LOOKUP_CHUNK = 500
MIN_INTERVAL = 5
MAX_URL_LENGTH = 2000
MAX_NAME_LENGTH = 120  # source names and saved-reply titles, as their columns hold
REPLY_PLATFORMS = ("mastodon", "bluesky")


class ListeningError(Refused):
    """A listening request refused, with reasons a person can act on."""


class UnchangedSavedReply(ListeningError):
    """The reply is a saved reply sent word for word; the sender must confirm."""


# --- settings -----------------------------------------------------------------------------------


def settings_for(session: Session, brand: Brand) -> ListeningSettings:
    current = session.scalar(
        select(ListeningSettings).where(ListeningSettings.brand_id == brand.id)
    )
    if current is None:
        current = ListeningSettings(
            brand_id=brand.id,
            tracked_keywords=[brand.name],
            positive_keywords=[],
            negative_keywords=[],
        )
        session.add(current)
        session.flush()
    return current


def _word_list(value: Any, field_name: str) -> list[str]:
    if isinstance(value, str):
        value = value.replace("\n", ",").split(",")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ListeningError(f"'{field_name}' must be a list of words or a comma-separated text.")
    return list(dict.fromkeys(v.strip() for v in value if v.strip()))[:200]


SETTING_NUMBERS = {
    "target_negative_minutes": (int, 1, 60 * 24 * 30),
    "target_question_minutes": (int, 1, 60 * 24 * 30),
    "target_other_minutes": (int, 1, 60 * 24 * 30),
    "spike_k": (float, 0.5, 20.0),
    "spike_min_count": (int, 1, 100_000),
    "spike_cooldown_minutes": (int, 5, 60 * 24 * 7),
}


def update_settings(
    session: Session, brand: Brand, actor: User, data: Mapping[str, Any]
) -> ListeningSettings:
    current = settings_for(session, brand)
    errors: list[str] = []
    for name in ("tracked_keywords", "positive_keywords", "negative_keywords"):
        if name in data:
            try:
                setattr(current, name, _word_list(data[name], name))
            except ListeningError as exc:
                errors.extend(exc.errors)
    for name, (kind, low, high) in SETTING_NUMBERS.items():
        if name not in data or data[name] in (None, ""):
            continue
        try:
            value = kind(data[name])
        except (TypeError, ValueError):
            errors.append(f"'{name}' must be a number.")
            continue
        if not low <= value <= high:
            errors.append(f"'{name}' must be between {low} and {high}.")
            continue
        setattr(current, name, value)
    if errors:
        raise ListeningError(*errors)
    audit.record(session, actor, "listening.settings", "brand", brand.id, brand_id=brand.id)
    session.flush()
    return current


# --- sources ------------------------------------------------------------------------------------


def sources_of(session: Session, brand_id: int) -> list[MentionSource]:
    return list(
        session.scalars(
            select(MentionSource)
            .where(MentionSource.brand_id == brand_id)
            .order_by(MentionSource.id)
        )
    )


def source_for(session: Session, user: User, source_id: int) -> MentionSource:
    source = session.get(MentionSource, source_id)
    if source is None or not is_member(session, user, source.brand_id):
        raise NotFound(f"No source {source_id} that you can see.")
    return source


def _apply_source(source: MentionSource, data: Mapping[str, Any], errors: list[str]) -> None:
    if "kind" in data:
        try:
            source.kind = SourceKind(str(data["kind"])).value
        except ValueError:
            errors.append(f"'kind' must be one of: {', '.join(k.value for k in SourceKind)}.")
            return
    if "name" in data:
        name = str(data["name"] or "").strip()
        if len(name) > MAX_NAME_LENGTH:
            errors.append(
                f"'name' is {len(name):,} characters long; keep it to {MAX_NAME_LENGTH} or fewer."
            )
        source.name = name[:MAX_NAME_LENGTH]
    if "url" in data:
        url = str(data["url"] or "").strip()
        if len(url) > MAX_URL_LENGTH:
            errors.append(f"'url' is longer than {MAX_URL_LENGTH:,} characters.")
        elif url:
            try:
                parse_url(url)
            except OutboundBlocked as exc:
                errors.append(f"'url' cannot be used: {exc}.")
        source.url = url or None
    if "query" in data:
        source.query = str(data["query"] or "").strip()[:500] or None
    if "interval_minutes" in data:
        value = data["interval_minutes"]
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not MIN_INTERVAL <= value <= 1440
        ):
            errors.append(f"'interval_minutes' must be a whole number from {MIN_INTERVAL} to 1440.")
        else:
            source.interval_minutes = value
    if "active" in data:
        source.active = bool(data["active"])
    kind = SourceKind(source.kind) if source.kind else None
    if kind in (SourceKind.GOOGLE_ALERTS, SourceKind.RSS) and not source.url:
        errors.append("A feed source needs its feed URL.")
    if kind in (SourceKind.MASTODON_TAG, SourceKind.MASTODON_SEARCH):
        if not source.url:
            errors.append("A Mastodon source needs the instance URL, e.g. https://mastodon.social.")
        if not source.query:
            errors.append("A Mastodon source needs a hashtag or search terms.")
    if kind is SourceKind.BLUESKY_SEARCH and not source.query:
        errors.append("A Bluesky source needs search terms.")
    if not source.name:
        source.name = (kind.label if kind else "Source") + (
            f": {source.query}" if source.query else ""
        )


def create_source(
    session: Session, brand: Brand, actor: User, data: Mapping[str, Any], now: datetime
) -> MentionSource:
    if "kind" not in data:
        raise ListeningError(
            f"'kind' is required: one of {', '.join(k.value for k in SourceKind)}."
        )
    source = MentionSource(brand_id=brand.id, kind="", name="", interval_minutes=15, active=True)
    errors: list[str] = []
    _apply_source(source, data, errors)
    if errors:
        raise ListeningError(*errors)
    source.next_poll_at = now  # the first poll at the next minute's round
    session.add(source)
    session.flush()
    audit.record(
        session,
        actor,
        "listening.source_created",
        "mention_source",
        source.id,
        brand_id=brand.id,
        kind=source.kind,
    )
    return source


def update_source(
    session: Session, source: MentionSource, actor: User, data: Mapping[str, Any]
) -> MentionSource:
    errors: list[str] = []
    if "kind" in data and data["kind"] != source.kind:
        errors.append("The kind of a source cannot change; add a new source instead.")
    _apply_source(source, {k: v for k, v in data.items() if k != "kind"}, errors)
    if errors:
        raise ListeningError(*errors)
    audit.record(
        session,
        actor,
        "listening.source_updated",
        "mention_source",
        source.id,
        brand_id=source.brand_id,
    )
    session.flush()
    return source


def delete_source(session: Session, source: MentionSource, actor: User) -> None:
    audit.record(
        session,
        actor,
        "listening.source_deleted",
        "mention_source",
        source.id,
        brand_id=source.brand_id,
        name=source.name,
    )
    session.delete(source)
    session.flush()


def csv_source(session: Session, brand: Brand) -> MentionSource:
    """The brand's CSV-upload source, made on first upload."""
    source = session.scalar(
        select(MentionSource).where(
            MentionSource.brand_id == brand.id, MentionSource.kind == SourceKind.CSV.value
        )
    )
    if source is None:
        source = MentionSource(
            brand_id=brand.id, kind=SourceKind.CSV.value, name="CSV uploads", active=False
        )
        session.add(source)
        session.flush()
    return source


# --- ingest -------------------------------------------------------------------------------------


@dataclass
class IngestResult:
    new: int = 0
    duplicates: int = 0


def target_minutes(settings: ListeningSettings, label: str, question: bool) -> int:
    """The response-time target: negative first, then questions, then everything else."""
    if label == "negative":
        return settings.target_negative_minutes
    if question:
        return settings.target_question_minutes
    return settings.target_other_minutes


def _existing(session: Session, query: Any, column: Any, values: Sequence[str]) -> set[str]:
    """The values already stored, of those given."""
    found: set[str] = set()
    if session.get_bind().dialect.name == "postgresql":
        # The values as one array, joined as a set. A list of bound values was tested row by
        # row once the statement was prepared with a plan made while the table was small:
        # a large first import slowed with every batch (3 s per 1,000 mentions at 25,000).
        listed = select(func.unnest(bindparam("values", list(values), type_=ARRAY(String))))
        found.update(session.scalars(query.where(column.in_(listed))))
        return found
    for start in range(0, len(values), LOOKUP_CHUNK):
        chunk = values[start : start + LOOKUP_CHUNK]
        found.update(session.scalars(query.where(column.in_(chunk))))
    return found


def ingest(
    session: Session,
    brand: Brand,
    source: MentionSource,
    items: Iterable[FetchedItem],
    now: datetime,
    *,
    settings: ListeningSettings | None = None,
) -> IngestResult:
    """Store new mentions, skipping any already stored for the source (same entry id) or for the
    brand (same URL once unwrapped and normalised)."""
    settings = settings or settings_for(session, brand)
    batch = list(items)
    result = IngestResult()
    ids = list({item.external_id for item in batch})
    keys_by_item = [url_key(item.url) for item in batch]
    keys = list({k for k in keys_by_item if k})
    seen_ids = _existing(
        session,
        select(Mention.external_id).where(Mention.source_id == source.id),
        Mention.external_id,
        ids,
    )
    seen_keys = _existing(
        session, select(Mention.url_key).where(Mention.brand_id == brand.id), Mention.url_key, keys
    )
    rows: list[dict[str, Any]] = []
    for item, key in zip(batch, keys_by_item, strict=True):
        if item.external_id in seen_ids or (key and key in seen_keys):
            result.duplicates += 1
            continue
        seen_ids.add(item.external_id)
        if key:
            seen_keys.add(key)
        body = (
            f"{item.title}. {item.text}" if item.title and item.text else (item.title or item.text)
        )
        reading = read_sentiment(
            body, item.language, settings.positive_keywords, settings.negative_keywords
        )
        question = is_question(body)
        published = item.published_at or now
        target = target_minutes(settings, reading.label, question)
        rows.append(
            {
                "brand_id": brand.id,
                "source_id": source.id,
                "external_id": item.external_id,
                "url": item.url,
                "url_key": key,
                "author": item.author,
                "title": item.title,
                "text": item.text,
                "language": reading.language,
                "published_at": published,
                "date_estimated": item.published_at is None,
                "fetched_at": now,
                "sentiment": reading.sentiment,
                "sentiment_label": reading.label,
                "key_terms": key_terms(body, settings.tracked_keywords),
                "is_question": question,
                "platform": item.platform,
                "platform_ref": item.platform_ref,
                "platform_base": item.platform_base,
                "state": MentionState.NEW.value,
                "target_minutes": target,
                "due_at": published + timedelta(minutes=target),
                "created_at": now,
            }
        )
    if rows:
        # One executemany per batch: an ORM object per mention made ingest far slower, and
        # RETURNING forced multi-row VALUES statements that PostgreSQL's driver parses slowly.
        session.execute(Mention.__table__.insert(), rows)
    result.new = len(rows)
    session.flush()
    return result


# --- the inbox ----------------------------------------------------------------------------------


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
        raise ListeningError("Reply first, or use 'mark replied' with the text you sent.")
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
        raise ListeningError("The assignee must be an active member of the brand.")
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
        raise ListeningError("A saved reply needs a title and a text.")
    if len(title) > MAX_NAME_LENGTH:
        raise ListeningError(
            f"The title is {len(title):,} characters long; keep it to {MAX_NAME_LENGTH} or fewer."
        )
    saved = SavedReply(brand_id=brand.id, title=title, text=text)
    session.add(saved)
    session.flush()
    audit.record(
        session, actor, "listening.saved_reply", "saved_reply", saved.id, brand_id=brand.id
    )
    return saved


# --- replies ------------------------------------------------------------------------------------


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def _check_saved(
    session: Session,
    mention: Mention,
    text: str,
    saved_reply_id: int | None,
    confirm_unchanged: bool,
) -> tuple[int | None, bool]:
    if saved_reply_id is None:
        return None, False
    saved = session.get(SavedReply, saved_reply_id)
    if saved is None or saved.brand_id != mention.brand_id:
        return None, False
    unchanged = _same_text(saved.text, text)
    if unchanged and not confirm_unchanged:
        raise UnchangedSavedReply(
            f"This is the saved reply “{saved.title}” word for word. A saved reply is a starting "
            "point: answer what this person said, or confirm to send it as it is."
        )
    return saved.id, unchanged


def _record_reply(
    session: Session,
    mention: Mention,
    actor: User,
    text: str,
    via: str,
    now: datetime,
    *,
    platform_id: str | None = None,
    url: str | None = None,
    saved_reply_id: int | None = None,
    unchanged: bool = False,
) -> MentionReply:
    reply = MentionReply(
        mention_id=mention.id,
        author_id=actor.id,
        text=text,
        via=via,
        platform_id=platform_id,
        url=url,
        saved_reply_id=saved_reply_id,
        unchanged_from_saved=unchanged,
        created_at=now,
    )
    session.add(reply)
    if mention.first_reply_at is None:
        mention.first_reply_at = now
    mention.state = MentionState.REPLIED.value
    session.flush()
    audit.record(
        session,
        actor,
        "mention.replied",
        "mention",
        mention.id,
        brand_id=mention.brand_id,
        via=via,
        unchanged_from_saved=unchanged,
    )
    return reply


def mark_replied(
    session: Session,
    mention: Mention,
    actor: User,
    text: str,
    now: datetime,
    *,
    saved_reply_id: int | None = None,
    confirm_unchanged: bool = False,
) -> MentionReply:
    """Record a reply the person sent themselves on the original page."""
    if not (text or "").strip():
        # A blank reply would stop the response clock without any record of what was said.
        raise ListeningError(
            "Write the reply you sent (or paste it) before marking the mention replied."
        )
    saved_id, unchanged = _check_saved(session, mention, text, saved_reply_id, confirm_unchanged)
    return _record_reply(
        session,
        mention,
        actor,
        (text or "").strip(),
        "manual",
        now,
        saved_reply_id=saved_id,
        unchanged=unchanged,
    )


def can_reply_on_platform(mention: Mention) -> bool:
    return mention.platform in REPLY_PLATFORMS and bool(mention.platform_ref)


def reply_channel(session: Session, mention: Mention) -> Channel | None:
    """The brand's channel on the mention's platform (for Mastodon, the same instance first)."""
    channels = [
        c
        for c in session.scalars(
            select(Channel).where(
                Channel.brand_id == mention.brand_id, Channel.platform == mention.platform
            )
        )
        if c.credentials_encrypted and not c.needs_reauth
    ]
    if not channels:
        return None
    if mention.platform == "mastodon" and mention.platform_base:
        host = urlsplit(mention.platform_base).netloc
        for channel in channels:
            try:
                base = decrypt_json(channel.credentials_encrypted).get("base_url", "")
            except CredentialsUnreadable:
                continue
            if urlsplit(base).netloc == host:
                return channel
    return channels[0]


def _local_status_id(
    mention: Mention,
    credentials: Mapping[str, str],
    config: Mapping[str, Any],
    http: requests.Session | None,
) -> str:
    """The mention's status id as the channel's instance knows it (ids are per instance)."""
    import json

    from listening.fetch import FetchError, fetch

    base = str(credentials.get("base_url", "")).rstrip("/")
    if mention.platform_base and urlsplit(mention.platform_base).netloc == urlsplit(base).netloc:
        return str(mention.platform_ref)
    if not mention.url:
        raise ListeningError("The status has no URL to look up on your instance.")
    try:
        body, _ = fetch(
            f"{base}/api/v2/search",
            config,
            params={"q": mention.url, "type": "statuses", "resolve": "true", "limit": 1},
            headers={"Authorization": f"Bearer {credentials.get('access_token', '')}"},
            http=http,
        )
        statuses = json.loads(body).get("statuses") or []
    except (FetchError, ValueError, AttributeError) as exc:
        raise ListeningError(f"Your instance could not find the status: {exc}") from None
    if not statuses or not statuses[0].get("id"):
        raise ListeningError("Your instance could not find the status to reply to.")
    return str(statuses[0]["id"])


def reply_on_platform(
    session: Session,
    mention: Mention,
    actor: User,
    text: str,
    config: Mapping[str, Any],
    now: datetime,
    *,
    saved_reply_id: int | None = None,
    confirm_unchanged: bool = False,
    http: requests.Session | None = None,
) -> MentionReply:
    """Reply to a Mastodon or Bluesky mention from the brand's channel, threaded under it."""
    from planner.publishing.adapters import ALLOW_PRIVATE_KEY, Outcome, OutgoingPost, get_adapter

    text = (text or "").strip()
    if not text:
        raise ListeningError("Write the reply first.")
    if not can_reply_on_platform(mention):
        raise ListeningError(
            "This mention cannot be answered from here: open the original and mark it replied."
        )
    saved_id, unchanged = _check_saved(session, mention, text, saved_reply_id, confirm_unchanged)
    channel = reply_channel(session, mention)
    if channel is None:
        raise ListeningError(
            f"Connect a {mention.platform.capitalize()} channel with credentials to reply "
            "from here."
        )
    try:
        credentials = {
            k: str(v) for k, v in decrypt_json(channel.credentials_encrypted, config).items()
        }
    except CredentialsUnreadable:
        raise ListeningError(
            f"The credentials of {channel.name} cannot be read; enter them again."
        ) from None
    credentials[ALLOW_PRIVATE_KEY] = "1" if config.get("OUTBOUND_ALLOW_PRIVATE") else ""
    in_reply_to = (
        _local_status_id(mention, credentials, config, http)
        if mention.platform == "mastodon"
        else str(mention.platform_ref)
    )
    digest = hashlib.sha256(f"{mention.id}|{text}".encode()).hexdigest()[:24]
    outgoing = OutgoingPost(
        post_id=mention.id,
        text=text,
        link=None,
        image_url=None,
        idempotency_key=f"pageone-mention-reply-{digest}",
        in_reply_to=in_reply_to,
    )
    timeout = float(config.get("HTTP_TIMEOUT") or 10.0)
    result = get_adapter(channel.platform).publish(
        outgoing, credentials, timeout=timeout, http=http
    )
    if result.outcome is not Outcome.PUBLISHED:
        audit.record(
            session,
            actor,
            "mention.reply_failed",
            "mention",
            mention.id,
            brand_id=mention.brand_id,
            outcome=str(result.outcome),
            reason=result.reason,
        )
        raise ListeningError(
            f"The reply was not posted ({result.outcome}): {result.reason or 'no reason given'}."
        )
    return _record_reply(
        session,
        mention,
        actor,
        text,
        channel.platform,
        now,
        platform_id=result.platform_id,
        url=result.url,
        saved_reply_id=saved_id,
        unchanged=unchanged,
    )


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


def _bulk_message(changed: int, unchanged: int, done: str, already: str) -> str:
    message = f"{count_of(changed)} {done}."
    if unchanged:
        was = "was" if unchanged == 1 else "were"
        message += f" {count_of(unchanged)} {was} already {already}."
    return message


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
            "Choose what to do with the selected mentions: assign them, set their state or "
            "mark them replied."
        )
    ids = list(dict.fromkeys(mention_ids))
    if not ids:
        raise ListeningError("Select at least one mention first.")
    if len(ids) > MAX_BULK:
        raise ListeningError(f"Select at most {MAX_BULK} mentions at a time.")
    mentions = list(
        session.scalars(
            select(Mention)
            .where(Mention.brand_id == brand.id, Mention.id.in_(ids))
            .order_by(Mention.id)
        )
    )
    if not mentions:
        raise ListeningError("None of the selected mentions belongs to this brand any more.")
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
        who = member.email if member else "nobody"
        message = _bulk_message(
            len(changed),
            len(unchanged),
            f"assigned to {who}" if member else "unassigned",
            f"assigned to {who}",
        )
    elif action == "set_state":
        try:
            new = MentionState(state or "")
        except ValueError:
            raise ListeningError("Choose the state to set.") from None
        if new is MentionState.REPLIED:
            without = [m for m in mentions if not m.replies and m.state != new.value]
            if without:
                raise ListeningError(
                    f"{len(without)} of the selected mentions "
                    f"{'has' if len(without) == 1 else 'have'} no reply yet: use “Mark replied” "
                    "with the text you sent instead."
                )
        for mention in mentions:
            if mention.state == new.value:
                unchanged.append(mention)
            else:
                set_state(session, mention, actor, new.value, now)
                changed.append(mention)
        label = state_label(new.value)
        message = _bulk_message(len(changed), len(unchanged), f"set to {label}", label)
    else:
        text = (text or "").strip()
        if not text:
            raise ListeningError(
                "Write the reply you sent before marking the selected mentions replied."
            )
        for mention in mentions:
            if mention.state == MentionState.REPLIED.value and mention.replies:
                unchanged.append(mention)
            else:
                _record_reply(session, mention, actor, text, "manual", now)
                changed.append(mention)
        message = _bulk_message(len(changed), len(unchanged), "marked replied", "replied")
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
