"""JSON shapes of tracked queries, checks and label rules (never a provider key)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.api import iso
from core.crypto import CredentialsUnreadable, decrypt_json
from serp.labels import Classifier
from serp.models import LabelRule, SerpCheck, TrackedQuery


def setting_names(query: TrackedQuery, config: Mapping[str, Any]) -> list[str]:
    """Which provider settings are stored: their names only, the values stay secret."""
    try:
        return sorted(decrypt_json(query.provider_settings_encrypted, dict(config)))
    except CredentialsUnreadable:
        return []


def query_dict(query: TrackedQuery, config: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": query.id,
        "brand_id": query.brand_id,
        "text": query.text,
        "engine": query.engine,
        "language": query.language,
        "country": query.country,
        "device": query.device,
        "depth": query.depth,
        "schedule": query.schedule,
        "weekday": query.weekday,
        "hour": query.hour,
        "provider": query.provider,
        "provider_settings_set": setting_names(query, config),
        "tags": list(query.tags or []),
        "importance": query.importance,
        "paused": query.paused,
        "deleted_at": iso(query.deleted_at),
        "next_check_at": iso(query.next_check_at),
        "last_checked_at": iso(query.last_checked_at),
        "failures": query.failures,
        "checking": query.claimed_by is not None,
    }


def check_dict(check: SerpCheck, classifier: Classifier | None = None) -> dict[str, Any]:
    return {
        "id": check.id,
        "query_id": check.query_id,
        "checked_at": iso(check.checked_at),
        "status": check.status,
        "engine": check.engine,
        "provider": check.provider,
        "reason": check.reason,
        "result_count": check.result_count,
        "raw_kept": check.raw_pages is not None,
        "results": [
            {
                **row.to_dict(),
                "label": classifier.label(row.normalized_url, normalized=True)
                if classifier
                else None,
            }
            for row in check.results
        ],
    }


def rule_dict(rule: LabelRule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "brand_id": rule.brand_id,
        "match_type": rule.match_type,
        "pattern": rule.pattern,
        "label": rule.label,
        "note": rule.note,
        "created_at": iso(rule.created_at),
    }
