"""Demo data for autocomplete tracking: eight weeks of Google and Bing suggestions for the
brand's name, in which "<name> complaints" appears three weeks ago and climbs."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from core.models import User
from core.tenants import Brand
from serp.suggest import operations as ops
from serp.suggest.fetch import SuggestAnswer
from serp.suggest.models import SuggestTerm

WEEKS = 8


def _suggestions(name: str, week: int) -> list[str]:
    """The week's suggestions: the complaint enters at 5th three weeks before the last, then
    climbs a place a week."""
    base = [f"{name} login", f"{name} pricing", f"{name} reviews", f"{name} careers",
            f"{name} support", f"{name} app"]  # fmt: skip
    since = week - (WEEKS - 3)
    if since >= 0:
        base.insert(max(1, 4 - since), f"{name} complaints")
    return base


def load_suggest_demo(session: Session, brand: Brand, admin: User, now: datetime) -> None:
    """Terms for the brand and eight weekly look-ups ending at ``now`` (never alerted on)."""
    ops.sync_terms(session, brand, now - timedelta(weeks=WEEKS))
    name = brand.name.lower()
    label_of = ops.labeller_for_brand(session, brand.id)
    terms = [t for t in session.query(SuggestTerm).filter_by(brand_id=brand.id) if t.text.strip()]
    for week in range(WEEKS):
        when = now - timedelta(weeks=WEEKS - 1 - week)
        for term in terms:
            found = (
                _suggestions(name, week)
                if term.engine == "google"
                else _suggestions(name, week)[:5]
            )
            ops.store_answer(session, term, SuggestAnswer("ok", term.engine, found), when, label_of)
    for seen in ops.unsent_alerts(session, [brand.id]):
        seen.alerted_at = seen.first_seen_at
    session.flush()
