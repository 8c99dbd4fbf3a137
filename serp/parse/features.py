"""Page features: the blocks beside the organic results (ads, top stories, videos, people also
ask, knowledge panel, local pack, site links ...), each with its kind, place and items.

Engines rename their classes every few months, so a feature is found by what stays: a heading
that names it ("Top stories", "Populārākās ziņas", "Najważniejsze artykuły" ...), or a marker
that has lasted for years (`#tads`, `related-question-pair`, `li.b_ad`). From there the block is
widened up to the largest ancestor that holds no organic result and no other feature. Items
are the block's outbound links, grouped by page, with the title, source and date shown beside.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode

from .feature_items import MAX_ITEMS, has_text_link, items_of, outbound, sitelinks
from .feature_rules import (
    MAX_HEADING_CHARS,
    RULES,
    FeatureRules,
    heading_kind,
    index_of,
    selector_of,
)
from .limits import spend
from .model import Notes, PageFeature, Placed
from .tree import clean_text

_STOP_IDS = {
    "rso",
    "search",
    "center_col",
    "res",
    "rcnt",
    "rhs",
    "cnt",
    "main",
    "b_results",
    "b_content",
    "b_context",
    "results",
    "wg0",
    "links",
    "results-col",
}
_STOP_TAGS = {"body", "html", "main", "-document"}
# Headings in navigation name tabs ("Images", "News"), not blocks; the blocks below the
# results (related searches, "people also search") only send back to the engine.
_NAV_IDS = {
    "hdtb",
    "top_nav",
    "appbar",
    "b_header",
    "hdr",
    "header",
    "footcnt",
    "b_footer",
    "botstuff",
    "bres",
    "brs",
}
_NAV_TAGS = {"nav", "header", "footer"}
_MAX_WIDEN = 10
_MAX_FEATURES = 60


@dataclass(slots=True)
class _Candidate:
    kind: str
    node: LexborNode


def page_features(
    tree: LexborHTMLParser, engine: str, placed: list[Placed], notes: Notes
) -> list[PageFeature]:
    """The page's features in page order, placed among its organic results."""
    rules = RULES.get(engine)
    if rules is None or tree.body is None:
        return []
    result_nodes = {p.node.mem_id for p in placed}
    holds_result = _ancestor_ids(p.node for p in placed)
    starts = _starts(tree, rules, result_nodes, holds_result)
    # The query is needed only to tell questions from the query itself.
    query = _query_of(tree) if any(kind == "people_also_ask" for kind, *_ in starts) else ""
    starts.extend((kind, node, False) for kind, node in notes.skipped)
    kinds_under = _kinds_under(starts)
    candidates: list[_Candidate] = []
    for kind, node, widen in starts[: _MAX_FEATURES * 4]:
        if _inside(node, result_nodes):
            continue
        container = _widen(node, kind, result_nodes, holds_result, kinds_under) if widen else node
        if container.mem_id in result_nodes or container.mem_id in holds_result:
            continue
        candidates.append(_Candidate(kind, container))
    candidates = _outermost(candidates)
    ordered = _in_page_order(tree, candidates, placed)
    return _assemble(ordered, engine, placed, query)


def _query_of(tree: LexborHTMLParser) -> str:
    """The query as the page's search box shows it (lower case), or ""."""
    box = tree.css_first('input[name="q"], textarea[name="q"]')
    if box is None:
        return ""
    return clean_text(box.attributes.get("value") or box.text()).lower()


def _starts(
    tree: LexborHTMLParser,
    rules: FeatureRules,
    result_nodes: set[int],
    holds_result: set[int],
) -> list[tuple[str, LexborNode, bool]]:
    """Where features start: markers and the headings that name a feature."""
    starts: list[tuple[str, LexborNode, bool]] = []
    index = index_of(rules)
    nodes = tree.css(selector_of(rules))
    spend(1 + len(nodes))
    for node in nodes[: _MAX_FEATURES * 8]:
        attributes = node.attributes
        marker = index.marker_of(node.tag or "", attributes)
        if marker is not None:
            if not _in_navigation(node):
                starts.append((marker.kind, node, marker.widen))
            continue
        if node.mem_id in result_nodes:
            continue
        text = node.text(separator=" ")
        if not text or len(text) > MAX_HEADING_CHARS * 2:
            continue
        kind = heading_kind(text)
        if kind is None or _is_result_title(node, rules.engine) or _in_navigation(node):
            continue
        starts.append((kind, node, True))
    if rules.engine == "google" and not any(kind == "knowledge_panel" for kind, *_ in starts):
        # The side panel without its old class names: its entity facts still carry data-attrid.
        side = tree.css_first("#rhs")
        fact = side.css_first("[data-attrid]") if side is not None else None
        if fact is not None:
            starts.append(("knowledge_panel", fact, True))
    return starts


def _is_result_title(heading: LexborNode, engine: str) -> bool:
    """A heading that links outbound is a result's title, whatever it says."""
    anchor = heading.css_first("a[href]")
    if anchor is None:
        current = heading.parent
        for _level in range(3):
            if current is None:
                break
            if current.tag == "a":
                anchor = current
                break
            current = current.parent
    if anchor is None:
        return False
    return outbound(anchor.attributes.get("href"), engine) is not None


