"""Page features: the blocks beside the organic results (ads, top stories, videos, people also
ask, knowledge panel, local pack, site links ...), each with its kind, place and items.

Engines rename their classes every few months, so a feature is found by what stays: a heading
that names it ("Top stories", "Populārākās ziņas", "Najważniejsze artykuły" ...), or a marker
that has lasted for years (`#tads`, `related-question-pair`, `li.b_ad`). From there the block is
widened up to the largest ancestor that holds no organic result and no other feature. Items
are the block's outbound links, grouped by page, with the title, source and date shown beside.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qs, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from .images import page_of_json
from .limits import spend
from .model import FeatureItem, Notes, PageFeature, Placed
from .tree import clean_text, node_text
from .urls import clean_result_url, decode_bing_u, engine_of_host, site_of

# Headings that name a feature, lower case, in English, Latvian, Lithuanian, Polish, German,
# French. A heading names a feature when it is one of these or starts with one and a space
# ("News about coffee", "Images for coffee").
HEADING_LABELS: dict[str, tuple[str, ...]] = {
    "top_stories": (
        "top stories",
        "news",
        "news about",
        "latest news",
        "populārākās ziņas",
        "galvenās ziņas",
        "ziņas",
        "populiariausios naujienos",
        "svarbiausios naujienos",
        "pagrindinės naujienos",
        "naujienos",
        "najważniejsze artykuły",
        "najważniejsze wiadomości",
        "wiadomości",
        "schlagzeilen",
        "top-meldungen",
        "nachrichten",
        "à la une",
        "actualités",
    ),
    "videos": (
        "videos",
        "video",
        "videoklipi",
        "vaizdo įrašai",
        "filmy",
        "wideo",
        "vidéos",
    ),
    "images": (
        "images",
        "attēli",
        "vaizdai",
        "grafika",
        "obrazy",
        "bilder",
    ),
    "discussions": (
        "discussions and forums",
        "diskusijas un forumi",
        "diskusijos ir forumai",
        "dyskusje i fora",
        "diskussionen und foren",
        "discussions et forums",
    ),
    "people_also_ask": (
        "people also ask",
        "related questions",
        "citi jautā arī",
        "cilvēki jautā arī",
        "lietotāji jautā arī",
        "žmonės taip pat klausia",
        "žmonės taip pat klausė",
        "susiję klausimai",
        "podobne pytania",
        "inne pytania",
        "ludzie pytają też",
        "ähnliche fragen",
        "nutzer fragen auch",
        "autres questions posées",
        "les internautes ont également demandé",
    ),
    "local_pack": (
        "places",
        "businesses",
        "local results",
        "vietas",
        "uzņēmumi",
        "vietos",
        "įmonės",
        "miejsca",
        "firmy",
        "orte",
        "unternehmen",
        "lieux",
        "entreprises",
    ),
}
_LABEL_KIND = {label: kind for kind, labels in HEADING_LABELS.items() for label in labels}
_FIRST_WORDS = {label.split()[0] for label in _LABEL_KIND}
# Headings are short: a longer text is a result title or a sentence.
_MAX_HEADING_CHARS = 60


@dataclass(frozen=True, slots=True)
class Marker:
    """Tags, ids, classes or attributes that have marked a feature for years.

    `widen`: the marker sits on one item of the feature (a question, a video), and the
    feature is the block around it. A class ending in "*" is a prefix.
    """

    kind: str
    tags: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()
    attributes: tuple[tuple[str, str | None], ...] = ()
    widen: bool = False

    def selectors(self) -> list[str]:
        found = [*self.tags, *(f"#{name}" for name in self.ids)]
        for name in self.classes:
            found.append(f'[class^="{name[:-1]}"]' if name.endswith("*") else f".{name}")
        for name, value in self.attributes:
            found.append(f'[{name}="{value}"]' if value is not None else f"[{name}]")
        return found


_HEADING_SELECTOR = 'h2, h3, [role="heading"]'


@dataclass(frozen=True, slots=True)
class FeatureRules:
    engine: str
    markers: tuple[Marker, ...]

    @property
    def selector(self) -> str:
        """Markers and headings in one selector: the tree is walked once."""
        parts = [part for marker in self.markers for part in marker.selectors()]
        return ", ".join([*parts, _HEADING_SELECTOR])


# Each selector costs a walk over the page's elements: one marker a feature, the one that has
# lasted longest; the rest is left to headings and to the marker of the feature's container.
GOOGLE = FeatureRules(
    engine="google",
    markers=(
        Marker("ads", ids=("tads", "tadsb", "bottomads")),
        Marker("ads", classes=("commercial-unit-desktop-top", "cu-container")),
        Marker("images", ids=("imagebox_bigimages", "iur")),
        Marker("videos", tags=("video-voyager",), attributes=(("data-vid", None),), widen=True),
        Marker("people_also_ask", classes=("related-question-pair",), widen=True),
        Marker("knowledge_panel", classes=("kp-wholepage", "kno-kp")),
        Marker("local_pack", ids=("lu_map",), classes=("rllt__details",), widen=True),
    ),
)
BING = FeatureRules(
    engine="bing",
    markers=(
        Marker("ads", ids=("sb_adsW", "sb_adsN"), classes=("b_ad", "sb_adsW", "sb_adsWv2")),
        Marker("top_stories", ids=("ans_nws",), classes=("b_nwsAns", "na_cnt"), widen=True),
        Marker("videos", ids=("ans_vid",), classes=("b_vidAns", "mc_vtvc"), widen=True),
        Marker("images", ids=("ans_img",), classes=("b_imgAns",), widen=True),
        Marker(
            "people_also_ask",
            ids=("relatedQnAListDisplay",),
            classes=("df_qntext", "df_alsoAsk"),
            widen=True,
        ),
        Marker("knowledge_panel", classes=("b_entityTP",), widen=True),
        Marker("local_pack", ids=("lMapContainer",), classes=("b_localAns",), widen=True),
    ),
)
BRAVE = FeatureRules(
    engine="brave",
    markers=(
        Marker("top_stories", ids=("news",), attributes=(("data-type", "news"),)),
        Marker("videos", ids=("videos",), attributes=(("data-type", "videos"),)),
        Marker("images", ids=("images",), attributes=(("data-type", "images"),)),
        Marker("discussions", ids=("discussions",), attributes=(("data-type", "discussions"),)),
        Marker("people_also_ask", ids=("faq",), attributes=(("data-type", "faq"),)),
        Marker("knowledge_panel", ids=("infobox",), classes=("infobox*",)),
        Marker("ads", attributes=(("data-type", "ad"),)),
    ),
)
DUCKDUCKGO = FeatureRules(engine="duckduckgo", markers=())
RULES = {rules.engine: rules for rules in (GOOGLE, BING, BRAVE, DUCKDUCKGO)}

# Blocks a feature is never widened into: the results column and the page's main panes.
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
_MAX_ITEMS = 30
_MAX_TITLE_CHARS = 300

# Hosts that are never an item's page: caches, translators, ad servers, the engines' images.
_NOT_OUTBOUND = (
    "googleusercontent.com",
    "googleadservices.com",
    "doubleclick.net",
    "gstatic.com",
    "bingj.com",
    "microsofttranslator.com",
    "bing.net",
)

_DATE = re.compile(
    r"(\b\d{1,2}\s*(?:min|mins|minutes?|h|hr|hrs|hours?|d|days?|w|weeks?|mo|months?|y|years?)"
    r"\.?\s+ago\b)"
    r"|(\bpirms\s+\d+\s+\w+\.?)"
    r"|(\bprieš\s+\d+\s+\w+\.?)"
    r"|(\b\d+\s+\w+\.?\s+temu\b)"
    r"|(\b(?:vor|il y a)\s+\d+\s+\w+)"
    r"|(\b\d{1,2}[./-]\d{1,2}[./-](?:19|20)\d{2}\b)"
    r"|(\b(?:19|20)\d{2}-\d{2}-\d{2}\b)"
    r"|(\b\d{1,2}\.?\s+[A-Za-zāčēģīķļņšūžąęėįųłńóśźż]{3,}\.?\s+(?:19|20)\d{2}\b)"
    r"|(\b[A-Z][a-z]{2,8}\.?\s+\d{1,2},\s+(?:19|20)\d{2}\b)",
    re.IGNORECASE,
)


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
    index = _index_of(rules)
    nodes = tree.css(_selector_of(rules))
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
        if not text or len(text) > _MAX_HEADING_CHARS * 2:
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


@lru_cache(maxsize=8)
def _selector_of(rules: FeatureRules) -> str:
    return rules.selector


@dataclass(frozen=True, slots=True)
class _MarkerIndex:
    """The markers of an engine by tag, id, class and attribute, for one look-up per node."""

    tags: dict[str, Marker]
    ids: dict[str, Marker]
    classes: dict[str, Marker]
    prefixes: tuple[tuple[str, Marker], ...]
    attributes: tuple[tuple[str, str | None, Marker], ...]

    def marker_of(self, tag: str, attributes: dict[str, str | None]) -> Marker | None:
        if tag in self.tags:
            return self.tags[tag]
        node_id = attributes.get("id")
        if node_id and node_id in self.ids:
            return self.ids[node_id]
        names = attributes.get("class")
        if names:
            for name in names.split():
                if name in self.classes:
                    return self.classes[name]
                for prefix, marker in self.prefixes:
                    if name.startswith(prefix):
                        return marker
        for name, value, marker in self.attributes:
            if name in attributes and (value is None or attributes.get(name) == value):
                return marker
        return None


@lru_cache(maxsize=8)
def _index_of(rules: FeatureRules) -> _MarkerIndex:
    tags: dict[str, Marker] = {}
    ids: dict[str, Marker] = {}
    names: dict[str, Marker] = {}
    prefixes: list[tuple[str, Marker]] = []
    attributes: list[tuple[str, str | None, Marker]] = []
    for marker in rules.markers:
        tags.update(dict.fromkeys(marker.tags, marker))
        ids.update(dict.fromkeys(marker.ids, marker))
        for name in marker.classes:
            if name.endswith("*"):
                prefixes.append((name[:-1], marker))
            else:
                names[name] = marker
        attributes.extend((name, value, marker) for name, value in marker.attributes)
    return _MarkerIndex(tags, ids, names, tuple(prefixes), tuple(attributes))


def heading_kind(text: str) -> str | None:
    """The feature a heading names, if any."""
    if len(text) > _MAX_HEADING_CHARS * 2:
        return None
    words = text.lower().split()
    # Most texts asked about are not headings: their first word starts no label.
    if not words or words[0].rstrip(":›»…") not in _FIRST_WORDS:
        return None
    label = " ".join(words).rstrip(" :›»…").replace("\u200e", "").replace("\u200b", "")
    if not label or len(label) > _MAX_HEADING_CHARS:
        return None
    kind = _LABEL_KIND.get(label)
    if kind is not None:
        return kind
    words = label.split(" ")
    # "News about coffee", "Images for coffee", "Videos of coffee": the label, then the query.
    for size in (3, 2, 1):
        if len(words) > size:
            kind = _LABEL_KIND.get(" ".join(words[:size]))
            if kind is not None and words[size] in _QUERY_JOINERS:
                return kind
    return None


_QUERY_JOINERS = {"about", "for", "of", "on", "zu", "für", "pour", "de", "dla", "par", "apie"}


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
    return _outbound(anchor.attributes.get("href"), engine) is not None


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
            links = _sitelinks(placed[value], engine, organic_urls)
            if links:
                position += 1
                features.append(PageFeature("sitelinks", position, links))
            continue
        if not isinstance(value, _Candidate):
            continue
        items = _items(value.node, value.kind, engine, query)
        if value.kind == "ads" and not items and not _has_text_link(value.node):
            # Engines keep empty ad slots in every page.
            continue
        last = features[-1] if features else None
        if previous_was_feature and last is not None and last.kind == value.kind:
            # One feature drawn as several blocks (ads above and below a pack, one per card).
            known = {item.url for item in last.items}
            last.items.extend(item for item in items if item.url is None or item.url not in known)
            del last.items[_MAX_ITEMS:]
            continue
        if len(features) >= _MAX_FEATURES:
            break
        position += 1
        previous_was_feature = True
        features.append(PageFeature(value.kind, position, items))
    return features


def _sitelinks(item: Placed, engine: str, organic_urls: set[str]) -> list[FeatureItem]:
    """Links to the result's own site shown in its block (site links, deep links)."""
    site = site_of(item.result.url)
    if not site or '"' in site or "\\" in site:
        return []
    links: list[FeatureItem] = []
    seen: set[str] = set()
    # Only links naming the site can be its site links (Bing's redirects encode the name).
    anchors = item.block.css("a[href]" if engine == "bing" else f'a[href*="{site}"]')
    spend(1 + len(anchors))
    for anchor in anchors[:_MAX_ITEMS]:
        href = anchor.attrs.get("href") or ""
        # Cheap first: a link to the site names it, unless Bing's redirect encodes it.
        if site not in href and "/ck/a" not in href:
            continue
        url = _outbound(href, engine)
        if url is None or url in seen or url in organic_urls or site_of(url) != site:
            continue
        title = node_text(anchor)
        # A snippet drawn as a link (DuckDuckGo) is no site link.
        if not title or title == item.result.snippet:
            continue
        seen.add(url)
        links.append(FeatureItem(url, title[:_MAX_TITLE_CHARS]))
    return links


