"""What each platform accepts in one post, checked before a post is scheduled (never first at
publish time): how many images or videos, sizes, Instagram's aspect ratios, video length, and
alt text on every image.

Images that are too heavy or of a type a platform refuses are converted and scaled down when the
post is sent (``prepare``), so their byte limits are not errors; a video is sent as it is, so its
limits are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from flask_babel import gettext as _

from core.i18n import number

MB = 1024 * 1024


class MediaFacts(Protocol):
    id: int
    kind: str
    filename: str
    content_type: str
    bytes: int
    width: int
    height: int
    alt_text: str

    @property
    def duration(self) -> float | None: ...


@dataclass(frozen=True)
class PlatformRules:
    label: str
    max_images: int
    max_videos: int = 0  # 0: PageOne sends no video to this platform
    mix: bool = False  # images and a video in one post
    needs_media: bool = False
    # Sending: images are converted to these types and shrunk to these limits.
    image_types: tuple[str, ...] = ("image/jpeg", "image/png", "image/webp", "image/gif")
    image_max_bytes: int = 5 * MB
    image_max_side: int | None = None
    max_pixels: int | None = None
    min_aspect: float | None = None  # width / height
    max_aspect: float | None = None
    video_max_bytes: int = 0
    video_min_seconds: float = 0.0
    video_max_seconds: float = 0.0
    alt_max: int = 1000


RULES: dict[str, PlatformRules] = {
    # docs.joinmastodon.org/methods/statuses/ (media_ids: at most 4) and /methods/media/; sizes
    # from an instance's configuration.media_attachments (Mastodon 4 defaults: 16 MB images,
    # 99 MB video); descriptions up to 1,500 characters (MediaAttachment::MAX_DESCRIPTION_LENGTH).
    "mastodon": PlatformRules(
        "Mastodon",
        max_images=4,
        max_videos=1,
        image_max_bytes=16 * MB,
        video_max_bytes=99 * MB,
        video_max_seconds=3600,
        alt_max=1500,
    ),
    # Lexicon app.bsky.embed.images: at most 4 images, each blob at most 1,000,000 bytes,
    # with alt text and an aspect ratio. Lexicon app.bsky.embed.video: one MP4 "up to 100mb";
    # Bluesky plays videos of up to 3 minutes (docs.bsky.app, "Uploading Video").
    "bluesky": PlatformRules(
        "Bluesky",
        max_images=4,
        max_videos=1,
        image_types=("image/jpeg", "image/png", "image/webp"),
        image_max_bytes=1_000_000,
        image_max_side=2000,
        video_max_bytes=100 * MB,
        video_max_seconds=180,
        alt_max=2000,
    ),
    # developer.x.com, media best practices: up to 4 images, or 1 animated GIF, or 1 video;
    # images 5 MB, GIFs 15 MB, video 512 MB and 0.5–140 seconds; alt text up to 1,000 characters.
    "x": PlatformRules(
        "X",
        max_images=4,
        max_videos=1,
        image_types=("image/jpeg", "image/png", "image/webp", "image/gif"),
        image_max_bytes=5 * MB,
        video_max_bytes=512 * MB,
        video_min_seconds=0.5,
        video_max_seconds=140,
        alt_max=1000,
    ),
    # LinkedIn Images API and Posts API (learn.microsoft.com, linkedin/marketing): one image, or
    # a multiImage post of 2–20; JPG, GIF or PNG up to 36,152,320 pixels; altText up to 4,086.
    # Videos API: one MP4 of 75 KB to 500 MB, 3 seconds to 30 minutes.
    "linkedin": PlatformRules(
        "LinkedIn",
        max_images=20,
        max_videos=1,
        image_types=("image/jpeg", "image/png", "image/gif"),
        image_max_bytes=8 * MB,
        max_pixels=36_152_320,
        video_max_bytes=500 * MB,
        video_min_seconds=3,
        video_max_seconds=30 * 60,
        alt_max=4086,
    ),
    # Graph API /{page-id}/photos (published=false) then attached_media on /feed. Meta documents
    # no fixed count; PageOne sends at most 10. Photos are sent as JPEG or PNG under 4 MB.
    # A video is one non-resumable POST /{page-id}/videos (graph-video.facebook.com), which Meta
    # takes for files up to 1 GB and 20 minutes (larger ones need the Resumable Upload API).
    "facebook": PlatformRules(
        "Facebook",
        max_images=10,
        max_videos=1,
        image_types=("image/jpeg", "image/png", "image/gif"),
        image_max_bytes=4 * MB,
        video_max_bytes=1024 * MB,
        video_min_seconds=1,
        video_max_seconds=20 * 60,
        alt_max=1000,
    ),
    # Instagram Content Publishing (developers.facebook.com/docs/instagram-platform/
    # content-publishing): JPEG only, up to 8 MB, aspect ratio 4:5 to 1.91:1; carousels of up to
    # 10 items; Reels 3 seconds to 15 minutes, up to 300 MB. A post needs an image or a video.
    "instagram": PlatformRules(
        "Instagram",
        max_images=10,
        max_videos=1,
        needs_media=True,
        image_types=("image/jpeg",),
        image_max_bytes=8 * MB,
        image_max_side=1440,
        min_aspect=4 / 5,
        max_aspect=1.91,
        video_max_bytes=300 * MB,
        video_min_seconds=3,
        video_max_seconds=15 * 60,
        alt_max=1000,
    ),
    # WordPress REST API /wp/v2/media: the first image becomes the post's featured image; a
    # video is uploaded too and shown in the post as a core/video block. The site's own upload
    # limit (PHP upload_max_filesize) may be lower than the 64 MB PageOne allows.
    "wordpress": PlatformRules(
        "WordPress",
        max_images=1,
        max_videos=1,
        mix=True,
        image_max_bytes=8 * MB,
        image_max_side=2560,
        video_max_bytes=64 * MB,
        video_max_seconds=4 * 3600,
        alt_max=1000,
    ),
    "webhook": PlatformRules("Webhook", max_images=0),
}


def rules_for(platform: str) -> PlatformRules:
    return RULES.get(platform, RULES["webhook"])


def _name(item: MediaFacts) -> str:
    return f"“{item.filename}”"


def media_errors(
    platform: str, items: Sequence[MediaFacts], *, has_image_url: bool = False
) -> list[str]:
    """Every reason this platform would refuse these items in one post, in words a person can
    act on; empty when the post may be scheduled. ``has_image_url``: the post names an image by
    address instead (older posts and the API's ``image_url``)."""
    rules = rules_for(platform)
    errors: list[str] = []
    images = [item for item in items if item.kind == "image"]
    videos = [item for item in items if item.kind == "video"]
    if rules.needs_media and not items and not has_image_url:
        errors.append(_("%(platform)s posts need an image or a video.", platform=rules.label))
    if images and rules.max_images == 0:
        errors.append(_("%(platform)s posts carry no images; remove them.", platform=rules.label))
    elif len(images) > rules.max_images:
        errors.append(
            _(
                "%(platform)s takes at most %(most)d images in a post; this one has %(count)d.",
                platform=rules.label,
                most=rules.max_images,
                count=len(images),
            )
        )
    if videos and rules.max_videos == 0:
        errors.append(
            _("PageOne sends no video to %(platform)s; remove the video.", platform=rules.label)
        )
    elif len(videos) > rules.max_videos:
        errors.append(
            _(
                "%(platform)s takes at most %(most)d video in a post.",
                platform=rules.label,
                most=rules.max_videos,
            )
        )
    if videos and images and not rules.mix and platform != "instagram":
        errors.append(
            _(
                "%(platform)s takes either images or a video in a post, not both.",
                platform=rules.label,
            )
        )
    if platform == "x":
        gifs = [item for item in images if item.content_type == "image/gif"]
        if gifs and len(images) > 1:
            errors.append(_("X takes an animated GIF on its own, without other images."))
    for item in images:
        if not item.alt_text.strip():
            errors.append(_("Describe %(name)s (alt text) before scheduling.", name=_name(item)))
        elif len(item.alt_text) > rules.alt_max:
            errors.append(
                _(
                    "The alt text of %(name)s is %(length)d characters; %(platform)s allows"
                    " %(most)d.",
                    name=_name(item),
                    length=len(item.alt_text),
                    platform=rules.label,
                    most=rules.alt_max,
                )
            )
        if rules.max_pixels and item.width * item.height > rules.max_pixels:
            errors.append(
                _(
                    "%(name)s has too many pixels for %(platform)s.",
                    name=_name(item),
                    platform=rules.label,
                )
            )
        if rules.min_aspect and item.height and item.width / item.height < rules.min_aspect:
            errors.append(
                _(
                    "%(name)s is too tall for %(platform)s (%(size)s); it takes 4:5 to 1.91:1."
                    " Crop it.",
                    name=_name(item),
                    platform=rules.label,
                    size=f"{item.width}×{item.height}",
                )
            )
        if rules.max_aspect and item.height and item.width / item.height > rules.max_aspect:
            errors.append(
                _(
                    "%(name)s is too wide for %(platform)s (%(size)s); it takes 4:5 to 1.91:1."
                    " Crop it.",
                    name=_name(item),
                    platform=rules.label,
                    size=f"{item.width}×{item.height}",
                )
            )
    for item in videos:
        if rules.max_videos == 0:
            break
        if item.bytes > rules.video_max_bytes:
            errors.append(
                _(
                    "%(name)s is %(size)s MB; %(platform)s takes video up to %(most)d MB.",
                    name=_name(item),
                    size=number(round(item.bytes / MB)),
                    platform=rules.label,
                    most=rules.video_max_bytes // MB,
                )
            )
        seconds = item.duration or 0.0
        if seconds < rules.video_min_seconds or seconds > rules.video_max_seconds:
            errors.append(
                _(
                    "%(name)s lasts %(seconds)s s; %(platform)s takes video of %(shortest)s to"
                    " %(longest)s s.",
                    name=_name(item),
                    seconds=number(seconds),
                    platform=rules.label,
                    shortest=number(rules.video_min_seconds),
                    longest=number(rules.video_max_seconds),
                )
            )
    return errors
