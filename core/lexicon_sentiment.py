"""Sentiment of Latvian, Lithuanian and Polish text from PageOne's own compact lexicons.

No packaged sentiment model exists for Latvian or Lithuanian that runs offline, and the Polish
one on the package index (polvader) pulls a deep-learning stack; so each language has a short
hand-written lexicon here: word stems with a valence from -3 to 3, negation words, intensifiers
and "but" words. A word matches a stem when its lower-case form or its simplemma lemma starts
with it. Latvian, Lithuanian and Polish also negate with a prefix ("nepatika", "nešvarus",
"niemiły"): a word that is "ne"/"nie" + a known stem takes that stem's valence reversed.

The score is VADER's normalisation of the sum, in [-1, 1]; docs/sentiment.md has the figures
measured on the labelled set in tests/data/sentiment_eval.tsv.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

LANGUAGES = ("lv", "lt", "pl")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_NORMALISE = 15.0  # VADER's alpha


def _stems(spec: str) -> dict[str, float]:
    table: dict[str, float] = {}
    for item in spec.split():
        stem, value = item.rsplit(":", 1)
        table[stem] = float(value)
    return table


_LEXICONS: dict[str, dict[str, float]] = {
    "lv": _stems(
        """
        lab:2 lielisk:3 izcil:3 patīk:2 patik:2 iesak:2 ieteik:2 ātr:1 draudzīg:2 jauk:2
        paldies:1 apmierin:2 kvalitatīv:2 gard:2 garšīg:2 tīr:1 perfekt:3 super:3 brīnišķīg:3
        laipn:2 profesionāl:2 ērt:1 priec:2 prieks:2 mīl:2 skaist:2 vislab:3 atsaucīg:2 foršs:2
        slikt:-2 briesmīg:-3 šausmīg:-3 lēn:-1 vilš:-2 vīlies:-2 vīlusies:-2 rupj:-2 dārg:-1
        kavē:-2 nokavē:-2 salauz:-2 saplīs:-2 bojāt:-2 krāp:-3 sūdz:-2 problēm:-1 kļūd:-1
        pazud:-2 aukst:-1 diemžēl:-1 žēl:-1 atkal:-1 nekad:-1 zaudē:-1 nepietiek:-1 bēdīg:-2
        traģ:-3 neapmierin:-2 nekvalit:-2 nepieklājīg:-2 netīr:-2 pārmaks:-2 ignor:-2
        """
    ),
    "lt": _stems(
        """
        ger:2 puik:3 nuostab:3 patik:2 patink:2 rekomend:2 greit:1 malon:2 skan:2 švar:1 ačiū:1
        profesional:2 kokybišk:2 draugišk:2 patog:1 džiaug:2 super:3 myl:2 tobul:3 šaun:2
        geriaus:3 mandag:2 rūpest:1 vertas:1
        blog:-2 siaub:-3 baisi:-3 baisu:-3 lėt:-1 nusivyl:-2 brang:-1 vėlav:-2 vėluo:-2 sugad:-2
        suged:-2 sulūž:-2 apgav:-3 sukč:-3 skund:-2 problem:-1 klaid:-1 ding:-2 pamet:-2 šalt:-1
        deja:-1 gaila:-1 vėl:-1 niekada:-1 grub:-2 nepatenkin:-2 nekokyb:-2 nemandag:-2 nešvar:-2
        permok:-2 ignoruo:-2 prast:-2
        """
    ),
    "pl": _stems(
        """
        dobr:2 świetn:3 doskonał:3 polec:2 zadowol:2 szybk:1 mił:2 smaczn:2 czyst:1 dziękuj:1
        profesjonal:2 super:3 rewelac:3 wspaniał:3 uprzejm:2 kocha:2 ideal:3 fajn:2 najlepsz:3
        warto:1 pomocn:2 sympatycz:2 pyszn:3 dzięki:1
        zły:-2 złe:-2 źle:-2 słab:-2 fataln:-3 okropn:-3 beznadziej:-3 rozczarow:-2 brudn:-2
        drog:-1 opóźni:-2 spóźni:-2 uszkodz:-2 zepsu:-2 oszust:-3 oszuk:-3 reklamac:-1 problem:-1
        błąd:-1 błęd:-1 zgubi:-2 zimn:-1 niestety:-1 szkoda:-1 znowu:-1 nigdy:-1 chamsk:-2
        skandal:-3 porażk:-3 tragiczn:-3 tragedi:-3 nieuprzejm:-2 niemił:-2 niesmaczn:-2
        przepłac:-2 ignoruj:-2 brak:-1 kiepsk:-2 żenując:-3
        """
    ),
}

_NEGATIONS = {
    "lv": frozenset("ne nav nebija nekas nemaz neesmu nebūs bez".split()),
    "lt": frozenset("ne nėra nebuvo nei niekas nebus".split()),
    "pl": frozenset("nie nic ani bez żaden żadnego".split()),
}
_NEGATION_PREFIX = {"lv": "ne", "lt": "ne", "pl": "nie"}
_INTENSIFIERS = {
    "lv": {"ļoti": 1.5, "tik": 1.3, "absolūti": 1.5, "pārāk": 1.3, "vienkārši": 1.2, "īpaši": 1.3},
    "lt": {"labai": 1.5, "tikrai": 1.3, "visiškai": 1.5, "itin": 1.5, "per": 1.3, "ypač": 1.3},
    "pl": {"bardzo": 1.5, "naprawdę": 1.3, "totalnie": 1.5, "zbyt": 1.3, "strasznie": 1.5},
}
# After "but" the writer's real opinion usually follows (VADER weighs it the same way).
_BUT = {"lv": frozenset({"bet", "taču", "tomēr"}), "lt": frozenset({"bet", "tačiau", "o"}),
        "pl": frozenset({"ale", "lecz", "jednak"})}  # fmt: skip
_NEGATION_REACH = 3


@dataclass(frozen=True)
class LexiconScore:
    compound: float  # [-1, 1]
    hits: int  # words the lexicon knew


@lru_cache(maxsize=50_000)
def _lemma(word: str, language: str) -> str:
    import simplemma

    try:
        return simplemma.lemmatize(word, lang=language).lower()
    except ValueError:  # a language simplemma lacks
        return word


def _prefix_value(form: str, lexicon: dict[str, float]) -> float | None:
    for size in range(len(form), 2, -1):
        value = lexicon.get(form[:size])
        if value is not None:
            return value
    return None


def _match(word: str, language: str) -> float | None:
    lexicon = _LEXICONS[language]
    value = _prefix_value(word, lexicon)
    if value is None and len(word) > 3:  # irregular forms: "przyszła" → "przyjść"
        value = _prefix_value(_lemma(word, language), lexicon)
    return value


def _valence(word: str, language: str) -> float | None:
    value = _match(word, language)
    if value is not None:
        return value
    prefix = _NEGATION_PREFIX[language]
    if word.startswith(prefix) and len(word) > len(prefix) + 3:
        rest = _match(word[len(prefix) :], language)
        if rest is not None and rest > 0:
            return -rest
    return None


def supports(language: str | None) -> bool:
    return language in _LEXICONS


_SENTENCE_END = re.compile(r"[.!?…;\n]+")


def score(text: str, language: str) -> LexiconScore:
    """The lexicon's compound score of the text; language is one of ``LANGUAGES``."""
    hits = 0
    scores: list[float] = []
    after_but = False
    for sentence in _SENTENCE_END.split(text):
        # A negation reaches the next few words of its own sentence only ("nikt nie
        # odpowiada. Tragedia." stays negative).
        words = [w.lower() for w in _WORD.findall(sentence)]
        for index, word in enumerate(words):
            if word in _BUT[language]:
                after_but = True
                scores = [value * 0.5 for value in scores]
                continue
            value = _valence(word, language)
            if value is None:
                continue
            hits += 1
            window = words[max(0, index - _NEGATION_REACH) : index]
            if any(w in _NEGATIONS[language] for w in window):
                value = -value * 0.75  # "not good" is milder than "bad"
            if index and words[index - 1] in _INTENSIFIERS[language]:
                value *= _INTENSIFIERS[language][words[index - 1]]
            scores.append(value * (1.5 if after_but else 1.0))
    total = sum(scores)
    compound = total / math.sqrt(total * total + _NORMALISE) if total else 0.0
    return LexiconScore(round(compound, 4), hits)