@lru_cache(maxsize=4096)
def _outbound(href: str | None, engine: str) -> str | None:
    """An outbound page (redirects removed), or None for the engine's own and service links."""
    url = clean_result_url(href, engine)
    if url is None:
        return None
    host = (urlsplit(url).hostname or "").lower()
    if engine_of_host(host) is not None or host.endswith(_NOT_OUTBOUND):
        return None
    return url


def _items(container: LexborNode, kind: str, engine: str, query: str) -> list[FeatureItem]:
    if kind == "people_also_ask":
        questions = _questions(container, engine, query)
        if questions:
            return questions
    if kind == "ads":
        return _ads(container, engine)
    items = _linked_items(container, engine)
    if not items and kind == "local_pack":
        return _named_items(container)
    return items


def _named_items(container: LexborNode) -> list[FeatureItem]:
    """Entries shown by name only (places without a website): the headings inside."""
    items: list[FeatureItem] = []
    nodes = container.css(".dbg0pd, .rllt__details > div:first-child") or container.css(
        '[role="heading"], h3, h4'
    )
    spend(1 + len(nodes))
    seen: set[str] = set()
    for node in nodes[:_MAX_ITEMS]:
        name = node_text(node)
        if name and name not in seen and heading_kind(name) is None:
            seen.add(name)
            items.append(FeatureItem(None, name[:_MAX_TITLE_CHARS]))
    return items


