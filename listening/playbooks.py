"""Crisis playbooks of a brand: scenarios with their committee, checklist and first statements.

Every change is checked whole before anything is written: a scenario with one bad committee
member is refused with every reason and nothing saved. Only an admin changes a playbook; a
statement counts once an admin approved it, and changing its text withdraws the approval.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import audit
from core.errors import NotFound
from core.models import Role, User
from core.tenants import Brand
from listening.operations import ListeningError
from listening.playbook_models import (
    LANGUAGES,
    NOTIFY_BY,
    SEVERITIES,
    STATEMENT_PLATFORMS,
    CrisisScenario,
    CrisisStatement,
)
from listening.playbook_starters import STARTERS

NAME_MAX = 120
TEXT_MAX = 5000
STEP_MAX = 500
STEPS_MAX = 40
COMMITTEE_MAX = 30
EMAIL_RE = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")
PHONE_RE = re.compile(r"^\+?[0-9 ()./-]{5,30}$")


def check_admin(actor: User) -> None:
    if not actor.has_role(Role.ADMIN):
        raise ListeningError(_("Only admins change crisis playbooks."))


def _text(value: Any, field: str, errors: list[str], maximum: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        errors.append(f"'{field}' must be text.")
        return ""
    value = value.strip()
    if len(value) > maximum:
        errors.append(f"'{field}' is {len(value):,} characters long; keep it to {maximum}.")
    return value


def _choice(value: Any, field: str, choices: Any, errors: list[str]) -> str:
    if not isinstance(value, str) or value not in choices:
        errors.append(f"'{field}' must be one of: {', '.join(choices)}.")
        return ""
    return value


def _member(raw: Any, n: int, errors: list[str]) -> dict[str, str] | None:
    if not isinstance(raw, Mapping):
        errors.append(
            _("Committee member %(num)s: give name, role, email, phone and notify_by.", num=n)
        )
        return None
    where = _("Committee member %(num)s", num=n)
    member = {
        key: _text(raw.get(key), f"{where}: {key}", errors, NAME_MAX)
        for key in ("name", "role", "email", "phone")
    }
    if not any(member.values()):
        return None  # an empty row of the form
    member["notify_by"] = raw.get("notify_by") or "email"
    if member["notify_by"] not in NOTIFY_BY:
        errors.append(
            _(
                "%(where)s: notify_by must be one of: %(choices)s.",
                where=where,
                choices=", ".join(NOTIFY_BY),
            )
        )
    if not member["name"]:
        errors.append(_("%(where)s: give a name.", where=where))
    if not member["role"]:
        errors.append(
            _(
                "%(where)s (%(name)s): give their role in the crisis.",
                where=where,
                name=member["name"] or _("unnamed"),
            )
        )
    if member["email"] and not EMAIL_RE.match(member["email"]):
        errors.append(
            _(
                "%(where)s: '%(email)s' is not an e-mail address.",
                where=where,
                email=member["email"],
            )
        )
    if member["phone"] and not PHONE_RE.match(member["phone"]):
        errors.append(
            _(
                "%(where)s: '%(phone)s' is not a phone number (digits, +, spaces).",
                where=where,
                phone=member["phone"],
            )
        )
    if member["notify_by"] in ("email", "both") and not member["email"]:
        errors.append(_("%(where)s: notified by e-mail needs an e-mail address.", where=where))
    if member["notify_by"] in ("phone", "both") and not member["phone"]:
        errors.append(_("%(where)s: notified by phone needs a phone number.", where=where))
    return member


def parse_checklist(value: Any, errors: list[str]) -> list[str]:
    """Steps in order: a list of texts, or one step per line."""
    if value is None:
        return []
    if isinstance(value, str):
        value = value.splitlines()
    if not isinstance(value, list):
        errors.append("'checklist' must be a list of steps.")
        return []
    steps = []
    for n, step in enumerate(value, 1):
        text = _text(step, f"checklist step {n}", errors, STEP_MAX)
        if text:
            steps.append(text)
    if len(steps) > STEPS_MAX:
        errors.append(_("A checklist has at most %(num)s steps.", num=STEPS_MAX))
    return steps


def parse_scenario(data: Mapping[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """The checked fields of a scenario; every reason at once when any is wrong."""
    errors: list[str] = []
    values: dict[str, Any] = {}
    if not partial or "name" in data:
        values["name"] = _text(data.get("name"), "name", errors, NAME_MAX)
        if not values["name"] and not errors:
            errors.append(_("Give the scenario a name, e.g. “Product recall”."))
    if not partial or "severity" in data:
        values["severity"] = _choice(data.get("severity"), "severity", SEVERITIES, errors)
    if "description" in data or not partial:
        values["description"] = _text(data.get("description"), "description", errors, TEXT_MAX)
    if "default_language" in data or not partial:
        language = data.get("default_language") or "en"
        values["default_language"] = _choice(language, "default_language", LANGUAGES, errors)
    if "committee" in data or not partial:
        committee = data.get("committee") or []
        if not isinstance(committee, list):
            errors.append("'committee' must be a list of people.")
            committee = []
        if len(committee) > COMMITTEE_MAX:
            errors.append(_("A committee has at most %(num)s people.", num=COMMITTEE_MAX))
            committee = []
        members = [_member(raw, n, errors) for n, raw in enumerate(committee, 1)]
        values["committee"] = [m for m in members if m is not None]
    if "checklist" in data or not partial:
        values["checklist"] = parse_checklist(data.get("checklist"), errors)
    if errors:
        raise ListeningError(*errors)
    return values


def _check_name_free(
    session: Session, brand_id: int, name: str, scenario_id: int | None = None
) -> None:
    query = select(CrisisScenario.id).where(
        CrisisScenario.brand_id == brand_id, func.lower(CrisisScenario.name) == name.lower()
    )
    if scenario_id is not None:
        query = query.where(CrisisScenario.id != scenario_id)
    if session.scalar(query) is not None:
        raise ListeningError(_("The brand already has a scenario called “%(name)s”.", name=name))


def scenarios_of(session: Session, brand_id: int) -> list[CrisisScenario]:
    return list(
        session.scalars(
            select(CrisisScenario)
            .where(CrisisScenario.brand_id == brand_id)
            .order_by(CrisisScenario.name)
        )
    )


def scenario_for(session: Session, brand: Brand, scenario_id: int | None) -> CrisisScenario:
    scenario = session.get(CrisisScenario, scenario_id) if scenario_id else None
    if scenario is None or scenario.brand_id != brand.id:
        raise NotFound(f"No crisis scenario {scenario_id} for this brand.")
    return scenario


def create_scenario(
    session: Session, brand: Brand, actor: User, data: Mapping[str, Any], now: datetime
) -> CrisisScenario:
    check_admin(actor)
    values = parse_scenario(data)
    _check_name_free(session, brand.id, values["name"])
    scenario = CrisisScenario(brand_id=brand.id, created_at=now, updated_at=now, **values)
    session.add(scenario)
    session.flush()
    audit.record(
        session, actor, "crisis.scenario_created", "crisis_scenario", scenario.id,
        brand_id=brand.id, name=scenario.name,
    )  # fmt: skip
    return scenario


def update_scenario(
    session: Session, scenario: CrisisScenario, actor: User, data: Mapping[str, Any], now: datetime
) -> CrisisScenario:
    check_admin(actor)
    values = parse_scenario(data, partial=True)
    if "name" in values:
        _check_name_free(session, scenario.brand_id, values["name"], scenario.id)
    for key, value in values.items():
        setattr(scenario, key, value)
    scenario.updated_at = now
    session.flush()
    audit.record(
        session, actor, "crisis.scenario_changed", "crisis_scenario", scenario.id,
        brand_id=scenario.brand_id, fields=sorted(values),
    )  # fmt: skip
    return scenario


def delete_scenario(session: Session, scenario: CrisisScenario, actor: User) -> None:
    """Delete a scenario; the runs opened from it keep its name and their timeline."""
    check_admin(actor)
    audit.record(
        session, actor, "crisis.scenario_deleted", "crisis_scenario", scenario.id,
        brand_id=scenario.brand_id, name=scenario.name,
    )  # fmt: skip
    session.delete(scenario)
    session.flush()


# --- statements ---------------------------------------------------------------------------------


def statement_for(session: Session, scenario: CrisisScenario, statement_id: int) -> CrisisStatement:
    statement = session.get(CrisisStatement, statement_id)
    if statement is None or statement.scenario_id != scenario.id:
        raise NotFound(f"No statement {statement_id} in this scenario.")
    return statement


def save_statement(
    session: Session,
    scenario: CrisisScenario,
    actor: User,
    data: Mapping[str, Any],
    now: datetime,
) -> CrisisStatement | None:
    """Write the statement for a platform and language; new text needs a new approval.

    Empty text removes the statement. ``approve`` (true) approves it in the same step.
    """
    check_admin(actor)
    errors: list[str] = []
    platform = _choice(data.get("platform"), "platform", STATEMENT_PLATFORMS, errors)
    language = _choice(data.get("language"), "language", LANGUAGES, errors)
    text = _text(data.get("text"), "text", errors, TEXT_MAX)
    approve = data.get("approve", False)
    if not isinstance(approve, bool):
        errors.append("'approve' must be true or false.")
    if errors:
        raise ListeningError(*errors)
    statement = session.scalar(
        select(CrisisStatement).where(
            CrisisStatement.scenario_id == scenario.id,
            CrisisStatement.platform == platform,
            CrisisStatement.language == language,
        )
    )
    if not text:
        if statement is not None:
            scenario.statements.remove(statement)
            session.flush()
        return None
    if statement is None:
        statement = CrisisStatement(platform=platform, language=language, text=text)
        scenario.statements.append(statement)
    elif statement.text != text:
        statement.text = text
        statement.approved_at = statement.approved_by_id = None
    statement.updated_at = now
    session.flush()
    if approve:
        approve_statement(session, statement, actor, now)
    audit.record(
        session, actor, "crisis.statement_saved", "crisis_scenario", scenario.id,
        brand_id=scenario.brand_id, platform=platform, language=language,
    )  # fmt: skip
    return statement


def approve_statement(
    session: Session, statement: CrisisStatement, actor: User, now: datetime
) -> CrisisStatement:
    check_admin(actor)
    if statement.approved_at is None:
        statement.approved_at = now
        statement.approved_by_id = actor.id
        session.flush()
        audit.record(
            session, actor, "crisis.statement_approved", "crisis_statement", statement.id,
            brand_id=statement.scenario.brand_id,
        )  # fmt: skip
    return statement


def approved_text(scenario: CrisisScenario, platform: str, language: str) -> str | None:
    """The approved statement for the platform in the language; for a social platform without
    one of its own, the approved "any social channel" statement."""
    approved = {
        (s.platform, s.language): s.text for s in scenario.statements if s.approved_at is not None
    }
    text = approved.get((platform, language))
    if text is None and platform not in ("web", "social"):
        text = approved.get(("social", language))
    return text


def fill(text: str, brand: Brand, updates_url: str) -> str:
    """A statement with the brand's name and its public updates page filled in."""
    return text.replace("{brand}", brand.name).replace("{updates_url}", updates_url)


