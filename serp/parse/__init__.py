"""Search-result page parser: `parse_serp(html, engine=None) -> SerpPage`.

Never raises: broken or unexpected input gives an "unknown" page with no results. A page past
the limits of serp.parse.limits (nested too deep, too many tags, too much work) comes back
blocked with reason "too_complex" and no results: it says nothing about positions.
"""

from __future__ import annotations

from . import bing, brave, duckduckgo, google
from .detect import block_reason, detect_engine, looks_like_no_results
from .features import page_features
from .images import MAX_WEB_ON_IMAGE_PAGE, image_results, is_image_page
from .limits import (
    MAX_PAGE_CHARS,
    TOO_COMPLEX,
    PageTooComplex,
    WorkBudget,
    check_markup,
    end_budget,
    start_budget,
)
from .model import FEATURE_KINDS, FeatureItem, Notes, PageFeature, Placed, SerpPage, SerpResult
from .tree import parse_html
from .urls import addresses_cleaned_once

__all__ = [
    "ENGINES",
    "FEATURE_KINDS",
    "TOO_COMPLEX",
    "FeatureItem",
    "PageFeature",
    "SerpPage",
    "SerpResult",
    "parse_serp",
    "read_serp",
]

_PARSERS = {
    "google": google.parse_results,
    "bing": bing.parse_results,
    "duckduckgo": duckduckgo.parse_results,
    "brave": brave.parse_results,
}
ENGINES = tuple(_PARSERS)

_ALIASES = {"ddg": "duckduckgo", "duck": "duckduckgo", "brave_search": "brave"}


def parse_serp(html: str, engine: str | None = None) -> SerpPage:
    """Read a saved result page: its engine, whether it is a block page, its organic results
    (on an image-search page: the pages the images stand on) and the features beside them."""
    return read_serp(html, engine)[0]


def read_serp(html: str, engine: str | None = None) -> tuple[SerpPage, WorkBudget]:
    """`parse_serp`, with the work the parse spent (for tests and benchmarks)."""
    budget = WorkBudget()
    token = start_budget(budget)
    try:
        with addresses_cleaned_once():
            return _parse(html, engine), budget
    except PageTooComplex as exc:
        name = _known_engine(engine) or "unknown"
        return SerpPage(engine=name, blocked=True, reason=TOO_COMPLEX, detail=exc.detail), budget
    except Exception:  # noqa: BLE001 - the contract is "never raises"; a bad page is data, not a crash
        return SerpPage(engine=_known_engine(engine) or "unknown"), budget
    finally:
        end_budget(token)


def _known_engine(engine: str | None) -> str | None:
    if not engine:
        return None
    name = engine.strip().lower()
    name = _ALIASES.get(name, name)
    return name if name in _PARSERS else None


def _parse(html: str, engine: str | None) -> SerpPage:
    if not isinstance(html, str):
        html = html.decode("utf-8", "replace") if isinstance(html, bytes | bytearray) else ""
    # Lexbor stops at NUL in some versions and NUL never carries meaning in a page. The tree
    # is built from the page's UTF-8 (as selectolax would encode it), where NUL is looked for:
    # in bytes the search runs at memory speed, in text past Latin-1 character by character.
    # (A page past the size limit is refused before its tree is built: it is not encoded.)
    data = html.encode("utf-8", "ignore") if len(html) <= MAX_PAGE_CHARS else None
    if ("\x00" in html) if data is None else (b"\x00" in data):
        html = html.replace("\x00", "")
        data = data.replace(b"\x00", b"") if data is not None else None
    name = _known_engine(engine) or detect_engine(html)
    page = SerpPage(engine=name)
    if not html.strip():
        page.blocked, page.reason = True, "empty"
        return page
    try:
        check_markup(html)
    except PageTooComplex as exc:
        page.blocked, page.reason, page.detail = True, TOO_COMPLEX, exc.detail
        return page
    tree = parse_html(data if data is not None else html)
    notes = Notes()
    placed: list[Placed] = []
    if name in _PARSERS:
        placed = _PARSERS[name](tree, notes)
        # A page with a few web results is a web page: its images are a pack, not a grid.
        might_be_images = name in _IMAGE_ENGINES and len(placed) < MAX_WEB_ON_IMAGE_PAGE
        images = image_results(tree, name) if might_be_images else []
        if is_image_page(len(images), len(placed)):
            # An image-search page: each image's page is a result; the grid is no feature.
            page.results = [item.result for item in images]
        else:
            page.results = [item.result for item in placed]
            page.features = page_features(tree, name, placed, notes)
    # The block and no-results signals are looked for in the page lowered once.
    lower = html.lower() if len(page.results) <= _FEW_RESULTS else None
    if not page.results and not looks_like_no_results(html, lower):
        reason = block_reason(html, tree, lower)
        if reason is not None:
            page.blocked, page.reason, page.features = True, reason, []
    elif 0 < len(page.results) <= _FEW_RESULTS and not looks_like_no_results(html, lower):
        # A block page can carry a link or two that look like results (Google's "why did this
        # happen" help link): with a block page's own signals, a handful of results is no answer.
        reason = block_reason(html, tree, lower)
        if reason in _BLOCK_PAGE_REASONS:
            page.blocked, page.reason, page.results, page.features = True, reason, [], []
    return page


_IMAGE_ENGINES = {"google", "bing"}
_FEW_RESULTS = 3
_BLOCK_PAGE_REASONS = {"captcha", "unusual_traffic", "consent"}
