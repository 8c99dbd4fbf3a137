"""What makes a large import fast must not change what it stores: the quicker VADER scores as the
stock one does, and analysis in worker processes stores what analysis in-process stores."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from sqlalchemy import select
from vaderSentiment.vaderSentiment import (
    BOOSTER_DICT,
    NEGATE,
    SPECIAL_CASES,
    SentimentIntensityAnalyzer,
)

from core import sentiment
from core.db import db
from core.vader import ReviewSentimentAnalyzer
from planner.reviews.importing import import_reviews
from planner.reviews.models import Review

from .conftest import csv_file

SENTENCES = [
    "The flat white was perfect and Ana remembered my name.",
    "Not worth 12 euros, sadly. The oat latte was cold!!",
    "Service was slow on Saturday but the staff were KIND.",
    "It was kind of ok, at least the cake wasn't bad?? Never so happy to leave.",
    "No good coffee, no friendly staff, nothing nice. Without doubt the worst.",
    "To die for 😍 — the bomb :) yeah right",
    "   ",
    "",
]


def texts(count: int, seed: int = 7) -> list[str]:
    """Random word salads rich in what VADER treats specially: negations, boosters, idioms, caps,
    'but', 'kind of', 'least', punctuation and emoji."""
    stock = SentimentIntensityAnalyzer()
    words = [*list(stock.lexicon)[::7], *BOOSTER_DICT, *NEGATE]
    words += [w for phrase in SPECIAL_CASES for w in phrase.split()]
    words += (
        "kind of no or nor least at very never so this without doubt but coffee Ana 😀 :)".split()
    )
    rng = random.Random(seed)
    made = []
    for _ in range(count):
        chosen = [rng.choice(words) for _ in range(rng.randint(0, 24))]
        chosen = [
            w.upper() if rng.random() < 0.1 else w + rng.choice(["", "", "", ",", ".", "!", "?"])
            for w in chosen
        ]
        made.append(" ".join(chosen))
    return made


def test_review_vader_scores_exactly_as_stock_vader():
    stock, quick = SentimentIntensityAnalyzer(), ReviewSentimentAnalyzer()
    for text in SENTENCES + texts(4000):
        assert quick.polarity_scores(text) == stock.polarity_scores(text), text


def test_the_compound_score_alone_is_stock_vaders_compound():
    stock, quick = SentimentIntensityAnalyzer(), ReviewSentimentAnalyzer()
    for text in SENTENCES + texts(4000, seed=11):
        assert quick.compound(text) == stock.polarity_scores(text)["compound"], text


def items() -> list[tuple[str, str, str | None]]:
    return [
        ("", text, language)
        for text in SENTENCES + ["Der Kaffee war ausgezeichnet.", "Le café était excellent."]
        for language in (None, "en", "de")
    ]


def test_reviews_analysed_in_worker_processes_match_in_process(monkeypatch):
    expected = [sentiment.analyse_review(*item) for item in items()]
    monkeypatch.setattr(sentiment, "PARALLEL_FROM", 5)
    monkeypatch.setattr(sentiment, "_WORKER_CHUNK", 4)
    monkeypatch.setattr(sentiment, "_cores", lambda: 2)
    assert sentiment.analyse_reviews(items()) == expected


def test_reviews_are_analysed_in_process_when_worker_processes_fail(monkeypatch):
    def no_processes(*args, **kwargs):
        raise OSError("no semaphores here")

    expected = [sentiment.analyse_review(*item) for item in items()]
    monkeypatch.setattr(sentiment, "PARALLEL_FROM", 5)
    monkeypatch.setattr(sentiment, "_cores", lambda: 2)
    monkeypatch.setattr(sentiment, "ProcessPoolExecutor", no_processes)
    assert sentiment.analyse_reviews(items()) == expected


def test_large_import_stores_language_and_english_sentiment_only(brand, monkeypatch):
    monkeypatch.setattr(sentiment, "PARALLEL_FROM", 5)
    monkeypatch.setattr(sentiment, "_cores", lambda: 2)
    rows = [
        f'google,g{i},{1 + i % 5},,"{text} (visit {i})",Reviewer {i},2026-01-05,,,,'
        for i, text in enumerate(
            ["Great coffee, Ana was lovely!", "Der Kaffee war kalt und das Personal unfreundlich."]
            * 6
        )
    ]
    report = import_reviews(db.session, brand, csv_file(*rows), actor="test", now=datetime.now(UTC))
    assert report.ok and report.created == 12
    stored = db.session.scalars(select(Review).where(Review.brand_id == brand.id)).all()
    english = [r for r in stored if r.language == "en"]
    german = [r for r in stored if r.language == "de"]
    assert len(english) == len(german) == 6
    assert all(r.sentiment > 0.5 and "Ana" in r.details for r in english)
    assert all(r.sentiment is None for r in german)
