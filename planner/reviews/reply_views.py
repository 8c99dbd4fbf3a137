"""Pages for replying to reviews: the reply editor, flags for removal, the voice guide, and the
replies' settings (saved replies, response-time targets, review-site connections)."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core.auth import role_required
from core.db import db, utcnow
from core.models import Role, User
from core.pages import flash_errors
from core.pages import member_brand as _brand
from core.tenants import Brand
from planner.connections import flow
from planner.operations import NotFound, PlannerError
from planner.reviews import flags, posters, replies, response, review_sites, voice
from planner.reviews.models import Review
from planner.reviews.promotion import review_for
from planner.reviews.reply_models import (
    FLAG_REASON_LABELS,
    FLAG_STATE_NAMES,
    REPLY_STATUS_NAMES,
    FlagReason,
)
from planner.reviews.settings import settings_for

bp = Blueprint("review_replies", __name__)


@bp.app_template_global("voice_guide_for")
def voice_guide_for(brand: Brand, text: str | None = None) -> dict[str, Any]:
    """The guide as the editors' side panel shows it, with the warnings for ``text``."""
    data = voice.guide_dict(db.session, brand)
    if text is not None:
        # No length limit here: a long blog post on its page is checked whole.
        rules = voice.rules_for(db.session, brand)
        data["warnings"] = [w.as_dict() for w in voice.check_text(rules, text)]
    return data


def _review(brand: Brand, review_id: int) -> Review:
    try:
        return review_for(db.session, brand, review_id)
    except NotFound:
        abort(404)


def _reply_page(brand: Brand, review: Review) -> str:
    return url_for("review_replies.reply_page", brand_id=brand.id, review_id=review.id)


def _act(action: Any, success: str, back: str) -> Any:
    """Run one operation, commit once, flash the outcome and go back to the page."""
    try:
        action()
    except PlannerError as exc:
        db.session.rollback()
        flash_errors(exc.errors)
        return redirect(back), 303
    db.session.commit()
    flash(success, "success")
    return redirect(back), 303


# --- the reply editor ---------------------------------------------------------------------------


@bp.route("/brands/<int:brand_id>/reviews/<int:review_id>/reply")
@login_required
def reply_page(brand_id: int, review_id: int) -> Any:
    brand = _brand(brand_id)
    return _render_reply(brand, _review(brand, review_id))


def _render_reply(brand: Brand, review: Review, typed: str | None = None) -> str:
    reply = replies.reply_of(db.session, review)
    saved = replies.saved_replies(db.session, brand)
    text = typed if typed is not None else (reply.text if reply is not None else "")
    chosen = request.args.get("saved", type=int)
    problem = None
    if chosen is not None and typed is None:
        try:
            template = replies.saved_reply_of(db.session, brand, chosen)
            text = replies.fill_placeholders(template.text, review, brand)
        except PlannerError as exc:
            problem = exc.errors[0]
    settings = settings_for(db.session, brand)
    targets = response.targets_of(settings if settings.id else None)
    now = utcnow()
    people = {
        u.id: u
        for u in db.session.query(User).filter(
            User.id.in_(
                [
                    i
                    for i in (
                        reply.author_id if reply else None,
                        reply.approved_by_id if reply else None,
                        reply.sent_by_id if reply else None,
                    )
                    if i
                ]
            )
        )
    }
    return render_template(
        "reviews/reply.html",
        brand=brand,
        review=review,
        reply=reply,
        text=text,
        saved=saved,
        chosen=chosen,
        problem=problem,
        placeholders=replies.PLACEHOLDERS,
        has_api=posters.has_api(review.source),
        connected=review_sites.connection_for(db.session, brand, review.source) is not None,
        site_label=review_sites.SITE_LABELS.get(review.source),
        may_approve=reply is not None and replies.may_approve(brand, reply, current_user),
        approvers=replies.approvers_for(db.session, brand, reply) if reply else [],
        due=response.review_due(review, targets),
        overdue=response.is_overdue(review, targets, now),
        response_minutes=response.response_minutes(review),
        target_hours=targets.get(review.rating),
        flag_history=flags.flags_of(db.session, review),
        open_flag=flags.open_flag(db.session, review),
        flag_reasons=[(r.value, FLAG_REASON_LABELS[r]) for r in FlagReason],
        report_form=flags.report_form(review),
        moves=flags.MOVES,
        reply_state_names=REPLY_STATUS_NAMES,
        flag_state_names=FLAG_STATE_NAMES,
        people=people,
        now=now,
    )


