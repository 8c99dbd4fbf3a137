"""Security headers on every response, throttling of login and API-token guesses, the 429 answer."""

from __future__ import annotations

import math
import secrets
import time
from contextlib import nullcontext
from typing import Any

from flask import Flask, current_app, flash, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_limiter import RateLimitExceeded
from flask_limiter.util import get_remote_address
from limits import parse
from werkzeug.exceptions import TooManyRequests
from werkzeug.middleware.proxy_fix import ProxyFix

from core.extensions import limiter
from core.i18n import language

# Same for every response; the Content-Security-Policy is added per response for its nonce.
SECURITY_HEADERS = {
    # Old browsers' spelling of frame-ancestors 'none': no page of PageOne is meant to be framed.
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # Paths hold brand and post ids and feed tokens; other sites learn nothing from a click.
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def csp_nonce() -> str:
    """This response's nonce: inline <script> and <style> elements run only when they carry it."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def content_security_policy(nonce: str) -> str:
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            f"style-src 'self' 'nonce-{nonce}'",
            # style="" attributes place calendar windows and colour dots; they cannot run code.
            "style-src-attr 'unsafe-inline'",
            "img-src 'self' data:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def add_security_headers(response: Any) -> Any:
    response.headers.setdefault("Content-Security-Policy", content_security_policy(csp_nonce()))
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def submitted_account() -> str:
    """The per-account throttle key: the email as typed, normalised the way login looks it up."""
    email = request.form.get("email", "").strip().lower()[:254]
    return "account:" + (email or "(blank)")


def client_address() -> str:
    return "address:" + (get_remote_address() or "unknown")


def login_failed(response: Any) -> bool:
    # A login that worked redirects; only the attempts that did not are counted.
    return response.status_code != 302


def _throttling_on() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED")) and limiter.initialized


def token_retry_after() -> int | None:
    """Seconds this address must wait before its bearer tokens are checked again, if any."""
    if not _throttling_on():
        return None
    limit = parse(current_app.config["API_TOKEN_FAILURE_LIMIT"])
    key = ("api-token-failures", client_address())
    if limiter.limiter.test(limit, *key):
        return None
    return _seconds_until(limiter.limiter.get_window_stats(limit, *key).reset_time)


def record_token_failure() -> None:
    """Count one unknown bearer token against the address that sent it."""
    if _throttling_on():
        limit = parse(current_app.config["API_TOKEN_FAILURE_LIMIT"])
        limiter.limiter.hit(limit, "api-token-failures", client_address())


def _seconds_until(moment: float) -> int:
    return max(1, math.ceil(moment - time.time()))


def refuse_throttled_tokens() -> None:
    # Checked before the view so that a guessed token is refused without being looked up.
    if request.headers.get("Authorization", "").lower().startswith("bearer "):
        wait = token_retry_after()
        if wait is not None:
            raise TooManyRequests(
                description=(
                    f"Too many requests with unknown API tokens from your address. "
                    f"Try again in {wait} seconds."
                ),
                retry_after=wait,
            )


def _login_wait_message(exc: RateLimitExceeded, wait: int) -> str:
    by_account = exc.limit.key_func is submitted_account
    if request.endpoint in ("team.change_password", "team.change_email"):
        return ngettext(
            "Too many wrong passwords. Wait %(num)d second, then try again.",
            "Too many wrong passwords. Wait %(num)d seconds, then try again.",
            wait,
        )
    if request.endpoint == "team.forgot_password":
        if by_account:
            return ngettext(
                "Too many password reset requests for this email. Wait %(num)d second, then "
                "try again.",
                "Too many password reset requests for this email. Wait %(num)d seconds, then "
                "try again.",
                wait,
            )
        return ngettext(
            "Too many password reset requests from your address. Wait %(num)d second, then "
            "try again.",
            "Too many password reset requests from your address. Wait %(num)d seconds, then "
            "try again.",
            wait,
        )
    if by_account:
        return ngettext(
            "Too many failed logins for this account. Wait %(num)d second, then try again.",
            "Too many failed logins for this account. Wait %(num)d seconds, then try again.",
            wait,
        )
    return ngettext(
        "Too many failed logins from your network address. Wait %(num)d second, then try again.",
        "Too many failed logins from your network address. Wait %(num)d seconds, then try again.",
        wait,
    )


def too_many_requests(exc: TooManyRequests) -> Any:
    """429 with Retry-After, as the login page, JSON for the API, or the error page."""
    from core.forms import LoginForm
    from core.web import wants_json

    # The JSON API answers in English (API convention); a page in the person's language.
    with language("en") if wants_json() else nullcontext():
        if isinstance(exc, RateLimitExceeded):
            current = limiter.current_limit
            wait = _seconds_until(current.window.reset_time) if current is not None else 60
            message = _login_wait_message(exc, wait)
        else:
            wait = int(getattr(exc, "retry_after", None) or 60)
            message = exc.description or _("Too many requests. Try again later.")
    if request.endpoint == "auth.login" and not wants_json():
        flash(message, "error")
        response = current_app.make_response(
            (render_template("auth/login.html", form=LoginForm()), 429)
        )
    elif wants_json():
        response = current_app.make_response(
            (jsonify(error="Too Many Requests", message=message), 429)
        )
    else:
        exc.description = message
        response = current_app.make_response((render_template("error.html", error=exc), 429))
    response.headers["Retry-After"] = str(wait)
    return response


def register_security(app: Flask) -> None:
    """Headers on every response, the limiter and its 429 answer, trusted proxies."""
    proxies = app.config.get("TRUSTED_PROXIES", 0)
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    for name in (
        "LOGIN_LIMIT_PER_ACCOUNT",
        "LOGIN_LIMIT_PER_ADDRESS",
        "API_TOKEN_FAILURE_LIMIT",
        "RESET_LIMIT_PER_ACCOUNT",
        "RESET_LIMIT_PER_ADDRESS",
    ):
        try:
            parse(app.config[name])
        except ValueError as exc:
            raise ValueError(f"{name} is not a limit such as '5 per minute': {exc}") from exc
    limiter.init_app(app)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.before_request(refuse_throttled_tokens)
    app.after_request(add_security_headers)
    app.register_error_handler(429, too_many_requests)
