"""Each platform's metrics reader against a contract fake that checks the exact request (method,
path, query, headers) and answers as the platform's API does."""

from __future__ import annotations

import pytest

from planner.engagement.readers import Metrics, NoMetrics, ReadFailed, read_metrics
from planner.publishing.adapters import ALLOW_PRIVATE_KEY

TOKEN = "tok-secret-123456"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


def base(fake) -> str:
    return fake.url_for("").rstrip("/")


def creds(**values) -> dict[str, str]:
    return {ALLOW_PRIVATE_KEY: "1", **values}


def test_facebook_reads_reactions_comments_shares_and_impressions(fake):
    fake.expect_ordered_request(
        "/v23.0/123_456",
        method="GET",
        query_string={
            "fields": "reactions.summary(total_count).limit(0),"
            "comments.summary(total_count).limit(0),shares"
        },
        headers=BEARER,
    ).respond_with_json(
        {
            "id": "123_456",
            "reactions": {"data": [], "summary": {"total_count": 17, "viewer_reaction": "NONE"}},
            "comments": {"data": [], "summary": {"order": "ranked", "total_count": 4}},
            "shares": {"count": 3},
        }
    )
    fake.expect_ordered_request(
        "/v23.0/123_456/insights",
        method="GET",
        query_string={"metric": "post_impressions"},
        headers=BEARER,
    ).respond_with_json(
        {"data": [{"name": "post_impressions", "period": "lifetime", "values": [{"value": 900}]}]}
    )
    metrics = read_metrics(
        "facebook", "123_456", creds(page_id="123", page_access_token=TOKEN, base_url=base(fake))
    )
    assert metrics == Metrics(likes=17, comments=4, shares=3, impressions=900)


def test_facebook_without_insights_rights_still_gives_the_counts(fake):
    fake.expect_ordered_request("/v23.0/1_2", method="GET").respond_with_json(
        {
            "id": "1_2",
            "reactions": {"summary": {"total_count": 2}},
            "comments": {"summary": {"total_count": 0}},
        }
    )
    fake.expect_ordered_request("/v23.0/1_2/insights", method="GET").respond_with_json(
        {"error": {"message": "(#10) Requires pages_read_engagement", "code": 10}}, status=400
    )
    metrics = read_metrics(
        "facebook", "1_2", creds(page_id="1", page_access_token=TOKEN, base_url=base(fake))
    )
    assert metrics == Metrics(likes=2, comments=0, shares=0, impressions=None)


def test_an_expired_graph_token_asks_for_reauthorisation(fake):
    fake.expect_request("/v23.0/1_2", method="GET").respond_with_json(
        {"error": {"message": "Error validating access token", "code": 190}}, status=400
    )
    with pytest.raises(ReadFailed) as failed:
        read_metrics("facebook", "1_2", creds(page_access_token=TOKEN, base_url=base(fake)))
    assert failed.value.reauth and TOKEN not in failed.value.reason


def test_instagram_reads_like_and_comment_counts_and_views(fake):
    fake.expect_ordered_request(
        "/v23.0/1789",
        method="GET",
        query_string={"fields": "like_count,comments_count"},
        headers=BEARER,
    ).respond_with_json({"like_count": 40, "comments_count": 6, "id": "1789"})
    fake.expect_ordered_request(
        "/v23.0/1789/insights",
        method="GET",
        query_string={"metric": "views,reach,shares"},
        headers=BEARER,
    ).respond_with_json(
        {
            "data": [
                {"name": "views", "period": "lifetime", "values": [{"value": 1200}]},
                {"name": "reach", "period": "lifetime", "values": [{"value": 800}]},
                {"name": "shares", "period": "lifetime", "values": [{"value": 5}]},
            ]
        }
    )
    metrics = read_metrics(
        "instagram", "1789", creds(ig_user_id="9", access_token=TOKEN, base_url=base(fake))
    )
    assert metrics == Metrics(likes=40, comments=6, shares=5, impressions=1200)


