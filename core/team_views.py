"""The team's pages: members and invitations (admins), accepting an invitation, forgotten
passwords, and each person's own password and email. Thin: parse, call core.team, commit."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user
from werkzeug.exceptions import NotFound

from core import team
from core.auth import render_account, role_required
from core.db import db, utcnow
from core.errors import Refused
from core.extensions import limiter
from core.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    InviteForm,
    MemberForm,
    NewPasswordForm,
    language_choices,
)
from core.i18n import language, role_name, use_language
from core.mail import send_mail
from core.models import Role, User
from core.security import client_address, submitted_account
from core.tenants import Brand, brands_for

bp = Blueprint("team", __name__)
logger = logging.getLogger("core.team")


def _config(name: str) -> Callable[[], str]:
    return lambda: current_app.config[name]


def _secret() -> str:
    return current_app.config["SECRET_KEY"]


def _external(endpoint: str, **values: Any) -> str:
    """An absolute link for a mail: BASE_URL when configured, else the address in use."""
    base = current_app.config.get("BASE_URL") or request.url_root.rstrip("/")
    return base + url_for(endpoint, **values)


def _deliver(to: str, subject: str, text: str) -> tuple[bool, str | None]:
    """Whether the mail went out, and why not when sending failed (not when mail is off)."""
    try:
        return send_mail(current_app.config, to, subject, text), None
    except (smtplib.SMTPException, OSError) as exc:
        logger.warning("team mail not sent: %s", exc)
        return False, _(
            "The mail server refused the message (%(error)s).", error=exc.__class__.__name__
        )


def _send_quietly(config: dict[str, Any], to: str, subject: str, text: str) -> None:
    try:
        send_mail(config, to, subject, text)
    except (smtplib.SMTPException, OSError) as exc:
        logger.warning("reset mail not sent: %s", exc)


def _my_brands() -> list[Brand]:
    return brands_for(db.session, current_user, include_archived=True)


def _brand_choices(form: Any, brands: list[Brand]) -> None:
    form.brands.choices = [(brand.id, brand.name) for brand in brands]
    if hasattr(form, "language"):
        form.language.choices = language_choices(_("The brand's language"))


def _link_language(link: team.AccountLink) -> str | None:
    """The language of an invitation: the one the admin chose, else its first brand's."""
    if link.locale:
        return link.locale
    brand = db.session.get(Brand, min(link.brand_ids)) if link.brand_ids else None
    return brand.language if brand is not None else None


# --- the team page ----------------------------------------------------------------------------


def _team_page(form: InviteForm, status: int = 200, shown_link: dict | None = None) -> Any:
    brands = _my_brands()
    now = utcnow()
    invitations = team.pending_invitations(db.session, now)
    names = {brand.id: brand.name for brand in brands}
    return (
        render_template(
            "team/team.html",
            form=form,
            members=team.members(db.session, brands),
            invitations=invitations,
            invite_brands={
                link.id: [names[b] for b in link.brand_ids if b in names] for link in invitations
            },
            now=now,
            shown_link=shown_link,
            mail_on=bool(current_app.config.get("SMTP_HOST")),
        ),
        status,
    )


def _send_invitation(link: team.AccountLink, token: str) -> dict:
    url = _external("team.accept_invitation", token=token)
    with language(_link_language(link)):
        brands = ", ".join(team.brand_names(db.session, link.brand_ids)) or _("no brand yet")
        text = _(
            "%(admin)s invites you to PageOne as %(role)s (%(brands)s).\n\n"
            "Open this link to choose your password; it works once, for 7 days:\n%(url)s\n",
            admin=current_user.email,
            role=role_name(link.role),
            brands=brands,
            url=url,
        )
        subject = _("You are invited to PageOne")
    sent, error = _deliver(link.email, subject, text)
    return {"email": link.email, "url": url, "sent": sent, "error": error}


