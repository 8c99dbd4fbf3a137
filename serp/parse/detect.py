"""Which engine produced a page, and whether the page is a block (CAPTCHA, consent, ...)."""

from __future__ import annotations

from ahocorasick_rs import BytesAhoCorasick
from selectolax.lexbor import LexborHTMLParser

from .tree import clean_text

# Strings that only an engine's own result pages carry; counted, the best score wins.
_ENGINE_SIGNALS: dict[str, tuple[str, ...]] = {
    "google": (
        "www.google.",
        "/url?q=",
        "/url?sa=",
        'id="rso"',
        "gstatic.com",
        "google search</title>",
        "consent.google.",
        "googleusercontent",
        "/search?q=",
        'id="gsr"',
        "/complete/search",
    ),
    "bing": (
        "b_results",
        "b_algo",
        "bing.com",
        "th.bing.com",
        "- bing</title>",
        "/rp/",
        "b_content",
        # 2009-2015 pages: the search box, result blocks and thumbnails of those years.
        "sb_form_q",
        "sa_wr",
        "sb_tlst",
        "mm.bing.net",
        "- bing images</title>",
    ),
    "duckduckgo": (
        "duckduckgo.com",
        "result__a",
        "result__snippet",
        "- duckduckgo</title>",
        "at duckduckgo</title>",
        "serp__results",
        "uddg=",
        "ddg",
        'data-testid="result',
    ),
    "brave": (
        "search.brave.com",
        "brave search",
        'data-type="web"',
        "cdn.search.brave",
        "brave.com",
    ),
}

# How much of the page is scanned for engine signals: the head and first results suffice,
# and scanning whole megabyte pages would cost more than parsing them.
_SCAN_CHARS = 100_000


# The signals as bytes: every signal is ASCII, so searching the UTF-8 bytes lowered as ASCII
# finds what searching the lowered text would (the Kelvin sign, which lowers to "k", is
# replaced first), at a byte a character whatever the page's script, and lowering bytes is
# cheaper than lowering text.
_SIGNAL_BYTES = {
    engine: tuple(signal.encode("ascii") for signal in signals)
    for engine, signals in _ENGINE_SIGNALS.items()
}
# All of them are looked for in one pass over the sample (Aho-Corasick), not one search each:
# most are absent from most pages, and each absent one would cost a search of the whole sample.
_ALL_SIGNALS = sorted({signal for signals in _SIGNAL_BYTES.values() for signal in signals})
_SIGNAL_FINDER = BytesAhoCorasick(_ALL_SIGNALS)

_KELVIN = "\u212a"


def detect_engine(html: str) -> str:
    """The engine that most likely produced `html`, or "unknown"."""
    text = html[:_SCAN_CHARS]
    if _KELVIN in text:  # the one non-ASCII character that lowers to a signal's letter
        text = text.replace(_KELVIN, "k")
    sample = text.encode("utf-8", "surrogatepass").lower()
    matches = _SIGNAL_FINDER.find_matches_as_indexes(sample, overlapping=True)
    present = {_ALL_SIGNALS[index] for index, _start, _end in matches}
    best, best_score = "unknown", -1
    for engine, signals in _SIGNAL_BYTES.items():
        score = sum(signal in present for signal in signals)
        if score > best_score:  # the first of equals wins
            best, best_score = engine, score
    # One weak hit (a link to bing.com from some article) is not evidence of the engine.
    return best if best_score >= 2 else "unknown"


_CAPTCHA_SIGNALS = (
    "g-recaptcha",
    "captcha-form",
    "/sorry/index",
    "recaptcha/api",
    "h-captcha",
    "hcaptcha.com",
    "b_captcha",
    "challenge-form",
    "cf-challenge",
    "anomaly-modal",
    "bots use duckduckgo too",
    'id="captcha',
    "please solve",
)
_UNUSUAL_TRAFFIC_SIGNALS = (
    "unusual traffic",
    "trafic inhabituel",
    "ungewöhnlichen datenverkehr",
    "tráfico inusual",
    "traffico insolito",
    "not a robot",
    "automated queries",
    "requêtes automatisées",
    "automatisierte anfragen",
)
_CONSENT_SIGNALS = (
    "before you continue to google",
    "avant d'accéder à google",
    "bevor sie zu google weitergehen",
    "antes de ir a google",
    "prima di continuare su google",
    'action="https://consent.',
)
_NO_RESULTS_SIGNALS = (
    "did not match any documents",
    "aucun document ne correspond",
    "ergab keine übereinstimmungen",
    "no ha obtenido ningún resultado",
    "there are no results for",
    "no results found for",
    "no results.",
    "no_results",
    "no-results",
    "il n'y a aucun résultat",
    "not many great matches",
)

_EMPTY_TEXT_CHARS = 20


def _visible_text(tree: LexborHTMLParser) -> str:
    body = tree.body
    if body is None:
        return ""
    parts = [
        node.text(deep=False)
        for node in body.traverse(include_text=True)
        if node.is_text_node and node.parent is not None and node.parent.tag not in _INVISIBLE
    ]
    return clean_text(" ".join(parts))


_INVISIBLE = {"script", "style", "noscript", "template"}


def block_reason(html: str, tree: LexborHTMLParser, lower: str | None = None) -> str | None:
    """Why a page without results is a block rather than a real answer, or None.

    `lower`: `html.lower()`, when the caller has it (lowering a page costs more than a search).
    """
    if lower is None:
        lower = html.lower()
    if any(signal in lower for signal in _CAPTCHA_SIGNALS):
        return "captcha"
    if any(signal in lower for signal in _UNUSUAL_TRAFFIC_SIGNALS):
        return "unusual_traffic"
    if any(signal in lower for signal in _CONSENT_SIGNALS):
        return "consent"
    if len(_visible_text(tree)) < _EMPTY_TEXT_CHARS:
        return "empty"
    return None


def looks_like_no_results(html: str, lower: str | None = None) -> bool:
    """Whether the page says the query matched nothing (a genuine answer, not a block).
    `lower` as for `block_reason`."""
    if lower is None:
        lower = html.lower()
    return any(signal in lower for signal in _NO_RESULTS_SIGNALS)
