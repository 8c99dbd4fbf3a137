from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

from .model import SerpResult


def parse_results(tree: LexborHTMLParser, features: set[str]) -> list[SerpResult]:
    return []
