"""A post's status as people read it, in the page's language (stored as "pending_approval")."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

STATUS_NAMES = {
    "draft": _l("draft"),
    "pending_approval": _l("pending approval"),
    "scheduled": _l("scheduled"),
    "publishing": _l("publishing"),
    "published": _l("published"),
    "failed": _l("failed"),
    "unconfirmed": _l("unconfirmed"),
    "missed": _l("missed"),
    "held": _l("held"),
}


def status_name(status: str | None) -> str:
    value = str(status or "")
    return str(STATUS_NAMES.get(value, value.replace("_", " ")))
