"""The media library's operations: upload (checked, de-duplicated, within limits), alt text,
delete when unused, attach in order to a post, and the signed public addresses Instagram fetches.

Operations take explicit arguments and only flush; the caller commits. A file is written to
storage before the row: a failed commit leaves an unreferenced file (harmless, same key on the
next upload of the same content), never a row without its file.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from core import audit
from core.errors import NotFound, Refused
from core.i18n import number
from core.models import Role, User
from core.tenants import Brand
from planner.models import EDITABLE_STATUSES, Post, PostStatus
from planner.status_names import status_name

from .models import ALT_TEXT_MAX, MediaItem, MediaKind, PostMedia
from .rules import media_errors
from .storage import Storage

FILENAME_MAX = 255
# Statuses whose media must already satisfy the platform: the post is on its way out.
CHECKED_STATUSES = (PostStatus.SCHEDULED.value, PostStatus.PENDING_APPROVAL.value)


@dataclass(frozen=True)
class Limits:
    image_bytes: int
    video_bytes: int
    brand_bytes: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Limits:
        return cls(
            image_bytes=int(config["MEDIA_MAX_IMAGE_BYTES"]),
            video_bytes=int(config["MEDIA_MAX_VIDEO_BYTES"]),
            brand_bytes=int(config["MEDIA_BRAND_QUOTA_BYTES"]),
        )


def _check_editor(user: User) -> None:
    if not user.has_role(Role.EDITOR):
        raise Refused(_("Viewers cannot change the media library."))


def _clean_filename(name: str, extension: str) -> str:
    stem = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip() or "upload"
    stem = "".join(ch for ch in stem if ch.isprintable())
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    return f"{stem[: FILENAME_MAX - 6]}.{extension}"


def size_text(count: int) -> str:
    """A byte count as people read it (1 KB = 1,024 bytes)."""
    if count >= 1048576:
        if count >= 1 << 30:
            return f"{number(round(count / (1 << 30), 1))} GB"
        return f"{number(round(count / 1048576, 1))} MB"
    return f"{max(1, round(count / 1024))} KB"


def brand_usage(session: Session, brand_id: int) -> int:
    """Bytes the brand's library holds."""
    return int(
        session.scalar(
            select(func.coalesce(func.sum(MediaItem.bytes), 0)).where(
                MediaItem.brand_id == brand_id
            )
        )
        or 0
    )


def upload(
    session: Session,
    storage: Storage,
    brand: Brand,
    user: User,
    *,
    data: bytes,
    filename: str,
    limits: Limits,
    alt_text: str = "",
) -> MediaItem:
    """Check a file by its content, keep it and add it to the brand's library. The same content
    uploaded again is the item already there."""
    _check_editor(user)
    # Pillow (and the HEIF decoder) load on the first upload, not in every process that
    # imports the planner: a worker that publishes no image never needs them.
    from . import processing

    kind = processing.sniff(data)
    limit = limits.video_bytes if kind == "video/mp4" else limits.image_bytes
    if len(data) > limit:
        if kind == "video/mp4":
            message = _("“%(name)s” is %(size)s; videos may be at most %(most)s.")
        else:
            message = _("“%(name)s” is %(size)s; images may be at most %(most)s.")
        raise Refused(
            message % {"name": filename, "size": size_text(len(data)), "most": size_text(limit)}
        )
    digest = hashlib.sha256(data).hexdigest()
    existing = session.scalar(
        select(MediaItem).where(MediaItem.brand_id == brand.id, MediaItem.sha256 == digest)
    )
    if existing is not None:
        return existing
    try:
        checked = processing.check(data)
    except processing.MediaRefused as exc:
        raise Refused(_("“%(name)s”: %(problem)s", name=filename, problem=exc)) from None
    used = brand_usage(session, brand.id)
    if used + len(checked.data) > limits.brand_bytes:
        raise Refused(
            _(
                "%(brand)s's media library is full (%(used)s of %(total)s): delete unused items"
                " first.",
                brand=brand.name,
                used=size_text(used),
                total=size_text(limits.brand_bytes),
            )
        )
    key = f"brand-{brand.id}/{digest}.{checked.extension}"
    storage.put(key, checked.data, checked.content_type)
    thumb_key = None
    if checked.thumbnail is not None:
        thumb_key = f"brand-{brand.id}/{digest}.thumb.jpg"
        storage.put(thumb_key, checked.thumbnail, "image/jpeg")
    item = MediaItem(
        brand_id=brand.id,
        kind=checked.kind,
        filename=_clean_filename(filename, checked.extension),
        storage_key=key,
        thumb_key=thumb_key,
        content_type=checked.content_type,
        bytes=len(checked.data),
        width=checked.width,
        height=checked.height,
        duration_ms=checked.duration_ms,
        alt_text=(alt_text or "").strip()[:ALT_TEXT_MAX],
        sha256=digest,
        created_by_id=user.id,
    )
    session.add(item)
    session.flush()
    audit.record(
        session,
        user,
        "media.uploaded",
        "media",
        item.id,
        brand_id=brand.id,
        kind=item.kind,
        bytes=item.bytes,
    )
    return item


