"""X (Twitter): ``POST /2/tweets`` with an OAuth 2.0 user-context token.

Credentials: ``access_token`` (scopes ``tweet.write tweet.read users.read``), optionally
``base_url`` (default https://api.x.com).

X does not de-duplicate a re-sent request (it refuses identical text, but not reliably), so a
timeout or a 5xx is ``UNCONFIRMED``. A 429 carries ``x-rate-limit-reset`` (epoch seconds).
Images are not attached (media upload needs a separate flow); the link is appended to the text.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import requests

from .base import (
    BaseAdapter,
    Call,
    Outcome,
    OutgoingPost,
    PublishResult,
    compose_text,
    json_body,
)

DEFAULT_BASE_URL = "https://api.x.com"


class XAdapter(BaseAdapter):
    platform = "x"
    required_credentials = ("access_token",)

    def _publish(
        self, post: OutgoingPost, credentials: Mapping[str, str], call: Call
    ) -> PublishResult:
        base = (credentials.get("base_url") or DEFAULT_BASE_URL).rstrip("/")
        body: dict[str, object] = {"text": compose_text(post.text, post.link)}
        if post.in_reply_to:
            body["reply"] = {"in_reply_to_tweet_id": post.in_reply_to}
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
