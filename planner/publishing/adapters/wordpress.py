"""WordPress (self-hosted or any site with the REST API): ``POST /wp-json/wp/v2/posts``.

Credentials: ``site_url`` (e.g. https://blog.example.com), ``username`` and ``app_password``
(an Application Password from the user's profile, sent with HTTP Basic auth), optionally
``request_time_limit`` (seconds; see below).

Every publish first checks the login with an authenticated call
(``GET /wp-json/wp/v2/users/me?context=edit``). WordPress answers a wrong application password
with 401, and some calls with a 400 whose body nests the 401 (``rest_forbidden_status``,
``rest_not_logged_in``, ``incorrect_password``): all of them are ``REAUTH``, so the channel is
marked for re-authorisation instead of failing with "Invalid parameter(s): status".

Then the adapter looks the post's slug up (any status but trash). A published or scheduled post
with that slug is the one an earlier attempt created, so it is reported as published and never
created twice; that look-up is what makes a timeout or a 5xx ``RETRY`` here. A create whose answer
was lost may still be waiting in the site's web server, so the re-send (and its look-up) waits
until it can no longer land: the request time limit, 300 s by default (Apache's ``Timeout`` on
Debian; PHP's ``max_execution_time`` does not count time spent waiting). A draft, pending or
private post holding the slug fails the post so that a person decides. Without a slug there is no
look-up, and a timeout or a 5xx is ``UNCONFIRMED``.

The title is text: it is HTML-escaped, because WordPress renders a title as HTML. It is the post's
first line unless the post carries one, and that line is not repeated as the first paragraph.

Featured image: the post's first image is uploaded with ``POST /wp-json/wp/v2/media`` (the raw
bytes, ``Content-Disposition: attachment; filename=…``), its alt text set with
``POST /wp/v2/media/{id}``, and the post created with ``featured_media``. The upload comes after
the slug look-up, so a retry that finds the post uploads nothing; an upload whose post then
failed stays in the site's media library, unattached.

Video: the post's video is uploaded the same way (``Content-Type: video/mp4``) and shown in the
post's content as a core/video block (the block editor's own markup: a ``wp:video`` comment
naming the attachment id around ``<figure class="wp-block-video"><video controls src=…>``),
after the text. A featured image stays for images; a post may carry one of each.

The site URL passes the outbound guard, and redirects are not followed: configure the final
URL (https, with or without www, as the site answers).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import replace

import requests

from .base import (
    BaseAdapter,
    Call,
    Outcome,
    OutgoingMedia,
    OutgoingPost,
    PublishResult,
    Rejected,
    TransportError,
    json_body,
    load_media,
    uploading_media,
)

LIVE_STATUSES = {"publish", "future"}
TITLE_LENGTH = 120
# Error codes WordPress gives when the login failed (the 401 is sometimes nested in a 400).
LOGIN_FAILED_CODES = frozenset(
    {"rest_not_logged_in", "incorrect_password", "invalid_username", "invalid_email"}
)


def video_block(media_id: int, source_url: str) -> str:
    """A core/video block playing the uploaded attachment."""
    src = html.escape(source_url, quote=True)
    return (
        f'<!-- wp:video {{"id":{media_id}}} -->\n'
        f'<figure class="wp-block-video"><video controls src="{src}"></video></figure>\n'
        "<!-- /wp:video -->"
    )


def content_html(post: OutgoingPost, text: str | None = None) -> str:
    """The post body as simple HTML paragraphs, with the link and image after the text."""
    text = post.text if text is None else text
    paragraphs = [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    parts = [f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs]
    if post.link and post.link not in post.text:
        href = html.escape(post.link, quote=True)
        parts.append(f'<p><a href="{href}">{html.escape(post.link)}</a></p>')
    if post.image_url:
        src = html.escape(post.image_url, quote=True)
        parts.append(f'<figure class="wp-block-image"><img src="{src}" alt=""/></figure>')
    return "\n".join(parts)


def default_title(text: str) -> str:
    first_line = text.strip().split("\n", 1)[0].strip()
    return first_line if len(first_line) <= TITLE_LENGTH else first_line[: TITLE_LENGTH - 1] + "…"


def title_and_body(post: OutgoingPost) -> tuple[str, str]:
    """The title as plain text and the text left for the body: a first line that is the title
    (whole, not cut short) is not repeated as the body's first paragraph."""
    text = post.text.replace("\r\n", "\n").strip()
    title = (post.title or default_title(text)).strip()
    first_line, _, rest = text.partition("\n")
    if first_line.strip() == title:
        return title, rest.strip()
    return title, text


