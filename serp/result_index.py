"""Looking results up by URL in the (URL, check, position) index of result rows: which checks'
results hold a URL, for the few URLs that changed (a new owned page, a new negative)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import ARRAY, String, any_, bindparam, select
from sqlalchemy.orm import Session

from serp.models import CheckStatus, SerpCheck, SerpResultRow, TrackedQuery


def results_holding(
    session: Session, brand_id: int, urls: Collection[str], *, down_to: int | None = None
) -> list[tuple[int, int, str]]:
    """(check id, query id, URL) of the brand's good checks whose results hold any of ``urls``
    (down to position ``down_to``): one lookup in the (URL, check, position) index, for the few
    URLs that changed (a new owned page, a new negative)."""
    if not urls:
        return []
    conditions = [
        among(SerpResultRow.normalized_url, sorted(urls), session),
        SerpCheck.status == CheckStatus.OK.value,
        SerpCheck.query_id.in_(select(TrackedQuery.id).where(TrackedQuery.brand_id == brand_id)),
    ]
    if down_to is not None:
        conditions.append(SerpResultRow.position <= down_to)
    return [
        tuple(row)
        for row in session.execute(
            select(SerpResultRow.check_id, SerpCheck.query_id, SerpResultRow.normalized_url)
            .distinct()
            .join(SerpCheck, SerpCheck.id == SerpResultRow.check_id)
            .where(*conditions)
        )
    ]


def among(column_: Any, values_: list[Any], session: Session, type_: Any = String) -> Any:
    """``column IN values``; on PostgreSQL as ``= ANY(array)``, one parameter instead of
    hundreds that the driver would parse in the statement's text at every read."""
    if session.get_bind().dialect.name == "postgresql":
        return column_ == any_(bindparam("among", values_, type_=ARRAY(type_)))
    return column_.in_(values_)