@bp.route("/team", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def team_page() -> Any:
    form = InviteForm()
    _brand_choices(form, _my_brands())
    if request.method == "GET":
        return _team_page(form)
    if not form.validate_on_submit():
        return _team_page(form, 400)
    try:
        link, token = team.invite(
            db.session,
            _secret(),
            current_user,
            email=form.email.data,
            role=form.role.data,
            brand_ids=form.brands.data or [],
            allowed_brands=_my_brands(),
            now=utcnow(),
            locale=form.language.data or None,
        )
    except Refused as exc:
        db.session.rollback()
        form.email.errors = [*form.email.errors, *exc.errors]
        return _team_page(form, 400)
    db.session.commit()
    shown = _send_invitation(link, token)
    if shown["sent"]:
        flash(_("Invitation sent to %(email)s.", email=link.email), "success")
        return redirect(url_for("team.team_page"))
    # No mail (or it failed): the admin copies the link; it is shown on this answer only.
    fresh = InviteForm(formdata=None)
    _brand_choices(fresh, _my_brands())
    return _team_page(fresh, shown_link=shown)


def _invitation_or_404(link_id: int) -> team.AccountLink:
    try:
        return team.invitation(db.session, link_id)
    except Refused as exc:
        raise NotFound(str(exc)) from None


@bp.route("/team/invitations/<int:link_id>/revoke", methods=["POST"])
@role_required(Role.ADMIN)
def revoke_invitation(link_id: int) -> Any:
    link = _invitation_or_404(link_id)
    team.revoke_invitation(db.session, current_user, link, utcnow())
    db.session.commit()
    flash(
        _("The invitation to %(email)s was withdrawn; its link no longer works.", email=link.email),
        "info",
    )
    return redirect(url_for("team.team_page"))


@bp.route("/team/invitations/<int:link_id>/resend", methods=["POST"])
@role_required(Role.ADMIN)
def resend_invitation(link_id: int) -> Any:
    old = _invitation_or_404(link_id)
    try:
        link, token = team.resend_invitation(
            db.session, _secret(), current_user, old, allowed_brands=_my_brands(), now=utcnow()
        )
    except Refused as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("team.team_page"))
    db.session.commit()
    shown = _send_invitation(link, token)
    if shown["sent"]:
        flash(
            _(
                "Invitation sent again to %(email)s; the earlier link no longer works.",
                email=link.email,
            ),
            "success",
        )
        return redirect(url_for("team.team_page"))
    form = InviteForm(formdata=None)
    _brand_choices(form, _my_brands())
    return _team_page(form, shown_link=shown)


def _member_or_404(user_id: int) -> User:
    try:
        return team.member(db.session, user_id)
    except Refused as exc:
        raise NotFound(str(exc)) from None


