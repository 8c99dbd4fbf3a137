"""Complaint themes of short texts in four languages, weekly counts, growth and doubling."""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from core.themes import OTHER, assign_themes, seed_theme, week_start, weekly_counts
from tests.text_evaluation import theme_figures, themes_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "themes.md"


@pytest.mark.parametrize(
    ("language", "text", "theme"),
    [
        ("en", "The courier left my parcel in the rain", "delivery"),
        ("lv", "Kurjers atveda paku ar nedēļas nokavēšanos", "delivery"),
        ("lt", "Per brangu, kainos vis kyla", "price"),
        ("pl", "Kasjerka była niemiła", "staff"),
        ("pl", "Czekałem godzinę w kolejce", "waiting"),
        ("lt", "Tualetas buvo nešvarus", "cleanliness"),
        ("lv", "Naudu atmaksu vēl neesmu saņēmis", "billing"),
        ("en", "The app crashes at checkout", "app"),
    ],
)
def test_seeds_place_a_text_in_its_theme_in_each_language(language, text, theme):
    assert seed_theme(text, language) == theme


def test_text_no_seed_knows_joins_the_theme_whose_words_it_shares_or_other():
    batch = [
        ("The courier was late with the parcel from the warehouse", "en"),
        ("Parcel from the warehouse again", "en"),  # "parcel" is a seed: delivery
        ("Still nothing from the warehouse", "en"),  # no seed; shares "warehouse"
        ("Nice weather today", "en"),
    ]
    themes = assign_themes(batch)
    assert themes[:3] == ["delivery", "delivery", "delivery"]
    assert themes[3] == OTHER
    assert assign_themes(batch, nearest=False)[2] == OTHER


def test_weekly_counts_growth_and_doubling():
    monday = date(2026, 11, 2)
    at = lambda week, day=0: datetime.combine(  # noqa: E731
        monday + timedelta(days=7 * week + day), datetime.min.time(), tzinfo=UTC
    )
    items = [("price", at(0))] * 2 + [("price", at(1, 3))] * 2 + [("price", at(2, 6))] * 5
    items += [("staff", at(0))] * 3 + [("staff", at(2))] * 2
    counts = weekly_counts(items, monday, monday + timedelta(days=14))
    assert counts["price"].counts == [2, 2, 5]
    assert counts["price"].growing and counts["price"].doubled_weeks() == [date(2026, 11, 16)]
    assert counts["staff"].counts == [3, 0, 2] and not counts["staff"].doubled_weeks()
    # Doubling from 2 to 4 is below the minimum count: no alert-worthy week.
    assert (
        weekly_counts([("app", at(0))] * 2 + [("app", at(1))] * 4, monday, at(1).date())[
            "app"
        ].doubled_weeks()
        == []
    )
    assert week_start(datetime(2026, 11, 22, 23, 0, tzinfo=UTC)) == date(2026, 11, 16)


def test_themes_of_the_labelled_sample_are_mostly_right():
    figures = theme_figures(nearest=True)
    assert figures["all"][0] >= 0.85
    assert all(recall >= 0.8 for theme, (_, recall, _) in figures.items() if theme != "all")


def test_theme_figures_in_the_docs_are_the_ones_the_labelled_set_gives():
    assert themes_markdown() in DOC.read_text(encoding="utf-8")
