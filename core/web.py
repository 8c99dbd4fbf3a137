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
    render_template,
    request,
    send_from_directory,
)
from werkzeug.exceptions import HTTPException

bp = Blueprint("core", __name__)

# Only these npm packages are served; the rest of node_modules stays private.
VENDOR_PACKAGES = ("fullcalendar", "chart.js")


@bp.route("/vendor/<package>/<path:filename>")
def vendor(package: str, filename: str) -> Any:
    if package not in VENDOR_PACKAGES:
        abort(404)
    root = Path(current_app.root_path) / "node_modules" / package
    return send_from_directory(root, filename, max_age=86400)


@bp.get("/api/v1/openapi.json")
def openapi_json() -> Any:
    from core.openapi import document

    return document()


@bp.route("/healthz")
def healthz() -> Any:
    return {"status": "ok"}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        if wants_json():
            return jsonify(error=exc.name, message=exc.description), exc.code
        return render_template("error.html", error=exc), exc.code

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception) -> Any:
        # Logged with its traceback; the user sees a short message, never a stack trace.
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        if wants_json():
            return jsonify(error="Internal Server Error", message="Something went wrong."), 500
        return render_template("error.html", error=None), 500
