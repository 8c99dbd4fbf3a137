"""Mastodon: ``POST /api/v1/statuses`` with an ``Idempotency-Key``.

Credentials: ``base_url`` (the instance, e.g. https://mastodon.social), ``access_token``
(scope ``write:statuses``, plus ``write:media`` for images).

Mastodon remembers an ``Idempotency-Key`` for an hour, so a re-send within that hour returns the
status created first instead of a second one: a timeout or a 5xx is ``RETRY`` here, provided the
worker retries within the hour.

Media: each library item is uploaded with ``POST /api/v2/media`` and its alt text as
``description``; a 202 (video, large images) is polled with ``GET /api/v1/media/:id`` until the
attachment has its URL, and the status is posted with the ``media_ids`` in order. An upload
creates no status, so a failed one is retried and the re-send uploads again: the status itself
is made once, by its ``Idempotency-Key``. A post with only an ``image_url`` has the image
downloaded (through the outbound guard, at most 16 MB) and uploaded the same way.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import urlsplit

import requests

from .base import (
    BaseAdapter,
    Call,
    Outcome,
    OutgoingMedia,
    OutgoingPost,
    PublishResult,
    Rejected,
    compose_text,
    grapheme_count,
    json_body,
    load_media,
    uploading_media,
)

MAX_IMAGE_BYTES = 16 * 1024 * 1024
DEFAULT_MAX_CHARACTERS = 500
# Mastodon counts every URL as 23 characters and a remote mention by its local part only.
URL_CHARACTERS = 23
_URL = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)
_REMOTE_MENTION = re.compile(r"(?<![\w/])(@[\w.]+)@[\w.-]+\w", re.UNICODE)

_limits: dict[str, int] = {}
_limits_lock = threading.Lock()


def forget_instance_limits() -> None:
    """Drop cached character limits (they are read once per instance per process)."""
    with _limits_lock:
        _limits.clear()


def countable_length(text: str) -> int:
    """The length Mastodon checks against ``max_characters``."""
    text = _URL.sub("x" * URL_CHARACTERS, text)
    text = _REMOTE_MENTION.sub(r"\1", text)
    return grapheme_count(text)


class MastodonAdapter(BaseAdapter):
    platform = "mastodon"
    required_credentials = ("base_url", "access_token")
    deduplicates = True
    # The Idempotency-Key is checked before the status is made, but not under a lock: a re-send
    # that meets the first request still in the instance's queue could make a second status.
    # Mastodon's own nginx configuration gives a request at most about a minute.
    request_time_limit = 60.0

    def _publish(
        self, post: OutgoingPost, credentials: Mapping[str, str], call: Call
    ) -> PublishResult:
        base = credentials["base_url"].rstrip("/")
        auth = {"Authorization": f"Bearer {credentials['access_token']}"}
        status = compose_text(post.text, post.link)

        limit = self.max_characters(base, call)
        length = countable_length(status)
        if length > limit:
            return call.result(
                Outcome.FAILED,
                reason=f"the text is {length} characters; this instance allows {limit}",
            )

        payload: dict[str, object] = {"status": status}
        if post.media:
            with uploading_media(call):
                payload["media_ids"] = [
                    self.upload_media(base, item, auth, call) for item in post.media
                ]
        elif post.image_url:
            with uploading_media(call):
                payload["media_ids"] = [self.upload_image(base, post.image_url, auth, call)]
        if post.in_reply_to:
            payload["in_reply_to_id"] = post.in_reply_to

        response = call.send(
            "POST",
            f"{base}/api/v1/statuses",
            headers={**auth, "Idempotency-Key": post.idempotency_key},
            json=payload,
        )
        body = json_body(response)
        if response.status_code == 200 and isinstance(body, dict) and body.get("id"):
            return call.result(
                Outcome.PUBLISHED,
                response,
                platform_id=str(body["id"]),
                url=body.get("url") or body.get("uri"),
            )
        if response.ok:
            # A 2xx without an id: the Idempotency-Key makes a re-send return the status if
            # one was made. A redirect (3xx, never followed) created nothing anywhere.
            return self.unusable_answer(response, call, "a status id")
        return self.error_result(response, call)

    def max_characters(self, base: str, call: Call) -> int:
        """The instance's status limit from ``GET /api/v2/instance``, cached per instance."""
        with _limits_lock:
            cached = _limits.get(base)
        if cached is not None:
            return cached
        response = call.send("GET", f"{base}/api/v2/instance")
        body = json_body(response) if response.ok else None
        try:
            limit = int(body["configuration"]["statuses"]["max_characters"])
        except (TypeError, KeyError, ValueError):
            # Older instances lack the field; Mastodon's own default applies. Not cached, so a
            # later attempt asks again.
            return DEFAULT_MAX_CHARACTERS
        with _limits_lock:
            _limits[base] = limit
        return limit

    def upload_image(self, base: str, image_url: str, auth: dict[str, str], call: Call) -> str:
        """Download the image and upload it as a media attachment; return its id."""
        content, content_type = download_image(image_url, call)
        filename = urlsplit(image_url).path.rsplit("/", 1)[-1] or "image"
        return self.upload(base, (filename, content, content_type), None, auth, call)

    def upload_media(self, base: str, item: OutgoingMedia, auth: dict[str, str], call: Call) -> str:
        """Upload a library item with its description (alt text); return its id."""
        payload = load_media(item, call)
        file = (item.filename, payload.data, payload.content_type)
        return self.upload(base, file, item.alt_text, auth, call)

    def upload(
        self,
        base: str,
        file: tuple[str, bytes, str],
        description: str | None,
        auth: dict[str, str],
        call: Call,
    ) -> str:
        """``POST /api/v2/media``, then poll while the instance processes it (202, then 206
        until the attachment has its URL); return the attachment id."""
        response = call.send(
            "POST",
            f"{base}/api/v2/media",
            headers=auth,
            files={"file": file},
            data={"description": description} if description else None,
        )
        body = json_body(response)
        if response.status_code not in (200, 202):
            raise Rejected(self.error_result(response, call, deduplicates=True))
        if not isinstance(body, dict) or not body.get("id"):
            # No status was posted yet; an orphan attachment is removed by the instance.
            raise Rejected(self.unusable_answer(response, call, "a media id", created=False))
        media_id = str(body["id"])
        # 202 means the server is still processing; a status cannot attach it until it is done.
        deadline = time.monotonic() + max(call.timeout * 6, 30.0)
        while response.status_code == 202 or not body.get("url"):
            if time.monotonic() > deadline:
                raise Rejected(
                    call.result(Outcome.RETRY, reason="Mastodon is still processing the image")
                )
            time.sleep(0.5)
            response = call.send("GET", f"{base}/api/v1/media/{media_id}", headers=auth)
            body = json_body(response) or {}
            if response.status_code not in (200, 206):
                raise Rejected(self.error_result(response, call, deduplicates=True))
            if response.status_code == 200 and body.get("url"):
                break
        return media_id

    def error_result(
        self, response: requests.Response, call: Call, *, deduplicates: bool | None = None
    ) -> PublishResult:
        result = super().error_result(response, call, deduplicates=deduplicates)
        if result.outcome is Outcome.RETRY and result.retry_after is None:
            result.retry_after = _seconds_until(response.headers.get("X-RateLimit-Reset"))
        return result


def download_image(image_url: str, call: Call) -> tuple[bytes, str]:
    """Fetch an image the post refers to (guarded, size-capped)."""
    response = call.send("GET", image_url, stream=True)
    with response:
        if response.status_code != 200:
            raise Rejected(
                call.result(
                    Outcome.FAILED,
                    reason=f"the image could not be fetched (HTTP {response.status_code})",
                )
            )
        content_type = response.headers.get("Content-Type", "application/octet-stream")
        if not content_type.startswith("image/"):
            raise Rejected(
                call.result(Outcome.FAILED, reason=f"the image URL serves {content_type}")
            )
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > MAX_IMAGE_BYTES:
                    raise Rejected(
                        call.result(Outcome.FAILED, reason="the image is larger than 16 MB")
                    )
                chunks.append(chunk)
        except requests.RequestException:
            raise Rejected(
                call.result(Outcome.RETRY, reason="the image download was interrupted")
            ) from None
    return b"".join(chunks), content_type.split(";", 1)[0]


def _seconds_until(value: str | None) -> float | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return max(0.0, when.timestamp() - time.time())
