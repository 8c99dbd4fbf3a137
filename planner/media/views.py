"""Media pages: a brand's library (upload by drag and drop or file picker, alt text, delete when
unused), the files for members, a post's media, and the public signed addresses Instagram
fetches."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
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

from core.db import db
from core.errors import NotFound, Refused
from core.pages import commit_or_flash, flash_errors, member_brand
from core.tenants import brand_for
from planner import operations as ops
from planner.models import Post

from . import operations as media_ops
from .models import ALT_TEXT_MAX, MediaItem
from .rules import RULES
from .storage import StorageError, storage_for

bp = Blueprint("media", __name__)
MB = 1024 * 1024


def _storage():
    return storage_for(current_app.config)


def _limits() -> media_ops.Limits:
    return media_ops.Limits.from_config(current_app.config)


def _member_item(media_id: int) -> MediaItem:
    item = db.session.get(MediaItem, media_id)
    if item is None:
        abort(404)
    try:
        brand_for(db.session, current_user, item.brand_id)
    except NotFound:
        abort(404)
    return item


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.route("/brands/<int:brand_id>/media")
@login_required
def library(brand_id: int) -> Any:
    brand = member_brand(brand_id)
    items = media_ops.library(db.session, brand.id)
    limits = _limits()
    return render_template(
        "planner/media.html",
        brand=brand,
        items=items,
        used=media_ops.usage_counts(db.session, [item.id for item in items]),
        usage=media_ops.brand_usage(db.session, brand.id),
        limits=limits,
        MB=MB,
        size_text=media_ops.size_text,
        alt_max=ALT_TEXT_MAX,
        rules=RULES,
        kind_names={"image": _("image"), "video": _("video")},
    )


@bp.url_value_preprocessor
def _upload_size(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """A video may be larger than the app-wide request limit: the library's own limits apply to
    its uploads. Set here, before any request hook (the CSRF check) reads the body."""
    if endpoint == "media.upload":
        limits = _limits()
        request.max_content_length = max(limits.video_bytes, limits.image_bytes) + MB


@bp.route("/brands/<int:brand_id>/media", methods=["POST"])
@login_required
def upload(brand_id: int) -> Any:
    brand = member_brand(brand_id)
    files = request.files.getlist("file")
    if not files:
        errors = [_("Choose a file to upload.")]
        if _wants_json():
            return jsonify({"errors": errors}), 400
        flash_errors(errors)
        return redirect(url_for("media.library", brand_id=brand.id))
    made: list[dict[str, Any]] = []
    try:
        for file in files:
            item = media_ops.upload(
                db.session,
                _storage(),
                brand,
                current_user,
                data=file.read(),
                filename=file.filename or "upload",
                limits=_limits(),
                alt_text=request.form.get("alt_text", ""),
            )
            made.append({"id": item.id, "filename": item.filename, "kind": item.kind})
    except Refused as exc:
        db.session.rollback()
        if _wants_json():
            return jsonify({"errors": exc.errors}), 400
        flash_errors(exc.errors)
        return redirect(url_for("media.library", brand_id=brand.id))
    db.session.commit()
    if _wants_json():
        return jsonify({"items": made}), 201
    flash(ngettext("Uploaded %(num)d file.", "Uploaded %(num)d files.", len(made)), "success")
    return redirect(url_for("media.library", brand_id=brand.id))


@bp.route("/media/<int:media_id>/alt", methods=["POST"])
@login_required
def describe(media_id: int) -> Any:
    item = _member_item(media_id)
    if commit_or_flash(
        lambda: media_ops.set_alt_text(
            db.session, item, current_user, request.form.get("alt_text", "")
        )
    ):
        flash(_("Alt text of “%(name)s” saved.", name=item.filename), "success")
    return redirect(request.form.get("next") or url_for("media.library", brand_id=item.brand_id))


@bp.route("/media/<int:media_id>/delete", methods=["POST"])
@login_required
def delete(media_id: int) -> Any:
    item = _member_item(media_id)
    brand_id, name = item.brand_id, item.filename
    if commit_or_flash(lambda: media_ops.delete_item(db.session, _storage(), item, current_user)):
        flash(_("“%(name)s” deleted.", name=name), "success")
    return redirect(url_for("media.library", brand_id=brand_id))


def _file_response(key: str, content_type: str, *, cache: str) -> Response:
    try:
        data = _storage().get(key)
    except StorageError:
        abort(404)
    response = Response(data, mimetype=content_type)
    response.headers["Cache-Control"] = cache
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/media/<int:media_id>/file")
@login_required
def file(media_id: int) -> Any:
    item = _member_item(media_id)
    return _file_response(item.storage_key, item.content_type, cache="private, max-age=3600")


@bp.route("/media/<int:media_id>/thumb")
@login_required
def thumb(media_id: int) -> Any:
    item = _member_item(media_id)
    if not item.thumb_key:
        abort(404)
    return _file_response(item.thumb_key, "image/jpeg", cache="private, max-age=86400")


@bp.route("/m/<token>")
def public(token: str) -> Any:
    """A signed, expiring address of one file, without login: what Instagram's servers fetch."""
    try:
        media_id = media_ops.read_public_token(
            current_app.config["SECRET_KEY"], token, int(current_app.config["MEDIA_URL_SECONDS"])
        )
    except NotFound:
        abort(404)
    item = db.session.get(MediaItem, media_id)
    if item is None:
        abort(404)
    return _file_response(item.storage_key, item.content_type, cache="private, no-store")


@bp.route("/posts/<int:post_id>/media", methods=["POST"])
@login_required
def attach(post_id: int) -> Any:
    """Set a post's media from the library: the chosen items in the order given, with their
    alt text saved first."""
    try:
        post = ops.post_for(db.session, current_user, post_id)
    except NotFound:
        abort(404)
    chosen: list[tuple[float, int]] = []
    for raw in request.form.getlist("media_id"):
        if not raw.isdigit():
            continue
        media_id = int(raw)
        # Items without a position follow the numbered ones, in the form's order.
        try:
            order = float(request.form.get(f"position_{media_id}") or 1e6 + len(chosen))
        except ValueError:
            order = 1e6 + len(chosen)
        chosen.append((order, media_id))
    ordered = [media_id for _order, media_id in sorted(chosen, key=lambda pair: pair[0])]

    def change() -> None:
        for media_id in ordered:
            key = f"alt_{media_id}"
            if key in request.form:
                item = media_ops.item_for(db.session, post.channel.brand, media_id)
                if request.form[key].strip() != item.alt_text:
                    media_ops.set_alt_text(db.session, item, current_user, request.form[key])
        media_ops.attach(db.session, post, current_user, ordered)

    try:
        change()
    except Refused as exc:
        db.session.rollback()
        flash_errors(exc.errors)
        return redirect(url_for("planner.post_page", post_id=post_id) + "#media")
    db.session.commit()
    flash(_("The post's media are saved."), "success")
    return redirect(url_for("planner.post_page", post_id=post_id) + "#media")


def post_media_context(post: Post) -> dict[str, Any]:
    """What the post page shows of its media: attached items and the library to pick from."""
    attached = media_ops.media_of(db.session, [post.id]).get(post.id, [])
    return {
        "attached_media": attached,
        "library_media": media_ops.library(db.session, post.channel.brand_id),
        "media_errors": media_ops.post_media_errors(db.session, post, post.channel.platform)
        if attached
        else [],
        "alt_max": ALT_TEXT_MAX,
    }
