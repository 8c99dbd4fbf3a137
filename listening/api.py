"""JSON API of listening under /api/v1: sources, mentions (state, assignee), CSV uploads, crisis
playbooks (scenarios, statements) and their runs (open, steps, close)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from core import tenants
from core.api import ApiError, api_auth, body, register_api_errors
from core.db import db, utcnow
from core.errors import NotFound
from core.i18n import language
from core.models import Role
from core.parsing import parse_id, parse_int
from listening import crisis, inbox, playbook_runs, playbooks, themes
from listening import openapi as _openapi  # noqa: F401  (contributes the listening paths)
from listening import operations as ops
from listening.playbook_models import CrisisRun, CrisisScenario
from listening.serialize import mention_dict, run_dict, scenario_dict, source_dict, statement_dict
from listening.sources import parse_csv

bp = Blueprint("listening_api", __name__, url_prefix="/api/v1")
register_api_errors(bp)
PAGE_SIZE = 100


def _brand(brand_id: int):
    return tenants.brand_for(db.session, current_user, brand_id)


# --- sources ------------------------------------------------------------------------------------


@bp.get("/brands/<int:brand_id>/listening/sources")
@api_auth()
def list_sources(brand_id: int) -> Any:
    brand = _brand(brand_id)
    return jsonify(sources=[source_dict(s) for s in ops.sources_of(db.session, brand.id)])


@bp.post("/brands/<int:brand_id>/listening/sources")
@api_auth(Role.EDITOR)
def create_source(brand_id: int) -> Any:
    brand = _brand(brand_id)
    source = ops.create_source(db.session, brand, current_user, body(), utcnow())
    db.session.commit()
    return jsonify(source_dict(source)), 201


@bp.get("/listening/sources/<int:source_id>")
@api_auth()
def get_source(source_id: int) -> Any:
    return jsonify(source_dict(ops.source_for(db.session, current_user, source_id)))


@bp.patch("/listening/sources/<int:source_id>")
@api_auth(Role.EDITOR)
def update_source(source_id: int) -> Any:
    source = ops.source_for(db.session, current_user, source_id)
    ops.update_source(db.session, source, current_user, body())
    db.session.commit()
    return jsonify(source_dict(source))


@bp.delete("/listening/sources/<int:source_id>")
@api_auth(Role.EDITOR)
def delete_source(source_id: int) -> Any:
    source = ops.source_for(db.session, current_user, source_id)
    ops.delete_source(db.session, source, current_user)
    db.session.commit()
    return "", 204


# --- mentions -----------------------------------------------------------------------------------


@bp.get("/brands/<int:brand_id>/listening/mentions")
@api_auth()
def list_mentions(brand_id: int) -> Any:
    brand = _brand(brand_id)
    now = utcnow()
    filters = inbox.parse_filters(request.args)
    page = parse_int(request.args.get("page"), "page", default=1, minimum=1)
    query = inbox.inbox_query(brand.id, filters, now)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    mentions = db.session.scalars(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))
    return jsonify(
        mentions=[mention_dict(m, now) for m in mentions],
        total=total,
        page=page,
        per_page=PAGE_SIZE,
    )


@bp.get("/listening/mentions/<int:mention_id>")
@api_auth()
def get_mention(mention_id: int) -> Any:
    return jsonify(mention_dict(inbox.mention_for(db.session, current_user, mention_id), utcnow()))


@bp.patch("/listening/mentions/<int:mention_id>")
@api_auth(Role.EDITOR)
def update_mention(mention_id: int) -> Any:
    mention = inbox.mention_for(db.session, current_user, mention_id)
    data = body()
    now = utcnow()
    if "assignee_id" in data:
        value = data["assignee_id"]
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise ApiError(422, "'assignee_id' must be a user id or null.")
        inbox.assign(db.session, mention, current_user, parse_int(value, "assignee_id"))
    if "state" in data:
        inbox.set_state(db.session, mention, current_user, str(data["state"]), now)
    db.session.commit()
    return jsonify(mention_dict(mention, now))


@bp.post("/brands/<int:brand_id>/listening/mentions/upload")
@api_auth(Role.EDITOR)
def upload_mentions(brand_id: int) -> Any:
    """A CSV file (multipart field "file", or the body as text/csv): all rows or none."""
    brand = _brand(brand_id)
    upload = request.files.get("file")
    raw = upload.read() if upload is not None else request.get_data()
    if not raw:
        raise ApiError(400, "Send a CSV file (multipart field 'file' or a text/csv body).")
    now = utcnow()
    items, errors = parse_csv(raw, now)
    if errors:
        raise ApiError(422, f"{len(errors)} row(s) cannot be read; nothing was imported.", errors)
    source = ops.csv_source(db.session, brand)
    result = ops.ingest(db.session, brand, source, items, now)
    db.session.commit()
    current_app.logger.info(
        "listening CSV upload: %d new, %d duplicates", result.new, result.duplicates
    )
    return jsonify(new=result.new, duplicates=result.duplicates), 201


# --- crisis playbooks ---------------------------------------------------------------------------


def _scenario(scenario_id: int) -> CrisisScenario:
    scenario = db.session.get(CrisisScenario, scenario_id)
    if scenario is None:
        raise NotFound(f"No crisis scenario {scenario_id}.")
    _brand(scenario.brand_id)  # 404 unless the user belongs to its brand
    return scenario


def _run(run_id: int) -> CrisisRun:
    run = db.session.get(CrisisRun, run_id)
    if run is None:
        raise NotFound(f"No playbook run {run_id}.")
    _brand(run.brand_id)
    return run


def _run_json(run: CrisisRun) -> dict[str, Any]:
    return run_dict(run, playbook_runs.timeline(run))


@bp.get("/brands/<int:brand_id>/listening/playbooks")
@api_auth()
def list_scenarios(brand_id: int) -> Any:
    brand = _brand(brand_id)
    return jsonify(
        scenarios=[scenario_dict(s) for s in playbooks.scenarios_of(db.session, brand.id)]
    )


@bp.post("/brands/<int:brand_id>/listening/playbooks")
@api_auth(Role.ADMIN)
def create_scenario(brand_id: int) -> Any:
    brand = _brand(brand_id)
    scenario = playbooks.create_scenario(db.session, brand, current_user, body(), utcnow())
    db.session.commit()
    return jsonify(scenario_dict(scenario)), 201


@bp.post("/brands/<int:brand_id>/listening/playbooks/starters")
@api_auth(Role.ADMIN)
def add_starter_scenarios(brand_id: int) -> Any:
    brand = _brand(brand_id)
    added = playbooks.add_starters(db.session, brand, current_user, utcnow())
    db.session.commit()
    return jsonify(scenarios=[scenario_dict(s) for s in added])


@bp.get("/listening/playbooks/<int:scenario_id>")
@api_auth()
def get_scenario(scenario_id: int) -> Any:
    return jsonify(scenario_dict(_scenario(scenario_id)))


@bp.patch("/listening/playbooks/<int:scenario_id>")
@api_auth(Role.ADMIN)
def update_scenario(scenario_id: int) -> Any:
    scenario = _scenario(scenario_id)
    playbooks.update_scenario(db.session, scenario, current_user, body(), utcnow())
    db.session.commit()
    return jsonify(scenario_dict(scenario))


@bp.delete("/listening/playbooks/<int:scenario_id>")
@api_auth(Role.ADMIN)
def delete_scenario(scenario_id: int) -> Any:
    playbooks.delete_scenario(db.session, _scenario(scenario_id), current_user)
    db.session.commit()
    return "", 204


@bp.post("/listening/playbooks/<int:scenario_id>/statements")
@api_auth(Role.ADMIN)
def save_statement(scenario_id: int) -> Any:
    """Write (or with empty text remove) the statement for a platform and language."""
    scenario = _scenario(scenario_id)
    saved = playbooks.save_statement(db.session, scenario, current_user, body(), utcnow())
    db.session.commit()
    return jsonify(statement=statement_dict(saved) if saved else None)


@bp.get("/brands/<int:brand_id>/listening/crisis-runs")
@api_auth()
def list_runs(brand_id: int) -> Any:
    brand = _brand(brand_id)
    return jsonify(runs=[_run_json(r) for r in playbook_runs.runs_of(db.session, brand.id)])


@bp.post("/brands/<int:brand_id>/listening/crisis-runs")
@api_auth(Role.ADMIN)
def open_playbook(brand_id: int) -> Any:
    """Open a playbook: 201 with the new run, 200 with the run already open for this alert."""
    brand = _brand(brand_id)
    data = body()
    errors = []
    rehearsal = data.get("rehearsal", False)
    if not isinstance(rehearsal, bool):
        errors.append("'rehearsal' must be true or false.")
    for field in ("language", "platform"):
        if data.get(field) is not None and not isinstance(data[field], str):
            errors.append(f"'{field}' must be text or null.")
    scenario_id = data.get("scenario_id")
    if isinstance(scenario_id, bool) or not isinstance(scenario_id, int):
        errors.append("'scenario_id' must be the id of one of the brand's scenarios.")
    alert_id = data.get("alert_id")
    if alert_id is not None and (isinstance(alert_id, bool) or not isinstance(alert_id, int)):
        errors.append("'alert_id' must be an alert id or null.")
    if errors:
        raise ApiError(422, errors[0], errors)
    scenario = playbooks.scenario_for(db.session, brand, parse_id(scenario_id, "scenario_id"))
    alert_key = parse_id(alert_id, "alert_id")
    alert = crisis.alert_for(db.session, brand, alert_key) if alert_key else None
    opened = playbook_runs.open_playbook(
        db.session,
        current_app.config,
        brand,
        current_user,
        scenario,
        alert=alert,
        rehearsal=rehearsal,
        language=data.get("language"),
        platform=data.get("platform"),
        updates_url=url_for("listening_public.public_updates", slug=brand.slug, _external=True),
        run_url=lambda run_id: url_for(
            "playbooks.run_page", brand_id=brand.id, run_id=run_id, _external=True
        ),
        now=utcnow(),
    )
    db.session.commit()
    return jsonify(_run_json(opened.run)), 201 if opened.created else 200


@bp.get("/listening/crisis-runs/<int:run_id>")
@api_auth()
def get_run(run_id: int) -> Any:
    return jsonify(_run_json(_run(run_id)))


@bp.post("/listening/crisis-runs/<int:run_id>/checklist/<int:step_id>")
@api_auth(Role.EDITOR)
def mark_step(run_id: int, step_id: int) -> Any:
    """Start a checklist step or mark it done: {"action": "start" | "done"}."""
    run = _run(run_id)
    action = body().get("action")
    if not isinstance(action, str):
        raise ApiError(422, "'action' must be 'start' or 'done'.")
    playbook_runs.mark_step(db.session, run, step_id, action, current_user, utcnow())
    db.session.commit()
    return jsonify(_run_json(run))


@bp.post("/listening/crisis-runs/<int:run_id>/close")
@api_auth(Role.ADMIN)
def close_run(run_id: int) -> Any:
    run = _run(run_id)
    playbook_runs.close_run(db.session, run, current_user, body().get("resolution"), utcnow())
    db.session.commit()
    return jsonify(_run_json(run))


# --- complaint themes ---------------------------------------------------------------------------


@bp.get("/brands/<int:brand_id>/listening/themes")
@api_auth()
def list_themes(brand_id: int) -> Any:
    brand = _brand(brand_id)
    weeks = parse_int(
        request.args.get("weeks"), "weeks", default=themes.DEFAULT_WEEKS, minimum=2,
        maximum=themes.MAX_WEEKS,
    )  # fmt: skip
    with language("en"):  # docs/i18n.md: the JSON API speaks English to every caller
        return jsonify(themes.as_json(themes.report(db.session, brand.id, utcnow(), weeks)))


@bp.get("/brands/<int:brand_id>/listening/themes/alerts")
@api_auth()
def list_theme_alerts(brand_id: int) -> Any:
    brand = _brand(brand_id)
    return jsonify(
        alerts=[
            {
                "id": a.id,
                "theme": a.theme,
                "week": a.week.isoformat(),
                "count": a.count,
                "previous": a.previous,
                "created_at": a.created_at.isoformat(),
            }  # fmt: skip
            for a in themes.recent_alerts(db.session, brand.id)
        ]
    )
