"""DuckDuckGo: the html endpoint (html.duckduckgo.com/html) and the JavaScript-rendered page."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

from .blocks import BlockLayout, block_results
from .model import Notes, Placed

LAYOUT = BlockLayout(
    engine="duckduckgo",
    block_selectors=(
        # 2022+ React page.
        'article[data-testid="result"]',
        # html endpoint and the 2016-2021 JavaScript page.
        "#links .result",
        ".results .result",
        ".result.results_links",
        ".result.results_links_deep",
        # Structural fallback: list items of the results list with a heading link.
        "ol.react-results--main > li",
        "#links > div",
    ),
    link_selectors=(
        'a[data-testid="result-title-a"]',
        "a.result__a",
        "h2 a",
        "h3 a",
    ),
    snippet_selectors=(
        '[data-result="snippet"]',
        ".result__snippet",
        '[data-testid="result-snippet"]',
        ".E2eLOJr8HctVnDOTM8fs",
    ),
    excluded_classes=("result--ad", "result--ad--small", "badge--ad", "is-ad", "sponsored*"),
    ad_classes=("result--ad", "result--ad--small", "badge--ad", "is-ad", "sponsored*"),
    excluded_attributes=(("data-testid", "ad"), ("data-nrn", "ad")),
)


def parse_results(tree: LexborHTMLParser, features: Notes) -> list[Placed]:
    """Organic results of a DuckDuckGo page, in page order."""
    return block_results(tree, LAYOUT, features)
