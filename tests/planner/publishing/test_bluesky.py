import re

import pytest
from werkzeug import Response

from planner.publishing.adapters import Outcome, OutgoingPost, get_adapter
from planner.publishing.adapters.bluesky import is_valid_tid, link_facets, record_key

from .conftest import TIMEOUT

DID = "did:plc:brand123"
HANDLE = "brand.bsky.social"
PASSWORD = "abcd-efgh-ijkl-mnop"
CREATE = "/xrpc/com.atproto.repo.createRecord"
SESSION = "/xrpc/com.atproto.server.createSession"
REFRESH = "/xrpc/com.atproto.server.refreshSession"
GET_RECORD = "/xrpc/com.atproto.repo.getRecord"


def post(key="post-7-v1", text="Fresh bread daily", link=None, **extra):
    return OutgoingPost(
        post_id=7, text=text, link=link, image_url=None, idempotency_key=key, **extra
    )


def creds(fake):
    return {
        "service": fake.url_for("").rstrip("/"),
        "handle": HANDLE,
        "app_password": PASSWORD,
        "_allow_private": "1",
    }


def session_json(access="access-1", refresh="refresh-1"):
    return {"did": DID, "handle": HANDLE, "accessJwt": access, "refreshJwt": refresh}


def expect_login(fake, access="access-1", refresh="refresh-1"):
    fake.expect_request(
        SESSION, method="POST", json={"identifier": HANDLE, "password": PASSWORD}
    ).respond_with_json(session_json(access, refresh))


def created(rkey, cid="bafyrei-cid"):
    return {"uri": f"at://{DID}/app.bsky.feed.post/{rkey}", "cid": cid}


def requests_to(fake, path):
    return [request for request, _ in fake.log if request.path == path]


def test_post_is_created_with_the_derived_record_key_and_link_facet(fake):
    expect_login(fake)
    rkey = record_key("post-7-v1")
    fake.expect_request(
        CREATE, method="POST", headers={"Authorization": "Bearer access-1"}
    ).respond_with_json(created(rkey))

    result = get_adapter("bluesky").publish(post(link="https://example.com/bread"), creds(fake))

    assert result.outcome is Outcome.PUBLISHED
    assert result.platform_id == f"at://{DID}/app.bsky.feed.post/{rkey}|bafyrei-cid"
    assert result.url == f"https://bsky.app/profile/{HANDLE}/post/{rkey}"
    body = requests_to(fake, CREATE)[0].get_json()
    record = body.pop("record")
    assert body == {"repo": DID, "collection": "app.bsky.feed.post", "rkey": rkey}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", record.pop("createdAt"))
    text = "Fresh bread daily\n\nhttps://example.com/bread"
    assert record == {
        "$type": "app.bsky.feed.post",
        "text": text,
        "facets": [
            {
                "index": {"byteStart": 19, "byteEnd": 44},
                "features": [
                    {"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/bread"}
                ],
            }
        ],
    }


