"""LinkedIn: ``POST /rest/posts`` (the versioned Posts API) as a member or an organization.

Credentials: ``access_token`` (scope ``w_member_social`` or ``w_organization_social``),
``author_urn`` (``urn:li:person:…`` or ``urn:li:organization:…``), optionally ``api_version``
(``YYYYMM``, default :data:`DEFAULT_API_VERSION`) and ``base_url``.

LinkedIn does not de-duplicate a re-sent request, so a timeout or a 5xx is ``UNCONFIRMED``.
The commentary is "little text": reserved characters are escaped, otherwise LinkedIn truncates
the post at the first unescaped one. A link becomes an article attachment.

Images (Images API): ``POST /rest/images?action=initializeUpload`` with the author as owner gives
an upload URL and an image URN; the bytes go there with ``PUT``; the post carries
``content.media`` (one image, with ``altText``) or ``content.multiImage`` (2–20). With images, a
link goes into the text instead of an article. An image uploaded for an attempt that then fails
is never shown: only the post create is not re-sent blindly.

Video (Videos API, learn.microsoft.com/linkedin/marketing/community-management/shares/
videos-api): ``POST /rest/videos?action=initializeUpload`` with the owner and ``fileSizeBytes``
(no captions, no thumbnail) gives the video URN, an ``uploadToken`` and ``uploadInstructions``,
each a URL and an inclusive byte range; every part is ``PUT`` there and answers with an ``ETag``;
``POST /rest/videos?action=finalizeUpload`` names the video, the token and the ETags in order;
``GET /rest/videos/{urn}`` is polled until its ``status`` is ``AVAILABLE``; the post carries
``content.media.id`` = the video URN. As with images, a video that no post uses is never shown,
so every step before the post create is safe to try again.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from urllib.parse import quote

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
    uploading_media,
)

DEFAULT_BASE_URL = "https://api.linkedin.com"
DEFAULT_API_VERSION = "202511"
_RESERVED = re.compile(r"([\\|{}@\[\]()<>#*_~])")


def escape_little_text(text: str) -> str:
    """Escape the characters LinkedIn's "little text" commentary format reserves."""
    return _RESERVED.sub(r"\\\1", text)