def _linked_items(container: LexborNode, engine: str) -> list[FeatureItem]:
    """One item per outbound page linked in the block, in order."""
    links = container.css("a[href], [m], [vrhm], div.rg_meta, [data-lpage]")
    spend(1 + len(links))
    pages: dict[str, list[LexborNode]] = {}
    titles: dict[str, str] = {}
    for link in links[: _MAX_ITEMS * 4]:
        attributes = link.attributes
        url = None
        raw = attributes.get("m") or attributes.get("vrhm")
        if link.tag == "div" and "rg_meta" in (attributes.get("class") or ""):
            # Google's image packs (2014-2019): the page is in the cell's JSON, not its link.
            raw = link.text()
        elif attributes.get("data-lpage"):
            raw = json.dumps({"lpage": attributes.get("data-lpage")})
        if raw:
            found = page_of_json(raw, engine)
            if found is not None:
                url, titles[found[0]] = found[0], found[1]
        if url is None and link.tag == "a":
            url = _outbound(attributes.get("href"), engine)
        if url is None:
            continue
        if url not in pages and len(pages) >= _MAX_ITEMS:
            break
        pages.setdefault(url, []).append(link)
    urls_under = _urls_under(pages, container)
    items = []
    for url, nodes in pages.items():
        block = _item_block(nodes[0], container, url, urls_under)
        items.append(_describe(url, nodes, block, titles.get(url, "")))
    return items