def test_facet_offsets_are_utf8_bytes_after_emoji_and_cjk():
    text = "日本語 🙂 See https://example.com/x and (https://example.org/y)."

    facets = link_facets(text)

    # "日本語 " is 10 bytes, "🙂 " 5, "See " 4: the first URL starts at byte 19.
    assert [f["index"] for f in facets] == [
        {"byteStart": 19, "byteEnd": 40},
        {"byteStart": 46, "byteEnd": 67},
    ]
    raw = text.encode("utf-8")
    assert [raw[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode() for f in facets] == [
        "https://example.com/x",
        "https://example.org/y",
    ]


def test_record_key_is_a_stable_valid_tid_per_post_version():
    first = record_key("post-7-v1")

    assert first == record_key("post-7-v1")
    assert first != record_key("post-7-v2")
    assert len(first) == 13
    assert is_valid_tid(first)
    assert all(is_valid_tid(record_key(f"k{i}")) for i in range(200))


def test_session_is_created_once_for_two_posts(fake):
    expect_login(fake)
    fake.expect_request(CREATE, method="POST").respond_with_json(created("x"))
    adapter = get_adapter("bluesky")

    first = adapter.publish(post(key="a"), creds(fake))
    second = adapter.publish(post(key="b"), creds(fake))

    assert first.outcome is second.outcome is Outcome.PUBLISHED
    assert len(requests_to(fake, SESSION)) == 1
    assert [r.get_json()["rkey"] for r in requests_to(fake, CREATE)] == [
        record_key("a"),
        record_key("b"),
    ]


def test_expired_token_is_refreshed_not_logged_in_again(fake):
    fake.expect_ordered_request(SESSION, method="POST").respond_with_json(session_json())
    fake.expect_ordered_request(
        CREATE, method="POST", headers={"Authorization": "Bearer access-1"}
    ).respond_with_json({"error": "ExpiredToken", "message": "Token has expired"}, status=400)
    fake.expect_ordered_request(
        REFRESH, method="POST", headers={"Authorization": "Bearer refresh-1"}
    ).respond_with_json(session_json("access-2", "refresh-2"))
    fake.expect_ordered_request(
        CREATE, method="POST", headers={"Authorization": "Bearer access-2"}
    ).respond_with_json(created(record_key("post-7-v1")))

    result = get_adapter("bluesky").publish(post(), creds(fake))

    assert result.outcome is Outcome.PUBLISHED
    assert len(requests_to(fake, SESSION)) == 1
    assert len(requests_to(fake, REFRESH)) == 1


def test_refused_refresh_logs_in_again(fake):
    expect_login(fake)
    fake.expect_oneshot_request(CREATE, method="POST").respond_with_json(
        {"error": "ExpiredToken", "message": "Token has expired"}, status=400
    )
    fake.expect_request(REFRESH, method="POST").respond_with_json(
        {"error": "ExpiredToken", "message": "Token has been revoked"}, status=400
    )
    fake.expect_request(CREATE, method="POST").respond_with_json(created("x"))

    result = get_adapter("bluesky").publish(post(), creds(fake))

    assert result.outcome is Outcome.PUBLISHED
    assert len(requests_to(fake, SESSION)) == 2


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (409, {"error": "RecordAlreadyExists", "message": "Record already exists"}),
        (400, {"error": "InvalidRequest", "message": "Record already exists"}),
        (500, {"error": "InternalServerError", "message": "Internal Server Error"}),
    ],
)
def test_retry_that_finds_its_record_already_there_is_published(fake, status, error):
    rkey = record_key("post-7-v1")
    expect_login(fake)
    fake.expect_request(CREATE, method="POST").respond_with_json(error, status=status)
    fake.expect_request(
        GET_RECORD,
        method="GET",
        query_string={"repo": DID, "collection": "app.bsky.feed.post", "rkey": rkey},
    ).respond_with_json({**created(rkey, cid="bafy-existing"), "value": {"text": "Fresh"}})

    result = get_adapter("bluesky").publish(post(), creds(fake))

    assert result.outcome is Outcome.PUBLISHED
    assert result.platform_id.endswith(f"/{rkey}|bafy-existing")
    assert result.url.endswith(f"/post/{rkey}")


def test_server_error_without_a_record_is_retried(fake):
    expect_login(fake)
    fake.expect_request(CREATE, method="POST").respond_with_json(
        {"error": "InternalServerError"}, status=502
    )
    fake.expect_request(GET_RECORD, method="GET").respond_with_json(
        {"error": "RecordNotFound", "message": "Could not locate record"}, status=400
    )

    result = get_adapter("bluesky").publish(post(), creds(fake))

    assert result.outcome is Outcome.RETRY
    assert result.status_code == 502


def test_timeout_is_retried_because_the_record_key_deduplicates(fake, stall):
    expect_login(fake)
    fake.expect_request(CREATE, method="POST").respond_with_handler(stall)

    result = get_adapter("bluesky").publish(post(), creds(fake), timeout=TIMEOUT)

    assert result.outcome is Outcome.RETRY


def test_wrong_app_password_asks_for_reauthorisation(fake):
    fake.expect_request(SESSION, method="POST").respond_with_json(
        {"error": "AuthenticationRequired", "message": "Invalid identifier or password"},
        status=401,
    )

    result = get_adapter("bluesky").publish(post(), creds(fake))

    assert result.outcome is Outcome.REAUTH
    assert "Invalid identifier or password" in result.reason
    assert PASSWORD not in result.reason


