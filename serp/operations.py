"""Search-tracking operations: explicit arguments, flush only; the caller commits."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from core import audit, tenants
from core.crypto import decrypt_json, encrypt_json
from core.models import User
from core.outbound import OutboundBlocked, check_url
from core.tenants import Brand
from serp.checks import next_scheduled, store_check
from serp.errors import NotFound, SerpError, check_editor
from serp.labels import Classifier, classifier_for_brand
from serp.models import (
    DEPTHS,
    CheckStatus,
    Device,
    Engine,
    Schedule,
    SerpCheck,
    SerpResultRow,
    TrackedQuery,
)
from serp.providers import PROVIDERS, HttpClient, get_provider
from serp.providers.html import read_page
from serp.providers.manual import read_csv

LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,4})?$")
COUNTRY_RE = re.compile(r"^[a-z]{2}$")
QUERY_FIELDS = (
    "text",
    "engine",
    "language",
    "country",
    "device",
    "depth",
    "schedule",
    "weekday",
    "hour",
    "provider",
    "tags",
    "importance",
    "paused",
)


# --- tracked queries ----------------------------------------------------------------------------


def query_for(session: Session, user: User, query_id: int) -> TrackedQuery:
    """A tracked query of a brand the user belongs to (deleted ones too), or NotFound."""
    query = session.get(TrackedQuery, query_id)
    if query is None or not tenants.is_member(session, user, query.brand_id):
        raise NotFound(f"No tracked query {query_id} that you can see.")
    return query


def queries_of(
    session: Session, brand_id: int, include_deleted: bool = False
) -> list[TrackedQuery]:
    statement = select(TrackedQuery).where(TrackedQuery.brand_id == brand_id)
    if not include_deleted:
        statement = statement.where(TrackedQuery.deleted_at.is_(None))
    return list(session.scalars(statement.order_by(TrackedQuery.text, TrackedQuery.id)))


def _choice(value: Any, choices: list[str], name: str, errors: list[str]) -> Any:
    if value not in choices:
        errors.append(f"'{name}' must be one of {', '.join(map(str, choices))}.")
    return value


def _clean_fields(values: Mapping[str, Any], errors: list[str]) -> dict[str, Any]:
    """Validated query fields out of ``values`` (only the ones given)."""
    clean: dict[str, Any] = {}
    if "text" in values:
        text = " ".join(str(values["text"] or "").split())
        if not text:
            errors.append("A tracked query needs its search text.")
        elif len(text) > 500:
            errors.append("The search text is limited to 500 characters.")
        clean["text"] = text
    if "engine" in values:
        clean["engine"] = _choice(values["engine"], [e.value for e in Engine], "engine", errors)
    if "device" in values:
        clean["device"] = _choice(values["device"], [d.value for d in Device], "device", errors)
    if "schedule" in values:
        clean["schedule"] = _choice(
            values["schedule"], [s.value for s in Schedule], "schedule", errors
        )
    if "provider" in values:
        clean["provider"] = _choice(values["provider"], list(PROVIDERS), "provider", errors)
    if "depth" in values:
        clean["depth"] = _choice(values["depth"], list(DEPTHS), "depth", errors)
    for name, low, high in (("weekday", 0, 6), ("hour", 0, 23)):
        if name in values:
            value = values[name]
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                errors.append(f"'{name}' must be a whole number from {low} to {high}.")
            clean[name] = value
    if "language" in values:
        language = str(values["language"] or "").strip().lower()
        if not LANGUAGE_RE.match(language):
            errors.append("'language' must be a language code such as en, de or pt-br.")
        clean["language"] = language
    if "country" in values:
        country = str(values["country"] or "").strip().lower()
        if not COUNTRY_RE.match(country):
            errors.append("'country' must be a two-letter country code such as us or de.")
        clean["country"] = country
    if "tags" in values:
        tags = values["tags"]
        if isinstance(tags, str):
            tags = [t for t in (part.strip() for part in tags.split(",")) if t]
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            errors.append("'tags' must be a list of words.")
        elif len(tags) > 20 or any(len(t) > 40 for t in tags):
            errors.append("Up to 20 tags of up to 40 characters each.")
        else:
            clean["tags"] = sorted({t.strip() for t in tags if t.strip()})
    if "importance" in values:
        value = values["importance"]
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 100:
            errors.append("'importance' must be a number above 0 and at most 100.")
        clean["importance"] = float(value) if isinstance(value, int | float) else 1.0
    if "paused" in values:
        if not isinstance(values["paused"], bool):
            errors.append("'paused' must be true or false.")
        clean["paused"] = bool(values["paused"])
    return clean


def _clean_settings(
    settings: Any, config: Mapping[str, Any], errors: list[str]
) -> dict[str, str] | None:
    if settings is None:
        return None
    if not isinstance(settings, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in settings.items()
    ):
        errors.append("'provider_settings' must be an object of text values (api_key, base_url).")
        return None
    settings = {k: v.strip() for k, v in settings.items() if v.strip()}
    if settings.get("base_url"):
        try:
            check_url(
                settings["base_url"], allow_private=bool(config.get("OUTBOUND_ALLOW_PRIVATE"))
            )
        except OutboundBlocked as exc:
            errors.append(f"The provider address is refused: {exc}")
    return settings


def _check_provider(
    query: TrackedQuery, settings: dict[str, Any], config: Mapping[str, Any], errors: list[str]
) -> None:
    if query.provider in PROVIDERS and query.engine in {e.value for e in Engine}:
        provider = get_provider(query.provider, HttpClient(config))
        errors.extend(provider.problems(query.engine, settings))


def create_query(
    session: Session,
    brand: Brand,
    actor: User | None,
    values: Mapping[str, Any],
    *,
    config: Mapping[str, Any],
    now: datetime,
) -> TrackedQuery:
    """A new tracked query; its first check is due at once unless it is checked by hand."""
    check_editor(actor)
    errors: list[str] = []
    defaults = {
        "engine": "google",
        "language": "en",
        "country": "us",
        "device": "desktop",
        "depth": 10,
        "schedule": "weekly",
        "weekday": 0,
        "hour": 6,
        "provider": "html",
        "tags": [],
        "importance": 1.0,
        "paused": False,
    }
    clean = _clean_fields({**defaults, "text": "", **values}, errors)
    settings = _clean_settings(values.get("provider_settings") or {}, config, errors) or {}
    query = TrackedQuery(brand_id=brand.id, created_by_id=actor.id if actor else None, **clean)
    if not errors:
        _check_provider(query, settings, config, errors)
    if errors:
        raise SerpError(*errors)
    query.provider_settings_encrypted = encrypt_json(settings, dict(config)) if settings else None
    if query.schedule != Schedule.MANUAL.value and query.provider != "manual":
        query.next_check_at = now
    session.add(query)
    session.flush()
    audit.record(
        session, actor, "serp.query_created", "serp_query", query.id, brand_id=brand.id,
        text=query.text, engine=query.engine, provider=query.provider,
    )  # fmt: skip
    return query


def update_query(
    session: Session,
    query: TrackedQuery,
    actor: User | None,
    values: Mapping[str, Any],
    *,
    config: Mapping[str, Any],
    now: datetime,
) -> TrackedQuery:
    """Change a query's fields; settings are replaced only when given."""
    check_editor(actor)
    if query.deleted_at is not None:
        raise SerpError("This query was deleted; its history is kept until it is purged.")
    errors: list[str] = []
    clean = _clean_fields({k: v for k, v in values.items() if k in QUERY_FIELDS}, errors)
    new_settings = _clean_settings(values.get("provider_settings"), config, errors)
    if errors:
        raise SerpError(*errors)
    timing_changed = any(
        name in clean and clean[name] != getattr(query, name)
        for name in ("schedule", "weekday", "hour")
    )
    for name, value in clean.items():
        setattr(query, name, value)
    settings = new_settings if new_settings is not None else provider_settings_of(query, config)
    _check_provider(query, settings, config, errors)
    if errors:
        raise SerpError(*errors)  # the caller rolls the changed fields back
    if new_settings is not None:
        query.provider_settings_encrypted = (
            encrypt_json(new_settings, dict(config)) if new_settings else None
        )
    if query.schedule == Schedule.MANUAL.value or query.provider == "manual":
        query.next_check_at = None
    elif timing_changed or query.next_check_at is None:
        zone = ZoneInfo(session.get(Brand, query.brand_id).timezone)
        query.next_check_at = (
            next_scheduled(query, zone, now) if query.last_checked_at is not None else now
        )
    session.flush()
    audit.record(
        session, actor, "serp.query_updated", "serp_query", query.id, brand_id=query.brand_id,
        fields=sorted(clean) + (["provider_settings"] if new_settings is not None else []),
    )  # fmt: skip
    return query


