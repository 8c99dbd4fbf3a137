"""Search-tracking operations: explicit arguments, flush only; the caller commits."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit, tenants
from core.crypto import decrypt_json, encrypt_json
from core.models import User
from core.outbound import OutboundBlocked, check_url
from core.tenants import Brand
from serp.checks import next_scheduled
from serp.errors import NotFound, SerpError, check_editor
from serp.models import (
    DEPTHS,
    Device,
    Engine,
    Schedule,
    TrackedQuery,
)
from serp.providers import PROVIDERS, HttpClient, get_provider

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
            errors.append(_("A tracked query needs its search text."))
        elif len(text) > 500:
            errors.append(_("The search text is limited to 500 characters."))
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
            errors.append(_("'language' must be a language code such as en, de or pt-br."))
        clean["language"] = language
    if "country" in values:
        country = str(values["country"] or "").strip().lower()
        if not COUNTRY_RE.match(country):
            errors.append(_("'country' must be a two-letter country code such as us or de."))
        clean["country"] = country
    if "tags" in values:
        tags = values["tags"]
        if isinstance(tags, str):
            tags = [t for t in (part.strip() for part in tags.split(",")) if t]
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            errors.append("'tags' must be a list of words.")
        elif len(tags) > 20 or any(len(t) > 40 for t in tags):
            errors.append(_("Up to 20 tags of up to 40 characters each."))
        else:
            clean["tags"] = sorted({t.strip() for t in tags if t.strip()})
    if "importance" in values:
        value = values["importance"]
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 100:
            errors.append(_("'importance' must be a number above 0 and at most 100."))
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
            errors.append(_("The provider address is refused: %(reason)s", reason=exc))
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
        raise SerpError(_("This query was deleted; its history is kept until it is purged."))
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


def check_all_message(queries: list[TrackedQuery], marked: int) -> str:
    """What "Check all now" did, and why any query was left out."""
    if not queries:
        return _("There is no tracked query to check yet: add one below.")
    paused = sum(1 for q in queries if q.paused)
    uploads = sum(1 for q in queries if not q.paused and q.provider == "manual")
    left_out = []
    if paused:
        left_out.append(
            ngettext("%(num)d is paused (resume to check)", "%(num)d are paused (resume to check)",
                     paused)
        )  # fmt: skip
    if uploads:
        left_out.append(
            ngettext(
                "%(num)d is checked only from uploaded pages (upload a saved result page on the "
                "query's page)",
                "%(num)d are checked only from uploaded pages (upload a saved result page on the "
                "query's page)",
                uploads,
            )
        )
    reasons = "; ".join(left_out)
    if not marked:
        return _("No query will be checked: %(reasons)s.", reasons=reasons)
    message = ngettext(
        "%(num)d query will be checked by the worker within a minute.",
        "%(num)d queries will be checked by the worker within a minute.",
        marked,
    )
    return message + (" " + _("Left out: %(reasons)s.", reasons=reasons) if reasons else "")