def _in_navigation(node: LexborNode) -> bool:
    current = node.parent
    steps = 0
    while current is not None and steps < 40:
        steps += 1
        if current.tag in _NAV_TAGS or current.attributes.get("id") in _NAV_IDS:
            return True
        if current.tag in _STOP_TAGS:
            return False
        current = current.parent
    return False


def _ancestor_ids(nodes: Iterable[LexborNode]) -> set[int]:
    ids: set[int] = set()
    steps = 0
    for node in nodes:
        current = node.parent
        while current is not None and current.mem_id not in ids:
            ids.add(current.mem_id)
            current = current.parent
            steps += 1
    spend(1 + steps)
    return ids


def _kinds_under(starts: list[tuple[str, LexborNode, bool]]) -> dict[int, set[str]]:
    """For every ancestor of a feature's start, the kinds of feature starting below it."""
    under: dict[int, set[str]] = {}
    steps = 0
    for kind, node, _widen in starts:
        current: LexborNode | None = node
        while current is not None and current.tag not in _STOP_TAGS:
            kinds = under.setdefault(current.mem_id, set())
            if kind in kinds:
                break
            kinds.add(kind)
            current = current.parent
            steps += 1
    spend(1 + steps)
    return under


def _inside(node: LexborNode, ids: set[int]) -> bool:
    current: LexborNode | None = node
    steps = 0
    while current is not None:
        steps += 1
        if current.mem_id in ids:
            spend(steps)
            return True
        current = current.parent
    spend(steps)
    return False


def _widen(
    node: LexborNode,
    kind: str,
    result_nodes: set[int],
    holds_result: set[int],
    kinds_under: dict[int, set[str]],
) -> LexborNode:
    """The largest ancestor of a feature's start holding no result and no other feature."""
    block = node
    parent = node.parent
    for _level in range(_MAX_WIDEN):
        if parent is None or parent.tag in _STOP_TAGS:
            break
        key = parent.mem_id
        if key in result_nodes or key in holds_result:
            break
        if parent.attributes.get("id") in _STOP_IDS:
            break
        if kinds_under.get(key, {kind}) - {kind}:
            break
        block = parent
        parent = parent.parent
    return block


def _outermost(candidates: list[_Candidate]) -> list[_Candidate]:
    """Drop a candidate that lies inside another (or is the same block found twice)."""
    ids = {candidate.node.mem_id for candidate in candidates}
    kept: list[_Candidate] = []
    seen: set[int] = set()
    for candidate in candidates:
        key = candidate.node.mem_id
        if key in seen:
            continue
        current = candidate.node.parent
        nested = False
        steps = 0
        while current is not None:
            steps += 1
            if current.mem_id in ids:
                nested = True
                break
            current = current.parent
        spend(steps)
        if not nested:
            seen.add(key)
            kept.append(candidate)
    return kept


_ORDER_ATTRIBUTE = "data-pageone-block"


def _in_page_order(
    tree: LexborHTMLParser, candidates: list[_Candidate], placed: list[Placed]
) -> list[tuple[str, int | _Candidate]]:
    """Results (by index) and features, in the order the page shows them."""
    if not candidates:
        return [("result", index) for index in range(len(placed))]
    by_id: dict[str, tuple[str, int | _Candidate]] = {}
    for index, item in enumerate(placed):
        key = f"r{index}"
        item.node.attrs[_ORDER_ATTRIBUTE] = key
        by_id[key] = ("result", index)
    for index, candidate in enumerate(candidates):
        key = f"f{index}"
        candidate.node.attrs[_ORDER_ATTRIBUTE] = key
        by_id[key] = ("feature", candidate)
    # The engine's own selector matching walks the tree in document order, in C.
    marked = tree.css(f"[{_ORDER_ATTRIBUTE}]")
    spend(1 + len(marked))
    return [by_id[node.attributes[_ORDER_ATTRIBUTE] or ""] for node in marked]


def _assemble(
    ordered: list[tuple[str, int | _Candidate]], engine: str, placed: list[Placed], query: str
) -> list[PageFeature]:
    features: list[PageFeature] = []
    organic_urls = {p.result.url for p in placed}
    position = 0
    previous_was_feature = False
    for what, value in ordered:
        if what == "result" and isinstance(value, int):
            position += 1
            previous_was_feature = False
            links = sitelinks(placed[value], engine, organic_urls)
            if links:
                position += 1
                features.append(PageFeature("sitelinks", position, links))
            continue
        if not isinstance(value, _Candidate):
            continue
        items = items_of(value.node, value.kind, engine, query)
        if value.kind == "ads" and not items and not has_text_link(value.node):
            # Engines keep empty ad slots in every page.
            continue
        last = features[-1] if features else None
        if previous_was_feature and last is not None and last.kind == value.kind:
            # One feature drawn as several blocks (ads above and below a pack, one per card).
            known = {item.url for item in last.items}
            last.items.extend(item for item in items if item.url is None or item.url not in known)
            del last.items[MAX_ITEMS:]
            continue
        if len(features) >= _MAX_FEATURES:
            break
        position += 1
        previous_was_feature = True
        features.append(PageFeature(value.kind, position, items))
    return features
