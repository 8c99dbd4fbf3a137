"""Posting a reply on the review site: one poster per site with an API for it.

- Google Business Profile: ``PUT {API}/v4/accounts/*/locations/*/reviews/*/reply`` with
  ``{"comment": text}`` (accounts.locations.reviews.updateReply; it creates or replaces the reply,
  so sending again is safe).
- Trustpilot: ``POST {API}/v1/private/reviews/{reviewId}/reply`` with
  ``{"message": text, "authorBusinessUserId": id}``; 201 when created.

Other sites have no such API: the person copies the reply, opens the review and marks it
replied by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

import requests
from sqlalchemy.orm import Session
from urllib3.exceptions import NewConnectionError

from core.outbound import OutboundBlocked
from planner.connections import flow
from planner.reviews import review_sites
from planner.reviews.models import Review
from planner.reviews.reply_models import ReviewConnection

GBP_MAX_BYTES = 4096


@dataclass
class Posted:
    """What the site answered when it took the reply."""

    status_code: int
    body: dict[str, Any]


class NotPosted(review_sites.SiteProblem):
    """The site did not take the reply; ``may_have_landed`` when it may have anyway."""

    def __init__(self, message: str, *, may_have_landed: bool = False) -> None:
        super().__init__(message)
        self.may_have_landed = may_have_landed


def _answer(response: requests.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _refusal(label: str, response: requests.Response) -> NotPosted:
    data = _answer(response)
    error = data.get("error")
    detail = ""
    if isinstance(error, dict):
        detail = str(error.get("message") or error.get("status") or "")
    elif isinstance(error, str):
        detail = error
    detail = detail or str(data.get("message") or data.get("details") or "")
    if response.status_code in (401, 403):
        hint = f" The {label} connection may have ended or lost its permission: connect it again."
    elif response.status_code == 404:
        hint = f" {label} does not know this review (it may have been removed)."
    else:
        hint = ""
    said = f": {detail[:200].rstrip('.')}" if detail else ""
    return NotPosted(f"{label} refused the reply (HTTP {response.status_code}){said}.{hint}")


def _never_connected(exc: requests.RequestException) -> bool:
    """Whether the request certainly never reached the site (no connection was made)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(exc, requests.ConnectionError) and isinstance(reason, NewConnectionError)


def _send(
    label: str,
    method: str,
    url: str,
    token: str,
    payload: dict[str, Any],
    config: Mapping[str, Any],
    *,
    safe_to_repeat: bool,
) -> Posted:
    try:
        with flow.http(config) as http:
            response = http.request(
                method,
                url,
                json=payload,
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                timeout=flow.timeout(config),
                allow_redirects=False,
            )
    except OutboundBlocked as exc:
        raise NotPosted(f"{label}'s address is refused by the server's guard: {exc}.") from None
    except requests.RequestException as exc:
        if _never_connected(exc):
            raise NotPosted(
                f"{label} could not be reached ({type(exc).__name__}); the reply was not sent."
            ) from None
        if safe_to_repeat:
            raise NotPosted(
                f"{label} did not answer in time ({type(exc).__name__}); send again."
            ) from None
        raise NotPosted(
            f"{label} did not answer in time ({type(exc).__name__}): the reply may have been "
            f"posted. Look at the review on {label} before sending again.",
            may_have_landed=True,
        ) from None
    if not 200 <= response.status_code < 300:
        raise _refusal(label, response)
    return Posted(response.status_code, _answer(response))


def gbp_review_name(review: Review, location: str) -> str:
    """The review's resource name: accounts/*/locations/*/reviews/*."""
    if review.external_id.startswith("accounts/"):
        return review.external_id
    return f"{location.strip('/')}/reviews/{review.external_id}"


def post_gbp(
    session: Session,
    review: Review,
    text: str,
    connection: ReviewConnection,
    config: Mapping[str, Any],
    now: datetime,
) -> Posted:
    if len(text.encode()) > GBP_MAX_BYTES:
        raise NotPosted(f"Google takes replies of at most {GBP_MAX_BYTES} bytes; shorten it.")
    token, location = review_sites.gbp_access_token(session, connection, config, now)
    name = quote(gbp_review_name(review, location), safe="/")
    url = f"{config['GOOGLE_BUSINESS_API_URL']}/v4/{name}/reply"
    return _send("Google", "PUT", url, token, {"comment": text}, config, safe_to_repeat=True)


def post_trustpilot(
    session: Session,
    review: Review,
    text: str,
    connection: ReviewConnection,
    config: Mapping[str, Any],
    now: datetime,
) -> Posted:
    token, author = review_sites.trustpilot_access_token(session, connection, config, now)
    url = (
        f"{config['TRUSTPILOT_API_URL']}/v1/private/reviews/"
        f"{quote(review.external_id, safe='')}/reply"
    )
    payload = {"message": text, "authorBusinessUserId": author}
    return _send("Trustpilot", "POST", url, token, payload, config, safe_to_repeat=False)


Poster = Callable[[Session, Review, str, ReviewConnection, Mapping[str, Any], datetime], Posted]
POSTERS: dict[str, Poster] = {"google": post_gbp, "trustpilot": post_trustpilot}


def has_api(source: str) -> bool:
    return source in POSTERS
