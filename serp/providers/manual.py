"""Pages a person uploads: a saved HTML page, or a CSV of checked_at, position, url, title."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from core.parsing import InvalidInput, csv_header, csv_rows, parse_int, to_utc
from serp.models import CheckStatus
from serp.parse import SerpResult

from .base import Provider, ProviderPage, QuerySpec
from .html import read_page

CSV_COLUMNS = ("checked_at", "position", "url", "title")
MAX_CSV_ROWS = 100_000


class ManualUpload(Provider):
    name = "manual"
    label = "Manual upload"
    engines = ("google", "bing", "duckduckgo", "brave")

    def fetch(self, query: QuerySpec, page: int, settings: Mapping[str, Any]) -> ProviderPage:
        return ProviderPage.error("this query is checked by uploading pages, not fetched")

    def parse_raw(self, raw: str, raw_format: str, query: QuerySpec) -> ProviderPage:
        if raw_format == "csv":
            parsed = read_csv(raw)
            results = [r for group in parsed.checks.values() for r in group]
            return ProviderPage(CheckStatus.OK.value, results, raw=raw, raw_format="csv")
        return read_page(raw, query.engine)


@dataclass
class CsvUpload:
    """Checks read from a CSV, by time, or every problem found with its line number."""

    checks: dict[datetime, list[SerpResult]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def _instant(value: str) -> datetime:
    text = value.strip().replace("Z", "+00:00")
    parsed = datetime.fromisoformat(text)
    # A date alone or a time without offset is taken as UTC, as most rank trackers export.
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else to_utc(parsed, "checked_at")


def read_csv(text: str) -> CsvUpload:
    """Read an uploaded CSV: a header with checked_at, position, url (title optional)."""
    upload = CsvUpload()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))

    def upload_error(line: int, problem: str) -> None:
        upload.errors.append(f"Line {line}: {problem[0].upper()}{problem[1:]}")

    header = [name.lower() for name in csv_header(reader, upload_error)]
    if upload.errors:
        return upload
    missing = [name for name in CSV_COLUMNS[:3] if name not in header]
    if missing:
        upload.errors.append(
            f"The CSV needs a header row with {', '.join(CSV_COLUMNS)}; missing: "
            + ", ".join(missing)
        )
        return upload
    reader.fieldnames = header
    rows: dict[datetime, dict[int, SerpResult]] = {}
    for line, row in enumerate(csv_rows(reader, upload_error), start=2):
        if line > MAX_CSV_ROWS + 1:
            upload.errors.append(f"More than {MAX_CSV_ROWS} rows; split the file.")
            break
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue
        try:
            checked_at = _instant(row.get("checked_at") or "")
        except InvalidInput as exc:
            upload.errors.append(f"Line {line}: {exc.message}")
            continue
        except ValueError:
            upload.errors.append(
                f"Line {line}: checked_at {row.get('checked_at')!r} is not a date."
            )
            continue
        position_text = (row.get("position") or "").strip()
        try:
            position = parse_int(position_text, "position", minimum=1)
        except InvalidInput:
            position = None
        if position is None:
            upload.errors.append(f"Line {line}: position {position_text[:20]!r} is not 1 or more.")
            continue
        url = (row.get("url") or "").strip()
        if not url.startswith(("http://", "https://")):
            upload.errors.append(f"Line {line}: url {url!r} is not a full http(s) address.")
            continue
        group = rows.setdefault(checked_at, {})
        if position in group:
            upload.errors.append(
                f"Line {line}: position {position} appears twice for {checked_at}."
            )
            continue
        group[position] = SerpResult(position, url, (row.get("title") or "").strip(), "")
    if not rows and not upload.errors:
        upload.errors.append("The CSV has no rows.")
    upload.checks = {
        when: [group[p] for p in sorted(group)] for when, group in sorted(rows.items())
    }
    return upload