class LinkedInAdapter(BaseAdapter):
    platform = "linkedin"
    required_credentials = ("access_token", "author_urn")
    # LinkedIn processes a video after finalizeUpload; it is polled this often, this many times.
    poll_seconds = 2.0
    poll_limit = 60

    def _publish(
        self, post: OutgoingPost, credentials: Mapping[str, str], call: Call
    ) -> PublishResult:
        base = (credentials.get("base_url") or DEFAULT_BASE_URL).rstrip("/")
        headers = {
            "Authorization": f"Bearer {credentials['access_token']}",
            "LinkedIn-Version": credentials.get("api_version") or DEFAULT_API_VERSION,
            "X-Restli-Protocol-Version": "2.0.0",
        }
        text = post.text
        if post.media and post.link and post.link not in text:
            text = f"{text.rstrip()}\n\n{post.link}"
        body: dict[str, object] = {
            "author": credentials["author_urn"],
            "commentary": escape_little_text(text),
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        videos = [item for item in post.media if item.is_video]
        if videos:
            urn = self.upload_video(base, videos[0], credentials["author_urn"], headers, call)
            body["content"] = {"media": {"id": urn}}
        elif post.media:
            images = [
                {
                    "id": self.upload_image(base, item, credentials["author_urn"], headers, call),
                    "altText": item.alt_text,
                }
                for item in post.media
            ]
            body["content"] = (
                {"media": images[0]} if len(images) == 1 else {"multiImage": {"images": images}}
            )
        elif post.link:
            body["content"] = {"article": {"source": post.link, "title": post.title or post.link}}
        response = call.send("POST", f"{base}/rest/posts", headers=headers, json=body)
        if response.status_code == 201:
            post_urn = response.headers.get("x-restli-id") or response.headers.get("x-linkedin-id")
            if not post_urn:
                return call.result(
                    Outcome.UNCONFIRMED,
                    response,
                    reason="LinkedIn created the post but returned no id",
                )
            return call.result(
                Outcome.PUBLISHED,
                response,
                platform_id=post_urn,
                url=f"https://www.linkedin.com/feed/update/{quote(post_urn, safe=':')}/",
            )
        if response.ok:
            return self.unusable_answer(response, call, "the 201 that says the post was made")
        return self.error_result(response, call)

    def _comment(
        self, post: OutgoingPost, credentials: Mapping[str, str], call: Call
    ) -> PublishResult:
        """``POST /rest/socialActions/{post urn}/comments`` as the post's author."""
        if not post.in_reply_to:
            return call.result(Outcome.FAILED, reason="the post to comment on has no id")
        base = (credentials.get("base_url") or DEFAULT_BASE_URL).rstrip("/")
        headers = {
            "Authorization": f"Bearer {credentials['access_token']}",
            "LinkedIn-Version": credentials.get("api_version") or DEFAULT_API_VERSION,
            "X-Restli-Protocol-Version": "2.0.0",
        }
        body = {
            "actor": credentials["author_urn"],
            "object": post.in_reply_to,
            "message": {"text": post.text},
        }
        response = call.send(
            "POST",
            f"{base}/rest/socialActions/{quote(post.in_reply_to, safe='')}/comments",
            headers=headers,
            json=body,
        )
        if response.status_code in (200, 201):
            answer = json_body(response)
            comment_urn = response.headers.get("x-restli-id") or (
                answer.get("$URN") or answer.get("id") if isinstance(answer, dict) else None
            )
            return call.result(
                Outcome.PUBLISHED, response, platform_id=str(comment_urn) if comment_urn else None
            )
        if response.ok:
            return self.unusable_answer(response, call, "the 201 that says the comment was made")
        return self.error_result(response, call)

    def upload_image(
        self,
        base: str,
        item: OutgoingMedia,
        owner: str,
        headers: dict[str, str],
        call: Call,
    ) -> str:
        """initializeUpload, then PUT the bytes to the upload URL; the image URN."""
        payload = load_media(item, call)
        with uploading_media(call):
            response = call.send(
                "POST",
                f"{base}/rest/images",
                params={"action": "initializeUpload"},
                headers=headers,
                json={"initializeUploadRequest": {"owner": owner}},
            )
            body = json_body(response)
            value = body.get("value") if isinstance(body, dict) else None
            if not response.ok:
                raise Rejected(self.error_result(response, call, deduplicates=True))
            if not (isinstance(value, dict) and value.get("uploadUrl") and value.get("image")):
                raise Rejected(self.unusable_answer(response, call, "an upload URL", created=False))
            upload = call.send(
                "PUT",
                value["uploadUrl"],
                headers={
                    "Authorization": headers["Authorization"],
                    "Content-Type": payload.content_type,
                },
                data=payload.data,
            )
            if not upload.ok:
                raise Rejected(self.error_result(upload, call, deduplicates=True))
        return str(value["image"])

    def upload_video(
        self,
        base: str,
        item: OutgoingMedia,
        owner: str,
        headers: dict[str, str],
        call: Call,
    ) -> str:
        """initializeUpload, PUT every part, finalizeUpload, wait until AVAILABLE; the video URN."""
        payload = load_media(item, call)
        with uploading_media(call):
            response = call.send(
                "POST",
                f"{base}/rest/videos",
                params={"action": "initializeUpload"},
                headers=headers,
                json={
                    "initializeUploadRequest": {
                        "owner": owner,
                        "fileSizeBytes": len(payload.data),
                        "uploadCaptions": False,
                        "uploadThumbnail": False,
                    }
                },
            )
            if not response.ok:
                raise Rejected(self.error_result(response, call, deduplicates=True))
            body = json_body(response)
            value = body.get("value") if isinstance(body, dict) else None
            parts = value.get("uploadInstructions") if isinstance(value, dict) else None
            if not (isinstance(value, dict) and value.get("video") and isinstance(parts, list)):
                raise Rejected(
                    self.unusable_answer(response, call, "upload instructions", created=False)
                )
            urn = str(value["video"])
            etags: list[str] = []
            for part in parts:
                first, last = int(part["firstByte"]), int(part["lastByte"])
                upload = call.send(
                    "PUT",
                    part["uploadUrl"],
                    headers={
                        "Authorization": headers["Authorization"],
                        "Content-Type": "application/octet-stream",
                    },
                    data=payload.data[first : last + 1],
                )
                if not upload.ok:
                    raise Rejected(self.error_result(upload, call, deduplicates=True))
                etag = upload.headers.get("ETag")
                if not etag:
                    raise Rejected(
                        self.unusable_answer(upload, call, "the part's ETag", created=False)
                    )
                etags.append(etag)
            response = call.send(
                "POST",
                f"{base}/rest/videos",
                params={"action": "finalizeUpload"},
                headers=headers,
                json={
                    "finalizeUploadRequest": {
                        "video": urn,
                        "uploadToken": value.get("uploadToken") or "",
                        "uploadedPartIds": etags,
                    }
                },
            )
            if not response.ok:
                raise Rejected(self.error_result(response, call, deduplicates=True))
            self.wait_until_available(base, urn, headers, call)
        return urn

    def wait_until_available(
        self, base: str, urn: str, headers: dict[str, str], call: Call
    ) -> None:
        """Poll the video until LinkedIn says it is AVAILABLE; a failed processing fails the
        post, and one still processing after :attr:`poll_limit` looks is tried again later."""
        for attempt in range(self.poll_limit):
            if attempt:
                time.sleep(self.poll_seconds)
            response = call.send(
                "GET", f"{base}/rest/videos/{quote(urn, safe='')}", headers=headers
            )
            if not response.ok:
                raise Rejected(self.error_result(response, call, deduplicates=True))
            body = json_body(response)
            status = body.get("status") if isinstance(body, dict) else None
            if status == "AVAILABLE":
                return
            if status in ("PROCESSING_FAILED", "FAILED"):
                raise Rejected(
                    call.result(
                        Outcome.FAILED,
                        response,
                        reason="LinkedIn could not process the video; nothing was posted",
                    )
                )
        raise Rejected(
            call.result(
                Outcome.RETRY,
                reason="LinkedIn was still processing the video; nothing was posted yet",
            )
        )
