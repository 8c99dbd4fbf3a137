"""Fixtures for the review tests: channels on every platform and small review files."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from core.db import db
from planner.channels import create_channel
from planner.reviews.importing import import_reviews

CSV_HEADER = (
    "source,external_id,rating,title,text,author,created_at,language,url,reply_text,reply_at"
)


def csv_file(*rows: str) -> bytes:
    return ("\n".join([CSV_HEADER, *rows]) + "\n").encode()


def days_ago(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


@pytest.fixture
def channels(brand, users):
    made = {}
    for platform in ("x", "bluesky", "mastodon", "linkedin", "facebook", "wordpress"):
        made[platform] = create_channel(
            db.session, brand, users["admin"], platform=platform, max_per_day=None
        )
    db.session.commit()
    return made


@pytest.fixture
def reviews(brand):
    """Six reviews of mixed ratings and languages, imported."""
    data = csv_file(
        f'google,g1,5,Best coffee,"The flat white was perfect and Ana remembered my name. '
        f'We come every Friday at 8:00.",Maria Schmidt,{days_ago(10)},,https://g.example/r/1,,',
        f'google,g2,1,,"Waited 40 minutes for a cold sandwich. Terrible.",Tom Jones,'
        f"{days_ago(3)},,,,",
        f'trustpilot,t1,4,,"Good coffee, friendly staff.",Aisha Khan,{days_ago(40)},en,,,',
        f'google,g3,5,,"Der Kaffee war ausgezeichnet und das Personal sehr freundlich.",'
        f"Jürgen K,{days_ago(5)},,,,",
        f'google,g4,2,,"Slow.",Lee,{days_ago(20)},en,,"Sorry, we are on it.",{days_ago(19)}',
        f'google,g5,5,,"Lovely place, I love the cinnamon buns!",Olivia Brown,{days_ago(300)},,,,',
    )
    report = import_reviews(db.session, brand, data, actor="test", now=datetime.now(UTC))
    assert report.ok, report.errors
    db.session.commit()
    return report


def gbp_file(reviews: list[dict]) -> bytes:
    return json.dumps({"reviews": reviews}).encode()
