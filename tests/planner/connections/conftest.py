"""Fixtures for connection tests: an admin logged in, a channel per platform, provider fakes."""

from __future__ import annotations

import json
import re
import time
from html import unescape
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from werkzeug import Response

from core.db import db
from planner import channels
from tests.conftest import login
from tests.planner.connections.fakes import FakeOAuth, bearer_ok, json_response


@pytest.fixture
def admin_client(client, users):
    login(client, users["admin"].email)
    return client


def make_channel(brand, users, platform: str, name: str | None = None):
    channel = channels.create_channel(
        db.session, brand, users["admin"], platform=platform, name=name
    )
    db.session.commit()
    return channel


def leaving_for(response) -> str:
    """The provider's address on the page that sends the browser on (a meta refresh and a
    link: a redirect after a form post would break the form-action policy)."""
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:500]
    found = re.search(r'<a id="continue" href="([^"]+)"', html)
    assert found, html[:500]
    target = unescape(found.group(1))
    assert f'<meta http-equiv="refresh" content="0; url={found.group(1)}">' in html
    return target


def start(client, channel_id: int, **form: str) -> str:
    """Press "Connect": the address the browser is sent to."""
    return leaving_for(client.post(f"/channels/{channel_id}/connect", data=form))


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def callback(client, platform: str, params: dict[str, str]):
    return client.get(f"/connect/{platform}/callback", query_string=params)


@pytest.fixture
def fake_x(app, httpserver):
    fake = FakeOAuth(
        httpserver,
        client_id="x-client",
        client_secret="x-secret",
        authorize_path="/i/oauth2/authorize",
        token_path="/2/oauth2/token",
        revoke_path="/2/oauth2/revoke",
    )
    base = httpserver.url_for("/").rstrip("/")
    app.config.update(
        X_CLIENT_ID="x-client", X_CLIENT_SECRET="x-secret", X_AUTH_URL=base, X_API_URL=base
    )

    def me(request):
        if not bearer_ok(fake, request):
            return json_response({"title": "Unauthorized"}, 401)
        return json_response({"data": {"id": "42", "name": "Acme", "username": "acme_bakery"}})

    httpserver.expect_request("/2/users/me", method="GET").respond_with_handler(me)
    return fake


@pytest.fixture
def webhook(app, httpserver):
    """The operator's notification webhook: the events it received."""
    received: list[dict] = []

    def hook(request):
        received.append(json.loads(request.data))
        return Response("ok")

    httpserver.expect_request("/notify", method="POST").respond_with_handler(hook)
    app.config["NOTIFY_WEBHOOK_URL"] = httpserver.url_for("/notify")
    return received


@pytest.fixture
def fake_mastodon(app, httpserver):
    """An instance: app registration, the OAuth endpoints, and the account check."""
    fake = FakeOAuth(
        httpserver,
        client_id="",
        client_secret="",
        authorize_path="/oauth/authorize",
        token_path="/oauth/token",
        revoke_path="/oauth/revoke",
        client_auth="post",
        expires_in=None,
        refresh=False,
    )
    fake.apps = []

    def register(request):
        form = request.form
        if not form.get("client_name") or not form.get("redirect_uris") or not form.get("scopes"):
            return json_response({"error": "Validation failed"}, 422)
        fake.apps.append(form.to_dict())
        fake.client_id = f"mastodon-client-{len(fake.apps)}"
        fake.client_secret = f"mastodon-secret-{len(fake.apps)}"
        return json_response(
            {
                "id": str(len(fake.apps)),
                "name": form["client_name"],
                "client_id": fake.client_id,
                "client_secret": fake.client_secret,
                "client_secret_expires_at": 0,
                "redirect_uris": [form["redirect_uris"]],
                "scopes": form["scopes"].split(),
            }
        )

    def verify(request):
        if not bearer_ok(fake, request):
            return json_response({"error": "The access token is invalid"}, 401)
        return json_response({"id": "1", "username": "acme", "acct": "acme"})

    httpserver.expect_request("/api/v1/apps", method="POST").respond_with_handler(register)
    httpserver.expect_request(
        "/api/v1/accounts/verify_credentials", method="GET"
    ).respond_with_handler(verify)
    fake.instance = httpserver.url_for("/").rstrip("/")
    return fake


