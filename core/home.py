"""The home overview's parts every feature shares: a line about a brand, a feature's section of
lines, and the overview of the user's brands assembled from the sections.

Each feature registers its section in ``app.extensions["pageone.home_sections"]``; the planner's
page shows the overview. Reading writes nothing (a GET never writes).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from core.tenants import Brand


@dataclass(frozen=True)
class HomeLine:
    """One line of the overview: a sentence about a brand, and where it is handled."""

    brand_id: int
    kind: str  # stable name of what the line counts (tests and styles use it)
    count: int
    # In the reader's language, with the count in the language's plural form (``ngettext``).
    text: str
    url: str
    # Needs a person (failed posts, overdue mentions), or only tells (posts due, the score).
    urgent: bool = True
    order: int = 50  # lines of a brand are shown by this, then by kind


# A feature's provider: the lines of these brands at this moment, read with one query per kind.
HomeSection = Callable[[Session, Sequence[Brand], datetime], Iterable[HomeLine]]


@dataclass
class BrandOverview:
    brand: Brand
    lines: list[HomeLine] = field(default_factory=list)

    @property
    def urgent(self) -> list[HomeLine]:
        return [line for line in self.lines if line.urgent]

    @property
    def info(self) -> list[HomeLine]:
        return [line for line in self.lines if not line.urgent]


def overview(
    session: Session,
    brands: Sequence[Brand],
    now: datetime,
    sections: Iterable[HomeSection],
) -> list[BrandOverview]:
    """Every brand's lines, the brands with most needing a person first, then by name."""
    by_brand = {brand.id: BrandOverview(brand) for brand in brands}
    if not by_brand:
        return []
    for section in sections:
        for line in section(session, brands, now):
            if line.brand_id in by_brand and line.count:
                by_brand[line.brand_id].lines.append(line)
    for item in by_brand.values():
        item.lines.sort(key=lambda line: (line.order, line.kind))
    return sorted(by_brand.values(), key=lambda o: (-len(o.urgent), o.brand.name.lower()))
