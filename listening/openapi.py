"""Listening's part of the OpenAPI document."""

from __future__ import annotations

from typing import Any

from core import openapi
from core.openapi import ERRORS, TIME, operation
from core.openapi import json_response as _json
from core.openapi import path_id as _id
from core.openapi import ref as _ref
from listening.models import SourceKind
from listening.playbook_models import LANGUAGES, NOTIFY_BY, SEVERITIES, STATEMENT_PLATFORMS

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


# --- crisis playbooks ---------------------------------------------------------------------------

_NULL_TIME = {**TIME, "type": ["string", "null"]}
_NULL_INT = {"type": ["integer", "null"]}
_NULL_NUM = {"type": ["number", "null"]}
_LANGUAGE = {"type": "string", "enum": list(LANGUAGES)}
_CHANNEL_PLATFORM = {"type": "string", "enum": [p for p in STATEMENT_PLATFORMS if p != "social"]}
_NAME = {"type": "string", "minLength": 1, "maxLength": 120, "pattern": r"\S"}
_MEMBER = {
    "type": "object",
    "required": ["name", "role", "notify_by"],
    "properties": {
        "name": _NAME,
        "role": {**_NAME, "description": "Their part in the crisis, e.g. Spokesperson"},
        "email": {"type": "string", "format": "email", "maxLength": 120},
        "phone": {"type": "string", "pattern": r"^\+?[0-9 ()./-]{5,30}$"},
        "notify_by": {"type": "string", "enum": list(NOTIFY_BY)},
    },
    # E-mail notification needs an address, phone notification a number.
    "allOf": [
        {
            "if": {"properties": {"notify_by": {"enum": ["email", "both"]}}},
            "then": {"required": ["email"]},
        },
        {
            "if": {"properties": {"notify_by": {"enum": ["phone", "both"]}}},
            "then": {"required": ["phone"]},
        },
    ],
}
_SCENARIO_FIELDS = {
    "name": _NAME,
    "severity": {"type": "string", "enum": list(SEVERITIES)},
    "description": {"type": "string", "maxLength": 5000},
    "default_language": _LANGUAGE,
    "committee": {"type": "array", "maxItems": 30, "items": _MEMBER},
    "checklist": {
        "type": "array",
        "maxItems": 40,
        "items": {"type": "string", "maxLength": 500},
        "description": "The steps, in order",
    },
}
PLAYBOOK_SCHEMAS = {
    "CrisisStatement": {
        "type": "object",
        "properties": {
            "id": _INT,
            "platform": {"type": "string", "enum": list(STATEMENT_PLATFORMS)},
            "language": _LANGUAGE,
            "text": _STR,
            "approved": {"type": "boolean", "description": "Only approved statements are used"},
            "approved_at": _NULL_TIME,
            "approved_by_id": _NULL_INT,
        },
    },
    "CrisisStatementInput": {
        "type": "object",
        "required": ["platform", "language"],
        "properties": {
            "platform": {
                "type": "string",
                "enum": list(STATEMENT_PLATFORMS),
                "description": "'web': the public updates page; 'social': any social channel "
                "without a statement of its own",
            },
            "language": _LANGUAGE,
            "text": {
                "type": "string",
                "maxLength": 5000,
                "description": "{brand} and {updates_url} are filled in; empty removes it; new "
                "text withdraws the approval",
            },
            "approve": {"type": "boolean", "description": "Approve it in the same step"},
        },
    },
    "CrisisScenario": {
        "type": "object",
        "properties": {
            "id": _INT,
            "brand_id": _INT,
            "name": _STR,
            "severity": {"type": "string", "enum": list(SEVERITIES)},
            "description": _STR,
            "default_language": _LANGUAGE,
            "committee": {"type": "array", "items": _MEMBER},
            "checklist": {"type": "array", "items": _STR},
            "statements": {"type": "array", "items": _ref("CrisisStatement")},
            "updated_at": TIME,
        },
    },
    "CrisisScenarioInput": {
        "type": "object",
        "required": ["name", "severity"],
        "properties": _SCENARIO_FIELDS,
    },
    "CrisisScenarioChange": {"type": "object", "properties": _SCENARIO_FIELDS},
    "CrisisRunInput": {
        "type": "object",
        "required": ["scenario_id"],
        "properties": {
            "scenario_id": _INT,
            "alert_id": {**_NULL_INT, "description": "The spike alert it answers (optional)"},
            "rehearsal": {"type": "boolean", "description": "Publish nothing, pause nothing"},
            "language": {
                **_LANGUAGE,
                "type": ["string", "null"],
                "description": "Default: the first mention's language, else the scenario's",
            },
            "platform": {
                **_CHANNEL_PLATFORM,
                "type": ["string", "null"],
                "description": "Default: where the alert's first mention was posted",
            },
        },
    },
    "CrisisRun": {
        "type": "object",
        "properties": {
            "id": _INT,
            "brand_id": _INT,
            "scenario_id": _NULL_INT,
            "scenario_name": _STR,
            "severity": _STR,
            "alert_id": _NULL_INT,
            "rehearsal": {"type": "boolean"},
            "open": {"type": "boolean"},
            "platform": _STR,
            "language": _STR,
            "statement": {"type": "string", "description": "For the platform it started on"},
            "page_statement": {"type": "string", "description": "For the public updates page"},
            "draft_post_id": _NULL_INT,
            "paused_publishing": {"type": "boolean"},
            "page_published": {"type": "boolean"},
            "notes": {"type": "array", "items": _STR},
            "notified": {"type": "array", "items": {"type": "object"}},
            "opened_at": TIME,
            "closed_at": _NULL_TIME,
            "resolution": _STR,
            "steps": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": _INT,
                        "position": _INT,
                        "title": _STR,
                        "started_at": _NULL_TIME,
                        "started_by_id": _NULL_INT,
                        "done_at": _NULL_TIME,
                        "done_by_id": _NULL_INT,
                    },
                },
            },
            "timeline": {
                "type": "array",
                "description": "First mention, alert, playbook opened, first statement, resolution",
                "items": {
                    "type": "object",
                    "properties": {
                        "moment": _STR,
                        "at": _NULL_TIME,
                        "seconds_since_previous": _NULL_NUM,
                        "seconds_since_first": _NULL_NUM,
                    },
                },
            },
        },
    },
    "CrisisStepInput": {
        "type": "object",
        "required": ["action"],
        "properties": {"action": {"type": "string", "enum": ["start", "done"]}},
    },
    "CrisisCloseInput": {
        "type": "object",
        "properties": {"resolution": {"type": "string", "maxLength": 5000}},
    },
}

