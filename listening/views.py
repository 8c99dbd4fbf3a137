"""Listening pages: the reply inbox, a mention, sources, settings, crisis alerts, reports, and the
public crisis updates page."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import func, select

from core.auth import role_required
from core.db import db, utcnow
from core.errors import NotFound, Refused
from core.i18n import public_page_language, role_name
from core.models import Role, User
from core.pages import member_brand as _brand
from core.parsing import parse_int
from core.tenants import Brand
from listening import crisis, playbook_runs, playbooks, replies, sla, themes
from listening import inbox as inbox_ops
from listening import operations as ops
from listening.models import (
    OVERALL,
    Mention,
    MentionSource,
    MentionState,
    SourceKind,
    sentiment_name,
    state_name,
)
from listening.playbook_models import LANGUAGES, STARTED_ON, severity_name
from listening.sources import parse_csv
from listening.text import link_urls

bp = Blueprint("listening", __name__)
public_bp = Blueprint("listening_public", __name__)
PAGE_SIZE = 50
REPORT_DAYS = (7, 30, 90)


@bp.context_processor
def _alert_words() -> dict[str, Any]:
    """How alerts are put in words, for every listening page."""
    return {
        "alert_terms": crisis.alert_terms,
        "terms_text": crisis.terms_text,
        "threshold_text": crisis.threshold_text,
        "page_title": crisis.page_title,
        "state_name": state_name,
        "sentiment_name": sentiment_name,
        "severity_name": severity_name,
    }


def _mention(brand: Brand, mention_id: int) -> Mention:
    mention = db.session.get(Mention, mention_id)
    if mention is None or mention.brand_id != brand.id:
        abort(404)
    return mention


def _flash_errors(exc: Refused) -> None:
    for error in exc.errors:
        flash(error, "error")


def _optional_int(value: str | None, field: str) -> int | None:
    return parse_int(value, field, minimum=0)


# --- inbox --------------------------------------------------------------------------------------


@bp.route("/brands/<int:brand_id>/listening")
@login_required
def inbox(brand_id: int) -> Any:
    brand = _brand(brand_id)
    now = utcnow()
    try:
        filters = inbox_ops.parse_filters(request.args)
    except ops.ListeningError as exc:
        _flash_errors(exc)
        filters = inbox_ops.InboxFilters()
    page = max(1, parse_int(request.args.get("page"), "page", default=1) or 1)
    query = inbox_ops.inbox_query(brand.id, filters, now)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    mentions = list(db.session.scalars(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)))
    members = inbox_ops.brand_members(db.session, brand.id)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "listening/inbox.html",
        brand=brand,
        mentions=mentions,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        filters=filters,
        args=args,
        sources={s.id: s for s in ops.sources_of(db.session, brand.id)},
        members={u.id: u for u in members},
        states=[s.value for s in MentionState],
        now=now,
        is_overdue=inbox_ops.is_overdue,
        alerts=crisis.recent_alerts(db.session, brand.id, limit=3),
    )


@bp.route("/brands/<int:brand_id>/listening/bulk", methods=["POST"])
@role_required(Role.EDITOR)
def bulk(brand_id: int) -> Any:
    """Assign, set the state of or mark replied the mentions ticked in the inbox."""
    brand = _brand(brand_id)
    back = request.form.get("back", "")
    # Back to the same filtered inbox page; only an inbox address of this brand is followed.
    inbox_url = url_for("listening.inbox", brand_id=brand.id)
    target = back if back == inbox_url or back.startswith(inbox_url + "?") else inbox_url
    try:
        ids = [
            parse_int(value, "mention_id", minimum=1)
            for value in request.form.getlist("mention_id")
        ]
        result = inbox_ops.apply_bulk(
            db.session,
            brand,
            current_user,
            [i for i in ids if i is not None],
            request.form.get("action", ""),
            utcnow(),
            state=request.form.get("state") or None,
            assignee_id=_optional_int(request.form.get("assignee"), "assignee"),
            text=request.form.get("text", ""),
        )
        db.session.commit()
        flash(result.message, "success" if result.changed else "info")
    except Refused as exc:
        db.session.rollback()
        _flash_errors(exc)
    return redirect(target)


@bp.route("/brands/<int:brand_id>/listening/mentions/<int:mention_id>")
@login_required
def mention_page(brand_id: int, mention_id: int) -> Any:
    brand = _brand(brand_id)
    mention = _mention(brand, mention_id)
    saved = inbox_ops.saved_replies_of(db.session, brand.id)
    chosen = next(
        (s for s in saved if s.id == _optional_int(request.args.get("saved"), "saved")), None
    )
    return render_template(
        "listening/mention.html",
        brand=brand,
        mention=mention,
        saved_replies=saved,
        chosen=chosen,
        draft=request.args.get("draft") or (chosen.text if chosen else ""),
        confirm_unchanged=request.args.get("unchanged") == "1",
        members=inbox_ops.brand_members(db.session, brand.id),
        states=[s.value for s in MentionState],
        on_platform=replies.can_reply_on_platform(mention),
        now=utcnow(),
        is_overdue=inbox_ops.is_overdue,
    )


def _back(brand: Brand, mention: Mention) -> Any:
    return redirect(url_for("listening.mention_page", brand_id=brand.id, mention_id=mention.id))


@bp.route("/brands/<int:brand_id>/listening/mentions/<int:mention_id>/state", methods=["POST"])
@role_required(Role.EDITOR)
def change_state(brand_id: int, mention_id: int) -> Any:
    brand = _brand(brand_id)
    mention = _mention(brand, mention_id)
    before = mention.state
    try:
        inbox_ops.set_state(
            db.session, mention, current_user, request.form.get("state", ""), utcnow()
        )
        db.session.commit()
        if mention.state == before:
            flash(_("The mention was already %(state)s.", state=state_name(before)), "info")
        else:
            flash(
                _(
                    "State changed from %(before)s to %(after)s.",
                    before=state_name(before),
                    after=state_name(mention.state),
                ),
                "success",
            )
    except ops.ListeningError as exc:
        db.session.rollback()
        _flash_errors(exc)
    return _back(brand, mention)


@bp.route("/brands/<int:brand_id>/listening/mentions/<int:mention_id>/assign", methods=["POST"])
@role_required(Role.EDITOR)
def assign(brand_id: int, mention_id: int) -> Any:
    brand = _brand(brand_id)
    mention = _mention(brand, mention_id)
    try:
        inbox_ops.assign(
            db.session,
            mention,
            current_user,
            _optional_int(request.form.get("assignee"), "assignee"),
        )
        db.session.commit()
        flash(_("Assigned."), "success")
    except ops.ListeningError as exc:
        db.session.rollback()
        _flash_errors(exc)
    return _back(brand, mention)


@bp.route("/brands/<int:brand_id>/listening/mentions/<int:mention_id>/reply", methods=["POST"])
@role_required(Role.EDITOR)
def reply(brand_id: int, mention_id: int) -> Any:
    """Send the reply on the platform, or record one sent by hand ("mark replied")."""
    brand = _brand(brand_id)
    mention = _mention(brand, mention_id)
    text = request.form.get("text", "")
    saved_id = _optional_int(request.form.get("saved_reply_id"), "saved_reply_id")
    confirm = request.form.get("confirm_unchanged") == "1"
    manual = request.form.get("action") == "mark_replied"
    now = utcnow()
    try:
        if manual:
            replies.mark_replied(
                db.session,
                mention,
                current_user,
                text,
                now,
                saved_reply_id=saved_id,
                confirm_unchanged=confirm,
            )
        else:
            replies.reply_on_platform(
                db.session,
                mention,
                current_user,
                text,
                current_app.config,
                now,
                saved_reply_id=saved_id,
                confirm_unchanged=confirm,
            )
        db.session.commit()
        flash(_("Marked as replied.") if manual else _("Reply posted."), "success")
        return _back(brand, mention)
    except ops.UnchangedSavedReply as exc:
        db.session.rollback()
        flash(exc.errors[0], "warning")
        return redirect(
            url_for(
                "listening.mention_page",
                brand_id=brand.id,
                mention_id=mention.id,
                saved=saved_id,
                draft=text,
                unchanged="1",
            )
        )
    except ops.ListeningError as exc:
        db.session.commit()  # keep the audit entry of a refused reply
        _flash_errors(exc)
        return redirect(
            url_for(
                "listening.mention_page",
                brand_id=brand.id,
                mention_id=mention.id,
                saved=saved_id,
                draft=text,
            )
        )


# --- sources, uploads, settings -----------------------------------------------------------------


@bp.route("/brands/<int:brand_id>/listening/sources", methods=["GET", "POST"])
@login_required
def sources(brand_id: int) -> Any:
    brand = _brand(brand_id)
    if request.method == "POST":
        if not current_user.has_role(Role.EDITOR):
            abort(403, description=_("This needs the editor role or higher."))
        data: dict[str, Any] = {
            k: request.form.get(k, "") for k in ("kind", "name", "url", "query")
        }
        interval = _optional_int(request.form.get("interval_minutes"), "interval_minutes")
        if interval is not None:
            data["interval_minutes"] = interval
        try:
            ops.create_source(db.session, brand, current_user, data, utcnow())
            db.session.commit()
            flash(_("Source added; it is polled within a minute."), "success")
            return redirect(url_for("listening.sources", brand_id=brand.id))
        except ops.ListeningError as exc:
            db.session.rollback()
            _flash_errors(exc)
    return render_template(
        "listening/sources.html",
        brand=brand,
        sources=ops.sources_of(db.session, brand.id),
        kinds=[k for k in SourceKind if k is not SourceKind.CSV],
    ), (200 if request.method == "GET" else 400)


@bp.route("/brands/<int:brand_id>/listening/sources/<int:source_id>/<action>", methods=["POST"])
@role_required(Role.EDITOR)
def source_action(brand_id: int, source_id: int, action: str) -> Any:
    brand = _brand(brand_id)
    source = db.session.get(MentionSource, source_id)
    if source is None or source.brand_id != brand.id or action not in ("pause", "resume", "delete"):
        abort(404)
    if action == "delete":
        ops.delete_source(db.session, source, current_user)
    else:
        ops.update_source(db.session, source, current_user, {"active": action == "resume"})
        if action == "resume":
            source.next_poll_at = utcnow()
    db.session.commit()
    return redirect(url_for("listening.sources", brand_id=brand.id))


@bp.route("/brands/<int:brand_id>/listening/upload", methods=["POST"])
@role_required(Role.EDITOR)
def upload(brand_id: int) -> Any:
    brand = _brand(brand_id)
    file = request.files.get("file")
    if file is None or not file.filename:
        flash(_("Choose a CSV file."), "error")
        return redirect(url_for("listening.sources", brand_id=brand.id))
    now = utcnow()
    items, errors = parse_csv(file.read(), now)
    if errors:
        flash(
            ngettext(
                "%(num)d row cannot be read; nothing was imported.",
                "%(num)d rows cannot be read; nothing was imported.",
                len(errors),
            ),
            "error",
        )
        for error in errors[:20]:
            flash(error, "error")
        return redirect(url_for("listening.sources", brand_id=brand.id))
    result = ops.ingest(db.session, brand, ops.csv_source(db.session, brand), items, now)
    db.session.commit()
    flash(
        ngettext(
            "%(num)d mention imported, %(known)d already known.",
            "%(num)d mentions imported, %(known)d already known.",
            result.new,
            known=result.duplicates,
        ),
        "success",
    )
    return redirect(url_for("listening.inbox", brand_id=brand.id))


@bp.route("/brands/<int:brand_id>/listening/settings", methods=["GET", "POST"])
@login_required
def settings(brand_id: int) -> Any:
    brand = _brand(brand_id)
    status = 200
    if request.method == "POST":
        form_name = request.form.get("form")
        needed = Role.ADMIN if form_name == "settings" else Role.EDITOR
        if not current_user.has_role(needed):
            abort(
                403,
                description=_(
                    "This needs the %(role)s role or higher.", role=role_name(needed.value)
                ),
            )
        try:
            if form_name == "settings":
                ops.update_settings(db.session, brand, current_user, request.form.to_dict())
            else:
                inbox_ops.create_saved_reply(
                    db.session,
                    brand,
                    current_user,
                    request.form.get("title", ""),
                    request.form.get("text", ""),
                )
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("listening.settings", brand_id=brand.id))
        except ops.ListeningError as exc:
            db.session.rollback()
            _flash_errors(exc)
            status = 400
    return render_template(
        "listening/settings.html",
        brand=brand,
        settings=ops.settings_for(db.session, brand),
        saved_replies=inbox_ops.saved_replies_of(db.session, brand.id),
    ), status


# --- crisis -------------------------------------------------------------------------------------


@bp.route("/brands/<int:brand_id>/listening/alerts")
@login_required
def alerts(brand_id: int) -> Any:
    brand = _brand(brand_id)
    return render_template(
        "listening/alerts.html",
        brand=brand,
        alerts=crisis.recent_alerts(db.session, brand.id),
        page=crisis.page_of(db.session, brand),
        OVERALL=OVERALL,
    )


@bp.route("/brands/<int:brand_id>/listening/alerts/<int:alert_id>")
@login_required
def alert_page(brand_id: int, alert_id: int) -> Any:
    brand = _brand(brand_id)
    try:
        alert = crisis.alert_for(db.session, brand, alert_id)
    except NotFound:
        abort(404)
    page = crisis.page_of(db.session, brand)
    samples = list(
        db.session.scalars(select(Mention).where(Mention.id.in_(alert.sample_mention_ids or [])))
    )
    return render_template(
        "listening/alert.html",
        brand=brand,
        alert=alert,
        samples=samples,
        page=page,
        draft=page.statement if page and page.published else crisis.draft_statement(brand, alert),
        faq_text="\n\n".join(f"{i['q']}\n{i['a']}" for i in (page.faq if page else [])),
        OVERALL=OVERALL,
        scenarios=playbooks.scenarios_of(db.session, brand.id),
        open_run=playbook_runs.open_run_of(db.session, brand.id),
        LANGUAGES=LANGUAGES,
        STARTED_ON=STARTED_ON,
    )


@bp.route("/brands/<int:brand_id>/listening/crisis/<action>", methods=["POST"])
@role_required(Role.ADMIN)
def crisis_action(brand_id: int, action: str) -> Any:
    brand = _brand(brand_id)
    alert_id = _optional_int(request.form.get("alert_id"), "alert_id")
    alert = crisis.alert_for(db.session, brand, alert_id) if alert_id else None
    now = utcnow()
    try:
        if action == "pause":
            crisis.pause_publishing(db.session, brand, current_user, alert)
            flash(_("Scheduled publishing is paused; due posts are held."), "success")
        elif action == "page":
            crisis.open_page(
                db.session,
                brand,
                current_user,
                title=request.form.get("title", ""),
                statement=request.form.get("statement", ""),
                faq=request.form.get("faq", ""),
                alert=alert,
                now=now,
            )
            flash(_("The public updates page is open."), "success")
        elif action == "update":
            page = crisis.page_of(db.session, brand)
            if page is None:
                raise ops.ListeningError(_("Open the updates page first."))
            crisis.add_update(db.session, page, current_user, request.form.get("text", ""), now)
            flash(_("Update published."), "success")
        elif action == "close":
            page = crisis.page_of(db.session, brand)
            if page is not None:
                crisis.close_page(db.session, page, current_user)
            flash(_("The updates page is closed."), "info")
        else:
            abort(404)
        db.session.commit()
    except Refused as exc:
        db.session.rollback()
        _flash_errors(exc)
    if alert is not None:
        return redirect(url_for("listening.alert_page", brand_id=brand.id, alert_id=alert.id))
    return redirect(url_for("listening.alerts", brand_id=brand.id))


@public_bp.context_processor
def _public_words() -> dict[str, Any]:
    return {"link_urls": link_urls}


@public_bp.route("/b/<slug>/updates")
def public_updates(slug: str) -> Any:
    """The brand's public crisis page: no login, server-rendered, every text escaped."""
    brand = db.session.scalar(select(Brand).where(Brand.slug == slug))
    page = crisis.page_of(db.session, brand) if brand else None
    if page is None or not page.published:
        abort(404)
    public_page_language(brand.language)  # the brand's language, or the one the visitor picked
    response = current_app.make_response(
        render_template("listening/public_updates.html", public_brand=brand, page=page)
    )
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


