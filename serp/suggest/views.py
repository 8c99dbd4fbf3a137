"""The autocomplete page of a brand: current suggestions per term, engine and locale with the
negative ones marked, charts over time with table fallbacks, the brand's words, and CSV."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from core.auth import role_required
from core.db import db, utcnow
from core.models import Role
from core.pages import commit_or_flash
from core.pages import member_brand as _brand
from core.parsing import InvalidInput, parse_id
from serp.forms import ActionForm
from serp.presentation import label_name
from serp.suggest import history
from serp.suggest import operations as ops
from serp.suggest.models import SUGGESTION_LABELS, SuggestTerm
from serp.suggest.negatives import NEGATIVE_MODIFIERS

bp = Blueprint("serp_suggest", __name__)

ENGINE_NAMES = {"google": "Google", "bing": "Bing"}


def _chosen_term(brand_id: int, terms: list[SuggestTerm]) -> SuggestTerm | None:
    try:
        wanted = parse_id(request.args.get("term"), "term")
    except InvalidInput:
        abort(400, description=_("'term' must be a term's number."))
    if wanted is None:
        return terms[0] if terms else None
    term = db.session.get(SuggestTerm, wanted)
    if term is None or term.brand_id != brand_id:
        abort(404, description=_("No such autocomplete term in this brand."))
    return term


@bp.route("/brands/<int:brand_id>/search/suggestions")
@login_required
def suggestions(brand_id: int) -> Any:
    brand = _brand(brand_id)
    rows = history.current(db.session, brand.id)
    with_negatives = [r.term for r in rows if r.negatives]
    terms = [r.term for r in rows]
    chosen = _chosen_term(brand.id, with_negatives + terms)
    chart = history.rank_chart(db.session, chosen) if chosen else None
    settings = ops.settings_of(db.session, brand.id)
    locales, skipped = ops.brand_locales(db.session, brand.id)
    return render_template(
        "serp/suggestions.html",
        brand=brand,
        rows=rows,
        chosen=chosen,
        rank_chart=chart,
        rank_data=asdict(chart) if chart else {"labels": [], "series": []},
        modifiers=NEGATIVE_MODIFIERS,
        weekly=history.negatives_per_week(db.session, brand.id, utcnow()),
        settings=settings,
        locales=locales,
        skipped=skipped,
        seed=ops.seed_terms(db.session, brand) if not rows else [],
        engine_names=ENGINE_NAMES,
        choices=SUGGESTION_LABELS,
        can_edit=current_user.has_role(Role.EDITOR),
        action_form=ActionForm(),
    )


@bp.post("/brands/<int:brand_id>/search/suggestions/check")
@role_required(Role.EDITOR)
def check(brand_id: int) -> Any:
    brand = _brand(brand_id)
    if not ActionForm().validate_on_submit():
        abort(400, description=_("The form expired; reload the page and try again."))
    counted: list[int] = []
    if commit_or_flash(
        lambda: counted.append(ops.check_now(db.session, brand, current_user, utcnow()))
    ):
        due = ngettext(
            "%(num)d look-up is due now; the worker makes it within five minutes.",
            "%(num)d look-ups are due now; the worker makes them within five minutes.",
            counted[0],
        )
        flash(due, "success")
    return redirect(url_for("serp_suggest.suggestions", brand_id=brand.id))


@bp.post("/brands/<int:brand_id>/search/suggestions/mark")
@role_required(Role.EDITOR)
def mark(brand_id: int) -> Any:
    brand = _brand(brand_id)
    if not ActionForm().validate_on_submit():
        abort(400, description=_("The form expired; reload the page and try again."))
    text, label = request.form.get("text", ""), request.form.get("label", "")
    if commit_or_flash(
        lambda: ops.mark_suggestion(db.session, brand.id, current_user, text, label, utcnow())
    ):
        if label:
            flash(_("“%(text)s” is %(label)s.", text=text, label=label_name(label)), "success")
        else:
            flash(_("“%(text)s” is labelled automatically again.", text=text), "success")
    term = request.form.get("term", "")
    args = {"term": term} if term.isdigit() else {}
    return redirect(url_for("serp_suggest.suggestions", brand_id=brand.id, **args))


@bp.post("/brands/<int:brand_id>/search/suggestions/settings")
@role_required(Role.EDITOR)
def settings(brand_id: int) -> Any:
    brand = _brand(brand_id)
    if not ActionForm().validate_on_submit():
        abort(400, description=_("The form expired; reload the page and try again."))
    if commit_or_flash(
        lambda: ops.save_settings(
            db.session,
            brand,
            current_user,
            extra_terms=request.form.get("extra_terms", ""),
            negative_words=request.form.get("negative_words", ""),
            now=utcnow(),
        )  # fmt: skip
    ):
        flash(_("Autocomplete words saved; stored suggestions are labelled again."), "success")
    return redirect(url_for("serp_suggest.suggestions", brand_id=brand.id))


@bp.route("/brands/<int:brand_id>/search/suggestions.csv")
@login_required
def export(brand_id: int) -> Any:
    brand = _brand(brand_id)
    filename = f"suggestions-{brand.slug}-{datetime.now(UTC):%Y%m%d}.csv"
    return Response(
        stream_with_context(history.csv_lines(db.session, brand.id)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
