"""Negative suggestions are found per language on whole words, regardless of case and
diacritics; a brand's own words, its domain rules and a person's label take part."""

from __future__ import annotations

import pytest

from serp.suggest.negatives import fold, labeller, suggestion_key


@pytest.mark.parametrize(
    "suggestion",
    [
        "acme scam",
        "Acme SCAMMERS",
        "acme lawsuit 2026",
        "acme complaints",
        "acme bad reviews",
        "is acme a ponzi scheme",
        # Latvian: swindlers, fraud, complaints, bad reviews, insolvency
        "acme krāpnieki",
        "acme krapsana",
        "acme sūdzības",
        "acme sliktas atsauksmes",
        "acme maksātnespēja",
        # Lithuanian: deceit, fraudsters, complaints, lawsuit, bad reviews
        "acme apgaulė",
        "acme sukčiai",
        "acme skundai",
        "acme ieškinys",
        "acme blogi atsiliepimai",
        # Polish: fraud, fraudsters, lawsuit, complaints, negative opinions, bankruptcy
        "acme oszustwo",
        "acme oszuści",
        "ACME OSZUŚCI",
        "acme pozew",
        "acme skargi",
        "acme opinie negatywne",
        "acme złe opinie",
        "acme upadłość",
        "acme wyłudzenia",
    ],
)
def test_negative_modifiers_of_each_language_are_found(suggestion):
    label, reason = labeller([]).label(suggestion, "acme")
    assert label == "negative", suggestion
    assert reason


@pytest.mark.parametrize(
    "suggestion",
    [
        "acme opening hours",
        "acme scampi recipe",  # "scam" is a whole word, not the start of "scampi"
        "acme pozwolenie na budowę",  # Polish "permission", not "pozew"
        "acme darba laiks",
        "acme atsiliepimai",  # Lithuanian "reviews" alone is not negative
        "acme opinie",
        "acme złoty",
    ],
)
def test_ordinary_suggestions_are_not_negative(suggestion):
    assert labeller([]).label(suggestion, "acme") == (None, None)


def test_the_brand_term_itself_is_never_the_negative_word():
    # A brand called "Problem Solvers" is not negative for its own name.
    assert labeller([]).label("problem solvers riga", "problem solvers") == (None, None)
    assert labeller([]).label("problem solvers scam", "problem solvers")[0] == "negative"


def test_brand_words_match_with_stems_and_without_diacritics():
    label_of = labeller(["nodokļu parād*", "lėtas pristatymas"])
    assert label_of.label("acme nodoklu parads", "acme") == ("negative", "nodokļu parād*")
    assert label_of.label("Acme LĖTAS pristatymas", "acme")[0] == "negative"
    assert label_of.label("acme pristatymas", "acme") == (None, None)


def test_a_persons_label_wins_over_the_modifiers():
    key = suggestion_key("Acme scam")
    label_of = labeller([], marks={key: "neutral"})
    assert label_of.label("acme  SCAM", "acme") == ("neutral", "marked by a person")


def test_domain_rules_label_a_suggestion_that_names_the_domain():
    label_of = labeller([], domain_labels={"acme-sucks.example": "negative", "acme.lv": "owned"})
    assert label_of.label("acme-sucks.example forum", "acme")[0] == "negative"
    assert label_of.label("www.acme.lv login", "acme")[0] == "positive"


def test_folding_removes_case_and_diacritics_of_the_four_languages():
    assert fold("ĀČĒĢĪĶĻŅŠŪŽ ąčęėįšųūž ĄĆĘŁŃÓŚŹŻ") == "acegiklnsuz aceeisuuz acelnoszz"
