"""Brave Search result pages (2021 onwards)."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

from .blocks import BlockLayout, block_results
from .model import Notes, Placed

LAYOUT = BlockLayout(
    engine="brave",
    block_selectors=(
        '#results .snippet[data-type="web"]',
        '.snippet[data-type="web"]',
        # Structural fallback: blocks of the results column with a title link.
        "#results > .snippet",
        "#results > div",
    ),
    link_selectors=(
        "a.heading-serpresult",
        "a.result-header",
        "a.h",
        ".title a",
        "h2 a",
        "a[href]",
    ),
    title_selectors=(".title", ".snippet-title", "h2", "h3"),
    snippet_selectors=(
        ".snippet-description",
        ".generic-snippet .content",
        ".snippet-content",
        ".description",
    ),
    excluded_classes=("ad", "ads", "is-ad", "standalone*", "infobox*", "news-*", "video-*"),
    ad_classes=("ad", "ads", "is-ad"),
    excluded_attributes=(("data-type", "ad"), ("data-type", "news"), ("data-type", "videos")),
)


def parse_results(tree: LexborHTMLParser, features: Notes) -> list[Placed]:
    """Organic results of a Brave Search page, in page order."""
    return block_results(tree, LAYOUT, features)
