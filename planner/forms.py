"""Forms of the planner pages (CSRF comes with FlaskForm)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, EmailField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, ValidationError

from core.forms import Form
from core.i18n import LANGUAGES
from core.tenants import BRAND_NAME_MAX, BRAND_SLUG_MAX
from planner import slots
from planner.models import CHANNEL_NAME_MAX, Platform

PLATFORM_CHOICES = [(p.value, p.label) for p in Platform]


def _name_field(label: str, missing: str, too_long: str, maximum: int) -> StringField:
    """A required name of at most ``maximum`` characters; the browser stops typing there too."""
    return StringField(
        label,
        validators=[DataRequired(missing), Length(max=maximum, message=too_long)],
        render_kw={"maxlength": maximum},
    )


def _brand_name() -> StringField:
    return _name_field(
        _l("Name"),
        _l("Give the brand a name."),
        _l("Keep the brand name to %(max)d characters or fewer.", max=BRAND_NAME_MAX),
        BRAND_NAME_MAX,
    )


def _valid_timezone(_form: FlaskForm, field: StringField) -> None:
    error = slots.validate_timezone((field.data or "").strip())
    if error:
        raise ValidationError(error)


LANGUAGE_CHOICES = list(LANGUAGES.items())


class BrandForm(Form):
    name = _brand_name()
    slug = StringField(
        _l("Short name (in URLs)"),
        validators=[Optional(), Length(max=BRAND_SLUG_MAX)],
        render_kw={"maxlength": BRAND_SLUG_MAX},
    )
    timezone = StringField(
        _l("Time zone"), default="UTC", validators=[DataRequired(), _valid_timezone]
    )


class BrandSettingsForm(Form):
    name = _brand_name()
    timezone = StringField(_l(_l("Time zone")), validators=[DataRequired(), _valid_timezone])
    language = SelectField(
        _l("Language of the public pages and mails"), choices=LANGUAGE_CHOICES, default="en"
    )
    grace_minutes = IntegerField(
        _l("Grace period for late posts (minutes)"), validators=[NumberRange(0, 7 * 24 * 60)]
    )
    requires_approval = BooleanField(_l("Posts need approval before they are scheduled"))
    requires_two_people = BooleanField(_l("An approver cannot approve their own post"))


class MemberForm(Form):
    email = EmailField(_l("User's email"), validators=[DataRequired(), Email()])


class ChannelForm(Form):
    platform = SelectField(_l("Platform"), choices=PLATFORM_CHOICES)
    name = _name_field(
        _l("Name"),
        _l("Give the channel a name."),
        _l("Keep the channel name to %(max)d characters or fewer.", max=CHANNEL_NAME_MAX),
        CHANNEL_NAME_MAX,
    )
    timezone = StringField(_l("Time zone"), validators=[DataRequired(), _valid_timezone])
    min_gap_minutes = IntegerField(
        _l("Minimum gap between posts (minutes)"), default=60, validators=[NumberRange(0, 10080)]
    )
    max_per_day = IntegerField(
        _l("Maximum posts per day (empty: no maximum)"),
        default=3,
        validators=[Optional(), NumberRange(1, 500)],
    )


class ChannelSettingsForm(ChannelForm):
    platform = None  # the platform of a channel is fixed once created


class DeleteBrandForm(Form):
    confirm_name = StringField(_l("Type the brand's name to confirm"), validators=[DataRequired()])


class ImportForm(Form):
    file = FileField(_l("CSV file"), validators=[FileRequired()])
