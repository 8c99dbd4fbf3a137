"""Google result pages: desktop, mobile and the no-JavaScript / basic HTML layouts, 2018 onwards.

Google's class names are generated and change every few months, so the rules here are structural:
an organic result is a title (an `<h3>`, or an element with `role="heading" aria-level="3"`) with a
link around, inside or next to it, sitting in the results column and outside the containers Google
uses for ads and packs. Known class names are used only as extra signals.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from selectolax.lexbor import LexborHTMLParser, LexborNode

from .limits import MAX_DEPTH, kept, spend, too_deep
from .model import Placed, SerpResult
from .tree import ancestors, clean_text, contains, node_text
from .urls import clean_result_url, cleaned_url, is_engine_internal, site_of, site_of_host

ENGINE = "google"

T = TypeVar("T")

_TITLE_SELECTOR = 'h3, [role="heading"][aria-level="3"]'

# Tried in order: the narrowest container that yields results wins, so a page whose
# results column moved still parses from a broader one. The whole body is read only when
# none exists: beside the results column it holds skip links and menus with headings.
_CONTAINERS = ("#rso", "#search", "#res", "#center_col", "#main")

# Containers of ads, packs and side panels (ids are stable on Google for many years).
_EXCLUDED_IDS = {
    "tads",
    "tadsb",
    "bottomads",
    "tvcap",
    "taw",
    "rhs",
    "rhscol",
    "brs",
    "botstuff",
    "extrares",
    "imagebox",
    "imagebox_bigimages",
    "appbar",
    "hdtb",
    "top_nav",
    "footcnt",
}
_EXCLUDED_TAGS = {
    "g-section-with-header",
    "g-scrolling-carousel",
    "related-question-pair",
    "g-accordion-expander",
    "g-expandable-container",
    "video-voyager",
    "inline-video",
    "product-viewer-group",
    "footer",
    "header",
    "nav",
    "form",
}
_EXCLUDED_CLASSES = {
    "ads-ad",
    "ads-fr",
    "commercial-unit-desktop-top",
    "commercial-unit-desktop-rhs",
    "commercial-unit-mobile-top",
    "cu-container",
    "related-question-pair",
    "kno-kp",
    "knowledge-panel",
    "mod-ads",
    "uEierd",  # ad block wrapper, 2020-2023
}
# Feature a container stands for, reported in SerpPage.features.
_FEATURE_OF_ID = {
    "tads": "ads",
    "tadsb": "ads",
    "bottomads": "ads",
    "tvcap": "ads",
    "taw": "ads",
    "rhs": "knowledge_panel",
    "imagebox": "images",
    "imagebox_bigimages": "images",
}
_FEATURE_OF_TAG = {
    "g-section-with-header": "top_stories",
    "g-scrolling-carousel": "carousel",
    "related-question-pair": "people_also_ask",
    "g-accordion-expander": "people_also_ask",
    "video-voyager": "videos",
    "inline-video": "videos",
}
# Site links under a result (2018-2023 class names); structure catches the rest.
_SITELINK_CLASSES = {"mslg", "nrg", "nrgw", "nrgt", "sld", "usJj9c", "HiHjCd", "fl"}
# Labels Google puts on paid results, in the languages seen in our pages and a few more.
_AD_LABELS = {
    "ad",
    "ads",
    "sponsored",
    "annonce",
    "annonces",
    "anzeige",
    "anzeigen",
    "sponsorisé",
    "gesponsert",
    "publicité",
    "anuncio",
    "patrocinado",
    "sponsorizzato",
    "annuncio",
}
_SNIPPET_CLASSES = (
    ".VwiC3b",
    ".IsZvec",
    ".aCOpRe",
    ".st",
    ".s3v9rd",
    ".lEBKkf",
    ".yDYNvb",
    ".MUxGbd",
    "[data-sncf]",
    "[data-content-feature='1']",
)
_ANY_SNIPPET = ", ".join(_SNIPPET_CLASSES)
# How far up from a title its link may be, and how many levels make a title's "shape".
_LINK_LEVELS = 4
_SHAPE_LEVELS = 3
# A page shows at most 100 organic results; headings past these are not read.
_MAX_TITLES = 1_000
_MAX_RESULTS = 300


@dataclass(slots=True)
class _Accepted:
    title: LexborNode
    shape: tuple[str, ...]
    site: str
    block: LexborNode


def parse_results(tree: LexborHTMLParser, features: set[str]) -> list[Placed]:
    """Organic results of a Google page, in page order."""
    # Each container is looked up only once the narrower ones gave no results: on most pages
    # the first is the only lookup (each is a selector parse and a walk up to its element).
    any_container = False
    for selector in _CONTAINERS:
        container = tree.css_first(selector)
        if container is None:
            continue
        any_container = True
        results = _heading_results(container, features) or _basic_results_in(container, features)
        if results:
            return results
    if not any_container and tree.body is not None:
        return _heading_results(tree.body, features) or _basic_results_in(tree.body, features)
    return []


def _heading_results(container: LexborNode, features: set[str]) -> list[Placed]:
    """Results titled by headings, choosing which heading kind marks organic results.

    Desktop pages title organic results with `<h3>` and use ARIA headings for video and news
    cards; 2022+ mobile pages use ARIA headings for everything. When `<h3>` results are the
    majority the ARIA-only ones are packs.
    """
    titles = container.css(_TITLE_SELECTOR)[:_MAX_TITLES]
    candidates = [_candidate(title, container) for title in titles]
    h3_only = [candidate for candidate in candidates if candidate.title.tag == "h3"]
    reads = _Reads()
    with_h3 = _results_in(h3_only, features, reads)
    if not with_h3:
        return _results_in(candidates, features, reads)
    if len(h3_only) == len(candidates):
        return with_h3
    with_all = _results_in(candidates, set(), reads)
    if 2 * len(with_h3) >= len(with_all):
        if len(with_all) > len(with_h3):
            features.add("videos_or_news")
        return with_h3
    return with_all


@dataclass(slots=True)
class _Candidate:
    """A heading in the results column with what is known about it before choosing."""

    title: LexborNode
    anchor: LexborNode | None
    url: str | None
    site: str
    # Ancestors up to the results container, nearest first.
    chain: list[LexborNode]


@dataclass(slots=True)
class _Reads:
    """What judging a page's titles read, kept for the second choice of title kind (which
    reads again most of what the first did): each element's verdict, and per title or block
    its shape, text, ad label and snippet."""

    verdicts: dict[int, tuple[bool, str | None]] = field(default_factory=dict)
    shapes: dict[int, tuple[str, ...]] = field(default_factory=dict)
    # These with the units they cost, charged again when reused (limits.kept).
    titles: dict[int, tuple[str, tuple[int, ...]]] = field(default_factory=dict)
    ad_labels: dict[int, tuple[bool, tuple[int, ...]]] = field(default_factory=dict)
    snippets: dict[tuple[int, int], tuple[str, tuple[int, ...]]] = field(default_factory=dict)


def _candidate(title: LexborNode, container: LexborNode) -> _Candidate:
    anchor = _link_of(title)
    cleaned = cleaned_url(anchor.attributes.get("href"), ENGINE) if anchor is not None else None
    url, host = cleaned if cleaned is not None else (None, "")
    chain = list(ancestors(title, stop=container))
    # Every later step walks this chain a few times. (A page of fewer tags than the markup
    # check measures can still nest past the depth limit.)
    if len(chain) > MAX_DEPTH:
        raise too_deep()
    spend(1 + len(chain))
    return _Candidate(
        title=title,
        anchor=anchor,
        url=url,
        site=site_of_host(host) if url else "",
        chain=chain,
    )


def _results_in(candidates: list[_Candidate], features: set[str], reads: _Reads) -> list[Placed]:
    titles_under, sites_under = _census(candidates)
    results: list[Placed] = []
    accepted: list[_Accepted] = []
    seen_links: set[int] = set()
    for candidate in candidates:
        if len(results) >= _MAX_RESULTS:
            break
        title, anchor, url = candidate.title, candidate.anchor, candidate.url
        if anchor is None or anchor.mem_id in seen_links:
            continue
        seen_links.add(anchor.mem_id)
        href = anchor.attributes.get("href") or ""
        if "/aclk?" in href or "googleadservices." in href:
            features.add("ads")
            continue
        if url is None or is_engine_internal(url):
            continue
        if _excluded_chain(candidate.chain, features, reads.verdicts):
            continue
        shape = reads.shapes.get(title.mem_id)
        if shape is None:
            shape = reads.shapes[title.mem_id] = _shape(title)
        if accepted and _is_sitelink(title, shape, url, accepted[-1]):
            continue
        own_site = {candidate.site}
        block = _widest(candidate.title, candidate.chain, sites_under, own_site.issuperset)
        own_block = _widest(candidate.title, candidate.chain, titles_under, (1).__eq__)
        if kept(reads.ad_labels, own_block.mem_id, _has_ad_label, own_block):
            features.add("ads")
            continue
        # A URL may appear twice (a featured snippet, then the same page as a plain result):
        # both hold a position on the page, as rank trackers count them.
        accepted.append(_Accepted(title, shape, candidate.site, block))
        result = SerpResult(
            position=len(results) + 1,
            url=url,
            title=kept(reads.titles, title.mem_id, node_text, title),
            # Site links share the result's block; its snippet may sit beside them.
            snippet=_kept_snippet(reads, own_block, anchor) or _kept_snippet(reads, block, anchor),
        )
        results.append(Placed(result, own_block, block))
    return results


def _kept_snippet(reads: _Reads, block: LexborNode, anchor: LexborNode) -> str:
    key = (block.mem_id, anchor.mem_id)
    return kept(reads.snippets, key, _snippet_of, block, anchor)


def _census(candidates: list[_Candidate]) -> tuple[dict[int, int], dict[int, set[str]]]:
    """For every element above a title: how many titles it holds, and the sites they link to."""
    titles_under: dict[int, int] = {}
    sites_under: dict[int, set[str]] = {}
    for candidate in candidates:
        for node in candidate.chain:
            key = node.mem_id
            titles_under[key] = titles_under.get(key, 0) + 1
            sites = sites_under.setdefault(key, set())
            if candidate.anchor is not None:
                # An unusable link (a Google search link) counts as a foreign site.
                sites.add(candidate.site or "-")
    return titles_under, sites_under


def _widest(
    title: LexborNode,
    chain: list[LexborNode],
    census: Mapping[int, T],
    fits: Callable[[T], bool],
) -> LexborNode:
    """The highest ancestor whose census value `fits`, all the way up from the title."""
    block = title
    for node in chain:
        if not fits(census[node.mem_id]):
            break
        block = node
    return block


def _link_of(title: LexborNode) -> LexborNode | None:
    """The link of a title: around it (modern), inside it (2018 and older) or just before it."""
    for level, node in enumerate(ancestors(title)):
        if level >= _LINK_LEVELS:
            break
        if node.tag == "a" and node.attributes.get("href"):
            return node
    inner = title.css_first("a[href]")
    if inner is not None:
        return inner
    previous = title.prev
    while previous is not None and not previous.is_element_node:
        previous = previous.prev
    if previous is not None and previous.tag == "a" and previous.attributes.get("href"):
        return previous
    return None


def _excluded(title: LexborNode, container: LexborNode, features: set[str]) -> bool:
    """Whether the title sits in an ad, a pack, a side panel or a list of site links."""
    return _excluded_chain(ancestors(title, stop=container), features)


def _excluded_chain(
    chain: Iterable[LexborNode],
    features: set[str],
    verdicts: dict[int, tuple[bool, str | None]] | None = None,
) -> bool:
    """`_excluded` along a title's ancestors. Titles share most of their ancestors: with
    `verdicts`, each element is looked at once for all of a page's titles."""
    for node in chain:
        if verdicts is None:
            excluded, feature = _verdict(node)
        else:
            verdict = verdicts.get(node.mem_id)
            if verdict is None:
                verdict = verdicts[node.mem_id] = _verdict(node)
            excluded, feature = verdict
        if excluded:
            if feature:
                features.add(feature)
            return True
    return False


