"""Forms of the review pages (CSRF comes with FlaskForm)."""

from __future__ import annotations

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
        "Review file (CSV, Google Business Profile JSON, Trustpilot JSON)",
        validators=[FileRequired()],
    )
    format = SelectField(
        "Format",
        choices=[
            ("", "Guess from the content"),
            ("csv", "CSV"),
            ("gbp", "Google Business Profile JSON"),
            ("trustpilot", "Trustpilot JSON"),
        ],
        default="",
    )


class ReviewSettingsForm(FlaskForm):
    profile_url = StringField("Link to the full review profile (Google, Trustpilot …)")
    page_enabled = BooleanField("Publish the public page of selected reviews")
    weekly_cap = IntegerField(
        "Review posts per channel per week, at most", default=2, validators=[NumberRange(1, 50)]
    )
    cooldown_days = IntegerField(
        "Days before a review may be promoted again",
        default=90,
        validators=[NumberRange(0, 3650)],
    )
    do_not_phrases = TextAreaField("Do-not list: phrases never used in posts (one per line)")


class PublishPageForm(FlaskForm):
    """Publish the public page from where it is mentioned, without a trip to the settings."""

    profile_url = StringField("Link to the full review profile (Google, Trustpilot …)")
    back = SelectField(choices=[("inbox", "inbox"), ("promotable", "promotable")], default="inbox")


class PromoteForm(FlaskForm):
    channels = SelectMultipleField(
        "Channels",
        coerce=int,
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
    )
    image_url = StringField(
        "Image address (needed for Instagram)",
        validators=[Optional(), Regexp(r"^https?://\S+$", message="A full http(s) address.")],
    )


class RoundupForm(FlaskForm):
    month = StringField("Month", validators=[Regexp(r"^[0-9]{4}-[0-9]{2}$", message="YYYY-MM")])
