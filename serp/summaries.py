"""Page-one summaries of checks: the labels of positions 1-10, the composition and the score.

The dashboard and the weekly report read a year of checks per query; labelling every page-one
result of every check on each view is what made them slow. A good check's summary is computed
when the check is recorded, with the brand's labels and click-through curve, and stored with a
fingerprint of its rules and curve. When either changes, the summaries that carry another
fingerprint are out of date: the operation that changed them refreshes the brand's summaries
(:mod:`serp.upkeep`), and a reader that still meets a missing or out-of-date summary (checks
loaded in bulk) computes it for itself without writing it (:func:`computed`), so no figure ever
comes from an out-of-date label.

The brand's owned pages change far more often (every published post with a public URL is one)
and appear on few pages one. They are followed apart: :class:`SummaryLabels` holds the
fingerprint and the owned URLs the brand's summaries carry, and when the brand's owned pages
differ from them, only the summaries whose page one holds a URL that changed are labelled again
(:func:`follow_labels`, by the writers; readers find them with :func:`out_of_date`). Summaries
are written under a lock on that row, so while it matches the brand's labels every summary
does.

A summary relabelled to the same page one and score is not written again: the check keeps the
time its summary last changed (``SerpCheck.summarized_at``), which the kept displacement figures
are stamped with.

Blocked and failed checks have no summary: they say nothing of page one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base, insert_missing, upsert, utcnow
from serp import displacement as dsp
from serp import result_index
from serp.features import block_penalty, page_one_blocks, weights_for_brand
from serp.labels import Classifier, Rule, owned_urls_for_brand
from serp.models import (
    BrandSerpSettings,
    CheckStatus,
    Label,
    LabelRule,
    SerpCheck,
    SerpResultRow,
    TrackedQuery,
)

CHUNK = 500  # ids per IN list: well under SQLite's limit on bound parameters


class CheckSummary(Base):
    """Page one of a good check as the brand's labels and curve read it when it was computed."""

    __tablename__ = "serp_check_summaries"

    check_id: Mapped[int] = mapped_column(
        ForeignKey("serp_checks.id", ondelete="CASCADE"), primary_key=True
    )
    # sha256 of the rules and curve the summary was computed with (owned URLs: SummaryLabels).
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
    # [[kind, slot, normalized URL, label or null], ...]: the linked items of the page-one
    # blocks (serp.features); null or empty when the page showed none.
    blocks: Mapped[list[Any] | None] = mapped_column(JSON)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SummaryLabels(Base):
    """The labels a brand's summaries carry: the fingerprint of the rules and curve, and the
    owned URLs they are labelled with.

    Summaries are written under a shared lock on this row (PostgreSQL), and the row moves to
    the brand's labels under an exclusive lock, with the summaries it changes: a check
    summarized while the labels move is either seen by the move or labelled with the new ones,
    never left with the old. So while the row matches the brand's labels, every summary does.
    """

    __tablename__ = "serp_summary_labels"

    brand_id: Mapped[int] = mapped_column(
        ForeignKey("brands.id", ondelete="CASCADE"), primary_key=True
    )
    fingerprint: Mapped[str] = mapped_column(String(64))  # Labelling.fingerprint
    digest: Mapped[str] = mapped_column(String(64))  # sha256 of the sorted owned URLs
    urls: Mapped[list[str]] = mapped_column(JSON)  # normalized, sorted
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


@dataclass(frozen=True)
class Labelling:
    """What a brand's summaries are computed with, and their fingerprint (rules and curve)."""

    classifier: Classifier
    curve: tuple[float, ...]
    fingerprint: str
    owned_digest: str
    # How much a negative in each kind of page-one block counts (serp.features).
    block_weights: tuple[tuple[str, float], ...] = ()
    # Labels already found, by normalized URL: pages one repeat the same URLs week after week,
    # and relabelling a brand's year of summaries looked up each of them again.
    known: dict[str, str | None] = field(default_factory=dict, compare=False, repr=False)

    def label(self, url: str) -> str | None:
        """The label of a normalized URL."""
        try:
            return self.known[url]
        except KeyError:
            found = self.known[url] = self.classifier.label(url, normalized=True)
            return found

    @property
    def weights(self) -> dict[str, float]:
        return dict(self.block_weights)


def labelling_for_brand(session: Session, brand_id: int) -> Labelling:
    """The brand's rules, owned URLs and click-through curve as they are now; reads only."""
    return _read(session, brand_id)


def follow_labels(session: Session, brand_id: int) -> Labelling:
    """The brand's labels as :func:`labelling_for_brand` reads them, after bringing its
    summaries in line with them when they changed (flushed): for writers only."""
    labelling = _read(session, brand_id)
    _follow(session, brand_id, labelling)
    return labelling