def provider_settings_of(query: TrackedQuery, config: Mapping[str, Any]) -> dict[str, Any]:
    return decrypt_json(query.provider_settings_encrypted, dict(config))


def delete_query(session: Session, query: TrackedQuery, actor: User | None, now: datetime) -> None:
    """Stop tracking; the history stays until the query is purged."""
    check_editor(actor)
    query.deleted_at = now
    query.next_check_at = None
    session.flush()
    audit.record(
        session, actor, "serp.query_deleted", "serp_query", query.id, brand_id=query.brand_id
    )


def set_paused(session: Session, query: TrackedQuery, actor: User | None, paused: bool) -> None:
    check_editor(actor)
    query.paused = paused
    session.flush()
    action = "serp.query_paused" if paused else "serp.query_resumed"
    audit.record(session, actor, action, "serp_query", query.id, brand_id=query.brand_id)


# --- uploads ------------------------------------------------------------------------------------

DEFAULT_MAX_PAGE_BYTES = 5 * 1024 * 1024


def check_page_size(size: int, config: Mapping[str, Any]) -> None:
    """Refuse an uploaded result page over SERP_MAX_PAGE_BYTES, naming the limit."""
    limit = int(config.get("SERP_MAX_PAGE_BYTES") or DEFAULT_MAX_PAGE_BYTES)
    if size > limit:
        raise SerpError(
            f"The uploaded page is {_megabytes(size)}, over the {_megabytes(limit)} limit for "
            "result pages (SERP_MAX_PAGE_BYTES). Result pages weigh 0.3–2 MB: save the page "
            "as “HTML only”, without embedded images."
        )


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB" if size >= 1024 * 1024 else f"{size:,} bytes"


