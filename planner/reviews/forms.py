"""Forms of the review pages (CSRF comes with FlaskForm)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget


class ReviewImportForm(FlaskForm):
    file = FileField(
        _l("Review file (CSV, Google Business Profile JSON, Trustpilot JSON)"),
        validators=[FileRequired()],
    )
    format = SelectField(
        _l("Format"),
        choices=[
            ("", _l("Guess from the content")),
            ("csv", "CSV"),
            ("gbp", "Google Business Profile JSON"),
            ("trustpilot", "Trustpilot JSON"),
        ],
        default="",
    )


class ReviewSettingsForm(FlaskForm):
    profile_url = StringField(_l("Link to the full review profile (Google, Trustpilot …)"))
    page_enabled = BooleanField(_l("Publish the public page of selected reviews"))
    weekly_cap = IntegerField(
        _l("Review posts per channel per week, at most"), default=2, validators=[NumberRange(1, 50)]
    )
    cooldown_days = IntegerField(
        _l("Days before a review may be promoted again"),
        default=90,
        validators=[NumberRange(0, 3650)],
    )
    do_not_phrases = TextAreaField(_l("Do-not list: phrases never used in posts (one per line)"))


class PublishPageForm(FlaskForm):
    """Publish the public page from where it is mentioned, without a trip to the settings."""

    profile_url = StringField(_l("Link to the full review profile (Google, Trustpilot …)"))
    back = SelectField(choices=[("inbox", "inbox"), ("promotable", "promotable")], default="inbox")


class PromoteForm(FlaskForm):
    channels = SelectMultipleField(
        _l("Channels"),
        coerce=int,
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
    )
    image_url = StringField(
        _l("Image address (needed for Instagram)"),
        validators=[Optional(), Regexp(r"^https?://\S+$", message=_l("A full http(s) address."))],
    )


class RoundupForm(FlaskForm):
    month = StringField(
        _l("Month"), validators=[Regexp(r"^[0-9]{4}-[0-9]{2}$", message=_l("YYYY-MM"))]
    )