# --- reports ------------------------------------------------------------------------------------


@bp.route("/brands/<int:brand_id>/listening/reports")
@login_required
def reports(brand_id: int) -> Any:
    brand = _brand(brand_id)
    days = request.args.get("days", 30, type=int)
    days = days if days in REPORT_DAYS else 30
    now = utcnow()
    start = now - timedelta(days=days)
    mentions = list(
        db.session.scalars(
            select(Mention).where(Mention.brand_id == brand.id, Mention.published_at > start)
        )
    )
    zone = brand.zone
    labels = [
        (now - timedelta(days=days - 1 - i)).astimezone(zone).strftime("%Y-%m-%d")
        for i in range(days)
    ]
    index = {day: i for i, day in enumerate(labels)}
    source_names = {s.id: s.name for s in ops.sources_of(db.session, brand.id)}
    by_source: dict[str, list[int]] = defaultdict(lambda: [0] * days)
    by_sentiment: dict[str, list[int]] = {
        k: [0] * days for k in ("positive", "neutral", "negative")
    }
    by_term: dict[str, list[int]] = defaultdict(lambda: [0] * days)
    term_totals: dict[str, int] = defaultdict(int)
    for mention in mentions:
        i = index.get(mention.published_at.astimezone(zone).strftime("%Y-%m-%d"))
        if i is None:
            continue
        by_source[source_names.get(mention.source_id, "?")][i] += 1
        by_sentiment[mention.sentiment_label][i] += 1
        for term in dict.fromkeys(mention.key_terms or []):
            by_term[term][i] += 1
            term_totals[term] += 1
    top_terms = sorted(term_totals, key=lambda t: (-term_totals[t], t))[:8]
    users = {u.id: u for u in db.session.scalars(select(User))}
    figures = sla.response_figures(mentions, now)
    targets = ops.settings_for(db.session, brand)
    return render_template(
        "listening/reports.html",
        brand=brand,
        days=days,
        report_days=REPORT_DAYS,
        labels=labels,
        by_source=dict(by_source),
        by_sentiment=by_sentiment,
        by_term={t: by_term[t] for t in top_terms},
        figures=figures,
        by_assignee=sla.response_by_assignee(mentions, users, now),
        targets=targets,
        total=len(mentions),
    )


def _weeks() -> int:
    """The weeks asked for; a bad value answers 422 with the reason (core.parsing)."""
    return parse_int(
        request.args.get("weeks"), "weeks", default=themes.DEFAULT_WEEKS, minimum=2,
        maximum=themes.MAX_WEEKS,
    )  # fmt: skip


@bp.route("/brands/<int:brand_id>/listening/themes")
@login_required
def themes_page(brand_id: int) -> Any:
    brand = _brand(brand_id)
    weeks = _weeks()
    found = themes.report(db.session, brand.id, utcnow(), weeks)
    return render_template(
        "listening/themes.html",
        brand=brand,
        report=found,
        weeks=weeks,
        chart=themes.as_json(found),
        alerts=themes.recent_alerts(db.session, brand.id, 10),
    )


@bp.route("/brands/<int:brand_id>/listening/themes.csv")
@login_required
def themes_csv(brand_id: int) -> Any:
    brand = _brand(brand_id)
    body = themes.csv_text(themes.report(db.session, brand.id, utcnow(), _weeks()))
    return current_app.response_class(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{brand.slug}-themes.csv"'},
    )