def item_for(session: Session, brand: Brand, media_id: int) -> MediaItem:
    item = session.get(MediaItem, media_id)
    if item is None or item.brand_id != brand.id:
        raise NotFound(_("No such media item in this brand's library."))
    return item


def set_alt_text(session: Session, item: MediaItem, user: User, alt_text: str) -> MediaItem:
    _check_editor(user)
    text = (alt_text or "").strip()
    if len(text) > ALT_TEXT_MAX:
        raise Refused(_("Keep the alt text to %(most)d characters or fewer.", most=ALT_TEXT_MAX))
    if not text and item.kind == MediaKind.IMAGE and _used_by_checked_posts(session, item.id):
        raise Refused(_("This image is in a scheduled post: its alt text cannot be emptied."))
    item.alt_text = text
    session.flush()
    audit.record(session, user, "media.described", "media", item.id, brand_id=item.brand_id)
    return item


def _used_by_checked_posts(session: Session, media_id: int) -> bool:
    return (
        session.scalar(
            select(func.count())
            .select_from(PostMedia)
            .join(Post, Post.id == PostMedia.post_id)
            .where(PostMedia.media_id == media_id, Post.status.in_(CHECKED_STATUSES))
        )
        or 0
    ) > 0


def usage_counts(session: Session, media_ids: Sequence[int]) -> dict[int, int]:
    """How many posts use each item."""
    if not media_ids:
        return {}
    rows = session.execute(
        select(PostMedia.media_id, func.count())
        .where(PostMedia.media_id.in_(list(media_ids)))
        .group_by(PostMedia.media_id)
    )
    return {media_id: count for media_id, count in rows}


def delete_item(session: Session, storage: Storage, item: MediaItem, user: User) -> None:
    """Remove an unused item and its files."""
    _check_editor(user)
    used = usage_counts(session, [item.id]).get(item.id, 0)
    if used:
        raise Refused(
            ngettext(
                "“%(name)s” is attached to %(num)d post: remove it from them first.",
                "“%(name)s” is attached to %(num)d posts: remove it from them first.",
                used,
                name=item.filename,
            )
        )
    audit.record(session, user, "media.deleted", "media", item.id, brand_id=item.brand_id)
    keys = [item.storage_key, item.thumb_key]
    session.delete(item)
    session.flush()
    for key in keys:
        if key:
            storage.delete(key)


def library(session: Session, brand_id: int) -> list[MediaItem]:
    return list(
        session.scalars(
            select(MediaItem)
            .where(MediaItem.brand_id == brand_id)
            .order_by(MediaItem.created_at.desc(), MediaItem.id.desc())
        )
    )


def media_of(session: Session, post_ids: Sequence[int]) -> dict[int, list[MediaItem]]:
    """Each post's items, in order."""
    found: dict[int, list[MediaItem]] = {}
    if not post_ids:
        return found
    rows = session.execute(
        select(PostMedia.post_id, MediaItem)
        .join(MediaItem, MediaItem.id == PostMedia.media_id)
        .where(PostMedia.post_id.in_(list(post_ids)))
        .order_by(PostMedia.post_id, PostMedia.position)
    )
    for post_id, item in rows:
        found.setdefault(post_id, []).append(item)
    return found


