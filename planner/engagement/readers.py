"""Reading a published post's metrics back from its platform: one small reader per platform, each
a single GET (two where impressions come from a separate insights call).

A reader answers :class:`Metrics` (``None`` for a figure the platform's API does not give) or
raises :class:`ReadFailed`. Requests go through the outbound guard with connect and read timeouts
(the adapters' :class:`~planner.publishing.adapters.base.Call`), never follow redirects, and use
the same credential keys and configurable base URLs as the platform's adapter, so tests point them
at local fakes.

What each API gives:

* Facebook Pages: ``GET /{version}/{post-id}?fields=reactions.summary(total_count).limit(0),
  comments.summary(total_count).limit(0),shares``; impressions from ``/{post-id}/insights?metric=
  post_impressions`` where the Page's token may read insights (else ``None``).
* Instagram: ``GET /{version}/{media-id}?fields=like_count,comments_count``; ``/insights?metric=
  views,reach,shares`` for impressions (``views``, which replaced ``impressions`` for media made
  after July 2024) and shares.
* X: ``GET /2/tweets/:id?tweet.fields=public_metrics``: likes, replies, reposts + quotes,
  impressions.
* LinkedIn: organization posts through ``organizationalEntityShareStatistics`` (likes, comments,
  shares, impressions); member posts through ``socialActions`` (likes and comments only: the
  member API gives neither reshare counts nor impressions).
* Mastodon: ``GET /api/v1/statuses/:id``: favourites, replies, boosts; no impressions.
* Bluesky: ``app.bsky.feed.getPosts``: likes, replies, reposts + quotes; no impressions.
* WordPress: the comment count (``X-WP-Total`` of ``/wp/v2/comments?post=…``); core WordPress
  keeps no likes, shares or page views (those need a plugin such as Jetpack Stats).
* Webhook: nothing to read (:class:`NoMetrics`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests

from core.outbound import OutboundBlocked, UnresolvableHost, guarded_session
from planner.publishing.adapters import bluesky, facebook, linkedin, x
from planner.publishing.adapters.base import (
    ALLOW_PRIVATE_KEY,
    Call,
    Rejected,
    TransportError,
    json_body,
    parse_retry_after,
    secret_values,
)
from planner.publishing.adapters.base import Outcome as PublishOutcome

# Graph API error codes of a token that no longer works.
GRAPH_REAUTH_CODES = facebook.REAUTH_CODES


@dataclass(frozen=True)
class Metrics:
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    impressions: int | None = None


class ReadFailed(Exception):
    """A read that did not work: ``reauth`` when the platform refused the token, ``final`` when
    trying again cannot help (the post is gone, the request is refused)."""

    def __init__(
        self,
        reason: str,
        *,
        reauth: bool = False,
        final: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.reauth = reauth
        self.final = final
        self.retry_after = retry_after


class NoMetrics(Exception):
    """The platform reports no engagement at all: the read is skipped."""


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return max(int(value), 0)


def _sum(*values: Any) -> int | None:
    counts = [_count(v) for v in values]
    known = [c for c in counts if c is not None]
    return sum(known) if known else None


def _failed(platform: str, response: requests.Response) -> ReadFailed:
    status = response.status_code
    body = json_body(response)
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    described = f"{platform} answered {status}"
    if status == 401 or code in GRAPH_REAUTH_CODES:
        return ReadFailed(f"{described}: the token was refused", reauth=True)
    if 300 <= status < 400:
        return ReadFailed(f"{described} (a redirect); check the configured URL", final=True)
    if status in (400, 403, 404, 410):
        return ReadFailed(f"{described}; the post cannot be read", final=True)
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    return ReadFailed(described, retry_after=retry_after)


def _json(platform: str, response: requests.Response) -> dict[str, Any]:
    if response.status_code != 200:
        raise _failed(platform, response)
    body = json_body(response)
    if not isinstance(body, dict):
        raise ReadFailed(f"{platform} answered 200 without a JSON object")
    return body


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _graph_insights(call: Call, url: str, token: str, metrics: str) -> dict[str, int | None]:
    """Graph insights by metric name; empty when the token may not read them (insights are a
    bonus: the counts stand without them)."""
    try:
        response = call.send("GET", url, params={"metric": metrics}, headers=_bearer(token))
    except TransportError:
        return {}
    body = json_body(response)
    if response.status_code != 200 or not isinstance(body, dict):
        return {}
    found: dict[str, int | None] = {}
    for item in body.get("data") or []:
        if not isinstance(item, dict):
            continue
        values = item.get("values")
        value = values[0].get("value") if isinstance(values, list) and values else None
        if value is None and isinstance(item.get("total_value"), dict):
            value = item["total_value"].get("value")
        found[str(item.get("name"))] = _count(value)
    return found


def read_facebook(call: Call, post_id: str, credentials: Mapping[str, str]) -> Metrics:
    base = (credentials.get("base_url") or facebook.DEFAULT_BASE_URL).rstrip("/")
    version = credentials.get("graph_version") or facebook.DEFAULT_GRAPH_VERSION
    token = credentials["page_access_token"]
    fields = "reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0),shares"
    body = _json(
        "facebook",
        call.send(
            "GET",
            f"{base}/{version}/{post_id}",
            params={"fields": fields},
            headers=_bearer(token),
        ),
    )

    def total(edge: str) -> int | None:
        value = body.get(edge)
        summary = value.get("summary") if isinstance(value, dict) else None
        return _count(summary.get("total_count")) if isinstance(summary, dict) else 0

    shares = body.get("shares")
    insights = _graph_insights(
        call, f"{base}/{version}/{post_id}/insights", token, "post_impressions"
    )
    return Metrics(
        likes=total("reactions"),
        comments=total("comments"),
        # Graph leaves "shares" out of a post nobody shared.
        shares=_count(shares.get("count")) if isinstance(shares, dict) else 0,
        impressions=insights.get("post_impressions"),
    )


def read_instagram(call: Call, media_id: str, credentials: Mapping[str, str]) -> Metrics:
    base = (credentials.get("base_url") or facebook.DEFAULT_BASE_URL).rstrip("/")
    version = credentials.get("graph_version") or facebook.DEFAULT_GRAPH_VERSION
    token = credentials["access_token"]
    body = _json(
        "instagram",
        call.send(
            "GET",
            f"{base}/{version}/{media_id}",
            params={"fields": "like_count,comments_count"},
            headers=_bearer(token),
        ),
    )
    insights = _graph_insights(
        call, f"{base}/{version}/{media_id}/insights", token, "views,reach,shares"
    )
    return Metrics(
        likes=_count(body.get("like_count")),
        comments=_count(body.get("comments_count")),
        shares=insights.get("shares"),
        impressions=insights.get("views"),
    )


def read_x(call: Call, tweet_id: str, credentials: Mapping[str, str]) -> Metrics:
    base = (credentials.get("base_url") or x.DEFAULT_BASE_URL).rstrip("/")
    body = _json(
        "x",
        call.send(
            "GET",
            f"{base}/2/tweets/{quote(tweet_id, safe='')}",
            params={"tweet.fields": "public_metrics"},
            headers=_bearer(credentials["access_token"]),
        ),
    )
    data = body.get("data")
    metrics = data.get("public_metrics") if isinstance(data, dict) else None
    if not isinstance(metrics, dict):
        raise ReadFailed("x answered without public_metrics (the post may be gone)", final=True)
    return Metrics(
        likes=_count(metrics.get("like_count")),
        comments=_count(metrics.get("reply_count")),
        shares=_sum(metrics.get("retweet_count"), metrics.get("quote_count")),
        impressions=_count(metrics.get("impression_count")),
    )


def read_linkedin(call: Call, post_urn: str, credentials: Mapping[str, str]) -> Metrics:
    base = (credentials.get("base_url") or linkedin.DEFAULT_BASE_URL).rstrip("/")
    headers = {
        **_bearer(credentials["access_token"]),
        "LinkedIn-Version": credentials.get("api_version") or linkedin.DEFAULT_API_VERSION,
        "X-Restli-Protocol-Version": "2.0.0",
    }
    author = credentials.get("author_urn", "")
    if author.startswith("urn:li:organization:"):
        # Rest.li 2.0: URNs inside List(…) are percent-encoded, the syntax itself is not.
        kind = "ugcPosts" if post_urn.startswith("urn:li:ugcPost:") else "shares"
        url = (
            f"{base}/rest/organizationalEntityShareStatistics?q=organizationalEntity"
            f"&organizationalEntity={quote(author, safe='')}"
            f"&{kind}=List({quote(post_urn, safe='')})"
        )
        body = _json("linkedin", call.send("GET", url, headers=headers))
        elements = body.get("elements")
        first = elements[0] if isinstance(elements, list) and elements else None
        stats = first.get("totalShareStatistics") if isinstance(first, dict) else None
        if not isinstance(stats, dict):
            raise ReadFailed("linkedin answered without share statistics", final=True)
        return Metrics(
            likes=_count(stats.get("likeCount")),
            comments=_count(stats.get("commentCount")),
            shares=_count(stats.get("shareCount")),
            impressions=_count(stats.get("impressionCount")),
        )
    body = _json(
        "linkedin",
        call.send("GET", f"{base}/rest/socialActions/{quote(post_urn, safe='')}", headers=headers),
    )
    likes = body.get("likesSummary")
    comments = body.get("commentsSummary")
    return Metrics(
        likes=_count(likes.get("totalLikes")) if isinstance(likes, dict) else None,
        comments=(
            _count(comments.get("aggregatedTotalComments")) if isinstance(comments, dict) else None
        ),
    )


def read_mastodon(call: Call, status_id: str, credentials: Mapping[str, str]) -> Metrics:
    base = credentials["base_url"].rstrip("/")
    body = _json(
        "mastodon",
        call.send(
            "GET",
            f"{base}/api/v1/statuses/{quote(status_id, safe='')}",
            headers=_bearer(credentials["access_token"]),
        ),
    )
    return Metrics(
        likes=_count(body.get("favourites_count")),
        comments=_count(body.get("replies_count")),
        shares=_count(body.get("reblogs_count")),
    )


def read_bluesky(call: Call, platform_id: str, credentials: Mapping[str, str]) -> Metrics:
    service = (credentials.get("service") or bluesky.DEFAULT_SERVICE).rstrip("/")
    uri = platform_id.partition("|")[0]
    adapter = bluesky.BlueskyAdapter()
    login = bluesky.Login(service, credentials["handle"].lstrip("@"), credentials["app_password"])
    try:
        session = adapter.session(login, call)
        response, _ = adapter.authorized(
            login,
            session,
            call,
            lambda s: call.send(
                "GET",
                f"{service}/xrpc/app.bsky.feed.getPosts",
                params={"uris": uri},
                headers=_bearer(s.access_jwt),
            ),
        )
    except Rejected as rejected:
        result = rejected.result
        raise ReadFailed(
            result.reason or "bluesky refused the login",
            reauth=result.outcome is PublishOutcome.REAUTH,
            retry_after=result.retry_after,
        ) from None
    body = _json("bluesky", response)
    posts = body.get("posts")
    post = posts[0] if isinstance(posts, list) and posts else None
    if not isinstance(post, dict):
        raise ReadFailed("bluesky knows no such post (it may have been deleted)", final=True)
    return Metrics(
        likes=_count(post.get("likeCount")),
        comments=_count(post.get("replyCount")),
        shares=_sum(post.get("repostCount"), post.get("quoteCount")),
    )


def read_wordpress(call: Call, post_id: str, credentials: Mapping[str, str]) -> Metrics:
    site = credentials["site_url"].rstrip("/")
    response = call.send(
        "GET",
        f"{site}/wp-json/wp/v2/comments",
        params={"post": post_id, "per_page": "1"},
        auth=(credentials["username"], credentials["app_password"]),
    )
    if response.status_code != 200:
        raise _failed("wordpress", response)
    total = response.headers.get("X-WP-Total", "")
    if not total.strip().isdigit():
        raise ReadFailed("wordpress answered without X-WP-Total")
    return Metrics(comments=int(total))


def read_webhook(call: Call, platform_id: str, credentials: Mapping[str, str]) -> Metrics:
    raise NoMetrics("a webhook receiver reports no engagement back")


Reader = Callable[[Call, str, Mapping[str, str]], Metrics]
READERS: dict[str, Reader] = {
    "facebook": read_facebook,
    "instagram": read_instagram,
    "x": read_x,
    "linkedin": read_linkedin,
    "mastodon": read_mastodon,
    "bluesky": read_bluesky,
    "wordpress": read_wordpress,
    "webhook": read_webhook,
}
# The credential keys each reader needs (the adapter's own, minus what only publishing uses).
REQUIRED = {
    "facebook": ("page_access_token",),
    "instagram": ("access_token",),
    "x": ("access_token",),
    "linkedin": ("access_token",),
    "mastodon": ("base_url", "access_token"),
    "bluesky": ("handle", "app_password"),
    "wordpress": ("site_url", "username", "app_password"),
    "webhook": (),
}


def read_metrics(
    platform: str,
    platform_id: str,
    credentials: Mapping[str, str],
    *,
    timeout: float = 10.0,
    http: requests.Session | None = None,
) -> Metrics:
    """Read one published post's metrics from its platform (raises ReadFailed or NoMetrics)."""
    reader = READERS.get(platform)
    if reader is None:
        raise NoMetrics(f"no metrics reader for platform {platform!r}")
    missing = [key for key in REQUIRED[platform] if not credentials.get(key)]
    if missing:
        raise ReadFailed(f"missing credentials: {', '.join(missing)}", final=True)
    allow_private = str(credentials.get(ALLOW_PRIVATE_KEY, "")) == "1"
    session = guarded_session(allow_private=allow_private, session=http)
    try:
        call = Call(
            session=session,
            timeout=timeout,
            secrets=secret_values(credentials),
            allow_private=allow_private,
            platform=platform,
        )
        try:
            return reader(call, platform_id, credentials)
        except TransportError as exc:
            raise ReadFailed(call.redact(exc.reason)) from None
        except UnresolvableHost as exc:
            raise ReadFailed(str(exc)) from None
        except OutboundBlocked as exc:
            raise ReadFailed(f"URL refused: {exc}", final=True) from None
        except ReadFailed as exc:
            exc.reason = call.redact.excerpt(exc.reason, 300)
            raise
    finally:
        if http is None:
            session.close()
