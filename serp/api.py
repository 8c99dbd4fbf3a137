"""JSON API of search tracking under /api/v1: tracked queries, label rules, uploads, history."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, stream_with_context
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core import tenants
from core.api import ApiError, api_auth, body, parse_instant, register_api_errors
from core.db import db, utcnow
from core.models import Role
from core.parsing import parse_int
from serp import check_history, uploads
from serp import openapi as _openapi  # noqa: F401  (contributes the serp paths)
from serp import operations as ops
from serp import rules as rule_ops
from serp.checks import mark_due_now
from serp.feature_reads import check_blocks_for
from serp.labels import classifier_for_brand
from serp.models import SerpCheck, TrackedQuery
from serp.serialize import check_dict, query_dict, rule_dict

bp = Blueprint("serp_api", __name__, url_prefix="/api/v1")
register_api_errors(bp)

# Checks per answer of the history: each holds up to the query's depth + 10 results, so a page
# of 200 checks of a top-100 query is about 22,000 results.
MAX_HISTORY = 200
# Offsets are refused past this (ten million checks) before any arithmetic.
MAX_OFFSET = 10_000_000
FORMULA_STARTS = ("=", "+", "-", "@")


def _brand(brand_id: int):
    return tenants.brand_for(db.session, current_user, brand_id)


def _query(query_id: int) -> TrackedQuery:
    return ops.query_for(db.session, current_user, query_id)


def _config() -> dict[str, Any]:
    return current_app.config


# --- tracked queries ----------------------------------------------------------------------------


@bp.get("/brands/<int:brand_id>/serp/queries")
@api_auth()
def list_queries(brand_id: int) -> Any:
    brand = _brand(brand_id)
    include_deleted = request.args.get("include_deleted") in ("1", "true", "yes")
    queries = ops.queries_of(db.session, brand.id, include_deleted)
    return jsonify(queries=[query_dict(q, _config()) for q in queries])


@bp.post("/brands/<int:brand_id>/serp/queries")
@api_auth(Role.EDITOR)
def create_query(brand_id: int) -> Any:
    brand = _brand(brand_id)
    query = ops.create_query(
        db.session, brand, current_user, body(), config=_config(), now=utcnow()
    )
    db.session.commit()
    return jsonify(query_dict(query, _config())), 201


@bp.get("/serp/queries/<int:query_id>")
@api_auth()
def get_query(query_id: int) -> Any:
    return jsonify(query_dict(_query(query_id), _config()))


@bp.patch("/serp/queries/<int:query_id>")
@api_auth(Role.EDITOR)
def update_query(query_id: int) -> Any:
    query = _query(query_id)
    data = body()
    unknown = sorted(set(data) - set(ops.QUERY_FIELDS) - {"provider_settings"})
    if unknown:
        raise ApiError(422, f"Unknown fields: {', '.join(unknown)}.")
    ops.update_query(db.session, query, current_user, data, config=_config(), now=utcnow())
    db.session.commit()
    return jsonify(query_dict(query, _config()))


@bp.delete("/serp/queries/<int:query_id>")
@api_auth(Role.EDITOR)
def delete_query(query_id: int) -> Any:
    query = _query(query_id)
    if query.deleted_at is None:
        ops.delete_query(db.session, query, current_user, utcnow())
        db.session.commit()
    return "", 204


@bp.post("/serp/queries/<int:query_id>/check")
@api_auth(Role.EDITOR)
def check_query(query_id: int) -> Any:
    """Ask the worker to check the query at its next round (within a minute)."""
    query = _query(query_id)
    if query.deleted_at is not None or query.provider == "manual":
        raise ApiError(422, "This query is not fetched: it is deleted or takes uploads only.")
    mark_due_now(db.session, [query], utcnow())
    db.session.commit()
    return jsonify(query_dict(query, _config())), 202


@bp.get("/brands/<int:brand_id>/serp/progress")
@api_auth()
def progress(brand_id: int) -> Any:
    """Counts for a "check all now" progress bar: waiting, being checked, done since a time."""
    brand = _brand(brand_id)
    since = parse_instant(request.args.get("since"), "since") if "since" in request.args else None
    return jsonify(check_history.check_progress(db.session, brand.id, since, utcnow()))


# --- history ------------------------------------------------------------------------------------


def _history_args() -> tuple[int, int, datetime | None]:
    limit = parse_int(
        request.args.get("limit"), "limit", default=50, minimum=1, maximum=MAX_HISTORY
    )
    offset = parse_int(
        request.args.get("offset"), "offset", default=0, minimum=0, maximum=MAX_OFFSET
    )
    since = parse_instant(request.args["since"], "since") if "since" in request.args else None
    return limit, offset, since


@bp.get("/serp/queries/<int:query_id>/history")
@api_auth()
def query_history(query_id: int) -> Any:
    """The query's checks, newest first, each with every result and its label, a page at a time."""
    query = _query(query_id)
    limit, offset, since = _history_args()
    classifier = classifier_for_brand(db.session, query.brand_id)
    total = check_history.count_checks(db.session, query.id, since)
    checks = (
        check_history.history(db.session, query.id, limit, since, offset=offset)
        if offset < total
        else []
    )
    return jsonify(
        query=query_dict(query, _config()),
        checks=[check_dict(c, classifier) for c in checks],
        total=total,
        limit=limit,
        offset=offset,
        next_offset=offset + limit if offset + limit < total else None,
    )