# Files people upload by mistake in place of a saved result page, told by their first bytes (as
# characters: uploads are decoded as UTF-8, or Latin-1 which maps each byte to one character).
NOT_A_PAGE = (
    ("\x89PNG\r\n\x1a\n", "a PNG image"),
    ("\xff\xd8\xff", "a JPEG image"),
    ("GIF87a", "a GIF image"),
    ("GIF89a", "a GIF image"),
    ("%PDF-", "a PDF document"),
    ("PK\x03\x04", "a ZIP archive (or an Office document)"),
)
_MARKUP = re.compile(r"<\s*(?:!doctype|html|head|body|div|a|p|span|table|title|meta)\b", re.I)


def refuse_non_html(content: str) -> None:
    """Refuse an upload that is not an HTML page before anything is stored, saying what it is:
    kept, it would be an "error" check for ever."""
    head = content.lstrip("\ufeff")
    how = (
        "Save the search results page from the browser as HTML (File → Save page as…, "
        "“Web page, HTML only”) and upload that file."
    )
    for magic, what in NOT_A_PAGE:
        if head.startswith(magic):
            raise SerpError(f"This file is {what}, not a saved result page. {how}")
    if "\x00" in head[:4096]:
        raise SerpError(f"This file is not text, so not a saved result page. {how}")
    if not _MARKUP.search(head):
        raise SerpError(f"This file has no HTML markup, so it is not a saved result page. {how}")


