"""Reviews in the JSON API under /api/v1 (same authentication and errors as the planner's)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask_login import current_user
from sqlalchemy import func, select

from core import openapi, tenants
from core.api import ApiError, api_auth, register_api_errors
from core.db import db, utcnow
from core.models import Role
from core.parsing import parse_int
from planner.reviews import importing
from planner.reviews.importers import FORMATS, MAX_BYTES
from planner.reviews.inbox import InboxFilters, inbox_query, needs_reply
from planner.reviews.models import Review
from planner.reviews.promotable import promotable_reviews
from planner.reviews.promotion import preview_posts, promote_review, review_for
from planner.serialize import iso, post_dict

bp = Blueprint("reviews_api", __name__, url_prefix="/api/v1")
register_api_errors(bp)


def review_dict(review: Review) -> dict[str, Any]:
    return {
        "id": review.id,
        "source": review.source,
        "external_id": review.external_id,
        "rating": review.rating,
        "title": review.title,
        "text": review.text,
        "author": review.author,
        "created_at": iso(review.created_at),
        "url": review.url,
        "reply_text": review.reply_text,
        "reply_at": iso(review.reply_at),
        "language": review.language,
        "language_detected": review.language_detected,
        "sentiment": review.sentiment,
        "needs_reply": needs_reply(review),
        "last_promoted_at": iso(review.last_promoted_at),
    }


@bp.post("/brands/<int:brand_id>/reviews/import")
@api_auth(Role.EDITOR)
def import_reviews(brand_id: int) -> Any:
    """The file is the request body (or a multipart 'file'); ?format= csv, gbp or trustpilot."""
    brand = tenants.brand_for(db.session, current_user, brand_id)
    request.max_content_length = MAX_BYTES + 1024 * 1024
    fmt = request.args.get("format") or None
    if fmt is not None and fmt not in FORMATS:
        raise ApiError(422, f"'format' must be one of {', '.join(FORMATS)}.")
    upload = request.files.get("file")
    data = upload.read() if upload is not None else request.get_data(cache=False)
    if not data:
        raise ApiError(400, "Send the review file as the request body or as a 'file' upload.")
    report = importing.import_reviews(
        db.session, brand, data, fmt=fmt, actor=current_user, now=utcnow()
    )
    if not report.ok:
        db.session.rollback()
        body = report.as_dict()
        reasons = [f"{e['where']}: {e['reason']}" for e in body["errors"]]
        return jsonify(error="Nothing was imported.", errors=reasons, report=body), 422
    db.session.commit()
    return jsonify(report.as_dict()), 200


@bp.get("/brands/<int:brand_id>/reviews")
@api_auth()
def list_reviews(brand_id: int) -> Any:
    brand = tenants.brand_for(db.session, current_user, brand_id)
    filters = InboxFilters.from_args(request.args)
    limit = min(parse_int(request.args.get("limit"), "limit", default=100, minimum=0) or 100, 1000)
    offset = max(parse_int(request.args.get("offset"), "offset", default=0) or 0, 0)
    query = inbox_query(brand, filters)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    reviews = db.session.scalars(query.limit(limit).offset(offset)).all()
    return jsonify(
        reviews=[review_dict(r) for r in reviews], total=total, limit=limit, offset=offset
    )


@bp.get("/brands/<int:brand_id>/reviews/promotable")
@api_auth()
def promotable(brand_id: int) -> Any:
    brand = tenants.brand_for(db.session, current_user, brand_id)
    limit = min(parse_int(request.args.get("limit"), "limit", default=50, minimum=0) or 50, 500)
    ranked = promotable_reviews(db.session, brand, now=utcnow(), limit=limit)
    return jsonify(
        reviews=[
            {
                **review_dict(item.review),
                "score": item.ranked.score,
                "parts": item.ranked.parts,
                "why": item.ranked.reasons,
            }
            for item in ranked
        ]
    )


@bp.post("/brands/<int:brand_id>/reviews/<int:review_id>/promote")
@api_auth(Role.EDITOR)
def promote(brand_id: int, review_id: int) -> Any:
    """{"channel_ids": [..], "image_url"?: str, "dry_run"?: bool}: posts, or the previews."""
    brand = tenants.brand_for(db.session, current_user, brand_id)
    review = review_for(db.session, brand, review_id)
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "Send a JSON object with Content-Type: application/json.")
    ids = data.get("channel_ids")
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
        raise ApiError(422, "'channel_ids' must be a list of channel ids.")
    channels = [c for c in brand.channels if c.id in ids]
    if len(channels) != len(set(ids)):
        raise ApiError(422, "Every channel in 'channel_ids' must be a channel of this brand.")
    image_url = data.get("image_url") or None
    if data.get("dry_run"):
        previews = preview_posts(db.session, brand, review, channels, image_url=image_url)
        return jsonify(
            previews=[
                {
                    "channel_id": p.channel.id,
                    "text": p.post.text,
                    "link": p.post.link,
                    "published": p.post.published,
                    "length": p.post.length,
                    "limit": p.post.limit,
                    "refusals": p.refusals,
                }
                for p in previews
            ]
        )
    posts = promote_review(
        db.session, brand, review, channels, current_user, now=utcnow(), image_url=image_url
    )
    db.session.commit()
    return jsonify(posts=[post_dict(p) for p in posts]), 201


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERROR = {"$ref": "#/components/schemas/Error"}
_ERRORS = {
    "400": _json(_ERROR, "The body is not what the operation reads"),
    "401": _json(_ERROR, "Not authenticated"),
    "403": _json(_ERROR, "Role too low"),
    "404": _json(_ERROR, "Not found, or not a brand you belong to"),
    "422": _json(_ERROR, "Refused, with every reason"),
}
_BRAND = {"name": "brand_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_REVIEW_ID = {"name": "review_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_REF = {"$ref": "#/components/schemas/Review"}

openapi.contribute(
    {
        "/brands/{brand_id}/reviews/import": {
            "post": {
                "summary": "Import a review file (all or nothing; re-importing changes nothing)",
                "parameters": [
                    _BRAND,
                    {
                        "name": "format",
                        "in": "query",
                        "schema": {"type": "string", "enum": list(FORMATS)},
                        "description": "Guessed from the content when absent.",
                    },
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "text/csv": {"schema": {"type": "string"}},
                        "application/json": {"schema": {"type": "object"}},
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "properties": {"file": {"type": "string", "format": "binary"}},
                            }
                        },
                    },
                },
                "responses": {
                    "200": _json({"$ref": "#/components/schemas/ReviewImport"}),
                    **_ERRORS,
                },
            }
        },
        "/brands/{brand_id}/reviews": {
            "get": {
                "summary": "Every review, newest first, with filters",
                "parameters": [
                    _BRAND,
                    *[
                        {"name": n, "in": "query", "schema": {"type": t}}
                        for n, t in (
                            ("rating", "integer"),
                            ("source", "string"),
                            ("replied", "string"),
                            ("language", "string"),
                            ("needs_reply", "boolean"),
                            ("limit", "integer"),
                            ("offset", "integer"),
                        )
                    ],
                ],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {"reviews": {"type": "array", "items": _REF}},
                        }
                    ),
                    **_ERRORS,
                },
            }
        },
        "/brands/{brand_id}/reviews/promotable": {
            "get": {
                "summary": "Promotable reviews, best first, with the score breakdown ('why')",
                "parameters": [
                    _BRAND,
                    {"name": "limit", "in": "query", "schema": {"type": "integer"}},
                ],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {"reviews": {"type": "array", "items": _REF}},
                        }
                    ),
                    **_ERRORS,
                },
            }
        },
        "/brands/{brand_id}/reviews/{review_id}/promote": {
            "post": {
                "summary": "Queue review posts on channels (next free slots, weekly cap)",
                "parameters": [_BRAND, _REVIEW_ID],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["channel_ids"],
                                "properties": {
                                    "channel_ids": {"type": "array", "items": {"type": "integer"}},
                                    "image_url": {"type": "string"},
                                    "dry_run": {"type": "boolean"},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": _json({"type": "object"}, "A dry run: the posts it would create"),
                    "201": _json({"type": "object"}, "Posts created"),
                    **_ERRORS,
                },
            }
        },
    },
    {
        "Review": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "source": {"type": "string"},
                "external_id": {"type": "string"},
                "rating": {"type": "integer", "minimum": 1, "maximum": 5},
                "title": {"type": "string"},
                "text": {"type": "string"},
                "author": {"type": "string"},
                "created_at": {"type": "string", "format": "date-time"},
                "language": {"type": ["string", "null"]},
                "sentiment": {"type": ["number", "null"]},
                "needs_reply": {"type": "boolean"},
            },
        },
        "ReviewImport": {
            "type": "object",
            "properties": {
                "format": {"type": "string"},
                "ok": {"type": "boolean"},
                "created": {"type": "integer"},
                "updated": {"type": "integer"},
                "unchanged": {"type": "integer"},
                "errors": {"type": "array", "items": {"type": "object"}},
            },
        },
    },
)
