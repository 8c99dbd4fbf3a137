"""The composer (one message for several channels, with a preview per network) and the page of a
campaign's versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from core import tenants
from core.db import db, utcnow
from core.errors import NotFound, Refused
from core.models import Role
from core.outbound import OutboundBlocked, parse_url
from core.pages import flash_errors
from planner import approval, composer, link_preview
from planner.composer import Version
from planner.connections.lifecycle import channel_health
from planner.media import operations as media_ops
from planner.models import EDITABLE_STATUSES, Channel, Platform, PostGroup
from planner.parts import COMMENT_LIMITS, COMMENT_PLATFORMS, MAX_PARTS, THREAD_PLATFORMS, Parts

bp = Blueprint("composer", __name__)

WHEN_CHOICES = ("queue", "time", "draft")


def _brand(brand_id: int) -> tenants.Brand:
    try:
        return tenants.brand_for(db.session, current_user, brand_id)
    except NotFound:
        abort(404, description=_("No such brand, or you are not a member of it."))


def _group(group_id: int) -> PostGroup:
    try:
        return composer.group_for(db.session, current_user, group_id)
    except NotFound:
        abort(404, description=_("No such campaign, or you are not a member of its brand."))


def _channel_cards(brand: tenants.Brand) -> list[dict[str, Any]]:
    """What the page's counters and previews need to know of each channel."""
    now = utcnow()
    cards = []
    for channel in sorted(brand.channels, key=lambda c: c.name.lower()):
        platform = Platform(channel.platform)
        account = channel.connection.account if channel.connection is not None else None
        cards.append(
            {
                "id": channel.id,
                "name": channel.name,
                "platform": channel.platform,
                "platformLabel": platform.label,
                "colour": platform.colour,
                "account": account or channel.name,
                "health": channel_health(channel, now).words,
                # What may follow the post: "thread", "comment" or nothing.
                "follows": (
                    "thread"
                    if channel.platform in THREAD_PLATFORMS
                    else "comment"
                    if channel.platform in COMMENT_PLATFORMS
                    else None
                ),
                "commentLimit": COMMENT_LIMITS.get(channel.platform),
            }
        )
    return cards


def _local_time(value: str, zone: ZoneInfo) -> datetime | None:
    """A datetime-local field's value, read in the brand's zone."""
    value = value.strip()
    if not value:
        return None
    try:
        naive = datetime.fromisoformat(value)
    except ValueError:
        raise Refused(_("The time is not a date and time (YYYY-MM-DD HH:MM).")) from None
    if naive.tzinfo is not None:
        return naive
    return naive.replace(tzinfo=zone)


def _ids(name: str) -> list[int]:
    return [int(v) for v in request.form.getlist(name) if v.isascii() and v.isdigit()]


def _library(brand: tenants.Brand) -> list[dict[str, Any]]:
    """The brand's media as the page shows and previews them."""
    return [
        {
            "id": item.id,
            "kind": item.kind,
            "name": item.filename,
            "alt": item.alt_text,
            "thumb": url_for("media.thumb", media_id=item.id) if item.thumb_key else None,
            "width": item.width,
            "height": item.height,
        }
        for item in media_ops.library(db.session, brand.id)
    ]


def _entered(brand: tenants.Brand) -> dict[str, Any]:
    """The form as sent (or empty): kept on a refusal so nothing typed is lost."""
    form = request.form
    picked = {int(v) for v in form.getlist("channel") if v.isdigit()}
    return {
        "media": _ids("media"),
        "own_media": {c.id: _ids(f"media_{c.id}") for c in brand.channels},
        "text": form.get("text", ""),
        "link": form.get("link", ""),
        "picked": picked,
        "custom": {c.id for c in brand.channels if form.get(f"custom_{c.id}")},
        "own_text": {c.id: form.get(f"text_{c.id}", "") for c in brand.channels},
        "own_link": {c.id: form.get(f"link_{c.id}", "") for c in brand.channels},
        # Each version's own thread parts (in order) or first comment.
        "thread": {c.id: form.getlist(f"thread_{c.id}") for c in brand.channels},
        "comment": {c.id: form.get(f"comment_{c.id}", "") for c in brand.channels},
        "when": form.get("when", "queue") if form.get("when") in WHEN_CHOICES else "queue",
        "scheduled_at": form.get("scheduled_at", ""),
    }


