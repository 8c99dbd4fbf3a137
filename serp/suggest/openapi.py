"""Autocomplete tracking's part of the OpenAPI document."""

from __future__ import annotations

from typing import Any

from core import openapi
from core.openapi import ERRORS, TIME
from core.openapi import json_response as _json
from core.openapi import path_id as _id
from core.openapi import ref as _ref

LABELS = ["negative", "neutral", "positive"]

SCHEMAS: dict[str, Any] = {
    "SuggestTerm": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "text": {"type": "string"},
            "engine": {"enum": ["google", "bing"]},
            "language": {"type": "string"},
            "country": {"type": "string"},
            "active": {"type": "boolean"},
            "last_fetched_at": {**TIME, "nullable": True},
            "next_fetch_at": {**TIME, "nullable": True},
            "failures": {"type": "integer"},
        },
    },
    "SuggestFetch": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "term_id": {"type": "integer"},
            "fetched_at": TIME,
            "status": {"enum": ["ok", "blocked", "error"]},
            "source": {"enum": ["google", "bing", "serpapi"]},
            "reason": {"type": "string", "nullable": True},
            "suggestions": {"type": "array", "items": {"type": "object", "properties": {
                "rank": {"type": "integer"},
                "text": {"type": "string"},
                "label": {"enum": [*LABELS, None]},
                "label_reason": {"type": "string", "nullable": True},
            }}},
        },
    },
}  # fmt: skip


def _op(summary: str, response: dict[str, Any], *, code: str = "200", **extra: Any) -> dict:
    return {"summary": summary, "responses": {code: response, **ERRORS}, **extra}


def _q(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    return {"name": name, "in": "query", "schema": schema, "description": description}


BRAND = [_id("brand_id")]

PATHS: dict[str, Any] = {
    "/brands/{brand_id}/serp/suggestions": {
        "get": _op(
            "Each autocomplete term's latest suggestions",
            _json({"type": "object", "properties": {"terms": {"type": "array", "items": {
                "allOf": [_ref("SuggestTerm")], "type": "object", "properties": {
                    "latest": {"allOf": [_ref("SuggestFetch")], "nullable": True},
                    "failure": {"allOf": [_ref("SuggestFetch")], "nullable": True},
                    "negatives": {"type": "integer"},
                }}}}}),
            parameters=[*BRAND, _q("engine", {"enum": ["google", "bing"]}),
                        _q("language", {"type": "string", "examples": ["en", "lv", "lt", "pl"]}),
                        _q("country", {"type": "string", "examples": ["us", "lv", "lt", "pl"]})],
        ),
    },
    "/brands/{brand_id}/serp/suggestions/history": {
        "get": _op(
            "Look-ups, newest first, with every suggestion, a page at a time",
            _json({"type": "object", "properties": {
                "fetches": {"type": "array", "items": _ref("SuggestFetch")},
                "limit": {"type": "integer"}, "offset": {"type": "integer"},
                "next_offset": {"type": "integer", "nullable": True},
            }}),
            parameters=[*BRAND, _q("term_id", {"type": "integer", "minimum": 1}),
                        _q("since", TIME),
                        _q("limit", {"type": "integer", "minimum": 1, "maximum": 200}),
                        _q("offset", {"type": "integer", "minimum": 0, "maximum": 10_000_000})],
        ),
    },
    "/brands/{brand_id}/serp/suggestions/weekly": {
        "get": _op(
            "Distinct negative suggestions per week (null: no good look-up that week)",
            _json({"type": "object", "properties": {"weeks": {"type": "array", "items": {
                "type": "object", "properties": {
                    "week": {"type": "string", "format": "date"},
                    "negatives": {"type": "integer", "nullable": True},
                }}}}}),
            parameters=[*BRAND, _q("weeks", {"type": "integer", "minimum": 1, "maximum": 520})],
        ),
    },
    "/brands/{brand_id}/serp/suggestions/check": {
        "post": _op(
            "Look up every term at the worker's next round (editor)",
            _json({"type": "object", "properties": {"due": {"type": "integer"}}}),
            code="202", parameters=BRAND,
        ),
    },
    "/brands/{brand_id}/serp/suggestions/labels": {
        "post": _op(
            "Label a suggestion by hand; it wins over the automatic label (editor)",
            _json({"type": "object", "properties": {
                "key": {"type": "string"}, "label": {"enum": [*LABELS, None]}}}),
            parameters=BRAND,
            requestBody={"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["text"], "properties": {
                    "text": {"type": "string", "maxLength": 500},
                    "label": {"enum": [*LABELS, "", None]},
                }}}}},
        ),
    },
}  # fmt: skip

openapi.contribute(PATHS, SCHEMAS)