def _verdict(node: LexborNode) -> tuple[bool, str | None]:
    """Whether an element is an ad, a pack, a side panel or a list of site links, and the
    feature it stands for (None for site links and unnamed packs)."""
    tag = node.tag or ""
    if tag in _EXCLUDED_TAGS or "carousel" in tag:
        return True, _FEATURE_OF_TAG.get(tag) or ("carousel" if "carousel" in tag else None)
    if tag in ("table", "td"):
        # Results are never laid out in tables below the results column; site links were.
        return True, None
    attributes = node.attributes
    if not attributes:
        return False, None
    node_id = attributes.get("id")
    if node_id in _EXCLUDED_IDS:
        return True, _FEATURE_OF_ID.get(node_id, "other")
    if "data-text-ad" in attributes or "data-rw" in attributes:
        return True, "ads"
    names = set((attributes.get("class") or "").split())
    if names & _EXCLUDED_CLASSES:
        return True, _feature_of_classes(names)
    if names & _SITELINK_CLASSES:
        return True, None
    label = (attributes.get("aria-label") or "").lower()
    if label in _AD_LABELS:
        return True, "ads"
    return False, None


def _feature_of_classes(names: set[str]) -> str:
    if names & {"ads-ad", "ads-fr", "uEierd", "mod-ads"} or any("commercial" in n for n in names):
        return "ads"
    if "related-question-pair" in names:
        return "people_also_ask"
    return "knowledge_panel"


