"""Complaint themes of short texts (delivery, price, staff …) in English, Latvian, Lithuanian
and Polish, their weekly volume, and which ones grow.

Two steps. First, seeds: each theme has a short list of word stems per language, matched as a
prefix of the lower-case word (so "piegāde", "piegādāja" and "piegādes" all meet "piegād"); the
theme with most matches wins, ties by the order of ``THEMES``. Second, for texts no seed catches,
the batch itself: each theme's profile is the light stems (first six letters) of the texts the
seeds placed in it, and an unplaced text joins the theme whose profile it shares most with
(cosine of stem sets, at least ``NEAREST_MIN``), else "other".

Lemmas (simplemma) were measured and left out here: they changed no theme's count on the
labelled set, and loading simplemma's Polish dictionary takes seconds, too long for a page that
themes on read. docs/themes.md has the measured precision and recall per theme on
tests/data/sentiment_eval.tsv.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l

THEMES = (
    "delivery", "price", "staff", "quality", "waiting", "cleanliness", "billing", "app",
)  # fmt: skip
OTHER = "other"
# Shown in the reader's language (str() at the moment of use); the keys are what is stored.
THEME_LABELS = {
    "delivery": _l("Delivery and shipping"),
    "price": _l("Price and value"),
    "staff": _l("Staff and service"),
    "quality": _l("Quality of the product"),
    "waiting": _l("Waiting and queues"),
    "cleanliness": _l("Cleanliness"),
    "billing": _l("Billing and refunds"),
    "app": _l("App and website"),
    OTHER: _l("Other"),
}
NEAREST_MIN = 0.25
DOUBLING_MIN_COUNT = 5
STEM_LENGTH = 6

_SEEDS: dict[str, dict[str, str]] = {
    "delivery": {
        "en": "deliver shipping shipped parcel package courier arriv dispatch postage",
        "lv": "piegād kurjer pak sūtījum pakomāt atnāk",
        "lt": "pristat kurjer siunt paštomat atkeliav",
        "pl": "dostaw dostarcz kurier paczk przesyłk wysył",
    },
    "price": {
        "en": "price pricey expensive cheap overpriced cost value",
        "lv": "cen dārg lēt pārmaks akcij",
        "lt": "kain brang pig permok akcij",
        "pl": "cen drog tani przepłac promocj",
    },
    "staff": {
        "en": "staff cashier waiter employee rude friendly team service hiring manager",
        "lv": "personāl kasier pārdevēj darbiniek konsultant komand apkalpošan",
        "lt": "personal kasinink pardavėj darbuotoj konsultant komand aptarnavim",
        "pl": "obsług personel kasjer sprzedaw pracowni konsultant zespoł zespół",
    },
    "quality": {
        "en": "quality broke broken damaged mould product item collection bread coffee food",
        "lv": "kvalitāt prec salauz bojāt sapelēj kolekcij maiz kafij ēdien",
        "lt": "kokyb prek sulūž sugad supelij kolekcij duon kav maist",
        "pl": "jakoś produkt towar zepsu uszkodz spleśni kolekcj chleb kaw jedzeni",
    },
    "waiting": {
        "en": "wait queue line slow hour",
        "lv": "gaid rind lēn stund",
        "lt": "lauk eil lėt valand",
        "pl": "czeka kolejk wolno godzin",
    },
    "cleanliness": {
        "en": "dirty clean filthy toilet smelly sticky spotless",
        "lv": "tīr netīr tualet smird lipīg grīd",
        "lt": "švar nešvar tualet dvok lipn grind",
        "pl": "brud czyst toalet śmierdz lepk podłog",
    },
    "billing": {
        "en": "refund charged invoice bill money card payment",
        "lv": "atmaks naud rēķin kart noņem",
        "lt": "grąžin pinig sąskait kortel nuskaič",
        "pl": "zwrot pieniądz pieniędz faktur kart pobral",
    },
    "app": {
        "en": "app website site login log crash online",
        "lv": "lietotn mājaslap pieslēg avarē",
        "lt": "programėl svetain prisijung užstring",
        "pl": "aplikacj stron zalog zawiesz",
    },
}
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_LANGUAGES = ("en", "lv", "lt", "pl")


def stems(text: str) -> list[str]:
    """The text's words of four letters or more, lower case, cut to six letters."""
    return [w.lower()[:STEM_LENGTH] for w in _WORD.findall(text) if len(w) >= 4]