def import_upload(
    session: Session,
    query: TrackedQuery,
    actor: User | None,
    *,
    content: str,
    kind: str,
    checked_at: datetime,
    config: Mapping[str, Any] | None = None,
) -> list[SerpCheck]:
    """Store uploaded pages as checks: one saved HTML page, or a CSV of one or more checks."""
    check_editor(actor)
    if query.deleted_at is not None:
        raise SerpError("This query was deleted; uploads go to a tracked query.")
    if kind == "csv":
        upload = read_csv(content)
        if upload.errors:
            raise SerpError(*upload.errors)
        checks = [
            store_check(
                session,
                query,
                status=CheckStatus.OK.value,
                results=results,
                checked_at=when,
                provider="manual",
            )  # fmt: skip
            for when, results in upload.checks.items()
        ]
    elif kind == "html":
        # The pages' callers check the bytes as uploaded; characters are never more than those.
        check_page_size(len(content), config or {})
        if not content.strip():
            raise SerpError("The uploaded page is empty.")
        refuse_non_html(content)
        page = read_page(content, query.engine)
        checks = [
            store_check(
                session,
                query,
                status=page.status,
                results=page.results,
                checked_at=checked_at,
                provider="manual",
                reason=page.reason,
                pages=[{"page": 0, "format": "html", "body": content}],
            )  # fmt: skip
        ]
    else:
        raise SerpError("Upload an HTML page or a CSV file.")
    latest = max(check.checked_at for check in checks)
    if query.last_checked_at is None or latest > query.last_checked_at:
        query.last_checked_at = latest
    session.flush()
    audit.record(
        session, actor, "serp.upload", "serp_query", query.id, brand_id=query.brand_id,
        kind=kind, checks=len(checks),
    )  # fmt: skip
    return checks


def check_all_message(queries: list[TrackedQuery], marked: int) -> str:
    """What "Check all now" did, and why any query was left out."""
    if not queries:
        return "There is no tracked query to check yet: add one below."
    paused = sum(1 for q in queries if q.paused)
    uploads = sum(1 for q in queries if not q.paused and q.provider == "manual")
    left_out = []
    if paused:
        left_out.append(f"{paused} {'is' if paused == 1 else 'are'} paused (resume to check)")
    if uploads:
        left_out.append(
            f"{uploads} {'is' if uploads == 1 else 'are'} checked only from uploaded pages "
            "(upload a saved result page on the query's page)"
        )
    reasons = "; ".join(left_out)
    if not marked:
        return f"No query will be checked: {reasons}."
    queries_word = "query" if marked == 1 else "queries"
    message = f"{marked} {queries_word} will be checked by the worker within a minute."
    return message + (f" Left out: {reasons}." if reasons else "")


# --- history ------------------------------------------------------------------------------------


def history(
    session: Session,
    query_id: int,
    limit: int | None = None,
    since: datetime | None = None,
    offset: int = 0,
) -> list[SerpCheck]:
    """A query's checks with their results, newest first (``offset`` newest ones skipped)."""
    statement = (
        select(SerpCheck)
        .where(SerpCheck.query_id == query_id)
        .options(selectinload(SerpCheck.results))
        .order_by(SerpCheck.checked_at.desc(), SerpCheck.id.desc())
    )
    if since is not None:
        statement = statement.where(SerpCheck.checked_at >= since)
    if limit:
        statement = statement.limit(limit)
    if offset:
        statement = statement.offset(offset)
    return list(session.scalars(statement))


def count_checks(session: Session, query_id: int, since: datetime | None = None) -> int:
    """How many checks a query has (since a time)."""
    statement = select(func.count()).select_from(SerpCheck).where(SerpCheck.query_id == query_id)
    if since is not None:
        statement = statement.where(SerpCheck.checked_at >= since)
    return session.scalar(statement) or 0


# Failed checks after the latest good one shown above a query's latest page.
NEWER_FAILURES_SHOWN = 5