def _shape(title: LexborNode) -> tuple[str, ...]:
    """Tags and classes of the title's nearest ancestors: equal for sibling results.

    The title's own class is left out: Google styles a site's second, indented result
    differently, yet it is a result of its own, not a site link.
    """
    shape = [title.tag or ""]
    for level, node in enumerate(ancestors(title)):
        if level >= _SHAPE_LEVELS:
            break
        shape.append(f"{node.tag}.{node.attributes.get('class') or ''}")
    return tuple(shape)


def _is_sitelink(title: LexborNode, shape: tuple[str, ...], url: str, previous: _Accepted) -> bool:
    """Site links are nested in the previous result's block, on its site, with another shape."""
    return (
        contains(previous.block, title)
        and shape != previous.shape
        and site_of(url) == previous.site
    )


def _has_ad_label(block: LexborNode) -> bool:
    """Paid results carry a short "Ad" / "Sponsored" label at the top of their block."""
    seen = visited = 0
    for node in block.traverse(include_text=True):
        visited += 1
        if visited % _VISITS_CHARGED == 0:
            spend(_VISITS_CHARGED)
        if not node.is_text_node:
            continue
        text = node.text_content
        if not text or not text.strip():
            continue
        if len(text) <= 14 and clean_text(text).lower().rstrip("·: ") in _AD_LABELS:
            return True
        seen += 1
        if seen >= _AD_LABEL_TEXTS:
            return False
    return False


