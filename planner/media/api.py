"""The media library in the JSON API (under /api/v1, on the planner's API blueprint): list,
upload (a file, or a URL fetched through the outbound guard), alt text, delete."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
from flask import current_app, jsonify, request
from flask_login import current_user

from core import tenants
from core.api import ApiError, api_auth, body
from core.db import db
from core.models import Role
from core.outbound import OutboundBlocked, ResponseTooLarge, guarded_session, read_capped
from planner.api import bp
from planner.media import openapi as _openapi  # noqa: F401  (contributes the media paths)

from . import operations as media_ops
from .models import MediaItem
from .storage import storage_for

USER_AGENT = "PageOne/0.1 (media library)"


def media_dict(item: MediaItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "brand_id": item.brand_id,
        "kind": item.kind,
        "filename": item.filename,
        "content_type": item.content_type,
        "bytes": item.bytes,
        "width": item.width,
        "height": item.height,
        "duration_seconds": item.duration,
        "alt_text": item.alt_text,
        "created_at": item.created_at.isoformat() if item.created_at else None,
    }


def _limits() -> media_ops.Limits:
    return media_ops.Limits.from_config(current_app.config)


def fetch(url: str, limit: int) -> tuple[bytes, str]:
    """The file at a URL a user gave, through the outbound guard, with a timeout and a cap."""
    config = current_app.config
    seconds = float(config.get("HTTP_TIMEOUT") or 10)
    try:
        with guarded_session(allow_private=bool(config.get("OUTBOUND_ALLOW_PRIVATE"))) as session:
            response = session.get(
                url,
                headers={"User-Agent": USER_AGENT},
                timeout=(seconds, seconds),
                allow_redirects=False,
                stream=True,
            )
            if response.status_code != 200:
                raise ApiError(422, f"The URL answered {response.status_code}, not the file.")
            data = read_capped(response, limit)
    except OutboundBlocked as exc:
        raise ApiError(422, f"This URL cannot be fetched: {exc}") from None
    except ResponseTooLarge:
        raise ApiError(422, f"The file is larger than {media_ops.size_text(limit)}.") from None
    except requests.RequestException as exc:
        raise ApiError(422, f"The URL could not be fetched ({type(exc).__name__}).") from None
    name = urlsplit(url).path.rsplit("/", 1)[-1] or "download"
    return data, name


def _item(media_id: int) -> MediaItem:
    item = db.session.get(MediaItem, media_id)
    if item is None or not tenants.is_member(db.session, current_user, item.brand_id):
        raise ApiError(404, "No such media item, or not in a brand you belong to.")
    return item


@bp.get("/brands/<int:brand_id>/media")
@api_auth()
def list_media(brand_id: int) -> Any:
    brand = tenants.brand_for(db.session, current_user, brand_id)
    return jsonify(media=[media_dict(item) for item in media_ops.library(db.session, brand.id)])


@bp.post("/brands/<int:brand_id>/media")
@api_auth(Role.EDITOR)
def upload_media(brand_id: int) -> Any:
    """A file (multipart ``file``, with ``alt_text``) or ``{"url": …, "alt_text": …}``."""
    limits = _limits()
    request.max_content_length = max(limits.image_bytes, limits.video_bytes) + (1 << 20)
    brand = tenants.brand_for(db.session, current_user, brand_id)
    if request.files.get("file") is not None:
        file = request.files["file"]
        data, name = file.read(), file.filename or "upload"
        alt_text = request.form.get("alt_text", "")
    else:
        payload = body()
        url = payload.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ApiError(422, "Send a multipart 'file', or JSON with an http(s) 'url'.")
        alt_text = payload.get("alt_text") or ""
        if not isinstance(alt_text, str):
            raise ApiError(422, "'alt_text' must be a string.")
        data, name = fetch(url, max(limits.image_bytes, limits.video_bytes))
    item = media_ops.upload(
        db.session,
        storage_for(current_app.config),
        brand,
        current_user,
        data=data,
        filename=name,
        limits=limits,
        alt_text=alt_text,
    )
    db.session.commit()
    return jsonify(media=media_dict(item)), 201


@bp.patch("/media/<int:media_id>")
@api_auth(Role.EDITOR)
def describe_media(media_id: int) -> Any:
    item = _item(media_id)
    alt_text = body().get("alt_text")
    if not isinstance(alt_text, str):
        raise ApiError(422, "'alt_text' must be a string.")
    media_ops.set_alt_text(db.session, item, current_user, alt_text)
    db.session.commit()
    return jsonify(media=media_dict(item))


@bp.delete("/media/<int:media_id>")
@api_auth(Role.EDITOR)
def delete_media(media_id: int) -> Any:
    item = _item(media_id)
    media_ops.delete_item(db.session, storage_for(current_app.config), item, current_user)
    db.session.commit()
    return "", 204
