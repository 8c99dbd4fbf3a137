"""Helpers shared by the pages of every feature: the brand of the URL, error messages."""

from __future__ import annotations

from flask import abort, flash
from flask_login import current_user

from core.db import db
from planner import operations as ops
from planner.models import Brand


def member_brand(brand_id: int) -> Brand:
    """The brand of the URL if the current user belongs to it, else 404 (never reveal others)."""
    try:
        return ops.brand_for(db.session, current_user, brand_id)
    except ops.NotFound:
        abort(404, description="No such brand, or you are not a member of it.")


def flash_errors(errors: list[str]) -> None:
    for error in errors:
        flash(error, "error")
