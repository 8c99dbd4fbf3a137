"""Forms of the planner pages (CSRF comes with FlaskForm)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, EmailField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, ValidationError

from core.tenants import BRAND_NAME_MAX, BRAND_SLUG_MAX
from planner import slots
from planner.models import CHANNEL_NAME_MAX, Platform

PLATFORM_CHOICES = [(p.value, p.label) for p in Platform]


def _name_field(label: str, what: str, maximum: int, **kwargs: object) -> StringField:
    """A required name of at most ``maximum`` characters; the browser stops typing there too."""
    return StringField(
        label,
        validators=[
            DataRequired(f"Give the {what} a name."),
            Length(max=maximum, message=f"Keep the {what} name to {maximum} characters or fewer."),
        ],
        render_kw={"maxlength": maximum},
        **kwargs,
    )


def _valid_timezone(_form: FlaskForm, field: StringField) -> None:
    error = slots.validate_timezone((field.data or "").strip())
    if error:
        raise ValidationError(error)


class BrandForm(FlaskForm):
    name = _name_field("Name", "brand", BRAND_NAME_MAX)
    slug = StringField(
        "Short name (in URLs)",
        validators=[Optional(), Length(max=BRAND_SLUG_MAX)],
        render_kw={"maxlength": BRAND_SLUG_MAX},
    )
    timezone = StringField("Time zone", default="UTC", validators=[DataRequired(), _valid_timezone])


class BrandSettingsForm(FlaskForm):
    name = _name_field("Name", "brand", BRAND_NAME_MAX)
    timezone = StringField("Time zone", validators=[DataRequired(), _valid_timezone])
    grace_minutes = IntegerField(
        "Grace period for late posts (minutes)", validators=[NumberRange(0, 7 * 24 * 60)]
    )
    requires_approval = BooleanField("Posts need approval before they are scheduled")
    requires_two_people = BooleanField("An approver cannot approve their own post")


class MemberForm(FlaskForm):
    email = EmailField("User's email", validators=[DataRequired(), Email()])


class ChannelForm(FlaskForm):
    platform = SelectField("Platform", choices=PLATFORM_CHOICES)
    name = _name_field("Name", "channel", CHANNEL_NAME_MAX)
    timezone = StringField("Time zone", validators=[DataRequired(), _valid_timezone])
    min_gap_minutes = IntegerField(
        "Minimum gap between posts (minutes)", default=60, validators=[NumberRange(0, 10080)]
    )
    max_per_day = IntegerField(
        "Maximum posts per day (empty: no maximum)",
        default=3,
        validators=[Optional(), NumberRange(1, 500)],
    )


class ChannelSettingsForm(ChannelForm):
    platform = None  # the platform of a channel is fixed once created


class DeleteBrandForm(FlaskForm):
    confirm_name = StringField("Type the brand's name to confirm", validators=[DataRequired()])


class ImportForm(FlaskForm):
    file = FileField("CSV file", validators=[FileRequired()])