def test_x_reads_public_metrics(fake):
    fake.expect_request(
        "/2/tweets/1460323737035677698",
        method="GET",
        query_string={"tweet.fields": "public_metrics"},
        headers=BEARER,
    ).respond_with_json(
        {
            "data": {
                "id": "1460323737035677698",
                "text": "hello",
                "edit_history_tweet_ids": ["1460323737035677698"],
                "public_metrics": {
                    "retweet_count": 7,
                    "reply_count": 2,
                    "like_count": 31,
                    "quote_count": 1,
                    "bookmark_count": 0,
                    "impression_count": 5100,
                },
            }
        }
    )
    metrics = read_metrics(
        "x", "1460323737035677698", creds(access_token=TOKEN, base_url=base(fake))
    )
    assert metrics == Metrics(likes=31, comments=2, shares=8, impressions=5100)


def test_x_rate_limit_is_a_failure_to_try_again(fake):
    fake.expect_request("/2/tweets/1", method="GET").respond_with_json(
        {"title": "Too Many Requests"}, status=429, headers={"Retry-After": "120"}
    )
    with pytest.raises(ReadFailed) as failed:
        read_metrics("x", "1", creds(access_token=TOKEN, base_url=base(fake)))
    assert not failed.value.final and not failed.value.reauth
    assert failed.value.retry_after == 120


LINKEDIN_HEADERS = {**BEARER, "LinkedIn-Version": "202511", "X-Restli-Protocol-Version": "2.0.0"}


def test_linkedin_organization_posts_read_share_statistics(fake):
    fake.expect_request(
        "/rest/organizationalEntityShareStatistics",
        method="GET",
        query_string=(
            "q=organizationalEntity&organizationalEntity=urn%3Ali%3Aorganization%3A2414183"
            "&shares=List(urn%3Ali%3Ashare%3A7015970832908775123)"
        ),
        headers=LINKEDIN_HEADERS,
    ).respond_with_json(
        {
            "paging": {"count": 10, "start": 0, "links": []},
            "elements": [
                {
                    "totalShareStatistics": {
                        "uniqueImpressionsCount": 210,
                        "shareCount": 3,
                        "engagement": 0.05,
                        "clickCount": 9,
                        "likeCount": 12,
                        "impressionCount": 340,
                        "commentCount": 2,
                    },
                    "share": "urn:li:share:7015970832908775123",
                    "organizationalEntity": "urn:li:organization:2414183",
                }
            ],
        }
    )
    metrics = read_metrics(
        "linkedin",
        "urn:li:share:7015970832908775123",
        creds(access_token=TOKEN, author_urn="urn:li:organization:2414183", base_url=base(fake)),
    )
    assert metrics == Metrics(likes=12, comments=2, shares=3, impressions=340)


def test_linkedin_member_posts_give_likes_and_comments_only(fake):
    fake.expect_request(
        # The server sees the path decoded; the URN is sent percent-encoded.
        "/rest/socialActions/urn:li:share:6844785523593134080",
        method="GET",
        headers=LINKEDIN_HEADERS,
    ).respond_with_json(
        {
            "likesSummary": {
                "totalLikes": 9,
                "aggregatedTotalLikes": 9,
                "likedByCurrentUser": False,
            },
            "commentsSummary": {"totalFirstLevelComments": 2, "aggregatedTotalComments": 3},
            "target": "urn:li:share:6844785523593134080",
        }
    )
    metrics = read_metrics(
        "linkedin",
        "urn:li:share:6844785523593134080",
        creds(access_token=TOKEN, author_urn="urn:li:person:abc", base_url=base(fake)),
    )
    assert metrics == Metrics(likes=9, comments=3, shares=None, impressions=None)


def test_mastodon_reads_the_status_counts(fake):
    fake.expect_request("/api/v1/statuses/109372", method="GET", headers=BEARER).respond_with_json(
        {
            "id": "109372",
            "replies_count": 4,
            "reblogs_count": 6,
            "favourites_count": 21,
            "content": "<p>hi</p>",
        }
    )
    metrics = read_metrics("mastodon", "109372", creds(base_url=base(fake), access_token=TOKEN))
    assert metrics == Metrics(likes=21, comments=4, shares=6, impressions=None)


