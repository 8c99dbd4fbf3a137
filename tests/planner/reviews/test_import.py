"""Importing reviews: each format, bad rows with reasons, all or nothing, re-import, the CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import func, select

from core.db import db
from planner.reviews.importers import COLUMNS, MAX_BYTES, guess_format, parse_file
from planner.reviews.importing import import_reviews
from planner.reviews.models import Review

from .conftest import csv_file, gbp_file


def count(brand) -> int:
    return db.session.scalar(select(func.count(Review.id)).where(Review.brand_id == brand.id))


def run(brand, data: bytes, fmt: str | None = None):
    report = import_reviews(db.session, brand, data, fmt=fmt, actor="test", now=datetime.now(UTC))
    if report.ok:
        db.session.commit()
    else:
        db.session.rollback()
    return report


def test_columns_are_documented_for_every_csv_field():
    assert list(COLUMNS) == [
        "source", "external_id", "rating", "title", "text", "author", "created_at",
        "language", "url", "reply_text", "reply_at",
    ]  # fmt: skip


def test_csv_import_stores_reviews_with_language_and_english_sentiment_only(brand):
    report = run(
        brand,
        csv_file(
            'yelp,y1,5,Great,"Great coffee, Ana was lovely!",Maria Schmidt,2026-01-05,,'
            "https://yelp.example/r/1,Thanks!,2026-01-06T10:00:00+01:00",
            'yelp,y2,1,,"Der Service war schrecklich und der Kaffee kalt.",Jürgen K,'
            "2026-01-07T09:30:00,,,,",
        ),
    )
    assert report.ok and report.created == 2
    english, german = db.session.scalars(select(Review).order_by(Review.external_id)).all()
    assert english.language == "en" and english.sentiment > 0.5
    assert english.reply_at == datetime(2026, 1, 6, 9, tzinfo=UTC)
    assert german.language == "de" and german.language_detected
    assert german.sentiment is None  # never fed to VADER
    assert german.created_at == datetime(2026, 1, 7, 9, 30, tzinfo=UTC)  # no offset: UTC


def test_bad_rows_are_listed_with_reasons_and_nothing_is_imported(brand):
    report = run(
        brand,
        csv_file(
            "google,ok1,5,,Fine,Ann,2026-01-01,,,,",
            "google,b1,,,No rating,Ann,2026-01-01,,,,",
            "google,b2,7,,Seven stars,Ann,2026-01-01,,,,",
            "google,b3,4,,Bad date,Ann,yesterday-ish,,,,",
            "google,b4,4,,Bad url,Ann,2026-01-01,,javascript:alert(1),,",
        ),
    )
    assert not report.ok
    reasons = dict(report.errors)
    assert reasons["line 3"] == "no rating"
    assert "rating 7 is outside 1–5" in reasons["line 4"]
    assert "yesterday-ish" in reasons["line 5"] and "ISO 8601" in reasons["line 5"]
    assert "not a full http(s) address" in reasons["line 6"]
    assert count(brand) == 0


def test_wrong_encoding_names_the_line(brand):
    data = csv_file(
        "google,a1,5,,Fine,Ann,2026-01-01,,,,"
    ) + "google,a2,5,,Café,Zoë,2026-01-01,,,,\n".encode("latin-1")
    report = run(brand, data)
    assert not report.ok
    assert report.errors[0][0] == "line 3" and "not UTF-8" in report.errors[0][1]
    assert count(brand) == 0


def test_file_over_50_mb_is_refused_with_the_reason():
    parsed = parse_file(b"x" * (MAX_BYTES + 1), "csv")
    assert parsed.errors and "limit is 50 MB" in parsed.errors[0][1]


def test_reimporting_the_same_file_changes_nothing_and_an_edit_updates(brand):
    first = csv_file(
        "google,g1,5,,Lovely,Ann,2026-01-01,,,,",
        "google,g2,3,,Okay,Ben,2026-01-02,,,,",
    )
    assert run(brand, first).created == 2
    ids = dict(db.session.execute(select(Review.external_id, Review.id)).all())
    again = run(brand, first)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    edited = csv_file(
        "google,g1,5,,Lovely,Ann,2026-01-01,,,,",
        "google,g2,4,,Okay now they fixed it,Ben,2026-01-02,,,We are glad!,2026-01-03",
    )
    report = run(brand, edited)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    review = db.session.get(Review, ids["g2"])
    assert review.rating == 4 and review.reply_text == "We are glad!"
    assert count(brand) == 2


def test_same_id_on_another_source_is_another_review(brand):
    report = run(
        brand,
        csv_file("google,1,5,,A,Ann,2026-01-01,,,,", "yelp,1,4,,B,Ann,2026-01-01,,,,"),
    )
    assert report.created == 2


def test_a_review_twice_with_different_content_is_refused(brand):
    report = run(
        brand,
        csv_file("google,1,5,,A,Ann,2026-01-01,,,,", "google,1,4,,B,Ann,2026-01-01,,,,"),
    )
    assert not report.ok and "appears again" in report.errors[0][1]


GBP = [
    {
        "reviewId": "AbFvOql",
        "reviewer": {"displayName": "Maria Schmidt"},
        "starRating": "FIVE",
        "comment": "The flat white was perfect.",
        "createTime": "2026-02-01T10:11:12.123456789Z",
        "updateTime": "2026-02-01T10:11:12.123456789Z",
        "reviewReply": {"comment": "Thank you Maria!", "updateTime": "2026-02-02T08:00:00Z"},
    },
    {
        "reviewId": "Zx9",
        "reviewer": {"displayName": "Jürgen K"},
        "starRating": "TWO",
        "comment": (
            "(Translated by Google) The cake was dry.\n\n(Original)\nDer Kuchen war trocken."
        ),
        "createTime": "2026-02-03T10:00:00Z",
        "updateTime": "2026-02-03T10:00:00Z",
    },
    {
        "reviewId": "noComment",
        "reviewer": {"displayName": "Lee"},
        "starRating": "FOUR",
        "createTime": "2026-02-04T10:00:00Z",
    },
]


def test_google_business_profile_export(brand):
    data = gbp_file(GBP)
    assert guess_format(data) == "gbp"
    report = run(brand, data)
    assert report.ok and report.format == "gbp" and report.created == 3
    maria, german, bare = (
        db.session.scalar(select(Review).where(Review.external_id == i))
        for i in ("AbFvOql", "Zx9", "noComment")
    )
    assert maria.source == "google" and maria.rating == 5
    assert maria.reply_text == "Thank you Maria!"
    assert maria.created_at == datetime(2026, 2, 1, 10, 11, 12, 123456, tzinfo=UTC)
    assert german.text == "Der Kuchen war trocken."  # the reviewer's own words
    assert bare.text == "" and bare.rating == 4
    assert run(brand, data).unchanged == 3


def test_google_export_with_unknown_star_rating_is_refused(brand):
    bad = [{**GBP[0], "starRating": "STAR_RATING_UNSPECIFIED"}]
    report = run(brand, gbp_file(bad))
    assert not report.ok
    assert report.errors[0][0] == "review 1 (AbFvOql)"


TRUSTPILOT = [
    {
        "id": "5f1a2b3c4d",
        "stars": 5,
        "title": "Superb",
        "text": "Delivery in 2 days and Sam on the phone was great.",
        "consumer": {"displayName": "Aisha Khan"},
        "createdAt": "2026-03-01T12:00:00Z",
        "language": "en",
    },
    {
        "id": "6a7b8c9d0e",
        "stars": 1,
        "title": "Nein",
        "text": "Die Lieferung kam nie an.",
        "consumer": {"displayName": "Hans"},
        "createdAt": "2026-03-02T12:00:00Z",
        "language": "de",
        "companyReply": {"text": "Entschuldigung!", "createdAt": "2026-03-03T09:00:00Z"},
    },
]


def test_trustpilot_export_as_object_or_bare_list(brand):
    report = run(brand, json.dumps({"reviews": TRUSTPILOT}).encode())
    assert report.ok and report.format == "trustpilot" and report.created == 2
    again = run(brand, json.dumps(TRUSTPILOT).encode())
    assert again.unchanged == 2
    review = db.session.scalar(select(Review).where(Review.external_id == "5f1a2b3c4d"))
    assert review.url == "https://www.trustpilot.com/reviews/5f1a2b3c4d"
    assert review.title == "Superb" and review.author == "Aisha Khan"
    assert set(review.details) >= {"2 days", "Sam"}
    german = db.session.scalar(select(Review).where(Review.external_id == "6a7b8c9d0e"))
    assert german.language == "de" and not german.language_detected and german.sentiment is None
    assert german.reply_text == "Entschuldigung!"


def test_trustpilot_bad_rows_are_named_by_position_and_id(brand):
    bad = [{**TRUSTPILOT[0], "stars": 0}, {**TRUSTPILOT[1], "createdAt": "soon"}]
    report = run(brand, json.dumps(bad).encode(), fmt="trustpilot")
    wheres = [w for w, _ in report.errors]
    assert wheres == ["review 1 (5f1a2b3c4d)", "review 2 (6a7b8c9d0e)"]


def test_cli_imports_a_file_and_reports_bad_rows(runner, brand, tmp_path):
    good = tmp_path / "reviews.json"
    good.write_text(json.dumps({"reviews": TRUSTPILOT}))
    result = runner.invoke(args=["reviews", "import", str(good), "--brand", brand.slug])
    assert result.exit_code == 0, result.output
    assert "2 new" in result.output and "(trustpilot)" in result.output
    result = runner.invoke(
        args=["reviews", "import", str(good), "--brand", brand.slug, "--format", "trustpilot"]
    )
    assert "0 new, 0 updated, 2 unchanged" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_file("google,x,9,,Nine,Ann,2026-01-01,,,,"))
    result = runner.invoke(args=["reviews", "import", str(bad), "--brand", brand.slug])
    assert result.exit_code != 0
    assert "line 2: rating 9 is outside 1–5 whole stars" in result.output
    assert "Nothing was imported" in result.output
    result = runner.invoke(args=["reviews", "import", str(good), "--brand", "nope"])
    assert result.exit_code != 0 and "No brand" in result.output
