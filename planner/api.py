"""JSON API under /api/v1: bearer tokens (or the browser session with a CSRF header)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import orjson
from flask import Blueprint, Response, abort, jsonify, request
from flask_login import current_user
from sqlalchemy import select

from core import tenants
from core.api import ApiError, api_auth, body, parse_instant, register_api_errors
from core.db import db, utcnow
from core.models import Role
from core.parsing import parse_float, parse_id, parse_int
from planner import approval, pause, slots, unconfirmed
from planner import brands as brand_ops
from planner import channels as channel_ops
from planner import openapi as _openapi  # noqa: F401  (contributes the planner paths)
from planner import operations as ops
from planner.calendar import calendar_events, compact_feed
from planner.media import operations as media_ops
from planner.models import Channel, Post
from planner.parts import Parts, parts_out, retry_failed_parts
from planner.serialize import brand_dict, channel_dict, iso, post_dict

bp = Blueprint("api", __name__, url_prefix="/api/v1")
register_api_errors(bp)


def optional_int(data: dict[str, Any], field: str, default: int | None) -> int | None:
    if field not in data:
        return default
    value = data[field]
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(422, f"'{field}' must be a whole number.")
    return parse_int(value, field)


def commit() -> None:
    db.session.commit()


def optional_name(data: dict[str, Any], field: str = "name") -> str | None:
    """A name from the body: None when absent; refused when it is not a string."""
    if field not in data:
        return None
    if not isinstance(data[field], str):
        raise ApiError(422, f"'{field}' must be a string.")
    return data[field]


# --- brands -------------------------------------------------------------------------------------


@bp.get("/brands")
@api_auth()
def list_brands() -> Any:
    """The caller's brands; archived ones only with ?archived=1."""
    every = request.args.get("archived") == "1"
    brands = tenants.brands_for(db.session, current_user, include_archived=every)
    return jsonify(brands=[brand_dict(b) for b in brands])


@bp.post("/brands")
@api_auth(Role.ADMIN)
def create_brand() -> Any:
    data = body()
    brand = brand_ops.create_brand(
        db.session,
        name=optional_name(data) or "",
        timezone=str(data.get("timezone", "UTC")),
        slug=data.get("slug"),
        creator=current_user,
    )
    commit()
    return jsonify(brand_dict(brand)), 201


@bp.get("/brands/<int:brand_id>")
@api_auth()
def get_brand(brand_id: int) -> Any:
    return jsonify(brand_dict(tenants.brand_for(db.session, current_user, brand_id)))


# --- channels and windows ---------------------------------------------------------------------


@bp.get("/brands/<int:brand_id>/channels")
@api_auth()
def list_channels(brand_id: int) -> Any:
    brand = tenants.brand_for(db.session, current_user, brand_id)
    return jsonify(channels=[channel_dict(c, with_windows=True) for c in brand.channels])


@bp.post("/brands/<int:brand_id>/channels")
@api_auth(Role.ADMIN)
def create_channel(brand_id: int) -> Any:
    brand = tenants.brand_for(db.session, current_user, brand_id)
    data = body()
    channel = channel_ops.create_channel(
        db.session,
        brand,
        current_user,
        platform=str(data.get("platform", "")),
        name=optional_name(data),  # absent: the platform's label, as documented
        timezone=data.get("timezone"),
        min_gap_minutes=optional_int(data, "min_gap_minutes", 60) or 0,
        max_per_day=optional_int(data, "max_per_day", 3),
    )
    commit()
    return jsonify(channel_dict(channel, with_windows=True)), 201


@bp.get("/channels/<int:channel_id>")
@api_auth()
def get_channel(channel_id: int) -> Any:
    return jsonify(
        channel_dict(
            channel_ops.channel_for(db.session, current_user, channel_id), with_windows=True
        )
    )


@bp.patch("/channels/<int:channel_id>")
@api_auth(Role.ADMIN)
def update_channel(channel_id: int) -> Any:
    channel = channel_ops.channel_for(db.session, current_user, channel_id)
    data = body()
    channel_ops.update_channel(
        db.session,
        channel,
        current_user,
        name=channel.name if "name" not in data else optional_name(data) or "",
        timezone=str(data.get("timezone", channel.timezone)),
        min_gap_minutes=optional_int(data, "min_gap_minutes", channel.min_gap_minutes) or 0,
        max_per_day=optional_int(data, "max_per_day", channel.max_per_day),
    )
    commit()
    return jsonify(channel_dict(channel, with_windows=True))


