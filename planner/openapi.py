"""The planner's part of the OpenAPI document."""

from __future__ import annotations

from typing import Any

from core import openapi
from core.openapi import TIME
from core.openapi import json_response as _json
from core.openapi import operation as _op
from core.openapi import path_id as _id
from core.openapi import ref as _ref
from core.tenants import BRAND_NAME_MAX, BRAND_SLUG_MAX
from planner.models import CHANNEL_NAME_MAX

PARTS_INPUT = {
    "type": "array",
    "maxItems": 25,
    "items": {
        "type": "object",
        "required": ["text"],
        "properties": {"text": {"type": "string"}},
    },
    "description": "X, Bluesky and Mastodon: the posts that follow this one as a thread, in "
    "order (text only). Given, it replaces the post's thread and first comment",
}
FIRST_COMMENT_INPUT = {
    "type": ["string", "null"],
    "description": "Facebook, Instagram and LinkedIn: a comment made under the post once it is "
    "published. Given, it replaces the post's thread and first comment",
}

SCHEMAS = {
    "Brand": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "slug": {"type": "string"},
            "name": {"type": "string"},
            "timezone": {"type": "string"},
            "grace_minutes": {"type": "integer"},
            "requires_approval": {"type": "boolean"},
            "paused": {"type": "boolean"},
            "pause_reason": {"type": ["string", "null"]},
            "archived": {
                "type": "boolean",
                "description": "hidden, publishes nothing, not checked nor polled; data kept",
            },
        },
    },
    "BrandInput": {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": BRAND_NAME_MAX},
            "slug": {"type": "string", "maxLength": BRAND_SLUG_MAX},
            "timezone": {"type": "string", "example": "Europe/Berlin"},
        },
    },
    "Window": {
        "type": "object",
        "required": ["weekday", "start", "end"],
        "properties": {
            "weekday": {"type": "integer", "minimum": 0, "maximum": 6, "description": "0 = Monday"},
            "start": {"type": "string", "pattern": "^\\d\\d:\\d\\d$"},
            "end": {
                "type": "string",
                "pattern": "^\\d\\d:\\d\\d$",
                "description": "at or before start: the window crosses midnight",
            },
            "weight": {"type": "number", "default": 1},
        },
    },
    "Windows": {
        "type": "object",
        "properties": {"windows": {"type": "array", "items": _ref("Window")}},
    },
    "Channel": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "brand_id": {"type": "integer"},
            "platform": {
                "type": "string",
                "enum": [
                    "facebook",
                    "instagram",
                    "x",
                    "linkedin",
                    "mastodon",
                    "bluesky",
                    "wordpress",
                    "webhook",
                ],
            },
            "name": {"type": "string"},
            "timezone": {"type": "string"},
            "min_gap_minutes": {"type": "integer"},
            "max_per_day": {"type": ["integer", "null"]},
            "windows": {"type": "array", "items": _ref("Window")},
        },
    },
    "ChannelInput": {
        "type": "object",
        "required": ["platform"],
        "properties": {
            "platform": {"type": "string"},
            "name": {
                "type": "string",
                "minLength": 1,
                "maxLength": CHANNEL_NAME_MAX,
                "description": "omitted when creating: the platform's name (e.g. Mastodon); "
                "an empty name is refused",
            },
            "timezone": {"type": "string"},
            "min_gap_minutes": {"type": "integer"},
            "max_per_day": {"type": ["integer", "null"]},
        },
    },
    "Post": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "channel_id": {"type": "integer"},
            "text": {"type": "string"},
            "link": {"type": ["string", "null"]},
            "image_url": {"type": ["string", "null"]},
            "media_ids": {
                "type": "array",
                "items": {"type": "integer"},
                "description": "media library items, in the order the post shows them",
            },
            "scheduled_at": {"type": ["string", "null"], "format": "date-time"},
            "status": {
                "type": "string",
                "enum": [
                    "draft",
                    "pending_approval",
                    "scheduled",
                    "publishing",
                    "published",
                    "failed",
                    "unconfirmed",
                    "missed",
                    "held",
                ],
            },
            "source": {"type": "string", "enum": ["manual", "review", "plan"]},
            "public_url": {"type": ["string", "null"]},
            "group_id": {
                "type": ["integer", "null"],
                "description": "the campaign this post is one channel's version of",
            },
            "parts": {
                "type": "array",
                "items": _ref("PostPart"),
                "description": "the thread's further posts on X, Bluesky or Mastodon, in order",
            },
            "first_comment": {
                "type": ["string", "null"],
                "description": "the comment made under the post on Facebook, Instagram or "
                "LinkedIn once it is published",
            },
            "first_comment_state": {"oneOf": [_ref("PostPart"), {"type": "null"}]},
            "version": {
                "type": "integer",
                "description": "grows by one with every accepted change; send it back with a "
                "change to be refused (409) if the post changed since you read it",
            },
        },
    },
    "PostPart": {
        "type": "object",
        "description": "a post that follows the first one in a thread, or the first comment",
        "properties": {
            "text": {"type": "string"},
            "position": {"type": "integer", "description": "1 follows the post itself"},
            "state": {"type": "string", "enum": ["pending", "published", "failed"]},
            "remote_id": {"type": ["string", "null"]},
            "remote_url": {"type": ["string", "null"]},
            "error": {"type": ["string", "null"], "description": "why the platform refused it"},
            "published_at": {"type": ["string", "null"], "format": "date-time"},
        },
    },
    "PostInput": {
        "type": "object",
        "required": ["channel_id", "text"],
        "properties": {
            "channel_id": {"type": "integer"},
            "text": {"type": "string"},
            "link": {"type": "string"},
            "image_url": {"type": "string"},
            "media_ids": {
                "type": "array",
                "items": {"type": "integer"},
                "description": "media library items, in the order the post shows them",
            },
            "parts": PARTS_INPUT,
            "first_comment": FIRST_COMMENT_INPUT,
            "scheduled_at": TIME,
            "queue": {"type": "boolean", "description": "schedule in the next free slot"},
            "draft": {"type": "boolean"},
        },
    },
    "PostPatch": {
        "type": "object",
        "properties": {
            "text": {"type": "string"},
            "link": {"type": "string"},
            "image_url": {"type": "string"},
            "media_ids": {
                "type": "array",
                "items": {"type": "integer"},
                "description": "media library items, in the order the post shows them",
            },
            "parts": PARTS_INPUT,
            "first_comment": FIRST_COMMENT_INPUT,
            "channel_id": {"type": "integer"},
            "scheduled_at": TIME,
            "queue": {"type": "boolean"},
            "version": {
                "type": "integer",
                "description": "the post's version as you read it: if the post changed since, "
                "nothing is changed and the answer is 409 with the post as it is now",
            },
        },
    },
    "PostConflict": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {"type": "string"},
            "errors": {"type": "array", "items": {"type": "string"}},
            "post": {
                "oneOf": [_ref("Post"), {"type": "null"}],
                "description": "the post as it is now (null when it was deleted meanwhile)",
            },
        },
    },
    "PostResult": {
        "type": "object",
        "properties": {
            "post": _ref("Post"),
            "warnings": {"type": "array", "items": {"type": "string"}},
            "message": {
                "type": "string",
                "description": "when the post goes out and why it did or did not wait for "
                "approval, e.g. 'Waiting for approval by a@example.com'",
            },
            "approval": {
                "type": ["string", "null"],
                "description": "why the post waits for approval or did not have to, to add to "
                "what the client says about its time; null when approval played no part",
            },
        },
    },
    "CalendarEvent": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "start": TIME,
            "end": TIME,
            "color": {"type": "string"},
            "display": {"type": "string"},
            "extendedProps": {"type": "object"},
        },
    },
}

