"""Plain text from feed HTML, Google Alerts links unwrapped, key terms, questions, sentiment."""

from __future__ import annotations

import hashlib
import html
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit, urlunsplit

from markupsafe import Markup, escape

from core.sentiment import detect_language, normalize_language, text_compound

NEGATIVE_BELOW = -0.05
POSITIVE_ABOVE = 0.05

_TAG = re.compile(r"<\s*(/?)\s*([a-zA-Z0-9]*)[^>]*>?", re.DOTALL)
# Tags that separate words; inline ones (a, b, span) are dropped without a space ("#<span>x").
_BLOCK_TAGS = frozenset(
    "p br div li ul ol h1 h2 h3 h4 h5 h6 tr td th table blockquote pre hr img section article "
    "header footer iframe".split()
)
_SCRIPT = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"[^\W\d_][\w'’-]{2,}", re.UNICODE)
_GOOGLE_HOSTS = {"www.google.com", "google.com"}

STOPWORDS = frozenset(
    """
    the and for are but not you all any can had her was one our out has have him his how its
    may new now old see two way who did get got let put say she too use that with this from they
    will would there their what about which when your than then them these some into more been
    were also just like over only very after most other such here where while should could
    because being does doing each few those through until under again further once both same own
    yours ours hers it's i'm don't can't isn't won't didn't doesn't we're they're you're there's
    what's via amp nbsp http https www com html today year years news says said make made
    der die das und ist nicht mit von den des ein eine auf für sich dem les une est pas pour
    dans que qui sur avec
    """.split()
)
# Latvian, Lithuanian and Polish function words (pronouns, conjunctions, prepositions, forms of
# "to be"), written for key terms: they are compared with simplemma lemmas and with the words.
LEMMA_STOPWORDS = {
    "lv": frozenset(
        """
        būt bija ir nav arī bet vai kas kā kur kad tas šis tā šī viņš viņa mēs jūs viņi es tu
        mans mūsu jūsu savs par uz pie pēc līdz bez no ar kur tad jau vēl tikai ļoti tik nu jo
        lai ka gan pat visi viss katrs kāds cits šeit tur šodien vakar rīt
        """.split()
    ),
    "lt": frozenset(
        """
        būti yra nėra buvo bus ir bet ar kad kas kaip kur tas šis ji jis mes jūs jie aš tu
        mano mūsų jūsų savo apie prie po iki be nuo su per tik labai jau dar čia ten nes kad
        jog net visi viskas kiekvienas kitas šiandien vakar rytoj
        """.split()
    ),
    "pl": frozenset(
        """
        być jest nie był była było są ale czy lub oraz który która które co jak gdzie kiedy
        ten ta to ja ty on ona my wy oni mój nasz wasz swój się dla przez przy pod nad przed
        po bez od do na za tylko bardzo już jeszcze tu tam bo że żeby nawet wszystko każdy
        inny dziś dzisiaj wczoraj jutro mieć
        """.split()
    ),
}
QUESTION_WORDS = frozenset(
    "how why what when where who which can could does do did is are will would should anyone "
    "any help".split()
)


def strip_html(value: str | None) -> str:
    """Plain text: scripts dropped, tags removed, entities decoded, whitespace collapsed."""
    if not value:
        return ""
    text = _SCRIPT.sub(" ", value)
    text = _TAG.sub(lambda m: " " if m.group(2).lower() in _BLOCK_TAGS else "", text)
    text = html.unescape(text)
    # Entities may have encoded tags ("&lt;b&gt;"): what remains is text and is shown escaped.
    return _SPACE.sub(" ", text).strip()


def unwrap_google_url(url: str | None) -> str | None:
    """The target of a ``https://www.google.com/url?...&url=<target>`` redirect link."""
    if not url:
        return url
    parts = urlsplit(url)
    if parts.hostname in _GOOGLE_HOSTS and parts.path == "/url":
        query = parse_qs(parts.query)
        target = (query.get("url") or query.get("q") or [None])[0]
        if target and target.startswith(("http://", "https://")):
            return target
    return url