@bp.route("/brands/<int:brand_id>/reviews/<int:review_id>/reply", methods=["POST"])
@role_required(Role.EDITOR)
def save_reply(brand_id: int, review_id: int) -> Any:
    brand = _brand(brand_id)
    review = _review(brand, review_id)
    submit = request.form.get("action") == "submit"
    saved_id = request.form.get("saved_reply_id", type=int)
    holder: dict[str, Any] = {}

    def action() -> None:
        holder["reply"] = replies.save_reply(
            db.session,
            brand,
            review,
            current_user,
            request.form.get("text"),
            submit=submit,
            now=utcnow(),
            saved_reply_id=saved_id,
        )

    try:
        action()
    except PlannerError as exc:
        db.session.rollback()
        flash_errors(exc.errors)
        # The editor again with what was typed: a refusal never loses the text.
        return _render_reply(brand, review, request.form.get("text") or ""), 400
    db.session.commit()
    reply = holder["reply"]
    if not submit:
        message = _("Draft saved.")
    elif reply.status == "pending_approval":
        names = ", ".join(u.email for u in replies.approvers_for(db.session, brand, reply))
        message = (
            _("Submitted: the reply waits for approval by %(names)s.", names=names)
            if names
            else _("Submitted: the reply waits for approval.")
        )
    else:
        message = _("Submitted and approved: post it now.")
    flash(message, "success")
    return redirect(_reply_page(brand, review)), 303


@bp.route("/brands/<int:brand_id>/reviews/<int:review_id>/reply/approve", methods=["POST"])
@role_required(Role.APPROVER)
def approve_reply(brand_id: int, review_id: int) -> Any:
    brand = _brand(brand_id)
    review = _review(brand, review_id)
    return _act(
        lambda: replies.approve_reply(
            db.session,
            brand,
            review,
            current_user,
            override_reason=request.form.get("override_reason"),
        ),
        _("Approved: the reply can be posted."),
        _reply_page(brand, review),
    )


@bp.route("/brands/<int:brand_id>/reviews/<int:review_id>/reply/reject", methods=["POST"])
@role_required(Role.APPROVER)
def reject_reply(brand_id: int, review_id: int) -> Any:
    brand = _brand(brand_id)
    review = _review(brand, review_id)
    return _act(
        lambda: replies.reject_reply(
            db.session, brand, review, current_user, request.form.get("reason")
        ),
        _("Rejected: the reply is a draft again, with your reason."),
        _reply_page(brand, review),
    )


@bp.route("/brands/<int:brand_id>/reviews/<int:review_id>/reply/send", methods=["POST"])
@role_required(Role.EDITOR)
def send_reply(brand_id: int, review_id: int) -> Any:
    brand = _brand(brand_id)
    review = _review(brand, review_id)
    back = _reply_page(brand, review)
    try:
        replies.send_reply(db.session, brand, review, current_user, current_app.config, utcnow())
    except replies.ReplyNotSent as exc:
        db.session.commit()  # keeps the site's reason on the unsent reply
        flash_errors([_("Not sent: %(reason)s", reason=exc.errors[0])])
        return redirect(back), 303
    except PlannerError as exc:
        db.session.rollback()
        flash_errors(exc.errors)
        return redirect(back), 303
    db.session.commit()
    site = review_sites.SITE_LABELS[review.source]
    flash(_("The reply is posted on %(site)s.", site=site), "success")
    return redirect(back), 303


