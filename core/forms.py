"""The forms of logging in, API tokens and the team: read by the auth and team pages and the
throttled login."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length
from wtforms.widgets import CheckboxInput, ListWidget

from core.i18n import LANGUAGES, form_translations


class Form(FlaskForm):
    """A form whose WTForms messages ("This field is required.") speak the page's language."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form: FlaskForm) -> object:
            return form_translations()


class LoginForm(Form):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Keep me logged in"))


class TokenForm(Form):
    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=120)])


ROLE_CHOICES = [
    ("viewer", _l("Viewer: sees the plans")),
    ("editor", _l("Editor: writes posts")),
    ("approver", _l("Approver: approves posts")),
    ("admin", _l("Admin: manages brands and the team")),
]


def language_choices(empty: str) -> list[tuple[str, str]]:
    """The interface languages, each in its own name, after a first choice meaning "none"."""
    return [("", empty), *LANGUAGES.items()]


class InviteForm(Form):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default="editor")
    # Choices are set by the view: "" is the language of the brand (or the browser).
    language = SelectField(_l("Language of the mail and the app"), default="")
    # Choices are the inviting admin's brands, set by the view.
    brands = SelectMultipleField(_l("Brands"), coerce=int, widget=ListWidget(prefix_label=False),
                                 option_widget=CheckboxInput())  # fmt: skip


class MemberForm(Form):
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    brands = SelectMultipleField(_l("Brands"), coerce=int, widget=ListWidget(prefix_label=False),
                                 option_widget=CheckboxInput())  # fmt: skip


class NewPasswordForm(Form):
    """Setting a password from an invitation or a reset link."""

    name = StringField(_l("Your name"), validators=[Length(max=120)])
    password = PasswordField(_l("New password"), validators=[DataRequired()])
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("password", _l("The two differ."))],
    )


class ForgotPasswordForm(Form):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])


class ChangePasswordForm(Form):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    password = PasswordField(_l("New password"), validators=[DataRequired()])
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("password", _l("The two differ."))],
    )


class LanguageForm(Form):
    # Choices are set by the view: "" follows the browser.
    language = SelectField(_l("Language"), default="")


class ChangeEmailForm(Form):
    email = EmailField(_l("New email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Your password"), validators=[DataRequired()])