def latest_checks(session: Session, query_id: int) -> list[SerpCheck]:
    """What a query's latest page is read from, newest first, whatever the history's length:
    the two newest good checks and the newest failed ones after them."""
    ordered = (SerpCheck.checked_at.desc(), SerpCheck.id.desc())
    good = list(
        session.scalars(
            select(SerpCheck)
            .where(SerpCheck.query_id == query_id, SerpCheck.status == CheckStatus.OK.value)
            .options(selectinload(SerpCheck.results))
            .order_by(*ordered)
            .limit(2)
        )
    )
    failed = select(SerpCheck).where(
        SerpCheck.query_id == query_id, SerpCheck.status != CheckStatus.OK.value
    )
    if good:
        failed = failed.where(SerpCheck.checked_at > good[0].checked_at)
    newer = list(session.scalars(failed.order_by(*ordered).limit(NEWER_FAILURES_SHOWN)))
    return newer + good


@dataclass
class Movement:
    """A result of the latest good check beside the good check before it."""

    row: SerpResultRow
    label: str | None
    previous: int | None  # position in the previous good check; None: new
    compared: bool = True  # False on the first good check: nothing to compare with

    @property
    def change(self) -> str:
        if not self.compared:
            return ""
        if self.previous is None:
            return "new"
        delta = self.previous - self.row.position
        return f"↑{delta}" if delta > 0 else f"↓{-delta}" if delta < 0 else "="


@dataclass
class LatestPage:
    check: SerpCheck | None
    previous: SerpCheck | None
    rows: list[Movement] = field(default_factory=list)
    gone: list[tuple[str, int]] = field(default_factory=list)  # (normalized url, old position)
    newer_failures: list[SerpCheck] = field(default_factory=list)


def latest_page(checks: list[SerpCheck], classifier: Classifier) -> LatestPage:
    """The newest good check, its movements since the good one before, and later failures."""
    good = [c for c in checks if c.status == CheckStatus.OK.value]
    if not good:
        return LatestPage(None, None, newer_failures=checks)
    latest, previous = good[0], good[1] if len(good) > 1 else None
    before = {r.normalized_url: r.position for r in previous.results} if previous else {}
    page = LatestPage(latest, previous)
    page.newer_failures = [c for c in checks if c.checked_at > latest.checked_at]
    seen = set()
    for row in latest.results:
        seen.add(row.normalized_url)
        page.rows.append(
            Movement(
                row,
                classifier.label(row.normalized_url, normalized=True),
                before.get(row.normalized_url),
                compared=previous is not None,
            )
        )
    page.gone = sorted((url, pos) for url, pos in before.items() if url not in seen)
    return page


def unlabelled_page_one(session: Session, brand_id: int, limit: int = 200) -> list[dict[str, Any]]:
    """Page-one results of the brand's latest good checks that no rule labels yet."""
    classifier = classifier_for_brand(session, brand_id)
    latest = (
        select(SerpCheck.query_id, func.max(SerpCheck.checked_at).label("at"))
        .join(TrackedQuery, TrackedQuery.id == SerpCheck.query_id)
        .where(
            TrackedQuery.brand_id == brand_id,
            TrackedQuery.deleted_at.is_(None),
            SerpCheck.status == CheckStatus.OK.value,
        )
        .group_by(SerpCheck.query_id)
        .subquery()
    )
    rows = session.execute(
        select(SerpResultRow, TrackedQuery)
        .join(SerpCheck, SerpCheck.id == SerpResultRow.check_id)
        .join(
            latest,
            (latest.c.query_id == SerpCheck.query_id) & (latest.c.at == SerpCheck.checked_at),
        )
        .join(TrackedQuery, TrackedQuery.id == SerpCheck.query_id)
        .where(SerpCheck.status == CheckStatus.OK.value, SerpResultRow.position <= 10)
        .order_by(SerpResultRow.position, TrackedQuery.text)
    ).all()
    queue: dict[str, dict[str, Any]] = {}
    for row, query in rows:
        if classifier.label(row.normalized_url, normalized=True) is not None:
            continue
        item = queue.setdefault(
            row.normalized_url,
            {"row": row, "best": row.position, "queries": [], "weight": 0.0},
        )
        item["queries"].append((query, row.position))
        item["best"] = min(item["best"], row.position)
        item["weight"] += query.importance * (11 - row.position)
    # Most visible first: high on page one for important queries.
    return sorted(queue.values(), key=lambda item: -item["weight"])[:limit]


