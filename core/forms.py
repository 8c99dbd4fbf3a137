"""The forms of logging in, API tokens and the team: read by the auth and team pages and the
throttled login."""

from __future__ import annotations

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


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Email()])
    password = PasswordField("Password", validators=[DataRequired()])
    remember = BooleanField("Keep me logged in")


class TokenForm(FlaskForm):
    name = StringField("Token name", validators=[DataRequired(), Length(max=120)])


ROLE_CHOICES = [
    ("viewer", "Viewer: sees the plans"),
    ("editor", "Editor: writes posts"),
    ("approver", "Approver: approves posts"),
    ("admin", "Admin: manages brands and the team"),
]


class InviteForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    role = SelectField("Role", choices=ROLE_CHOICES, default="editor")
    # Choices are the inviting admin's brands, set by the view.
    brands = SelectMultipleField("Brands", coerce=int, widget=ListWidget(prefix_label=False),
                                 option_widget=CheckboxInput())  # fmt: skip


class MemberForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES)
    brands = SelectMultipleField("Brands", coerce=int, widget=ListWidget(prefix_label=False),
                                 option_widget=CheckboxInput())  # fmt: skip


class NewPasswordForm(FlaskForm):
    """Setting a password from an invitation or a reset link."""

    name = StringField("Your name", validators=[Length(max=120)])
    password = PasswordField("New password", validators=[DataRequired()])
    confirm = PasswordField(
        "New password again", validators=[DataRequired(), EqualTo("password", "The two differ.")]
    )


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])


class ChangePasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired()])
    password = PasswordField("New password", validators=[DataRequired()])
    confirm = PasswordField(
        "New password again", validators=[DataRequired(), EqualTo("password", "The two differ.")]
    )


class ChangeEmailForm(FlaskForm):
    email = EmailField("New email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Your password", validators=[DataRequired()])
