"""The media library's part of the OpenAPI document."""

from __future__ import annotations

from core import openapi
from core.openapi import json_response as _json
from core.openapi import operation as _op
from core.openapi import path_id as _id
from core.openapi import ref as _ref

from .models import ALT_TEXT_MAX

SCHEMAS = {
    "Media": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "brand_id": {"type": "integer"},
            "kind": {"type": "string", "enum": ["image", "video"]},
            "filename": {"type": "string"},
            "content_type": {"type": "string", "description": "read from the content"},
            "bytes": {"type": "integer"},
            "width": {"type": "integer"},
            "height": {"type": "integer"},
            "duration_seconds": {"type": ["number", "null"]},
            "alt_text": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
        },
    },
    "MediaFromUrl": {
        "type": "object",
        "required": ["url"],
        "properties": {
            "url": {"type": "string", "description": "fetched through the outbound guard"},
            "alt_text": {"type": "string", "maxLength": ALT_TEXT_MAX},
        },
    },
}

_one = _json({"type": "object", "properties": {"media": _ref("Media")}})
_upload = _op(
    "Add a file to the library: multipart 'file' (and 'alt_text'), or JSON with a 'url'. "
    "JPEG, PNG, WebP, GIF, HEIC (kept as JPEG) or MP4; the type is read from the content",
    _json(
        {"type": "object", "properties": {"media": _ref("Media")}},
        "Added (or the same file already in the library)",
    ),
    body="MediaFromUrl",
    params=[_id("brand_id")],
    code="201",
)
_upload["requestBody"]["content"]["multipart/form-data"] = {
    "schema": {
        "type": "object",
        "properties": {
            "file": {"type": "string", "format": "binary"},
            "alt_text": {"type": "string", "maxLength": ALT_TEXT_MAX},
        },
    }
}

PATHS = {
    "/brands/{brand_id}/media": {
        "get": _op(
            "The brand's media library, newest first",
            _json(
                {
                    "type": "object",
                    "properties": {"media": {"type": "array", "items": _ref("Media")}},
                }
            ),
            params=[_id("brand_id")],
        ),
        "post": _upload,
    },
    "/media/{media_id}": {
        "patch": {
            **_op("Set the alt text", _one, params=[_id("media_id")]),
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["alt_text"],
                            "properties": {
                                "alt_text": {"type": "string", "maxLength": ALT_TEXT_MAX}
                            },
                        }
                    }
                },
            },
        },
        "delete": _op(
            "Delete an unused item (one attached to a post is refused)",
            {"description": "Deleted"},
            params=[_id("media_id")],
            code="204",
        ),
    },
}

openapi.contribute(PATHS, SCHEMAS)