def _queries_holding(brand_id: int, normalized_url: str) -> tuple[Any, ...]:
    query_ids = (
        select(SerpCheck.query_id)
        .join(SerpResultRow, SerpResultRow.check_id == SerpCheck.id)
        .where(SerpResultRow.normalized_url == normalized_url)
    )
    return (TrackedQuery.brand_id == brand_id, TrackedQuery.id.in_(query_ids))


def count_url_queries(session: Session, brand_id: int, normalized_url: str) -> int:
    """How many of the brand's queries the URL appeared in."""
    matching = _queries_holding(brand_id, normalized_url)
    return session.scalar(select(func.count()).select_from(TrackedQuery).where(*matching)) or 0


def url_history(
    session: Session,
    brand_id: int,
    normalized_url: str,
    *,
    limit: int | None = None,
    offset: int = 0,
    checks_per_query: int | None = None,
) -> list[tuple[TrackedQuery, int, list[tuple[SerpCheck, int | None]]]]:
    """A page of the brand's queries the URL appeared in, each with its number of checks and
    the URL's position at each of its latest checks (oldest first)."""
    queries = session.scalars(
        select(TrackedQuery)
        .where(*_queries_holding(brand_id, normalized_url))
        .order_by(TrackedQuery.text, TrackedQuery.id)
        .limit(limit)
        .offset(offset)
    ).all()
    out = []
    for query in queries:
        count = session.scalar(
            select(func.count()).select_from(SerpCheck).where(SerpCheck.query_id == query.id)
        )
        checks = list(
            session.scalars(
                select(SerpCheck)
                .where(SerpCheck.query_id == query.id)
                .order_by(SerpCheck.checked_at.desc(), SerpCheck.id.desc())
                .limit(checks_per_query)
            ).all()
        )
        checks.reverse()
        positions = dict(
            session.execute(
                select(SerpResultRow.check_id, func.min(SerpResultRow.position))
                .where(
                    SerpResultRow.check_id.in_([check.id for check in checks]),
                    SerpResultRow.normalized_url == normalized_url,
                )
                .group_by(SerpResultRow.check_id)
            ).all()
        )
        out.append((query, count or 0, [(check, positions.get(check.id)) for check in checks]))
    return out


def check_progress(
    session: Session, brand_id: int, since: datetime | None, now: datetime
) -> dict[str, int]:
    """Counts for a "check all now" progress bar: waiting, being checked, done since a time."""
    active = (
        TrackedQuery.brand_id == brand_id,
        TrackedQuery.deleted_at.is_(None),
        TrackedQuery.provider != "manual",
    )
    running = session.scalar(
        select(func.count()).where(
            *active, TrackedQuery.claimed_by.is_not(None), TrackedQuery.lease_until >= now
        )
    )
    waiting = session.scalar(
        select(func.count()).where(
            *active,
            TrackedQuery.paused.is_(False),
            TrackedQuery.next_check_at <= now,
            TrackedQuery.claimed_by.is_(None),
        )
    )
    done = 0
    if since is not None:
        done = session.scalar(
            select(func.count(func.distinct(SerpCheck.query_id)))
            .join(TrackedQuery, TrackedQuery.id == SerpCheck.query_id)
            .where(TrackedQuery.brand_id == brand_id, SerpCheck.checked_at >= since)
        )
    return {"waiting": waiting or 0, "running": running or 0, "done": done or 0}


def position_grid(checks: list[SerpCheck], keys: list[str]) -> dict[str, list[int | None]]:
    """Each URL's position at each check (None: not in the recorded results, or a gap)."""
    grid: dict[str, list[int | None]] = {key: [] for key in keys}
    for check in checks:
        positions: dict[str, int] = {}
        if check.status == CheckStatus.OK.value:
            for row in check.results:
                positions.setdefault(row.normalized_url, row.position)
        for key in keys:
            grid[key].append(positions.get(key))
    return grid
