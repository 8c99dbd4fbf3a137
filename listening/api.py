"""JSON API of listening under /api/v1: sources, mentions (state, assignee), CSV uploads."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask_login import current_user
from sqlalchemy import func, select

from core import tenants
from core.api import ApiError, api_auth, body, register_api_errors
from core.db import db, utcnow
from core.models import Role
from core.parsing import parse_int
from listening import inbox, themes
from listening import openapi as _openapi  # noqa: F401  (contributes the listening paths)
from listening import operations as ops
from listening.serialize import mention_dict, source_dict
from listening.sources import parse_csv

bp = Blueprint("listening_api", __name__, url_prefix="/api/v1")
register_api_errors(bp)
PAGE_SIZE = 100


def _brand(brand_id: int):
    return tenants.brand_for(db.session, current_user, brand_id)


# --- sources ------------------------------------------------------------------------------------


@bp.get("/brands/<int:brand_id>/listening/sources")
@api_auth()
def list_sources(brand_id: int) -> Any:
    brand = _brand(brand_id)
    return jsonify(sources=[source_dict(s) for s in ops.sources_of(db.session, brand.id)])


@bp.post("/brands/<int:brand_id>/listening/sources")
@api_auth(Role.EDITOR)
def create_source(brand_id: int) -> Any:
    brand = _brand(brand_id)
    source = ops.create_source(db.session, brand, current_user, body(), utcnow())
    db.session.commit()
    return jsonify(source_dict(source)), 201


@bp.get("/listening/sources/<int:source_id>")
@api_auth()
def get_source(source_id: int) -> Any:
    return jsonify(source_dict(ops.source_for(db.session, current_user, source_id)))


@bp.patch("/listening/sources/<int:source_id>")
@api_auth(Role.EDITOR)
def update_source(source_id: int) -> Any:
    source = ops.source_for(db.session, current_user, source_id)
    ops.update_source(db.session, source, current_user, body())
    db.session.commit()
    return jsonify(source_dict(source))


@bp.delete("/listening/sources/<int:source_id>")
@api_auth(Role.EDITOR)
def delete_source(source_id: int) -> Any:
    source = ops.source_for(db.session, current_user, source_id)
    ops.delete_source(db.session, source, current_user)
    db.session.commit()
    return "", 204


# --- mentions -----------------------------------------------------------------------------------


@bp.get("/brands/<int:brand_id>/listening/mentions")
@api_auth()
def list_mentions(brand_id: int) -> Any:
    brand = _brand(brand_id)
    now = utcnow()
    filters = inbox.parse_filters(request.args)
    page = parse_int(request.args.get("page"), "page", default=1, minimum=1)
    query = inbox.inbox_query(brand.id, filters, now)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    mentions = db.session.scalars(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))
    return jsonify(
        mentions=[mention_dict(m, now) for m in mentions],
        total=total,
        page=page,
        per_page=PAGE_SIZE,
    )


@bp.get("/listening/mentions/<int:mention_id>")
@api_auth()
def get_mention(mention_id: int) -> Any:
    return jsonify(mention_dict(inbox.mention_for(db.session, current_user, mention_id), utcnow()))


@bp.patch("/listening/mentions/<int:mention_id>")
@api_auth(Role.EDITOR)
def update_mention(mention_id: int) -> Any:
    mention = inbox.mention_for(db.session, current_user, mention_id)
    data = body()
    now = utcnow()
    if "assignee_id" in data:
        value = data["assignee_id"]
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise ApiError(422, "'assignee_id' must be a user id or null.")
        inbox.assign(db.session, mention, current_user, parse_int(value, "assignee_id"))
    if "state" in data:
        inbox.set_state(db.session, mention, current_user, str(data["state"]), now)
    db.session.commit()
    return jsonify(mention_dict(mention, now))


@bp.post("/brands/<int:brand_id>/listening/mentions/upload")
@api_auth(Role.EDITOR)
def upload_mentions(brand_id: int) -> Any:
    """A CSV file (multipart field "file", or the body as text/csv): all rows or none."""
    brand = _brand(brand_id)
    upload = request.files.get("file")
    raw = upload.read() if upload is not None else request.get_data()
    if not raw:
        raise ApiError(400, "Send a CSV file (multipart field 'file' or a text/csv body).")
    now = utcnow()
    items, errors = parse_csv(raw, now)
    if errors:
        raise ApiError(422, f"{len(errors)} row(s) cannot be read; nothing was imported.", errors)
    source = ops.csv_source(db.session, brand)
    result = ops.ingest(db.session, brand, source, items, now)
    db.session.commit()
    current_app.logger.info(
        "listening CSV upload: %d new, %d duplicates", result.new, result.duplicates
    )
    return jsonify(new=result.new, duplicates=result.duplicates), 201


# --- complaint themes ---------------------------------------------------------------------------


@bp.get("/brands/<int:brand_id>/listening/themes")
@api_auth()
def list_themes(brand_id: int) -> Any:
    brand = _brand(brand_id)
    weeks = parse_int(
        request.args.get("weeks"), "weeks", default=themes.DEFAULT_WEEKS, minimum=2,
        maximum=themes.MAX_WEEKS,
    )  # fmt: skip
    return jsonify(themes.as_json(themes.report(db.session, brand.id, utcnow(), weeks)))


@bp.get("/brands/<int:brand_id>/listening/themes/alerts")
@api_auth()
def list_theme_alerts(brand_id: int) -> Any:
    brand = _brand(brand_id)
    return jsonify(
        alerts=[
            {
                "id": a.id,
                "theme": a.theme,
                "week": a.week.isoformat(),
                "count": a.count,
                "previous": a.previous,
                "created_at": a.created_at.isoformat(),
            }  # fmt: skip
            for a in themes.recent_alerts(db.session, brand.id)
        ]
    )
