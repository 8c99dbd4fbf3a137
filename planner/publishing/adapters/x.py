"""X (Twitter): ``POST /2/tweets`` with an OAuth 2.0 user-context token.

Credentials: ``access_token`` (scopes ``tweet.write tweet.read users.read``), optionally
``base_url`` (default https://api.x.com).

X does not de-duplicate a re-sent request (it refuses identical text, but not reliably), so a
timeout or a 5xx is ``UNCONFIRMED``. A 429 carries ``x-rate-limit-reset`` (epoch seconds).
The link is appended to the text.

Media (``POST /2/media/upload``, OAuth 2.0 with the ``media.write`` scope): an image in one
multipart request (``media``, ``media_category=tweet_image``); a video or an animated GIF in
chunks: ``/2/media/upload/initialize`` (type, total bytes, category), ``/{id}/append`` per chunk
(``segment_index``, ``media``), ``/{id}/finalize``, then ``GET /2/media/upload?command=STATUS``
while ``processing_info`` says pending or in progress. Alt text goes to ``POST /2/media/metadata``.
The post then carries ``media.media_ids`` in order. Uploads create no post: a failure there is
retried (the media ids expire unused), and only ``POST /2/tweets`` is never re-sent blindly.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import requests

from .base import (
    BaseAdapter,
    Call,
    MediaPayload,
    Outcome,
    OutgoingMedia,
    OutgoingPost,
    PublishResult,
    Rejected,
    compose_text,
    json_body,
    load_media,
    uploading_media,
)

DEFAULT_BASE_URL = "https://api.x.com"
# X accepts chunks of up to 5 MB; 4 MiB keeps a margin.
CHUNK_BYTES = 4 * 1024 * 1024
PROCESSING_WAIT_SECONDS = 300.0


class XAdapter(BaseAdapter):
    platform = "x"
    required_credentials = ("access_token",)
    chunk_bytes = CHUNK_BYTES
    poll_seconds = 1.0

    def _publish(
        self, post: OutgoingPost, credentials: Mapping[str, str], call: Call
    ) -> PublishResult:
        base = (credentials.get("base_url") or DEFAULT_BASE_URL).rstrip("/")
        body: dict[str, object] = {"text": compose_text(post.text, post.link)}
        if post.in_reply_to:
            body["reply"] = {"in_reply_to_tweet_id": post.in_reply_to}
        if post.media:
            auth = {"Authorization": f"Bearer {credentials['access_token']}"}
            body["media"] = {
                "media_ids": [self.upload_media(base, item, auth, call) for item in post.media]
            }
        response = call.send(
            "POST",
            f"{base}/2/tweets",
            headers={"Authorization": f"Bearer {credentials['access_token']}"},
            json=body,
        )
        answer = json_body(response)
        data = answer.get("data") if isinstance(answer, dict) else None
        if response.status_code == 201 and isinstance(data, dict) and data.get("id"):
            tweet_id = str(data["id"])
            return call.result(
                Outcome.PUBLISHED,
                response,
                platform_id=tweet_id,
                url=f"https://x.com/i/web/status/{tweet_id}",
            )
        if response.ok:
            return self.unusable_answer(response, call, "a post id")
        return self.error_result(response, call)

    def error_message(self, response: requests.Response) -> str | None:
        body = json_body(response)
        if isinstance(body, dict):
            errors = body.get("errors")
            if isinstance(errors, list) and errors and isinstance(errors[0], dict):
                first = errors[0]
                return first.get("message") or first.get("detail")
            if body.get("detail"):
                return str(body["detail"])
        return super().error_message(response)

    def error_result(
        self, response: requests.Response, call: Call, *, deduplicates: bool | None = None
    ) -> PublishResult:
        result = super().error_result(response, call, deduplicates=deduplicates)
        if result.outcome is Outcome.RETRY and result.retry_after is None:
            reset = response.headers.get("x-rate-limit-reset")
            if reset and reset.strip().isdigit():
                result.retry_after = max(0.0, int(reset) - time.time())
        return result

    # --- media --------------------------------------------------------------

    def upload_media(self, base: str, item: OutgoingMedia, auth: dict[str, str], call: Call) -> str:
        """Upload one item (simple for images, chunked for video and GIFs), describe it, and
        return its media id."""
        payload = load_media(item, call)
        chunked = item.is_video or payload.content_type == "image/gif"
        with uploading_media(call):
            if chunked:
                media_id = self.upload_chunked(base, payload, item.is_video, auth, call)
            else:
                response = call.send(
                    "POST",
                    f"{base}/2/media/upload",
                    headers=auth,
                    files={"media": (item.filename, payload.data, payload.content_type)},
                    data={"media_category": "tweet_image"},
                )
                media_id = self.media_id(response, call)
            if item.alt_text:
                response = call.send(
                    "POST",
                    f"{base}/2/media/metadata",
                    headers=auth,
                    json={"id": media_id, "metadata": {"alt_text": {"text": item.alt_text}}},
                )
                if not response.ok:
                    raise Rejected(self.error_result(response, call, deduplicates=True))
        return media_id

    def media_id(self, response: requests.Response, call: Call) -> str:
        body = json_body(response)
        data = body.get("data") if isinstance(body, dict) else None
        if response.ok and isinstance(data, dict) and data.get("id"):
            return str(data["id"])
        if response.ok:
            raise Rejected(self.unusable_answer(response, call, "a media id", created=False))
        raise Rejected(self.error_result(response, call, deduplicates=True))

    def upload_chunked(
        self, base: str, payload: MediaPayload, video: bool, auth: dict[str, str], call: Call
    ) -> str:
        response = call.send(
            "POST",
            f"{base}/2/media/upload/initialize",
            headers=auth,
            json={
                "media_type": payload.content_type,
                "total_bytes": len(payload.data),
                "media_category": "tweet_video" if video else "tweet_gif",
            },
        )
        media_id = self.media_id(response, call)
        for index, start in enumerate(range(0, len(payload.data), self.chunk_bytes)):
            chunk = payload.data[start : start + self.chunk_bytes]
            response = call.send(
                "POST",
                f"{base}/2/media/upload/{media_id}/append",
                headers=auth,
                files={"media": ("chunk", chunk, "application/octet-stream")},
                data={"segment_index": str(index)},
            )
            if not response.ok:
                raise Rejected(self.error_result(response, call, deduplicates=True))
        response = call.send("POST", f"{base}/2/media/upload/{media_id}/finalize", headers=auth)
        self.media_id(response, call)
        self.wait_until_processed(base, media_id, response, auth, call)
        return media_id

    def wait_until_processed(
        self,
        base: str,
        media_id: str,
        response: requests.Response,
        auth: dict[str, str],
        call: Call,
    ) -> None:
        """Poll STATUS while X processes the upload; a failed processing fails the post."""
        deadline = time.monotonic() + PROCESSING_WAIT_SECONDS
        while True:
            body = json_body(response)
            data = body.get("data") if isinstance(body, dict) else None
            info = data.get("processing_info") if isinstance(data, dict) else None
            state = info.get("state") if isinstance(info, dict) else None
            if state in (None, "succeeded"):
                return
            if state == "failed":
                error = info.get("error") if isinstance(info, dict) else None
                message = error.get("message") if isinstance(error, dict) else None
                raise Rejected(
                    call.result(
                        Outcome.FAILED,
                        response,
                        reason=f"X could not process the media: {message or 'failed'}",
                    )
                )
            if time.monotonic() > deadline:
                raise Rejected(call.result(Outcome.RETRY, reason="X is still processing the media"))
            wait = info.get("check_after_secs") if isinstance(info, dict) else None
            time.sleep(min(float(wait or self.poll_seconds), self.poll_seconds))
            response = call.send(
                "GET",
                f"{base}/2/media/upload",
                headers=auth,
                params={"command": "STATUS", "media_id": media_id},
            )
            if not response.ok:
                raise Rejected(self.error_result(response, call, deduplicates=True))
