"""Replies to reviews, flags and the voice guide in the JSON API under /api/v1."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify
from flask_login import current_user

from core import openapi, tenants
from core.api import ApiError, api_auth, body, register_api_errors
from core.db import db, utcnow
from core.models import Role
from core.openapi import json_response, operation, path_id, ref
from core.parsing import parse_id
from core.tenants import Brand
from planner.reviews import flags, replies, response, voice
from planner.reviews.models import Review
from planner.reviews.promotion import review_for
from planner.reviews.reply_models import FlagReason, FlagState, ReplyStatus
from planner.reviews.settings import settings_for

bp = Blueprint("review_replies_api", __name__, url_prefix="/api/v1")
register_api_errors(bp)


def _brand(brand_id: int) -> Brand:
    return tenants.brand_for(db.session, current_user, brand_id)


def _review(brand_id: int, review_id: int) -> tuple[Brand, Review]:
    brand = _brand(brand_id)
    return brand, review_for(db.session, brand, review_id)


def _optional_str(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is not None and not isinstance(value, str):
        raise ApiError(422, f"'{name}' must be a string.")
    return value


def _state(brand: Brand, review: Review) -> dict[str, Any]:
    settings = settings_for(db.session, brand)
    targets = response.targets_of(settings if settings.id else None)
    due = response.review_due(review, targets)
    now = utcnow()
    return {
        "review_id": review.id,
        "reply": replies.reply_dict(replies.reply_of(db.session, review)),
        "flag": flags.flag_dict(flags.open_flag(db.session, review)),
        "flags": [flags.flag_dict(f) for f in flags.flags_of(db.session, review)],
        "due_at": due.isoformat() if due else None,
        "overdue": response.is_overdue(review, targets, now),
        "response_minutes": response.response_minutes(review),
        "report_form": flags.report_form(review),
    }


# --- the voice guide ----------------------------------------------------------------------------


@bp.get("/brands/<int:brand_id>/voice")
@api_auth()
def get_voice(brand_id: int) -> Any:
    return jsonify(voice.guide_dict(db.session, _brand(brand_id)))


@bp.put("/brands/<int:brand_id>/voice")
@api_auth(Role.ADMIN)
def put_voice(brand_id: int) -> Any:
    brand = _brand(brand_id)
    data = body()
    values = {}
    for name in voice.GUIDE_FIELDS:
        value = data.get(name, "")
        if isinstance(value, list):
            if not all(isinstance(v, str) for v in value):
                raise ApiError(422, f"'{name}' must be text or a list of strings.")
            value = "\n".join(value)
        values[name] = value
    voice.update_guide(db.session, brand, current_user, values)
    db.session.commit()
    return jsonify(voice.guide_dict(db.session, brand))


@bp.post("/brands/<int:brand_id>/voice/check")
@api_auth()
def check_voice(brand_id: int) -> Any:
    """The voice guide's warnings for a text; nothing is stored."""
    brand = _brand(brand_id)
    text = body().get("text")
    if not isinstance(text, str):
        raise ApiError(422, "'text' must be a string.")
    warnings = voice.check_for_brand(db.session, brand, text)
    return jsonify(warnings=[w.as_dict() for w in warnings])


# --- saved replies ------------------------------------------------------------------------------


def _saved_dict(saved: Any) -> dict[str, Any]:
    return {"id": saved.id, "title": saved.title, "text": saved.text}


@bp.get("/brands/<int:brand_id>/reviews/saved-replies")
@api_auth()
def list_saved(brand_id: int) -> Any:
    brand = _brand(brand_id)
    return jsonify(saved_replies=[_saved_dict(s) for s in replies.saved_replies(db.session, brand)])


@bp.post("/brands/<int:brand_id>/reviews/saved-replies")
@api_auth(Role.EDITOR)
def create_saved(brand_id: int) -> Any:
    brand = _brand(brand_id)
    data = body()
    saved = replies.create_saved_reply(
        db.session, brand, current_user, data.get("title"), data.get("text")
    )
    db.session.commit()
    return jsonify(_saved_dict(saved)), 201


# --- the reply ----------------------------------------------------------------------------------


@bp.get("/brands/<int:brand_id>/reviews/<int:review_id>/reply")
@api_auth()
def get_reply(brand_id: int, review_id: int) -> Any:
    brand, review = _review(brand_id, review_id)
    return jsonify(_state(brand, review))


@bp.put("/brands/<int:brand_id>/reviews/<int:review_id>/reply")
@api_auth(Role.EDITOR)
def put_reply(brand_id: int, review_id: int) -> Any:
    """{"text", "submit"?: bool, "saved_reply_id"?: int}: a draft, or submitted for approval."""
    brand, review = _review(brand_id, review_id)
    data = body()
    submit = data.get("submit", False)
    if not isinstance(submit, bool):
        raise ApiError(422, "'submit' must be true or false.")
    saved_id = parse_id(data.get("saved_reply_id"), "saved_reply_id")
    if not isinstance(data.get("text"), str):
        raise ApiError(422, "'text' must be a string.")
    replies.save_reply(
        db.session,
        brand,
        review,
        current_user,
        data["text"],
        submit=submit,
        now=utcnow(),
        saved_reply_id=saved_id,
    )
    db.session.commit()
    return jsonify(_state(brand, review))


