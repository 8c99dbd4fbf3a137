"""Result pages people upload: a saved HTML page or a CSV of checks, stored as checks of a
tracked query once they are known to be what they claim."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from core import audit
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
            f"The uploaded page is {_megabytes(size)}, over the {_megabytes(limit)} limit for "
            "result pages (SERP_MAX_PAGE_BYTES). Result pages weigh 0.3–2 MB: save the page "
            "as “HTML only”, without embedded images."
        )


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB" if size >= 1024 * 1024 else f"{size:,} bytes"


# Files people upload by mistake in place of a saved result page, told by their first bytes (as
# characters: uploads are decoded as UTF-8, or Latin-1 which maps each byte to one character).
NOT_A_PAGE = (
    ("\x89PNG\r\n\x1a\n", "a PNG image"),
    ("\xff\xd8\xff", "a JPEG image"),
    ("GIF87a", "a GIF image"),
    ("GIF89a", "a GIF image"),
    ("%PDF-", "a PDF document"),
    ("PK\x03\x04", "a ZIP archive (or an Office document)"),
)
_MARKUP = re.compile(r"<\s*(?:!doctype|html|head|body|div|a|p|span|table|title|meta)\b", re.I)


def refuse_non_html(content: str) -> None:
    """Refuse an upload that is not an HTML page before anything is stored, saying what it is:
    kept, it would be an "error" check for ever."""
    head = content.lstrip("\ufeff")
    how = (
        "Save the search results page from the browser as HTML (File → Save page as…, "
        "“Web page, HTML only”) and upload that file."
    )
    for magic, what in NOT_A_PAGE:
        if head.startswith(magic):
            raise SerpError(f"This file is {what}, not a saved result page. {how}")
    if "\x00" in head[:4096]:
        raise SerpError(f"This file is not text, so not a saved result page. {how}")
    if not _MARKUP.search(head):
        raise SerpError(f"This file has no HTML markup, so it is not a saved result page. {how}")


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
        raise SerpError("This query was deleted; uploads go to a tracked query.")
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
            raise SerpError("The uploaded page is empty.")
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
        raise SerpError("Upload an HTML page or a CSV file.")
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
