"""VADER (vaderSentiment 3.3.2) without its repeated scans: the same scores, in about half the time.

The stock analyser walks every text a character at a time looking for emoji, and for every
sentiment word it finds it lower-cases the whole text again, once for negations and once for
idioms: quadratic in the length of a review. This subclass lower-cases once per text, skips the
emoji walk when the text has no emoji (the walk then copies the text unchanged) and otherwise
follows the stock code step by step, in the same order, so every float comes out identical.
``tests/planner/reviews/test_import_speed.py`` compares it with the stock analyser.

Imported on first use by ``sentiment``: loading the lexicon is not import-time work.
"""

from __future__ import annotations

import string

from vaderSentiment.vaderSentiment import (
    BOOSTER_DICT,
    C_INCR,
    N_SCALAR,
    NEGATE,
    SPECIAL_CASES,
    SentimentIntensityAnalyzer,
    allcap_differential,
    normalize,
    scalar_inc_dec,
)

_NEGATE = frozenset(NEGATE)
_PUNCTUATION = string.punctuation


def _negated(word_lower: str) -> bool:
    # vaderSentiment.negated([word]) for one word: a negation, or any word with "n't".
    return word_lower in _NEGATE or "n't" in word_lower


class ReviewSentimentAnalyzer(SentimentIntensityAnalyzer):
    """SentimentIntensityAnalyzer with the same results and fewer passes over the text."""

    def __init__(self) -> None:
        super().__init__()
        self._emoji_chars = frozenset(self.emojis)

    def polarity_scores(self, text: str) -> dict[str, float]:
        if not isinstance(text, str) or not self._emoji_chars.isdisjoint(text):
            return super().polarity_scores(text)
        text = text.strip()
        return self.score_valence(self._sentiments(text), text)

    def compound(self, text: str) -> float:
        """``polarity_scores(text)["compound"]``, without working out the other three scores."""
        if not isinstance(text, str) or not self._emoji_chars.isdisjoint(text):
            return super().polarity_scores(text)["compound"]
        text = text.strip()
        sentiments = self._sentiments(text)
        if not sentiments:
            return 0.0
        # SentimentIntensityAnalyzer.score_valence up to the compound score.
        sum_s = float(sum(sentiments))
        punct_emph_amplifier = self._punctuation_emphasis(text)
        if sum_s > 0:
            sum_s += punct_emph_amplifier
        elif sum_s < 0:
            sum_s -= punct_emph_amplifier
        return round(normalize(sum_s), 4)

    def _sentiments(self, text: str) -> list[float]:
        # SentiText(text): its words (punctuation stripped unless that leaves two characters or
        # fewer: an emoticon) and whether only some of them are in capitals.
        words = []
        for token in text.split():
            stripped = token.strip(_PUNCTUATION)
            words.append(token if len(stripped) <= 2 else stripped)
        is_cap_diff = allcap_differential(words)
        lower = [w.lower() for w in words]
        last = len(words) - 1
        lexicon = self.lexicon
        sentiments: list[float] = []
        for i, item in enumerate(words):
            word = lower[i]
            # Boosters, "kind of" and words outside the lexicon all count 0.
            if (
                word not in lexicon
                or word in BOOSTER_DICT
                or (i < last and word == "kind" and lower[i + 1] == "of")
            ):
                sentiments.append(0)
                continue
            sentiments.append(self._valence(is_cap_diff, words, lower, item, i))
        return _but_check(lower, sentiments)

    def _valence(
        self, is_cap_diff: bool, words: list[str], lower: list[str], item: str, i: int
    ) -> float:
        # SentimentIntensityAnalyzer.sentiment_valence for a lexicon word, on the lower-cased words.
        lexicon = self.lexicon
        item_lowercase = lower[i]
        valence = lexicon[item_lowercase]
        if item_lowercase == "no" and i != len(words) - 1 and lower[i + 1] in lexicon:
            valence = 0.0
        if (
            (i > 0 and lower[i - 1] == "no")
            or (i > 1 and lower[i - 2] == "no")
            or (i > 2 and lower[i - 3] == "no" and lower[i - 1] in ["or", "nor"])
        ):
            valence = lexicon[item_lowercase] * N_SCALAR
        if item.isupper() and is_cap_diff:
            if valence > 0:
                valence += C_INCR
            else:
                valence -= C_INCR
        for start_i in range(0, 3):
            if i > start_i and lower[i - (start_i + 1)] not in lexicon:
                s = scalar_inc_dec(words[i - (start_i + 1)], valence, is_cap_diff)
                if start_i == 1 and s != 0:
                    s = s * 0.95
                if start_i == 2 and s != 0:
                    s = s * 0.9
                valence = valence + s
                valence = _negation_check(valence, lower, start_i, i)
                if start_i == 2:
                    valence = _special_idioms_check(valence, lower, i)
        return self._least_check(valence, words, i)


