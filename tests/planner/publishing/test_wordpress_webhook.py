"""WordPress and signed webhooks: both call URLs the user typed, so both pass the guard."""

import base64
import hashlib
import hmac
import json
import time

import pytest
from werkzeug import Response

from planner.publishing.adapters import Outcome, OutgoingPost, get_adapter

from .conftest import TIMEOUT

WP_PASSWORD = "abcd EFGH 1234 ijkl MNOP 6789"
BASIC = "Basic " + base64.b64encode(f"editor:{WP_PASSWORD}".encode()).decode()
POSTS = "/wp-json/wp/v2/posts"
ME = "/wp-json/wp/v2/users/me"
ME_ANSWER = {"id": 3, "name": "editor", "capabilities": {"edit_posts": True, "publish_posts": True}}
LOOKUP = {
    "slug": "spring-menu",
    "status": "publish,future,draft,pending,private",
    "context": "edit",
}
KEY_BYTES = b"0123456789abcdef0123456789abcdef"
SECRET = "whsec_" + base64.b64encode(KEY_BYTES).decode()


def post(slug="spring-menu", key="post-9-v2", **extra):
    fields = {
        "text": "Spring menu\n\nFresh <peas> & mint",
        "link": "https://example.com/menu",
        "image_url": None,
    }
    fields.update(extra)
    return OutgoingPost(post_id=9, idempotency_key=key, slug=slug, title="Spring menu", **fields)


def wp_creds(fake, allow="1", login=True):
    """The channel's credentials; ``login`` makes the fake accept them on ``users/me``."""
    if login:
        fake.expect_request(
            ME, method="GET", query_string={"context": "edit"}, headers={"Authorization": BASIC}
        ).respond_with_json(ME_ANSWER)
    return {
        "site_url": fake.url_for("/"),
        "username": "editor",
        "app_password": WP_PASSWORD,
        "_allow_private": allow,
    }


def wp_post(status="publish", post_id=42):
    return {"id": post_id, "status": status, "link": f"https://blog.example.com/?p={post_id}"}


# --- WordPress --------------------------------------------------------------------------


def test_wordpress_checks_the_login_looks_the_slug_up_then_creates_the_post(fake):
    fake.expect_ordered_request(
        ME, method="GET", query_string={"context": "edit"}, headers={"Authorization": BASIC}
    ).respond_with_json(ME_ANSWER)
    fake.expect_ordered_request(
        POSTS, method="GET", query_string=LOOKUP, headers={"Authorization": BASIC}
    ).respond_with_json([])
    fake.expect_ordered_request(
        POSTS,
        method="POST",
        headers={"Authorization": BASIC, "Content-Type": "application/json"},
        json={
            "title": "Spring menu",
            # The first line is the title, not the first paragraph as well.
            "content": "<p>Fresh &lt;peas&gt; &amp; mint</p>\n"
            '<p><a href="https://example.com/menu">https://example.com/menu</a></p>',
            "status": "publish",
            "slug": "spring-menu",
        },
    ).respond_with_json(wp_post(), status=201)

    result = get_adapter("wordpress").publish(post(), wp_creds(fake, login=False))

    assert result.outcome is Outcome.PUBLISHED
    assert result.platform_id == "42"
    assert result.url == "https://blog.example.com/?p=42"


@pytest.mark.parametrize("status", ["publish", "future"])
def test_wordpress_retry_finds_the_post_and_does_not_create_another(fake, status):
    fake.expect_request(POSTS, method="GET", query_string=LOOKUP).respond_with_json(
        [wp_post(status=status)]
    )

    result = get_adapter("wordpress").publish(post(), wp_creds(fake))

    assert result.outcome is Outcome.PUBLISHED
    assert result.platform_id == "42"
    assert [r.path for r, _ in fake.log] == [ME, POSTS]


def test_wordpress_draft_holding_the_slug_needs_a_person(fake):
    fake.expect_request(POSTS, method="GET").respond_with_json([wp_post(status="draft")])

    result = get_adapter("wordpress").publish(post(), wp_creds(fake))

    assert result.outcome is Outcome.FAILED
    assert "draft" in result.reason
    assert [r.path for r, _ in fake.log] == [ME, POSTS]


def test_wordpress_wrong_application_password_asks_for_reauthorisation(fake):
    fake.expect_request(ME, method="GET").respond_with_json(
        {
            "code": "incorrect_password",
            "message": "The provided password is an invalid application password.",
            "data": {"status": 401},
        },
        status=401,
    )

    result = get_adapter("wordpress").publish(post(), wp_creds(fake, login=False))

    assert result.outcome is Outcome.REAUTH
    assert "invalid application password" in result.reason
    assert WP_PASSWORD not in result.reason
    assert [r.path for r, _ in fake.log] == [ME], "nothing is looked up or sent without a login"


# What WordPress 6.1 answers a request whose login it did not take: the 401 nested in a 400.
NESTED_401 = {
    "code": "rest_invalid_param",
    "message": "Invalid parameter(s): status",
    "data": {
        "status": 400,
        "params": {"status": "Status is forbidden."},
        "details": {
            "status": {
                "code": "rest_forbidden_status",
                "message": "Status is forbidden.",
                "data": {"status": 401},
            }
        },
    },
}


