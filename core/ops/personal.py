"""Personal data: everything the instance holds about one person (the author of a review or a
mention, someone replied to), exported as JSON or erased.

Each feature registers what it holds in ``app.extensions["pageone.personal_data"]``: objects
with a ``kind``, ``export(session, person)`` (a list of JSON-able dicts) and
``erase(session, person, pseudonym)`` (how many rows it changed). Erasure replaces the person's
name with one pseudonym and drops their words, and keeps what the brand's figures are made of
(ratings, dates, sentiment, states), so averages and counts stay true.

Brands are exported the same way through ``app.extensions["pageone.brand_exporters"]``:
callables ``(session, brand_id) -> {part name: list of rows}``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import tarfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.db import utcnow


@dataclass(frozen=True)
class Person:
    """Who is asked about: a name as it was written (case and outer spaces aside), an e-mail."""

    name: str | None = None
    email: str | None = None

    def __post_init__(self) -> None:
        if not (self.name or "").strip() and not (self.email or "").strip():
            raise ValueError("give a name or an e-mail address")

    @property
    def keys(self) -> list[str]:
        """The lower-cased forms that identify the person in author fields."""
        return [k.strip().lower() for k in (self.name, self.email) if k and k.strip()]


class PersonalDataHolder(Protocol):
    kind: str

    def export(self, session: Session, person: Person) -> list[dict[str, Any]]: ...

    def erase(self, session: Session, person: Person, pseudonym: str) -> int: ...


def pseudonym(secret: str, person: Person) -> str:
    """The same stable stand-in for the same person, which cannot be turned back into the name."""
    digest = hmac.new(secret.encode(), "|".join(person.keys).encode(), hashlib.sha256)
    return "erased-" + digest.hexdigest()[:10]


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def row_dict(row: Any, skip: Iterable[str] = ()) -> dict[str, Any]:
    """A model instance as a dict of its columns, JSON-able."""
    skipped = set(skip)
    return {
        column.key: jsonable(getattr(row, column.key))
        for column in row.__table__.columns
        if column.key not in skipped
    }


def rows_of(session: Session, model: Any, *where: Any, skip: Iterable[str] = ()) -> list[dict]:
    statement = select(model).where(*where).order_by(*model.__table__.primary_key.columns)
    return [row_dict(row, skip) for row in session.scalars(statement)]


def export_person(
    session: Session, holders: Iterable[PersonalDataHolder], person: Person
) -> dict[str, Any]:
    """Everything the holders know of the person, by kind."""
    found = {holder.kind: holder.export(session, person) for holder in holders}
    return {
        "person": {"name": person.name, "email": person.email},
        "exported_at": jsonable(utcnow()),
        "data": found,
    }


def erase_person(
    session: Session,
    holders: Iterable[PersonalDataHolder],
    person: Person,
    secret: str,
    actor: Any = "system",
) -> dict[str, int]:
    """Erase the person from every holder; how many rows each changed. Flushes; the audit
    entry names the pseudonym only, never the person."""
    stand_in = pseudonym(secret, person)
    counts = {holder.kind: holder.erase(session, person, stand_in) for holder in holders}
    audit.record(session, actor, "person.erased", "person", None, pseudonym=stand_in, **counts)
    session.flush()
    return counts


def write_brand_archive(
    session: Session,
    exporters: Iterable[Any],
    brand_id: int,
    target: Path | BinaryIO,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, int]:
    """One tar.gz of every part of the brand the features export, a JSON file per part; the
    number of rows in each part."""
    parts: dict[str, list[dict[str, Any]]] = {}
    for exporter in exporters:
        for name, rows in exporter(session, brand_id).items():
            parts.setdefault(name, []).extend(rows)
    counts = {name: len(rows) for name, rows in parts.items()}
    manifest = {
        "brand_id": brand_id,
        "exported_at": jsonable(utcnow()),
        "parts": counts,
        **(extra or {}),
    }
    opened = (
        tarfile.open(target, "w:gz")
        if isinstance(target, str | Path)
        else tarfile.open(fileobj=target, mode="w:gz")
    )
    with opened as tar:
        for name, content in [("manifest", manifest), *sorted(parts.items())]:
            data = json.dumps(content, indent=1, default=jsonable).encode()
            info = tarfile.TarInfo(f"{name}.json")
            info.size, info.mtime, info.mode = len(data), int(utcnow().timestamp()), 0o600
            tar.addfile(info, io.BytesIO(data))
    return counts