@pytest.fixture
def fake_linkedin(app, httpserver):
    """LinkedIn's OAuth endpoints (www.linkedin.com) and API (api.linkedin.com) on one server."""
    fake = FakeOAuth(
        httpserver,
        client_id="li-client",
        client_secret="li-secret",
        authorize_path="/oauth/v2/authorization",
        token_path="/oauth/v2/accessToken",
        revoke_path="/oauth/v2/revoke",
        client_auth="post",
        pkce=False,
        scope_separator=",",
        expires_in=5184000,
        refresh=False,
    )
    fake.organizations = ["urn:li:organization:2414183"]
    fake.acl_requests = []

    def userinfo(request):
        if not bearer_ok(fake, request):
            return json_response({"message": "Invalid access token"}, 401)
        return json_response({"sub": "782bbtaQ", "name": "Ada Baker", "locale": "en-US"})

    def acls(request):
        fake.acl_requests.append(
            {
                "args": request.args.to_dict(),
                "version": request.headers.get("LinkedIn-Version"),
                "restli": request.headers.get("X-Restli-Protocol-Version"),
            }
        )
        if not bearer_ok(fake, request):
            return json_response({"message": "Invalid access token"}, 401)
        return json_response(
            {
                "paging": {"count": 10, "start": 0, "links": []},
                "elements": [
                    {
                        "roleAssignee": "urn:li:person:782bbtaQ",
                        "state": "APPROVED",
                        "role": "ADMINISTRATOR",
                        "organization": urn,
                    }
                    for urn in fake.organizations
                ],
            }
        )

    httpserver.expect_request("/v2/userinfo", method="GET").respond_with_handler(userinfo)
    httpserver.expect_request("/rest/organizationAcls", method="GET").respond_with_handler(acls)
    base = httpserver.url_for("/").rstrip("/")
    app.config.update(
        LINKEDIN_CLIENT_ID="li-client",
        LINKEDIN_CLIENT_SECRET="li-secret",
        LINKEDIN_AUTH_URL=base,
        LINKEDIN_API_URL=base,
    )
    return fake


@pytest.fixture
def fake_facebook(app, httpserver):
    """Facebook Login's dialog and the Graph API's token, permission and Page endpoints."""
    version = "v23.0"
    fake = FakeOAuth(
        httpserver,
        client_id="fb-app",
        client_secret="fb-secret",
        authorize_path=f"/{version}/dialog/oauth",
        token_path="/unused-token",
        pkce=False,
        refresh=False,
    )
    fake.short_tokens, fake.long_tokens = set(), set()
    fake.declined = set()
    fake.round = 0
    fake.pages = [
        {
            "id": "111",
            "name": "Acme Bakery",
            "instagram_business_account": {"id": "17841400000000001", "username": "acmebakery"},
        },
        {"id": "222", "name": "Acme Café"},
    ]

    def token(request):
        args = request.args.to_dict()
        fake.token_requests.append(args)
        if args.get("client_id") != "fb-app" or args.get("client_secret") != "fb-secret":
            return json_response({"error": {"message": "Invalid client_secret", "code": 1}}, 400)
        if args.get("grant_type") == "fb_exchange_token":
            if args.get("fb_exchange_token") not in fake.short_tokens:
                return json_response({"error": {"message": "Invalid OAuth access token."}}, 400)
            long = f"long-{len(fake.long_tokens)}"
            fake.long_tokens.add(long)
            return json_response(
                {"access_token": long, "token_type": "bearer", "expires_in": 5183944}
            )
        issued = fake.codes.pop(args.get("code", ""), None)
        if issued is None or issued["redirect_uri"] != args.get("redirect_uri"):
            return json_response({"error": {"message": "Invalid verification code"}}, 400)
        short = f"short-{len(fake.short_tokens)}"
        fake.short_tokens.add(short)
        return json_response({"access_token": short, "token_type": "bearer", "expires_in": 5400})

    def permissions(request):
        if request.args.get("access_token") not in fake.long_tokens:
            return json_response({"error": {"message": "Invalid OAuth access token."}}, 400)
        asked = "pages_show_list,pages_read_engagement,pages_manage_posts,instagram_basic"
        return json_response(
            {
                "data": [
                    {"permission": p, "status": "declined" if p in fake.declined else "granted"}
                    for p in asked.split(",")
                ]
            }
        )

    def accounts(request):
        # Only the long-lived token is accepted: Page tokens from a short one would end soon.
        if request.args.get("access_token") not in fake.long_tokens:
            return json_response({"error": {"message": "Invalid OAuth access token."}}, 400)
        assert "instagram_business_account{id,username}" in request.args.get("fields", "")
        fake.round += 1
        return json_response(
            {
                "data": [
                    {**page, "access_token": f"page-{page['id']}-{fake.round}"}
                    for page in fake.pages
                ],
                "paging": {"cursors": {"before": "a", "after": "b"}},
            }
        )

    fake.data_access_days = 90

    def debug_token(request):
        # Asked with the app's own token ("app-id|app-secret") about the person's token.
        if request.args.get("access_token") != "fb-app|fb-secret":
            return json_response({"error": {"message": "Invalid OAuth access token."}}, 400)
        if request.args.get("input_token") not in fake.long_tokens:
            return json_response({"data": {"is_valid": False}})
        now = int(time.time())
        data = {
            "app_id": "fb-app",
            "type": "USER",
            "application": "PageOne",
            "expires_at": now + 60 * 86400,
            "is_valid": True,
            "scopes": ["pages_show_list", "pages_read_engagement", "pages_manage_posts"],
            "user_id": "10001",
        }
        if fake.data_access_days is not None:
            data["data_access_expires_at"] = now + fake.data_access_days * 86400
        return json_response({"data": data})

    httpserver.expect_request(f"/{version}/oauth/access_token", method="GET").respond_with_handler(
        token
    )
    httpserver.expect_request(f"/{version}/debug_token", method="GET").respond_with_handler(
        debug_token
    )
    httpserver.expect_request(f"/{version}/me/permissions", method="GET").respond_with_handler(
        permissions
    )
    httpserver.expect_request(f"/{version}/me/accounts", method="GET").respond_with_handler(
        accounts
    )
    base = httpserver.url_for("/").rstrip("/")
    app.config.update(
        FACEBOOK_CLIENT_ID="fb-app",
        FACEBOOK_CLIENT_SECRET="fb-secret",
        FACEBOOK_AUTH_URL=base,
        FACEBOOK_API_URL=base,
        FACEBOOK_GRAPH_VERSION=version,
    )
    return fake


