"""Bing result pages, with and without JavaScript (2020 onwards)."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

from .blocks import BlockLayout, block_results
from .model import SerpResult

LAYOUT = BlockLayout(
    engine="bing",
    block_selectors=(
        "#b_results > li.b_algo",
        "li.b_algo",
        # Structural fallback: any item of the results list with a heading link.
        "#b_results > li",
        "main ol > li",
    ),
    link_selectors=("h2 > a", "h2 a", ".b_title a", "h3 a"),
    snippet_selectors=(
        ".b_caption p",
        "p.b_lineclamp4",
        "p.b_lineclamp3",
        "p.b_lineclamp2",
        ".b_lineclamp4",
        ".b_lineclamp3",
        ".b_lineclamp2",
        ".b_paractl",
        ".b_algoSlug",
        ".b_snippet",
        ".b_caption",
        "p",
    ),
    excluded_classes=(
        "b_ad*",
        "b_ans",
        "b_pag",
        "b_msg",
        "b_rs",
        "b_mop",
        "b_topw",
        "b_vidAns",
        "b_imgAns",
        "b_nwsAns",
        "b_algospacing",
    ),
    excluded_attributes=(("data-partnertag", None),),
)


def parse_results(tree: LexborHTMLParser, features: set[str]) -> list[SerpResult]:
    """Organic results of a Bing page, in page order."""
    return block_results(tree, LAYOUT, features)
