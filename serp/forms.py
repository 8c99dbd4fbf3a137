"""Forms of the search-tracking pages (CSRF comes with FlaskForm)."""

from __future__ import annotations

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

from serp.models import DEPTHS, Device, Engine, Label, Schedule
from serp.providers import PROVIDERS, provider_labels

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
ENGINE_LABELS = {"google": "Google", "bing": "Bing", "duckduckgo": "DuckDuckGo", "brave": "Brave"}


class QueryForm(FlaskForm):
    text = StringField("Search text", validators=[DataRequired(), Length(max=500)])
    engine = SelectField("Engine", choices=[(e.value, ENGINE_LABELS[e.value]) for e in Engine])
    language = StringField("Language", default="en", validators=[DataRequired(), Length(max=16)])
    country = StringField("Country", default="us", validators=[DataRequired(), Length(max=8)])
    device = SelectField("Device", choices=[(d.value, d.value.title()) for d in Device])
    depth = SelectField(
        "Results to record", choices=[(d, f"Top {d}") for d in DEPTHS], coerce=int, default=10
    )
    schedule = SelectField("Check", choices=[(s.value, s.value.title()) for s in Schedule])
    weekday = SelectField("Day (weekly)", choices=list(enumerate(WEEKDAYS)), coerce=int)
    hour = IntegerField("Hour (brand's time zone)", default=6, validators=[NumberRange(0, 23)])
    provider = SelectField("Provider", choices=[])
    api_key = PasswordField("API key (empty: keep the stored one)", validators=[Optional()])
    base_url = StringField("Provider address (SearXNG, or a proxy)", validators=[Optional()])
    tags = StringField("Tags (comma-separated)", validators=[Optional(), Length(max=400)])
    importance = FloatField("Importance", default=1.0, validators=[NumberRange(0.01, 100)])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        labels = provider_labels()
        self.provider.choices = [(name, labels[name]) for name in PROVIDERS]

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


class RuleForm(FlaskForm):
    match_type = SelectField(
        "Match",
        choices=[("exact", "Exact URL"), ("prefix", "URL prefix"), ("domain", "Domain")],
    )
    pattern = StringField("URL, prefix or domain", validators=[DataRequired(), Length(max=2000)])
    label = SelectField("Label", choices=[(lab.value, lab.value.title()) for lab in Label])


class UploadForm(FlaskForm):
    file = FileField("Saved result page (.html) or CSV", validators=[FileRequired()])
    kind = SelectField("Kind", choices=[("html", "HTML page"), ("csv", "CSV")])
    checked_at = StringField(
        "Seen at (ISO 8601, empty: now; HTML pages only)", validators=[Optional()]
    )


class ActionForm(FlaskForm):
    """A button that changes something: only its CSRF token."""
