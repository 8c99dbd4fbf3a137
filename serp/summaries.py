"""Page-one summaries of checks: the labels of positions 1-10, the composition and the score.

The dashboard and the weekly report read a year of checks per query; labelling every page-one
result of every check on each view is what made them slow. A good check's summary is computed
when the check is recorded, with the brand's labels and click-through curve, and stored with a
fingerprint of them (rules, owned URLs, curve). When any of those changes, the summaries that
carry another fingerprint are out of date: the operation that changed them refreshes the
brand's summaries, and a reader that still meets a missing or out-of-date summary (an owned page
recorded by the planner, checks loaded in bulk) recomputes it before reading, so no figure ever
comes from an out-of-date label.

Blocked and failed checks have no summary: they say nothing of page one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base, upsert, utcnow
from serp import displacement as dsp
from serp.labels import Classifier, Rule, owned_urls_for_brand
from serp.models import CheckStatus, Label, LabelRule, SerpCheck, SerpResultRow, TrackedQuery
from serp.plans import curve_for_brand

CHUNK = 500  # ids per IN list: well under SQLite's limit on bound parameters


class CheckSummary(Base):
    """Page one of a good check as the brand's labels and curve read it when it was computed."""

    __tablename__ = "serp_check_summaries"

    check_id: Mapped[int] = mapped_column(
        ForeignKey("serp_checks.id", ondelete="CASCADE"), primary_key=True
    )
    # sha256 of the rules, owned URLs and curve the summary was computed with.
    fingerprint: Mapped[str] = mapped_column(String(64))
    score: Mapped[float]
    owned: Mapped[int]
    positive: Mapped[int]
    neutral: Mapped[int]
    unlabelled: Mapped[int]
    negative: Mapped[int]
    # [[position, normalized URL, label or null], ...]: every result at positions 1-10.
    page_one: Mapped[list[Any]] = mapped_column(JSON)
    # The sorted normalized URLs labelled negative on page one, as JSON text rather than a JSON
    # column so the database can pick the distinct lists (json has no equality in PostgreSQL).
    negative_urls: Mapped[str] = mapped_column(Text, default="[]")
    computed_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


@dataclass(frozen=True)
class Labelling:
    """What a brand's summaries are computed with, and its fingerprint."""

    classifier: Classifier
    curve: tuple[float, ...]
    fingerprint: str


def labelling_for_brand(session: Session, brand_id: int) -> Labelling:
    """The brand's rules, owned URLs and click-through curve as they are now."""
    # Plain tuples: they are the cache's key, and rows hash far more slowly.
    rules = tuple(
        sorted(
            tuple(row)
            for row in session.execute(
                select(LabelRule.match_type, LabelRule.pattern, LabelRule.label).where(
                    LabelRule.brand_id == brand_id
                )
            )
        )
    )
    owned = frozenset(owned_urls_for_brand(session, brand_id))
    return _labelling(rules, owned, tuple(curve_for_brand(session, brand_id)))


@lru_cache(maxsize=64)
def _labelling(
    rules: tuple[tuple[str, str, str], ...], owned: frozenset[str], curve: tuple[float, ...]
) -> Labelling:
    """Indexing and fingerprinting a brand's hundreds of rules took longer than reading them:
    done once per distinct set of rules, owned URLs and curve, and kept for the next reader."""
    classifier = Classifier([Rule(*rule) for rule in rules], owned)
    # From the classifier's own indexes: exactly what a label depends on, in a stable order.
    state = {
        "exact": sorted(classifier.exact.items()),
        "prefix": sorted(classifier.prefixes),
        "domain": sorted(classifier.domains.items()),
        "owned": sorted(classifier.owned),
        "curve": list(curve),
    }
    fingerprint = hashlib.sha256(json.dumps(state).encode()).hexdigest()
    return Labelling(classifier, curve, fingerprint)


def summarize(
    rows: Iterable[tuple[int, str]], result_count: int, labelling: Labelling
) -> dict[str, Any]:
    """A summary's values from a check's (position, normalized URL) rows and result count."""
    label = labelling.classifier.label
    page_one = sorted(
        (position, url, label(url, normalized=True))
        for position, url in rows
        if position <= dsp.PAGE_ONE
    )
    return _values(page_one, result_count, labelling)


def _values(
    page_one: Sequence[Sequence[Any]], result_count: int, labelling: Labelling
) -> dict[str, Any]:
    curve = labelling.curve
    weighted = 0.0
    counts = dict.fromkeys(("owned", "positive", "neutral", "negative"), 0)
    for position, _url, label in page_one:
        if 1 <= position <= dsp.PAGE_ONE:
            weighted += curve[position - 1] * dsp.SIGN.get(label or "", 0)
        if label in counts:
            counts[label] += 1
    negatives = sorted({url for _p, url, label in page_one if label == Label.NEGATIVE.value})
    return {
        "fingerprint": labelling.fingerprint,
        "score": weighted / sum(curve),
        **counts,
        # Positions are numbered from 1 without holes: page one holds min(results, 10).
        "unlabelled": min(result_count, dsp.PAGE_ONE) - sum(counts.values()),
        "page_one": [list(entry) for entry in page_one],
        "negative_urls": json.dumps(negatives),
    }