def _read(session: Session, brand_id: int, owned: frozenset[str] | None = None) -> Labelling:
    """The brand's labels as committed (``owned``: these owned URLs instead of its own)."""
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
    if owned is None:
        owned = frozenset(owned_urls_for_brand(session, brand_id))
    weights = tuple(sorted(weights_for_brand(session, brand_id).items()))
    return _labelling(rules, owned, tuple(curve_for_brand(session, brand_id)), weights)


@lru_cache(maxsize=64)
def _labelling(
    rules: tuple[tuple[str, str, str], ...],
    owned: frozenset[str],
    curve: tuple[float, ...],
    weights: tuple[tuple[str, float], ...] = (),
) -> Labelling:
    """Indexing and fingerprinting a brand's hundreds of rules took longer than reading them:
    done once per distinct set of rules, owned URLs and curve, and kept for the next reader."""
    classifier = Classifier([Rule(*rule) for rule in rules], owned)
    # From the classifier's own indexes: exactly what a label depends on, in a stable order.
    state = {
        "exact": sorted(classifier.exact.items()),
        "prefix": sorted(classifier.prefixes),
        "domain": sorted(classifier.domains.items()),
        "curve": list(curve),
        "blocks": [list(pair) for pair in weights],
    }
    return Labelling(classifier, curve, digest(state), digest(sorted(classifier.owned)), weights)


def curve_for_brand(session: Session, brand_id: int) -> tuple[float, ...]:
    """The brand's click-through curve: its own, or the default."""
    curve = session.scalar(
        select(BrandSerpSettings.ctr_curve).where(BrandSerpSettings.brand_id == brand_id)
    )
    return dsp.check_curve(curve) if curve else dsp.DEFAULT_CTR_CURVE


def digest(value: Any) -> str:
    """sha256 of a value's JSON: what fingerprints, stamps and digests are made of."""
    return hashlib.sha256(json.dumps(value, default=str).encode()).hexdigest()


def _follow(session: Session, brand_id: int, labelling: Labelling) -> int:
    """Move the labels the brand's summaries carry to ``labelling``, with the summaries that
    change: every one after a change of rules or curve; after a change of owned pages, those
    whose page one holds a URL that changed (a new post relabels the few checks it appears in,
    not a year of them). How many summaries changed."""
    wanted = (labelling.fingerprint, labelling.owned_digest)
    held = select(SummaryLabels.fingerprint, SummaryLabels.digest).where(
        SummaryLabels.brand_id == brand_id
    )
    if tuple(session.execute(held).one_or_none() or ()) == wanted:
        return 0
    # The row exists before it is locked: two first readers may create it at once.
    insert_missing(session, SummaryLabels, _unfollowed(brand_id))
    row = session.execute(
        select(SummaryLabels.fingerprint, SummaryLabels.digest, SummaryLabels.urls)
        .where(SummaryLabels.brand_id == brand_id)
        .with_for_update()
    ).one()
    if (row.fingerprint, row.digest) == wanted:  # moved by another reader meanwhile
        return 0
    changed = 0
    if row.fingerprint != labelling.fingerprint:
        changed += len(_refresh(session, brand_id, None, labelling))
    if row.digest != labelling.owned_digest:
        changed_urls = set(row.urls) ^ labelling.classifier.owned
        found = result_index.results_holding(session, brand_id, changed_urls, down_to=dsp.PAGE_ONE)
        holding = sorted({check_id for check_id, _query, _url in found})
        if holding:
            changed += len(_refresh(session, brand_id, holding, labelling, again=True))
    session.execute(
        update(SummaryLabels)
        .where(SummaryLabels.brand_id == brand_id)
        .values(
            fingerprint=labelling.fingerprint,
            digest=labelling.owned_digest,
            urls=sorted(labelling.classifier.owned),
            updated_at=utcnow(),
        )
    )
    session.flush()
    return changed


def lock_labels(session: Session, brand_id: int) -> None:
    """Take the brand's SummaryLabels row for the rest of the transaction (PostgreSQL): the
    writers of a brand's summaries and kept figures go one at a time, so none of them keeps
    figures computed without a check another one is storing meanwhile."""
    insert_missing(session, SummaryLabels, _unfollowed(brand_id))
    session.execute(
        select(SummaryLabels.brand_id).where(SummaryLabels.brand_id == brand_id).with_for_update()
    )


def mark_followed(session: Session, brand_id: int) -> None:
    """Record that the brand's summaries were just found in line with its owned pages (the
    worker looks for owned pages recorded after this moment)."""
    session.execute(
        update(SummaryLabels).where(SummaryLabels.brand_id == brand_id).values(updated_at=utcnow())
    )


def _unfollowed(brand_id: int) -> dict[str, Any]:
    """A SummaryLabels row that matches no labels: the first follow moves every summary."""
    return {
        "brand_id": brand_id,
        "fingerprint": "",
        "digest": "",
        "urls": [],
        "updated_at": utcnow(),
    }