def _urls_under(pages: dict[str, list[LexborNode]], container: LexborNode) -> dict[int, set[str]]:
    """For every element between a link and the feature's block, the pages linked below it."""
    under: dict[int, set[str]] = {}
    container_id = container.mem_id
    steps = 0
    for url, nodes in pages.items():
        for node in nodes:
            current = node.parent
            while current is not None and current.mem_id != container_id and steps < 4_000:
                steps += 1
                under.setdefault(current.mem_id, set()).add(url)
                current = current.parent
    spend(1 + steps)
    return under


def _item_block(
    node: LexborNode, container: LexborNode, url: str, urls_under: dict[int, set[str]]
) -> LexborNode:
    """The largest ancestor of a link, inside the feature, that links to no other page."""
    block = node
    current = node.parent
    for _level in range(6):
        if current is None or urls_under.get(current.mem_id, {url}) != {url}:
            break
        if current.mem_id == container.mem_id:
            break
        block = current
        current = current.parent
    return block


def _describe(url: str, links: list[LexborNode], block: LexborNode, title: str) -> FeatureItem:
    """An item's title, source and date from its block."""
    if not title:
        # The item's own heading; a lone item's block can reach up to the feature's heading.
        for heading in block.css('[role="heading"], h3, h4, h2, .title, [class*="title"]')[:4]:
            text = node_text(heading)
            if text and heading_kind(text) is None:
                title = text
                break
    if not title:
        title = max((node_text(link) for link in links), key=len, default="")
    if not title:
        for link in links:
            title = clean_text(link.attributes.get("title") or link.attributes.get("aria-label"))
            if title:
                break
    if not title:
        image = block.css_first("img[alt]")
        title = clean_text(image.attributes.get("alt")) if image is not None else ""
    pieces = [piece for piece in _text_pieces(block) if heading_kind(piece) is None]
    date = next((piece for piece in pieces if _DATE.search(piece)), "")
    date_match = _DATE.search(date) if date else None
    cite = block.css_first("cite")
    source = node_text(cite).split(" › ")[0] if cite is not None else ""
    if not source:
        source = next(
            (
                piece
                for piece in pieces
                if piece != date
                and piece not in title
                and 2 <= len(piece) <= 60
                and not piece.isdigit()
                and piece not in _SEPARATORS
            ),
            "",
        )
    return FeatureItem(
        url=url,
        title=title[:_MAX_TITLE_CHARS],
        source=source.strip(" ·-|"),
        date=date_match.group(0) if date_match else "",
    )