def parse_window(item: Any, index: int) -> slots.WindowSpec:
    where = f"window {index + 1}"
    if not isinstance(item, dict):
        raise ApiError(422, f"{where}: give an object with weekday, start, end and weight.")
    weekday = item.get("weekday")
    if isinstance(weekday, bool) or not isinstance(weekday, int):
        raise ApiError(422, f"{where}: 'weekday' must be 0 (Monday) to 6 (Sunday).")
    weight = parse_float(item.get("weight"), f"{where} weight", default=1.0)
    return slots.WindowSpec(
        weekday, parse_clock(item.get("start"), where), parse_clock(item.get("end"), where), weight
    )


def parse_clock(value: Any, where: str) -> int:
    try:
        hours, minutes = str(value).split(":")
        if not (hours + minutes).isascii():
            raise ValueError(value)  # int() would read other scripts' digits
        hour, minute = int(hours), int(minutes)
    except (ValueError, AttributeError):
        raise ApiError(422, f"{where}: times are HH:MM, got {value!r}.") from None
    if not (0 <= hour <= 24 and 0 <= minute < 60) or (hour == 24 and minute):
        raise ApiError(422, f"{where}: {value!r} is not a time of day.")
    return (hour * 60 + minute) % 1440


@bp.get("/channels/<int:channel_id>/windows")
@api_auth()
def get_windows(channel_id: int) -> Any:
    channel = channel_ops.channel_for(db.session, current_user, channel_id)
    return jsonify(windows=channel_dict(channel, with_windows=True)["windows"])


@bp.put("/channels/<int:channel_id>/windows")
@api_auth(Role.ADMIN)
def put_windows(channel_id: int) -> Any:
    channel = channel_ops.channel_for(db.session, current_user, channel_id)
    items = body().get("windows")
    if not isinstance(items, list):
        raise ApiError(422, 'Send {"windows": [...]}.')
    channel_ops.replace_windows(
        db.session, channel, [parse_window(item, i) for i, item in enumerate(items)], current_user
    )
    commit()
    return jsonify(windows=channel_dict(channel, with_windows=True)["windows"])


@bp.get("/channels/<int:channel_id>/next-slot")
@api_auth()
def next_slot(channel_id: int) -> Any:
    channel = channel_ops.channel_for(db.session, current_user, channel_id)
    after_arg = request.args.get("after")
    after = parse_instant(after_arg, "after") if after_arg else utcnow()
    slot = ops.next_free_slot(db.session, channel, after)
    return jsonify(channel_id=channel.id, after=iso(after), slot=iso(slot))


# --- posts --------------------------------------------------------------------------------------


def media_ids_of(data: dict[str, Any]) -> list[int] | None:
    """The ``media_ids`` of a body: a list of library item ids, or None when absent."""
    if "media_ids" not in data:
        return None
    value = data["media_ids"]
    if not isinstance(value, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in value
    ):
        raise ApiError(422, "'media_ids' must be a list of media item ids.")
    return value


def parts_of_body(data: dict[str, Any]) -> Parts | None:
    """The ``parts`` (thread) and ``first_comment`` of a body; None when neither is given.
    Either one given replaces everything that follows the post."""
    if "parts" not in data and "first_comment" not in data:
        return None
    items = data.get("parts")
    if items is None:
        items = []
    if not isinstance(items, list) or not all(
        isinstance(item, dict) and isinstance(item.get("text"), str) for item in items
    ):
        raise ApiError(422, "'parts' must be a list of objects, each with a 'text' string.")
    comment = data.get("first_comment")
    if comment is not None and not isinstance(comment, str):
        raise ApiError(422, "'first_comment' must be a string or null.")
    return Parts.of([item["text"] for item in items], comment)


def posts_out(posts: Sequence[Post]) -> list[dict[str, Any]]:
    """Posts as the API shows them, each with its media ids in order and its parts."""
    media = media_ops.media_of(db.session, [p.id for p in posts if p.media_count])
    parts = parts_out(db.session, [p.id for p in posts])
    return [
        {
            **post_dict(p),
            "media_ids": [item.id for item in media.get(p.id, [])],
            **parts[p.id],
        }
        for p in posts
    ]


