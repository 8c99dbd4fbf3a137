"""Review requests in the JSON API under /api/v1: add customers, list requests, weekly stats."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask_login import current_user

from core import openapi, tenants
from core.api import ApiError, api_auth, iso, register_api_errors
from core.db import db, utcnow
from core.models import Role
from core.parsing import InvalidInput, parse_datetime, parse_int
from planner.reviews.requests import stats
from planner.reviews.requests.customers import add_customer
from planner.reviews.requests.settings import request_settings

bp = Blueprint("review_requests_api", __name__, url_prefix="/api/v1")
register_api_errors(bp)


def _json_row(row: dict[str, Any]) -> dict[str, Any]:
    return {k: iso(v) if hasattr(v, "tzinfo") else v for k, v in row.items()}


@bp.post("/brands/<int:brand_id>/review-requests/customers")
@api_auth(Role.EDITOR)
def add(brand_id: int) -> Any:
    """{"email", "name"?, "order_ref"?, "completed_at"?}: 201 new, 200 already known."""
    brand = tenants.brand_for(db.session, current_user, brand_id)
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "Send a JSON object with Content-Type: application/json.")
    errors = []
    for key in ("email", "name", "order_ref"):
        if data.get(key) is not None and not isinstance(data.get(key), str):
            errors.append(f"'{key}' must be a string.")
    if not isinstance(data.get("email"), str):
        errors.append("'email' is required: the customer's e-mail address.")
    completed_at = utcnow()
    if data.get("completed_at") is not None:
        try:
            completed_at = parse_datetime(data["completed_at"], "completed_at")
        except InvalidInput as exc:
            errors.append(exc.message)
    if errors:
        raise ApiError(422, errors[0], errors)
    customer, created = add_customer(
        db.session,
        brand,
        request_settings(db.session, brand),
        email=data["email"],
        name=data.get("name") or "",
        order_ref=data.get("order_ref"),
        ordered_at=completed_at,
        source="api",
    )
    db.session.commit()
    return jsonify(customer_id=customer.id, created=created), 201 if created else 200


@bp.get("/brands/<int:brand_id>/review-requests")
@api_auth()
def list_requests(brand_id: int) -> Any:
    brand = tenants.brand_for(db.session, current_user, brand_id)
    limit = parse_int(request.args.get("limit"), "limit", default=100, minimum=1, maximum=1000)
    offset = parse_int(request.args.get("offset"), "offset", default=0, minimum=0)
    rows = stats.log_rows(db.session, brand, limit or 100, offset or 0)
    return jsonify(requests=[_json_row(r) for r in rows], limit=limit, offset=offset)


@bp.get("/brands/<int:brand_id>/review-requests/stats")
@api_auth()
def weekly_stats(brand_id: int) -> Any:
    brand = tenants.brand_for(db.session, current_user, brand_id)
    weeks = parse_int(request.args.get("weeks"), "weeks", default=12, minimum=1, maximum=104)
    return jsonify(
        totals=stats.totals(db.session, brand),
        weeks=[
            {
                "week_start": w.start.date().isoformat(),
                "sent": w.sent,
                "reminded": w.reminded,
                "reviews_followed": w.reviewed,
                "reviews_received": w.all_reviews,
            }
            for w in stats.weekly(db.session, brand, utcnow(), weeks or 12)
        ],
    )


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERROR = {"$ref": "#/components/schemas/Error"}
_ERRORS = {
    "400": _json(_ERROR, "The body or a parameter is not what the operation reads"),
    "401": _json(_ERROR, "Not authenticated"),
    "403": _json(_ERROR, "Role too low"),
    "404": _json(_ERROR, "Not found, or not a brand you belong to"),
    "422": _json(_ERROR, "Refused, with every reason"),
}
_BRAND = {"name": "brand_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_INSTANT = {"type": ["string", "null"], "format": "date-time"}

openapi.contribute(
    {
        "/brands/{brand_id}/review-requests/customers": {
            "post": {
                "summary": "Add a customer to ask for a review (once per e-mail and per order)",
                "parameters": [_BRAND],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["email"],
                                "properties": {
                                    "email": {"type": "string", "format": "email"},
                                    "name": {"type": "string"},
                                    "order_ref": {"type": "string"},
                                    "completed_at": {"type": "string", "format": "date-time"},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "201": _json({"$ref": "#/components/schemas/RequestCustomer"}, "Added"),
                    "200": _json(
                        {"$ref": "#/components/schemas/RequestCustomer"},
                        "Already a customer: nothing more will be sent",
                    ),
                    **_ERRORS,
                },
            }
        },
        "/brands/{brand_id}/review-requests": {
            "get": {
                "summary": "The log of review requests, newest first",
                "parameters": [
                    _BRAND,
                    {"name": "limit", "in": "query", "schema": {"type": "integer"}},
                    {"name": "offset", "in": "query", "schema": {"type": "integer"}},
                ],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "requests": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/ReviewRequestRow"},
                                },
                                "limit": {"type": "integer"},
                                "offset": {"type": "integer"},
                            },
                        }
                    ),
                    **_ERRORS,
                },
            }
        },
        "/brands/{brand_id}/review-requests/stats": {
            "get": {
                "summary": "Requests sent and reviews received per week (Monday, brand's zone)",
                "parameters": [
                    _BRAND,
                    {"name": "weeks", "in": "query", "schema": {"type": "integer"}},
                ],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "totals": {"type": "object"},
                                "weeks": {"type": "array", "items": {"type": "object"}},
                            },
                        }
                    ),
                    **_ERRORS,
                },
            }
        },
    },
    {
        "RequestCustomer": {
            "type": "object",
            "properties": {"customer_id": {"type": "integer"}, "created": {"type": "boolean"}},
        },
        "ReviewRequestRow": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "email": {"type": "string"},
                "name": {"type": "string"},
                "order_ref": {"type": ["string", "null"]},
                "source": {"type": "string"},
                "status": {
                    "type": "string",
                    "enum": ["waiting", "retrying", "sent", "reminded", "reviewed", "unsubscribed"],
                },
                "sent_at": _INSTANT,
                "reminded_at": _INSTANT,
                "opened_at": _INSTANT,
                "reviewed_at": _INSTANT,
                "unsubscribed_at": _INSTANT,
            },
        },
    },
)