@bp.post("/brands/<int:brand_id>/reviews/<int:review_id>/reply/approve")
@api_auth(Role.APPROVER)
def approve(brand_id: int, review_id: int) -> Any:
    brand, review = _review(brand_id, review_id)
    data = body()
    replies.approve_reply(
        db.session,
        brand,
        review,
        current_user,
        override_reason=_optional_str(data, "override_reason"),
    )
    db.session.commit()
    return jsonify(_state(brand, review))


@bp.post("/brands/<int:brand_id>/reviews/<int:review_id>/reply/reject")
@api_auth(Role.APPROVER)
def reject(brand_id: int, review_id: int) -> Any:
    brand, review = _review(brand_id, review_id)
    replies.reject_reply(db.session, brand, review, current_user, body().get("reason"))
    db.session.commit()
    return jsonify(_state(brand, review))


@bp.post("/brands/<int:brand_id>/reviews/<int:review_id>/reply/send")
@api_auth(Role.EDITOR)
def send(brand_id: int, review_id: int) -> Any:
    """Post the approved reply through the site's API (Google, Trustpilot)."""
    brand, review = _review(brand_id, review_id)
    try:
        replies.send_reply(db.session, brand, review, current_user, current_app.config, utcnow())
    except replies.ReplyNotSent as exc:
        db.session.commit()  # the site's reason stays on the unsent reply
        return jsonify(error=f"Not sent: {exc.errors[0]}", errors=exc.errors), 502
    db.session.commit()
    return jsonify(_state(brand, review))


@bp.post("/brands/<int:brand_id>/reviews/<int:review_id>/reply/mark-replied")
@api_auth(Role.EDITOR)
def mark_replied(brand_id: int, review_id: int) -> Any:
    """The approved reply was posted by a person on the review's page."""
    brand, review = _review(brand_id, review_id)
    replies.mark_replied_by_hand(db.session, brand, review, current_user, utcnow())
    db.session.commit()
    return jsonify(_state(brand, review))


# --- flags --------------------------------------------------------------------------------------


@bp.post("/brands/<int:brand_id>/reviews/<int:review_id>/flag")
@api_auth(Role.EDITOR)
def create_flag(brand_id: int, review_id: int) -> Any:
    brand, review = _review(brand_id, review_id)
    data = body()
    flags.flag_review(
        db.session,
        brand,
        review,
        current_user,
        data.get("reason"),
        _optional_str(data, "note"),
        utcnow(),
    )
    db.session.commit()
    return jsonify(_state(brand, review)), 201


@bp.patch("/brands/<int:brand_id>/reviews/<int:review_id>/flag")
@api_auth(Role.EDITOR)
def update_flag(brand_id: int, review_id: int) -> Any:
    """{"state": "reported" | "removed" | "kept"}."""
    brand, review = _review(brand_id, review_id)
    flags.move_flag(db.session, brand, review, current_user, body().get("state"), utcnow())
    db.session.commit()
    return jsonify(_state(brand, review))


# --- OpenAPI ------------------------------------------------------------------------------------

_BRAND = path_id("brand_id")
_REVIEW = path_id("review_id")
_STATE = json_response(ref("ReviewReplyState"))
_STRINGS = {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
_WARNING = {
    "type": "object",
    "properties": {
        "code": {
            "type": "string",
            "enum": [
                "avoided_word",
                "do_not",
                "incentive",
                "missing_disclosure",
                "all_caps",
                "unapproved_domain",
            ],
        },
        "reason": {"type": "string"},
        "span": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2},
    },
}

