"""Instagram (professional accounts): a media container, then ``media_publish``.

Credentials: ``ig_user_id``, ``access_token`` (with ``instagram_content_publish``), optionally
``graph_version`` (default v23.0) and ``base_url`` (default https://graph.facebook.com).

Instagram needs an image (a public JPEG URL that Meta's servers fetch themselves). Creating a
container publishes nothing, so any failure up to and including the container step is ``RETRY``
(an orphan container expires after 24 hours). ``media_publish`` is not de-duplicated: a timeout
or a 5xx there is ``UNCONFIRMED``. The caption is the text with the link appended (Instagram
does not make caption links clickable).
"""

from __future__ import annotations

from collections.abc import Mapping

from .base import (
    Call,
    Outcome,
    OutgoingPost,
    PublishResult,
    TransportError,
    compose_text,
    json_body,
)
from .facebook import DEFAULT_BASE_URL, DEFAULT_GRAPH_VERSION, GraphAdapter, graph_error

MAX_CAPTION = 2200
# "Media ID is not available": the container is still being processed; nothing was published.
CONTAINER_NOT_READY_CODE = 9007


class InstagramAdapter(GraphAdapter):
    platform = "instagram"
    required_credentials = ("ig_user_id", "access_token")

    def _publish(
        self, post: OutgoingPost, credentials: Mapping[str, str], call: Call
    ) -> PublishResult:
        if not post.image_url:
            return call.result(Outcome.FAILED, reason="Instagram posts need an image")
        caption = compose_text(post.text, post.link)
        if len(caption) > MAX_CAPTION:
            return call.result(
                Outcome.FAILED,
                reason=f"the caption is {len(caption)} characters; Instagram allows {MAX_CAPTION}",
            )
        base = (credentials.get("base_url") or DEFAULT_BASE_URL).rstrip("/")
        version = credentials.get("graph_version") or DEFAULT_GRAPH_VERSION
        user = f"{base}/{version}/{credentials['ig_user_id']}"
        token = credentials["access_token"]

        try:
            response = call.send(
                "POST",
                f"{user}/media",
                data={"image_url": post.image_url, "caption": caption, "access_token": token},
            )
        except TransportError as exc:
            return call.result(
                Outcome.RETRY, reason=f"{exc.reason} while preparing the image; nothing published"
            )
        body = json_body(response)
        if response.status_code != 200:
            return self.error_result(response, call, deduplicates=True)
        if not isinstance(body, dict) or not body.get("id"):
            # A container publishes nothing by itself: asking again is safe.
            return self.unusable_answer(response, call, "a container id", created=False)
        creation_id = str(body["id"])

        response = call.send(
            "POST",
            f"{user}/media_publish",
            data={"creation_id": creation_id, "access_token": token},
        )
        body = json_body(response)
        if response.status_code == 200 and isinstance(body, dict) and body.get("id"):
            media_id = str(body["id"])
            return call.result(
                Outcome.PUBLISHED,
                response,
                platform_id=media_id,
                url=self.permalink(base, version, media_id, token, call),
            )
        if graph_error(response).get("code") == CONTAINER_NOT_READY_CODE:
            return call.result(
                Outcome.RETRY,
                response,
                reason="Instagram is still processing the image; nothing published yet",
                retry_after=30.0,
            )
        if response.ok:
            return self.unusable_answer(response, call, "a media id")
        return self.error_result(response, call)

    def permalink(
        self, base: str, version: str, media_id: str, token: str, call: Call
    ) -> str | None:
        """The post's public URL; the post is published either way, so failures are ignored."""
        try:
            response = call.send(
                "GET",
                f"{base}/{version}/{media_id}",
                params={"fields": "permalink"},
                headers={"Authorization": f"Bearer {token}"},
            )
        except TransportError:
            return None
        body = json_body(response)
        if response.status_code == 200 and isinstance(body, dict):
            return body.get("permalink")
        return None