@pytest.mark.parametrize(
    ("where", "status", "body"),
    [
        (
            "login",
            401,
            {
                "code": "rest_not_logged_in",
                "message": "You are not currently logged in.",
                "data": {"status": 401},
            },
        ),
        (
            "login",
            400,
            {
                "code": "rest_invalid_param",
                "message": "Invalid",
                "data": {
                    "status": 400,
                    "details": {"x": {"code": "incorrect_password", "data": {}}},
                },
            },
        ),
        ("lookup", 400, NESTED_401),
    ],
    ids=["not-logged-in", "nested-incorrect-password", "lookup-nested-401"],
)
def test_wordpress_login_refusal_in_any_shape_asks_for_reauthorisation(fake, where, status, body):
    if where == "login":
        fake.expect_request(ME, method="GET").respond_with_json(body, status=status)
        creds = wp_creds(fake, login=False)
    else:
        creds = wp_creds(fake)
        fake.expect_request(POSTS, method="GET").respond_with_json(body, status=status)

    result = get_adapter("wordpress").publish(post(), creds)

    assert result.outcome is Outcome.REAUTH
    assert "application password" in result.reason
    assert all(r.method == "GET" for r, _ in fake.log), "nothing was created"


def test_wordpress_user_who_may_not_publish_fails_before_sending(fake):
    fake.expect_request(ME, method="GET").respond_with_json(
        {"id": 4, "capabilities": {"read": True, "edit_posts": True}}
    )

    result = get_adapter("wordpress").publish(post(), wp_creds(fake, login=False))

    assert result.outcome is Outcome.FAILED
    assert "may not publish posts" in result.reason
    assert [r.path for r, _ in fake.log] == [ME]


def test_wordpress_title_is_sent_as_text_and_not_repeated_in_the_body(fake):
    creds = wp_creds(fake)
    fake.expect_request(POSTS, method="GET").respond_with_json([])
    fake.expect_request(POSTS, method="POST").respond_with_json(wp_post(), status=201)
    text = "Deals <b>&</b> more\nSecond line of the first paragraph\n\nLast paragraph"

    result = get_adapter("wordpress").publish(
        OutgoingPost(
            post_id=9, text=text, link=None, image_url=None, idempotency_key="k", slug="pageone-9"
        ),
        creds,
    )

    assert result.outcome is Outcome.PUBLISHED
    sent = json.loads(fake.log[-1][0].get_data())
    # WordPress renders a title as HTML: escaped, the reader sees <b>&</b> literally.
    assert sent["title"] == "Deals &lt;b&gt;&amp;&lt;/b&gt; more"
    assert sent["content"] == "<p>Second line of the first paragraph</p>\n<p>Last paragraph</p>"


def test_wordpress_permission_error_fails_with_its_message(fake):
    fake.expect_request(POSTS, method="GET").respond_with_json([])
    fake.expect_request(POSTS, method="POST").respond_with_json(
        {
            "code": "rest_cannot_create",
            "message": "Sorry, you are not allowed to create posts as this user.",
            "data": {"status": 403},
        },
        status=403,
    )

    result = get_adapter("wordpress").publish(post(), wp_creds(fake))

    assert result.outcome is Outcome.FAILED
    assert "not allowed to create posts" in result.reason


@pytest.mark.parametrize("failure", ["timeout", "500"])
def test_wordpress_create_failure_is_retried_thanks_to_the_slug(fake, stall, failure):
    fake.expect_request(POSTS, method="GET").respond_with_json([])
    create = fake.expect_request(POSTS, method="POST")
    if failure == "timeout":
        create.respond_with_handler(stall)
    else:
        create.respond_with_json({"code": "internal_server_error"}, status=500)

    result = get_adapter("wordpress").publish(post(), wp_creds(fake), timeout=TIMEOUT)

    assert result.outcome is Outcome.RETRY


def test_wordpress_without_a_slug_a_timeout_is_unconfirmed(fake, stall):
    fake.expect_request(POSTS, method="POST").respond_with_handler(stall)

    result = get_adapter("wordpress").publish(post(slug=None), wp_creds(fake), timeout=TIMEOUT)

    assert result.outcome is Outcome.UNCONFIRMED


def test_wordpress_rate_limit_is_retried(fake):
    fake.expect_request(POSTS, method="GET").respond_with_json([])
    fake.expect_request(POSTS, method="POST").respond_with_response(
        Response("Too Many Requests", status=429, headers={"Retry-After": "15"})
    )

    result = get_adapter("wordpress").publish(post(), wp_creds(fake))

    assert result.outcome is Outcome.RETRY
    assert result.retry_after == 15


def test_wordpress_site_on_a_private_address_is_refused(fake):
    result = get_adapter("wordpress").publish(post(), wp_creds(fake, allow=""))

    assert result.outcome is Outcome.FAILED
    assert "non-public" in result.reason
    assert fake.log == []


