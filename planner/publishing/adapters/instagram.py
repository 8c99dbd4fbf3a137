"""Instagram (professional accounts): a media container, then ``media_publish``.

Credentials: ``ig_user_id``, ``access_token`` (with ``instagram_content_publish``), optionally
``graph_version`` (default v23.0) and ``base_url`` (default https://graph.facebook.com).

Instagram needs an image (a public JPEG URL that Meta's servers fetch themselves). Creating a
container publishes nothing, so any failure up to and including the container step is ``RETRY``
(an orphan container expires after 24 hours). ``media_publish`` is not de-duplicated: a timeout
or a 5xx there is ``UNCONFIRMED``. The caption is the text with the link appended (Instagram
does not make caption links clickable).

Media from the library: Meta's servers fetch each file from its public address on PageOne
(``/m/<token>``: signed, unguessable and expiring; ``BASE_URL`` must be reachable from the
internet). One image is a container with ``image_url`` (and ``alt_text``); a video is a Reel
(``media_type=REELS``, ``video_url``) whose container is polled (``status_code``) until
``FINISHED``; several items make a carousel: one container per item with
``is_carousel_item=true``, then a ``CAROUSEL`` container naming them as ``children``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

from .base import (
    Call,
    Outcome,
    OutgoingMedia,
    OutgoingPost,
    PublishResult,
    Rejected,
    TransportError,
    compose_text,
    json_body,
)
from .facebook import DEFAULT_BASE_URL, DEFAULT_GRAPH_VERSION, GraphAdapter, graph_error

MAX_CAPTION = 2200
# "Media ID is not available": the container is still being processed; nothing was published.
CONTAINER_NOT_READY_CODE = 9007
PROCESSING_WAIT_SECONDS = 300.0


class InstagramAdapter(GraphAdapter):
    platform = "instagram"
    required_credentials = ("ig_user_id", "access_token")
    poll_seconds = 2.0

    def _publish(
        self, post: OutgoingPost, credentials: Mapping[str, str], call: Call
    ) -> PublishResult:
        if not post.image_url and not post.media:
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

        if post.media:
            creation_id = self.media_container(user, token, caption, post.media, call)
        else:
            creation_id = self.container(
                user, {"image_url": post.image_url or "", "caption": caption}, token, call
            )

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

    def _comment(
        self, post: OutgoingPost, credentials: Mapping[str, str], call: Call
    ) -> PublishResult:
        """``POST /{ig-media-id}/comments`` with ``message``."""
        base = (credentials.get("base_url") or DEFAULT_BASE_URL).rstrip("/")
        version = credentials.get("graph_version") or DEFAULT_GRAPH_VERSION
        form = {"message": post.text, "access_token": credentials["access_token"]}
        return self.graph_comment(f"{base}/{version}/{post.in_reply_to}/comments", form, post, call)

    def container(self, user: str, fields: dict[str, str], token: str, call: Call) -> str:
        """Create one container; its id. A container publishes nothing by itself, so any
        failure here is safe to try again."""
        try:
            response = call.send("POST", f"{user}/media", data={**fields, "access_token": token})
        except TransportError as exc:
            raise Rejected(
                call.result(
                    Outcome.RETRY,
                    reason=f"{exc.reason} while preparing the media; nothing published",
                )
            ) from None
        body = json_body(response)
        if response.status_code != 200:
            raise Rejected(self.error_result(response, call, deduplicates=True))
        if not isinstance(body, dict) or not body.get("id"):
            raise Rejected(self.unusable_answer(response, call, "a container id", created=False))
        return str(body["id"])

    def media_container(
        self,
        user: str,
        token: str,
        caption: str,
        media: Sequence[OutgoingMedia],
        call: Call,
    ) -> str:
        """The container to publish: one image, one Reel, or a carousel of the items."""
        if any(not item.public_url for item in media):
            raise Rejected(
                call.result(
                    Outcome.FAILED,
                    reason="Instagram fetches media from PageOne's public address: set BASE_URL",
                )
            )
        base = user.rsplit("/", 1)[0]
        if len(media) == 1:
            fields = self.item_fields(media[0], carousel=False)
            creation_id = self.container(user, {**fields, "caption": caption}, token, call)
            if media[0].is_video:
                self.wait_until_ready(base, creation_id, token, call)
            return creation_id
        children = []
        for item in media:
            child = self.container(user, self.item_fields(item, carousel=True), token, call)
            if item.is_video:
                self.wait_until_ready(base, child, token, call)
            children.append(child)
        fields = {"media_type": "CAROUSEL", "children": ",".join(children), "caption": caption}
        return self.container(user, fields, token, call)

    @staticmethod
    def item_fields(item: OutgoingMedia, *, carousel: bool) -> dict[str, str]:
        url = item.public_url or ""
        if item.is_video:
            fields = {"media_type": "VIDEO" if carousel else "REELS", "video_url": url}
        else:
            fields = {"image_url": url}
            if item.alt_text:
                fields["alt_text"] = item.alt_text
        if carousel:
            fields["is_carousel_item"] = "true"
        return fields

    def wait_until_ready(self, base: str, container_id: str, token: str, call: Call) -> None:
        """Poll a video container's ``status_code`` until Meta has fetched and processed it."""
        deadline = time.monotonic() + PROCESSING_WAIT_SECONDS
        while True:
            try:
                response = call.send(
                    "GET",
                    f"{base}/{container_id}",
                    params={"fields": "status_code"},
                    headers={"Authorization": f"Bearer {token}"},
                )
            except TransportError as exc:
                raise Rejected(
                    call.result(Outcome.RETRY, reason=f"{exc.reason}; nothing published")
                ) from None
            body = json_body(response)
            if response.status_code != 200:
                raise Rejected(self.error_result(response, call, deduplicates=True))
            status = body.get("status_code") if isinstance(body, dict) else None
            if status == "FINISHED":
                return
            if status in ("ERROR", "EXPIRED"):
                raise Rejected(
                    call.result(
                        Outcome.FAILED,
                        response,
                        reason=f"Instagram could not process the video ({status})",
                    )
                )
            if time.monotonic() > deadline:
                raise Rejected(
                    call.result(Outcome.RETRY, reason="Instagram is still processing the video")
                )
            time.sleep(self.poll_seconds)

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
