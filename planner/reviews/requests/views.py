"""The review request pages: the log with its weekly chart, the CSV import, the settings."""

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
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import func, select

from core.auth import role_required
from core.db import db, utcnow
from core.errors import Refused
from core.i18n import LANGUAGES as LANGUAGE_NAMES
from core.i18n import local_date
from core.models import Role
from core.pages import flash_errors
from core.pages import member_brand as _brand
from core.parsing import InvalidInput, parse_int
from planner.reviews.requests import customers, stats
from planner.reviews.requests.models import LANGUAGES
from planner.reviews.requests.settings import (
    request_settings,
    rotate_webhook_secret,
    update_request_settings,
)
from planner.reviews.requests.texts import PART_LABELS, PARTS, PLACEHOLDERS, texts_for
from planner.reviews.requests.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER

bp = Blueprint("review_requests", __name__)
PER_PAGE = 50
# A request's state (planner.reviews.requests.sending.status_of) in the reader's words.
STATUS_NAMES = {
    "waiting": _l("waiting"),
    "retrying": _l("retrying"),
    "sent": _l("sent"),
    "reminded": _l("reminded"),
    "reviewed": _l("reviewed"),
    "unsubscribed": _l("unsubscribed"),
}


@bp.route("/brands/<int:brand_id>/reviews/requests")
@login_required
def log(brand_id: int) -> Any:
    brand = _brand(brand_id)
    page = max(parse_int(request.args.get("page"), "page", default=1, minimum=1) or 1, 1)
    total = db.session.scalar(select(func.count()).select_from(stats.log_query(brand).subquery()))
    weeks = stats.weekly(db.session, brand, utcnow())
    return render_template(
        "reviews/requests.html",
        brand=brand,
        settings=request_settings(db.session, brand),
        rows=stats.log_rows(db.session, brand, PER_PAGE, (page - 1) * PER_PAGE),
        totals=stats.totals(db.session, brand),
        weeks=weeks,
        chart={
            "labels": [local_date(w.start, brand.zone, "MMMd") for w in weeks],
            "names": {
                "sent": _("Requests sent"),
                "reminded": _("Reminders"),
                "reviewed": _("Reviews after a request"),
                "all_reviews": _("All reviews"),
            },
            "sent": [w.sent for w in weeks],
            "reminded": [w.reminded for w in weeks],
            "reviewed": [w.reviewed for w in weeks],
            "all_reviews": [w.all_reviews for w in weeks],
        },
        status_names=STATUS_NAMES,
        page=page,
        pages=max(((total or 0) + PER_PAGE - 1) // PER_PAGE, 1),
    )


@bp.route("/brands/<int:brand_id>/reviews/requests/export.csv")
@login_required
def export(brand_id: int) -> Any:
    brand = _brand(brand_id)
    body = "".join(stats.log_csv(db.session, brand))
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="review-requests-{brand.slug}.csv"'},
    )


@bp.route("/brands/<int:brand_id>/reviews/requests/import", methods=["GET", "POST"])
@role_required(Role.EDITOR)
def import_customers(brand_id: int) -> Any:
    """Upload a file to see what it would do; then import the previewed file."""
    brand = _brand(brand_id)
    request.max_content_length = customers.MAX_CSV_BYTES + 64 * 1024
    preview, data, status = None, "", 200
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is not None and upload.filename:
            raw = upload.read()
        else:
            raw = (request.form.get("csv_text") or "").encode()
        if not raw.strip():
            flash_errors([_("Choose a CSV file of customers.")])
            status = 400
        elif request.form.get("action") == "import":
            settings = request_settings(db.session, brand)
            preview = customers.import_csv(db.session, brand, settings, raw, utcnow())
            if preview.ok:
                db.session.commit()
                skipped = preview.count("duplicate") + preview.count("known")
                flash(
                    ngettext(
                        "Imported %(num)d new customer; %(skipped)d already known, skipped.",
                        "Imported %(num)d new customers; %(skipped)d already known, skipped.",
                        len(preview.new),
                        skipped=skipped,
                    ),
                    "success",
                )
                return redirect(url_for("review_requests.log", brand_id=brand.id))
            db.session.rollback()
            status = 400
        else:
            preview = customers.preview_csv(db.session, brand, raw)
            status = 200 if preview.ok else 400
        data = raw.decode("utf-8-sig", errors="replace")
    return render_template(
        "reviews/requests_import.html",
        brand=brand,
        preview=preview,
        data=data,
        columns=customers.COLUMNS,
    ), status


