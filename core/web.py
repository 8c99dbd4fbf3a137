"""Shared web pieces: front-end libraries from node_modules, error pages, JSON errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException, NotFound, UnprocessableEntity
from werkzeug.routing import IntegerConverter

from core.db import db
from core.i18n import current_language, http_error_words
from core.parsing import DB_INT_MAX, InvalidInput

bp = Blueprint("core", __name__)

# Only these npm packages are served; the rest of node_modules stays private.
VENDOR_PACKAGES = ("fullcalendar", "chart.js")


@bp.route("/vendor/<package>/<path:filename>")
def vendor(package: str, filename: str) -> Any:
    if package not in VENDOR_PACKAGES:
        abort(404)
    root = Path(current_app.root_path) / "node_modules" / package
    return send_from_directory(root, filename, max_age=86400)


@bp.get("/favicon.ico")
def favicon() -> Any:
    """Browsers ask for /favicon.ico on pages that name no icon (public pages, feeds)."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.get("/api/v1/openapi.json")
def openapi_json() -> Any:
    from core.openapi import document

    return document()


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


class DatabaseIdConverter(IntegerConverter):
    """`<int:...>` in every route: ASCII digits only, and no larger than an id column holds.

    A larger number names no row; passed on, it made PostgreSQL fail the statement (a 500).
    It is a 404 at once: werkzeug would read a converter's refusal as "another method may
    match" and answer 405 for some methods.
    """

    regex = r"[0-9]+"

    def to_python(self, value: str) -> Any:
        if len(value) > len(str(DB_INT_MAX)) or int(value) > DB_INT_MAX:
            raise NotFound()
        return super().to_python(value)


# JSON bodies up to this size are checked before the view; larger ones are uploaded files
# (review exports), which their importer reads and checks itself.
CHECKED_JSON_BYTES = 1024 * 1024
NUL_REASON = "contains a NUL character (U+0000), which cannot be stored; remove it."


def register_input_checks(app: Flask) -> None:
    """Before any route is added (a converter applies when a rule is bound to the map): ids
    that fit the database, and no NUL characters anywhere a user can send text."""
    app.url_map.converters["int"] = DatabaseIdConverter
    app.before_request(refuse_nul_characters)


def _nul_in(value: Any, where: str) -> str | None:
    """The path (`where`, `where.key`, `where[0]`) of the first text holding a NUL."""
    if isinstance(value, str):
        return where if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _nul_in(key, where) or _nul_in(item, f"{where}.{key}" if where else str(key))
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _nul_in(item, f"{where}[{index}]")
            if found is not None:
                return found
    return None


def refuse_nul_characters() -> None:
    """PostgreSQL text cannot hold NUL: a value with one failed its statement (a 500)."""
    pairs = [*(request.view_args or {}).items(), *request.args.items(multi=True)]
    if request.mimetype == "application/x-www-form-urlencoded":
        pairs += request.form.items(multi=True)
    for name, value in pairs:
        if "\x00" in name or (isinstance(value, str) and "\x00" in value):
            raise InvalidInput(name.replace("\x00", ""), NUL_REASON)
    if request.is_json and (request.content_length or 0) <= CHECKED_JSON_BYTES:
        found = _nul_in(request.get_json(silent=True), "")
        if found is not None:
            raise InvalidInput(found.replace("\x00", "") or "body", NUL_REASON)


MINIMAL_ERROR_PAGE = (
    "<!doctype html><html lang={lang}><meta charset=utf-8><title>{code}</title>"
    "<h1>{title}</h1><p>{text}</p><p><a href=/>{back}</a></p></html>"
)


def _roll_back() -> None:
    # A failed statement leaves the transaction aborted; the error page's own queries (the
    # navigation's brands) would fail on it and turn any error into a bare server error.
    try:
        db.session.rollback()
    except Exception:
        current_app.logger.exception("rolling back before the error page failed")


def _error_page(error: HTTPException | None, code: int) -> Any:
    """The full error page, or a minimal static one when rendering it fails too."""
    try:
        return render_template("error.html", error=error), code
    except Exception:
        current_app.logger.exception("the error page failed; answering with the minimal page")
        _roll_back()
        words = _minimal_page_words(error)
        page = MINIMAL_ERROR_PAGE.format(code=code, **{k: escape(v) for k, v in words.items()})
        return page, code, {"Content-Type": "text/html; charset=utf-8"}


def _minimal_page_words(error: HTTPException | None) -> dict[str, str]:
    """The minimal page's words in the page's language, or in English when even the
    catalogues fail (this page is the last answer left)."""
    english = {
        "lang": "en",
        "title": error.name if error else "Something went wrong",
        "text": (error.description or "") if error else "The error was logged. Please try again.",
        "back": "Back to PageOne",
    }
    try:
        if error is not None:
            title, text = http_error_words(error)
        else:
            title = _("Something went wrong")
            text = _(
                "The error was logged. Please try again; if it keeps happening, tell your "
                "administrator."
            )
        return {"lang": current_language(), "title": title, "text": text,
                "back": _("Back to PageOne")}  # fmt: skip
    except Exception:
        current_app.logger.exception("the minimal error page could not be translated")
        return english


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        _roll_back()  # nothing of a refused request is kept; teardown would roll back too
        if wants_json():
            return jsonify(error=exc.name, message=exc.description), exc.code
        return _error_page(exc, exc.code or 500)

    @app.errorhandler(CSRFError)
    def csrf_failed(exc: CSRFError) -> Any:
        # A page answers with the friendly words of core.i18n.FORM_EXPIRED; the JSON API keeps
        # Flask-WTF's English reason (API convention), as core.api does for its own check.
        _roll_back()
        current_app.logger.info("form refused by the CSRF check: %s", exc.description)
        if wants_json():
            return jsonify(error=exc.name, message=f"CSRF check failed: {exc.description}"), 400
        return _error_page(exc, 400)

    @app.errorhandler(InvalidInput)
    def invalid_input(exc: InvalidInput) -> Any:
        _roll_back()
        if wants_json():
            return jsonify(error=exc.message, errors=[exc.message], field=exc.field), 422
        return _error_page(UnprocessableEntity(exc.page_message()), 422)

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception) -> Any:
        # Logged with its traceback; the user sees a short message, never a stack trace.
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        _roll_back()
        if wants_json():
            return jsonify(error="Internal Server Error", message="Something went wrong."), 500
        return _error_page(None, 500)
