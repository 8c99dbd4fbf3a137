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


def scenario_dict(scenario: Any) -> dict[str, Any]:
    """A crisis scenario with its committee, checklist and statements."""
    return {
        "id": scenario.id,
        "brand_id": scenario.brand_id,
        "name": scenario.name,
        "severity": scenario.severity,
        "description": scenario.description,
        "default_language": scenario.default_language,
        # A member reached only by phone has no e-mail (and the other way round): left out.
        "committee": [
            {key: value for key, value in member.items() if value not in ("", None)}
            for member in scenario.committee or []
        ],
        "checklist": list(scenario.checklist or []),
        "statements": [statement_dict(s) for s in scenario.statements],
        "updated_at": iso(scenario.updated_at),
    }


def statement_dict(statement: Any) -> dict[str, Any]:
    return {
        "id": statement.id,
        "platform": statement.platform,
        "language": statement.language,
        "text": statement.text,
        "approved": statement.approved_at is not None,
        "approved_at": iso(statement.approved_at),
        "approved_by_id": statement.approved_by_id,
    }


def run_dict(run: Any, timeline: list[Any]) -> dict[str, Any]:
    """A playbook run: what it did, its checklist and its timeline (durations in seconds)."""
    return {
        "id": run.id,
        "brand_id": run.brand_id,
        "scenario_id": run.scenario_id,
        "scenario_name": run.scenario_name,
        "severity": run.severity,
        "alert_id": run.alert_id,
        "rehearsal": run.rehearsal,
        "open": run.closed_at is None,
        "platform": run.platform,
        "language": run.language,
        "statement": run.statement,
        "page_statement": run.page_statement,
        "draft_post_id": run.draft_post_id,
        "paused_publishing": run.paused_publishing,
        "page_published": run.page_published,
        "notes": list(run.notes or []),
        "notified": list(run.notified or []),
        "opened_at": iso(run.opened_at),
        "closed_at": iso(run.closed_at),
        "resolution": run.resolution,
        "steps": [
            {
                "id": step.id,
                "position": step.position,
                "title": step.title,
                "started_at": iso(step.started_at),
                "started_by_id": step.started_by_id,
                "done_at": iso(step.done_at),
                "done_by_id": step.done_by_id,
            }
            for step in run.steps
        ],
        "timeline": [
            {
                "moment": m.label,
                "at": iso(m.at),
                "seconds_since_previous": m.since_previous.total_seconds()
                if m.since_previous
                else None,
                "seconds_since_first": m.since_first.total_seconds() if m.since_first else None,
            }
            for m in timeline
        ],
    }