_SEPARATORS = {"·", "-", "|", "•", "›"}
_MAX_PIECES = 16


def _text_pieces(block: LexborNode) -> list[str]:
    pieces: list[str] = []
    visited = 0
    for node in block.traverse(include_text=True):
        visited += 1
        if not node.is_text_node:
            continue
        parent = node.parent
        if parent is not None and parent.tag in ("script", "style"):
            continue
        text = clean_text(node.text_content)
        if text:
            pieces.append(text)
            if len(pieces) >= _MAX_PIECES:
                break
    spend(1 + visited)
    return pieces


def _questions(container: LexborNode, engine: str, query: str) -> list[FeatureItem]:
    """People-also-ask questions: the question, and the page its answer quotes when shown."""
    nodes = container.css(_QUESTION_SELECTOR)
    spend(1 + len(nodes))
    items: list[FeatureItem] = []
    seen: set[str] = set()
    for node in nodes[:_MAX_ITEMS]:
        question = clean_text(node.attributes.get("data-q") or node.attributes.get("data-initq"))
        if not question:
            heading = node.css_first('[role="heading"], [role="button"], span')
            question = node_text(heading) if heading is not None else node_text(node)
        question = question[:_MAX_TITLE_CHARS]
        if not question or question in seen or question.lower() == query:
            continue
        seen.add(question)
        url = None
        for anchor in node.css("a[href]"):
            url = _outbound(anchor.attributes.get("href"), engine)
            if url:
                break
        cite = node.css_first("cite")
        source = node_text(cite).split(" › ")[0] if cite is not None and url else ""
        items.append(FeatureItem(url, question, source))
    return items


