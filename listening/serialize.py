"""JSON shapes of listening objects for the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.api import iso
from listening.inbox import is_overdue
from listening.models import Mention, MentionSource


def source_dict(source: MentionSource) -> dict[str, Any]:
    return {
        "id": source.id,
        "brand_id": source.brand_id,
        "kind": source.kind,
        "name": source.name,
        "url": source.url,
        "query": source.query,
        "interval_minutes": source.interval_minutes,
        "active": source.active,
        "failing": source.failing,
        "last_error": source.last_error,
        "last_polled_at": iso(source.last_polled_at),
        "last_ok_at": iso(source.last_ok_at),
        "next_poll_at": iso(source.next_poll_at),
    }


def mention_dict(mention: Mention, now: datetime) -> dict[str, Any]:
    return {
        "id": mention.id,
        "brand_id": mention.brand_id,
        "source_id": mention.source_id,
        "external_id": mention.external_id,
        "url": mention.url,
        "author": mention.author,
        "title": mention.title,
        "text": mention.text,
        "language": mention.language,
        "published_at": iso(mention.published_at),
        "date_estimated": mention.date_estimated,
        "sentiment": mention.sentiment,
        "sentiment_label": mention.sentiment_label,
        "key_terms": mention.key_terms,
        "is_question": mention.is_question,
        "state": mention.state,
        "assignee_id": mention.assignee_id,
        "target_minutes": mention.target_minutes,
        "due_at": iso(mention.due_at),
        "overdue": is_overdue(mention, now),
        "first_reply_at": iso(mention.first_reply_at),
        "response_minutes": mention.response_minutes,
        "platform": mention.platform,
    }