def _held(session: Session, brand_id: int, labelling: Labelling) -> Labelling:
    """The labelling summaries may be written with until the transaction ends: the brand's
    labels as its SummaryLabels row holds them, which stays as it is meanwhile (shared lock).
    ``labelling``, when it was read before the row last moved, is read again."""
    row = session.execute(
        select(SummaryLabels.fingerprint, SummaryLabels.digest, SummaryLabels.urls)
        .where(SummaryLabels.brand_id == brand_id)
        .with_for_update(read=True)
    ).one_or_none()
    if row is None or (row.fingerprint, row.digest) == (
        labelling.fingerprint,
        labelling.owned_digest,
    ):
        return labelling
    # The rules and curve are committed with the row's move: read them again.
    return _read(session, brand_id, frozenset(row.urls))


def summarize(
    rows: Iterable[tuple[int, str]],
    result_count: int,
    labelling: Labelling,
    blocks: Iterable[Sequence[Any]] = (),
) -> dict[str, Any]:
    """A summary's values from a check's (position, normalized URL) rows and result count,
    and the (kind, slot, normalized URL) items of its page-one blocks."""
    label = labelling.label
    page_one = sorted(
        (position, url, label(url)) for position, url in rows if position <= dsp.PAGE_ONE
    )
    labelled = [[kind, slot, url, label(url)] for kind, slot, url, *_ in blocks]
    return _values(page_one, result_count, labelling, labelled)


def _values(
    page_one: Sequence[Sequence[Any]],
    result_count: int,
    labelling: Labelling,
    blocks: Sequence[Sequence[Any]] = (),
) -> dict[str, Any]:
    counts = dict.fromkeys(("owned", "positive", "neutral", "negative"), 0)
    for _position, _url, label in page_one:
        if label in counts:
            counts[label] += 1
    negatives = sorted({url for _p, url, label in page_one if label == Label.NEGATIVE.value})
    return {
        "fingerprint": labelling.fingerprint,
        "score": _score(page_one, labelling.curve, sum(labelling.curve), blocks, labelling.weights),
        **counts,
        # Positions are numbered from 1 without holes: page one holds min(results, 10).
        "unlabelled": min(result_count, dsp.PAGE_ONE) - sum(counts.values()),
        "page_one": [list(entry) for entry in page_one],
        "negative_urls": json.dumps(negatives),
        "blocks": [list(entry) for entry in blocks] or None,
    }


def _score(
    page_one: Sequence[Sequence[Any]],
    curve: Sequence[float],
    total: float,
    blocks: Sequence[Sequence[Any]] | None = None,
    weights: dict[str, float] | None = None,
) -> float:
    """The page-one score of labelled positions, less the page-one blocks that show a
    negative (serp.features), never below -1: the one sum every summary's score comes from."""
    weighted = 0.0
    for position, _url, label in page_one:
        if 1 <= position <= dsp.PAGE_ONE:
            weighted += curve[position - 1] * dsp.SIGN.get(label or "", 0)
    if blocks:
        weighted -= block_penalty(blocks, curve, weights or {})
        return max(-1.0, weighted / total)
    return weighted / total


def relabel(
    page_one: Sequence[Sequence[Any]],
    result_count: int,
    labelling: Labelling,
    blocks: Sequence[Sequence[Any]] | None = None,
):
    """A stored summary's values again, with today's labels, curve and block weights."""
    return summarize(((p, u) for p, u, _label in page_one), result_count, labelling, blocks or ())


def refresh(
    session: Session,
    brand_id: int,
    *,
    check_ids: Collection[int] | None = None,
    labelling: Labelling | None = None,
    again: bool = False,
) -> dict[int, dict[str, Any]]:
    """Compute the brand's good checks' summaries that are missing or out of date (all, or
    those of ``check_ids``; ``again``: all of those, out of date or not); flushes. The values
    of the summaries whose page one or score changed, by check id.

    Out-of-date summaries are relabelled from the URLs they hold; missing ones read the
    check's page-one results.
    """
    labelling = _held(session, brand_id, labelling or follow_labels(session, brand_id))
    return _refresh(session, brand_id, check_ids, labelling, again)


def _refresh(
    session: Session,
    brand_id: int,
    check_ids: Collection[int] | None,
    labelling: Labelling,
    again: bool = False,
) -> dict[int, dict[str, Any]]:
    written, relabelled_only = _computed(session, brand_id, check_ids, labelling, again)
    now = utcnow()
    for chunk in _chunks(relabelled_only):
        session.execute(
            update(CheckSummary)
            .where(CheckSummary.check_id.in_(chunk))
            .values(fingerprint=labelling.fingerprint, computed_at=now)
            .execution_options(synchronize_session=False)
        )
    _upsert(session, [{"check_id": cid, **written[cid]} for cid in sorted(written)])
    session.flush()
    return written


