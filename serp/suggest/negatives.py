"""Which suggestions are negative: built-in modifiers in English, Latvian, Lithuanian and Polish,
the brand's own words, and its domain label rules, matched on whole words regardless of case and
diacritics. A trailing ``*`` makes a word a stem ("krāp*" matches "krāpnieki", "krāpšana"), which
the inflected languages need; a phrase matches its words in a row."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

# Letters NFKD does not take apart: Polish ł, and a few others a suggestion may carry.
_UNDECOMPOSED = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D"})
_WORD = re.compile(r"\w+", re.UNICODE)

NEGATIVE_MODIFIERS: dict[str, tuple[str, ...]] = {
    "en": (
        "scam", "scams", "scammer*", "scammed", "scammy", "fraud*", "lawsuit*", "sued", "sue",
        "complaint*", "bad review*",
        "negative review*", "worst", "rip off", "ripoff", "fake", "bankrupt*", "class action",
        "data breach", "hacked", "phishing", "ponzi", "pyramid scheme", "avoid", "warning",
        "problems", "boycott", "controversy", "scandal", "investigation", "arrested", "recall",
        "layoffs", "refund*", "not working", "down", "sucks", "terrible", "hoax", "fined",
    ),
    "lv": (
        # krāpnieki, krāpšana, krāpniecība, krāpj
        "krāp*", "blēd*", "sūdzīb*", "tiesas prāv*", "tiesvedīb*", "negatīv* atsauksm*",
        "slikt* atsauksm*", "bankrot*", "maksātnespēj*", "parādu piedziņ*", "viltojum*",
        "viltot*", "brīdinājum*", "datu noplūd*", "problēm*", "soda naud*", "sodīt*",
        "skandāl*", "piramīd*", "nelegāl*",
    ),
    "lt": (
        # apgaulė, apgavikai, apgavystė; sukčiai, sukčiavimas
        "apgaul*", "apgavik*", "apgavyst*", "sukč*", "skund*", "ieškin*", "teism*",
        "blog* atsiliepim*", "neigiam* atsiliepim*", "bankrot*", "nemokum*", "klastot*",
        "duomenų nutekėjim*", "problem*", "baud*", "skandal*", "piramid*", "įspėjim*",
        "nelegal*",
    ),
    "pl": (
        # oszustwo, oszuści, oszukańczy; naciągacze; wyłudzenia
        "oszus*", "oszuk*", "naciągacz*", "wyłudz*", "pozew", "pozwy", "pozwu", "pozwan*",
        "skarg*", "reklamacj*", "opinie negatywne", "negatywn* opini*", "zł* opini*",
        "upadłoś*", "afer*", "piramid* finansow*", "uokik", "windykacj*", "wyciek* danych",
        "problem*", "ostrzeżeni*", "nieuczciw*", "kara", "kary", "skandal*", "nielegaln*",
    ),
}  # fmt: skip


def fold(text: str) -> str:
    """Text for matching: case folded, diacritics removed, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_UNDECOMPOSED))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())


def suggestion_key(text: str) -> str:
    """The key one suggestion is known by across look-ups: its folded words."""
    return " ".join(_WORD.findall(fold(text)))[:500]


@dataclass(frozen=True)
class Pattern:
    """A word or phrase; each part is a whole word or, ending in ``*``, a stem."""

    source: str
    parts: tuple[tuple[str, bool], ...]  # (folded word, is a stem)

    @classmethod
    def of(cls, source: str) -> Pattern | None:
        parts = []
        for raw in fold(source).split():
            stem = raw.endswith("*")
            word = "".join(_WORD.findall(raw.rstrip("*")))
            if word:
                parts.append((word, stem))
        return cls(source.strip(), tuple(parts)) if parts else None

    def matches(self, words: Sequence[str]) -> bool:
        width = len(self.parts)
        for start in range(len(words) - width + 1):
            if all(
                words[start + i].startswith(word) if stem else words[start + i] == word
                for i, (word, stem) in enumerate(self.parts)
            ):
                return True
        return False


def builtin_patterns(languages: Iterable[str] | None = None) -> list[Pattern]:
    """The built-in modifiers of these languages (all four when none is given)."""
    chosen = NEGATIVE_MODIFIERS.keys() if languages is None else languages
    patterns = []
    for language in chosen:
        for source in NEGATIVE_MODIFIERS.get(language.split("-")[0].lower(), ()):
            pattern = Pattern.of(source)
            if pattern is not None:
                patterns.append(pattern)
    return patterns


_DOMAIN = re.compile(r"\b((?:[a-z0-9-]+\.)+[a-z]{2,})\b")


@dataclass
class SuggestionLabeller:
    """Labels a brand's suggestions: a person's mark, then a domain rule, then a negative word.

    Every language's modifiers apply to every suggestion: a Latvian user may see an English
    "scam" suggestion, and a brand searched in Polish may be complained about in Lithuanian.
    The brand's term itself is left out, so a brand called "Problem Solvers" is not negative
    for its own name.
    """

    patterns: list[Pattern]
    brand_words: list[Pattern]
    domain_labels: Mapping[str, str]
    marks: Mapping[str, str]

    def label(self, text: str, term: str = "") -> tuple[str | None, str | None]:
        """The label of a suggestion and what gave it, or (None, None)."""
        key = suggestion_key(text)
        if key in self.marks:
            return self.marks[key], "marked by a person"
        for domain in _DOMAIN.findall(fold(text)):
            label = self.domain_labels.get(domain.removeprefix("www."))
            if label:
                return ("positive" if label == "owned" else label), f"rule: {domain}"
        words = key.split()
        own = set(suggestion_key(term).split())
        rest = [w for w in words if w not in own] if own else words
        for pattern in self.brand_words:
            if pattern.matches(rest):
                return "negative", pattern.source
        for pattern in self.patterns:
            if pattern.matches(rest):
                return "negative", pattern.source
        return None, None


def labeller(
    brand_words: Iterable[str],
    domain_labels: Mapping[str, str] | None = None,
    marks: Mapping[str, str] | None = None,
) -> SuggestionLabeller:
    return SuggestionLabeller(
        builtin_patterns(),
        [p for p in (Pattern.of(w) for w in brand_words) if p is not None],
        dict(domain_labels or {}),
        dict(marks or {}),
    )
