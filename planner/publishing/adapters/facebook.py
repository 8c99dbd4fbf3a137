"""Facebook Pages: ``POST /{version}/{page_id}/feed`` through the Graph API.

Credentials: ``page_id``, ``page_access_token`` (a Page token with ``pages_manage_posts``),
optionally ``graph_version`` (default :data:`DEFAULT_GRAPH_VERSION`) and ``base_url``.

The token travels in the form body, never in a URL (URLs end up in proxy and debug logs).
Facebook does not de-duplicate, so a timeout or a 5xx is ``UNCONFIRMED``. Without images the
link gets Facebook's own preview.

Images: each is uploaded unpublished (``POST /{page_id}/photos`` with ``published=false``, the
file as ``source`` and the alt text as ``alt_text_custom``); the post then names them in
``attached_media[i] = {"media_fbid": id}``, with the link in the message. An unpublished photo
shows nowhere, so a failed upload is retried; only the ``/feed`` create is never re-sent blindly.

Video: ``/feed`` takes no video, so a post with a video is itself ``POST /{page_id}/videos``
(developers.facebook.com/docs/graph-api/reference/page/videos, the non-resumable upload: the file
as multipart ``source``, the text as ``description``, on graph-video.facebook.com), answered with
the video's id. That request is the post create, so like ``/feed`` a timeout or a 5xx there is
``UNCONFIRMED``, never re-sent blindly. The non-resumable upload takes files up to 1 GB and 20
minutes (the limits in planner/media/rules.py); the resumable phases (start, transfer, finish)
are not used.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import requests

from .base import (
    BaseAdapter,
    Call,
    Outcome,
    OutgoingMedia,
    OutgoingPost,
    PublishResult,
    Rejected,
    json_body,
    load_media,
    parse_retry_after,
    uploading_media,
)

DEFAULT_BASE_URL = "https://graph.facebook.com"
# Meta takes video uploads on its own host; a channel's base_url (a test server) serves both.
DEFAULT_VIDEO_BASE_URL = "https://graph-video.facebook.com"
DEFAULT_GRAPH_VERSION = "v23.0"
# Graph API error codes: an invalid or expired token, and the rate-limit family (answered
# before anything is created, so trying later is safe).
REAUTH_CODES = {102, 190}
RATE_LIMIT_CODES = {4, 17, 32, 341, 613}
BUSINESS_RATE_LIMIT_CODES = range(80000, 80015)


def graph_error(response: requests.Response) -> dict:
    body = json_body(response)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return body["error"]
    return {}


class GraphAdapter(BaseAdapter):
    """Error handling shared by the Graph API platforms (Facebook, Instagram)."""

    def error_message(self, response: requests.Response) -> str | None:
        error = graph_error(response)
        if error.get("message"):
            code = error.get("code")
            return f"{error['message']} (code {code})" if code is not None else error["message"]
        return super().error_message(response)

    def error_result(
        self, response: requests.Response, call: Call, *, deduplicates: bool | None = None
    ) -> PublishResult:
        error = graph_error(response)
        code = error.get("code")
        if code in REAUTH_CODES:
            return call.result(
                Outcome.REAUTH,
                response,
                reason=f"{self.platform} refused the token: {self.error_message(response)}",
            )
        if code in RATE_LIMIT_CODES or code in BUSINESS_RATE_LIMIT_CODES:
            return call.result(
                Outcome.RETRY,
                response,
                reason=f"{self.platform} rate limit: {self.error_message(response)}",
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        return super().error_result(response, call, deduplicates=deduplicates)

    def graph_comment(
        self, url: str, form: dict[str, str], post: OutgoingPost, call: Call
    ) -> PublishResult:
        """Create a comment through the Graph API; its id. Not de-duplicated: a timeout or a
        5xx is left for a person to check."""
        if not post.in_reply_to:
            return call.result(Outcome.FAILED, reason="the post to comment on has no id")
        response = call.send("POST", url, data=form)
        body = json_body(response)
        if response.status_code == 200 and isinstance(body, dict) and body.get("id"):
            return call.result(Outcome.PUBLISHED, response, platform_id=str(body["id"]))
        if response.ok:
            return self.unusable_answer(response, call, "a comment id")
        return self.error_result(response, call)


class FacebookAdapter(GraphAdapter):
    platform = "facebook"
    required_credentials = ("page_id", "page_access_token")

    def _publish(
        self, post: OutgoingPost, credentials: Mapping[str, str], call: Call
    ) -> PublishResult:
        base = (credentials.get("base_url") or DEFAULT_BASE_URL).rstrip("/")
        version = credentials.get("graph_version") or DEFAULT_GRAPH_VERSION
        message = post.text
        if post.media and post.link and post.link not in post.text:
            message = f"{post.text.rstrip()}\n\n{post.link}"
        videos = [item for item in post.media if item.is_video]
        if videos:
            video_base = (credentials.get("base_url") or DEFAULT_VIDEO_BASE_URL).rstrip("/")
            return self.publish_video(video_base, version, videos[0], message, credentials, call)
        form = {"message": post.text}
        if post.media:
            if post.link and post.link not in post.text:
                form["message"] = f"{post.text.rstrip()}\n\n{post.link}"
            for index, item in enumerate(post.media):
                photo = self.upload_photo(base, version, item, credentials, call)
                form[f"attached_media[{index}]"] = json.dumps({"media_fbid": photo})
        elif post.link:
            form["link"] = post.link
        form["access_token"] = credentials["page_access_token"]
        response = call.send("POST", f"{base}/{version}/{credentials['page_id']}/feed", data=form)
        body = json_body(response)
        if response.status_code == 200 and isinstance(body, dict) and body.get("id"):
            post_id = str(body["id"])
            return call.result(
                Outcome.PUBLISHED,
                response,
                platform_id=post_id,
                url=f"https://www.facebook.com/{post_id}",
            )
        if response.ok:
            return self.unusable_answer(response, call, "a post id")
        return self.error_result(response, call)

    def _comment(
        self, post: OutgoingPost, credentials: Mapping[str, str], call: Call
    ) -> PublishResult:
        """``POST /{post-id}/comments`` with ``message``, as the Page."""
        base = (credentials.get("base_url") or DEFAULT_BASE_URL).rstrip("/")
        version = credentials.get("graph_version") or DEFAULT_GRAPH_VERSION
        form = {"message": post.text, "access_token": credentials["page_access_token"]}
        return self.graph_comment(f"{base}/{version}/{post.in_reply_to}/comments", form, post, call)

    def upload_photo(
        self,
        base: str,
        version: str,
        item: OutgoingMedia,
        credentials: Mapping[str, str],
        call: Call,
    ) -> str:
        """An unpublished photo on the Page, to attach to the post; its id."""
        payload = load_media(item, call)
        form = {"published": "false", "access_token": credentials["page_access_token"]}
        if item.alt_text:
            form["alt_text_custom"] = item.alt_text
        with uploading_media(call):
            response = call.send(
                "POST",
                f"{base}/{version}/{credentials['page_id']}/photos",
                data=form,
                files={"source": (item.filename, payload.data, payload.content_type)},
            )
        body = json_body(response)
        if response.status_code == 200 and isinstance(body, dict) and body.get("id"):
            return str(body["id"])
        if response.ok:
            raise Rejected(self.unusable_answer(response, call, "a photo id", created=False))
        raise Rejected(self.error_result(response, call, deduplicates=True))

    def publish_video(
        self,
        base: str,
        version: str,
        item: OutgoingMedia,
        message: str,
        credentials: Mapping[str, str],
        call: Call,
    ) -> PublishResult:
        """The post as a Page video: one upload that also publishes it."""
        payload = load_media(item, call)
        form = {"description": message, "access_token": credentials["page_access_token"]}
        response = call.send(
            "POST",
            f"{base}/{version}/{credentials['page_id']}/videos",
            data=form,
            files={"source": (item.filename, payload.data, payload.content_type)},
        )
        body = json_body(response)
        if response.status_code == 200 and isinstance(body, dict) and body.get("id"):
            video_id = str(body["id"])
            return call.result(
                Outcome.PUBLISHED,
                response,
                platform_id=video_id,
                url=f"https://www.facebook.com/{credentials['page_id']}/videos/{video_id}",
            )
        if response.ok:
            return self.unusable_answer(response, call, "a video id")
        return self.error_result(response, call)