def _versions(brand: tenants.Brand, entered: dict[str, Any]) -> list[Version]:
    channels: dict[int, Channel] = {c.id: c for c in brand.channels}
    versions = []
    for channel_id in sorted(entered["picked"]):
        channel = channels.get(channel_id)
        if channel is None:
            raise Refused(_("A picked channel is not one of this brand's."))
        parts = Parts.of(
            entered["thread"][channel_id] if channel.platform in THREAD_PLATFORMS else (),
            entered["comment"][channel_id] if channel.platform in COMMENT_PLATFORMS else None,
        )
        if channel_id in entered["custom"]:
            versions.append(
                Version(
                    channel,
                    text=entered["own_text"][channel_id],
                    link=entered["own_link"][channel_id],
                    media_ids=tuple(entered["own_media"][channel_id]),
                    parts=parts,
                )
            )
        else:
            versions.append(Version(channel, parts=parts))
    return versions


@bp.route("/brands/<int:brand_id>/compose", methods=["GET", "POST"])
@login_required
def compose(brand_id: int) -> Any:
    brand = _brand(brand_id)
    if not current_user.has_role(Role.EDITOR):
        abort(403, description=_("Viewers cannot compose posts."))
    entered = _entered(brand)
    status = 200
    if request.method == "POST":
        try:
            when = entered["when"]
            scheduled_at = (
                _local_time(entered["scheduled_at"], brand.zone) if when == "time" else None
            )
            if when == "time" and scheduled_at is None:
                raise Refused(_("Give the time, or add the versions to the queue."))
            result = composer.compose(
                db.session,
                brand,
                current_user,
                text=entered["text"],
                link=entered["link"],
                versions=_versions(brand, entered),
                media_ids=entered["media"],
                scheduled_at=scheduled_at,
                queue=when == "queue",
                draft=when == "draft",
                now=utcnow(),
            )
            notes = [
                f"{post.channel.name}: {note}"
                for post in result.posts
                if (note := approval.schedule_message(db.session, post, current_user))
            ]
        except Refused as exc:
            db.session.rollback()
            flash_errors(exc.errors)
            status = 400
        else:
            db.session.commit()
            flash(
                ngettext(
                    "Campaign created for %(num)d channel.",
                    "Campaign created for %(num)d channels.",
                    len(result.posts),
                ),
                "success",
            )
            for line in notes:
                flash(line, "info")
            for warning in result.warnings:
                flash(warning, "warning")
            return redirect(url_for("composer.group_page", group_id=result.group.id))
    return render_template(
        "planner/compose.html",
        max_parts=MAX_PARTS,
        brand=brand,
        channels=_channel_cards(brand),
        library=_library(brand),
        entered=entered,
    ), status


@bp.get("/brands/<int:brand_id>/link-preview")
@login_required
def link_card(brand_id: int) -> Any:
    """The card of a link as the networks would show it (read through the outbound guard)."""
    _brand(brand_id)
    url = (request.args.get("url") or "").strip()
    try:
        parse_url(url)
    except OutboundBlocked as exc:
        return jsonify(error=_("This address cannot be previewed (%(reason)s).", reason=exc)), 422
    return jsonify(card=link_preview.fetch_card(url, current_app.config).to_dict())


@bp.route("/groups/<int:group_id>", methods=["GET", "POST"])
@login_required
def group_page(group_id: int) -> Any:
    group = _group(group_id)
    brand = tenants.brand_for(db.session, current_user, group.brand_id)
    status = 200
    if request.method == "POST":
        if not current_user.has_role(Role.EDITOR):
            abort(403, description=_("Viewers cannot change posts."))
        chosen = [int(v) for v in request.form.getlist("post") if v.isdigit()]
        try:
            warnings = composer.update_group(
                db.session,
                group,
                current_user,
                text=request.form.get("text", ""),
                link=request.form.get("link", ""),
                post_ids=chosen,
                now=utcnow(),
            )
        except Refused as exc:
            db.session.rollback()
            flash_errors(exc.errors)
            status = 400
        else:
            db.session.commit()
            flash(
                ngettext("%(num)d version changed.", "%(num)d versions changed.", len(chosen)),
                "success",
            )
            for warning in warnings:
                flash(warning, "warning")
            return redirect(url_for("composer.group_page", group_id=group.id))
    versions = composer.versions_of(db.session, group)
    return render_template(
        "planner/group.html",
        brand=brand,
        group=group,
        versions=versions,
        media=media_ops.media_of(db.session, [p.id for p in versions]),
        adjusted={p.id for p in versions if composer.own_text(p, group)},
        editable={p.id for p in versions if p.status in EDITABLE_STATUSES},
        zone=brand.zone,
        form_text=request.form.get("text", group.text) if status != 200 else group.text,
        form_link=request.form.get("link", group.link or "") if status != 200 else group.link,
    ), status