def test_wordpress_redirect_is_not_followed(fake):
    fake.expect_request(ME, method="GET").respond_with_response(
        Response(status=301, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    )

    result = get_adapter("wordpress").publish(post(), wp_creds(fake, login=False))

    assert result.outcome is Outcome.FAILED
    assert "redirected" in result.reason
    assert len(fake.log) == 1


@pytest.mark.parametrize(
    ("answer", "outcome", "landed"),
    [
        (
            Response(status=307, headers={"Location": "https://www.blog.example/"}),
            Outcome.FAILED,
            False,
        ),
        (
            Response('{"ok": true}', status=201, content_type="application/json"),
            Outcome.RETRY,
            True,
        ),
        (Response("<html>busy</html>", status=502), Outcome.RETRY, False),
        (Response("<html>timeout</html>", status=504), Outcome.RETRY, True),
    ],
    ids=["307-created-nothing", "201-without-id", "502-nothing-landed", "504-may-have-landed"],
)
def test_wordpress_create_answers_are_classified_by_whether_a_post_could_exist(
    fake, answer, outcome, landed
):
    creds = wp_creds(fake)
    fake.expect_request(POSTS, method="GET").respond_with_json([])
    fake.expect_request(POSTS, method="POST").respond_with_response(answer)

    result = get_adapter("wordpress").publish(post(), creds)

    assert result.outcome is outcome
    assert result.may_have_landed is landed


def test_wordpress_lookup_that_is_not_a_list_creates_nothing(fake):
    creds = wp_creds(fake)
    fake.expect_request(POSTS, method="GET").respond_with_data("<html>cached page</html>")

    result = get_adapter("wordpress").publish(post(), creds)

    assert result.outcome is Outcome.RETRY and not result.may_have_landed
    assert "POST" not in [r.method for r, _ in fake.log]


# --- Webhook ----------------------------------------------------------------------------


def hook_creds(fake, allow="1", secret=SECRET):
    return {"url": fake.url_for("/hooks/pageone"), "secret": secret, "_allow_private": allow}


def test_webhook_is_signed_per_standard_webhooks(fake):
    fake.expect_request("/hooks/pageone", method="POST").respond_with_data("ok", status=204)
    before = int(time.time())

    result = get_adapter("webhook").publish(post(), hook_creds(fake))

    assert result.outcome is Outcome.PUBLISHED
    assert result.platform_id == "post-9-v2"
    request = fake.log[0][0]
    body = request.get_data()
    msg_id = request.headers["webhook-id"]
    timestamp = request.headers["webhook-timestamp"]
    expected = base64.b64encode(
        hmac.new(KEY_BYTES, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    ).decode()
    assert msg_id == "post-9-v2"
    assert before <= int(timestamp) <= time.time()
    assert request.headers["webhook-signature"] == f"v1,{expected}"
    assert request.headers["Content-Type"] == "application/json"
    payload = json.loads(body)
    assert payload["type"] == "post.published"
    assert payload["data"] == {
        "post_id": 9,
        "text": "Spring menu\n\nFresh <peas> & mint",
        "link": "https://example.com/menu",
        "image_url": None,
    }


def test_webhook_endpoint_gone_fails(fake):
    fake.expect_request("/hooks/pageone", method="POST").respond_with_data("gone", status=410)

    result = get_adapter("webhook").publish(post(), hook_creds(fake))

    assert result.outcome is Outcome.FAILED
    assert "gone" in result.reason


@pytest.mark.parametrize("failure", ["timeout", "500"])
def test_webhook_failure_is_retried_with_the_same_id(fake, stall, failure):
    hook = fake.expect_request("/hooks/pageone", method="POST")
    if failure == "timeout":
        hook.respond_with_handler(stall)
    else:
        hook.respond_with_data("boom", status=500)

    result = get_adapter("webhook").publish(post(), hook_creds(fake), timeout=TIMEOUT)

    assert result.outcome is Outcome.RETRY


def test_webhook_rejection_fails_with_the_receivers_message(fake):
    fake.expect_request("/hooks/pageone", method="POST").respond_with_data(
        "unknown event type", status=400
    )

    result = get_adapter("webhook").publish(post(), hook_creds(fake))

    assert result.outcome is Outcome.FAILED
    assert "unknown event type" in result.reason


def test_webhook_on_a_private_address_is_refused_unless_allowed(fake):
    result = get_adapter("webhook").publish(post(), hook_creds(fake, allow=""))

    assert result.outcome is Outcome.FAILED
    assert "URL refused" in result.reason
    assert fake.log == []


def test_webhook_secret_must_be_whsec_base64():
    adapter = get_adapter("webhook")

    assert adapter.check_credentials({"url": "https://h.example", "secret": SECRET}) is None
    problem = adapter.check_credentials({"url": "https://h.example", "secret": "whsec_@@@"})
    assert "base64" in problem
    result = adapter.publish(post(), {"url": "https://h.example", "secret": "whsec_@@@"})
    assert result.outcome is Outcome.FAILED