@pytest.fixture
def fake_wordpress(app, httpserver):
    """A WordPress site: its REST index, the authorisation screen (approving at once, as a
    person would) and the user check with Basic authentication."""
    import base64
    import uuid

    site = httpserver.url_for("/blog").rstrip("/")
    fake = type("FakeWordPress", (), {})()
    fake.site, fake.deny, fake.can_publish, fake.passwords, fake.asked = site, False, True, {}, []

    def index(request):
        return json_response(
            {
                "name": "Acme Blog",
                "authentication": {
                    "application-passwords": {
                        "endpoints": {"authorization": f"{site}/wp-admin/authorize-application.php"}
                    }
                },
            }
        )

    def authorize(request):
        args = request.args.to_dict()
        fake.asked.append(args)
        uuid.UUID(args["app_id"])
        if not args.get("app_name") or not args.get("success_url"):
            return Response("missing", status=400)
        if fake.deny:
            return Response(status=302, headers={"Location": args["reject_url"]})
        password = f"abcd efgh ijkl {len(fake.passwords):04d}"
        fake.passwords["ada"] = password
        extra = urlencode({"site_url": site, "user_login": "ada", "password": password})
        return Response(status=302, headers={"Location": f"{args['success_url']}&{extra}"})

    def me(request):
        header = request.headers.get("Authorization", "")
        user, _, password = base64.b64decode(header.removeprefix("Basic ")).decode().partition(":")
        if fake.passwords.get(user) != password or request.args.get("context") != "edit":
            return json_response({"code": "rest_not_logged_in"}, 401)
        return json_response(
            {"id": 1, "name": "Ada Baker", "capabilities": {"publish_posts": fake.can_publish}}
        )

    httpserver.expect_request("/blog/wp-json/", method="GET").respond_with_handler(index)
    httpserver.expect_request(
        "/blog/wp-admin/authorize-application.php", method="GET"
    ).respond_with_handler(authorize)
    httpserver.expect_request("/blog/wp-json/wp/v2/users/me", method="GET").respond_with_handler(me)
    return fake


def make_jwt(exp: int, kind: str) -> str:
    import base64 as b64

    def part(value: dict) -> str:
        return b64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'ES256K', 'typ': kind})}.{part({'exp': exp, 'scope': kind})}.sig"


@pytest.fixture
def fake_bluesky(app, httpserver):
    """A PDS: createSession with a handle and app password, refreshSession with a refresh JWT."""
    import time

    fake = type("FakePDS", (), {})()
    fake.service = httpserver.url_for("/").rstrip("/")
    fake.password = "abcd-efgh-ijkl-mnop"
    fake.refresh_jwts, fake.calls = set(), []

    def issue():
        now = int(time.time())
        access = make_jwt(now + 7200, f"com.atproto.access.{len(fake.calls)}")
        refresh = make_jwt(now + 90 * 86400, f"com.atproto.refresh.{len(fake.calls)}")
        fake.refresh_jwts.add(refresh)
        return {
            "accessJwt": access,
            "refreshJwt": refresh,
            "handle": "acme.bsky.social",
            "did": "did:plc:acme",
            "active": True,
        }

    def create(request):
        body = request.get_json(silent=True) or {}
        fake.calls.append(("create", body))
        if body.get("identifier") != "acme.bsky.social" or body.get("password") != fake.password:
            return json_response(
                {"error": "AuthenticationRequired", "message": "Invalid identifier or password"},
                401,
            )
        return json_response(issue())

    def refresh(request):
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        fake.calls.append(("refresh", token))
        if token not in fake.refresh_jwts:
            return json_response({"error": "ExpiredToken", "message": "Token has expired"}, 400)
        fake.refresh_jwts.discard(token)
        return json_response(issue())

    httpserver.expect_request(
        "/xrpc/com.atproto.server.createSession", method="POST"
    ).respond_with_handler(create)
    httpserver.expect_request(
        "/xrpc/com.atproto.server.refreshSession", method="POST"
    ).respond_with_handler(refresh)
    return fake
