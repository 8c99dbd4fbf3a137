"""What a brand's pages one are read with: its label rules and its click-through curve.

Each change relabels the brand's check summaries and its figures' parts that it moves, in the
same transaction (:mod:`serp.upkeep`): pages that show them only read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit, tenants
from core.models import Role, User
from serp import upkeep
from serp.displacement import check_curve
from serp.errors import NotFound, SerpError, check_editor
from serp.features import DEFAULT_BLOCK_WEIGHTS, check_weights
from serp.labels import normalize_pattern
from serp.models import BrandSerpSettings, Label, LabelRule, MatchType
from serp.suggest import operations as suggestions


def rule_for(session: Session, user: User, rule_id: int) -> LabelRule:
    rule = session.get(LabelRule, rule_id)
    if rule is None or not tenants.is_member(session, user, rule.brand_id):
        raise NotFound(f"No label rule {rule_id} that you can see.")
    return rule


def rules_of(session: Session, brand_id: int) -> list[LabelRule]:
    return list(
        session.scalars(
            select(LabelRule)
            .where(LabelRule.brand_id == brand_id)
            .order_by(LabelRule.match_type, LabelRule.pattern)
        )
    )


def _clean_rule(match_type: Any, pattern: Any, label: Any) -> tuple[str, str, str]:
    errors = []
    if match_type not in [m.value for m in MatchType]:
        errors.append("'match_type' must be exact, prefix or domain.")
    if label not in [lab.value for lab in Label]:
        errors.append("'label' must be negative, positive, owned or neutral.")
    text = str(pattern or "").strip()
    if not text:
        errors.append(_("A rule needs a pattern (a URL, URL prefix or domain)."))
    if errors:
        raise SerpError(*errors)
    normalized = normalize_pattern(match_type, text)
    if not normalized or (match_type == MatchType.DOMAIN.value and "." not in normalized):
        raise SerpError(_("“%(text)s” is not a URL or domain.", text=text))
    return match_type, normalized, label


def save_rule(
    session: Session,
    brand_id: int,
    actor: User | None,
    *,
    match_type: Any,
    pattern: Any,
    label: Any,
    note: str = "",
) -> LabelRule:
    """Create a rule, or relabel the brand's rule with the same match and pattern."""
    check_editor(actor)
    match_type, pattern, label = _clean_rule(match_type, pattern, label)
    rule = session.scalar(
        select(LabelRule).where(
            LabelRule.brand_id == brand_id,
            LabelRule.match_type == match_type,
            LabelRule.pattern == pattern,
        )
    )
    if rule is None:
        rule = LabelRule(
            brand_id=brand_id,
            match_type=match_type,
            pattern=pattern,
            created_by_id=actor.id if actor else None,
        )
        session.add(rule)
    rule.label, rule.note = label, note.strip()[:500]
    session.flush()
    upkeep.labels_changed(session, brand_id)
    suggestions.rules_changed(session, brand_id)
    audit.record(
        session, actor, "serp.label_saved", "serp_label_rule", rule.id, brand_id=brand_id,
        match_type=match_type, pattern=pattern, label=label,
    )  # fmt: skip
    return rule


def update_rule(
    session: Session, rule: LabelRule, actor: User | None, values: Mapping[str, Any]
) -> LabelRule:
    check_editor(actor)
    match_type, pattern, label = _clean_rule(
        values.get("match_type", rule.match_type),
        values.get("pattern", rule.pattern),
        values.get("label", rule.label),
    )
    clash = session.scalar(
        select(LabelRule.id).where(
            LabelRule.brand_id == rule.brand_id,
            LabelRule.match_type == match_type,
            LabelRule.pattern == pattern,
            LabelRule.id != rule.id,
        )
    )
    if clash is not None:
        raise SerpError(_("Rule %(rule)s already labels this pattern.", rule=clash))
    rule.match_type, rule.pattern, rule.label = match_type, pattern, label
    if "note" in values:
        rule.note = str(values["note"] or "").strip()[:500]
    session.flush()
    upkeep.labels_changed(session, rule.brand_id)
    suggestions.rules_changed(session, rule.brand_id)
    audit.record(
        session, actor, "serp.label_updated", "serp_label_rule", rule.id, brand_id=rule.brand_id,
        label=label,
    )  # fmt: skip
    return rule


def delete_rule(session: Session, rule: LabelRule, actor: User | None) -> None:
    check_editor(actor)
    audit.record(
        session, actor, "serp.label_deleted", "serp_label_rule", rule.id, brand_id=rule.brand_id,
        pattern=rule.pattern,
    )  # fmt: skip
    session.delete(rule)
    session.flush()
    upkeep.labels_changed(session, rule.brand_id)
    suggestions.rules_changed(session, rule.brand_id)


def set_curve(
    session: Session, brand_id: int, actor: User | None, curve: Sequence[float] | None
) -> None:
    """Set (or, with None, reset) the brand's click-through curve."""
    if actor is not None and not actor.has_role(Role.EDITOR):
        raise SerpError(_("Viewers cannot change measurement settings."))
    try:
        values = list(check_curve(curve)) if curve is not None else None
    except ValueError as exc:
        raise SerpError(str(exc)) from None
    settings = session.scalar(
        select(BrandSerpSettings).where(BrandSerpSettings.brand_id == brand_id)
    )
    if settings is None:
        settings = BrandSerpSettings(brand_id=brand_id)
        session.add(settings)
    settings.ctr_curve = values
    session.flush()
    upkeep.labels_changed(session, brand_id)
    audit.record(
        session, actor, "serp.curve_set", "brand", brand_id, brand_id=brand_id, curve=values
    )


def set_block_weights(
    session: Session, brand_id: int, actor: User | None, weights: Mapping[str, Any] | None
) -> dict[str, float]:
    """Set (or, with None, reset) how much a negative in each kind of page-one block counts;
    the brand's figures follow. The weights now in force."""
    if actor is not None and not actor.has_role(Role.EDITOR):
        raise SerpError(_("Viewers cannot change measurement settings."))
    values = check_weights(weights) if weights is not None else None
    settings = session.scalar(
        select(BrandSerpSettings).where(BrandSerpSettings.brand_id == brand_id)
    )
    if settings is None:
        settings = BrandSerpSettings(brand_id=brand_id)
        session.add(settings)
    settings.block_weights = values
    session.flush()
    upkeep.labels_changed(session, brand_id)
    audit.record(
        session, actor, "serp.block_weights_set", "brand", brand_id, brand_id=brand_id,
        weights=values,
    )  # fmt: skip
    return values or dict(DEFAULT_BLOCK_WEIGHTS)
