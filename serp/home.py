"""Search's lines on the home overview: the brand score and its change, and the negative
results that entered page one at the latest check.

Read from the stored page-one summaries of good checks (:class:`CheckSummary`), one query per
kind over all the brands shown. Nothing is computed again or written here: summaries are kept
up to date by the checks and by the operations that change labels, and the dashboard (where
each line leads) has every figure.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from core.home import HomeLine
from core.i18n import number
from core.tenants import Brand
from serp.displacement import weighted_mean
from serp.models import CheckStatus, SerpCheck, TrackedQuery
from serp.summaries import CheckSummary

WEEK = timedelta(days=7)
# A negative that entered page one at a check older than this is no longer news of today.
NEW_NEGATIVE_DAYS = 7


def _latest_checks(
    session: Session, brand_ids: list[int], until: datetime | None, keep: int
) -> Sequence[Row[Any]]:
    """The ``keep`` latest good, summarized checks of each live query of the brands (before
    ``until`` if given), newest first, with the query's brand, text and importance."""
    rank = (
        func.row_number()
        .over(
            partition_by=SerpCheck.query_id,
            order_by=(SerpCheck.checked_at.desc(), SerpCheck.id.desc()),
        )
        .label("rank")
    )
    conditions = [
        TrackedQuery.brand_id.in_(brand_ids),
        TrackedQuery.deleted_at.is_(None),
        SerpCheck.status == CheckStatus.OK.value,
    ]
    if until is not None:
        conditions.append(SerpCheck.checked_at <= until)
    ranked = (
        select(
            TrackedQuery.brand_id,
            TrackedQuery.id.label("query_id"),
            TrackedQuery.text,
            TrackedQuery.importance,
            SerpCheck.checked_at,
            CheckSummary.score,
            CheckSummary.negative_urls,
            rank,
        )
        .join(SerpCheck, SerpCheck.query_id == TrackedQuery.id)
        .join(CheckSummary, CheckSummary.check_id == SerpCheck.id)
        .where(*conditions)
        .subquery()
    )
    return session.execute(
        select(ranked).where(ranked.c.rank <= keep).order_by(ranked.c.query_id, ranked.c.rank)
    ).all()


def _score_line(brand_id: int, now: float | None, before: float | None) -> HomeLine | None:
    if now is None:
        return None
    # Signed points out of 100 as serp.presentation.pct writes them, in the reader's digits.
    points = now * 100
    score = number(points, 1) if round(points, 1) < 0 else "+" + number(abs(points), 1)
    if before is not None:
        change = (now - before) * 100
        if abs(change) < 0.05:
            text = _("Brand score %(score)s on page one, unchanged since a week ago.", score=score)
        elif change > 0:
            text = _(
                "Brand score %(score)s on page one, up %(change)s since a week ago.",
                score=score, change=number(abs(change), 1),
            )  # fmt: skip
        else:
            text = _(
                "Brand score %(score)s on page one, down %(change)s since a week ago.",
                score=score, change=number(abs(change), 1),
            )  # fmt: skip
    else:
        text = _(
            "Brand score %(score)s on page one; there is no check from a week ago to compare with.",
            score=score,
        )
    url = url_for("serp_dashboard.dashboard", brand_id=brand_id)
    # A count of 1: the line is shown whenever the brand has a score, whatever its sign.
    return HomeLine(brand_id, "brand_score", 1, text, url, urgent=False, order=70)


def home_lines(session: Session, brands: Sequence[Brand], now: datetime) -> list[HomeLine]:
    """The brand score now and a week ago, and negatives new on page one at the latest check."""
    ids = [brand.id for brand in brands]
    latest: dict[int, list[tuple[float, float]]] = defaultdict(list)
    entered: dict[int, list[tuple[str, str]]] = defaultdict(list)  # brand → (query, URL)
    rows = _latest_checks(session, ids, None, keep=2)
    for index, row in enumerate(rows):
        if row.rank != 1:
            continue
        latest[row.brand_id].append((row.score, row.importance))
        if row.checked_at < now - timedelta(days=NEW_NEGATIVE_DAYS):
            continue
        previous = rows[index + 1] if index + 1 < len(rows) else None
        before: set[str] = set()
        if previous is not None and previous.query_id == row.query_id:
            before = set(json.loads(previous.negative_urls))
        entered[row.brand_id].extend(
            (row.text, url) for url in json.loads(row.negative_urls) if url not in before
        )
    week_ago: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for row in _latest_checks(session, ids, now - WEEK, keep=1):
        week_ago[row.brand_id].append((row.score, row.importance))

    lines: list[HomeLine] = []
    for brand_id in ids:
        score = _score_line(
            brand_id, weighted_mean(latest[brand_id]), weighted_mean(week_ago[brand_id])
        )
        if score is not None:
            lines.append(score)
        if entered[brand_id]:
            items = entered[brand_id]
            n = len(items)
            if n == 1:
                query, url = items[0]
                text = _(
                    "A negative result entered page one for “%(query)s”: %(url)s.",
                    query=query, url=url,
                )  # fmt: skip
            else:
                text = ngettext(
                    "%(num)d negative result entered page one at the latest checks: see what to "
                    "publish to push them down.",
                    "%(num)d negative results entered page one at the latest checks: see what to "
                    "publish to push them down.",
                    n,
                )
            dashboard = url_for("serp_dashboard.dashboard", brand_id=brand_id)
            lines.append(HomeLine(brand_id, "new_negatives", n, text, dashboard, True, 30))
    return lines
