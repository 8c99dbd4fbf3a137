"""Forms of the search-tracking pages (CSRF comes with FlaskForm)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    FloatField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from core.i18n import weekday_names
from serp.models import DEPTHS, Device, Engine, Label, Schedule
from serp.providers import PROVIDERS, provider_labels

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
DEVICE_NAMES = {"desktop": _l("Desktop"), "mobile": _l("Mobile")}
SCHEDULE_NAMES = {"weekly": _l("Weekly"), "daily": _l("Daily"), "manual": _l("Manual")}
ENGINE_LABELS = {"google": "Google", "bing": "Bing", "duckduckgo": "DuckDuckGo", "brave": "Brave"}


class QueryForm(FlaskForm):
    text = StringField(_l("Search text"), validators=[DataRequired(), Length(max=500)])
    engine = SelectField(_l("Engine"), choices=[(e.value, ENGINE_LABELS[e.value]) for e in Engine])
    language = StringField(
        _l("Language"), default="en", validators=[DataRequired(), Length(max=16)]
    )
    country = StringField(_l("Country"), default="us", validators=[DataRequired(), Length(max=8)])
    device = SelectField(_l("Device"), choices=[(d.value, DEVICE_NAMES[d.value]) for d in Device])
    depth = SelectField(
        _l("Results to record"),
        choices=[(d, _l("Top %(num)d", num=d)) for d in DEPTHS],
        coerce=int,
        default=10,
    )
    schedule = SelectField(
        _l("Check"), choices=[(s.value, SCHEDULE_NAMES[s.value]) for s in Schedule]
    )
    weekday = SelectField(_l("Day (weekly)"), choices=list(enumerate(WEEKDAYS)), coerce=int)
    hour = IntegerField(_l("Hour (brand's time zone)"), default=6, validators=[NumberRange(0, 23)])
    provider = SelectField(_l("Provider"), choices=[])
    api_key = PasswordField(_l("API key (empty: keep the stored one)"), validators=[Optional()])
    base_url = StringField(_l("Provider address (SearXNG, or a proxy)"), validators=[Optional()])
    tags = StringField(_l("Tags (comma-separated)"), validators=[Optional(), Length(max=400)])
    importance = FloatField(_l("Importance"), default=1.0, validators=[NumberRange(0.01, 100)])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        labels = provider_labels()
        names = {"html": _l("Result pages (direct)"), "manual": _l("Manual upload")}
        self.provider.choices = [(name, names.get(name, labels[name])) for name in PROVIDERS]
        self.weekday.choices = list(enumerate(weekday_names()))

    def values(self) -> dict:
        """The query fields as the operations take them."""
        return {
            "text": self.text.data,
            "engine": self.engine.data,
            "language": self.language.data,
            "country": self.country.data,
            "device": self.device.data,
            "depth": self.depth.data,
            "schedule": self.schedule.data,
            "weekday": self.weekday.data,
            "hour": self.hour.data,
            "provider": self.provider.data,
            "tags": self.tags.data or "",
            "importance": self.importance.data,
        }


class LabelForm(FlaskForm):
    url = HiddenField(validators=[DataRequired()])
    label = SelectField(choices=[(lab.value, lab.value) for lab in Label])


LABEL_CHOICES = {
    "negative": _l("Negative"),
    "positive": _l("Positive"),
    "owned": _l("Owned"),
    "neutral": _l("Neutral"),
}


class RuleForm(FlaskForm):
    match_type = SelectField(
        _l("Match"),
        choices=[
            ("exact", _l("Exact URL")),
            ("prefix", _l("URL prefix")),
            ("domain", _l("Domain")),
        ],
    )
    pattern = StringField(
        _l("URL, prefix or domain"), validators=[DataRequired(), Length(max=2000)]
    )
    label = SelectField(
        _l("Label"), choices=[(lab.value, LABEL_CHOICES[lab.value]) for lab in Label]
    )


class UploadForm(FlaskForm):
    file = FileField(_l("Saved result page (.html) or CSV"), validators=[FileRequired()])
    kind = SelectField(_l("Kind"), choices=[("html", _l("HTML page")), ("csv", _l("CSV"))])
    checked_at = StringField(
        _l("Seen at (ISO 8601, empty: now; HTML pages only)"), validators=[Optional()]
    )


class ActionForm(FlaskForm):
    """A button that changes something: only its CSRF token."""
