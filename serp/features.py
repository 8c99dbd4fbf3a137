"""Page features of a check: the blocks beside the organic results, stored per check, labelled
like results, and weighed in the page-one score.

A block is stored with the result page it was on (0 is page one), its place among the page's
blocks, and its *slot*: the organic position it stands before (top stories after two organic
results hold slot 3). A block on page one that shows a negative URL counts in the page-one score
like a negative result at its slot, times its kind's weight (:data:`DEFAULT_BLOCK_WEIGHTS`,
configurable per brand): ``score -= weight(kind) · w(slot) / Σ w``. A block counts once however
many negatives it shows; positive or owned items in a block do not raise the score.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base
from core.i18n import number as local_number
from core.urls import domain_of, normalize_url
from serp.errors import SerpError
from serp.models import BrandSerpSettings, Label, SerpCheck
from serp.parse import PageFeature

PAGE_ONE_SLOTS = 10
NEGATIVE = Label.NEGATIVE.value

# How much a negative in a block of each kind counts, as a share of a negative organic result at
# the same place. Blocks that take clicks like a result (news, videos, forums) count nearly as
# much; a question box or image strip less; ads not at all (they are bought, not earned).
DEFAULT_BLOCK_WEIGHTS: dict[str, float] = {
    "top_stories": 1.0,
    "videos": 0.8,
    "discussions": 0.8,
    "images": 0.5,
    "people_also_ask": 0.3,
    "knowledge_panel": 0.5,
    "local_pack": 0.5,
    "sitelinks": 0.0,  # links under a result: that result already counts
    "ads": 0.0,
    "other": 0.3,
}
KIND_NAMES: dict[str, Any] = {
    "top_stories": _l("Top stories"),
    "videos": _l("Videos"),
    "discussions": _l("Discussions and forums"),
    "images": _l("Images"),
    "people_also_ask": _l("People also ask"),
    "knowledge_panel": _l("Knowledge panel"),
    "local_pack": _l("Local pack"),
    "sitelinks": _l("Site links"),
    "ads": _l("Ads"),
    "other": _l("Other block"),
}
MAX_WEIGHT = 2.0


class CheckFeature(Base):
    """One block of a check's result page: its kind and where it stood."""

    __tablename__ = "serp_check_features"
    __table_args__ = (Index("ix_serp_check_features_check", "check_id", "page", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("serp_checks.id", ondelete="CASCADE"))
    page: Mapped[int] = mapped_column(default=0)  # result page, 0 = page one
    position: Mapped[int]  # among the page's blocks, organic results included, from 1
    slot: Mapped[int]  # the organic position it stands before, from 1
    kind: Mapped[str] = mapped_column(String(24))


class CheckFeatureItem(Base):
    """One entry of a block: a story, a video, a question, an ad ..."""

    __tablename__ = "serp_check_feature_items"
    __table_args__ = (
        Index("ix_serp_check_feature_items_feature", "feature_id", "item_order"),
        Index("ix_serp_check_feature_items_url_check", "normalized_url", "check_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    feature_id: Mapped[int] = mapped_column(
        ForeignKey("serp_check_features.id", ondelete="CASCADE")
    )
    # Kept on the item too: reads by check and deletes by check need no join.
    check_id: Mapped[int] = mapped_column(ForeignKey("serp_checks.id", ondelete="CASCADE"))
    item_order: Mapped[int]  # from 1, in the block's order
    url: Mapped[str | None] = mapped_column(Text)
    normalized_url: Mapped[str | None] = mapped_column(String(2048))
    domain: Mapped[str] = mapped_column(String(255), default="")
    title: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")
    date: Mapped[str] = mapped_column(String(80), default="")


# --- storing ------------------------------------------------------------------------------------


def slots(features: Sequence[PageFeature]) -> list[int]:
    """The slot of each block of one page: the organic position it stands before."""
    ordered = sorted(range(len(features)), key=lambda i: features[i].position)
    found = [0] * len(features)
    for before, index in enumerate(ordered):
        # Blocks before it that are features, not organic results.
        found[index] = max(1, features[index].position - before)
    return found


def store_features(
    session: Session, check: SerpCheck, pages: Iterable[tuple[int, Sequence[PageFeature]]]
) -> int:
    """Store the blocks of a check's pages (``(page index, features)``); flushes. How many."""
    stored = 0
    for page, features in pages:
        for feature, slot in zip(features, slots(features), strict=True):
            row = CheckFeature(
                check_id=check.id,
                page=page,
                position=feature.position,
                slot=slot,
                kind=feature.kind[:24],
            )
            session.add(row)
            session.flush()
            session.add_all(
                CheckFeatureItem(
                    feature_id=row.id,
                    check_id=check.id,
                    item_order=order,
                    url=item.url,
                    normalized_url=normalize_url(item.url)[:2048] if item.url else None,
                    domain=domain_of(item.url)[:255] if item.url else "",
                    title=item.title,
                    source=item.source,
                    date=item.date[:80],
                )
                for order, item in enumerate(feature.items, start=1)
            )
            stored += 1
    session.flush()
    return stored


def delete_features(session: Session, check_ids: Any) -> None:
    """Remove the blocks of these checks (ids or a select of ids)."""
    session.execute(
        CheckFeatureItem.__table__.delete().where(CheckFeatureItem.check_id.in_(check_ids))
    )
    session.execute(CheckFeature.__table__.delete().where(CheckFeature.check_id.in_(check_ids)))


# --- weights ------------------------------------------------------------------------------------


def check_weights(weights: Mapping[str, Any]) -> dict[str, float]:
    """Weights of known kinds between 0 and MAX_WEIGHT, the defaults for the rest; or SerpError."""
    checked = dict(DEFAULT_BLOCK_WEIGHTS)
    for kind, value in weights.items():
        if kind not in DEFAULT_BLOCK_WEIGHTS:
            raise SerpError(_("Unknown kind of block %(kind)r.", kind=kind))
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise SerpError(
                _("The weight of %(block)s is not a number.", block=KIND_NAMES[kind])
            ) from None
        if not 0 <= number <= MAX_WEIGHT:  # NaN fails too
            raise SerpError(
                _(
                    "The weight of %(block)s must be between 0 and %(max)s.",
                    block=KIND_NAMES[kind],
                    max=local_number(MAX_WEIGHT),
                )
            )
        checked[kind] = number
    return checked


def weights_for_brand(session: Session, brand_id: int) -> dict[str, float]:
    """The brand's block weights: its own where set, the defaults for the rest."""
    stored = session.scalar(
        select(BrandSerpSettings.block_weights).where(BrandSerpSettings.brand_id == brand_id)
    )
    try:
        return check_weights(stored or {})
    except SerpError:  # a stored value from an older set of kinds: the defaults
        return dict(DEFAULT_BLOCK_WEIGHTS)


# --- the score ----------------------------------------------------------------------------------


def page_one_blocks(session: Session, check_ids: Sequence[int]) -> dict[int, list[list[Any]]]:
    """The linked items of the page-one blocks of these checks, by check id:
    ``[[kind, slot, normalized URL], ...]`` in page order."""
    found: dict[int, list[list[Any]]] = {}
    if not check_ids:
        return found
    rows = session.execute(
        select(
            CheckFeatureItem.check_id,
            CheckFeature.kind,
            CheckFeature.slot,
            CheckFeatureItem.normalized_url,
        )
        .join(CheckFeature, CheckFeature.id == CheckFeatureItem.feature_id)
        .where(
            CheckFeatureItem.check_id.in_(list(check_ids)),
            CheckFeature.page == 0,
            CheckFeatureItem.normalized_url.is_not(None),
        )
        .order_by(CheckFeatureItem.check_id, CheckFeature.position, CheckFeatureItem.item_order)
    )
    for check_id, kind, slot, url in rows:
        found.setdefault(check_id, []).append([kind, slot, url])
    return found


def block_penalty(
    blocks: Iterable[Sequence[Any]], curve: Sequence[float], weights: Mapping[str, float]
) -> float:
    """Σ weight(kind)·w(slot) over the page-one blocks that show a negative URL (labelled
    ``[kind, slot, url, label]`` entries), each block once."""
    counted: set[tuple[str, int]] = set()
    penalty = 0.0
    for kind, slot, _url, label in blocks:
        if label != NEGATIVE or (kind, slot) in counted:
            continue
        counted.add((kind, slot))
        penalty += weights.get(kind, 0.0) * curve[min(max(slot, 1), PAGE_ONE_SLOTS) - 1]
    return penalty


# --- reading ------------------------------------------------------------------------------------


@dataclass
class ShownItem:
    url: str | None
    normalized_url: str | None
    title: str
    source: str
    date: str
    label: str | None


@dataclass
class ShownBlock:
    """A block as the query page and the API show it."""

    kind: str
    name: str
    page: int
    position: int
    slot: int
    weight: float
    items: list[ShownItem]
    # What it takes off the page-one score (0 when it does not count).
    score_effect: float = 0.0

    @property
    def negative(self) -> bool:
        return any(item.label == NEGATIVE for item in self.items)

    @property
    def counts(self) -> bool:
        """Whether it lowers the page-one score: on page one, a negative shown, a weight."""
        return self.page == 0 and self.weight > 0 and self.negative

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "page": self.page + 1,
            "position": self.position,
            "slot": self.slot,
            "weight": self.weight,
            "negative": self.negative,
            "counts_in_score": self.counts,
            "score_effect": round(self.score_effect, 4),
            "items": [
                {
                    "url": item.url,
                    "normalized_url": item.normalized_url,
                    "title": item.title,
                    "source": item.source,
                    "date": item.date,
                    "label": item.label,
                }
                for item in self.items
            ],
        }


def blocks_of(
    session: Session, check_id: int, label: Any, weights: Mapping[str, float]
) -> list[ShownBlock]:
    """A check's blocks in page order, their items labelled with ``label(normalized URL)``."""
    features = session.scalars(
        select(CheckFeature)
        .where(CheckFeature.check_id == check_id)
        .order_by(CheckFeature.page, CheckFeature.position)
    ).all()
    items: dict[int, list[ShownItem]] = {feature.id: [] for feature in features}
    for item in session.scalars(
        select(CheckFeatureItem)
        .where(CheckFeatureItem.check_id == check_id)
        .order_by(CheckFeatureItem.feature_id, CheckFeatureItem.item_order)
    ):
        key = item.normalized_url
        items[item.feature_id].append(
            ShownItem(
                item.url, key, item.title, item.source, item.date, label(key) if key else None
            )
        )
    return [
        ShownBlock(
            feature.kind,
            str(KIND_NAMES.get(feature.kind, feature.kind)),
            feature.page,
            feature.position,
            feature.slot,
            weights.get(feature.kind, 0.0),
            items[feature.id],
        )
        for feature in features
    ]


def stored_blocks(session: Session, check_id: int) -> list[tuple[int, str, int, list[dict]]]:
    """A check's stored blocks as ``(page, kind, position, items)``: to tell whether a new
    reading of its pages changed them."""
    items: dict[int, list[dict[str, Any]]] = {}
    for item in session.scalars(
        select(CheckFeatureItem)
        .where(CheckFeatureItem.check_id == check_id)
        .order_by(CheckFeatureItem.feature_id, CheckFeatureItem.item_order)
    ):
        items.setdefault(item.feature_id, []).append(
            {"url": item.url, "title": item.title, "source": item.source, "date": item.date}
        )
    return [
        (feature.page, feature.kind, feature.position, items.get(feature.id, []))
        for feature in session.scalars(
            select(CheckFeature)
            .where(CheckFeature.check_id == check_id)
            .order_by(CheckFeature.page, CheckFeature.position)
        )
    ]
