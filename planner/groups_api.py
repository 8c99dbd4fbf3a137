"""JSON API for campaigns: one message composed for several channels, and its versions."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask_login import current_user

from core import openapi, tenants
from core.api import ApiError, api_auth, body, parse_instant, register_api_errors
from core.db import db, utcnow
from core.models import Role
from core.openapi import TIME, ref
from core.openapi import json_response as _json
from core.openapi import operation as _op
from core.openapi import path_id as _id
from planner import composer
from planner.api import parts_of_body
from planner.composer import Version
from planner.models import PostGroup
from planner.openapi import FIRST_COMMENT_INPUT, PARTS_INPUT
from planner.parts import Parts, parts_out
from planner.serialize import iso, post_dict

bp = Blueprint("groups_api", __name__, url_prefix="/api/v1")
register_api_errors(bp)


def group_dict(group: PostGroup) -> dict[str, Any]:
    posts = composer.versions_of(db.session, group)
    parts = parts_out(db.session, [post.id for post in posts])
    return {
        "id": group.id,
        "brand_id": group.brand_id,
        "text": group.text,
        "link": group.link,
        "created_at": iso(group.created_at),
        "posts": [{**post_dict(post), **parts[post.id]} for post in posts],
    }


def _optional_text(item: dict[str, Any], field: str, where: str) -> str | None:
    value = item.get(field)
    if value is not None and not isinstance(value, str):
        raise ApiError(422, f"'{where}.{field}' must be a string.")
    return value


def _versions(brand: tenants.Brand, items: Any) -> list[Version]:
    if not isinstance(items, list) or not items:
        raise ApiError(422, "'channels' must list at least one channel.")
    channels = {channel.id: channel for channel in brand.channels}
    versions = []
    for number, item in enumerate(items):
        where = f"channels[{number}]"
        if isinstance(item, int) and not isinstance(item, bool):
            item = {"channel_id": item}
        if not isinstance(item, dict):
            raise ApiError(422, f"'{where}' must be a channel id or an object.")
        channel = channels.get(item.get("channel_id"))  # type: ignore[arg-type]
        if channel is None:
            raise ApiError(422, f"'{where}.channel_id' must name a channel of this brand.")
        versions.append(
            Version(
                channel,
                text=_optional_text(item, "text", where),
                link=_optional_text(item, "link", where),
                parts=parts_of_body(item) or Parts(),
            )
        )
    return versions


@bp.post("/brands/<int:brand_id>/groups")
@api_auth(Role.EDITOR)
def create_group(brand_id: int) -> Any:
    brand = tenants.brand_for(db.session, current_user, brand_id)
    data = body()
    text = data.get("text", "")
    if not isinstance(text, str):
        raise ApiError(422, "'text' must be a string.")
    link = _optional_text(data, "link", "body")
    queue, draft = data.get("queue") is True, data.get("draft") is True
    scheduled_at = None
    if data.get("scheduled_at") is not None:
        scheduled_at = parse_instant(data["scheduled_at"], "scheduled_at")
    if not (queue or draft) and scheduled_at is None:
        raise ApiError(422, 'Give \'scheduled_at\', or "queue": true, or "draft": true.')
    result = composer.compose(
        db.session,
        brand,
        current_user,
        text=text,
        link=link,
        versions=_versions(brand, data.get("channels")),
        scheduled_at=scheduled_at,
        queue=queue,
        draft=draft,
        now=utcnow(),
    )
    db.session.commit()
    return jsonify(group=group_dict(result.group), warnings=result.warnings), 201


@bp.get("/groups/<int:group_id>")
@api_auth()
def get_group(group_id: int) -> Any:
    return jsonify(group=group_dict(composer.group_for(db.session, current_user, group_id)))


@bp.patch("/groups/<int:group_id>")
@api_auth(Role.EDITOR)
def change_group(group_id: int) -> Any:
    group = composer.group_for(db.session, current_user, group_id)
    data = body()
    text = data.get("text")
    if not isinstance(text, str):
        raise ApiError(422, "'text' must be a string.")
    post_ids = data.get("post_ids")
    if not isinstance(post_ids, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in post_ids
    ):
        raise ApiError(422, "'post_ids' must list the ids of the versions to change.")
    warnings = composer.update_group(
        db.session,
        group,
        current_user,
        text=text,
        link=_optional_text(data, "link", "body"),
        post_ids=post_ids,
        now=utcnow(),
    )
    db.session.commit()
    return jsonify(group=group_dict(group), warnings=warnings)


VERSION = {
    "oneOf": [
        {"type": "integer", "description": "a channel id: the group's text and link"},
        {
            "type": "object",
            "required": ["channel_id"],
            "properties": {
                "channel_id": {"type": "integer"},
                "text": {"type": "string", "description": "this channel's own text"},
                "link": {"type": "string", "description": "this channel's own link; '' for none"},
                "parts": PARTS_INPUT,
                "first_comment": FIRST_COMMENT_INPUT,
            },
        },
    ]
}
SCHEMAS = {
    "Group": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "brand_id": {"type": "integer"},
            "text": {"type": "string", "description": "the text as written once"},
            "link": {"type": ["string", "null"]},
            "created_at": TIME,
            "posts": {"type": "array", "items": ref("Post"), "description": "one per channel"},
        },
    },
    "GroupResult": {
        "type": "object",
        "properties": {
            "group": ref("Group"),
            "warnings": {"type": "array", "items": {"type": "string"}},
        },
    },
    "GroupInput": {
        "type": "object",
        "required": ["channels"],
        "properties": {
            "text": {"type": "string"},
            "link": {"type": "string"},
            "channels": {"type": "array", "items": VERSION, "minItems": 1},
            "queue": {
                "type": "boolean",
                "description": "each version in its own channel's next free slot",
            },
            "scheduled_at": {**TIME, "description": "every version at this time"},
            "draft": {"type": "boolean"},
        },
    },
    "GroupPatch": {
        "type": "object",
        "required": ["text", "post_ids"],
        "properties": {
            "text": {"type": "string"},
            "link": {"type": "string", "description": "'' removes the link"},
            "post_ids": {
                "type": "array",
                "items": {"type": "integer"},
                "description": "the versions that get the new text; the others keep theirs",
            },
        },
    },
}
PATHS = {
    "/brands/{brand_id}/groups": {
        "post": _op(
            "Compose one message for several channels (a campaign): each channel's version in "
            "its next free slot, all at 'scheduled_at', or as drafts; refused whole when any "
            "version would be refused",
            _json(ref("GroupResult"), "Created"),
            body="GroupInput",
            params=[_id("brand_id")],
            code="201",
        ),
    },
    "/groups/{group_id}": {
        "get": _op(
            "A campaign and its versions",
            _json({"type": "object", "properties": {"group": ref("Group")}}),
            params=[_id("group_id")],
        ),
        "patch": _op(
            "Give the chosen versions a new text and link",
            _json(ref("GroupResult")),
            body="GroupPatch",
            params=[_id("group_id")],
        ),
    },
}
openapi.contribute(PATHS, SCHEMAS)
