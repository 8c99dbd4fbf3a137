"""The audit log: every transition is written with who or what made it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from core.models import AuditEntry, User


def actor_name(actor: User | str | None) -> str:
    if actor is None:
        return "system"
    if isinstance(actor, str):
        return actor
    return f"user:{actor.id}:{actor.email}"


def record(
    session: Session,
    actor: User | str | None,
    action: str,
    object_type: str,
    object_id: int | None,
    *,
    brand_id: int | None = None,
    **detail: Any,
) -> AuditEntry:
    entry = AuditEntry(
        actor=actor_name(actor),
        action=action,
        object_type=object_type,
        object_id=object_id,
        brand_id=brand_id,
        detail=detail,
    )
    session.add(entry)
    return entry


def record_many(
    session: Session,
    actor: User | str | None,
    entries: Iterable[tuple[str, str, int | None, int | None, dict[str, Any]]],
) -> int:
    """Write many entries by one actor in one statement: (action, object type, object id, brand
    id, detail) each. How many were written."""
    name = actor_name(actor)
    at = datetime.now(UTC)
    rows = [
        {
            "at": at,
            "actor": name,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "brand_id": brand_id,
            "detail": detail,
        }
        for action, object_type, object_id, brand_id, detail in entries
    ]
    if rows:
        session.execute(insert(AuditEntry.__table__), rows)
    return len(rows)
