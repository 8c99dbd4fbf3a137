"""Webhook: a signed JSON POST following the Standard Webhooks specification.

Credentials: ``url`` (the receiver; passes the outbound guard; treated as secret because many
receivers put a token in it) and ``secret`` (``whsec_`` followed by base64 key bytes).

Headers ``webhook-id`` (the post's idempotency key), ``webhook-timestamp`` (Unix seconds) and
``webhook-signature`` (``v1,`` + base64 HMAC-SHA256 of ``{id}.{timestamp}.{body}``). The spec
asks receivers to de-duplicate on ``webhook-id`` and senders to retry, so a timeout or a 5xx is
``RETRY`` (the same id is sent again). 410 means the endpoint is gone: ``FAILED``. Redirects are
not followed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping

import requests

from .base import BaseAdapter, Call, Outcome, OutgoingPost, PublishResult

SECRET_PREFIX = "whsec_"
EVENT_TYPE = "post.published"


def secret_key(secret: str) -> bytes:
    """The key bytes of a ``whsec_<base64>`` secret (ValueError when malformed)."""
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the webhook secret must be whsec_ followed by base64") from None
    if not key:
        raise ValueError("the webhook secret is empty")
    return key


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value for a message."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


class WebhookAdapter(BaseAdapter):
    platform = "webhook"
    required_credentials = ("url", "secret")
    deduplicates = True  # receivers de-duplicate on webhook-id (Standard Webhooks)
    # Receivers usually check the id and then act, not atomically: a re-send waits until a
    # first delivery still being handled is done (receivers are asked to answer quickly).
    request_time_limit = 30.0

    def check_credentials(self, credentials: Mapping[str, str]) -> str | None:
        problem = super().check_credentials(credentials)
        if problem:
            return problem
        try:
            secret_key(credentials["secret"])
        except ValueError as exc:
            return str(exc)
        return None

    def _publish(
        self, post: OutgoingPost, credentials: Mapping[str, str], call: Call
    ) -> PublishResult:
        timestamp = int(time.time())
        payload = {
            "type": EVENT_TYPE,
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp)),
            "data": {
                "post_id": post.post_id,
                "text": post.text,
                "link": post.link,
                "image_url": post.image_url,
            },
        }
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        message_id = post.idempotency_key
        response = call.send(
            "POST",
            credentials["url"],
            headers={
                "Content-Type": "application/json",
                "webhook-id": message_id,
                "webhook-timestamp": str(timestamp),
                "webhook-signature": sign(credentials["secret"], message_id, timestamp, body),
            },
            data=body,
        )
        if 200 <= response.status_code < 300:
            return call.result(Outcome.PUBLISHED, response, platform_id=message_id)
        if response.status_code == 410:
            return call.result(
                Outcome.FAILED, response, reason="the webhook endpoint is gone (410)"
            )
        return self.error_result(response, call)

    def error_message(self, response: requests.Response) -> str | None:
        message = super().error_message(response)
        if message:
            return message
        text = response.text.strip()
        return text[:200] if text else None