@bp.get("/serp/checks/<int:check_id>/features")
@api_auth()
def check_features(check_id: int) -> Any:
    """The blocks beside a check's organic results, in page order, labelled and weighed."""
    return jsonify(check_blocks_for(db.session, current_user, check_id).to_dict())


EXPORT_COLUMNS = (
    "query_id",
    "query",
    "checked_at",
    "status",
    "reason",
    "position",
    "url",
    "normalized_url",
    "domain",
    "title",
    "label",
)


def _cell(value: Any) -> Any:
    # A cell starting with = + - @ runs as a formula in spreadsheets; quote it as text.
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


def history_csv_lines(
    query: TrackedQuery, checks: Iterable[SerpCheck], classifier
) -> Iterator[str]:
    """One line per result; a check without results (blocked, error, empty) gets one line.

    Checks are written in the order given (oldest first, as `checks_oldest_first` reads them)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    for check in checks:
        base = [query.id, _cell(query.text), check.checked_at.isoformat(), check.status]
        reason = _cell(check.reason or "")
        if not check.results:
            writer.writerow([*base, reason, "", "", "", "", "", ""])
        for row in check.results:
            label = classifier.label(row.normalized_url, normalized=True) or ""
            writer.writerow(
                [*base, reason, row.position, row.url, row.normalized_url, row.domain,
                 _cell(row.title), label]
            )  # fmt: skip
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


# Checks read at a time for the CSV export, so a history of years never sits in memory at once.
EXPORT_BATCH = 100


def checks_oldest_first(query_id: int, since: datetime | None) -> Iterator[SerpCheck]:
    """A query's checks with their results, oldest first, read a batch at a time."""
    statement = (
        select(SerpCheck)
        .where(SerpCheck.query_id == query_id)
        .options(selectinload(SerpCheck.results))
        .order_by(SerpCheck.checked_at, SerpCheck.id)
        .limit(EXPORT_BATCH)
    )
    if since is not None:
        statement = statement.where(SerpCheck.checked_at >= since)
    offset = 0
    while True:
        batch = list(db.session.scalars(statement.offset(offset)))
        yield from batch
        if len(batch) < EXPORT_BATCH:
            return
        for check in batch:  # written out: let them go (their results go with them)
            db.session.expunge(check)
        offset += EXPORT_BATCH