def items_by_ids(session: Session, brand_id: int, media_ids: Sequence[int]) -> list[MediaItem]:
    """The brand's items in the order given; refuses unknown or foreign ids and repeats."""
    ids = [int(media_id) for media_id in media_ids]
    if len(set(ids)) != len(ids):
        raise Refused(_("The same media item is attached twice."))
    items = {
        item.id: item
        for item in session.scalars(
            select(MediaItem).where(MediaItem.id.in_(ids), MediaItem.brand_id == brand_id)
        )
    }
    missing = [str(media_id) for media_id in ids if media_id not in items]
    if missing:
        raise Refused(_("No media item %(ids)s in this brand's library.", ids=", ".join(missing)))
    return [items[media_id] for media_id in ids]


def post_media_errors(session: Session, post: Post, platform: str) -> list[str]:
    """What the platform would refuse in the post's attached media (empty: it may be
    scheduled)."""
    items = media_of(session, [post.id]).get(post.id, []) if post.id is not None else []
    return media_errors(platform, items, has_image_url=bool(post.image_url))


def attach(session: Session, post: Post, user: User, media_ids: Sequence[int]) -> list[MediaItem]:
    """Set the post's media, in this order. A scheduled or waiting post must still satisfy its
    platform afterwards; the post's version moves on, so a re-send is of the new content."""
    _check_editor(user)
    if post.status not in EDITABLE_STATUSES:
        raise Refused(
            _("A %(status)s post can no longer be edited.", status=status_name(post.status))
        )
    items = items_by_ids(session, post.channel.brand_id, media_ids)
    if post.status in CHECKED_STATUSES:
        errors = media_errors(post.channel.platform, items, has_image_url=bool(post.image_url))
        if errors:
            raise Refused(*errors)
    replace_media(session, post.id, items)
    post.version += 1
    session.flush()
    audit.record(
        session,
        user,
        "post.media_changed",
        "post",
        post.id,
        brand_id=post.channel.brand_id,
        media=[item.id for item in items],
    )
    return items


def replace_media(session: Session, post_id: int, items: Sequence[MediaItem]) -> None:
    """The post's media become these items, in this order."""
    post = session.get(Post, post_id)
    if post is not None:
        post.media_count = len(items)
    session.execute(delete(PostMedia).where(PostMedia.post_id == post_id))
    session.add_all(
        PostMedia(post_id=post_id, media_id=item.id, position=index)
        for index, item in enumerate(items)
    )
    session.flush()


# --- public addresses --------------------------------------------------------------------------

_SALT = "pageone.media.public"


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=_SALT)


def public_token(secret_key: str, media_id: int, *, nonce: str | None = None) -> str:
    """A signed token naming one item: unguessable without the app's secret, and expiring (see
    :func:`read_public_token`). The nonce makes each address distinct."""
    return _serializer(secret_key).dumps([media_id, nonce or secrets.token_urlsafe(8)])


def read_public_token(
    secret_key: str, token: str, max_age: int, *, now: float | None = None
) -> int:
    """The item a token names, if it is genuine and younger than ``max_age`` seconds."""
    serializer = _serializer(secret_key)
    try:
        if now is None:
            value = serializer.loads(token, max_age=max_age)
        else:
            value, signed_at = serializer.loads(token, return_timestamp=True)
            if now - signed_at.timestamp() > max_age:
                raise SignatureExpired("expired")
    except SignatureExpired:
        raise NotFound(_("This media address has expired.")) from None
    except BadSignature:
        raise NotFound(_("No such media.")) from None
    if not isinstance(value, list) or not value or not isinstance(value[0], int):
        raise NotFound(_("No such media."))
    return value[0]


def public_url(base_url: str, secret_key: str, media_id: int) -> str:
    return f"{base_url.rstrip('/')}/m/{public_token(secret_key, media_id)}"
