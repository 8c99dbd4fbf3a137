"""Review pages: the inbox, the promotable list, promotion, import, settings; the public page."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from xml.sax.saxutils import escape as xml_escape

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
from markupsafe import Markup, escape
from sqlalchemy import func, select

from core.auth import role_required
from core.db import db, utcnow
from core.i18n import local_datetime, public_page_language
from core.models import Role
from core.pages import flash_errors as _flash_errors
from core.pages import member_brand as _brand
from core.parsing import FIRST_YEAR, LAST_YEAR, parse_int
from core.tenants import Brand
from planner import operations as ops
from planner import slots
from planner.models import Platform
from planner.reviews import importing, ranking
from planner.reviews.flags import latest_flags
from planner.reviews.forms import (
    PromoteForm,
    PublishPageForm,
    ReviewImportForm,
    ReviewSettingsForm,
    RoundupForm,
)
from planner.reviews.importers import COLUMNS, MAX_BYTES
from planner.reviews.inbox import InboxFilters, inbox_query, inbox_summary, needs_reply, waited
from planner.reviews.models import Review, source_name
from planner.reviews.promotable import facts_of, promotable_reviews
from planner.reviews.promotion import preview_posts, promote_review, review_for
from planner.reviews.public_page import json_ld, public_page
from planner.reviews.rendering import DEFAULT_TEMPLATES, reviewer_name, stars
from planner.reviews.replies import reply_states
from planner.reviews.reply_models import REPLY_STATUS_NAMES
from planner.reviews.roundup import post_roundup
from planner.reviews.settings import settings_for, update_settings

bp = Blueprint("reviews", __name__)
public_bp = Blueprint("reviews_public", __name__)
PER_PAGE = 50


def public_page_url(brand: Brand) -> str:
    """The absolute address of the brand's public reviews page (BASE_URL when configured)."""
    path = url_for("reviews_public.page", slug=brand.slug)
    base = current_app.config.get("BASE_URL") or request.url_root.rstrip("/")
    return base + path