def _seed_hits(text: str, language: str | None) -> Counter[str]:
    lang = language if language in _LANGUAGES else "en"
    words = [w.lower() for w in _WORD.findall(text)]
    hits: Counter[str] = Counter()
    for theme in THEMES:
        seeds = _SEEDS[theme][lang].split()
        hits[theme] += sum(1 for word in words if word.startswith(tuple(seeds)))
    return +hits


def seed_theme(text: str, language: str | None) -> str | None:
    """The theme the seeds give the text, or None when no seed matches."""
    hits = _seed_hits(text, language)
    if not hits:
        return None
    best = max(hits.values())
    return next(theme for theme in THEMES if hits[theme] == best)


def _cosine(a: set[str], b: Counter[str]) -> float:
    if not a or not b:
        return 0.0
    dot = sum(b[w] for w in a)
    return dot / (math.sqrt(len(a)) * math.sqrt(sum(v * v for v in b.values())))


def assign_themes(texts: Sequence[tuple[str, str | None]], nearest: bool = True) -> list[str]:
    """The theme of each (text, language): seeds first, then the nearest seeded theme's words."""
    found = [seed_theme(text, language) for text, language in texts]
    if not nearest:
        return [theme or OTHER for theme in found]
    bags = [set(stems(text)) for text, _ in texts]
    profiles: dict[str, Counter[str]] = {theme: Counter() for theme in THEMES}
    for theme, bag in zip(found, bags, strict=True):
        if theme:
            profiles[theme].update(bag)
    result = []
    for theme, bag in zip(found, bags, strict=True):
        if theme is None:
            scored = [(_cosine(bag, profiles[t]), t) for t in THEMES]
            score, best = max(scored, key=lambda pair: pair[0])
            theme = best if score >= NEAREST_MIN else OTHER
        result.append(theme)
    return result


# --- weekly volume ----------------------------------------------------------------------------


def week_start(moment: datetime | date) -> date:
    """The Monday of the moment's ISO week (UTC dates)."""
    day = moment.date() if isinstance(moment, datetime) else moment
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class ThemeWeeks:
    theme: str
    weeks: list[date]
    counts: list[int]

    @property
    def total(self) -> int:
        return sum(self.counts)

    @property
    def growing(self) -> bool:
        """The last full week above the average of the weeks before it (and not zero)."""
        if len(self.counts) < 2 or self.counts[-1] == 0:
            return False
        earlier = self.counts[:-1]
        return self.counts[-1] > sum(earlier) / len(earlier)

    def doubled_weeks(self, min_count: int = DOUBLING_MIN_COUNT) -> list[date]:
        """Weeks whose count is at least min_count and at least twice the week before."""
        return [
            self.weeks[i]
            for i in range(1, len(self.counts))
            if self.counts[i] >= min_count and self.counts[i] >= 2 * self.counts[i - 1]
        ]


def weekly_counts(
    items: Iterable[tuple[str, datetime]], first_week: date, last_week: date
) -> dict[str, ThemeWeeks]:
    """Per theme, the count of (theme, created_at) items in each week from first to last."""
    weeks = []
    week = week_start(first_week)
    while week <= last_week:
        weeks.append(week)
        week += timedelta(days=7)
    index = {w: i for i, w in enumerate(weeks)}
    counts = {theme: [0] * len(weeks) for theme in (*THEMES, OTHER)}
    for theme, created in items:
        position = index.get(week_start(created))
        if position is not None:
            counts[theme][position] += 1
    return {theme: ThemeWeeks(theme, weeks, values) for theme, values in counts.items()}
