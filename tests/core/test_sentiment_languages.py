"""Latvian, Lithuanian and Polish sentiment from PageOne's lexicons, and its measured figures."""

from pathlib import Path

import pytest

from core import lexicon_sentiment
from core.sentiment import analyse, is_negative, text_compound, text_label
from listening.text import read_sentiment
from tests.text_evaluation import sentiment_markdown, sentiment_table

DOC = Path(__file__).resolve().parents[2] / "docs" / "sentiment.md"


@pytest.mark.parametrize(
    ("language", "text", "label"),
    [
        ("lv", "Ļoti laipns personāls, iesaku!", "positive"),
        ("lv", "Briesmīga piegāde, paka pazuda.", "negative"),
        ("lt", "Puikus aptarnavimas, rekomenduoju.", "positive"),
        ("lt", "Siaubinga kokybė, labai nusivyliau.", "negative"),
        ("pl", "Świetna obsługa, polecam!", "positive"),
        ("pl", "Okropna jakość, paczka uszkodzona.", "negative"),
        ("pl", "Sklep otwarty do dziewiątej.", "neutral"),
    ],
)
def test_each_language_reads_plain_praise_and_complaint(language, text, label):
    assert text_label(text_compound(text, language)) == label


@pytest.mark.parametrize(
    ("language", "plain", "negated"),
    [
        ("lv", "Personāls bija laipns.", "Personāls nebija laipns."),
        ("lv", "Ēdiens garšīgs.", "Ēdiens nav garšīgs."),
        ("lt", "Maistas skanus.", "Maistas nėra skanus."),
        ("lt", "Labai patiko.", "Visai nepatiko."),
        ("pl", "Obsługa była miła.", "Obsługa nie była miła."),
        ("pl", "Jedzenie smaczne.", "Jedzenie niesmaczne."),
    ],
)
def test_negation_word_or_prefix_turns_praise_negative(language, plain, negated):
    assert text_compound(plain, language) > 0
    assert text_compound(negated, language) < 0


def test_intensifier_strengthens_and_but_clause_weighs_more():
    assert lexicon_sentiment.score("bardzo dobre", "pl").compound > (
        lexicon_sentiment.score("dobre", "pl").compound
    )
    # Praise first, the complaint after "ale" decides.
    assert text_compound("Jedzenie dobre, ale obsługa okropna.", "pl") < 0


def test_review_analysis_scores_polish_text_and_flags_a_three_star_complaint():
    analysis = analyse("", "Godzinę czekaliśmy, obsługa fatalna.", "pl")
    assert analysis.sentiment is not None and analysis.sentiment < 0
    assert is_negative(3, analysis.sentiment)


def test_languages_without_a_lexicon_still_have_no_text_score():
    assert analyse("", "Das Essen war schrecklich.", "de").sentiment is None


def test_mention_reading_uses_the_lexicon_before_the_brand_keywords():
    reading = read_sentiment("Kurjers pazaudēja paku, šausmīgi.", "lv", ["paldies"], [])
    assert reading.label == "negative"
    assert read_sentiment("Veikals atvērts.", "lv", [], ["atvērts"]).label == "negative"


def test_chosen_method_beats_stars_and_keywords_in_every_language():
    table = sentiment_table()
    for language in lexicon_sentiment.LANGUAGES:
        baseline = table[language, "stars and keywords (today)"]
        chosen = table[language, "stars, else lexicon, then keywords"]
        assert chosen[0] > baseline[0] and chosen[1] > baseline[1], language


def test_figures_in_the_docs_are_the_ones_the_labelled_set_gives():
    assert sentiment_markdown() in DOC.read_text(encoding="utf-8")


def test_key_terms_merge_inflected_forms_and_skip_function_words():
    from listening.text import key_terms

    text = "Piegāde kavējās. Par piegādi neviens neatbild, un piegādes laiks ir šausmīgs."
    terms = key_terms(text, [], language="lv")
    assert terms[0] == "piegāde"
    assert not {"par", "neviens", "un", "ir"} & set(terms)
    polish = key_terms("Dostawa spóźniona, dostawy zawsze późno, ale dostawę w końcu mam.", [],
                       language="pl")  # fmt: skip
    assert polish[0] == "dostawa" and "ale" not in polish
    # English keeps its word counts.
    assert key_terms("delivery delivery late", [])[0] == "delivery"


def test_negation_stops_at_the_end_of_its_sentence():
    assert text_compound("Nikt nie odpowiada. Tragedia.", "pl") < 0
    assert text_compound("Niekas neatsako. Siaubas.", "lt") < 0