# One question each (Google 2015+, Bing 2016-2019, Bing 2020+), then any expandable question.
_QUESTION_SELECTOR = (
    '[data-q], .related-question-pair, .df_qntext, .df_alsoAsk, [role="button"][aria-expanded]'
)


def _ads(container: LexborNode, engine: str) -> list[FeatureItem]:
    """Ads: the advertiser's page behind the ad server's click link."""
    items: list[FeatureItem] = []
    seen: set[str] = set()
    anchors = container.css("a[href]")
    spend(1 + len(anchors))
    for anchor in anchors[: _MAX_ITEMS * 4]:
        title = node_text(anchor)
        if not title:
            continue
        url = _ad_target(anchor, engine) or _displayed_url(anchor, container)
        if url is None or url in seen:
            continue
        seen.add(url)
        heading = anchor.css_first('[role="heading"], h3, h2')
        if heading is not None:
            title = node_text(heading) or title
        items.append(FeatureItem(url, title[:_MAX_TITLE_CHARS], site_of(url)))
        if len(items) >= _MAX_ITEMS:
            break
    return items


_DISPLAYED_URL = re.compile(r"^(https?://)?((?:[a-z0-9-]+\.)+[a-z]{2,})(/\S*)?$", re.IGNORECASE)


def _displayed_url(anchor: LexborNode, container: LexborNode) -> str | None:
    """An ad whose click link hides its target still shows the advertiser's address."""
    current: LexborNode | None = anchor
    for _level in range(4):
        if current is None:
            break
        cite = current.css_first("cite")
        if cite is not None:
            text = node_text(cite).split(" › ")[0].split(" ")[0]
            match = _DISPLAYED_URL.match(text)
            if match:
                return text if match.group(1) else f"https://{text}"
        if current.mem_id == container.mem_id:
            break
        current = current.parent
    return None


def _has_text_link(container: LexborNode) -> bool:
    return any(node_text(anchor) for anchor in container.css("a[href]")[:_MAX_ITEMS])


def _ad_target(anchor: LexborNode, engine: str) -> str | None:
    attributes = anchor.attributes
    url = _ad_from_href(attributes.get("href") or "", engine)
    if url:
        return url
    for name in ("data-pcu", "data-rw"):
        url = _outbound((attributes.get(name) or "").split(",")[0], engine)
        if url:
            return url
    return None


def _ad_from_href(href: str, engine: str, depth: int = 0) -> str | None:
    """The advertiser's page inside an ad click link (which may wrap another ad click)."""
    try:
        params = parse_qs(urlsplit(href).query)
    except ValueError:
        params = {}
    # Google (adurl), DuckDuckGo (u3, itself often a Bing click), Brave (click_url).
    for name in ("adurl", "u3", "url", "q", "click_url"):
        for value in params.get(name, []):
            url = _outbound(value, engine)
            if url is None and depth < 2:
                url = _ad_from_href(value, engine, depth + 1)
            if url:
                return url
    for value in params.get("u", []):
        # Bing's ad clicks carry the target as URL-safe base64, with or without the "a1".
        decoded = decode_bing_u(value if value.startswith("a1") else "a1" + value)
        url = _outbound(decoded, engine) if decoded else None
        if url:
            return url
    return _outbound(href, engine)
