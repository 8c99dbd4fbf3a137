"""Search tracking's part of the OpenAPI document."""

from __future__ import annotations

from typing import Any

from core import openapi
from core.openapi import ERRORS, TIME
from core.openapi import json_response as _json
from core.openapi import path_id as _id
from core.openapi import ref as _ref
from serp.parse.model import FEATURE_KINDS

ENGINES = ["google", "bing", "duckduckgo", "brave"]
PROVIDERS = ["html", "serpapi", "serper", "searxng", "brave_api", "manual"]
LABELS = ["negative", "positive", "owned", "neutral"]

QUERY_FIELDS: dict[str, Any] = {
    "text": {"type": "string", "maxLength": 500},
    "engine": {"enum": ENGINES},
    "language": {"type": "string", "examples": ["en", "de", "pt-br"]},
    "country": {"type": "string", "examples": ["us", "de"]},
    "device": {"enum": ["desktop", "mobile"]},
    "depth": {"enum": [10, 20, 50, 100]},
    "schedule": {"enum": ["weekly", "daily", "manual"]},
    "weekday": {"type": "integer", "minimum": 0, "maximum": 6, "description": "0 = Monday"},
    "hour": {"type": "integer", "minimum": 0, "maximum": 23, "description": "brand's local hour"},
    "provider": {"enum": PROVIDERS},
    "tags": {"type": "array", "items": {"type": "string"}},
    "importance": {"type": "number", "default": 1},
    "paused": {"type": "boolean"},
}

SCHEMAS: dict[str, Any] = {
    "TrackedQuery": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "brand_id": {"type": "integer"},
            **QUERY_FIELDS,
            "provider_settings_set": {
                "type": "array",
                "items": {"type": "string"},
                "description": "names of the stored provider settings; values are never shown",
            },
            "deleted_at": {**TIME, "nullable": True},
            "next_check_at": {**TIME, "nullable": True},
            "last_checked_at": {**TIME, "nullable": True},
            "failures": {"type": "integer"},
            "checking": {"type": "boolean"},
        },
    },
    "TrackedQueryInput": {
        "type": "object",
        "properties": {
            **QUERY_FIELDS,
            "provider_settings": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "api_key, base_url …; encrypted at rest, replaced when given",
            },
        },
        "required": ["text"],
    },
    "SerpResult": {
        "type": "object",
        "properties": {
            "position": {"type": "integer"},
            "url": {"type": "string"},
            "normalized_url": {"type": "string"},
            "domain": {"type": "string"},
            "title": {"type": "string"},
            "snippet": {"type": "string"},
            "label": {"enum": [*LABELS, None]},
        },
    },
    "SerpCheck": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "query_id": {"type": "integer"},
            "checked_at": TIME,
            "status": {
                "enum": ["ok", "blocked", "error"],
                "description": "blocked and error checks are gaps, never 'not found'",
            },
            "engine": {"type": "string"},
            "provider": {"type": "string"},
            "reason": {"type": "string", "nullable": True},
            "result_count": {"type": "integer"},
            "raw_kept": {"type": "boolean"},
            "results": {"type": "array", "items": _ref("SerpResult")},
        },
    },
    "CheckFeatures": {
        "type": "object",
        "properties": {
            "check_id": {"type": "integer"},
            "checked_at": TIME,
            "status": {"enum": ["ok", "blocked", "error"]},
            "weights": {
                "type": "object",
                "additionalProperties": {"type": "number"},
                "description": "the brand's weight of a negative in each kind of block",
            },
            "blocks": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "kind": {"enum": list(FEATURE_KINDS)},
                        "name": {"type": "string"},
                        "page": {"type": "integer", "description": "result page, from 1"},
                        "position": {
                            "type": "integer",
                            "description": "among the page's blocks, organic results included",
                        },
                        "slot": {
                            "type": "integer",
                            "description": "the organic position the block stands before",
                        },
                        "weight": {"type": "number"},
                        "negative": {"type": "boolean"},
                        "counts_in_score": {"type": "boolean"},
                        "score_effect": {"type": "number", "maximum": 0},
                        "items": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "url": {"type": "string", "nullable": True},
                                    "normalized_url": {"type": "string", "nullable": True},
                                    "title": {"type": "string"},
                                    "source": {"type": "string"},
                                    "date": {"type": "string"},
                                    "label": {"enum": [*LABELS, None], "nullable": True},
                                },
                            },
                        },
                    },
                },
            },
        },
    },
    "LabelRule": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "brand_id": {"type": "integer"},
            "match_type": {"enum": ["exact", "prefix", "domain"]},
            "pattern": {"type": "string"},
            "label": {"enum": LABELS},
            "note": {"type": "string"},
            "created_at": TIME,
        },
    },
}


def _op(summary: str, response: dict[str, Any], *, code: str = "200", **extra: Any) -> dict:
    return {"summary": summary, "responses": {code: response, **ERRORS}, **extra}