openapi.contribute(
    {
        "/brands/{brand_id}/voice": {
            "get": operation(
                "The brand's voice guide", json_response(ref("VoiceGuide")), params=[_BRAND]
            ),
            "put": operation(
                "Replace the voice guide (admins)",
                json_response(ref("VoiceGuide")),
                body="VoiceGuideInput",
                params=[_BRAND],
            ),
        },
        "/brands/{brand_id}/voice/check": {
            "post": operation(
                "The voice guide's warnings for a text, each with its reason and span",
                json_response(
                    {
                        "type": "object",
                        "properties": {"warnings": {"type": "array", "items": _WARNING}},
                    }
                ),
                body="VoiceCheck",
                params=[_BRAND],
            )
        },
        "/brands/{brand_id}/reviews/saved-replies": {
            "get": operation(
                "Saved replies",
                json_response({"type": "object"}),
                params=[_BRAND],
            ),
            "post": operation(
                "Add a saved reply (placeholders: {reviewer_name}, {brand}, {rating}, {source})",
                json_response({"type": "object"}, "Created"),
                body="SavedReplyInput",
                params=[_BRAND],
                code="201",
            ),
        },
        "/brands/{brand_id}/reviews/{review_id}/reply": {
            "get": operation(
                "The review's reply, flags and response time", _STATE, params=[_BRAND, _REVIEW]
            ),
            "put": operation(
                "Save the reply as a draft, or submit it under the brand's approval rule",
                _STATE,
                body="ReplyInput",
                params=[_BRAND, _REVIEW],
            ),
        },
        "/brands/{brand_id}/reviews/{review_id}/reply/approve": {
            "post": operation(
                "Approve a waiting reply (an admin's own needs override_reason with two people)",
                _STATE,
                body="ApproveReply",
                params=[_BRAND, _REVIEW],
            )
        },
        "/brands/{brand_id}/reviews/{review_id}/reply/reject": {
            "post": operation(
                "Send a waiting reply back as a draft, with the reason",
                _STATE,
                body="RejectReply",
                params=[_BRAND, _REVIEW],
            )
        },
        "/brands/{brand_id}/reviews/{review_id}/reply/send": {
            "post": {
                **operation(
                    "Post the approved reply through Google's or Trustpilot's API",
                    _STATE,
                    params=[_BRAND, _REVIEW],
                ),
                "responses": {
                    "200": _STATE,
                    "502": json_response(ref("Error"), "The site did not take it; it stays unsent"),
                    **openapi.ERRORS,
                },
            }
        },
        "/brands/{brand_id}/reviews/{review_id}/reply/mark-replied": {
            "post": operation(
                "Mark the approved reply posted by hand on the review's page",
                _STATE,
                params=[_BRAND, _REVIEW],
            )
        },
        "/brands/{brand_id}/reviews/{review_id}/flag": {
            "post": {
                **operation(
                    "Flag the review for removal by its site (it stays visible)",
                    json_response(ref("ReviewReplyState"), "Flagged"),
                    body="FlagInput",
                    params=[_BRAND, _REVIEW],
                    code="201",
                ),
            },
            "patch": operation(
                "Move the open flag on: reported, then removed or kept",
                _STATE,
                body="FlagStateInput",
                params=[_BRAND, _REVIEW],
            ),
        },
    },
    {
        "VoiceGuide": {
            "type": "object",
            "properties": {
                "audience": {"type": "string"},
                "tone": {"type": "string"},
                "words_to_use": {"type": "array", "items": {"type": "string"}},
                "words_to_avoid": {"type": "array", "items": {"type": "string"}},
                "approvals": {"type": "string"},
                "image_rules": {"type": "string"},
                "approved_domains": {"type": "array", "items": {"type": "string"}},
                "disclosure_tags": {"type": "array", "items": {"type": "string"}},
                "do_not": {"type": "array", "items": {"type": "string"}},
            },
        },
        "VoiceGuideInput": {
            "type": "object",
            "properties": {
                "audience": {"type": "string"},
                "tone": {"type": "string"},
                "words_to_use": _STRINGS,
                "words_to_avoid": _STRINGS,
                "approvals": {"type": "string"},
                "image_rules": {"type": "string"},
                "approved_domains": _STRINGS,
                "disclosure_tags": _STRINGS,
            },
        },
        "VoiceCheck": {
            "type": "object",
            "required": ["text"],
            "properties": {"text": {"type": "string", "maxLength": voice.MAX_TEXT}},
        },
        "SavedReplyInput": {
            "type": "object",
            "required": ["title", "text"],
            "properties": {"title": {"type": "string"}, "text": {"type": "string"}},
        },
        "ReplyInput": {
            "type": "object",
            "required": ["text"],
            "properties": {
                "text": {"type": "string"},
                "submit": {"type": "boolean"},
                "saved_reply_id": {"type": "integer"},
            },
        },
        "ApproveReply": {
            "type": "object",
            "properties": {"override_reason": {"type": "string"}},
        },
        "RejectReply": {
            "type": "object",
            "required": ["reason"],
            "properties": {"reason": {"type": "string"}},
        },
        "FlagInput": {
            "type": "object",
            "required": ["reason"],
            "properties": {
                "reason": {"type": "string", "enum": [r.value for r in FlagReason]},
                "note": {"type": "string"},
            },
        },
        "FlagStateInput": {
            "type": "object",
            "required": ["state"],
            "properties": {
                "state": {
                    "type": "string",
                    "enum": [s.value for s in FlagState if s != FlagState.FLAGGED],
                }
            },
        },
        "ReviewReplyState": {
            "type": "object",
            "properties": {
                "review_id": {"type": "integer"},
                "reply": {
                    "type": ["object", "null"],
                    "properties": {
                        "status": {"type": "string", "enum": [s.value for s in ReplyStatus]},
                        "text": {"type": "string"},
                        "warnings": {"type": "array", "items": _WARNING},
                        "last_error": {"type": ["string", "null"]},
                    },
                },
                "flag": {"type": ["object", "null"]},
                "flags": {"type": "array", "items": {"type": "object"}},
                "due_at": {"type": ["string", "null"], "format": "date-time"},
                "overdue": {"type": "boolean"},
                "response_minutes": {"type": ["number", "null"]},
                "report_form": {"type": ["string", "null"]},
            },
        },
    },
)