def url_key(url: str | None) -> str | None:
    """A short key of the URL without fragment, tracking parameters or a trailing slash."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if not parts.netloc:
        return None
    query = "&".join(
        p for p in parts.query.split("&") if p and not p.lower().startswith(("utm_", "fbclid="))
    )
    path = parts.path.rstrip("/") or "/"
    normal = urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, query, ""))
    return hashlib.sha1(normal.encode()).hexdigest()


def _contains(text_lower: str, keyword: str) -> bool:
    keyword = keyword.strip().lower()
    if not keyword:
        return False
    return re.search(r"(?<!\w)" + re.escape(keyword) + r"(?!\w)", text_lower) is not None


def _lemmas(words: list[str], language: str) -> list[str]:
    import simplemma

    return [simplemma.lemmatize(w, lang=language).lower() for w in words]


def key_terms(
    text: str, tracked: Iterable[str], top: int = 3, limit: int = 8, language: str | None = None
) -> list[str]:
    """The brand's tracked keywords found in the text, then its most frequent significant words.

    In Latvian, Lithuanian and Polish the words are counted by their simplemma lemma ("piegāde",
    "piegādes" and "piegādi" are one term, "piegāde"), without that language's function words.
    """
    lower = text.lower()
    found = [k.strip().lower() for k in tracked if _contains(lower, k)]
    words = [w.strip("'’-") for w in _WORD.findall(lower)]
    stop = STOPWORDS
    if language in LEMMA_STOPWORDS:
        stop = LEMMA_STOPWORDS[language]
        words = [w for w in words if w not in stop]
        words = _lemmas(words, language)
    counts = Counter(w for w in words if len(w) >= 4 and w not in stop and w not in found)
    # most_common keeps first-seen order among equal counts.
    found.extend(word for word, _ in counts.most_common(top))
    return list(dict.fromkeys(found))[:limit]


def is_question(text: str) -> bool:
    """Whether the mention asks something: a question mark, or a short post that opens with a
    question word ("anyone know if …"); a long article titled "How …" is not a question."""
    if "?" in text or "？" in text:
        return True
    first = re.match(r"\W*([^\W\d_]+)", text.lower())
    return bool(first and first.group(1) in QUESTION_WORDS and len(text) <= 280)


@dataclass(frozen=True)
class Reading:
    language: str | None
    sentiment: float | None
    label: str  # positive, negative, neutral


def keyword_label(text: str, positive: Iterable[str], negative: Iterable[str]) -> str | None:
    lower = text.lower()
    pos = sum(1 for k in positive if _contains(lower, k))
    neg = sum(1 for k in negative if _contains(lower, k))
    if neg > pos:
        return "negative"
    if pos > neg:
        return "positive"
    return None


def read_sentiment(
    text: str,
    language: str | None,
    positive: Iterable[str] = (),
    negative: Iterable[str] = (),
) -> Reading:
    """VADER for English, the lexicons for Latvian, Lithuanian and Polish (core.sentiment);
    other languages neutral unless the brand's own keywords say otherwise.

    The keywords also decide a mention the text score reads as neutral ("recall", a product name
    in trouble): the brand knows words a general lexicon does not.
    """
    lang = normalize_language(language) or detect_language(text)
    score = text_compound(text, lang)
    label = "neutral"
    if score is not None and score <= NEGATIVE_BELOW:
        label = "negative"
    elif score is not None and score >= POSITIVE_ABOVE:
        label = "positive"
    if label == "neutral":
        label = keyword_label(text, positive, negative) or "neutral"
    return Reading(lang, score, label)


# An address written in plain text: http(s) up to the next space or quote. Punctuation that
# ends a sentence is not part of it ("see https://example.com/recall.").
_TEXT_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?"


def _url_end(url: str) -> str:
    while url and (url[-1] in _TRAILING or (url[-1] == ")" and url.count("(") < url.count(")"))):
        url = url[:-1]
    return url


def link_urls(text: str | None) -> Markup:
    """The text escaped, with every http(s) address in it a link that search engines do not
    follow and that cannot reach back to this page (rel="nofollow noopener")."""
    text = text or ""
    parts: list[str] = []
    position = 0
    for match in _TEXT_URL.finditer(text):
        url = _url_end(match.group(0))
        if len(url) <= len("https://"):
            continue
        start = match.start()
        parts.append(str(escape(text[position:start])))
        parts.append(f'<a href="{escape(url)}" rel="nofollow noopener">{escape(url)}</a>')
        position = start + len(url)
    parts.append(str(escape(text[position:])))
    return Markup("".join(parts))