def relabel(page_one: Sequence[Sequence[Any]], result_count: int, labelling: Labelling):
    """A stored summary's values again, with today's labels and curve."""
    return summarize(((p, u) for p, u, _label in page_one), result_count, labelling)


def refresh(
    session: Session,
    brand_id: int,
    *,
    check_ids: Collection[int] | None = None,
    labelling: Labelling | None = None,
) -> dict[int, dict[str, Any]]:
    """Compute the brand's good checks' summaries that are missing or out of date (all, or
    those of ``check_ids``); flushes. The values of the summaries it wrote, by check id.

    Out-of-date summaries are relabelled from the URLs they hold; missing ones read the
    check's page-one results.
    """
    labelling = labelling or labelling_for_brand(session, brand_id)
    statement = (
        select(SerpCheck.id, SerpCheck.result_count, CheckSummary.fingerprint)
        .join(TrackedQuery, TrackedQuery.id == SerpCheck.query_id)
        .outerjoin(CheckSummary, CheckSummary.check_id == SerpCheck.id)
        .where(TrackedQuery.brand_id == brand_id, SerpCheck.status == CheckStatus.OK.value)
    )
    if check_ids is not None:
        wanted = sorted(set(check_ids))
        rows = [
            row
            for chunk in _chunks(wanted)
            for row in session.execute(statement.where(SerpCheck.id.in_(chunk)))
        ]
    else:
        rows = list(session.execute(statement))
    counts = {row.id: row.result_count for row in rows}
    missing = sorted(row.id for row in rows if row.fingerprint is None)
    stale = sorted(row.id for row in rows if row.fingerprint not in (None, labelling.fingerprint))
    written: dict[int, dict[str, Any]] = {}
    relabelled_only: list[int] = []
    for chunk in _chunks(stale):
        for check_id, old_score, page_one in session.execute(
            select(
                CheckSummary.check_id,
                CheckSummary.score,
                CheckSummary.page_one,
            ).where(CheckSummary.check_id.in_(chunk))
        ):
            values = relabel(page_one, counts[check_id], labelling)
            if values["page_one"] == page_one and values["score"] == old_score:
                relabelled_only.append(check_id)  # same labels: only the fingerprint moves
            else:
                written[check_id] = values
    for chunk in _chunks(missing):
        rows_of: dict[int, list[tuple[int, str]]] = {check_id: [] for check_id in chunk}
        for check_id, position, url in session.execute(
            select(
                SerpResultRow.check_id, SerpResultRow.position, SerpResultRow.normalized_url
            ).where(SerpResultRow.check_id.in_(chunk), SerpResultRow.position <= dsp.PAGE_ONE)
        ):
            rows_of[check_id].append((position, url))
        for check_id, page in rows_of.items():
            written[check_id] = summarize(page, counts[check_id], labelling)
    now = utcnow()
    for chunk in _chunks(relabelled_only):
        session.execute(
            update(CheckSummary)
            .where(CheckSummary.check_id.in_(chunk))
            .values(fingerprint=labelling.fingerprint, computed_at=now)
            .execution_options(synchronize_session=False)
        )
        _mark(session, chunk, now)
    _upsert(session, [{"check_id": cid, **written[cid]} for cid in sorted(written)])
    session.flush()
    return written


def refresh_check(session: Session, check: SerpCheck) -> None:
    """Summarize a check that was just recorded (or read again); nothing for a bad check."""
    if check.status != CheckStatus.OK.value:
        session.execute(CheckSummary.__table__.delete().where(CheckSummary.check_id == check.id))
        _mark(session, [check.id], None)
        return
    brand_id = session.scalar(
        select(TrackedQuery.brand_id).where(TrackedQuery.id == check.query_id)
    )
    labelling = labelling_for_brand(session, brand_id)
    rows = [(r.position, r.normalized_url) for r in check.results]
    values = summarize(rows, check.result_count, labelling)
    _upsert(session, [{"check_id": check.id, **values}])
    session.flush()


def refresh_brand(session: Session, brand_id: int) -> int:
    """After the brand's labels or curve changed: bring every summary up to date; how many
    changed. Flushes only."""
    return len(refresh(session, brand_id))


def _upsert(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert or replace summaries: two readers may fill in the same missing one at once."""
    if not rows:
        return
    now = utcnow()
    upsert(session, CheckSummary, [{**row, "computed_at": now} for row in rows], CHUNK)
    for chunk in _chunks([row["check_id"] for row in rows]):
        _mark(session, chunk, now)


def _mark(session: Session, check_ids: list[int], when: datetime | None) -> None:
    """Record on the checks when their summaries were written (None: removed)."""
    session.execute(
        update(SerpCheck)
        .where(SerpCheck.id.in_(check_ids))
        .values(summarized_at=when)
        .execution_options(synchronize_session=False)
    )


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield list(ids[start : start + CHUNK])
