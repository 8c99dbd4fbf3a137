"""Media as the worker hands them to an adapter: in the post's order, read from storage and
prepared for the platform only when the adapter sends them, with a signed public address for the
platforms whose servers fetch media themselves."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from planner.publishing.adapters.base import MediaPayload, OutgoingMedia

from .models import MediaItem
from .operations import media_of, public_url
from .rules import rules_for
from .storage import Storage, storage_for

# Platforms that fetch each file from PageOne rather than receive its bytes.
FETCHING_PLATFORMS = frozenset({"instagram"})


def prepared_payload(
    data: bytes, kind: str, content_type: str, size: tuple[int, int], platform: str
) -> MediaPayload:
    """The file as the platform takes it: images converted and scaled to its limits."""
    if kind != "image":
        return MediaPayload(data, content_type, *size)
    rules = rules_for(platform)
    from . import processing  # Pillow loads when a post's images are first prepared

    prepared = processing.prepare_image(
        data,
        content_type,
        max_bytes=rules.image_max_bytes,
        max_side=rules.image_max_side,
        formats=rules.image_types,
    )
    return MediaPayload(prepared.data, prepared.content_type, prepared.width, prepared.height)


def _loader(storage: Storage, item: MediaItem, platform: str) -> Callable[[], MediaPayload]:
    key, kind, content_type = item.storage_key, item.kind, item.content_type
    size = (item.width, item.height)

    def load() -> MediaPayload:
        return prepared_payload(storage.get(key), kind, content_type, size, platform)

    return load


def outgoing_media(
    session: Session, config: Mapping[str, Any], platforms: Mapping[int, str]
) -> dict[int, tuple[OutgoingMedia, ...]]:
    """Each post's media (posts given with their platform), ready for its adapter."""
    found = media_of(session, list(platforms))
    if not found:
        return {}
    storage = storage_for(config)
    base_url = config.get("BASE_URL")
    result: dict[int, tuple[OutgoingMedia, ...]] = {}
    for post_id, items in found.items():
        platform = platforms[post_id]
        result[post_id] = tuple(
            OutgoingMedia(
                media_id=item.id,
                kind=item.kind,
                filename=item.filename,
                content_type=item.content_type,
                width=item.width,
                height=item.height,
                alt_text=item.alt_text,
                duration=item.duration,
                load=_loader(storage, item, platform),
                public_url=(
                    public_url(base_url, config["SECRET_KEY"], item.id)
                    if base_url and platform in FETCHING_PLATFORMS
                    else None
                ),
            )
            for item in items
        )
    return result