def script_json(data: Any) -> Markup:
    """JSON safe inside <script>: "</script>" and "<!--" in review text stay text."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(text)


@bp.app_template_filter("stars")
def stars_filter(rating: int) -> str:
    return stars(rating)


@bp.app_template_filter("reviewer")
def reviewer_filter(author: str) -> str:
    return reviewer_name(author)


@bp.app_template_filter("source_name")
def source_name_filter(source: str) -> str:
    return source_name(source)


# --- inbox --------------------------------------------------------------------------------------


@bp.route("/brands/<int:brand_id>/reviews")
@login_required
def inbox(brand_id: int) -> Any:
    brand = _brand(brand_id)
    filters = InboxFilters.from_args(request.args)
    page = max(parse_int(request.args.get("page"), "page", default=1) or 1, 1)
    query = inbox_query(brand, filters)
    matching = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    reviews = db.session.scalars(query.limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    args = {k: v for k, v in request.args.items() if k != "page"}
    ids = [r.id for r in reviews]
    return render_template(
        "reviews/inbox.html",
        brand=brand,
        reviews=reviews,
        filters=filters,
        summary=inbox_summary(db.session, brand),
        matching=matching,
        page=page,
        pages=max((matching + PER_PAGE - 1) // PER_PAGE, 1),
        args=args,
        needs_reply=needs_reply,
        waited=waited,
        review_flags=latest_flags(db.session, ids),
        reply_states=reply_states(db.session, ids),
        reply_state_names=REPLY_STATUS_NAMES,
        now=utcnow(),
        **public_page_offer(brand, back="inbox"),
    )


def public_page_offer(brand: Brand, *, back: str) -> dict[str, Any]:
    """What the pages that mention the public page need to link to it, or to publish it."""
    settings = settings_for(db.session, brand)
    return {
        "review_settings": settings,
        "page_url": public_page_url(brand),
        "publish_form": PublishPageForm(profile_url=settings.profile_url or "", back=back),
        "can_publish": current_user.has_role(Role.ADMIN),
    }


@bp.route("/brands/<int:brand_id>/reviews/publish-page", methods=["POST"])
@role_required(Role.ADMIN)
def publish_page(brand_id: int) -> Any:
    """Switch the public page on from where it is offered, keeping every other setting."""
    brand = _brand(brand_id)
    form = PublishPageForm()
    back = url_for(
        "reviews.promotable" if form.back.data == "promotable" else "reviews.inbox",
        brand_id=brand.id,
    )
    if not form.validate_on_submit():
        _flash_errors([_("The form had expired: reload the page and publish again.")])
        return redirect(back)
    current = settings_for(db.session, brand)
    try:
        update_settings(
            db.session,
            brand,
            current_user,
            profile_url=form.profile_url.data or current.profile_url,
            page_enabled=True,
            weekly_cap=current.weekly_cap,
            cooldown_days=current.cooldown_days,
            do_not_phrases=current.do_not_phrases or "",
            templates=dict(current.templates or {}),
            page_url=public_page_url(brand),
            now=utcnow(),
        )
    except ops.PlannerError as exc:
        db.session.rollback()
        _flash_errors(exc.errors)
        return redirect(back)
    db.session.commit()
    flash(
        Markup(
            _(
                "The public page of selected reviews is published at "
                '<a href="%(url)s">%(url)s</a>.',
                url=escape(public_page_url(brand)),
            )
        ),
        "success",
    )
    return redirect(back)


# --- promotable list and promotion --------------------------------------------------------------


@bp.route("/brands/<int:brand_id>/reviews/promotable")
@login_required
def promotable(brand_id: int) -> Any:
    brand = _brand(brand_id)
    now = utcnow()
    local = now.astimezone(brand.zone)
    # Early in a month the roundup is most likely for the month that just ended.
    month = local.replace(day=1) - timedelta(days=1) if local.day < 8 else local
    return render_template(
        "reviews/promotable.html",
        brand=brand,
        ranked=promotable_reviews(db.session, brand, now=now),
        settings=settings_for(db.session, brand),
        weights=ranking.WEIGHTS,
        part_names=ranking.PART_NAMES,
        roundup_form=RoundupForm(month=f"{month:%Y-%m}"),
        has_blog=any(c.platform == Platform.WORDPRESS.value for c in brand.channels),
        can_edit=current_user.has_role(Role.EDITOR),
        **public_page_offer(brand, back="promotable"),
    )


@bp.route("/brands/<int:brand_id>/reviews/<int:review_id>/promote", methods=["GET", "POST"])
@login_required
def promote(brand_id: int, review_id: int) -> Any:
    brand = _brand(brand_id)
    try:
        review = review_for(db.session, brand, review_id)
    except ops.NotFound:
        abort(404)
    form = PromoteForm()
    form.channels.choices = [(c.id, f"{c.name} ({c.platform_enum.label})") for c in brand.channels]
    status = 200
    if request.method == "POST":
        if not current_user.has_role(Role.EDITOR):
            abort(403, description=_("Viewers cannot promote reviews."))
        if form.validate_on_submit():
            chosen = [c for c in brand.channels if c.id in (form.channels.data or [])]
            try:
                posts = promote_review(
                    db.session,
                    brand,
                    review,
                    chosen,
                    current_user,
                    now=utcnow(),
                    image_url=form.image_url.data or None,
                )
            except ops.PlannerError as exc:
                db.session.rollback()
                _flash_errors(exc.errors)
                status = 400
            else:
                db.session.commit()
                flash(queued_message(posts), "success")
                return redirect(url_for("planner.calendar", brand_id=brand.id))
        else:
            status = 400
    previews = preview_posts(
        db.session, brand, review, brand.channels, image_url=form.image_url.data or None
    )
    settings = settings_for(db.session, brand)
    why_not = ranking.promotable(facts_of(review), utcnow(), settings.cooldown_days)
    return render_template(
        "reviews/promote.html",
        brand=brand,
        review=review,
        form=form,
        previews=previews,
        settings=settings,
        why_not=why_not,
    ), status


def queued_message(posts: list[Any]) -> Markup:
    """ "1 review post queued: X, Wednesday 9 Dec 2026 11:00 (CET)", each time linked to its post
    and told in its channel's zone, where the post will go out."""
    count = len(posts)
    parts = []
    for post in posts:
        when = (
            slots.describe_local_time(post.scheduled_at, post.channel.zone)
            if post.scheduled_at
            else _("no date yet")
        )
        waits = " " + _("(waits for approval)") if post.status == "pending_approval" else ""
        parts.append(
            Markup('{}, <a href="{}">{}</a>{}').format(
                post.channel.name, url_for("planner.post_page", post_id=post.id), when, waits
            )
        )
    # The parts are escaped already (Markup.format); the sentence is the catalogue's own.
    return Markup(
        ngettext(
            "%(num)d review post queued: %(posts)s.",
            "%(num)d review posts queued: %(posts)s.",
            count,
            posts=Markup("; ").join(parts),
        )
    )


@bp.route("/brands/<int:brand_id>/reviews/roundup", methods=["POST"])
@role_required(Role.EDITOR)
def roundup(brand_id: int) -> Any:
    brand = _brand(brand_id)
    form = RoundupForm()
    if not form.validate_on_submit():
        _flash_errors(
            [_("Month: %(error)s", error=e) for e in form.month.errors] or [_("Choose a month.")]
        )
        return redirect(url_for("reviews.promotable", brand_id=brand.id))
    year, month = (int(x) for x in form.month.data.split("-"))
    if not 1 <= month <= 12:
        flash(_("Choose a month between 01 and 12."), "error")
        return redirect(url_for("reviews.promotable", brand_id=brand.id))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        flash(
            _("Choose a year from %(first)s to %(last)s.", first=FIRST_YEAR, last=LAST_YEAR),
            "error",
        )
        return redirect(url_for("reviews.promotable", brand_id=brand.id))
    try:
        post = post_roundup(db.session, brand, current_user, year=year, month=month, now=utcnow())
    except ops.PlannerError as exc:
        db.session.rollback()
        _flash_errors(exc.errors)
        return redirect(url_for("reviews.promotable", brand_id=brand.id))
    db.session.commit()
    waits = post.status == "pending_approval"
    channel = post.channel.name
    if post.scheduled_at:
        when = local_datetime(post.scheduled_at, brand.zone, "yMMMEd")
        message = (
            _(
                "The roundup is queued on %(channel)s for %(when)s and waits for approval.",
                channel=channel,
                when=when,
            )
            if waits
            else _("The roundup is queued on %(channel)s for %(when)s.", channel=channel, when=when)
        )
    else:
        message = (
            _("The roundup is queued on %(channel)s and waits for approval.", channel=channel)
            if waits
            else _("The roundup is queued on %(channel)s.", channel=channel)
        )
    flash(message, "success")
    return redirect(url_for("planner.calendar", brand_id=brand.id))


