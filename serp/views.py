"""Search-tracking pages: tracked queries, the latest page with labels and movements, history
charts, a page per URL, the labelling queue and uploads."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from markupsafe import Markup, escape
from sqlalchemy import func, select

from core.api import ApiError, parse_instant
from core.auth import role_required
from core.db import db, utcnow
from core.i18n import local_datetime
from core.models import Role
from core.pages import commit_or_flash as _commit_or_flash
from core.pages import flash_errors as _flash_errors
from core.pages import member_brand as _brand
from core.parsing import InvalidInput
from core.tenants import Brand
from core.urls import normalize_url
from serp import check_history, uploads
from serp import operations as ops
from serp import rules as rule_ops
from serp.api import decode_upload
from serp.checks import mark_due_now
from serp.errors import NotFound, SerpError
from serp.feature_reads import check_blocks
from serp.features import DEFAULT_BLOCK_WEIGHTS, KIND_NAMES, MAX_WEIGHT, weights_for_brand
from serp.forms import (
    ENGINE_LABELS,
    WEEKDAYS,
    ActionForm,
    LabelForm,
    QueryForm,
    RuleForm,
    UploadForm,
)
from serp.labels import classifier_for_brand
from serp.models import CheckStatus, Label, SerpCheck, TrackedQuery
from serp.presentation import label_name, status_name

bp = Blueprint("serp", __name__)

HISTORY_CHECKS = 30  # checks shown in a query's chart and table, per page of its history
URL_QUERIES = 10  # queries shown per page of a URL's history, each with its latest checks
CHART_URLS = 10  # lines in a query's chart
# Page numbers past this are refused before any arithmetic: ten million weeks of history.
MAX_PAGE_DIGITS = 7


def _query(brand: Brand, query_id: int) -> TrackedQuery:
    query = db.session.get(TrackedQuery, query_id)
    if query is None or query.brand_id != brand.id:
        abort(404, description="No such tracked query in this brand.")
    return query


_ANCHOR = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,59}$")


def _back(default: str, anchor: str | None = None) -> Any:
    target = request.form.get("next") or ""
    # Only same-site paths: never an open redirect.
    if not (target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc):
        target = default
    # Back to the row that was acted on, not to the top of a long page.
    if anchor and _ANCHOR.match(anchor):
        target = target.split("#", 1)[0] + "#" + anchor
    return redirect(target)


@bp.app_template_filter("local_time")
def local_time(value: datetime | None, brand: Brand) -> str:
    """A moment in the brand's time zone, the reader's way ("Mar 1, 2026, 10:00")."""
    return local_datetime(value, brand.zone) if value else "—"


def _page_context(brand: Brand) -> dict[str, Any]:
    return {
        "brand": brand,
        "can_edit": current_user.has_role(Role.EDITOR),
        "labels": [lab.value for lab in Label],
        "engine_labels": ENGINE_LABELS,
        "weekdays": WEEKDAYS,
        "action_form": ActionForm(),
    }


# --- tracked queries ----------------------------------------------------------------------------


@bp.route("/brands/<int:brand_id>/search", methods=["GET", "POST"])
@login_required
def queries(brand_id: int) -> Any:
    brand = _brand(brand_id)
    form = QueryForm()
    status = 200
    if request.method == "POST":
        if not current_user.has_role(Role.EDITOR):
            abort(403, description=_("Viewers cannot add tracked queries."))
        if form.validate_on_submit():
            values = form.values() | {"provider_settings": _settings(form)}
            try:
                query = ops.create_query(
                    db.session, brand, current_user, values, config=current_app.config,
                    now=utcnow(),
                )  # fmt: skip
            except SerpError as exc:
                db.session.rollback()
                _flash_errors(exc.errors)
                status = 422
            else:
                db.session.commit()
                flash(tracking_message(brand, query), "success")
                return redirect(url_for("serp.queries", brand_id=brand.id))
        else:
            status = 400
    tracked = ops.queries_of(db.session, brand.id)
    latest = _latest_checks([q.id for q in tracked])
    since = request.args.get("since")
    return render_template(
        "serp/queries.html",
        form=form,
        queries=tracked,
        latest=latest,
        since=since,
        **_page_context(brand),
    ), status


def tracking_message(brand: Brand, query: TrackedQuery) -> Markup:
    """What happens next to a new query: the worker checks it, or it waits for an upload."""
    if query.provider == "manual":
        upload = url_for("serp.upload", brand_id=brand.id, query_id=query.id)
        return Markup(
            _(
                "Tracking “%(query)s”. It is checked from saved result pages you upload, never by "
                'the worker: <a href="%(href)s">upload its first page</a>.',
                query=escape(query.text),
                href=escape(upload),
            )
        )
    if query.paused:
        words = _("Tracking “%(query)s”; it is paused, so it is not checked until resumed.")
    elif query.next_check_at is None:
        words = _("Tracking “%(query)s”; it is checked when you press “Check now”.")
    else:
        words = _("Tracking “%(query)s”; its first check runs shortly.")
    return Markup(escape(words) % {"query": query.text})


def _settings(form: QueryForm) -> dict[str, str] | None:
    settings = {}
    if form.api_key.data:
        settings["api_key"] = form.api_key.data
    if form.base_url.data:
        settings["base_url"] = form.base_url.data.strip()
    return settings or None


def _latest_checks(query_ids: list[int]) -> dict[int, SerpCheck]:
    if not query_ids:
        return {}
    newest = (
        select(SerpCheck.query_id, func.max(SerpCheck.id).label("id"))
        .where(SerpCheck.query_id.in_(query_ids))
        .group_by(SerpCheck.query_id)
        .subquery()
    )
    checks = db.session.scalars(select(SerpCheck).join(newest, newest.c.id == SerpCheck.id))
    return {check.query_id: check for check in checks}


@bp.route("/brands/<int:brand_id>/search/<int:query_id>/edit", methods=["GET", "POST"])
@role_required(Role.EDITOR)
def edit_query(brand_id: int, query_id: int) -> Any:
    brand = _brand(brand_id)
    query = _query(brand, query_id)
    form = QueryForm(obj=query)
    if request.method == "GET":
        form.tags.data = ", ".join(query.tags or [])
    if form.validate_on_submit():
        values = form.values()
        settings = _settings(form)
        if settings is not None:
            # Only what was typed is replaced; a stored key stays unless a new one is given.
            stored = ops.provider_settings_of(query, current_app.config)
            values["provider_settings"] = {**stored, **settings}
        try:
            ops.update_query(
                db.session, query, current_user, values, config=current_app.config, now=utcnow()
            )
        except SerpError as exc:
            db.session.rollback()
            _flash_errors(exc.errors)
        else:
            db.session.commit()
            flash(_("Query saved."), "success")
            return redirect(url_for("serp.query_detail", brand_id=brand.id, query_id=query.id))
    stored_settings = ops.provider_settings_of(query, current_app.config)
    return render_template(
        "serp/edit.html",
        form=form,
        query=query,
        has_key=bool(stored_settings.get("api_key")),
        stored_base_url=stored_settings.get("base_url", ""),
        **_page_context(brand),
    ), (422 if request.method == "POST" else 200)


@bp.post("/brands/<int:brand_id>/search/<int:query_id>/pause")
@role_required(Role.EDITOR)
def pause_query(brand_id: int, query_id: int) -> Any:
    brand = _brand(brand_id)
    query = _query(brand, query_id)
    if not ActionForm().validate_on_submit():
        abort(400, description=_("The form expired; reload the page and try again."))
    ops.set_paused(db.session, query, current_user, not query.paused)
    db.session.commit()
    if query.paused:
        flash(_("“%(query)s” paused.", query=query.text), "success")
    else:
        flash(_("“%(query)s” resumed.", query=query.text), "success")
    return _back(url_for("serp.queries", brand_id=brand.id))


@bp.post("/brands/<int:brand_id>/search/<int:query_id>/delete")
@role_required(Role.EDITOR)
def delete_query(brand_id: int, query_id: int) -> Any:
    brand = _brand(brand_id)
    query = _query(brand, query_id)
    if not ActionForm().validate_on_submit():
        abort(400, description=_("The form expired; reload the page and try again."))
    ops.delete_query(db.session, query, current_user, utcnow())
    db.session.commit()
    flash(
        _(
            "Stopped tracking “%(query)s”. Its history is kept until it is purged.",
            query=query.text,
        ),
        "success",
    )
    return redirect(url_for("serp.queries", brand_id=brand.id))


@bp.post("/brands/<int:brand_id>/search/check-all")
@role_required(Role.EDITOR)
def check_all(brand_id: int) -> Any:
    """Mark every active query due now; the worker checks them and the page shows progress."""
    brand = _brand(brand_id)
    if not ActionForm().validate_on_submit():
        abort(400, description=_("The form expired; reload the page and try again."))
    now = utcnow()
    active = [q for q in ops.queries_of(db.session, brand.id) if not q.paused]
    count = mark_due_now(db.session, active, now)
    db.session.commit()
    flash(
        ops.check_all_message(ops.queries_of(db.session, brand.id), count),
        "info" if count else "warning",
    )
    if not count:
        return redirect(url_for("serp.queries", brand_id=brand.id))
    since = now.isoformat().replace("+00:00", "Z")
    return redirect(url_for("serp.queries", brand_id=brand.id, since=since))


@bp.post("/brands/<int:brand_id>/search/<int:query_id>/check")
@role_required(Role.EDITOR)
def check_one(brand_id: int, query_id: int) -> Any:
    brand = _brand(brand_id)
    query = _query(brand, query_id)
    if not ActionForm().validate_on_submit():
        abort(400, description=_("The form expired; reload the page and try again."))
    mark_due_now(db.session, [query], utcnow())
    db.session.commit()
    flash(_("The worker will check this query within a minute."), "info")
    return redirect(url_for("serp.query_detail", brand_id=brand.id, query_id=query.id))


# --- a query's page and history -----------------------------------------------------------------


@bp.route("/brands/<int:brand_id>/search/<int:query_id>")
@login_required
def query_detail(brand_id: int, query_id: int) -> Any:
    brand = _brand(brand_id)
    query = _query(brand, query_id)
    classifier = classifier_for_brand(db.session, brand.id)
    total = check_history.count_checks(db.session, query.id)
    pages = max(1, -(-total // HISTORY_CHECKS))
    page = _page_number(pages)
    checks = check_history.history(
        db.session, query.id, HISTORY_CHECKS, offset=(page - 1) * HISTORY_CHECKS
    )
    latest = check_history.latest_page(
        check_history.latest_checks(db.session, query.id), classifier
    )
    blocks = check_blocks(db.session, latest.check, brand.id) if latest.check else None
    keys = [m.row.normalized_url for m in latest.rows[:CHART_URLS]]
    chronological = list(reversed(checks))
    grid = check_history.position_grid(chronological, keys)
    chart = {
        "labels": [local_time(c.checked_at, brand) for c in chronological],
        "gaps": [c.status != CheckStatus.OK.value for c in chronological],
        "series": [{"url": key, "positions": grid[key]} for key in keys],
        "depth": query.depth,
    }
    return render_template(
        "serp/query.html",
        query=query,
        latest=latest,
        blocks=blocks,
        checks=chronological,
        grid=grid,
        keys=keys,
        chart=chart,
        label_form=LabelForm(),
        page=page,
        pages=pages,
        total_checks=total,
        first_shown=(page - 1) * HISTORY_CHECKS + 1,
        **_page_context(brand),
    )


def _page_number(pages: int) -> int:
    """The `page` asked for, 1 when none; 404 for anything but a page of this history."""
    raw = request.args.get("page", "")
    if not raw:
        return 1
    if not (raw.isascii() and raw.isdigit()) or len(raw) > MAX_PAGE_DIGITS or int(raw) < 1:
        abort(404, description=_("Pages of a query's history are numbered 1, 2, 3 …"))
    page = int(raw)
    if page > pages:
        abort(
            404,
            description=ngettext(
                "This query's history has %(num)d page; there is no page %(page)d.",
                "This query's history has %(num)d pages; there is no page %(page)d.",
                pages,
                page=page,
            ),
        )
    return page


@bp.route("/brands/<int:brand_id>/search/url")
@login_required
def url_detail(brand_id: int) -> Any:
    """Every tracked query a URL appeared in, with its position at each check."""
    brand = _brand(brand_id)
    raw = (request.args.get("u") or "").strip()
    if not raw:
        abort(404, description=_("Which URL? Follow a link from a result table."))
    key = normalize_url(raw)
    total = check_history.count_url_queries(db.session, brand.id, key)
    pages = max(1, -(-total // URL_QUERIES))
    page = _page_number(pages)
    appearances = check_history.url_history(
        db.session,
        brand.id,
        key,
        limit=URL_QUERIES,
        offset=(page - 1) * URL_QUERIES,
        checks_per_query=HISTORY_CHECKS,
    )
    label = classifier_for_brand(db.session, brand.id).label(key, normalized=True)
    chart = {
        "series": [
            {
                "query": query.text,
                "points": [
                    {"x": check.checked_at.isoformat(), "y": position}
                    for check, position in rows
                    if check.status == CheckStatus.OK.value
                ],
            }
            for query, _count, rows in appearances
        ]
    }
    return render_template(
        "serp/url.html",
        key=key,
        label=label,
        appearances=appearances,
        chart=chart,
        page=page,
        pages=pages,
        total_queries=total,
        first_shown=(page - 1) * URL_QUERIES + 1,
        raw_url=raw,
        label_form=LabelForm(),
        **_page_context(brand),
    )


# --- labels -------------------------------------------------------------------------------------


@bp.post("/brands/<int:brand_id>/search/label")
@role_required(Role.EDITOR)
def label_url(brand_id: int) -> Any:
    """One click: label this exact URL for the brand."""
    brand = _brand(brand_id)
    form = LabelForm()
    if not form.validate_on_submit():
        abort(400, description=_("Choose a label for a URL."))
    try:
        rule_ops.save_rule(
            db.session, brand.id, current_user, match_type="exact", pattern=form.url.data,
            label=form.label.data,
        )  # fmt: skip
    except SerpError as exc:
        db.session.rollback()
        _flash_errors(exc.errors)
    else:
        db.session.commit()
        label = label_name(form.label.data)
        flash(
            _("Labelled %(url)s %(label)s.", url=short_url(form.url.data), label=label), "success"
        )
    return _back(url_for("serp.queue", brand_id=brand.id), anchor=request.form.get("anchor"))


def short_url(url: str, limit: int = 60) -> str:
    """A URL as a confirmation names it: whole when short, else cut with an ellipsis."""
    url = normalize_url(url)
    return url if len(url) <= limit else url[: limit - 1] + "…"


@bp.route("/brands/<int:brand_id>/search/labels", methods=["GET", "POST"])
@login_required
def rules(brand_id: int) -> Any:
    brand = _brand(brand_id)
    form = RuleForm()
    if request.method == "POST":
        if not current_user.has_role(Role.EDITOR):
            abort(403, description=_("Viewers cannot change labels."))
        if form.validate_on_submit():
            try:
                rule_ops.save_rule(
                    db.session, brand.id, current_user, match_type=form.match_type.data,
                    pattern=form.pattern.data, label=form.label.data,
                )  # fmt: skip
            except SerpError as exc:
                db.session.rollback()
                _flash_errors(exc.errors)
            else:
                db.session.commit()
                flash(_("Label saved."), "success")
                return redirect(url_for("serp.rules", brand_id=brand.id))
    return render_template(
        "serp/labels.html",
        form=form,
        rules=rule_ops.rules_of(db.session, brand.id),
        **_page_context(brand),
    )


@bp.post("/brands/<int:brand_id>/search/labels/<int:rule_id>/delete")
@role_required(Role.EDITOR)
def delete_rule(brand_id: int, rule_id: int) -> Any:
    brand = _brand(brand_id)
    try:
        rule = rule_ops.rule_for(db.session, current_user, rule_id)
    except NotFound:
        abort(404)
    if rule.brand_id != brand.id:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400, description=_("The form expired; reload the page and try again."))
    rule_ops.delete_rule(db.session, rule, current_user)
    db.session.commit()
    flash(_("Label rule deleted."), "success")
    return redirect(url_for("serp.rules", brand_id=brand.id))


@bp.route("/brands/<int:brand_id>/search/block-weights", methods=["GET", "POST"])
@login_required
def block_weights(brand_id: int) -> Any:
    """How much a negative in each kind of page-one block counts in the page-one score."""
    brand = _brand(brand_id)
    form = ActionForm()
    if request.method == "POST":
        if not current_user.has_role(Role.EDITOR):
            abort(403, description=_("Viewers cannot change measurement settings."))
        if not form.validate_on_submit():
            abort(400, description=_("The form expired; reload the page and try again."))
        weights = None
        if "reset" not in request.form:
            weights = {kind: request.form.get(f"weight_{kind}", "").strip() for kind in KIND_NAMES}
        if _commit_or_flash(
            lambda: rule_ops.set_block_weights(db.session, brand.id, current_user, weights)
        ):
            flash(_("Block weights saved; the figures now use them."), "success")
            return redirect(url_for("serp.block_weights", brand_id=brand.id))
    return render_template(
        "serp/block_weights.html",
        form=form,
        weights=weights_for_brand(db.session, brand.id),
        defaults=DEFAULT_BLOCK_WEIGHTS,
        names=KIND_NAMES,
        max_weight=MAX_WEIGHT,
        **_page_context(brand),
    )


@bp.route("/brands/<int:brand_id>/search/queue")
@login_required
def queue(brand_id: int) -> Any:
    """Page-one results no rule labels yet, most visible first."""
    brand = _brand(brand_id)
    return render_template(
        "serp/queue.html",
        items=check_history.unlabelled_page_one(db.session, brand.id),
        label_form=LabelForm(),
        **_page_context(brand),
    )


# --- uploads ------------------------------------------------------------------------------------


@bp.route("/brands/<int:brand_id>/search/<int:query_id>/upload", methods=["GET", "POST"])
@role_required(Role.EDITOR)
def upload(brand_id: int, query_id: int) -> Any:
    brand = _brand(brand_id)
    query = _query(brand, query_id)
    form = UploadForm()
    status = 200
    if form.validate_on_submit():
        try:
            checked_at = (
                parse_instant(form.checked_at.data, "checked_at", brand.zone)
                if form.checked_at.data
                else utcnow()
            )
            data = form.file.data.read()
            if form.kind.data == "html":
                uploads.check_page_size(len(data), current_app.config)
            made = uploads.import_upload(
                db.session, query, current_user, content=decode_upload(data),
                kind=form.kind.data, checked_at=checked_at, config=current_app.config,
            )  # fmt: skip
        except (ApiError, InvalidInput) as exc:
            _flash_errors(exc.errors)
            status = 422
        except SerpError as exc:
            db.session.rollback()
            _flash_errors(exc.errors)
            status = 422
        else:
            db.session.commit()
            states = ", ".join(sorted({status_name(c.status) for c in made}))
            stored = ngettext(
                "%(num)d check stored (%(states)s).", "%(num)d checks stored (%(states)s).",
                len(made), states=states,
            )  # fmt: skip
            flash(stored, "success")
            return redirect(url_for("serp.query_detail", brand_id=brand.id, query_id=query.id))
    elif request.method == "POST":
        status = 400
    max_bytes = current_app.config.get("SERP_MAX_PAGE_BYTES") or uploads.DEFAULT_MAX_PAGE_BYTES
    return render_template(
        "serp/upload.html",
        form=form,
        query=query,
        max_page_mb=f"{max_bytes / (1024 * 1024):g}",
        **_page_context(brand),
    ), status