def post_out(post: Post) -> dict[str, Any]:
    return posts_out([post])[0]


def _posts_query(brand_id: int) -> Any:
    query = (
        select(Post)
        .join(Channel, Channel.id == Post.channel_id)
        .where(Channel.brand_id == brand_id)
        .order_by(Post.scheduled_at, Post.id)
    )
    if status := request.args.get("status"):
        query = query.where(Post.status == status)
    if channel_id := parse_id(request.args.get("channel_id"), "channel_id"):
        query = query.where(Post.channel_id == channel_id)
    return query


@bp.get("/brands/<int:brand_id>/posts")
@api_auth()
def list_posts(brand_id: int) -> Any:
    brand = tenants.brand_for(db.session, current_user, brand_id)
    limit = min(parse_int(request.args.get("limit"), "limit", default=100, minimum=0) or 100, 1000)
    offset = max(parse_int(request.args.get("offset"), "offset", default=0) or 0, 0)
    query = _posts_query(brand.id)
    if start := request.args.get("start"):
        query = query.where(Post.scheduled_at >= parse_instant(start, "start", brand.zone))
    if end := request.args.get("end"):
        query = query.where(Post.scheduled_at < parse_instant(end, "end", brand.zone))
    posts = db.session.scalars(query.limit(limit).offset(offset)).all()
    return jsonify(posts=posts_out(posts), limit=limit, offset=offset)


@bp.post("/brands/<int:brand_id>/posts")
@api_auth(Role.EDITOR)
def create_post(brand_id: int) -> Any:
    brand = tenants.brand_for(db.session, current_user, brand_id)
    data = body()
    channel_id = data.get("channel_id")
    channel = next((c for c in brand.channels if c.id == channel_id), None)
    if channel is None:
        raise ApiError(422, "'channel_id' must name a channel of this brand.")
    queue = bool(data.get("queue"))
    draft = bool(data.get("draft"))
    scheduled_at = None
    if data.get("scheduled_at") is not None:
        scheduled_at = parse_instant(data["scheduled_at"], "scheduled_at")
    if not (queue or draft) and scheduled_at is None:
        raise ApiError(422, 'Give \'scheduled_at\', or "queue": true, or "draft": true.')
    change = ops.create_post(
        db.session,
        channel,
        current_user,
        text=str(data.get("text", "")),
        link=data.get("link"),
        image_url=data.get("image_url"),
        scheduled_at=scheduled_at,
        queue=queue,
        draft=draft,
        media_ids=media_ids_of(data) or (),
        parts=parts_of_body(data),
        now=utcnow(),
    )
    message = approval.schedule_message(db.session, change.post, current_user)
    note = approval.approval_note(db.session, change.post, current_user)
    commit()
    return jsonify(
        post=post_out(change.post), warnings=change.warnings, message=message, approval=note
    ), 201


@bp.get("/posts/<int:post_id>")
@api_auth()
def get_post(post_id: int) -> Any:
    post = ops.post_for(db.session, current_user, post_id)
    rejection = approval.last_rejection(db.session, post)
    if rejection is None:
        return jsonify(post=post_out(post))
    # A draft an approver sent back says why, where its author opens it.
    rejected = {"at": iso(rejection.at), "reason": rejection.detail.get("reason")}
    return jsonify(post=post_out(post), rejected=rejected)


@bp.patch("/posts/<int:post_id>")
@api_auth(Role.EDITOR)
def patch_post(post_id: int) -> Any:
    """Edit content and/or move: a refused move, or a change made against an older version of
    the post than the current one, answers 409 with the reasons and the post as it is now."""
    post = ops.post_for(db.session, current_user, post_id)
    data = body()
    now = utcnow()
    read_version = optional_int(data, "version", None)
    warnings: list[str] = []
    content_keys = {"text", "link", "image_url", "channel_id", "media_ids"}
    content_keys |= {"parts", "first_comment"}
    try:
        if content_keys & data.keys():
            channel = None
            if "channel_id" in data:
                channel = channel_ops.channel_for(db.session, current_user, int(data["channel_id"]))
            warnings += ops.update_post(
                db.session,
                post,
                current_user,
                text=data.get("text"),
                link=data.get("link"),
                image_url=data.get("image_url"),
                channel=channel,
                media_ids=media_ids_of(data),
                parts=parts_of_body(data),
                now=now,
                read_version=read_version,
            ).warnings
            read_version = None  # checked; the edit above made the next version
        if data.get("queue"):
            ops.queue_post(db.session, post, current_user, now=now, read_version=read_version)
        elif "scheduled_at" in data:
            when = parse_instant(data["scheduled_at"], "scheduled_at")
            try:
                warnings += ops.move_post(
                    db.session, post, current_user, when, now=now, read_version=read_version
                ).warnings
            except ops.PlannerError as exc:  # the time is refused, or the version is stale
                return _conflict(post.id, exc.errors)
    except ops.StaleVersion as exc:
        return _conflict(post.id, exc.errors)
    message = approval.schedule_message(db.session, post, current_user)
    note = approval.approval_note(db.session, post, current_user)
    commit()
    return jsonify(post=post_out(post), warnings=warnings, message=message, approval=note)