# The label comes before or beside the displayed URL, among the block's first few texts.
_AD_LABEL_TEXTS = 6
# Nodes visited in a walk are charged to the parse's budget in batches of this many.
_VISITS_CHARGED = 64


def _snippet_of(block: LexborNode, anchor: LexborNode) -> str:
    # The first node of the first snippet class that has text. Each query costs a parse of its
    # selector and a walk: one query for all classes first, which mostly finds one node or
    # none, and then the node the class-by-class search would find is that one (or none).
    found = block.css(_ANY_SNIPPET)
    if len(found) <= 1:
        if found and not contains(anchor, found[0]):
            text = node_text(found[0])
            if text:
                return text
        return _longest_text_outside(block, anchor)
    for selector in _SNIPPET_CLASSES:
        node = block.css_first(selector)
        if node is not None and not contains(anchor, node):
            text = node_text(node)
            if text:
                return text
    return _longest_text_outside(block, anchor)


def _longest_text_outside(block: LexborNode, anchor: LexborNode) -> str:
    """Fallback snippet: the longest run of text in the block that is not the link itself.

    Among the block's `div`s and `span`s that neither hold the link nor sit inside it, the
    first longest text wins. An element's text holds its descendants' texts, so no descendant
    of a candidate already read can be longer: only the topmost candidates are read, once
    each, instead of every element's whole subtree again (which cost minutes on deep pages).
    """
    if contains(anchor, block):
        return ""
    anchor_id, block_id = anchor.mem_id, block.mem_id
    holds_link = {anchor_id}
    holds_link.update(node.mem_id for node in ancestors(anchor))
    read: set[int] = set()
    best = ""
    steps = 0
    for node in block.css("div, span"):
        node_id = node.mem_id
        if node_id in holds_link:
            continue
        # Up to the block: is the node inside the link, or inside a candidate already read?
        current = node.parent if node_id != block_id else None
        while current is not None:
            steps += 1
            current_id = current.mem_id
            if current_id == anchor_id or current_id in read:
                break
            if current_id == block_id:
                current = None
                break
            current = current.parent
        if current is not None:
            continue
        read.add(node_id)
        text = node_text(node)
        if len(text) > len(best):
            best = text
    spend(1 + steps)
    return best