def _but_check(lower: list[str], sentiments: list[float]) -> list[float]:
    # SentimentIntensityAnalyzer._but_check on already lower-cased words, step by step.
    if "but" in lower:
        bi = lower.index("but")
        for sentiment in sentiments:
            si = sentiments.index(sentiment)
            if si < bi:
                sentiments.pop(si)
                sentiments.insert(si, sentiment * 0.5)
            elif si > bi:
                sentiments.pop(si)
                sentiments.insert(si, sentiment * 1.5)
    return sentiments


def _negation_check(valence: float, lower: list[str], start_i: int, i: int) -> float:
    # SentimentIntensityAnalyzer._negation_check on already lower-cased words.
    if start_i == 0:
        if _negated(lower[i - (start_i + 1)]):
            valence = valence * N_SCALAR
    if start_i == 1:
        if lower[i - 2] == "never" and (lower[i - 1] == "so" or lower[i - 1] == "this"):
            valence = valence * 1.25
        elif lower[i - 2] == "without" and lower[i - 1] == "doubt":
            pass
        elif _negated(lower[i - (start_i + 1)]):
            valence = valence * N_SCALAR
    if start_i == 2:
        if (
            lower[i - 3] == "never"
            and (lower[i - 2] == "so" or lower[i - 2] == "this")
            or (lower[i - 1] == "so" or lower[i - 1] == "this")
        ):
            valence = valence * 1.25
        elif lower[i - 3] == "without" and (lower[i - 2] == "doubt" or lower[i - 1] == "doubt"):
            pass
        elif _negated(lower[i - (start_i + 1)]):
            valence = valence * N_SCALAR
    return valence


def _special_idioms_check(valence: float, lower: list[str], i: int) -> float:
    # SentimentIntensityAnalyzer._special_idioms_check on already lower-cased words.
    onezero = f"{lower[i - 1]} {lower[i]}"
    twoonezero = f"{lower[i - 2]} {lower[i - 1]} {lower[i]}"
    twoone = f"{lower[i - 2]} {lower[i - 1]}"
    threetwoone = f"{lower[i - 3]} {lower[i - 2]} {lower[i - 1]}"
    threetwo = f"{lower[i - 3]} {lower[i - 2]}"
    for seq in (onezero, twoonezero, twoone, threetwoone, threetwo):
        if seq in SPECIAL_CASES:
            valence = SPECIAL_CASES[seq]
            break
    if len(lower) - 1 > i:
        zeroone = f"{lower[i]} {lower[i + 1]}"
        if zeroone in SPECIAL_CASES:
            valence = SPECIAL_CASES[zeroone]
    if len(lower) - 1 > i + 1:
        zeroonetwo = f"{lower[i]} {lower[i + 1]} {lower[i + 2]}"
        if zeroonetwo in SPECIAL_CASES:
            valence = SPECIAL_CASES[zeroonetwo]
    for n_gram in (threetwoone, threetwo, twoone):
        if n_gram in BOOSTER_DICT:
            valence = valence + BOOSTER_DICT[n_gram]
    return valence