def test_invalid_record_fails_with_the_platform_message(fake):
    expect_login(fake)
    fake.expect_request(CREATE, method="POST").respond_with_json(
        {"error": "InvalidRequest", "message": "Invalid app.bsky.feed.post record"}, status=400
    )

    result = get_adapter("bluesky").publish(post(), creds(fake))

    assert result.outcome is Outcome.FAILED
    assert "Invalid app.bsky.feed.post record" in result.reason


def test_rate_limit_is_retried_after_the_given_delay(fake):
    expect_login(fake)
    fake.expect_request(CREATE, method="POST").respond_with_response(
        Response(
            '{"error":"RateLimitExceeded","message":"Rate Limit Exceeded"}',
            status=429,
            headers={"Retry-After": "120"},
            content_type="application/json",
        )
    )

    result = get_adapter("bluesky").publish(post(), creds(fake))

    assert result.outcome is Outcome.RETRY
    assert result.retry_after == 120


def test_text_over_300_graphemes_fails_before_logging_in(fake):
    result = get_adapter("bluesky").publish(post(text="a" * 301), creds(fake))

    assert result.outcome is Outcome.FAILED
    assert "300" in result.reason
    assert fake.log == []


def test_300_family_emoji_fit_the_grapheme_limit(fake):
    expect_login(fake)
    fake.expect_request(CREATE, method="POST").respond_with_json(created("x"))

    result = get_adapter("bluesky").publish(post(text="👨‍👩‍👧" * 300), creds(fake))

    assert result.outcome is Outcome.PUBLISHED


def test_reply_points_at_the_parent_and_its_thread_root(fake):
    parent_uri = "at://did:plc:other/app.bsky.feed.post/3kparent"
    root = {"uri": "at://did:plc:other/app.bsky.feed.post/3kroot", "cid": "bafy-root"}
    expect_login(fake)
    fake.expect_request(
        GET_RECORD,
        method="GET",
        query_string={
            "repo": "did:plc:other",
            "collection": "app.bsky.feed.post",
            "rkey": "3kparent",
        },
    ).respond_with_json(
        {"uri": parent_uri, "cid": "bafy-parent", "value": {"reply": {"root": root}}}
    )
    fake.expect_request(CREATE, method="POST").respond_with_json(created("x"))

    result = get_adapter("bluesky").publish(
        post(in_reply_to=f"{parent_uri}|bafy-parent"), creds(fake)
    )

    assert result.outcome is Outcome.PUBLISHED
    record = requests_to(fake, CREATE)[0].get_json()["record"]
    assert record["reply"] == {"root": root, "parent": {"uri": parent_uri, "cid": "bafy-parent"}}


@pytest.mark.parametrize(
    "answer",
    [{"did": DID, "handle": HANDLE}, {"did": DID, "accessJwt": "", "refreshJwt": "r"}, ["x"]],
    ids=["no-tokens", "empty-token", "not-an-object"],
)
def test_session_answer_without_tokens_is_retried_as_nothing_posted(fake, answer):
    fake.expect_request(SESSION, method="POST").respond_with_json(answer)

    result = get_adapter("bluesky").publish(post(), creds(fake))

    assert result.outcome is Outcome.RETRY
    assert not result.may_have_landed
    assert "nothing was posted" in result.reason
    assert requests_to(fake, CREATE) == []


def test_create_answered_without_a_uri_looks_for_the_record_then_retries(fake):
    expect_login(fake)
    rkey = record_key("post-7-v1")
    fake.expect_request(CREATE, method="POST").respond_with_json({"validationStatus": "valid"})
    fake.expect_request(GET_RECORD, method="GET").respond_with_json(
        {"error": "RecordNotFound", "message": "Could not locate record"}, status=400
    )

    result = get_adapter("bluesky").publish(post(), creds(fake))

    # The record key makes a re-send safe: the next attempt finds it or creates it once.
    assert result.outcome is Outcome.RETRY and result.may_have_landed
    assert requests_to(fake, GET_RECORD)[0].args["rkey"] == rkey


def test_create_redirected_created_nothing_and_fails_with_the_address(fake):
    expect_login(fake)
    fake.expect_request(CREATE, method="POST").respond_with_response(
        Response(status=307, headers={"Location": "https://pds.example/xrpc/x"})
    )

    result = get_adapter("bluesky").publish(post(), creds(fake))

    assert result.outcome is Outcome.FAILED
    assert "redirected to https://pds.example/xrpc/x" in result.reason
