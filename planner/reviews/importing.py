"""Reviews imported from an export file: new ones stored, known ones updated, in chunks."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, literal, literal_column, select, union_all, update
from sqlalchemy.orm import Session

from core import audit
from core.models import User
from core.sentiment import Analysis, analyse_reviews
from core.tenants import Brand
from planner.reviews.importers import ParsedFile, ReviewRow, parse_file
from planner.reviews.models import Review

CHUNK = 2000


@dataclass
class ImportReport:
    format: str
    errors: list[tuple[str, str]] = field(default_factory=list)  # (where, reason)
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "ok": self.ok,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": [{"where": w, "reason": r} for w, r in self.errors],
        }


def _chunks(rows: Sequence[ReviewRow], size: int) -> Iterator[Sequence[ReviewRow]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _stored_values(
    row: ReviewRow, content_hash: str, found: Analysis, details: list[str]
) -> dict[str, Any]:
    return {
        "rating": row.rating,
        "title": row.title,
        "text": row.text,
        "author": row.author,
        "created_at": row.created_at,
        "url": row.url,
        "reply_text": row.reply_text,
        "reply_at": row.reply_at,
        "language": found.language,
        "language_detected": found.language_detected,
        "sentiment": found.sentiment,
        "details": details,
        "detail_count": len(details),
        "content_hash": content_hash,
    }


def _written_once(session: Session, column: Any, value: Any) -> Any:
    """``value`` rendered into the statement as the column's type writes it, so that an
    executemany converts it for the database once rather than once per row."""
    sql = literal(value, column.type).compile(
        dialect=session.connection().dialect, compile_kwargs={"literal_binds": True}
    )
    return literal_column(str(sql), column.type)


def _stored_reviews(
    session: Session, brand: Brand, chunk: Sequence[ReviewRow]
) -> dict[tuple[str, str], tuple[int, str]]:
    """(source, external_id) → (id, content hash) of the chunk's reviews already stored."""
    # The condition names (source, external_id) pairs so that it reads the unique index.
    by_source: dict[str, set[str]] = {}
    for row in chunk:
        by_source.setdefault(row.source, set()).add(row.external_id)
    lookups = [
        select(Review.id, Review.source, Review.external_id, Review.content_hash).where(
            Review.brand_id == brand.id,
            Review.source == source,
            Review.external_id.in_(ids),
        )
        for source, ids in by_source.items()
    ]
    return {
        (source, external_id): (review_id, content_hash)
        for review_id, source, external_id, content_hash in session.execute(
            lookups[0] if len(lookups) == 1 else union_all(*lookups)
        )
    }


def import_reviews(
    session: Session,
    brand: Brand,
    data: bytes,
    *,
    fmt: str | None = None,
    actor: User | str | None,
    now: datetime,
) -> ImportReport:
    """Import a review file all or nothing: new reviews are added, edited ones updated."""
    parsed: ParsedFile = parse_file(data, fmt)
    report = ImportReport(parsed.format, list(parsed.errors))
    if parsed.errors:
        return report
    # First which reviews are new or edited (one query per chunk), then the language and
    # sentiment of only those, all at once so that a large file can use every core.
    changed: list[tuple[ReviewRow, str, int | None]] = []  # (row, its hash, id when stored)
    for chunk in _chunks(parsed.rows, CHUNK):
        existing = _stored_reviews(session, brand, chunk)
        for row in chunk:
            found = existing.get(row.key)
            content_hash = row.content_hash()
            if found is not None and found[1] == content_hash:
                report.unchanged += 1
            else:
                changed.append((row, content_hash, found[0] if found is not None else None))
    analyses = analyse_reviews([(row.title, row.text, row.language) for row, _, _ in changed])
    for start in range(0, len(changed), CHUNK):
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for (row, content_hash, review_id), (analysis, details) in zip(
            changed[start : start + CHUNK], analyses[start : start + CHUNK], strict=True
        ):
            values = _stored_values(row, content_hash, analysis, details)
            if review_id is None:
                values["brand_id"] = brand.id
                values["source"] = row.source
                values["external_id"] = row.external_id
                inserts.append(values)
            else:
                values["id"] = review_id
                values["updated_at"] = now
                updates.append(values)
        if inserts:
            # Core executemany: the ORM's bulk path would batch far smaller on SQLite.
            written_now = _written_once(session, Review.__table__.c.updated_at, now)
            statement = insert(Review.__table__).values(
                imported_at=written_now, updated_at=written_now
            )
            session.connection().execute(statement, inserts)
        if updates:
            session.execute(update(Review), updates)
        report.created += len(inserts)
        report.updated += len(updates)
    audit.record(
        session,
        actor,
        "reviews.imported",
        "brand",
        brand.id,
        brand_id=brand.id,
        format=report.format,
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
    )
    session.flush()
    return report
