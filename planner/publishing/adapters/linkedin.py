"""LinkedIn: ``POST /rest/posts`` (the versioned Posts API) as a member or an organization.

Credentials: ``access_token`` (scope ``w_member_social`` or ``w_organization_social``),
``author_urn`` (``urn:li:person:…`` or ``urn:li:organization:…``), optionally ``api_version``
(``YYYYMM``, default :data:`DEFAULT_API_VERSION`) and ``base_url``.

LinkedIn does not de-duplicate a re-sent request, so a timeout or a 5xx is ``UNCONFIRMED``.
The commentary is "little text": reserved characters are escaped, otherwise LinkedIn truncates
the post at the first unescaped one. A link becomes an article attachment.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import quote

from .base import BaseAdapter, Call, Outcome, OutgoingPost, PublishResult

DEFAULT_BASE_URL = "https://api.linkedin.com"
DEFAULT_API_VERSION = "202511"
_RESERVED = re.compile(r"([\\|{}@\[\]()<>#*_~])")


def escape_little_text(text: str) -> str:
    """Escape the characters LinkedIn's "little text" commentary format reserves."""
    return _RESERVED.sub(r"\\\1", text)


class LinkedInAdapter(BaseAdapter):
    platform = "linkedin"
    required_credentials = ("access_token", "author_urn")

    def _publish(
        self, post: OutgoingPost, credentials: Mapping[str, str], call: Call
    ) -> PublishResult:
        base = (credentials.get("base_url") or DEFAULT_BASE_URL).rstrip("/")
        body: dict[str, object] = {
            "author": credentials["author_urn"],
            "commentary": escape_little_text(post.text),
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        if post.link:
            body["content"] = {"article": {"source": post.link, "title": post.title or post.link}}
        response = call.send(
            "POST",
            f"{base}/rest/posts",
            headers={
                "Authorization": f"Bearer {credentials['access_token']}",
                "LinkedIn-Version": credentials.get("api_version") or DEFAULT_API_VERSION,
                "X-Restli-Protocol-Version": "2.0.0",
            },
            json=body,
        )
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