def add_starters(
    session: Session,
    brand: Brand,
    actor: User,
    now: datetime,
    *,
    approved: bool = False,
    committee: list[dict[str, str]] | None = None,
) -> list[CrisisScenario]:
    """The four starter scenarios the brand does not have yet (by name), with their statements;
    an admin reviews the statements and approves them before a playbook uses them."""
    check_admin(actor)
    have = {s.name.lower() for s in scenarios_of(session, brand.id)}
    added = []
    for starter in STARTERS:
        if starter["name"].lower() in have:
            continue
        scenario = CrisisScenario(
            brand_id=brand.id, name=starter["name"], severity=starter["severity"],
            description=starter["description"], default_language="en",
            committee=list(committee or []), checklist=list(starter["checklist"]),
            created_at=now, updated_at=now,
        )  # fmt: skip
        for platform in ("social", "web"):
            for language, text in starter[platform].items():
                scenario.statements.append(
                    CrisisStatement(
                        platform=platform,
                        language=language,
                        text=text,
                        updated_at=now,
                        approved_at=now if approved else None,
                        approved_by_id=actor.id if approved else None,
                    )  # fmt: skip
                )
        session.add(scenario)
        added.append(scenario)
    session.flush()
    if added:
        audit.record(
            session, actor, "crisis.starters_added", "brand", brand.id, brand_id=brand.id,
            names=[s.name for s in added],
        )  # fmt: skip
    return added


def load_playbooks_demo(session: Session, brand: Brand, admin: User, now: datetime) -> None:
    """The demo brand's starter playbooks, approved, with a small committee."""
    committee = [
        {"name": admin.name or "Demo admin", "role": "Crisis lead", "email": admin.email,
         "phone": "+371 2000 0000", "notify_by": "both"},
        {"name": "Legal counsel", "role": "Legal", "email": "legal@example.com", "phone": "",
         "notify_by": "email"},
    ]  # fmt: skip
    add_starters(session, brand, admin, now, approved=True, committee=committee)
