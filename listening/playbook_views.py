"""Crisis playbook pages: the brand's scenarios, editing one, opening a playbook (from a spike
alert or by hand), a run's checklist and its timeline for the post-mortem."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from core.auth import role_required
from core.db import db, utcnow
from core.errors import NotFound, Refused
from core.models import Role
from core.pages import flash_errors
from core.pages import member_brand as _brand
from core.parsing import parse_id
from core.tenants import Brand
from listening import crisis
from listening import playbook_runs as runs
from listening import playbooks as ops
from listening.playbook_models import (
    LANGUAGES,
    NOTIFY_BY,
    SEVERITIES,
    STARTED_ON,
    STATEMENT_PLATFORMS,
    notify_by_name,
    severity_name,
)

bp = Blueprint("playbooks", __name__)
EMPTY_COMMITTEE_ROWS = 3


@bp.context_processor
def _words() -> dict[str, Any]:
    return {
        "LANGUAGES": LANGUAGES,
        "PLATFORMS": STATEMENT_PLATFORMS,
        "STARTED_ON": STARTED_ON,
        "SEVERITIES": SEVERITIES,
        "NOTIFY_BY": NOTIFY_BY,
        "duration_text": runs.duration_text,
        "moment_name": runs.moment_name,
        "mail_error_text": runs.mail_error_text,
        "severity_name": severity_name,
        "notify_by_name": notify_by_name,
    }


def _scenario(brand: Brand, scenario_id: int):
    try:
        return ops.scenario_for(db.session, brand, scenario_id)
    except NotFound:
        abort(404)


def _run(brand: Brand, run_id: int):
    try:
        return runs.run_for(db.session, brand, run_id)
    except NotFound:
        abort(404)


def scenario_form(form: Any) -> dict[str, Any]:
    """A scenario's fields from the page's form: committee rows committee-<n>-<field>, one
    checklist step per line."""
    committee = []
    n = 0
    while f"committee-{n}-name" in form and n < ops.COMMITTEE_MAX + 5:
        committee.append(
            {
                key: form.get(f"committee-{n}-{key}", "")
                for key in ("name", "role", "email", "phone", "notify_by")
            }
        )
        n += 1
    return {
        "name": form.get("name", ""),
        "severity": form.get("severity", ""),
        "description": form.get("description", ""),
        "default_language": form.get("default_language", "en"),
        "committee": committee,
        "checklist": form.get("checklist", ""),
    }


def _updates_url(brand: Brand) -> str:
    return url_for("listening_public.public_updates", slug=brand.slug, _external=True)


@bp.route("/brands/<int:brand_id>/listening/playbooks")
@login_required
def index(brand_id: int) -> Any:
    brand = _brand(brand_id)
    return render_template(
        "listening/playbooks.html",
        brand=brand,
        scenarios=ops.scenarios_of(db.session, brand.id),
        runs=runs.runs_of(db.session, brand.id),
        open_run=runs.open_run_of(db.session, brand.id),
    )


@bp.route("/brands/<int:brand_id>/listening/playbooks/starters", methods=["POST"])
@role_required(Role.ADMIN)
def add_starters(brand_id: int) -> Any:
    brand = _brand(brand_id)
    try:
        added = ops.add_starters(db.session, brand, current_user, utcnow())
        db.session.commit()
    except Refused as exc:
        db.session.rollback()
        flash_errors(exc.errors)
    else:
        flash(
            ngettext(
                "Added %(num)d starter scenario. Review its statements and approve them.",
                "Added %(num)d starter scenarios. Review their statements and approve them.",
                len(added),
            )
            if added
            else _("The brand has all four starter scenarios already."),
            "success" if added else "info",
        )
    return redirect(url_for("playbooks.index", brand_id=brand.id))


@bp.route("/brands/<int:brand_id>/listening/playbooks/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def new(brand_id: int) -> Any:
    brand = _brand(brand_id)
    values: dict[str, Any] = {"severity": "high", "default_language": "en", "committee": []}
    if request.method == "POST":
        values = scenario_form(request.form)
        try:
            scenario = ops.create_scenario(db.session, brand, current_user, values, utcnow())
            db.session.commit()
        except Refused as exc:
            db.session.rollback()
            flash_errors(exc.errors)
        else:
            flash(
                _("Scenario “%(name)s” saved. Add its first statements.", name=scenario.name),
                "success",
            )
            return redirect(url_for("playbooks.edit", brand_id=brand.id, scenario_id=scenario.id))
    return render_template(
        "listening/playbook_edit.html",
        brand=brand,
        scenario=None,
        values=values,
        blank_rows=EMPTY_COMMITTEE_ROWS,
    )


@bp.route("/brands/<int:brand_id>/listening/playbooks/<int:scenario_id>", methods=["GET", "POST"])
@login_required
def edit(brand_id: int, scenario_id: int) -> Any:
    brand = _brand(brand_id)
    scenario = _scenario(brand, scenario_id)
    values: dict[str, Any] = {
        "name": scenario.name,
        "severity": scenario.severity,
        "description": scenario.description,
        "default_language": scenario.default_language,
        "committee": scenario.committee,
        "checklist": "\n".join(scenario.checklist),
    }
    if request.method == "POST":
        if not current_user.has_role(Role.ADMIN):
            abort(403)
        values = scenario_form(request.form)
        try:
            ops.update_scenario(db.session, scenario, current_user, values, utcnow())
            db.session.commit()
        except Refused as exc:
            db.session.rollback()
            flash_errors(exc.errors)
        else:
            flash(_("Scenario saved."), "success")
            return redirect(url_for("playbooks.edit", brand_id=brand.id, scenario_id=scenario.id))
    return render_template(
        "listening/playbook_edit.html",
        brand=brand,
        scenario=scenario,
        values=values,
        blank_rows=EMPTY_COMMITTEE_ROWS,
    )


@bp.route(
    "/brands/<int:brand_id>/listening/playbooks/<int:scenario_id>/statements", methods=["POST"]
)
@role_required(Role.ADMIN)
def save_statement(brand_id: int, scenario_id: int) -> Any:
    brand = _brand(brand_id)
    scenario = _scenario(brand, scenario_id)
    data = {
        "platform": request.form.get("platform", ""),
        "language": request.form.get("language", ""),
        "text": request.form.get("text", ""),
        "approve": request.form.get("approve") == "1",
    }
    try:
        saved = ops.save_statement(db.session, scenario, current_user, data, utcnow())
        db.session.commit()
    except Refused as exc:
        db.session.rollback()
        flash_errors(exc.errors)
    else:
        if saved is None:
            flash(_("Statement removed."), "info")
        elif saved.approved:
            flash(_("Statement approved."), "success")
        else:
            flash(_("Statement saved; an admin approves it before use."), "success")
    return redirect(
        url_for("playbooks.edit", brand_id=brand.id, scenario_id=scenario.id) + "#statements"
    )


@bp.route("/brands/<int:brand_id>/listening/playbooks/<int:scenario_id>/delete", methods=["POST"])
@role_required(Role.ADMIN)
def delete(brand_id: int, scenario_id: int) -> Any:
    brand = _brand(brand_id)
    scenario = _scenario(brand, scenario_id)
    name = scenario.name
    ops.delete_scenario(db.session, scenario, current_user)
    db.session.commit()
    flash(_("Scenario “%(name)s” deleted.", name=name), "info")
    return redirect(url_for("playbooks.index", brand_id=brand.id))


@bp.route("/brands/<int:brand_id>/listening/playbooks/open", methods=["POST"])
@role_required(Role.ADMIN)
def open_playbook(brand_id: int) -> Any:
    """Open a playbook from an alert's page or the playbooks page."""
    brand = _brand(brand_id)
    form = request.form
    alert_id = parse_id(form.get("alert_id"), "alert_id")
    back = (
        url_for("listening.alert_page", brand_id=brand.id, alert_id=alert_id)
        if alert_id
        else url_for("playbooks.index", brand_id=brand.id)
    )
    try:
        scenario_id = parse_id(form.get("scenario_id"), "scenario_id")
        if scenario_id is None:
            raise ops.ListeningError(_("Choose the scenario whose playbook to open."))
        scenario = ops.scenario_for(db.session, brand, scenario_id)
        alert = crisis.alert_for(db.session, brand, alert_id) if alert_id else None
        now = utcnow()
        opened = runs.open_playbook(
            db.session,
            current_app.config,
            brand,
            current_user,
            scenario,
            alert=alert,
            rehearsal=form.get("rehearsal") == "1",
            language=form.get("language") or None,
            platform=form.get("platform") or None,
            updates_url=_updates_url(brand),
            run_url=lambda run_id: url_for(
                "playbooks.run_page", brand_id=brand.id, run_id=run_id, _external=True
            ),
            now=now,
        )
        db.session.commit()
    except Refused as exc:
        db.session.rollback()
        flash_errors(exc.errors)
        return redirect(back)
    run = opened.run
    if not opened.created:
        flash(_("This crisis's playbook is already open: here it is."), "info")
    elif run.rehearsal:
        flash(_("Rehearsal started: nothing was paused or published."), "success")
    else:
        flash(_("Playbook opened: publishing is paused and the committee notified."), "success")
    return redirect(url_for("playbooks.run_page", brand_id=brand.id, run_id=run.id))


