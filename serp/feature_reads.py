"""Reading a check's page blocks for the query page and the JSON API: labelled with the brand's
labels (the same lookup as its results) and weighed with its block weights. Reads only."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from core.models import User
from serp import operations as ops
from serp import summaries
from serp.errors import NotFound
from serp.features import PAGE_ONE_SLOTS, ShownBlock, blocks_of
from serp.models import SerpCheck


@dataclass
class CheckBlocks:
    """A check's blocks, and the weights and curve they were weighed with."""

    check: SerpCheck
    blocks: list[ShownBlock]
    weights: dict[str, float]

    def to_dict(self) -> dict:
        return {
            "check_id": self.check.id,
            "checked_at": self.check.checked_at.isoformat(),
            "status": self.check.status,
            "weights": self.weights,
            "blocks": [block.to_dict() for block in self.blocks],
        }


def check_blocks(session: Session, check: SerpCheck, brand_id: int) -> CheckBlocks:
    """The check's blocks in page order, each item labelled, each block with its weight and
    what it takes off the page-one score."""
    labelling = summaries.labelling_for_brand(session, brand_id)
    weights = labelling.weights
    blocks = blocks_of(session, check.id, labelling.label, weights)
    total = sum(labelling.curve)
    for block in blocks:
        if block.counts:
            slot = min(max(block.slot, 1), PAGE_ONE_SLOTS)
            block.score_effect = -block.weight * labelling.curve[slot - 1] / total
    return CheckBlocks(check, blocks, weights)


def check_blocks_for(session: Session, user: User, check_id: int) -> CheckBlocks:
    """:func:`check_blocks` of a check the user may see; NotFound otherwise (never says which)."""
    check = session.get(SerpCheck, check_id)
    try:
        if check is None:
            raise NotFound("")
        query = ops.query_for(session, user, check.query_id)
    except NotFound:
        raise NotFound(f"No check {check_id} that you can see.") from None
    return check_blocks(session, check, query.brand_id)
