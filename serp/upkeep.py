"""Keeping a brand's check summaries and displacement figures up to date, by those who write.

Pages only read: the summaries of the brand's checks and each query's kept part of its figures
are brought up to date by what changes them, in its own transaction: the operations that change
the brand's labels or curve (label rules, owned assets recorded by search tracking, the curve)
call :func:`labels_changed`; the worker calls :func:`after_check` right after it stores a check,
and :func:`catch_up` each round for the brands whose owned pages the planner recorded meanwhile.
A reader that still meets an out-of-date summary or part computes it for itself, without
writing it. The writers of a brand take its SummaryLabels row first and go one at a time: two
checks of the brand stored at once would otherwise each keep parts computed without the
other's check.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.tenants import Brand
from serp import query_figures, summaries
from serp.models import SerpCheck, TrackedQuery


def labels_changed(session: Session, brand_id: int) -> int:
    """After the brand's rules, owned pages or curve changed: relabel the summaries that
    changed and compute the figures' parts they move (flushed). How many summaries changed."""
    summaries.lock_labels(session, brand_id)
    changed = summaries.refresh_brand(session, brand_id)
    _keep_parts(session, brand_id)
    return changed


def after_check(session: Session, check: SerpCheck) -> None:
    """A check was just stored (or read again): its summary, and its query's part of the
    brand's figures, so that the next view reads them ready (flushed)."""
    after_checks(session, [check])


def after_checks(session: Session, checks: list[SerpCheck]) -> None:
    """:func:`after_check` of checks of one query stored together (an uploaded CSV)."""
    if not checks:
        return
    brand_id = session.scalar(
        select(TrackedQuery.brand_id).where(TrackedQuery.id == checks[0].query_id)
    )
    summaries.lock_labels(session, brand_id)
    for check in checks:
        summaries.refresh_check(session, check)
    _keep_parts(session, brand_id)


def catch_up(session: Session, brand_id: int) -> int:
    """Bring the brand's summaries in line with its labels when they moved without search
    tracking being told (a post published by the planner), then its figures' parts; how many
    parts were computed (flushed)."""
    summaries.lock_labels(session, brand_id)
    summaries.refresh_brand(session, brand_id)
    summaries.mark_followed(session, brand_id)
    return _keep_parts(session, brand_id)


def _keep_parts(session: Session, brand_id: int) -> int:
    timezone = session.scalar(select(Brand.timezone).where(Brand.id == brand_id))
    labelling = summaries.labelling_for_brand(session, brand_id)
    return query_figures.keep_parts(session, brand_id, labelling, ZoneInfo(timezone))
