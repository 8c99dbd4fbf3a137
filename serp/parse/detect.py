"""Which engine produced a page, and whether the page is a block (CAPTCHA, consent, ...)."""

from __future__ import annotations

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
#
# Most signals are absent from most pages, and each absent one costs a search of the whole
# sample. Many share a key ("bing" in "bing.com", "th.bing.com" and "- bing</title>"): a page
# without the key holds none of them, which one search tells. Each signal goes with the first
# key it holds (or None), keyed signals first so that a missing key counts their misses early.
_SIGNAL_KEYS = (b"google", b"/url?", b"bing", b"duckduckgo", b"ddg", b"brave")


def _with_keys(signals: tuple[str, ...]) -> tuple[tuple[bytes, bytes | None], ...]:
    pairs = []
    for signal in signals:
        data = signal.encode("ascii")
        pairs.append((data, next((key for key in _SIGNAL_KEYS if key in data), None)))
    # The order of an engine's signals changes nothing but how soon the count can stop.
    return tuple(sorted(pairs, key=lambda pair: pair[1] is None))


_SIGNAL_BYTES = {engine: _with_keys(signals) for engine, signals in _ENGINE_SIGNALS.items()}

_KELVIN = "\u212a"


def detect_engine(html: str) -> str:
    """The engine that most likely produced `html`, or "unknown"."""
    text = html[:_SCAN_CHARS]
    if _KELVIN in text:  # the one non-ASCII character that lowers to a signal's letter
        text = text.replace(_KELVIN, "k")
    sample = text.encode("utf-8", "surrogatepass").lower()
    has_key: dict[bytes, bool] = {}
    best, best_score = "unknown", -1
    for engine, signals in _SIGNAL_BYTES.items():
        # An engine wins only with more signals than the best so far (the first of equals
        # wins): stop looking once its remaining signals cannot get it there.
        score = 0
        for index, (signal, key) in enumerate(signals):
            if score + len(signals) - index <= best_score:
                break
            if key is not None:
                if key not in has_key:
                    has_key[key] = key in sample
                if not has_key[key]:
                    continue
            if signal in sample:
                score += 1
        if score > best_score:
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
