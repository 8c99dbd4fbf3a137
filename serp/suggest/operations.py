"""Autocomplete tracking's writes: which terms a brand's suggestions are looked up for, the
look-ups stored with their labels, the labels people give, the brand's own words, and the first
appearance of each negative suggestion. Everything here only flushes; the caller commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import audit, claims
from core.models import User
from core.tenants import Brand
from serp.errors import SerpError, check_editor
from serp.models import LabelRule, MatchType, TrackedQuery
from serp.suggest.fetch import SuggestAnswer, UnknownLocale, check_locale
from serp.suggest.models import (
    ENGINES,
    SUGGESTION_LABELS,
    NegativeSuggestionSeen,
    SuggestFetch,
    Suggestion,
    SuggestionMark,
    SuggestSettings,
    SuggestTerm,
)
from serp.suggest.negatives import SuggestionLabeller, fold, labeller, suggestion_key

WEEK = timedelta(days=7)
FIRST_RETRY = timedelta(hours=1)
RETRY_CAP = WEEK
LEASE = timedelta(minutes=10)
MAX_TERMS_PER_BRAND = 200
MAX_WORDS = 50  # extra terms or negative words a brand may add
MAX_WORD_LENGTH = 100
DEFAULT_LOCALE = ("en", "us")

# --- which terms ---------------------------------------------------------------------------------


def brand_locales(session: Session, brand_id: int) -> tuple[list[tuple[str, str]], list[str]]:
    """The languages and countries of the brand's tracked queries (en-us when it has none), and
    the locales left out because no engine can be asked for them."""
    pairs = session.execute(
        select(TrackedQuery.language, TrackedQuery.country)
        .where(TrackedQuery.brand_id == brand_id, TrackedQuery.deleted_at.is_(None))
        .distinct()
    ).all()
    good: list[tuple[str, str]] = []
    skipped: list[str] = []
    for language, country in pairs:
        try:
            locale = check_locale(language, country)
        except UnknownLocale:
            skipped.append(f"{language}-{country}")
            continue
        if locale not in good:
            good.append(locale)
    return (sorted(good) or [DEFAULT_LOCALE]), sorted(skipped)


def settings_of(session: Session, brand_id: int) -> SuggestSettings | None:
    return session.scalar(select(SuggestSettings).where(SuggestSettings.brand_id == brand_id))


def seed_terms(session: Session, brand: Brand) -> list[tuple[str, str, str, str]]:
    """(text, engine, language, country) of every look-up the brand needs: its name and the name
    followed by a space (what people type before the next word) in each of its locales, each
    tracked query that names the brand in the query's own locale, and the brand's extra terms."""
    locales, _skipped = brand_locales(session, brand.id)
    name = " ".join(brand.name.split())
    wanted: list[tuple[str, str, str]] = []  # (text, language, country)
    settings = settings_of(session, brand.id)
    everywhere = [name, name + " ", *(settings.extra_terms if settings else [])]
    for text in everywhere:
        for language, country in locales:
            wanted.append((text, language, country))
    folded_name = fold(name)
    queries = session.execute(
        select(TrackedQuery.text, TrackedQuery.language, TrackedQuery.country).where(
            TrackedQuery.brand_id == brand.id, TrackedQuery.deleted_at.is_(None)
        )
    ).all()
    for text, language, country in queries:
        if folded_name and folded_name in fold(text):
            try:
                wanted.append((" ".join(text.split()), *check_locale(language, country)))
            except UnknownLocale:
                continue
    seen: set[tuple[str, str, str, str]] = set()
    terms = []
    for text, language, country in wanted:
        for engine in ENGINES:
            trailing = " " if text.endswith(" ") else ""  # "acme " asks for the next word
            folded = (fold(text) + trailing, engine, language, country)
            if text.strip() and folded not in seen:
                seen.add(folded)
                terms.append((text[:500], engine, language, country))
    return terms[:MAX_TERMS_PER_BRAND]


def sync_terms(session: Session, brand: Brand, now: datetime) -> dict[str, int]:
    """Bring the brand's terms in line with its seed: new ones are due now, gone ones stop."""
    wanted = set(seed_terms(session, brand))
    rows = session.scalars(select(SuggestTerm).where(SuggestTerm.brand_id == brand.id)).all()
    have = {(r.text, r.engine, r.language, r.country): r for r in rows}
    counts = {"added": 0, "stopped": 0, "resumed": 0}
    for key, row in have.items():
        if key not in wanted and row.active:
            row.active, row.next_fetch_at = False, None
            counts["stopped"] += 1
        elif key in wanted and not row.active:
            row.active, row.next_fetch_at = True, now
            counts["resumed"] += 1
    for text, engine, language, country in sorted(wanted - have.keys()):
        session.add(
            SuggestTerm(
                brand_id=brand.id,
                text=text,
                engine=engine,
                language=language,
                country=country,
                next_fetch_at=now,
            )  # fmt: skip
        )
        counts["added"] += 1
    session.flush()
    return counts


