"""Response times against targets: the arithmetic mentions and reviews share."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _


def due_at(start: datetime, target_minutes: int) -> datetime:
    """When a reply is due for something that arrived at ``start``."""
    return start + timedelta(minutes=target_minutes)


def minutes_between(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 60


def late_text(late: timedelta) -> str:
    """How late, as "3 h 05 min"."""
    hours, minutes = divmod(max(int(late.total_seconds() // 60), 0), 60)
    return _("%(hours)d h %(minutes)02d min", hours=hours, minutes=minutes)


@dataclass
class ResponseFigures:
    replied: int
    median_minutes: float | None
    within_target_share: float | None  # 0..1
    open_overdue: int


def response_figures(
    replied: Iterable[tuple[float, int | None]], open_overdue: int
) -> ResponseFigures:
    """Figures from (minutes taken, target minutes or None) of each replied item."""
    pairs = list(replied)
    minutes = [taken for taken, _ in pairs]
    judged = [(taken, target) for taken, target in pairs if target is not None]
    within = sum(1 for taken, target in judged if taken <= target)
    return ResponseFigures(
        replied=len(minutes),
        median_minutes=statistics.median(minutes) if minutes else None,
        within_target_share=within / len(judged) if judged else None,
        open_overdue=open_overdue,
    )
