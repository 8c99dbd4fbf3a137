"""What every feature's JSON API shares: bearer-token (or session + CSRF) authentication, the
request body, instants, and the error answers (`{"error": ..., "errors": [...]}`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from flask import Blueprint, jsonify, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from core.auth import load_user_from_bearer
from core.errors import NotFound, Refused
from core.extensions import csrf, login_manager
from core.models import Role
from core.parsing import to_utc

F = TypeVar("F", bound=Callable[..., Any])


def iso(value: datetime | None) -> str | None:
    """An instant as the API writes it: ISO 8601 in UTC with a ``Z``."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


class ApiError(Exception):
    """An API answer other than success: its status, message and every reason."""

    def __init__(self, status: int, message: str, errors: list[str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.errors = status, message, errors or [message]


def api_error(exc: ApiError) -> Any:
    return jsonify(error=exc.message, errors=exc.errors), exc.status


def not_found(exc: NotFound) -> Any:
    return jsonify(error=str(exc), errors=exc.errors), 404


def refused(exc: Refused) -> Any:
    return jsonify(error=exc.errors[0], errors=exc.errors), 422


def register_api_errors(bp: Blueprint) -> None:
    """The JSON answers of a feature's API blueprint: its own errors, 404 and 422."""
    bp.register_error_handler(ApiError, api_error)
    bp.register_error_handler(NotFound, not_found)
    bp.register_error_handler(Refused, refused)


def api_auth(role: Role = Role.VIEWER) -> Callable[[F], F]:
    """A bearer token or a logged-in browser session; unsafe methods from a session need CSRF.

    A request that sends a bearer token is judged by the token alone: a session cookie the
    same client holds is not read, so a script is neither refused for the cookie's missing
    CSRF token nor let in by the cookie when its token is wrong.
    """

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            by_token = _sends_bearer_token()
            if by_token:
                user = load_user_from_bearer(request)
                if user is None:
                    raise ApiError(
                        401,
                        "The bearer token is unknown or revoked: send 'Authorization: Bearer "
                        "<token>' with a token from your account page.",
                    )
                # Set before anything reads current_user, which would load the session's user.
                login_manager._update_request_context_with_user(user)
            elif not current_user.is_authenticated:
                raise ApiError(
                    401, "Authentication required: send 'Authorization: Bearer <token>'."
                )
            if request.method not in ("GET", "HEAD", "OPTIONS") and not by_token:
                try:
                    csrf.protect()
                except CSRFError as exc:
                    raise ApiError(400, f"CSRF check failed: {exc.description}") from None
            if not current_user.has_role(role):
                raise ApiError(403, f"This needs the {role.value} role or higher.")
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def _sends_bearer_token() -> bool:
    scheme, _, _token = request.headers.get("Authorization", "").strip().partition(" ")
    return scheme.lower() == "bearer"


def body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "Send a JSON object with Content-Type: application/json.")
    return data


def parse_instant(value: Any, field: str, default_zone: ZoneInfo | None = None) -> datetime:
    """An ISO 8601 instant; without an offset it is read in default_zone (or refused)."""
    if not isinstance(value, str) or not value.strip():
        raise ApiError(422, f"'{field}' must be an ISO 8601 date-time.")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ApiError(422, f"'{field}' is not an ISO 8601 date-time: {value!r}.") from None
    if parsed.tzinfo is None:
        if default_zone is None:
            raise ApiError(422, f"'{field}' needs a UTC offset, e.g. 2026-05-01T09:00:00Z.")
        parsed = parsed.replace(tzinfo=default_zone)
    return to_utc(parsed, field)