@bp.get("/serp/queries/<int:query_id>/history.csv")
@api_auth()
def query_history_csv(query_id: int) -> Any:
    """The whole history as CSV, streamed as it is read."""
    query = _query(query_id)
    since = parse_instant(request.args["since"], "since") if "since" in request.args else None
    classifier = classifier_for_brand(db.session, query.brand_id)
    checks = checks_oldest_first(query.id, since)
    filename = f"serp-query-{query.id}-{datetime.now(UTC):%Y%m%d}.csv"
    return Response(
        stream_with_context(history_csv_lines(query, checks, classifier)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# --- uploads ------------------------------------------------------------------------------------


def upload_kind(filename: str, content_type: str, given: str | None) -> str:
    if given in ("html", "csv"):
        return given
    name = filename.lower()
    if name.endswith(".csv") or "csv" in content_type:
        return "csv"
    if name.endswith((".html", ".htm")) or "html" in content_type:
        return "html"
    raise ApiError(422, "Say what the upload is: kind=html or kind=csv (or name the file so).")


def decode_upload(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Saved result pages are sometimes in a legacy charset; keep what can be read.
        return data.decode("latin-1")


@bp.post("/serp/queries/<int:query_id>/uploads")
@api_auth(Role.EDITOR)
def upload(query_id: int) -> Any:
    """A saved result page (HTML) or a CSV of checks, as a multipart `file` or the raw body."""
    query = _query(query_id)
    file = request.files.get("file")
    if file is not None:
        content, filename, content_type = file.read(), file.filename or "", file.mimetype or ""
    else:
        content, filename, content_type = request.get_data(), "", request.mimetype or ""
    if not content:
        raise ApiError(422, "Send the page or CSV as the `file` field or as the request body.")
    kind = upload_kind(filename, content_type, request.values.get("kind"))
    if kind == "html":
        uploads.check_page_size(len(content), _config())
    checked_at = (
        parse_instant(request.values["checked_at"], "checked_at")
        if request.values.get("checked_at")
        else utcnow()
    )
    checks = uploads.import_upload(
        db.session,
        query,
        current_user,
        content=decode_upload(content),
        kind=kind,
        checked_at=checked_at,
        config=_config(),
    )
    db.session.commit()
    classifier = classifier_for_brand(db.session, query.brand_id)
    return jsonify(checks=[check_dict(c, classifier) for c in checks]), 201


# --- label rules --------------------------------------------------------------------------------


@bp.get("/brands/<int:brand_id>/serp/labels")
@api_auth()
def list_rules(brand_id: int) -> Any:
    brand = _brand(brand_id)
    return jsonify(labels=[rule_dict(r) for r in rule_ops.rules_of(db.session, brand.id)])


@bp.post("/brands/<int:brand_id>/serp/labels")
@api_auth(Role.EDITOR)
def create_rule(brand_id: int) -> Any:
    brand = _brand(brand_id)
    data = body()
    rule = rule_ops.save_rule(
        db.session,
        brand.id,
        current_user,
        match_type=data.get("match_type", "exact"),
        pattern=data.get("pattern"),
        label=data.get("label"),
        note=str(data.get("note") or ""),
    )
    db.session.commit()
    return jsonify(rule_dict(rule)), 201


@bp.get("/serp/labels/<int:rule_id>")
@api_auth()
def get_rule(rule_id: int) -> Any:
    return jsonify(rule_dict(rule_ops.rule_for(db.session, current_user, rule_id)))


@bp.patch("/serp/labels/<int:rule_id>")
@api_auth(Role.EDITOR)
def update_rule(rule_id: int) -> Any:
    rule = rule_ops.rule_for(db.session, current_user, rule_id)
    rule_ops.update_rule(db.session, rule, current_user, body())
    db.session.commit()
    return jsonify(rule_dict(rule))


@bp.delete("/serp/labels/<int:rule_id>")
@api_auth(Role.EDITOR)
def delete_rule(rule_id: int) -> Any:
    rule = rule_ops.rule_for(db.session, current_user, rule_id)
    rule_ops.delete_rule(db.session, rule, current_user)
    db.session.commit()
    return "", 204
