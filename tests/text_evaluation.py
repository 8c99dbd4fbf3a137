"""The labelled texts in tests/data and the figures computed from them (sentiment and themes).

Run ``PYTHONPATH=. python -m tests.text_evaluation`` to print the tables docs/sentiment.md and
docs/themes.md show; the tests recompute them and compare with the docs.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from core import lexicon_sentiment
from core.sentiment import NEGATIVE_BELOW, POSITIVE_ABOVE, rating_label, text_label
from core.themes import OTHER, THEMES, assign_themes

DATA = Path(__file__).parent / "data" / "sentiment_eval.tsv"
LABELS = ("positive", "neutral", "negative")
# What a brand typically puts in its listening settings' keyword lists (today's mention scoring).
BRAND_KEYWORDS = {
    "lv": (("paldies", "iesaku"), ("krāpnieki", "sūdzība")),
    "lt": (("ačiū", "rekomenduoju"), ("sukčiai", "skundas")),
    "pl": (("dziękuję", "polecam"), ("oszuści", "reklamacja")),
    "en": (("thanks", "recommend"), ("scammers", "complaint")),
}


@dataclass(frozen=True)
class Example:
    language: str
    kind: str
    rating: int | None
    label: str
    theme: str
    text: str


def examples(language: str | None = None) -> list[Example]:
    with DATA.open(encoding="utf-8") as handle:
        rows = csv.DictReader((line for line in handle if not line.startswith("#")), delimiter="\t")
        found = [
            Example(
                r["language"],
                r["kind"],
                int(r["rating"]) if r["rating"] else None,
                r["label"],
                r["theme"],
                r["text"],
            )  # fmt: skip
            for r in rows
        ]
    return [e for e in found if language is None or e.language == language]


def _keywords(example: Example) -> str:
    from listening.text import keyword_label  # the test helper may read any feature

    positive, negative = BRAND_KEYWORDS[example.language]
    return keyword_label(example.text, positive, negative) or "neutral"


def stars_and_keywords(example: Example) -> str:
    """Today's behaviour: a review's stars; a mention's brand keywords, else neutral."""
    if example.rating is not None:
        return rating_label(example.rating)
    return _keywords(example)


def lexicon_only(example: Example) -> str:
    return text_label(lexicon_sentiment.score(example.text, example.language).compound)


def combined(example: Example) -> str:
    """The chosen method: stars unless they are the ambiguous three; text, then keywords."""
    if example.rating is not None and example.rating != 3:
        return rating_label(example.rating)
    label = lexicon_only(example)
    if label == "neutral" and example.rating is None:
        return _keywords(example)
    return label


METHODS: dict[str, Callable[[Example], str]] = {
    "stars and keywords (today)": stars_and_keywords,
    "lexicon": lexicon_only,
    "stars, else lexicon, then keywords": combined,
}


def accuracy_and_macro_f1(gold: Sequence[str], guessed: Sequence[str]) -> tuple[float, float]:
    right = sum(g == p for g, p in zip(gold, guessed, strict=True))
    scores = []
    for label in LABELS:
        tp = sum(g == p == label for g, p in zip(gold, guessed, strict=True))
        predicted = sum(p == label for p in guessed)
        actual = sum(g == label for g in gold)
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        scores.append(2 * precision * recall / (precision + recall) if tp else 0.0)
    return round(right / len(gold), 3), round(sum(scores) / len(scores), 3)


def sentiment_table() -> dict[tuple[str, str], tuple[float, float]]:
    """(language, method) → (accuracy, macro-F1)."""
    table = {}
    for language in lexicon_sentiment.LANGUAGES:
        items = examples(language)
        gold = [e.label for e in items]
        for name, method in METHODS.items():
            table[language, name] = accuracy_and_macro_f1(gold, [method(e) for e in items])
    return table


def sentiment_markdown() -> str:
    lines = ["| language | method | accuracy | macro-F1 |", "|---|---|---|---|"]
    for (language, name), (accuracy, f1) in sentiment_table().items():
        lines.append(f"| {language} | {name} | {accuracy:.3f} | {f1:.3f} |")
    return "\n".join(lines)


assert NEGATIVE_BELOW < 0 < POSITIVE_ABOVE


def theme_figures(nearest: bool) -> dict[str, tuple[float, float, int]]:
    """Per theme over every language: (precision, recall, texts labelled with it); "all" is
    the share of texts given their labelled theme."""
    items = examples()
    guessed = assign_themes([(e.text, e.language) for e in items], nearest=nearest)
    figures = {}
    for theme in (*THEMES, OTHER):
        tp = sum(e.theme == g == theme for e, g in zip(items, guessed, strict=True))
        predicted = guessed.count(theme)
        actual = sum(e.theme == theme for e in items)
        figures[theme] = (
            round(tp / predicted, 3) if predicted else 0.0,
            round(tp / actual, 3) if actual else 0.0,
            actual,
        )
    right = sum(e.theme == g for e, g in zip(items, guessed, strict=True))
    figures["all"] = (round(right / len(items), 3), round(right / len(items), 3), len(items))
    return figures


def themes_markdown() -> str:
    seeds, both = theme_figures(False), theme_figures(True)
    lines = [
        "| theme | texts | seeds: precision | seeds: recall | seeds + nearest: precision "
        "| seeds + nearest: recall |",
        "|---|---|---|---|---|---|",
    ]
    for theme in seeds:
        (p1, r1, n), (p2, r2, _) = seeds[theme], both[theme]
        lines.append(f"| {theme} | {n} | {p1:.3f} | {r1:.3f} | {p2:.3f} | {r2:.3f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(sentiment_markdown())
    print()
    print(themes_markdown())