def _basic_results_in(container: LexborNode, features: set[str]) -> list[Placed]:
    """Layouts without headings (basic HTML, 2018 mobile): one block per result, its first link.

    A result block opens with its link (title and URL inside); packs such as top stories open
    with a header and bury their links deeper, and site links follow the first link.
    """
    results: list[Placed] = []
    for block in _blocks_of(container):
        if len(results) >= _MAX_RESULTS:
            break
        spend(1)
        anchor = _first_text_link(block)
        if anchor is None or _depth_below(anchor, block) > _BASIC_LINK_DEPTH:
            continue
        title = _basic_title(anchor)
        if not title:
            continue
        url = clean_result_url(anchor.attributes.get("href"), ENGINE)
        if url is None or is_engine_internal(url) or _excluded(anchor, container, features):
            continue
        result = SerpResult(
            position=len(results) + 1,
            url=url,
            title=title,
            snippet=_longest_text_outside(block, anchor),
        )
        results.append(Placed(result, block, block))
    return results


# In basic layouts a result's link sits at most this deep in its block (2018-2023 pages: 1-3).
_BASIC_LINK_DEPTH = 4


def _basic_title(anchor: LexborNode) -> str:
    """The first piece of text in the link: the title, before the displayed URL."""
    for node in anchor.css("h3, div, span"):
        text = node_text(node)
        if text:
            return text
    return node_text(anchor)


def _first_text_link(block: LexborNode) -> LexborNode | None:
    """The block's first link with text; a thumbnail link before the title does not count."""
    for anchor in block.css("a[href]"):
        if node_text(anchor):
            return anchor
    return None


def _blocks_of(container: LexborNode) -> list[LexborNode]:
    """Children of the container, looking through single-child wrappers."""
    node = container
    while True:
        children = [child for child in _element_children(node)]
        if len(children) != 1:
            return children
        node = children[0]


def _element_children(node: LexborNode) -> list[LexborNode]:
    children = []
    child = node.child
    while child is not None:
        if child.is_element_node and child.tag not in ("script", "style"):
            children.append(child)
        child = child.next
    return children


def _depth_below(node: LexborNode, top: LexborNode) -> int:
    depth = 0
    for _parent in ancestors(node, stop=top):
        depth += 1
    return depth
