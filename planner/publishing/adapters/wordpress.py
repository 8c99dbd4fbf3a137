"""WordPress (self-hosted or any site with the REST API): ``POST /wp-json/wp/v2/posts``.

Credentials: ``site_url`` (e.g. https://blog.example.com), ``username`` and ``app_password``
(an Application Password from the user's profile, sent with HTTP Basic auth).

Before creating, the adapter looks the post's slug up (any status but trash). A published or
scheduled post with that slug is the one an earlier attempt created, so it is reported as
published and never created twice; that look-up is what makes a timeout or a 5xx ``RETRY``
here. A draft, pending or private post holding the slug fails the post so that a person decides.
Without a slug there is no look-up, and a timeout or a 5xx is ``UNCONFIRMED``.

The site URL passes the outbound guard, and redirects are not followed: configure the final
URL (https, with or without www, as the site answers).
"""

from __future__ import annotations

import html
from collections.abc import Mapping

import requests

from .base import (
    BaseAdapter,
    Call,
    Outcome,
    OutgoingPost,
    PublishResult,
    TransportError,
    json_body,
)

LIVE_STATUSES = {"publish", "future"}


def content_html(post: OutgoingPost) -> str:
    """The post body as simple HTML paragraphs, with the link and image after the text."""
    paragraphs = [p.strip() for p in post.text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    parts = [f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs]
    if post.link and post.link not in post.text:
        href = html.escape(post.link, quote=True)
        parts.append(f'<p><a href="{href}">{html.escape(post.link)}</a></p>')
    if post.image_url:
        src = html.escape(post.image_url, quote=True)
        parts.append(f'<figure class="wp-block-image"><img src="{src}" alt=""/></figure>')
    return "\n".join(parts)


def default_title(text: str) -> str:
    first_line = text.strip().split("\n", 1)[0]
    return first_line if len(first_line) <= 80 else first_line[:79].rstrip() + "…"


class WordPressAdapter(BaseAdapter):
    platform = "wordpress"
    required_credentials = ("site_url", "username", "app_password")
    deduplicates = True  # by the slug look-up; see the module docstring for posts without one

    def _publish(
        self, post: OutgoingPost, credentials: Mapping[str, str], call: Call
    ) -> PublishResult:
        site = credentials["site_url"].rstrip("/")
        endpoint = f"{site}/wp-json/wp/v2/posts"
        auth = (credentials["username"], credentials["app_password"])

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
            if isinstance(found, list) and found:
                return self.existing(found[0], call, response)

        payload = {
            "title": post.title or default_title(post.text),
            "content": content_html(post),
            "status": "publish",
        }
        if post.slug:
            payload["slug"] = post.slug
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
        if response.ok:
            return call.result(
                Outcome.UNCONFIRMED, response, reason="WordPress answered without a post id"
            )
        return self.error_result(response, call, deduplicates=bool(post.slug))

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

    def error_message(self, response: requests.Response) -> str | None:
        body = json_body(response)
        if isinstance(body, dict) and body.get("message"):
            code = body.get("code")
            return f"{body['message']} ({code})" if code else str(body["message"])
        return super().error_message(response)
