"""Listening's line on the home overview: mentions past their response-time target."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from flask import url_for
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.home import HomeLine
from core.tenants import Brand
from listening.models import OPEN_STATES, Mention


def home_lines(session: Session, brands: Sequence[Brand], now: datetime) -> list[HomeLine]:
    """Open mentions whose reply is overdue, counted per brand in one query."""
    rows = session.execute(
        select(Mention.brand_id, func.count(Mention.id))
        .where(
            Mention.brand_id.in_([brand.id for brand in brands]),
            Mention.state.in_(OPEN_STATES),
            Mention.due_at <= now,
        )
        .group_by(Mention.brand_id)
    ).all()
    return [
        HomeLine(
            brand_id,
            "overdue_mentions",
            n,
            ngettext(
                "%(num)d mention is overdue for a reply.",
                "%(num)d mentions are overdue for a reply.",
                n,
            ),
            url_for("listening.inbox", brand_id=brand_id, state="open", overdue="1"),
            urgent=True,
            order=25,
        )
        for brand_id, n in rows
    ]