@bp.post("/posts/<int:post_id>/retry")
@api_auth(Role.EDITOR)
def retry_post(post_id: int) -> Any:
    """A failed post back in the queue: the next free slot, or the scheduled_at given."""
    post = ops.post_for(db.session, current_user, post_id)
    data = request.get_json(silent=True) or {}
    if not isinstance(data, dict):
        raise ApiError(400, "Send a JSON object with Content-Type: application/json.")
    when = None
    if data.get("scheduled_at") is not None:
        when = parse_instant(data["scheduled_at"], "scheduled_at")
    change = ops.retry_post(
        db.session,
        post,
        current_user,
        now=utcnow(),
        when=when,
        read_version=optional_int(data, "version", None),
    )
    message = approval.schedule_message(db.session, change.post, current_user)
    note = approval.approval_note(db.session, change.post, current_user)
    commit()
    return jsonify(
        post=post_out(change.post), warnings=change.warnings, message=message, approval=note
    )


@bp.post("/posts/<int:post_id>/parts/retry")
@api_auth(Role.EDITOR)
def retry_parts(post_id: int) -> Any:
    """A published post's failed thread part (or first comment) sent again, then the parts
    after it in order; the parts already published are never sent again."""
    post = ops.post_for(db.session, current_user, post_id)
    retry_failed_parts(db.session, post, current_user)
    commit()
    return jsonify(post=post_out(post))


def _conflict(post_id: int, errors: list[str]) -> Any:
    """409 with the reasons and the post as the database holds it now (read after the rollback),
    so a client can put it back where it is and carry the current version next time."""
    db.session.rollback()
    post = db.session.get(Post, post_id, populate_existing=True)
    current = post_out(post) if post is not None else None
    return jsonify(error=errors[0], errors=errors, post=current), 409


@bp.delete("/posts/<int:post_id>")
@api_auth(Role.EDITOR)
def delete_post(post_id: int) -> Any:
    post = ops.post_for(db.session, current_user, post_id)
    ops.delete_post(db.session, post, current_user)
    commit()
    return "", 204


# --- publishing: pause, approval, unconfirmed posts ------------------------------------------


@bp.post("/brands/<int:brand_id>/pause")
@api_auth(Role.ADMIN)
def pause_brand(brand_id: int) -> Any:
    brand = tenants.brand_for(db.session, current_user, brand_id)
    pause.pause_brand(db.session, brand, current_user, str(body().get("reason") or ""))
    commit()
    return jsonify(brand_dict(brand) | {"paused_at": iso(brand.paused_at)})


@bp.post("/brands/<int:brand_id>/resume")
@api_auth(Role.ADMIN)
def resume_brand(brand_id: int) -> Any:
    brand = tenants.brand_for(db.session, current_user, brand_id)
    held = body().get("held")
    if held not in pause.HELD_CHOICES:
        raise ApiError(422, '\'held\' must be "now" (publish held posts now) or "requeue".')
    posts = pause.resume_brand(db.session, brand, current_user, held)
    commit()
    return jsonify(brand=brand_dict(brand), released=posts_out(posts))