# --- import and settings ------------------------------------------------------------------------


@bp.route("/brands/<int:brand_id>/reviews/import", methods=["GET", "POST"])
@role_required(Role.EDITOR)
def import_reviews(brand_id: int) -> Any:
    brand = _brand(brand_id)
    # Review exports can be larger than other uploads; the import itself refuses above 50 MB.
    request.max_content_length = MAX_BYTES + 1024 * 1024
    form = ReviewImportForm()
    report = None
    if form.validate_on_submit():
        report = importing.import_reviews(
            db.session,
            brand,
            form.file.data.read(),
            fmt=form.format.data or None,
            actor=current_user,
            now=utcnow(),
        )
        if report.ok:
            db.session.commit()
            flash(
                _(
                    "Imported: %(new)d new, %(updated)d updated, %(unchanged)d unchanged.",
                    new=report.created,
                    updated=report.updated,
                    unchanged=report.unchanged,
                ),
                "success",
            )
            return redirect(url_for("reviews.inbox", brand_id=brand.id))
        db.session.rollback()
    return render_template(
        "reviews/import.html", brand=brand, form=form, report=report, columns=COLUMNS
    ), (400 if report is not None or form.errors else 200)


@bp.route("/brands/<int:brand_id>/reviews/settings", methods=["GET", "POST"])
@login_required
def settings(brand_id: int) -> Any:
    brand = _brand(brand_id)
    current = settings_for(db.session, brand)
    form = ReviewSettingsForm(obj=current)
    status = 200
    if request.method == "POST":
        if not current_user.has_role(Role.ADMIN):
            abort(403, description=_("Only admins change review settings."))
        if form.validate_on_submit():
            templates = {p: request.form.get(f"template-{p}", "") for p in DEFAULT_TEMPLATES}
            try:
                update_settings(
                    db.session,
                    brand,
                    current_user,
                    profile_url=form.profile_url.data,
                    page_enabled=form.page_enabled.data,
                    weekly_cap=form.weekly_cap.data,
                    cooldown_days=form.cooldown_days.data,
                    do_not_phrases=form.do_not_phrases.data or "",
                    templates=templates,
                    page_url=public_page_url(brand),
                    now=utcnow(),
                )
            except ops.PlannerError as exc:
                db.session.rollback()
                _flash_errors(exc.errors)
                status = 400
            else:
                db.session.commit()
                flash(_("Review settings saved."), "success")
                return redirect(url_for("reviews.settings", brand_id=brand.id))
        else:
            status = 400
    templates = {
        p: request.form.get(f"template-{p}") or (current.templates or {}).get(p) or default
        for p, default in DEFAULT_TEMPLATES.items()
    }
    return render_template(
        "reviews/settings.html",
        brand=brand,
        form=form,
        settings=current,
        templates=templates,
        platform_labels={p.value: p.label for p in Platform},
        page_url=public_page_url(brand),
    ), status


# --- the public page ----------------------------------------------------------------------------


def _public_brand(slug: str) -> Brand:
    brand = db.session.scalar(select(Brand).where(Brand.slug == slug))
    if brand is None:
        abort(404)
    if not settings_for(db.session, brand).page_enabled:
        abort(404)
    return brand


@public_bp.route("/b/<slug>/reviews")
def page(slug: str) -> Any:
    """The brand's public page of selected reviews: no login, server-rendered, indexable."""
    brand = _public_brand(slug)
    public_page_language(brand.language)  # the brand's language, or the one the visitor picked
    data = public_page(db.session, brand, now=utcnow())
    url = public_page_url(brand)
    response = Response(
        render_template(
            "reviews/public.html",
            page=data,
            canonical=url,
            json_ld=script_json(json_ld(data, url)),
        )
    )
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@public_bp.route("/b/<slug>/sitemap.xml")
def sitemap(slug: str) -> Any:
    brand = _public_brand(slug)
    latest = db.session.scalar(
        select(func.max(Review.updated_at)).where(Review.brand_id == brand.id)
    )
    lastmod = f"<lastmod>{latest:%Y-%m-%d}</lastmod>" if latest else ""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"  <url><loc>{xml_escape(public_page_url(brand))}</loc>{lastmod}"
        "<changefreq>weekly</changefreq></url>\n"
        "</urlset>\n"
    )
    return Response(body, mimetype="application/xml")