def check_now(session: Session, brand: Brand, actor: User | None, now: datetime) -> int:
    """Ask the worker to look up all of the brand's terms at its next round; how many."""
    check_editor(actor)
    sync_terms(session, brand, now)
    count = session.execute(
        update(SuggestTerm)
        .where(SuggestTerm.brand_id == brand.id, SuggestTerm.active.is_(True))
        .values(next_fetch_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    audit.record(session, actor, "serp.suggestions_check", "brand", brand.id, brand_id=brand.id)
    return count


# --- claiming ------------------------------------------------------------------------------------


def _due(now: datetime) -> tuple[Any, ...]:
    return (
        SuggestTerm.active.is_(True),
        SuggestTerm.next_fetch_at <= now,
        or_(SuggestTerm.claimed_by.is_(None), SuggestTerm.lease_until < now),
        SuggestTerm.brand_id.not_in(select(Brand.id).where(Brand.archived_at.is_not(None))),
    )


TERMS = claims.Queue(
    name="suggestion term",
    model=SuggestTerm,
    due=_due,
    order_by=lambda: (SuggestTerm.next_fetch_at, SuggestTerm.id),
    lease_column=SuggestTerm.lease_until,
    holder_column=SuggestTerm.claimed_by,
)


def claim_due_terms(session: Session, worker_id: str, now: datetime, limit: int) -> list[int]:
    """Claim due terms in one statement; the caller commits before asking the engines."""
    return [row[0] for row in claims.claim(session, TERMS, worker_id, now, limit, LEASE)]


# --- labels --------------------------------------------------------------------------------------


def labeller_for_brand(session: Session, brand_id: int) -> SuggestionLabeller:
    """The brand's labeller: its marks, its domain rules, its words and the built-in ones."""
    settings = settings_of(session, brand_id)
    domains = dict(
        session.execute(
            select(LabelRule.pattern, LabelRule.label).where(
                LabelRule.brand_id == brand_id, LabelRule.match_type == MatchType.DOMAIN.value
            )
        ).all()
    )
    marks = dict(
        session.execute(
            select(SuggestionMark.key, SuggestionMark.label).where(
                SuggestionMark.brand_id == brand_id
            )
        ).all()
    )
    return labeller(settings.negative_words if settings else [], domains, marks)


def relabel(
    session: Session, brand_id: int, key: str | None = None, *, naming_domains: bool = False
) -> int:
    """Label the brand's stored suggestions again (its words changed), only those of one
    suggestion (a person labelled it), or only those that may name a domain (its label rules
    changed); how many moved."""
    label_of = labeller_for_brand(session, brand_id)
    moved = 0
    statement = (
        select(Suggestion, SuggestTerm.text)
        .join(SuggestFetch, SuggestFetch.id == Suggestion.fetch_id)
        .join(SuggestTerm, SuggestTerm.id == SuggestFetch.term_id)
        .where(SuggestFetch.brand_id == brand_id)
    )
    if key is not None:
        statement = statement.where(Suggestion.key == key)
    if naming_domains:
        statement = statement.where(Suggestion.text.contains("."))
    for suggestion, term in session.execute(statement).all():
        label, reason = label_of.label(suggestion.text, term)
        if (label, reason) != (suggestion.label, suggestion.reason):
            suggestion.label, suggestion.reason = label, reason
            moved += 1
    session.flush()
    return moved


def rules_changed(session: Session, brand_id: int) -> int:
    """After the brand's label rules changed: the suggestions that name a domain, relabelled."""
    return relabel(session, brand_id, naming_domains=True)


def mark_suggestion(
    session: Session, brand_id: int, actor: User | None, text: Any, label: Any, now: datetime
) -> str:
    """A person's label for a suggestion (negative, neutral or positive; empty clears it); it
    wins over the automatic one in every stored look-up. The suggestion's key."""
    check_editor(actor)
    key = suggestion_key(str(text or ""))
    if not key:
        raise SerpError(_("Say which suggestion to label."))
    if label not in (*SUGGESTION_LABELS, ""):
        raise SerpError(
            _("The label must be negative, neutral or positive (or empty to clear it).")
        )
    mark = session.scalar(
        select(SuggestionMark).where(SuggestionMark.brand_id == brand_id, SuggestionMark.key == key)
    )
    if label == "":
        if mark is not None:
            session.delete(mark)
    elif mark is None:
        session.add(
            SuggestionMark(
                brand_id=brand_id,
                key=key,
                label=label,
                marked_at=now,
                marked_by_id=actor.id if actor else None,
            )  # fmt: skip
        )
    else:
        mark.label, mark.marked_at = label, now
        mark.marked_by_id = actor.id if actor else None
    session.flush()
    if label == "negative":
        # A person who marks it knows of it: it is never alerted on later.
        _record_seen(session, brand_id, key, str(text), None, now, alerted=True)
    relabel(session, brand_id, key)
    audit.record(
        session, actor, "serp.suggestion_marked", "brand", brand_id, brand_id=brand_id,
        details={"suggestion": key, "label": label or None},
    )  # fmt: skip
    return key


def _clean_words(values: Any, name: str) -> list[str]:
    if isinstance(values, str):
        values = values.replace(",", "\n").splitlines()
    if not isinstance(values, list | tuple):
        raise SerpError(f"'{name}' must be a list of words or phrases.")
    words: list[str] = []
    for value in values:
        if not isinstance(value, str):
            raise SerpError(f"'{name}' must be a list of words or phrases.")
        word = " ".join(value.split())
        if not word:
            continue
        if len(word) > MAX_WORD_LENGTH:
            raise SerpError(
                _(
                    "“%(word)s…” is longer than %(max)d characters.",
                    word=word[:40],
                    max=MAX_WORD_LENGTH,
                )
            )
        if fold(word) not in {fold(w) for w in words}:
            words.append(word)
    if len(words) > MAX_WORDS:
        raise SerpError(_("At most %(max)d entries in '%(name)s'.", max=MAX_WORDS, name=name))
    return words


def save_settings(
    session: Session,
    brand: Brand,
    actor: User | None,
    *,
    extra_terms: Any,
    negative_words: Any,
    now: datetime,
) -> SuggestSettings:
    """Set the brand's extra terms and negative words, then relabel and re-seed."""
    check_editor(actor)
    terms = _clean_words(extra_terms, "extra_terms")
    words = _clean_words(negative_words, "negative_words")
    settings = settings_of(session, brand.id)
    if settings is None:
        settings = SuggestSettings(brand_id=brand.id)
        session.add(settings)
    settings.extra_terms, settings.negative_words = terms, words
    session.flush()
    relabel(session, brand.id)
    sync_terms(session, brand, now)
    audit.record(
        session, actor, "serp.suggestion_settings", "brand", brand.id, brand_id=brand.id,
        details={"extra_terms": len(terms), "negative_words": len(words)},
    )  # fmt: skip
    return settings


# --- storing a look-up ---------------------------------------------------------------------------


def _record_seen(
    session: Session,
    brand_id: int,
    key: str,
    text: str,
    term: SuggestTerm | None,
    now: datetime,
    *,
    alerted: bool = False,
) -> bool:
    """Write a negative suggestion's first appearance; False when it was seen before."""
    exists = session.scalar(
        select(NegativeSuggestionSeen.id).where(
            NegativeSuggestionSeen.brand_id == brand_id, NegativeSuggestionSeen.key == key
        )
    )
    if exists is not None:
        return False
    seen = NegativeSuggestionSeen(
        brand_id=brand_id, key=key, text=text[:500], first_seen_at=now,
        term=term.text if term else "", engine=term.engine if term else "",
        language=term.language if term else "", country=term.country if term else "",
        alerted_at=now if alerted else None,
    )  # fmt: skip
    try:
        with session.begin_nested():  # another worker may write the same one at once
            session.add(seen)
    except IntegrityError:
        return False
    return True


def store_answer(
    session: Session,
    term: SuggestTerm,
    answer: SuggestAnswer,
    now: datetime,
    label_of: SuggestionLabeller,
    worker_id: str | None = None,
) -> tuple[SuggestFetch | None, list[str]]:
    """Store one look-up with its labelled suggestions and schedule the term's next one (a week
    on, or a backoff after a failure); the keys of negatives seen for the first time. Nothing is
    written when ``worker_id`` no longer holds the term (its lease ran out and another took it)."""
    if worker_id is not None and term.claimed_by != worker_id:
        return None, []
    fetch = SuggestFetch(
        term_id=term.id, brand_id=term.brand_id, fetched_at=now, status=answer.status,
        source=answer.source, reason=(answer.reason or None) and answer.reason[:1000],
    )  # fmt: skip
    session.add(fetch)
    first_seen: list[str] = []
    for rank, text in enumerate(answer.suggestions, start=1):
        label, reason = label_of.label(text, term.text)
        key = suggestion_key(text)
        fetch.suggestions.append(
            Suggestion(rank=rank, text=text, key=key, label=label, reason=reason)
        )
        if label == "negative" and _record_seen(session, term.brand_id, key, text, term, now):
            first_seen.append(key)
    term.claimed_by, term.lease_until = None, None
    if answer.status == "ok":
        term.failures = 0
        term.last_fetched_at = now
        term.next_fetch_at = now + WEEK
    else:
        term.failures += 1
        term.next_fetch_at = now + claims.backoff(
            term.failures, FIRST_RETRY, RETRY_CAP, answer.retry_after
        )
    session.flush()
    return fetch, first_seen


def unsent_alerts(session: Session, brand_ids: Iterable[int] | None = None) -> Sequence[Any]:
    statement = select(NegativeSuggestionSeen).where(NegativeSuggestionSeen.alerted_at.is_(None))
    if brand_ids is not None:
        statement = statement.where(NegativeSuggestionSeen.brand_id.in_(list(brand_ids)))
    return session.scalars(statement.order_by(NegativeSuggestionSeen.id)).all()


def claim_alerts(session: Session, ids: Sequence[int], now: datetime) -> list[int]:
    """Take the alerts to send (once: a second worker finds them taken); the ids taken."""
    taken = session.execute(
        update(NegativeSuggestionSeen)
        .where(
            NegativeSuggestionSeen.id.in_(list(ids)), NegativeSuggestionSeen.alerted_at.is_(None)
        )
        .values(alerted_at=now)
        .returning(NegativeSuggestionSeen.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(row[0] for row in taken)