@bp.route("/brands/<int:brand_id>/reviews/<int:review_id>/reply/mark-replied", methods=["POST"])
@role_required(Role.EDITOR)
def mark_replied(brand_id: int, review_id: int) -> Any:
    brand = _brand(brand_id)
    review = _review(brand, review_id)
    return _act(
        lambda: replies.mark_replied_by_hand(db.session, brand, review, current_user, utcnow()),
        _("Marked replied."),
        _reply_page(brand, review),
    )


# --- flags --------------------------------------------------------------------------------------


@bp.route("/brands/<int:brand_id>/reviews/<int:review_id>/flag", methods=["POST"])
@role_required(Role.EDITOR)
def flag_review(brand_id: int, review_id: int) -> Any:
    brand = _brand(brand_id)
    review = _review(brand, review_id)
    return _act(
        lambda: flags.flag_review(
            db.session,
            brand,
            review,
            current_user,
            request.form.get("reason"),
            request.form.get("note"),
            utcnow(),
        ),
        _(
            "Flagged. Report it on the site's form, then mark it reported; "
            "the review stays visible."
        ),
        _reply_page(brand, review) + "#flag",
    )


@bp.route("/brands/<int:brand_id>/reviews/<int:review_id>/flag/state", methods=["POST"])
@role_required(Role.EDITOR)
def move_flag(brand_id: int, review_id: int) -> Any:
    brand = _brand(brand_id)
    review = _review(brand, review_id)
    state = request.form.get("state")
    return _act(
        lambda: flags.move_flag(db.session, brand, review, current_user, state, utcnow()),
        _("The flag is now %(state)s.", state=FLAG_STATE_NAMES.get(state or "", state)),
        _reply_page(brand, review) + "#flag",
    )


# --- the voice guide ----------------------------------------------------------------------------


@bp.route("/brands/<int:brand_id>/voice", methods=["GET", "POST"])
@login_required
def voice_page(brand_id: int) -> Any:
    brand = _brand(brand_id)
    guide = voice.guide_for(db.session, brand)
    status = 200
    values = {name: getattr(guide, name) for name in voice.GUIDE_FIELDS}
    if request.method == "POST":
        if not current_user.has_role(Role.ADMIN):
            abort(403, description=_("Only admins change the voice guide."))
        values = {name: request.form.get(name, "") for name in voice.GUIDE_FIELDS}
        try:
            voice.update_guide(db.session, brand, current_user, values)
        except PlannerError as exc:
            db.session.rollback()
            flash_errors(exc.errors)
            status = 400
        else:
            db.session.commit()
            flash(_("Voice guide saved."), "success")
            return redirect(url_for("review_replies.voice_page", brand_id=brand.id)), 303
    return render_template(
        "reviews/voice.html",
        brand=brand,
        values=values,
        do_not=voice.guide_dict(db.session, brand)["do_not"],
        can_edit=current_user.has_role(Role.ADMIN),
    ), status


# --- replies' settings: saved replies, targets, connections -------------------------------------


@bp.route("/brands/<int:brand_id>/reviews/replies")
@login_required
def replies_settings(brand_id: int) -> Any:
    brand = _brand(brand_id)
    settings = settings_for(db.session, brand)
    return render_template(
        "reviews/replies_settings.html",
        brand=brand,
        saved=replies.saved_replies(db.session, brand),
        waiting=replies.waiting_replies(db.session, brand),
        placeholders=replies.PLACEHOLDERS,
        targets=response.targets_of(settings if settings.id else None),
        connections=review_sites.connections_of(db.session, brand),
        gbp_configured=review_sites.gbp_configured(current_app.config),
        trustpilot_fields=review_sites.TRUSTPILOT_FIELDS,
        can_edit=current_user.has_role(Role.EDITOR),
        is_admin=current_user.has_role(Role.ADMIN),
    )


def _settings_page(brand: Brand, anchor: str = "") -> str:
    return url_for("review_replies.replies_settings", brand_id=brand.id) + anchor


@bp.route("/brands/<int:brand_id>/reviews/saved-replies", methods=["POST"])
@role_required(Role.EDITOR)
def create_saved_reply(brand_id: int) -> Any:
    brand = _brand(brand_id)
    return _act(
        lambda: replies.create_saved_reply(
            db.session, brand, current_user, request.form.get("title"), request.form.get("text")
        ),
        _("Saved reply added."),
        _settings_page(brand, "#saved"),
    )


