"""A brand's data pages for its admins: how long it keeps what grows (retention) and the
download of everything it holds (the brand archive)."""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.validators import NumberRange, Optional

from core.auth import role_required
from core.db import db
from core.models import Role
from core.ops.personal import write_brand_archive
from core.pages import commit_or_flash
from core.pages import member_brand as _brand
from core.retention import LONGEST_DAYS, BrandRetention, set_retention

bp = Blueprint("retention", __name__)


def _days(label: str) -> IntegerField:
    return IntegerField(label, validators=[Optional(), NumberRange(1, LONGEST_DAYS)])


class RetentionForm(FlaskForm):
    raw_pages_days = _days("Raw result pages of search checks (days)")
    attempts_days = _days("Publish attempts in the history (days)")
    audit_days = _days("Other history entries (days)")


@bp.route("/brands/<int:brand_id>/data", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def brand_data(brand_id: int) -> Any:
    """Retention settings (empty: keep forever) and the brand archive's download."""
    brand = _brand(brand_id)
    current = db.session.get(BrandRetention, brand.id)
    form = RetentionForm(obj=current)
    if form.validate_on_submit():
        days = {name: form[name].data for name in ("raw_pages_days", "attempts_days", "audit_days")}
        if commit_or_flash(lambda: set_retention(db.session, brand.id, **days)):
            flash(_("Retention saved; the nightly sweep applies it."), "success")
            return redirect(url_for("retention.brand_data", brand_id=brand.id))
    return render_template("planner/brand_data.html", brand=brand, form=form), (
        400 if form.errors else 200
    )


@bp.get("/brands/<int:brand_id>/export.tar.gz")
@role_required(Role.ADMIN)
def brand_export(brand_id: int) -> Any:
    """Everything the brand holds, one JSON file per part, in one archive."""
    brand = _brand(brand_id)
    buffer = io.BytesIO()
    exporters = current_app.extensions.get("pageone.brand_exporters", [])
    write_brand_archive(db.session, exporters, brand.id, buffer)
    buffer.seek(0)
    return send_file(
        buffer,
        mimetype="application/gzip",
        as_attachment=True,
        download_name=f"pageone-{brand.slug}.tar.gz",
    )
