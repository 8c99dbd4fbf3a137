"""Log in and out, roles enforced on the server, bearer tokens for the JSON API."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import refresh
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from core.db import db, utcnow
from core.extensions import limiter, login_manager
from core.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    LanguageForm,
    LoginForm,
    TokenForm,
    language_choices,
)
from core.i18n import role_name
from core.models import ApiToken, Role, User, check_login, hash_token
from core.security import client_address, login_failed, record_token_failure, submitted_account

bp = Blueprint("auth", __name__)
F = TypeVar("F", bound=Callable[..., Any])


# Flask-Login flashes its login_message when a page needs a login; it is said in the page's
# language through this callback (the English stays Flask-Login's own, for its logs and tests).
LOGIN_NEEDED = _l("Please log in to access this page.")
login_manager.localize_callback = lambda _message: str(LOGIN_NEEDED)


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    # Called with the id kept in the session cookie and in the remember-me cookie alike:
    # "<user id>:<session version>". After a logout or a new password the version has moved on,
    # so every cookie issued before, copied ones included, no longer logs anyone in.
    user_id, _, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()) or len(user_id) > 18:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


@login_manager.request_loader
def load_user_from_bearer(req: Any) -> User | None:
    header = req.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    token = db.session.scalar(
        select(ApiToken).where(ApiToken.token_hash == hash_token(header[7:].strip()))
    )
    if token is None:
        record_token_failure()
        return None
    if not token.user.active:
        return None
    token.last_used_at = utcnow()
    g.authenticated_by_token = True
    return token.user


def role_required(role: Role) -> Callable[[F], F]:
    """The view needs a logged-in user with at least this role."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.has_role(role):
                abort(
                    403,
                    description=_(
                        "This needs the %(role)s role or higher.", role=role_name(role.value)
                    ),
                )
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def _safe_next(target: str | None) -> str:
    # Only same-site relative paths: an open redirect after login would help phishing.
    if target and target.startswith("/") and not target.startswith("//"):
        if not urlsplit(target).netloc:
            return target
    return url_for("planner.home")


def _config(name: str) -> Callable[[], str]:
    return lambda: current_app.config[name]


@bp.route("/login", methods=["GET", "POST"])
# Only failed attempts count, per typed email and per client address. A throttled attempt is
# refused before its password is checked, the right one included: a guess then learns nothing.
@limiter.limit(
    _config("LOGIN_LIMIT_PER_ACCOUNT"),
    key_func=submitted_account,
    methods=["POST"],
    deduct_when=login_failed,
)
@limiter.limit(
    _config("LOGIN_LIMIT_PER_ADDRESS"),
    key_func=client_address,
    methods=["POST"],
    deduct_when=login_failed,
)
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("planner.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.email == form.email.data.strip().lower()))
        if check_login(user, form.password.data):
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
        flash(_("That email and password do not match an active account."), "error")
    return render_template("auth/login.html", form=form), 200 if request.method == "GET" else 400


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Any:
    # Ends this user's sessions everywhere: other browsers and any copy of the cookies too.
    current_user.end_sessions()
    db.session.commit()
    flash(_("You are logged out."), "info")  # in the language of the person leaving
    logout_user()
    return redirect(url_for("auth.login"))


def render_account(status: int = 200, **forms: Any) -> Any:
    """The account page: password, email and API tokens; ``forms`` replace the empty ones."""
    tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.id)
    ).all()
    page = render_template(
        "auth/account.html",
        form=forms.get("form") or TokenForm(formdata=None),
        password_form=forms.get("password_form") or ChangePasswordForm(prefix="pw", formdata=None),
        email_form=forms.get("email_form") or ChangeEmailForm(prefix="em", formdata=None),
        language_form=forms.get("language_form") or _language_form(formdata=None),
        tokens=tokens,
        new_token=forms.get("new_token"),
    )
    return page, status


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account() -> Any:
    form = TokenForm()
    if form.validate_on_submit():
        token, new_token = ApiToken.issue(current_user, form.name.data.strip())
        db.session.add(token)
        db.session.commit()
        return render_account(form=TokenForm(formdata=None), new_token=new_token)
    return render_account(400 if request.method == "POST" else 200, form=form)


def _language_form(**kwargs: Any) -> LanguageForm:
    form = LanguageForm(prefix="lang", language=current_user.locale or "", **kwargs)
    form.language.choices = language_choices(_("The browser's language"))
    return form


@bp.route("/account/language", methods=["POST"])
@login_required
def change_language() -> Any:
    """The person's interface language; empty follows the browser."""
    form = _language_form()
    if not form.validate_on_submit():
        return render_account(400, language_form=form)
    current_user.locale = form.language.data or None
    db.session.commit()
    refresh()  # this answer's message already speaks the new language
    flash(_("Your language is saved."), "success")
    return redirect(url_for("auth.account"))


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int) -> Any:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404)
    db.session.delete(token)
    db.session.commit()
    flash(_("Token revoked."), "info")
    return redirect(url_for("auth.account"))
