"""The order webhook: an order system posts "order completed", signed with the brand's secret.

``X-PageOne-Timestamp`` is the sending time in Unix seconds; ``X-PageOne-Signature`` is
``sha256=`` and the hex HMAC-SHA256, keyed with the brand's secret, of the timestamp, a full stop
and the raw body. A delivery older (or newer) than five minutes is refused as a replay; the same
order delivered twice adds nothing the second time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.parsing import InvalidInput, parse_datetime

TOLERANCE = timedelta(minutes=5)
MAX_BODY = 64 * 1024
TIMESTAMP_HEADER = "X-PageOne-Timestamp"
SIGNATURE_HEADER = "X-PageOne-Signature"


class WebhookRefused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify(
    secret: str | None, timestamp: str | None, given: str | None, body: bytes, now: datetime
) -> None:
    """Refuse a delivery that is unsigned, wrongly signed or outside the five minutes."""
    if not secret:
        raise WebhookRefused(
            404, "This brand has no order webhook: make a signing secret in its request settings."
        )
    if not timestamp or not given:
        raise WebhookRefused(
            401, f"Send the {TIMESTAMP_HEADER} and {SIGNATURE_HEADER} headers with every delivery."
        )
    if not hmac.compare_digest(signature(secret, timestamp, body), given.strip()):
        raise WebhookRefused(
            401,
            f"The signature does not match: {SIGNATURE_HEADER} must be sha256=<hex HMAC-SHA256 "
            f"of '{{timestamp}}.{{raw body}}' keyed with the brand's secret>.",
        )
    try:
        sent = datetime.fromtimestamp(int(timestamp), tz=now.tzinfo)
    except (ValueError, OverflowError, OSError):
        raise WebhookRefused(400, f"{TIMESTAMP_HEADER} must be Unix seconds.") from None
    if abs(now - sent) > TOLERANCE:
        raise WebhookRefused(
            401,
            f"{TIMESTAMP_HEADER} is more than 5 minutes from now: a replayed or delayed "
            "delivery is refused; sign it again with the current time.",
        )


@dataclass(frozen=True)
class Order:
    order_id: str
    email: str
    name: str
    completed_at: datetime


def read_order(body: bytes, zone: object) -> Order:
    """The order of a delivery's JSON body, or a 422 that names what is wrong."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise WebhookRefused(400, "The body must be JSON.") from None
    if not isinstance(data, dict):
        raise WebhookRefused(422, "The body must be a JSON object: {order_id, email, name, ...}.")
    errors = []
    order_id, email, name = data.get("order_id"), data.get("email"), data.get("name", "")
    if isinstance(order_id, int) and not isinstance(order_id, bool):
        order_id = str(order_id)
    if not isinstance(order_id, str) or not order_id.strip():
        errors.append("'order_id' must be a non-empty string.")
    if not isinstance(email, str) or not email.strip():
        errors.append("'email' must be the customer's e-mail address.")
    if name is None:
        name = ""
    if not isinstance(name, str):
        errors.append("'name' must be a string.")
    completed = data.get("completed_at")
    completed_at = None
    try:
        completed_at = parse_datetime(completed, "completed_at", default_zone=zone)  # type: ignore[arg-type]
    except InvalidInput as exc:
        errors.append(exc.message)
    if errors:
        raise WebhookRefused(422, " ".join(errors))
    assert completed_at is not None
    return Order(str(order_id).strip(), str(email), str(name), completed_at)