def _body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(schema)}}}


def _list(key: str, schema: str) -> dict[str, Any]:
    return _json({"type": "object", "properties": {key: {"type": "array", "items": _ref(schema)}}})


BRAND = [_id("brand_id")]
QUERY = [_id("query_id")]
CHECK = [_id("check_id")]
RULE = [_id("rule_id")]
SINCE = {"name": "since", "in": "query", "schema": TIME}
NO_CONTENT = {"description": "Done"}

PATHS: dict[str, Any] = {
    "/brands/{brand_id}/serp/queries": {
        "get": _op(
            "Tracked queries of a brand", _list("queries", "TrackedQuery"), parameters=BRAND
        ),
        "post": _op(
            "Track a query (editor)", _json(_ref("TrackedQuery"), "Created"), code="201",
            parameters=BRAND, requestBody=_body("TrackedQueryInput"),
        ),
    },
    "/serp/queries/{query_id}": {
        "get": _op("A tracked query", _json(_ref("TrackedQuery")), parameters=QUERY),
        "patch": _op(
            "Change a tracked query (editor)", _json(_ref("TrackedQuery")), parameters=QUERY,
            requestBody=_body("TrackedQueryInput"),
        ),
        "delete": _op(
            "Stop tracking; history kept until purged (editor)", NO_CONTENT, code="204",
            parameters=QUERY,
        ),
    },
    "/serp/queries/{query_id}/check": {
        "post": _op(
            "Ask the worker to check the query now (editor)", _json(_ref("TrackedQuery")),
            code="202", parameters=QUERY,
        ),
    },
    "/serp/queries/{query_id}/history": {
        "get": _op(
            "Checks of a query, newest first, with every result, a page at a time",
            _json({"type": "object", "properties": {
                "query": _ref("TrackedQuery"),
                "checks": {"type": "array", "items": _ref("SerpCheck")},
                "total": {"type": "integer", "description": "checks in the history (since)"},
                "limit": {"type": "integer"},
                "offset": {"type": "integer"},
                "next_offset": {
                    "type": "integer", "nullable": True,
                    "description": "offset of the next page; null on the last page",
                },
            }}),
            parameters=[*QUERY, SINCE,
                        {"name": "limit", "in": "query", "description": "checks per page",
                         "schema": {"type": "integer", "default": 50, "minimum": 1,
                                    "maximum": 200}},
                        {"name": "offset", "in": "query",
                         "description": "newest checks to skip; past the end: no checks",
                         "schema": {"type": "integer", "default": 0, "minimum": 0,
                                    "maximum": 10_000_000}}],
        ),
    },
    "/serp/checks/{check_id}/features": {
        "get": _op(
            "Blocks beside a check's organic results (top stories, videos ...), in page order, "
            "each item labelled, each block with the weight it counts with in the page-one score",
            _json(_ref("CheckFeatures")), parameters=CHECK,
        ),
    },
    "/serp/queries/{query_id}/history.csv": {
        "get": _op(
            "History as CSV: one line per result, one per empty or failed check",
            {"description": "CSV", "content": {"text/csv": {}}}, parameters=[*QUERY, SINCE],
        ),
    },
    "/serp/queries/{query_id}/uploads": {
        "post": _op(
            "Upload a saved result page (HTML) or a CSV of checked_at, position, url, title",
            _list("checks", "SerpCheck"), code="201", parameters=QUERY,
            requestBody={"required": True, "content": {
                "multipart/form-data": {"schema": {"type": "object", "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "kind": {"enum": ["html", "csv"]},
                    "checked_at": TIME,
                }}},
                "text/html": {}, "text/csv": {},
            }},
        ),
    },
    "/brands/{brand_id}/serp/progress": {
        "get": _op(
            "Queries waiting, being checked, and done since a time",
            _json({"type": "object", "properties": {
                k: {"type": "integer"} for k in ("waiting", "running", "done")
            }}),
            parameters=[*BRAND, SINCE],
        ),
    },
    "/brands/{brand_id}/serp/labels": {
        "get": _op("Label rules of a brand", _list("labels", "LabelRule"), parameters=BRAND),
        "post": _op(
            "Label an exact URL, a URL prefix or a domain (editor)",
            _json(_ref("LabelRule"), "Created"), code="201", parameters=BRAND,
            requestBody=_body("LabelRule"),
        ),
    },
    "/serp/labels/{rule_id}": {
        "get": _op("A label rule", _json(_ref("LabelRule")), parameters=RULE),
        "patch": _op(
            "Change a label rule (editor)", _json(_ref("LabelRule")), parameters=RULE,
            requestBody=_body("LabelRule"),
        ),
        "delete": _op("Delete a label rule (editor)", NO_CONTENT, code="204", parameters=RULE),
    },
}  # fmt: skip

openapi.contribute(PATHS, SCHEMAS)
