"""Listening's part of the OpenAPI document."""

from __future__ import annotations

from typing import Any

from core import openapi
from core.openapi import ERRORS, TIME, operation
from core.openapi import json_response as _json
from core.openapi import path_id as _id
from core.openapi import ref as _ref
from listening.models import SourceKind

_INT = {"type": "integer"}
_STR = {"type": "string"}
_NULL_STR = {"type": ["string", "null"]}


def _op(summary: str, response: dict[str, Any], **options: Any) -> dict[str, Any]:
    return operation(summary, response, tags=["listening"], **options)


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


SCHEMAS = {
    "MentionSource": {
        "type": "object",
        "properties": {
            "id": _INT,
            "brand_id": _INT,
            "kind": {"type": "string", "enum": [k.value for k in SourceKind]},
            "name": _STR,
            "url": _NULL_STR,
            "query": _NULL_STR,
            "interval_minutes": _INT,
            "active": {"type": "boolean"},
            "failing": {"type": "boolean"},
            "last_error": _NULL_STR,
            "last_polled_at": {**TIME, "type": ["string", "null"]},
            "next_poll_at": {**TIME, "type": ["string", "null"]},
        },
    },
    "MentionSourceInput": {
        "type": "object",
        "properties": {
            "kind": {
                "type": "string",
                "enum": [k.value for k in SourceKind if k != SourceKind.CSV],
            },
            "name": _STR,
            "url": {
                "type": "string",
                "description": "Feed URL, Mastodon instance or Bluesky AppView",
            },
            "query": {"type": "string", "description": "Hashtag or search terms"},
            "interval_minutes": {"type": "integer", "minimum": 5, "maximum": 1440},
            "active": {"type": "boolean"},
        },
    },
    "Mention": {
        "type": "object",
        "properties": {
            "id": _INT,
            "brand_id": _INT,
            "source_id": _INT,
            "url": _NULL_STR,
            "author": _STR,
            "title": _STR,
            "text": {"type": "string", "description": "Plain text; escape it when you show it"},
            "language": _NULL_STR,
            "published_at": TIME,
            "date_estimated": {"type": "boolean", "description": "No usable date: fetch time"},
            "sentiment": {"type": ["number", "null"], "description": "VADER compound (English)"},
            "sentiment_label": {"type": "string", "enum": ["positive", "negative", "neutral"]},
            "key_terms": {"type": "array", "items": _STR},
            "is_question": {"type": "boolean"},
            "state": {"type": "string", "enum": ["new", "needs_reply", "replied", "no_action"]},
            "assignee_id": {"type": ["integer", "null"]},
            "target_minutes": _INT,
            "due_at": TIME,
            "overdue": {"type": "boolean"},
            "first_reply_at": {**TIME, "type": ["string", "null"]},
            "response_minutes": {"type": ["number", "null"]},
        },
    },
    "MentionUpdate": {
        "type": "object",
        "properties": {
            "state": {"type": "string", "enum": ["new", "needs_reply", "replied", "no_action"]},
            "assignee_id": {"type": ["integer", "null"]},
        },
    },
}

_SOURCE = _json(_ref("MentionSource"))
_MENTION = _json(_ref("Mention"))

