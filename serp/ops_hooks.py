"""What search tracking gives `core.ops`: metrics of checks due and blocked, the brand's search
history for its export, and the sweep of raw result pages past the brand's retention days.
Registered in ``app.register_ops_hooks``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core.ops.personal import rows_of
from core.retention import retention_of
from serp.features import CheckFeature, CheckFeatureItem
from serp.models import (
    BrandSerpSettings,
    CheckStatus,
    LabelRule,
    SerpCheck,
    SerpResultRow,
    TrackedQuery,
)

DAY = timedelta(days=1)


def search_metrics(session: Session, now: datetime) -> Iterator[Metric]:
    """Queries due for a check now; checks of the last day by engine and status (blocked ones
    are the CAPTCHA and consent pages)."""
    due = GaugeMetricFamily("pageone_search_checks_due", "Tracked queries due for a check")
    due.add_metric(
        [],
        session.scalar(
            select(func.count(TrackedQuery.id)).where(
                TrackedQuery.deleted_at.is_(None),
                TrackedQuery.paused.is_(False),
                TrackedQuery.next_check_at <= now,
            )
        )
        or 0,
    )
    yield due
    checks = GaugeMetricFamily(
        "pageone_search_checks_last_day",
        "Search checks of the last 24 hours by engine and status (ok, blocked, error)",
        labels=["engine", "status"],
    )
    blocked = 0
    for engine, status, n in session.execute(
        select(SerpCheck.engine, SerpCheck.status, func.count(SerpCheck.id))
        .where(SerpCheck.checked_at >= now - DAY)
        .group_by(SerpCheck.engine, SerpCheck.status)
        .order_by(SerpCheck.engine, SerpCheck.status)
    ):
        checks.add_metric([engine, status], n)
        blocked += n if status == CheckStatus.BLOCKED.value else 0
    yield checks
    blocked_total = GaugeMetricFamily(
        "pageone_search_checks_blocked_last_day", "Search checks blocked in the last 24 hours"
    )
    blocked_total.add_metric([], blocked)
    yield blocked_total


def brand_parts(session: Session, brand_id: int) -> dict[str, list[dict[str, Any]]]:
    """The brand's tracked queries (without provider keys), every check (without raw pages),
    result and page block with its items, its label rules and its search settings."""
    query_ids = select(TrackedQuery.id).where(TrackedQuery.brand_id == brand_id)
    check_ids = select(SerpCheck.id).where(SerpCheck.query_id.in_(query_ids))
    return {
        "search_queries": rows_of(
            session,
            TrackedQuery,
            TrackedQuery.brand_id == brand_id,
            skip=("provider_settings_encrypted", "claimed_by", "lease_until"),
        ),
        "search_checks": rows_of(
            session, SerpCheck, SerpCheck.query_id.in_(query_ids), skip=("raw_pages",)
        ),
        "search_results": rows_of(session, SerpResultRow, SerpResultRow.check_id.in_(check_ids)),
        "search_page_features": rows_of(
            session, CheckFeature, CheckFeature.check_id.in_(check_ids)
        ),
        "search_page_feature_items": rows_of(
            session, CheckFeatureItem, CheckFeatureItem.check_id.in_(check_ids)
        ),
        "search_label_rules": rows_of(session, LabelRule, LabelRule.brand_id == brand_id),
        "search_settings": rows_of(
            session, BrandSerpSettings, BrandSerpSettings.brand_id == brand_id
        ),
    }


def sweep_raw_pages(session: Session, now: datetime) -> dict[str, int]:
    """Drop the stored result pages of checks older than the brand's raw-page retention; the
    checks, their results and figures stay."""
    dropped = 0
    for brand_id, settings in retention_of(session).items():
        if not settings.raw_pages_days:
            continue
        dropped += session.execute(
            update(SerpCheck)
            .where(
                SerpCheck.raw_pages.is_not(None),
                SerpCheck.checked_at < now - timedelta(days=settings.raw_pages_days),
                SerpCheck.query_id.in_(
                    select(TrackedQuery.id).where(TrackedQuery.brand_id == brand_id)
                ),
            )
            .values(raw_pages=None)
            .execution_options(synchronize_session=False)
        ).rowcount
    return {"raw_pages": dropped}
