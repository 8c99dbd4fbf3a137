"""The errors search tracking raises, and who may change what it tracks."""

from __future__ import annotations

from flask_babel import gettext as _

from core import errors
from core.models import Role, User


class SerpError(errors.Refused):
    """A request search tracking refuses, with every reason a person can act on."""


class NotFound(errors.NotFound):
    pass


def check_editor(user: User | None) -> None:
    """Refuse a viewer: only editors change tracked queries and labels."""
    if user is not None and not user.has_role(Role.EDITOR):
        raise SerpError(_("Viewers cannot change tracked queries or labels."))
