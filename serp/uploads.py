"""Result pages people upload: a saved HTML page or a CSV of checks, stored as checks of a
tracked query once they are known to be what they claim."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from core import audit
from core.i18n import number
from core.models import User
from serp import upkeep
from serp.checks import store_check
from serp.errors import SerpError, check_editor
from serp.models import CheckStatus, SerpCheck, TrackedQuery
from serp.providers.html import read_page
from serp.providers.manual import read_csv

DEFAULT_MAX_PAGE_BYTES = 5 * 1024 * 1024


def check_page_size(size: int, config: Mapping[str, Any]) -> None:
    """Refuse an uploaded result page over SERP_MAX_PAGE_BYTES, naming the limit."""
    limit = int(config.get("SERP_MAX_PAGE_BYTES") or DEFAULT_MAX_PAGE_BYTES)
    if size > limit:
        raise SerpError(
            _(
                "The uploaded page is %(size)s, over the %(limit)s limit for result pages "
                "(SERP_MAX_PAGE_BYTES). Result pages weigh 0.3–2 MB: save the page as “HTML "
                "only”, without embedded images.",
                size=_megabytes(size),
                limit=_megabytes(limit),
            )
        )


def _megabytes(size: int) -> str:
    if size >= 1024 * 1024:
        return _("%(size)s MB", size=number(size / (1024 * 1024), 1))
    return _("%(size)s bytes", size=number(size))


# Files people upload by mistake in place of a saved result page, told by their first bytes (as
# characters: uploads are decoded as UTF-8, or Latin-1 which maps each byte to one character).
NOT_A_PAGE = (
    ("\x89PNG\r\n\x1a\n", _l("This file is a PNG image, not a saved result page.")),
    ("\xff\xd8\xff", _l("This file is a JPEG image, not a saved result page.")),
    ("GIF87a", _l("This file is a GIF image, not a saved result page.")),
    ("GIF89a", _l("This file is a GIF image, not a saved result page.")),
    ("%PDF-", _l("This file is a PDF document, not a saved result page.")),
    (
        "PK\x03\x04",
        _l("This file is a ZIP archive (or an Office document), not a saved result page."),
    ),
)
_MARKUP = re.compile(r"<\s*(?:!doctype|html|head|body|div|a|p|span|table|title|meta)\b", re.I)


def refuse_non_html(content: str) -> None:
    """Refuse an upload that is not an HTML page before anything is stored, saying what it is:
    kept, it would be an "error" check for ever."""
    head = content.lstrip("\ufeff")
    how = _(
        "Save the search results page from the browser as HTML (File → Save page as…, "
        "“Web page, HTML only”) and upload that file."
    )
    for magic, what in NOT_A_PAGE:
        if head.startswith(magic):
            raise SerpError(f"{what} {how}")
    if "\x00" in head[:4096]:
        raise SerpError(_("This file is not text, so not a saved result page.") + " " + how)
    if not _MARKUP.search(head):
        no_markup = _("This file has no HTML markup, so it is not a saved result page.")
        raise SerpError(f"{no_markup} {how}")


def import_upload(
    session: Session,
    query: TrackedQuery,
    actor: User | None,
    *,
    content: str,
    kind: str,
    checked_at: datetime,
    config: Mapping[str, Any] | None = None,
) -> list[SerpCheck]:
    """Store uploaded pages as checks: one saved HTML page, or a CSV of one or more checks."""
    check_editor(actor)
    if query.deleted_at is not None:
        raise SerpError(_("This query was deleted; uploads go to a tracked query."))
    if kind == "csv":
        upload = read_csv(content)
        if upload.errors:
            raise SerpError(*upload.errors)
        checks = [
            store_check(
                session,
                query,
                status=CheckStatus.OK.value,
                results=results,
                checked_at=when,
                provider="manual",
            )  # fmt: skip
            for when, results in upload.checks.items()
        ]
    elif kind == "html":
        # The pages' callers check the bytes as uploaded; characters are never more than those.
        check_page_size(len(content), config or {})
        if not content.strip():
            raise SerpError(_("The uploaded page is empty."))
        refuse_non_html(content)
        page = read_page(content, query.engine)
        checks = [
            store_check(
                session,
                query,
                status=page.status,
                results=page.results,
                checked_at=checked_at,
                provider="manual",
                reason=page.reason,
                pages=[{"page": 0, "format": "html", "body": content}],
                features=[(0, page.features)] if page.features else (),
            )  # fmt: skip
        ]
    else:
        raise SerpError(_("Upload an HTML page or a CSV file."))
    upkeep.after_checks(session, checks)
    latest = max(check.checked_at for check in checks)
    if query.last_checked_at is None or latest > query.last_checked_at:
        query.last_checked_at = latest
    session.flush()
    audit.record(
        session, actor, "serp.upload", "serp_query", query.id, brand_id=query.brand_id,
        kind=kind, checks=len(checks),
    )  # fmt: skip
    return checks
