"""Displacement pages: the brand's dashboard, the printable weekly report and the plans."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from core import tenants
from core.db import db, utcnow
from core.errors import NotFound, Refused
from core.parsing import parse_id
from core.tenants import Brand
from serp import plans
from serp.displacement import COMPOSITION_KEYS
from serp.presentation import TEMPLATE_GLOBALS
from serp.reports import brand_report, render_weekly, report_csv, weekly_summary

bp = Blueprint("serp_dashboard", __name__)
for _name, _helper in TEMPLATE_GLOBALS.items():
    bp.add_app_template_global(_helper, _name)

CSV_TABLES = ("scores", "composition", "negatives", "plans", "report")
WINDOWS_SHOWN = 20  # negative items whose "is it working" windows the page lists (≤ the next)
NEGATIVES_SHOWN = 50  # negative items the page's table lists; the CSV has them all


def _brand(brand_id: int) -> Brand:
    try:
        return tenants.brand_for(db.session, current_user, brand_id)
    except NotFound:
        abort(404, description=_("No such brand, or you are not a member of it."))


def _plan(plan_id: int) -> plans.DisplacementPlan:
    try:
        return plans.plan_for(db.session, current_user, plan_id)
    except NotFound:
        abort(404, description=_("No such plan, or you are not a member of its brand."))


def dashboard_data(
    brand: Brand,
    *,
    with_windows: bool = True,
    windows_of: int | None = None,
    every_window: bool = True,
) -> dict[str, Any]:
    """What the dashboard shows: the report without per-check history. The "is it working"
    windows are left out only for the CSV tables, which do not list them; on the page, the
    windows are kept to the items it lists (``windows_of``)."""
    return brand_report(
        db.session,
        brand,
        with_checks=False,
        with_windows=with_windows,
        windows_of=windows_of,
        every_window=every_window,
    )


def windows_by_item(data: dict[str, Any]) -> dict[tuple[int, str], list[dict[str, Any]]]:
    """The "is it working" windows of each negative item, by (query id, URL), oldest asset first."""
    grouped: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for window in data["is_it_working"]:
        grouped.setdefault((window["query_id"], window["url"]), []).append(window)
    return grouped


@bp.get("/brands/<int:brand_id>/serp/dashboard")
@login_required
def dashboard(brand_id: int) -> Any:
    brand = _brand(brand_id)
    data = dashboard_data(brand, windows_of=WINDOWS_SHOWN, every_window=False)
    return render_template(
        "serp/dashboard.html",
        brand=brand,
        data=data,
        composition_keys=COMPOSITION_KEYS,
        windows=windows_by_item(data),
        windows_shown=WINDOWS_SHOWN,
        negatives_shown=NEGATIVES_SHOWN,
        query_texts={q["id"]: q["text"] for q in data["queries"]},
        on_page_one=[i for i in data["negative_items"] if i["needed"]],
    )


@bp.get("/brands/<int:brand_id>/serp/dashboard.json")
@login_required
def dashboard_json(brand_id: int) -> Any:
    return jsonify(dashboard_data(_brand(brand_id)))


def _csv_rows(table: str, data: dict[str, Any]) -> list[list[Any]]:
    if table == "scores":
        return [["week", "brand_score", "queries"]] + [
            [w["week"], w["score"], w["queries"]] for w in data["weeks"]
        ]
    if table == "composition":
        head = ["query_id", "query", "checked_at", "score", *COMPOSITION_KEYS]
        head += [f"position_{p}" for p in range(1, 11)]
        return [head] + [
            [q["id"], q["text"], q["latest_check_at"], q["score"]]
            + [(q["composition"] or {}).get(k) for k in COMPOSITION_KEYS]
            + (q["strip"] or [""] * 10)
            for q in data["queries"]
        ]
    if table == "negatives":
        names = ["current", "best", "worst", "change_last", "change_4w", "change_12w"]
        names += ["weeks_on_page_one", "needed", "good_checks"]
        return [["query_id", "query", "url", *names, "notes"]] + [
            [i["query_id"], i["query"], i["url"], *(i[n] for n in names)]
            + ["; ".join(f"{k}: {v}" for k, v in i["notes"].items())]
            for i in data["negative_items"]
        ]
    return [["plan_id", "query_id", "negative_url", "asset", "kind", "target_date", "stage"]] + [
        [p["id"], p["query_id"], p["negative_url"], a["title"], a["kind"], a["target_date"],
         a["stage"]]
        for p in data["plans"]
        for a in p["assets"]
    ]  # fmt: skip


@bp.get("/brands/<int:brand_id>/serp/dashboard/<table>.csv")
@login_required
def dashboard_csv(brand_id: int, table: str) -> Any:
    if table not in CSV_TABLES:
        abort(404)
    brand = _brand(brand_id)
    if table == "report":
        body = report_csv(brand_report(db.session, brand))
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        for row in _csv_rows(table, dashboard_data(brand, with_windows=False)):
            writer.writerow(["" if v is None else v for v in row])
        body = buffer.getvalue()
    filename = f"{brand.slug}-{table}.csv"
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/brands/<int:brand_id>/serp/report")
@login_required
def weekly_report(brand_id: int) -> Any:
    brand = _brand(brand_id)
    summary = weekly_summary(db.session, brand, utcnow())
    return render_template("serp/report.html", **summary)


@bp.get("/brands/<int:brand_id>/serp/report.eml.html")
@login_required
def weekly_report_email(brand_id: int) -> Any:
    """The HTML part of the weekly e-mail as it would be sent now."""
    brand = _brand(brand_id)
    _subject, _text, html = render_weekly(weekly_summary(db.session, brand, utcnow()))
    return html


@bp.post("/brands/<int:brand_id>/serp/plans")
@login_required
def create_plan(brand_id: int) -> Any:
    brand = _brand(brand_id)
    query_id = parse_id(request.form.get("query_id"), "query_id")
    if query_id is None:
        abort(400, description=_("Give the tracked query of the negative item."))
    try:
        plan = plans.create_plan(
            db.session,
            brand,
            current_user,
            query_id=query_id,
            negative_url=request.form.get("url", ""),
            now=utcnow(),
        )
        db.session.commit()
    except Refused as exc:
        db.session.rollback()
        for error in exc.errors:
            flash(error, "error")
        return redirect(url_for(".dashboard", brand_id=brand.id))
    drafted = ngettext(
        "Plan created: %(num)d asset drafted on the calendar.",
        "Plan created: %(num)d assets drafted on the calendar.",
        len(plan.assets),
    )
    flash(drafted, "success")
    return redirect(url_for(".plan_page", plan_id=plan.id))


@bp.get("/serp/plans/<int:plan_id>")
@login_required
def plan_page(plan_id: int) -> Any:
    plan = _plan(plan_id)
    brand = db.session.get(Brand, plan.brand_id)
    return render_template(
        "serp/plan.html",
        brand=brand,
        plan=plan,
        progress=plans.plan_progress(db.session, plan),
        stages=plans.STAGES,
        ideas=plans.IDEAS,
    )


@bp.get("/serp/plans/<int:plan_id>.json")
@login_required
def plan_json(plan_id: int) -> Any:
    return jsonify(plans.plan_summary(db.session, _plan(plan_id)))


@bp.post("/serp/plans/<int:plan_id>/assets/<int:asset_id>/published")
@login_required
def mark_published(plan_id: int, asset_id: int) -> Any:
    plan = _plan(plan_id)
    asset = next((a for a in plan.assets if a.id == asset_id), None)
    if asset is None:
        abort(404)
    try:
        plans.mark_published(db.session, asset, current_user, request.form.get("url", ""), utcnow())
        db.session.commit()
        flash(_("Recorded as published; it is now an owned asset of the brand."), "success")
    except Refused as exc:
        db.session.rollback()
        for error in exc.errors:
            flash(error, "error")
    return redirect(url_for(".plan_page", plan_id=plan.id))