@bp.route("/team/members/<int:user_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def member(user_id: int) -> Any:
    user = _member_or_404(user_id)
    brands = _my_brands()
    current = team.members(db.session, brands)
    mine = next((m for m in current if m.user.id == user.id), None)
    form = MemberForm(role=user.role, brands=[b.id for b in (mine.brands if mine else [])] or None)
    _brand_choices(form, brands)
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            try:
                team.change_member(
                    db.session,
                    current_user,
                    user,
                    role=form.role.data,
                    brand_ids=form.brands.data or [],
                    allowed_brands=brands,
                )
            except Refused as exc:
                db.session.rollback()
                form.role.errors = [*form.role.errors, *exc.errors]
            else:
                db.session.commit()
                flash(
                    _("%(email)s is now %(role)s.", email=user.email, role=role_name(user.role)),
                    "success",
                )
                return redirect(url_for("team.team_page"))
    return render_template("team/member.html", form=form, member=user), status


@bp.route("/team/members/<int:user_id>/remove", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def remove_member(user_id: int) -> Any:
    user = _member_or_404(user_id)
    error = None
    if request.method == "POST":
        try:
            team.remove_member(db.session, current_user, user, utcnow())
        except Refused as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
            flash(
                _(
                    "%(email)s was removed: they are logged out and their API tokens no longer "
                    "work.",
                    email=user.email,
                ),
                "success",
            )
            return redirect(url_for("team.team_page"))
    page = render_template("team/remove.html", member=user, error=error)
    return page, 400 if error else 200


# --- invitation links -------------------------------------------------------------------------


def _unusable(exc: team.LinkUnusable) -> Any:
    status = 404 if exc.reason == "invalid" else 410
    return render_template("team/link_unusable.html", reason=exc.reason, message=str(exc)), status


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invitation(token: str) -> Any:
    try:
        link = team.open_link(db.session, _secret(), team.LinkKind.INVITE, token, now=utcnow())
    except team.LinkUnusable as exc:
        return _unusable(exc)
    # The page speaks the language of the invitation's mail; a language the admin chose for
    # the invitation also becomes the new account's own (core.team.accept_invitation).
    use_language(_link_language(link))
    form = NewPasswordForm()
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            try:
                user = team.accept_invitation(
                    db.session,
                    link,
                    name=form.name.data or "",
                    password=form.password.data,
                    now=utcnow(),
                )
            except Refused as exc:
                db.session.rollback()
                form.password.errors = [*form.password.errors, *exc.errors]
            else:
                db.session.commit()
                login_user(user)
                flash(_("Welcome to PageOne, %(name)s.", name=user.name), "success")
                return redirect(url_for("planner.home"))
    brands = team.brand_names(db.session, link.brand_ids)
    page = render_template("team/accept.html", form=form, link=link, brands=brands)
    return page, status


# --- forgotten passwords ----------------------------------------------------------------------

RESET_SENT = _l(
    "If an account uses that address, a link to choose a new password is on its way; it works "
    "once, for one hour. Nothing arrived? Check the address, or ask your administrator."
)


@bp.route("/forgot-password", methods=["GET", "POST"])
# Every request counts, per typed email and per client address, whether the address exists or not.
@limiter.limit(_config("RESET_LIMIT_PER_ACCOUNT"), key_func=submitted_account, methods=["POST"])
@limiter.limit(_config("RESET_LIMIT_PER_ADDRESS"), key_func=client_address, methods=["POST"])
def forgot_password() -> Any:
    form = ForgotPasswordForm()
    if request.method == "POST" and form.validate_on_submit():
        found = team.request_reset(db.session, _secret(), form.email.data, now=utcnow())
        db.session.commit()
        flash(str(RESET_SENT), "info")
        response = redirect(url_for("team.forgot_password"))
        if found is not None:
            user, token = found
            url = _external("team.reset_password", token=token)
            with language(user.locale):
                text = _(
                    "Someone (we hope you) asked to reset your PageOne password.\n\n"
                    "Choose a new one here; the link works once, for one hour:\n%(url)s\n\n"
                    "If it was not you, ignore this mail: your password stays as it is.\n",
                    url=url,
                )
                subject = _("Reset your PageOne password")
            # Sent once the answer has gone out, so that neither the answer nor its timing
            # differs between an address with an account and one without.
            config, to = dict(current_app.config), user.email
            response.call_on_close(lambda: _send_quietly(config, to, subject, text))
        return response
    status = 400 if request.method == "POST" else 200
    return render_template("team/forgot.html", form=form), status


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Any:
    try:
        link = team.open_link(db.session, _secret(), team.LinkKind.RESET, token, now=utcnow())
    except team.LinkUnusable as exc:
        return _unusable(exc)
    form = NewPasswordForm()
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            try:
                user = team.reset_password(db.session, link, form.password.data, now=utcnow())
            except team.LinkUnusable as exc:
                db.session.rollback()
                return _unusable(exc)
            except Refused as exc:
                db.session.rollback()
                form.password.errors = [*form.password.errors, *exc.errors]
            else:
                db.session.commit()
                login_user(user)
                flash(_("Your new password is set; every other session was logged out."), "success")
                return redirect(url_for("planner.home"))
    return render_template("team/reset.html", form=form, link=link), status


# --- your own account -------------------------------------------------------------------------


def _this_person() -> str:
    return f"person:{getattr(current_user, 'id', None)}"


def _refused(response: Any) -> bool:
    return response.status_code != 302


# A wrong current password counts like a failed login, per person: a session left open on a
# shared computer does not let anyone try passwords without end.
_password_checks = limiter.shared_limit(
    _config("LOGIN_LIMIT_PER_ACCOUNT"),
    scope="account-password-checks",
    key_func=_this_person,
    methods=["POST"],
    deduct_when=_refused,
)


@bp.route("/account/password", methods=["POST"])
@_password_checks
@login_required
def change_password() -> Any:
    form = ChangePasswordForm(prefix="pw")
    if form.validate_on_submit():
        try:
            team.change_password(
                db.session, current_user, current=form.current.data, new=form.password.data
            )
        except Refused as exc:
            db.session.rollback()
            form.password.errors = [*form.password.errors, *exc.errors]
        else:
            db.session.commit()
            # The new password ended every session, this one too: log this browser back in.
            login_user(current_user._get_current_object())
            flash(_("Your password is changed; your other sessions were logged out."), "success")
            return redirect(url_for("auth.account"))
    return render_account(400, password_form=form)


@bp.route("/account/email", methods=["POST"])
@_password_checks
@login_required
def change_email() -> Any:
    form = ChangeEmailForm(prefix="em")
    if form.validate_on_submit():
        try:
            team.change_email(
                db.session,
                current_user,
                password=form.password.data,
                new_email=form.email.data,
                now=utcnow(),
            )
        except Refused as exc:
            db.session.rollback()
            form.email.errors = [*form.email.errors, *exc.errors]
        else:
            db.session.commit()
            flash(_("Your email is now %(email)s.", email=current_user.email), "success")
            return redirect(url_for("auth.account"))
    return render_account(400, email_form=form)