def _settings_form() -> dict[str, Any]:
    """The settings as sent by the form; InvalidInput for a number that is not one."""
    errors: list[str] = []

    def number(name: str, label: str, default: int | None) -> int | None:
        try:
            return parse_int(request.form.get(name), label, default=default, minimum=0)
        except InvalidInput as exc:
            errors.append(exc.message)
            return default

    values = {
        "enabled": request.form.get("enabled") == "on",
        "language": request.form.get("language") or "en",
        "delay_days": number("delay_days", _("Delay after the order"), 0),
        "reminder_days": number("reminder_days", _("Reminder after"), None),
        "daily_limit": number("daily_limit", _("Daily limit"), 0),
        "match_days": number("match_days", _("Match reviews within"), 0),
        "review_links": request.form.get("review_links") or "",
        "track_opens": request.form.get("track_opens") == "on",
        "templates": {
            lang: {part: request.form.get(f"text-{lang}-{part}", "") for part in PARTS}
            for lang in LANGUAGES
        },
    }
    if errors:
        raise Refused(*errors)
    return values


def _settings_page(brand: Any, status: int = 200, secret: str | None = None) -> Any:
    settings = request_settings(db.session, brand)
    texts = {
        lang: {
            part: request.form.get(f"text-{lang}-{part}")
            or texts_for(settings.templates or {}, lang)[part]
            for part in PARTS
        }
        for lang in LANGUAGES
    }
    return render_template(
        "reviews/requests_settings.html",
        brand=brand,
        settings=settings,
        form=request.form if request.method == "POST" else None,
        texts=texts,
        # Each language in its own name, as the language menus show them.
        languages={code: LANGUAGE_NAMES.get(code, name) for code, name in LANGUAGES.items()},
        part_labels=PART_LABELS,
        placeholders=PLACEHOLDERS,
        # BASE_URL when set: the address the order system must call, not this request's host.
        webhook_url=(current_app.config.get("BASE_URL") or request.url_root.rstrip("/"))
        + url_for("review_requests_public.order_webhook", brand_id=brand.id),
        timestamp_header=TIMESTAMP_HEADER,
        signature_header=SIGNATURE_HEADER,
        secret=secret,
        can_edit=current_user.has_role(Role.ADMIN),
    ), status


@bp.route("/brands/<int:brand_id>/reviews/requests/settings", methods=["GET", "POST"])
@login_required
def settings(brand_id: int) -> Any:
    brand = _brand(brand_id)
    if request.method == "GET":
        return _settings_page(brand)
    if not current_user.has_role(Role.ADMIN):
        abort(403, description=_("Only admins change review request settings."))
    try:
        update_request_settings(db.session, brand, current_user, **_settings_form())
    except Refused as exc:
        db.session.rollback()
        flash_errors(exc.errors)
        return _settings_page(brand, 400)
    db.session.commit()
    flash(_("Review request settings saved."), "success")
    return redirect(url_for("review_requests.settings", brand_id=brand.id))


@bp.route("/brands/<int:brand_id>/reviews/requests/webhook-secret", methods=["POST"])
@role_required(Role.ADMIN)
def new_webhook_secret(brand_id: int) -> Any:
    """Make a new signing secret and show it this once (it is stored encrypted)."""
    brand = _brand(brand_id)
    secret = rotate_webhook_secret(db.session, brand, current_user)
    db.session.commit()
    response, status = _settings_page(brand, 200, secret)
    return Response(response, status, headers={"Cache-Control": "no-store"})