@bp.route("/brands/<int:brand_id>/listening/playbooks/runs/<int:run_id>")
@login_required
def run_page(brand_id: int, run_id: int) -> Any:
    brand = _brand(brand_id)
    run = _run(brand, run_id)
    return render_template(
        "listening/playbook_run.html",
        brand=brand,
        run=run,
        names=runs.people(db.session, run),
        timeline=runs.timeline(run),
        draft_url=(
            url_for("planner.post_page", post_id=run.draft_post_id) if run.draft_post_id else None
        ),
    )


@bp.route(
    "/brands/<int:brand_id>/listening/playbooks/runs/<int:run_id>/steps/<int:step_id>/<action>",
    methods=["POST"],
)
@role_required(Role.EDITOR)
def step(brand_id: int, run_id: int, step_id: int, action: str) -> Any:
    brand = _brand(brand_id)
    run = _run(brand, run_id)
    try:
        runs.mark_step(db.session, run, step_id, action, current_user, utcnow())
        db.session.commit()
    except NotFound:
        abort(404)
    except Refused as exc:
        db.session.rollback()
        flash_errors(exc.errors)
    return redirect(url_for("playbooks.run_page", brand_id=brand.id, run_id=run.id) + "#steps")


@bp.route("/brands/<int:brand_id>/listening/playbooks/runs/<int:run_id>/close", methods=["POST"])
@role_required(Role.ADMIN)
def close(brand_id: int, run_id: int) -> Any:
    brand = _brand(brand_id)
    run = _run(brand, run_id)
    try:
        runs.close_run(db.session, run, current_user, request.form.get("resolution", ""), utcnow())
        db.session.commit()
    except Refused as exc:
        db.session.rollback()
        flash_errors(exc.errors)
    else:
        flash(_("Crisis closed: the timeline is ready for the post-mortem."), "success")
    return redirect(url_for("playbooks.run_page", brand_id=brand.id, run_id=run.id))


@bp.route("/brands/<int:brand_id>/listening/playbooks/runs/<int:run_id>/timeline.<fmt>")
@login_required
def timeline_export(brand_id: int, run_id: int, fmt: str) -> Any:
    brand = _brand(brand_id)
    run = _run(brand, run_id)
    names = runs.people(db.session, run)
    if fmt == "md":
        body, mimetype = runs.timeline_markdown(run, brand, names), "text/markdown"
    elif fmt == "csv":
        body, mimetype = runs.timeline_csv(run, brand, names), "text/csv"
    else:
        abort(404)
    filename = f"crisis-{brand.slug}-{run.id}-timeline.{fmt}"
    return Response(
        body,
        mimetype=f"{mimetype}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