@bp.route("/brands/<int:brand_id>/reviews/saved-replies/<int:saved_id>/delete", methods=["POST"])
@role_required(Role.EDITOR)
def delete_saved_reply(brand_id: int, saved_id: int) -> Any:
    brand = _brand(brand_id)
    return _act(
        lambda: replies.delete_saved_reply(db.session, brand, current_user, saved_id),
        _("Saved reply deleted."),
        _settings_page(brand, "#saved"),
    )


@bp.route("/brands/<int:brand_id>/reviews/targets", methods=["POST"])
@role_required(Role.ADMIN)
def save_targets(brand_id: int) -> Any:
    brand = _brand(brand_id)
    values = {str(r): request.form.get(f"target-{r}", "") for r in range(1, 6)}
    return _act(
        lambda: response.update_targets(db.session, brand, current_user, values),
        _("Response-time targets saved."),
        _settings_page(brand, "#targets"),
    )


@bp.route("/brands/<int:brand_id>/reviews/connect/trustpilot", methods=["POST"])
@role_required(Role.ADMIN)
def connect_trustpilot(brand_id: int) -> Any:
    brand = _brand(brand_id)
    return _act(
        lambda: review_sites.trustpilot_connect(
            db.session, brand, current_user, request.form, current_app.config, utcnow()
        ),
        _("Trustpilot connected: approved replies to Trustpilot reviews are posted from here."),
        _settings_page(brand, "#sites"),
    )


@bp.route("/brands/<int:brand_id>/reviews/disconnect/<source>", methods=["POST"])
@role_required(Role.ADMIN)
def disconnect_site(brand_id: int, source: str) -> Any:
    brand = _brand(brand_id)
    return _act(
        lambda: review_sites.disconnect(db.session, brand, source, current_user),
        _("%(site)s disconnected.", site=review_sites.SITE_LABELS.get(source, source)),
        _settings_page(brand, "#sites"),
    )


def _gbp_redirect_uri() -> str:
    path = url_for("review_replies.gbp_callback")
    base = current_app.config.get("BASE_URL")
    return f"{base}{path}" if base else url_for("review_replies.gbp_callback", _external=True)


@bp.route("/brands/<int:brand_id>/reviews/connect/google", methods=["POST"])
@role_required(Role.ADMIN)
def connect_google(brand_id: int) -> Any:
    brand = _brand(brand_id)
    try:
        url = review_sites.gbp_start(
            brand,
            current_user,
            request.form.get("location", ""),
            _gbp_redirect_uri(),
            session,
            current_app.config,
        )
    except PlannerError as exc:
        flash_errors(exc.errors)
        return redirect(_settings_page(brand, "#sites")), 303
    # A page that sends the browser on: a redirect after a form post would break the
    # form-action policy.
    return render_template("planner/connections/leave.html", label="Google", target=url)


@bp.route("/reviews/connect/google/callback")
@role_required(Role.ADMIN)
def gbp_callback() -> Any:
    """Google's answer. It writes (it finishes the connection), as every OAuth callback must."""
    try:
        attempt = flow.take_attempt(
            session,
            state=request.args.get("state"),
            platform=review_sites.PLATFORM,
            user_id=current_user.id,
        )
    except PlannerError as exc:
        flash_errors(exc.errors)
        return redirect(url_for("planner.home")), 303
    brand = _brand(attempt["brand_id"])
    holder: dict[str, str] = {}

    def finish() -> None:
        holder["message"] = review_sites.gbp_finish(
            db.session, brand, current_user, attempt, request.args, current_app.config, utcnow()
        )

    try:
        finish()
    except PlannerError as exc:
        db.session.rollback()
        flash_errors(exc.errors)
        return redirect(_settings_page(brand, "#sites")), 303
    db.session.commit()
    flash(holder["message"], "success")
    return redirect(_settings_page(brand, "#sites")), 303
