"""Helpers shared by the pages of every feature: the brand of the URL, error messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash
from flask_babel import gettext as _
from flask_login import current_user

from core.db import db
from core.errors import NotFound, Refused
from core.tenants import Brand, brand_for


def member_brand(brand_id: int) -> Brand:
    """The brand of the URL if the current user belongs to it, else 404 (never reveal others)."""
    try:
        return brand_for(db.session, current_user, brand_id)
    except NotFound:
        abort(404, description=_("No such brand, or you are not a member of it."))


def flash_errors(errors: list[str]) -> None:
    for error in errors:
        flash(error, "error")


def commit_or_flash(action: Callable[[], Any]) -> bool:
    """Run a form's operation: commit it, or roll back and show every reason. Whether it went."""
    try:
        action()
    except Refused as exc:
        db.session.rollback()
        flash_errors(exc.errors)
        return False
    db.session.commit()
    return True