_SCENARIO = _json(_ref("CrisisScenario"))
_RUN = _json(_ref("CrisisRun"))
_SCENARIOS = _json(
    {
        "type": "object",
        "properties": {"scenarios": {"type": "array", "items": _ref("CrisisScenario")}},
    }
)
_open_run = _op(
    "Open a playbook (admin): pause publishing, draft the first statement, open the updates "
    "page, mail the committee; a rehearsal does only the last, marked [REHEARSAL]",
    _RUN,
    body="CrisisRunInput",
    params=[_id("brand_id")],
    code="201",
)
_open_run["responses"]["200"] = _json(_ref("CrisisRun"), "The run already open for this alert")

openapi.contribute(
    {
        "/brands/{brand_id}/listening/playbooks": {
            "get": _op("The brand's crisis scenarios", _SCENARIOS, params=[_id("brand_id")]),
            "post": _op(
                "Add a crisis scenario (admin)",
                _SCENARIO,
                body="CrisisScenarioInput",
                params=[_id("brand_id")],
                code="201",
            ),
        },
        "/brands/{brand_id}/listening/playbooks/starters": {
            "post": _op(
                "Add the starter scenarios the brand lacks (admin), statements unapproved",
                _SCENARIOS,
                params=[_id("brand_id")],
            ),
        },
        "/listening/playbooks/{scenario_id}": {
            "get": _op("A crisis scenario", _SCENARIO, params=[_id("scenario_id")]),
            "patch": _op(
                "Change a crisis scenario (admin)",
                _SCENARIO,
                body="CrisisScenarioChange",
                params=[_id("scenario_id")],
            ),
            "delete": _op(
                "Delete a crisis scenario (admin); its runs are kept",
                {"description": "Deleted"},
                params=[_id("scenario_id")],
                code="204",
            ),
        },
        "/listening/playbooks/{scenario_id}/statements": {
            "post": _op(
                "Write a first statement for a platform and language (admin)",
                _json(
                    {
                        "type": "object",
                        "properties": {
                            "statement": {"oneOf": [_ref("CrisisStatement"), {"type": "null"}]}
                        },
                    }
                ),
                body="CrisisStatementInput",
                params=[_id("scenario_id")],
            ),
        },
        "/brands/{brand_id}/listening/crisis-runs": {
            "get": _op(
                "The brand's playbook runs, newest first",
                _json(
                    {
                        "type": "object",
                        "properties": {"runs": {"type": "array", "items": _ref("CrisisRun")}},
                    }
                ),
                params=[_id("brand_id")],
            ),
            "post": _open_run,
        },
        "/listening/crisis-runs/{run_id}": {
            "get": _op(
                "A playbook run with its checklist and timeline", _RUN, params=[_id("run_id")]
            ),
        },
        "/listening/crisis-runs/{run_id}/checklist/{step_id}": {
            "post": _op(
                "Start a checklist step or mark it done (editor)",
                _RUN,
                body="CrisisStepInput",
                params=[_id("run_id"), _id("step_id")],
            ),
        },
        "/listening/crisis-runs/{run_id}/close": {
            "post": _op(
                "Close the crisis (admin): the timeline is fixed",
                _RUN,
                body="CrisisCloseInput",
                params=[_id("run_id")],
            ),
        },
    },
    PLAYBOOK_SCHEMAS,
)


# --- complaint themes ---------------------------------------------------------------------------

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