openapi.contribute(
    {
        "/brands/{brand_id}/listening/sources": {
            "get": _op(
                "List the brand's listening sources",
                _json(
                    {
                        "type": "object",
                        "properties": {
                            "sources": {"type": "array", "items": _ref("MentionSource")}
                        },
                    }
                ),
                params=[_id("brand_id")],
            ),
            "post": _op(
                "Add a source (editor)",
                _SOURCE,
                body="MentionSourceInput",
                params=[_id("brand_id")],
                code="201",
            ),
        },
        "/listening/sources/{source_id}": {
            "get": _op("A source", _SOURCE, params=[_id("source_id")]),
            "patch": _op(
                "Change a source (editor)",
                _SOURCE,
                body="MentionSourceInput",
                params=[_id("source_id")],
            ),
            "delete": _op(
                "Delete a source and its mentions (editor)",
                {"description": "Deleted"},
                params=[_id("source_id")],
                code="204",
            ),
        },
        "/brands/{brand_id}/listening/mentions": {
            "get": _op(
                "The inbox: mentions, newest first, 100 a page",
                _json(
                    {
                        "type": "object",
                        "properties": {
                            "mentions": {"type": "array", "items": _ref("Mention")},
                            "total": _INT,
                            "page": _INT,
                            "per_page": _INT,
                        },
                    }
                ),
                params=[
                    _id("brand_id"),
                    _query("state", _STR, "new, needs_reply, replied, no_action or open"),
                    _query("sentiment", _STR, "positive, negative or neutral"),
                    _query("source", _INT, "a source id"),
                    _query("assignee", _INT, "a user id; 0 for unassigned"),
                    _query("overdue", {"type": "boolean"}, "only open mentions past target"),
                    _query("page", _INT, "1-based page"),
                ],
            ),
        },
        "/listening/mentions/{mention_id}": {
            "get": _op("A mention", _MENTION, params=[_id("mention_id")]),
            "patch": _op(
                "Change a mention's state or assignee (editor)",
                _MENTION,
                body="MentionUpdate",
                params=[_id("mention_id")],
            ),
        },
        "/brands/{brand_id}/listening/mentions/upload": {
            "post": {
                "summary": "Upload mentions as CSV (editor): id, url, author, title, text, "
                "published, language; all rows or none",
                "tags": ["listening"],
                "parameters": [_id("brand_id")],
                "requestBody": {
                    "required": True,
                    "content": {
                        "text/csv": {"schema": {"type": "string"}},
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "properties": {"file": {"type": "string", "format": "binary"}},
                            }
                        },
                    },
                },
                "responses": {
                    "201": _json(
                        {"type": "object", "properties": {"new": _INT, "duplicates": _INT}}
                    ),
                    **ERRORS,
                },
            },
        },
    },
    SCHEMAS,
)

_THEME_EXAMPLE = {
    "type": "object",
    "properties": {
        "kind": {"type": "string", "enum": ["review", "mention"]},
        "id": _INT,
        "text": _STR,
        "url": _NULL_STR,
        "created_at": TIME,
    },
}
openapi.contribute(
    {
        "/brands/{brand_id}/listening/themes": {
            "get": _op(
                "Complaint themes of the brand's negative and neutral reviews and mentions: "
                "weekly counts (oldest week first), growth, examples",
                _json(
                    {
                        "type": "object",
                        "properties": {
                            "weeks": {
                                "type": "array",
                                "items": {"type": "string", "format": "date"},
                            },
                            "themes": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "theme": _STR,
                                        "label": _STR,
                                        "counts": {"type": "array", "items": _INT},
                                        "total": _INT,
                                        "growing": {"type": "boolean"},
                                        "doubled": {"type": "boolean"},
                                        "examples": {"type": "array", "items": _THEME_EXAMPLE},
                                    },
                                },
                            },
                        },
                    }
                ),
                params=[
                    _id("brand_id"),
                    _query(
                        "weeks",
                        {"type": "integer", "minimum": 2, "maximum": 26},
                        "how many weeks, this one last (default 8)",
                    ),
                ],
            ),
        },
        "/brands/{brand_id}/listening/themes/alerts": {
            "get": _op(
                "Themes whose weekly count doubled, newest first (one per theme and week)",
                _json(
                    {
                        "type": "object",
                        "properties": {
                            "alerts": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "id": _INT,
                                        "theme": _STR,
                                        "week": {"type": "string", "format": "date"},
                                        "count": _INT,
                                        "previous": _INT,
                                        "created_at": TIME,
                                    },
                                },
                            }
                        },
                    }
                ),
                params=[_id("brand_id")],
            ),
        },
    },
    {},
)
