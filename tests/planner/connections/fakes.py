"""Local stand-ins for the providers' OAuth endpoints, strict about the requests they accept."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def json_response(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


@dataclass
class FakeOAuth:
    """An authorization server: authorize (answers with a redirect, as after consent), token
    (code and refresh grants), revoke. Records what it was asked."""

    server: HTTPServer
    client_id: str
    client_secret: str
    authorize_path: str
    token_path: str
    revoke_path: str | None = None
    # "basic": client credentials in the Authorization header; "post": in the form body.
    client_auth: str = "basic"
    pkce: bool = True
    scopes_granted: str | None = None  # None: what was asked for
    scope_separator: str = " "
    expires_in: int | None = 7200
    refresh: bool = True
    rotate: bool = True
    refresh_token_expires_in: int | None = None
    deny: bool = False
    fail_refresh: str | None = None  # "refused" or "down"
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    access_tokens: set[str] = field(default_factory=set)
    refresh_tokens: set[str] = field(default_factory=set)
    refresh_scopes: dict[str, str] = field(default_factory=dict)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    revoked: list[dict[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.server.expect_request(self.authorize_path, method="GET").respond_with_handler(
            self._authorize
        )
        self.server.expect_request(self.token_path, method="POST").respond_with_handler(self._token)
        if self.revoke_path:
            self.server.expect_request(self.revoke_path, method="POST").respond_with_handler(
                self._revoke
            )

    def url(self, path: str) -> str:
        return self.server.url_for(path).rstrip("/")

    # --- endpoints ---

    def _authorize(self, request: Request) -> Response:
        args = request.args
        redirect = args.get("redirect_uri", "")
        if args.get("client_id") != self.client_id or args.get("response_type") != "code":
            return Response("bad client or response type", status=400)
        if self.pkce and (
            args.get("code_challenge_method") != "S256" or len(args.get("code_challenge", "")) < 43
        ):
            return Response("PKCE required", status=400)
        if self.deny:
            query = {"error": "access_denied", "state": args.get("state", "")}
        else:
            code = secrets.token_urlsafe(12)
            self.codes[code] = {
                "redirect_uri": redirect,
                "challenge": args.get("code_challenge", ""),
                "scope": args.get("scope", ""),
            }
            query = {"code": code, "state": args.get("state", "")}
        return Response(status=302, headers={"Location": f"{redirect}?{urlencode(query)}"})

    def _client_ok(self, request: Request) -> bool:
        if self.client_auth == "basic":
            header = request.headers.get("Authorization", "")
            expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
            return header == f"Basic {expected}"
        form = request.form
        return form.get("client_id") == self.client_id and (
            form.get("client_secret") == self.client_secret
        )

    def issue(self, scope: str) -> dict[str, Any]:
        access = "at-" + secrets.token_urlsafe(8)
        self.access_tokens.add(access)
        answer: dict[str, Any] = {"access_token": access, "token_type": "bearer"}
        if self.expires_in:
            answer["expires_in"] = self.expires_in
        granted = self.scopes_granted if self.scopes_granted is not None else scope
        answer["scope"] = granted.replace(" ", self.scope_separator)
        if self.refresh:
            refresh = "rt-" + secrets.token_urlsafe(8)
            self.refresh_tokens.add(refresh)
            self.refresh_scopes[refresh] = scope
            answer["refresh_token"] = refresh
            if self.refresh_token_expires_in:
                answer["refresh_token_expires_in"] = self.refresh_token_expires_in
        return answer

    def _token(self, request: Request) -> Response:
        form = request.form.to_dict()
        self.token_requests.append(form)
        if not request.content_type.startswith("application/x-www-form-urlencoded"):
            self.problems.append("token request not form-encoded")
            return json_response({"error": "invalid_request"}, 400)
        if not self._client_ok(request):
            self.problems.append("client authentication")
            return json_response({"error": "invalid_client"}, 401)
        grant = form.get("grant_type")
        if grant == "authorization_code":
            issued = self.codes.pop(form.get("code", ""), None)
            if issued is None or issued["redirect_uri"] != form.get("redirect_uri"):
                return json_response(
                    {"error": "invalid_grant", "error_description": "bad code"}, 400
                )
            if self.pkce and s256(form.get("code_verifier", "")) != issued["challenge"]:
                self.problems.append("code_verifier does not match")
                return json_response({"error": "invalid_grant", "error_description": "PKCE"}, 400)
            return json_response(self.issue(issued["scope"]))
        if grant == "refresh_token":
            if self.fail_refresh == "down":
                return Response("upstream timeout", status=503)
            token = form.get("refresh_token", "")
            if self.fail_refresh == "refused" or token not in self.refresh_tokens:
                return json_response(
                    {
                        "error": "invalid_request",
                        "error_description": "Value passed for the token was invalid.",
                    },
                    400,
                )
            answer = self.issue("")
            answer["scope"] = (
                self.scopes_granted or "tweet.read tweet.write users.read offline.access"
            )
            if self.rotate:
                self.refresh_tokens.discard(token)
            else:
                self.refresh_tokens.discard(answer.pop("refresh_token"))
            return json_response(answer)
        return json_response({"error": "unsupported_grant_type"}, 400)

    def _revoke(self, request: Request) -> Response:
        if not self._client_ok(request):
            return json_response({"error": "invalid_client"}, 401)
        self.revoked.append(request.form.to_dict())
        self.refresh_tokens.discard(request.form.get("token", ""))
        self.access_tokens.discard(request.form.get("token", ""))
        return json_response({"revoked": True})

    # --- helpers for tests that play the browser ---

    def consent(self, authorize_url: str) -> dict[str, str]:
        """Follow the app's redirect to the authorize page as a browser would; the query the
        provider sends back to the callback."""
        import requests

        answer = requests.get(authorize_url, allow_redirects=False, timeout=5)
        assert answer.status_code == 302, answer.text
        location = answer.headers["Location"]
        return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def bearer_ok(fake: FakeOAuth, request: Request) -> bool:
    header = request.headers.get("Authorization", "")
    return header.startswith("Bearer ") and header[7:] in fake.access_tokens