PATHS = {
    "/brands": {
        "get": _op(
            "Brands you belong to; archived ones only with archived=1",
            _json(
                {
                    "type": "object",
                    "properties": {"brands": {"type": "array", "items": _ref("Brand")}},
                }
            ),
            params=[
                {
                    "name": "archived",
                    "in": "query",
                    "schema": {"type": "string", "enum": ["0", "1"]},
                    "description": "1: include archived brands",
                }
            ],
        ),
        "post": _op(
            "Create a brand (admin)", _json(_ref("Brand"), "Created"), body="BrandInput", code="201"
        ),
    },
    "/brands/{brand_id}": {
        "get": _op("A brand", _json(_ref("Brand")), params=[_id("brand_id")]),
    },
    "/brands/{brand_id}/channels": {
        "get": _op(
            "Channels with their windows",
            _json(
                {
                    "type": "object",
                    "properties": {"channels": {"type": "array", "items": _ref("Channel")}},
                }
            ),
            params=[_id("brand_id")],
        ),
        "post": _op(
            "Create a channel (admin); it gets the platform's default windows",
            _json(_ref("Channel"), "Created"),
            body="ChannelInput",
            params=[_id("brand_id")],
            code="201",
        ),
    },
    "/channels/{channel_id}": {
        "get": _op("A channel", _json(_ref("Channel")), params=[_id("channel_id")]),
        "patch": _op(
            "Change a channel (admin)",
            _json(_ref("Channel")),
            body="ChannelInput",
            params=[_id("channel_id")],
        ),
    },
    "/channels/{channel_id}/windows": {
        "get": _op("Engagement windows", _json(_ref("Windows")), params=[_id("channel_id")]),
        "put": _op(
            "Replace the windows (admin); overlaps and empty windows are refused",
            _json(_ref("Windows")),
            body="Windows",
            params=[_id("channel_id")],
        ),
    },
    "/channels/{channel_id}/next-slot": {
        "get": _op(
            "The next free slot at or after 'after' (default now)",
            _json(
                {
                    "type": "object",
                    "properties": {"slot": {"type": ["string", "null"], "format": "date-time"}},
                }
            ),
            params=[_id("channel_id"), {"name": "after", "in": "query", "schema": TIME}],
        ),
    },
    "/brands/{brand_id}/posts": {
        "get": _op(
            "Posts, filtered",
            _json(
                {
                    "type": "object",
                    "properties": {"posts": {"type": "array", "items": _ref("Post")}},
                }
            ),
            params=[
                _id("brand_id"),
                {"name": "status", "in": "query", "schema": {"type": "string"}},
                {"name": "channel_id", "in": "query", "schema": {"type": "integer"}},
                {"name": "start", "in": "query", "schema": TIME},
                {"name": "end", "in": "query", "schema": TIME},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 1000}},
                {"name": "offset", "in": "query", "schema": {"type": "integer"}},
            ],
        ),
        "post": _op(
            "Create a post at 'scheduled_at', in the queue, or as a draft",
            _json(_ref("PostResult"), "Created"),
            body="PostInput",
            params=[_id("brand_id")],
            code="201",
        ),
    },
    "/posts/{post_id}": {
        "get": _op(
            "A post",
            _json({"type": "object", "properties": {"post": _ref("Post")}}),
            params=[_id("post_id")],
        ),
        "patch": {
            **_op(
                "Edit and/or reschedule; a move that breaks the gap or daily maximum, or a "
                "change sent with an older 'version' than the post's, answers 409 with the "
                "reasons and the post as it is now",
                _json(_ref("PostResult")),
                body="PostPatch",
                params=[_id("post_id")],
            ),
        },
        "delete": _op(
            "Delete a post that was never published",
            {"description": "Deleted"},
            params=[_id("post_id")],
            code="204",
        ),
    },
    "/brands/{brand_id}/events": {
        "get": _op(
            "Calendar event feed (FullCalendar JSON feed)",
            _json({"type": "array", "items": _ref("CalendarEvent")}),
            params=[
                _id("brand_id"),
                {"name": "start", "in": "query", "required": True, "schema": TIME},
                {"name": "end", "in": "query", "required": True, "schema": TIME},
                {"name": "channel_id", "in": "query", "schema": {"type": "integer"}},
                {
                    "name": "windows",
                    "in": "query",
                    "schema": {"type": "boolean"},
                    "description": "add engagement windows as background events",
                },
            ],
        ),
    },
}


