"""Reading results from engines that put each result in its own block (Bing, DuckDuckGo, Brave).

Each engine gives the selectors of its result blocks (stable class names first, a structural
fallback last), and this module turns blocks into results the same way for all of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode

from .limits import MAX_DEPTH, spend, too_deep
from .model import Notes, Placed, SerpResult
from .tree import ancestors, classes, clean_text, node_text
from .urls import clean_result_url, is_engine_internal

# A page shows at most 100 organic results; blocks past these are not read.
_MAX_RESULTS = 300


@dataclass(frozen=True, slots=True)
class BlockLayout:
    """Where an engine puts its results and what inside a result block means what."""

    engine: str
    # Tried in order; the first selector that yields results wins.
    block_selectors: tuple[str, ...]
    # The title link inside a block, in order of preference.
    link_selectors: tuple[str, ...]
    snippet_selectors: tuple[str, ...]
    # Where the title text is inside the link, when the link also holds the displayed URL.
    title_selectors: tuple[str, ...] = ()
    # Class names (or prefixes ending in "*") of ads and answer packs, on a block or its parents.
    excluded_classes: tuple[str, ...] = ()
    excluded_attributes: tuple[tuple[str, str | None], ...] = ()
    ad_labels: frozenset[str] = frozenset({"ad", "ads", "sponsored", "anzeige", "annonce"})
    # Which of the excluded classes mark ads (the rest are answer packs and navigation).
    ad_classes: tuple[str, ...] = ()


def block_results(
    tree: LexborHTMLParser,
    layout: BlockLayout,
    features: Notes,
    selectors: tuple[str, ...] | None = None,
) -> list[Placed]:
    """Organic results of a page laid out in blocks, in page order."""
    for selector in layout.block_selectors if selectors is None else selectors:
        results = _results(tree.css(selector), layout, features)
        if results:
            return results
    return []


def _results(blocks: list[LexborNode], layout: BlockLayout, features: Notes) -> list[Placed]:
    results: list[Placed] = []
    taken: set[int] = set()
    for block in blocks:
        if len(results) >= _MAX_RESULTS:
            break
        # A selector may match a block and its wrapper; a block inside a taken one is a part.
        parents = list(ancestors(block))
        if len(parents) > MAX_DEPTH:
            raise too_deep()
        spend(1 + 2 * len(parents))
        if any(parent.mem_id in taken for parent in parents):
            continue
        if _is_excluded(block, layout, features):
            continue
        anchor = _title_link(block, layout)
        if anchor is None:
            continue
        url = clean_result_url(anchor.attributes.get("href"), layout.engine)
        if url is None or is_engine_internal(url):
            continue
        title = _title(anchor, layout)
        if not title:
            continue
        taken.add(block.mem_id)
        result = SerpResult(
            position=len(results) + 1,
            url=url,
            title=title,
            snippet=_snippet(block, anchor, layout),
        )
        results.append(Placed(result, block, block))
    return results


def _title_link(block: LexborNode, layout: BlockLayout) -> LexborNode | None:
    for selector in layout.link_selectors:
        for anchor in block.css(selector):
            if anchor.attributes.get("href") and node_text(anchor):
                return anchor
    return None


def _title(anchor: LexborNode, layout: BlockLayout) -> str:
    for selector in layout.title_selectors:
        node = anchor.css_first(selector)
        if node is not None:
            text = node_text(node)
            if text:
                return text
    return node_text(anchor)


def _snippet(block: LexborNode, anchor: LexborNode, layout: BlockLayout) -> str:
    for selector in layout.snippet_selectors:
        node = block.css_first(selector)
        if node is not None:
            text = node_text(node)
            if text:
                return text
    return ""


def _class_matches(names: set[str], patterns: tuple[str, ...]) -> bool:
    for pattern in patterns:
        if pattern.endswith("*"):
            prefix = pattern[:-1]
            if any(name.startswith(prefix) for name in names):
                return True
        elif pattern in names:
            return True
    return False


def _is_excluded(block: LexborNode, layout: BlockLayout, features: Notes) -> bool:
    """Ads and answer packs, marked on the block, a parent, or by a short "Ad" label inside."""
    for node in (block, *ancestors(block)):  # charged by the caller
        names = classes(node)
        if _class_matches(names, layout.excluded_classes):
            if _class_matches(names, layout.ad_classes):
                features.note("ads", node)
            else:
                features.add("other")
            return True
        for name, value in layout.excluded_attributes:
            actual = node.attributes.get(name)
            if name in node.attributes and (value is None or actual == value):
                if value == "ad":
                    features.note("ads", node)
                else:
                    features.add("other")
                return True
    parts = block.css("span, div, small")
    spend(len(parts))
    for node in parts:
        text = node.text(deep=False)
        if text and len(text) <= 12 and clean_text(text).lower() in layout.ad_labels:
            features.note("ads", block)
            return True
    return False