@bp.post("/posts/<int:post_id>/approve")
@api_auth(Role.APPROVER)
def approve_post(post_id: int) -> Any:
    """Approve a waiting post; a passed time answers 409 unless a new scheduled_at is given."""
    post = ops.post_for(db.session, current_user, post_id)
    data = request.get_json(silent=True) or {}
    if not isinstance(data, dict):
        raise ApiError(400, "Send a JSON object with Content-Type: application/json.")
    when = None
    if data.get("scheduled_at") is not None:
        when = parse_instant(data["scheduled_at"], "scheduled_at")
    reason = data.get("override_reason")
    if reason is not None and not isinstance(reason, str):
        raise ApiError(422, "'override_reason' must be a string.")
    try:
        change = approval.approve_post(
            db.session, post, current_user, now=utcnow(), scheduled_at=when, override_reason=reason
        )
    except approval.ApprovalRefused as exc:
        raise ApiError(403, exc.errors[0], exc.errors) from None
    except approval.NeedsNewTime as exc:
        raise ApiError(409, exc.errors[0], exc.errors) from None
    message = approval.schedule_message(db.session, change.post, current_user)
    note = approval.approval_note(db.session, change.post, current_user)
    commit()
    return jsonify(
        post=post_out(change.post), warnings=change.warnings, message=message, approval=note
    )


@bp.post("/posts/<int:post_id>/reject")
@api_auth(Role.APPROVER)
def reject_post(post_id: int) -> Any:
    post = ops.post_for(db.session, current_user, post_id)
    try:
        approval.reject_post(db.session, post, current_user, str(body().get("reason") or ""))
    except approval.ApprovalRefused as exc:
        raise ApiError(403, exc.errors[0], exc.errors) from None
    commit()
    return jsonify(post=post_out(post))


@bp.post("/posts/<int:post_id>/resolve")
@api_auth(Role.EDITOR)
def resolve_unconfirmed(post_id: int) -> Any:
    """An unconfirmed post: {"published": true, "public_url": …} or {"published": false}."""
    post = ops.post_for(db.session, current_user, post_id)
    data = body()
    if not isinstance(data.get("published"), bool):
        raise ApiError(422, "'published' must be true or false: was it on the platform?")
    if data["published"]:
        unconfirmed.confirm_published(
            db.session, post, current_user, str(data.get("public_url") or ""), now=utcnow()
        )
    else:
        unconfirmed.confirm_not_published(db.session, post, current_user, now=utcnow())
    commit()
    return jsonify(post=post_out(post))


@bp.get("/posts/<int:post_id>/metrics")
@api_auth()
def post_metrics(post_id: int) -> Any:
    """The post's metric reads (1 h, 24 h, 7 d): due, done with the figures, or skipped."""
    from planner.engagement import analytics

    post = ops.post_for(db.session, current_user, post_id)
    return jsonify(post_id=post.id, reads=analytics.post_metrics(db.session, post))


@bp.get("/channels/<int:channel_id>/analytics")
@api_auth()
def channel_analytics(channel_id: int) -> Any:
    """The channel's recent published posts with their reads, and the learned-windows
    proposal with its method and the number of posts it rests on."""
    from planner.engagement import analytics

    channel = channel_ops.channel_for(db.session, current_user, channel_id)
    return jsonify(analytics.channel_summary(db.session, channel))


@bp.get("/brands/<int:brand_id>/events")
@api_auth()
def events(brand_id: int) -> Any:
    """The calendar's event feed (FullCalendar's JSON feed: start/end query parameters)."""
    brand = tenants.brand_for(db.session, current_user, brand_id)
    start = parse_instant(request.args.get("start"), "start", brand.zone)
    end = parse_instant(request.args.get("end"), "end", brand.zone)
    if end <= start or end - start > timedelta(days=400):
        raise ApiError(422, "'end' must be after 'start', at most 400 days later.")
    chosen = [c for c in request.args.getlist("channel_id") if c.strip()]
    channel_ids = [parse_id(c, "channel_id") for c in chosen] or None
    include_windows = request.args.get("windows") in ("1", "true")
    build = compact_feed if request.args.get("format") == "compact" else calendar_events
    feed = build(
        db.session, brand, start, end, channel_ids=channel_ids, include_windows=include_windows
    )
    # orjson: the feed of a busy month holds thousands of posts, and encoding them with the
    # standard library took longer than building them (bench/bench_planner.py).
    return Response(orjson.dumps(feed), mimetype="application/json")


@bp.route("/<path:_rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown(_rest: str) -> Any:
    abort(404, description="No such API endpoint; see /api/v1/openapi.json.")