def test_bluesky_logs_in_then_reads_get_posts(fake):
    uri = "at://did:plc:abc/app.bsky.feed.post/3kxyz"
    fake.expect_ordered_request(
        "/xrpc/com.atproto.server.createSession",
        method="POST",
        json={"identifier": "acme.bsky.social", "password": "app-pass-1234"},
    ).respond_with_json(
        {
            "did": "did:plc:abc",
            "handle": "acme.bsky.social",
            "accessJwt": "acc-jwt-1",
            "refreshJwt": "ref-jwt-1",
        }
    )
    fake.expect_ordered_request(
        "/xrpc/app.bsky.feed.getPosts",
        method="GET",
        query_string={"uris": uri},
        headers={"Authorization": "Bearer acc-jwt-1"},
    ).respond_with_json(
        {
            "posts": [
                {
                    "uri": uri,
                    "cid": "bafy",
                    "author": {"did": "did:plc:abc", "handle": "acme.bsky.social"},
                    "record": {"text": "hi"},
                    "replyCount": 1,
                    "repostCount": 2,
                    "likeCount": 15,
                    "quoteCount": 1,
                    "indexedAt": "2026-12-06T10:00:00.000Z",
                }
            ]
        }
    )
    metrics = read_metrics(
        "bluesky",
        f"{uri}|bafy",
        creds(handle="acme.bsky.social", app_password="app-pass-1234", service=base(fake)),
    )
    assert metrics == Metrics(likes=15, comments=1, shares=3, impressions=None)


def test_bluesky_says_when_the_post_is_gone(fake):
    fake.expect_ordered_request(
        "/xrpc/com.atproto.server.createSession", method="POST"
    ).respond_with_json(
        {"did": "did:plc:abc", "handle": "a.b", "accessJwt": "acc-jwt-1", "refreshJwt": "r"}
    )
    fake.expect_ordered_request("/xrpc/app.bsky.feed.getPosts", method="GET").respond_with_json(
        {"posts": []}
    )
    with pytest.raises(ReadFailed) as failed:
        read_metrics(
            "bluesky", "at://x|c", creds(handle="a.b", app_password="p", service=base(fake))
        )
    assert failed.value.final


def test_wordpress_counts_comments_from_the_total_header(fake):
    fake.expect_request(
        "/wp-json/wp/v2/comments",
        method="GET",
        query_string={"post": "42", "per_page": "1"},
        headers={"Authorization": "Basic ZWRpdG9yOmFiY2QgZWZnaA=="},
    ).respond_with_json(
        [{"id": 7, "post": 42}], headers={"X-WP-Total": "5", "X-WP-TotalPages": "5"}
    )
    metrics = read_metrics(
        "wordpress",
        "42",
        creds(site_url=base(fake), username="editor", app_password="abcd efgh"),
    )
    assert metrics == Metrics(comments=5)


def test_a_webhook_has_no_metrics_to_read():
    with pytest.raises(NoMetrics):
        read_metrics("webhook", "", creds(url="https://example.com/h", secret="whsec_AA=="))


def test_a_deleted_post_is_a_final_failure(fake):
    fake.expect_request("/api/v1/statuses/9", method="GET").respond_with_json(
        {"error": "Record not found"}, status=404
    )
    with pytest.raises(ReadFailed) as failed:
        read_metrics("mastodon", "9", creds(base_url=base(fake), access_token=TOKEN))
    assert failed.value.final and "404" in failed.value.reason


def test_a_private_address_is_refused_without_the_operators_permission(fake):
    with pytest.raises(ReadFailed) as failed:
        read_metrics(
            "mastodon", "9", {"base_url": base(fake), "access_token": TOKEN, ALLOW_PRIVATE_KEY: ""}
        )
    assert failed.value.final and "refused" in failed.value.reason
