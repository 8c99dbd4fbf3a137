"""Autocomplete tracking's part of a brand's export: its terms, every look-up and suggestion,
the labels people gave and its own words."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.ops.personal import rows_of
from serp.suggest.models import (
    NegativeSuggestionSeen,
    SuggestFetch,
    Suggestion,
    SuggestionMark,
    SuggestSettings,
    SuggestTerm,
)


def brand_parts(session: Session, brand_id: int) -> dict[str, list[dict[str, Any]]]:
    fetch_ids = select(SuggestFetch.id).where(SuggestFetch.brand_id == brand_id)
    return {
        "suggest_terms": rows_of(
            session, SuggestTerm, SuggestTerm.brand_id == brand_id,
            skip=("claimed_by", "lease_until"),
        ),
        "suggest_fetches": rows_of(session, SuggestFetch, SuggestFetch.brand_id == brand_id),
        "suggestions": rows_of(session, Suggestion, Suggestion.fetch_id.in_(fetch_ids)),
        "suggestion_marks": rows_of(session, SuggestionMark, SuggestionMark.brand_id == brand_id),
        "suggest_settings": rows_of(session, SuggestSettings, SuggestSettings.brand_id == brand_id),
        "suggest_negatives_seen": rows_of(
            session, NegativeSuggestionSeen, NegativeSuggestionSeen.brand_id == brand_id
        ),
    }  # fmt: skip