def computed(
    session: Session, brand_id: int, check_ids: Collection[int], labelling: Labelling
) -> dict[int, dict[str, Any]]:
    """The summaries of these good checks as ``labelling`` reads them, by check id, computed
    and not written: what a reader that meets out-of-date summaries uses in their place."""
    return _computed(session, brand_id, check_ids, labelling, again=True, every=True)[0]


def out_of_date(
    session: Session, brand_id: int, labelling: Labelling
) -> tuple[bool, dict[int, int]]:
    """What of the brand's summaries ``labelling`` finds out of date, read only: whether the
    rules or curve moved since they were followed (each summary's fingerprint then tells), and
    the good checks, with their query, whose page one holds an owned page that changed since
    (their fingerprint does not tell)."""
    row = session.execute(
        select(SummaryLabels.fingerprint, SummaryLabels.digest, SummaryLabels.urls).where(
            SummaryLabels.brand_id == brand_id
        )
    ).one_or_none()
    rules_moved = row is None or row.fingerprint != labelling.fingerprint
    if row is not None and row.digest == labelling.owned_digest:
        return rules_moved, {}
    changed = set(row.urls if row is not None else ()) ^ labelling.classifier.owned
    found = result_index.results_holding(session, brand_id, changed, down_to=dsp.PAGE_ONE)
    return rules_moved, {check_id: query_id for check_id, query_id, _url in found}


def _computed(
    session: Session,
    brand_id: int,
    check_ids: Collection[int] | None,
    labelling: Labelling,
    again: bool = False,
    every: bool = False,
) -> tuple[dict[int, dict[str, Any]], list[int]]:
    """The values of the summaries to write (whose page one or score changed), by check id,
    and the checks whose summaries only need the new fingerprint (``every``: none, their values
    are among the others)."""
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
    stale = sorted(
        row.id
        for row in rows
        if row.fingerprint is not None and (again or row.fingerprint != labelling.fingerprint)
    )
    written: dict[int, dict[str, Any]] = {}
    relabelled_only: list[int] = []
    label, curve, total = labelling.label, labelling.curve, sum(labelling.curve)
    weights = labelling.weights
    for chunk in _chunks(stale):
        for check_id, old_score, page_one, blocks in session.execute(
            select(
                CheckSummary.check_id,
                CheckSummary.score,
                CheckSummary.page_one,
                CheckSummary.blocks,
            ).where(CheckSummary.check_id.in_(chunk))
        ):
            # Same labels and score: only the fingerprint moves, and the check keeps the time
            # its summary last changed (what the kept figures are stamped with).
            if (
                not every
                and all(label(url) == held for _p, url, held in page_one)
                and all(label(url) == held for _k, _s, url, held in blocks or ())
                and (_score(page_one, curve, total, blocks, weights) == old_score)
            ):
                relabelled_only.append(check_id)
            else:
                written[check_id] = relabel(page_one, counts[check_id], labelling, blocks)
    for chunk in _chunks(missing):
        rows_of: dict[int, list[tuple[int, str]]] = {check_id: [] for check_id in chunk}
        for check_id, position, url in session.execute(
            select(
                SerpResultRow.check_id, SerpResultRow.position, SerpResultRow.normalized_url
            ).where(SerpResultRow.check_id.in_(chunk), SerpResultRow.position <= dsp.PAGE_ONE)
        ):
            rows_of[check_id].append((position, url))
        blocks_of = page_one_blocks(session, chunk)
        for check_id, page in rows_of.items():
            written[check_id] = summarize(
                page, counts[check_id], labelling, blocks_of.get(check_id, ())
            )
    return written, relabelled_only


def refresh_check(session: Session, check: SerpCheck) -> None:
    """Summarize a check that was just recorded (or read again); nothing for a bad check."""
    if check.status != CheckStatus.OK.value:
        session.execute(CheckSummary.__table__.delete().where(CheckSummary.check_id == check.id))
        _mark(session, [check.id], None)
        return
    brand_id = session.scalar(
        select(TrackedQuery.brand_id).where(TrackedQuery.id == check.query_id)
    )
    labelling = _held(session, brand_id, follow_labels(session, brand_id))
    rows = [(r.position, r.normalized_url) for r in check.results]
    blocks = page_one_blocks(session, [check.id]).get(check.id, ())
    values = summarize(rows, check.result_count, labelling, blocks)
    _upsert(session, [{"check_id": check.id, **values}])
    session.flush()


def refresh_brand(session: Session, brand_id: int) -> int:
    """After the brand's labels or curve changed: bring every summary up to date; how many
    changed. Flushes only."""
    labelling = _read(session, brand_id)
    return _follow(session, brand_id, labelling) + len(
        refresh(session, brand_id, labelling=labelling)
    )


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