def _body(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return {"required": True, "content": {"application/json": {"schema": schema}}}


PATHS["/brands/{brand_id}/pause"] = {
    "post": {
        **_op(
            "Pause the brand's publishing (admin): due posts become held",
            _json(_ref("Brand")),
            params=[_id("brand_id")],
        ),
        "requestBody": _body({"reason": {"type": "string"}}, ["reason"]),
    }
}
PATHS["/brands/{brand_id}/resume"] = {
    "post": {
        **_op(
            "Resume publishing (admin): held posts go out now or to the next free slots",
            _json(
                {
                    "type": "object",
                    "properties": {
                        "brand": _ref("Brand"),
                        "released": {"type": "array", "items": _ref("Post")},
                    },
                }
            ),
            params=[_id("brand_id")],
        ),
        "requestBody": _body({"held": {"type": "string", "enum": ["now", "requeue"]}}, ["held"]),
    }
}
PATHS["/posts/{post_id}/approve"] = {
    "post": {
        **_op(
            "Approve a waiting post (approver); 409 when its time has passed and no new "
            "scheduled_at is given; 403 for one's own post when two people are required",
            _json(_ref("PostResult")),
            params=[_id("post_id")],
        ),
        "requestBody": _body(
            {
                "scheduled_at": TIME,
                "override_reason": {
                    "type": "string",
                    "description": "an admin approving their own post when two people are "
                    "required says why; kept in the audit log",
                },
            }
        ),
    }
}
PATHS["/posts/{post_id}/retry"] = {
    "post": {
        **_op(
            "Retry a failed post (editor): at the next free slot, or at scheduled_at",
            _json(_ref("PostResult")),
            params=[_id("post_id")],
        ),
        "requestBody": _body({"scheduled_at": TIME, "version": {"type": "integer"}}),
    }
}
PATHS["/posts/{post_id}/parts/retry"] = {
    "post": _op(
        "Send a published post's failed thread part or first comment again (editor), then the "
        "parts after it in order; published parts are never sent again",
        _json({"type": "object", "properties": {"post": _ref("Post")}}),
        params=[_id("post_id")],
    )
}
PATHS["/posts/{post_id}/reject"] = {
    "post": {
        **_op(
            "Send a waiting post back to draft with a reason (approver)",
            _json({"type": "object", "properties": {"post": _ref("Post")}}),
            params=[_id("post_id")],
        ),
        "requestBody": _body({"reason": {"type": "string"}}, ["reason"]),
    }
}
PATHS["/posts/{post_id}/resolve"] = {
    "post": {
        **_op(
            "Resolve an unconfirmed post: it was published (with its URL) or it was not "
            "(back to the next free slot)",
            _json({"type": "object", "properties": {"post": _ref("Post")}}),
            params=[_id("post_id")],
        ),
        "requestBody": _body(
            {"published": {"type": "boolean"}, "public_url": {"type": "string"}}, ["published"]
        ),
    }
}
_METRIC_READ = {
    "type": "object",
    "properties": {
        "kind": {"type": "string", "enum": ["1h", "24h", "7d"]},
        "status": {"type": "string", "enum": ["due", "done", "skipped"]},
        "due_at": TIME,
        "fetched_at": {"type": ["string", "null"], "format": "date-time"},
        **{
            name: {"type": ["integer", "null"], "description": "null: not given by the platform"}
            for name in ("likes", "comments", "shares", "impressions")
        },
        "reason": {"type": ["string", "null"]},
    },
}
PATHS["/posts/{post_id}/metrics"] = {
    "get": _op(
        "The post's metric reads 1 hour, 24 hours and 7 days after publication",
        _json(
            {
                "type": "object",
                "properties": {
                    "post_id": {"type": "integer"},
                    "reads": {"type": "array", "items": _METRIC_READ},
                },
            }
        ),
        params=[_id("post_id")],
    )
}
PATHS["/channels/{channel_id}/analytics"] = {
    "get": _op(
        "The channel's recent published posts with their reads, and the learned-windows "
        "proposal (method and the number of posts it rests on)",
        _json(
            {
                "type": "object",
                "properties": {
                    "channel_id": {"type": "integer"},
                    "posts": {"type": "array", "items": {"type": "object"}},
                    "learned_windows": {
                        "type": "object",
                        "properties": {
                            "learned": {"type": "boolean"},
                            "posts": {"type": "integer"},
                            "method": {"type": "string"},
                            "windows": {"type": "array", "items": _ref("Window")},
                            "answer": {"type": ["string", "null"]},
                        },
                    },
                },
            }
        ),
        params=[_id("channel_id")],
    )
}
PATHS["/posts/{post_id}"]["patch"]["responses"]["409"] = _json(
    _ref("PostConflict"), "Move refused, or the post changed since the 'version' sent"
)

openapi.contribute(PATHS, SCHEMAS)
