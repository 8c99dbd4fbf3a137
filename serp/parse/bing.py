"""Bing result pages since 2009: every web layout, with and without JavaScript.

- 2009 to about 2014: `#results > ul#wg0 > li.sa_wr > div.sa_cc > (div.sb_tlst > h3 > a)`,
  the snippet a `p` in the block (in `div.sa_mc` from 2011), ads in `div.sb_adsW` beside;
- about 2013 onwards: `ol#b_results > li.b_algo > h2 > a` (later inside `div.b_title`), the
  snippet in `div.b_caption > p`, ads in `li.b_ad`, answers in `li.b_ans`.

The layouts are tried from the stable class names down to structure alone (a list item of
the results list with a heading link). Image-search pages are read by serp.parse.images.
"""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

from .blocks import BlockLayout, block_results
from .model import Notes, Placed

LAYOUT = BlockLayout(
    engine="bing",
    block_selectors=(
        "#b_results > li.b_algo",
        "li.b_algo",
        "#results li.sa_wr",
        "li.sa_wr",
        # Structural fallbacks: any item of the results list with a heading link.
        "#b_results > li",
        "main ol > li",
        "#results > ul > li",
        "#wg0 > li",
        ".sb_tlst",
    ),
    link_selectors=("h2 > a", "h2 a", ".b_title a", ".sb_tlst h3 a", "h3 > a", "h3 a"),
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
        ".sa_mc p",
        "p",
        ".sa_mc",
    ),
    excluded_classes=(
        "b_ad*",
        "sb_ad*",
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
        "ans",
    ),
    ad_classes=("b_ad*", "sb_ad*"),
    excluded_attributes=(("data-partnertag", None),),
)


def parse_results(tree: LexborHTMLParser, features: Notes) -> list[Placed]:
    """Organic results of a Bing web page, in page order."""
    return block_results(tree, LAYOUT, features)