def says_not_logged_in(body: object) -> bool:
    """Whether a WordPress error body says the login failed, however deeply it nests that: a
    ``data.status`` of 401 anywhere, or one of the login-failure codes."""
    if isinstance(body, dict):
        if body.get("code") in LOGIN_FAILED_CODES:
            return True
        data = body.get("data")
        if isinstance(data, dict) and data.get("status") == 401:
            return True
        return any(says_not_logged_in(value) for value in body.values())
    if isinstance(body, list):
        return any(says_not_logged_in(value) for value in body)
    return False


class WordPressAdapter(BaseAdapter):
    platform = "wordpress"
    required_credentials = ("site_url", "username", "app_password")
    deduplicates = True  # by the slug look-up; see the module docstring for posts without one
    request_time_limit = 300.0

    def outgoing(self, post: OutgoingPost) -> OutgoingPost:
        """A scheduled post gets a stable slug, so that a retry finds the post an earlier attempt
        created, and a title when it has no text (otherwise the title is its first line)."""
        return replace(
            post,
            slug=post.slug or f"pageone-{post.post_id}",
            title=post.title or (None if post.text.strip() else f"Post {post.post_id}"),
        )

    def _publish(
        self, post: OutgoingPost, credentials: Mapping[str, str], call: Call
    ) -> PublishResult:
        site = credentials["site_url"].rstrip("/")
        endpoint = f"{site}/wp-json/wp/v2/posts"
        auth = (credentials["username"], credentials["app_password"])

        self.check_login(site, credentials["username"], auth, call)

        if post.slug:
            response = call.send(
                "GET",
                endpoint,
                auth=auth,
                params={
                    "slug": post.slug,
                    "status": "publish,future,draft,pending,private",
                    "context": "edit",
                },
            )
            if response.status_code != 200:
                return self.error_result(response, call, deduplicates=True)
            found = json_body(response)
            if not isinstance(found, list):
                # Not the REST API's answer (a cache or a plugin's page): creating now could
                # make a second post, and nothing was sent yet.
                return self.unusable_answer(response, call, "a list of posts", created=False)
            if found:
                return self.existing(found[0], call, response)

        title, body_text = title_and_body(post)
        payload = {
            "title": html.escape(title),
            "content": content_html(post, body_text),
            "status": "publish",
        }
        if post.slug:
            payload["slug"] = post.slug
        images = [item for item in post.media if not item.is_video]
        videos = [item for item in post.media if item.is_video]
        if images:
            payload["featured_media"] = self.upload_featured(site, images[0], auth, call)
        if videos:
            uploaded = self.upload_media(site, videos[0], auth, call)
            source_url = uploaded.get("source_url")
            if not isinstance(source_url, str) or not source_url:
                return call.result(
                    Outcome.RETRY,
                    reason="WordPress stored the video without its address; nothing was posted",
                )
            payload["content"] = "\n".join(
                part
                for part in (payload["content"], video_block(uploaded["id"], source_url))
                if part
            )
        try:
            response = call.send("POST", endpoint, auth=auth, json=payload)
        except TransportError as exc:
            if exc.may_have_landed and not post.slug:
                return call.result(
                    Outcome.UNCONFIRMED,
                    reason=f"{exc.reason}; without a slug a re-send could create a second post",
                )
            raise  # with a slug, the next attempt's look-up finds a post this one created
        body = json_body(response)
        if response.status_code in (200, 201) and isinstance(body, dict) and body.get("id"):
            return call.result(
                Outcome.PUBLISHED, response, platform_id=str(body["id"]), url=body.get("link")
            )
        if response.ok and not post.slug:
            return call.result(
                Outcome.UNCONFIRMED, response, reason="WordPress answered without a post id"
            )
        if response.ok:
            return self.unusable_answer(response, call, "a post id")
        return self.error_result(response, call, deduplicates=bool(post.slug))

    def upload_featured(
        self, site: str, item: OutgoingMedia, auth: tuple[str, str], call: Call
    ) -> int:
        """Upload the image to the site's media library with its alt text; its id."""
        media_id = self.upload_media(site, item, auth, call)["id"]
        if item.alt_text:
            with uploading_media(call):
                response = call.send(
                    "POST",
                    f"{site}/wp-json/wp/v2/media/{media_id}",
                    auth=auth,
                    json={"alt_text": item.alt_text},
                )
            if not response.ok:
                raise Rejected(self.error_result(response, call, deduplicates=True))
        return media_id

    def upload_media(
        self, site: str, item: OutgoingMedia, auth: tuple[str, str], call: Call
    ) -> dict:
        """Upload the file to the site's media library; WordPress's answer (with its ``id``)."""
        payload = load_media(item, call)
        filename = item.filename.replace('"', "")
        with uploading_media(call):
            response = call.send(
                "POST",
                f"{site}/wp-json/wp/v2/media",
                auth=auth,
                headers={
                    "Content-Type": payload.content_type,
                    "Content-Disposition": f'attachment; filename="{filename}"',
                },
                data=payload.data,
            )
            body = json_body(response)
            if response.status_code not in (200, 201):
                raise Rejected(self.error_result(response, call, deduplicates=True))
            if not isinstance(body, dict) or not isinstance(body.get("id"), int):
                raise Rejected(self.unusable_answer(response, call, "a media id", created=False))
        return body

    def check_login(self, site: str, username: str, auth: tuple[str, str], call: Call) -> None:
        """Check the application password with an authenticated call before anything is sent;
        raise :class:`Rejected` with ``REAUTH`` when WordPress does not accept it."""
        response = call.send(
            "GET", f"{site}/wp-json/wp/v2/users/me", auth=auth, params={"context": "edit"}
        )
        if response.status_code != 200:
            raise Rejected(self.error_result(response, call, deduplicates=True))
        me = json_body(response)
        if not isinstance(me, dict) or not me.get("id"):
            raise Rejected(
                self.unusable_answer(response, call, "the logged-in user", created=False)
            )
        # WordPress lists the capabilities a user has (context=edit); a missing one is not held.
        capabilities = me.get("capabilities")
        listed = isinstance(capabilities, dict) and bool(capabilities)
        if listed and not capabilities.get("publish_posts"):
            raise Rejected(
                call.result(
                    Outcome.FAILED,
                    response,
                    reason=f"The WordPress user {username} may not publish posts; give it the "
                    "Author role or higher, or connect another user.",
                )
            )

    def existing(self, found: dict, call: Call, response: requests.Response) -> PublishResult:
        status = found.get("status")
        post_id = str(found.get("id"))
        if status in LIVE_STATUSES:
            return call.result(
                Outcome.PUBLISHED,
                response,
                platform_id=post_id,
                url=found.get("link"),
                reason="already on the site (created by an earlier attempt)",
            )
        return call.result(
            Outcome.FAILED,
            response,
            platform_id=post_id,
            reason=f"a {status} post (id {post_id}) already uses this slug; publish or rename it",
        )

    def error_result(
        self, response: requests.Response, call: Call, *, deduplicates: bool | None = None
    ) -> PublishResult:
        if response.status_code in (400, 401, 403) and says_not_logged_in(json_body(response)):
            return call.result(
                Outcome.REAUTH,
                response,
                reason="WordPress did not accept the user name and application password "
                f"({self.error_message(response) or response.status_code}); "
                "connect the channel again with a new application password.",
            )
        return super().error_result(response, call, deduplicates=deduplicates)

    def error_message(self, response: requests.Response) -> str | None:
        body = json_body(response)
        if isinstance(body, dict) and body.get("message"):
            code = body.get("code")
            return f"{body['message']} ({code})" if code else str(body["message"])
        return super().error_message(response)
