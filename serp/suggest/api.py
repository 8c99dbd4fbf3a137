"""JSON API of autocomplete tracking under /api/v1: current suggestions, their history, the
negatives per week, a check now and a person's label."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core import tenants
from core.api import ApiError, api_auth, body, parse_instant, register_api_errors
from core.db import db, utcnow
from core.models import Role
from core.parsing import InvalidInput, parse_id, parse_int
from serp.suggest import history
from serp.suggest import openapi as _openapi  # noqa: F401  (contributes the paths)
from serp.suggest import operations as ops
from serp.suggest.fetch import UnknownLocale, check_locale
from serp.suggest.models import ENGINES, SuggestFetch, SuggestTerm

bp = Blueprint("serp_suggest_api", __name__, url_prefix="/api/v1")
register_api_errors(bp)

MAX_HISTORY = 200
MAX_OFFSET = 10_000_000


def _brand(brand_id: int):
    return tenants.brand_for(db.session, current_user, brand_id)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def term_dict(term: SuggestTerm) -> dict[str, Any]:
    return {
        "id": term.id,
        "text": term.text,
        "engine": term.engine,
        "language": term.language,
        "country": term.country,
        "active": term.active,
        "last_fetched_at": _iso(term.last_fetched_at),
        "next_fetch_at": _iso(term.next_fetch_at),
        "failures": term.failures,
    }


def fetch_dict(fetch: SuggestFetch) -> dict[str, Any]:
    return {
        "id": fetch.id,
        "term_id": fetch.term_id,
        "fetched_at": _iso(fetch.fetched_at),
        "status": fetch.status,
        "source": fetch.source,
        "reason": fetch.reason,
        "suggestions": [
            {"rank": s.rank, "text": s.text, "label": s.label, "label_reason": s.reason}
            for s in fetch.suggestions
        ],
    }


def _filters() -> tuple[str | None, str | None, str | None]:
    engine = request.args.get("engine") or None
    if engine is not None and engine not in ENGINES:
        raise ApiError(422, f"'engine' must be one of {', '.join(ENGINES)}.")
    language = request.args.get("language") or None
    country = request.args.get("country") or None
    try:
        if language is not None:
            language = check_locale(language, country or "us")[0]
        if country is not None:
            country = check_locale(language or "en", country)[1]
    except UnknownLocale as exc:
        raise ApiError(422, str(exc)) from None
    return engine, language, country


@bp.get("/brands/<int:brand_id>/serp/suggestions")
@api_auth()
def current(brand_id: int) -> Any:
    """Each active term's latest good look-up, filtered by engine, language and country."""
    brand = _brand(brand_id)
    engine, language, country = _filters()
    terms = []
    for row in history.current(db.session, brand.id):
        term = row.term
        if (engine and term.engine != engine) or (language and term.language != language):
            continue
        if country and term.country != country:
            continue
        terms.append(
            {
                **term_dict(term),
                "latest": fetch_dict(row.latest) if row.latest else None,
                "failure": fetch_dict(row.failure) if row.failure else None,
                "negatives": row.negatives,
            }
        )
    return jsonify(terms=terms)


@bp.get("/brands/<int:brand_id>/serp/suggestions/history")
@api_auth()
def fetches(brand_id: int) -> Any:
    """The brand's look-ups, newest first, with every suggestion, a page at a time."""
    brand = _brand(brand_id)
    try:
        term_id = parse_id(request.args.get("term_id"), "term_id")
        limit = parse_int(request.args.get("limit"), "limit", default=50, minimum=1,
                          maximum=MAX_HISTORY)  # fmt: skip
        offset = parse_int(request.args.get("offset"), "offset", default=0, minimum=0,
                           maximum=MAX_OFFSET)  # fmt: skip
    except InvalidInput as exc:
        raise ApiError(422, str(exc)) from None
    since = parse_instant(request.args["since"], "since") if "since" in request.args else None
    statement = select(SuggestFetch).where(SuggestFetch.brand_id == brand.id)
    if term_id is not None:
        term = db.session.get(SuggestTerm, term_id)
        if term is None or term.brand_id != brand.id:
            raise ApiError(404, "No such autocomplete term in this brand.")
        statement = statement.where(SuggestFetch.term_id == term_id)
    if since is not None:
        statement = statement.where(SuggestFetch.fetched_at >= since)
    rows = list(
        db.session.scalars(
            statement.options(selectinload(SuggestFetch.suggestions))
            .order_by(SuggestFetch.fetched_at.desc(), SuggestFetch.id.desc())
            .offset(offset)
            .limit(limit + 1)
        )
    )
    terms = {
        t.id: term_dict(t)
        for t in db.session.scalars(
            select(SuggestTerm).where(SuggestTerm.id.in_({f.term_id for f in rows}))
        )
    }
    return jsonify(
        fetches=[{**fetch_dict(f), "term": terms[f.term_id]} for f in rows[:limit]],
        limit=limit,
        offset=offset,
        next_offset=offset + limit if len(rows) > limit else None,
    )


@bp.get("/brands/<int:brand_id>/serp/suggestions/weekly")
@api_auth()
def weekly(brand_id: int) -> Any:
    """Distinct negative suggestions per week (null: no good look-up that week)."""
    brand = _brand(brand_id)
    try:
        weeks = parse_int(request.args.get("weeks"), "weeks", default=26, minimum=1, maximum=520)
    except InvalidInput as exc:
        raise ApiError(422, str(exc)) from None
    data = history.negatives_per_week(db.session, brand.id, utcnow(), weeks or 26)
    return jsonify(weeks=[{"week": w, "negatives": c} for w, c in zip(*data.values(), strict=True)])


@bp.post("/brands/<int:brand_id>/serp/suggestions/check")
@api_auth(Role.EDITOR)
def check(brand_id: int) -> Any:
    brand = _brand(brand_id)
    due = ops.check_now(db.session, brand, current_user, utcnow())
    db.session.commit()
    return jsonify(due=due), 202


@bp.post("/brands/<int:brand_id>/serp/suggestions/labels")
@api_auth(Role.EDITOR)
def label(brand_id: int) -> Any:
    """Label a suggestion by hand (negative, neutral, positive; empty clears the label)."""
    brand = _brand(brand_id)
    data = body()
    text, value = data.get("text"), data.get("label")
    if not isinstance(text, str) or not isinstance(value, str | None):
        raise ApiError(422, "Send 'text' (the suggestion) and 'label' as strings.")
    key = ops.mark_suggestion(db.session, brand.id, current_user, text, value or "", utcnow())
    db.session.commit()
    return jsonify(key=key, label=value or None)
