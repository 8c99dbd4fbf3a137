"""Listening operations: settings, sources and ingesting mentions (with their response-time
targets). The inbox is in ``listening.inbox``, replies in ``listening.replies``.

Operations take explicit arguments (the session, the acting user, ``now``) and only flush; the
caller commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ARRAY, String, bindparam, func, select
from sqlalchemy.orm import Session

from core import audit
from core.errors import NotFound, Refused
from core.i18n import number
from core.models import User
from core.outbound import OutboundBlocked, parse_url
from core.tenants import Brand, is_member
from listening.models import (
    ListeningSettings,
    Mention,
    MentionSource,
    MentionState,
    SourceKind,
)
from listening.sources import FetchedItem
from listening.text import is_question, key_terms, read_sentiment, url_key

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
                _(
                    "'name' is %(length)s characters long; keep it to %(most)s or fewer.",
                    length=number(len(name)),
                    most=MAX_NAME_LENGTH,
                )
            )
        source.name = name[:MAX_NAME_LENGTH]
    if "url" in data:
        url = str(data["url"] or "").strip()
        if len(url) > MAX_URL_LENGTH:
            errors.append(
                _("'url' is longer than %(most)s characters.", most=number(MAX_URL_LENGTH))
            )
        elif url:
            try:
                parse_url(url)
            except OutboundBlocked as exc:
                errors.append(_("'url' cannot be used: %(why)s.", why=exc))
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
            errors.append(
                _(
                    "'interval_minutes' must be a whole number from %(least)s to 1440.",
                    least=MIN_INTERVAL,
                )
            )
        else:
            source.interval_minutes = value
    if "active" in data:
        source.active = bool(data["active"])
    kind = SourceKind(source.kind) if source.kind else None
    if kind in (SourceKind.GOOGLE_ALERTS, SourceKind.RSS) and not source.url:
        errors.append(_("A feed source needs its feed URL."))
    if kind in (SourceKind.MASTODON_TAG, SourceKind.MASTODON_SEARCH):
        if not source.url:
            errors.append(
                _("A Mastodon source needs the instance URL, e.g. https://mastodon.social.")
            )
        if not source.query:
            errors.append(_("A Mastodon source needs a hashtag or search terms."))
    if kind is SourceKind.BLUESKY_SEARCH and not source.query:
        errors.append(_("A Bluesky source needs search terms."))
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
        errors.append(_("The kind of a source cannot change; add a new source instead."))
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
                "key_terms": key_terms(body, settings.tracked_keywords, language=reading.language),
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
