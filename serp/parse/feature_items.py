"""The items of a page feature: the outbound pages it links, with the title, source and date
shown beside each; questions; ads behind their click links; a result's site links."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

from selectolax.lexbor import LexborNode

from .feature_rules import heading_kind
from .images import page_of_json
from .limits import spend
from .model import FeatureItem, Placed
from .tree import clean_text, node_text
from .urls import cleaned_url, decode_bing_u, engine_of_host, site_of, site_of_host

MAX_ITEMS = 30
_MAX_TITLE_CHARS = 300

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

# Every form of date above holds a digit, and most texts hold none: one search for a digit
# (any the regex's \d matches) rules them out faster than trying each form at each place.
_DIGIT = re.compile(r"\d")


def _date_in(text: str) -> re.Match[str] | None:
    return _DATE.search(text) if _DIGIT.search(text) else None


def sitelinks(item: Placed, engine: str, organic_urls: set[str]) -> list[FeatureItem]:
    """Links to the result's own site shown in its block (site links, deep links)."""
    site = site_of(item.result.url)
    if not site or '"' in site or "\\" in site:
        return []
    links: list[FeatureItem] = []
    seen: set[str] = set()
    # Only links naming the site can be its site links (Bing's redirects encode the name).
    anchors = item.block.css("a[href]" if engine == "bing" else f'a[href*="{site}"]')
    spend(1 + len(anchors))
    for anchor in anchors[:MAX_ITEMS]:
        href = anchor.attrs.get("href") or ""
        # Cheap first: a link to the site names it, unless Bing's redirect encodes it.
        if href == item.result.url or (site not in href and "/ck/a" not in href):
            continue
        found = outbound_and_host(href, engine)
        if found is None:
            continue
        url, host = found
        if url in seen or url in organic_urls or site_of_host(host) != site:
            continue
        title = node_text(anchor)
        # A snippet drawn as a link (DuckDuckGo) is no site link.
        if not title or title == item.result.snippet:
            continue
        seen.add(url)
        links.append(FeatureItem(url, title[:_MAX_TITLE_CHARS]))
    return links


# Paths of the engines' redirect wrappers (and "//host/…" links, which are absolute).
_WRAPPER_PATHS = ("//", "/url", "/interstitial", "/imgres", "/ck/a", "/l/", "/a/redirect", "/aclk")


def outbound(href: str | None, engine: str) -> str | None:
    """An outbound page (redirects removed), or None for the engine's own and service links."""
    found = outbound_and_host(href, engine)
    return found[0] if found is not None else None


def outbound_and_host(href: str | None, engine: str) -> tuple[str, str] | None:
    """`outbound`, with the page's host name (lower case)."""
    if not href or (href.startswith("/") and not href.startswith(_WRAPPER_PATHS)):
        # A path on the engine's own host that wraps no other address: its navigation.
        return None
    cleaned = cleaned_url(href, engine)
    if cleaned is None:
        return None
    url, host = cleaned[0], cleaned[1].lower()
    if engine_of_host(host) is not None or host.endswith(_NOT_OUTBOUND):
        return None
    return url, host


def items_of(container: LexborNode, kind: str, engine: str, query: str) -> list[FeatureItem]:
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
    for node in nodes[:MAX_ITEMS]:
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
    for link in links[: MAX_ITEMS * 4]:
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
            url = outbound(attributes.get("href"), engine)
        if url is None:
            continue
        if url not in pages and len(pages) >= MAX_ITEMS:
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
    date_match = next(filter(None, map(_date_in, pieces)), None)
    date = date_match.string if date_match else ""
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
    for node in nodes[:MAX_ITEMS]:
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
            url = outbound(anchor.attributes.get("href"), engine)
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
    for anchor in anchors[: MAX_ITEMS * 4]:
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
        if len(items) >= MAX_ITEMS:
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


def has_text_link(container: LexborNode) -> bool:
    return any(node_text(anchor) for anchor in container.css("a[href]")[:MAX_ITEMS])


def _ad_target(anchor: LexborNode, engine: str) -> str | None:
    attributes = anchor.attributes
    url = _ad_from_href(attributes.get("href") or "", engine)
    if url:
        return url
    for name in ("data-pcu", "data-rw"):
        url = outbound((attributes.get(name) or "").split(",")[0], engine)
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
            url = outbound(value, engine)
            if url is None and depth < 2:
                url = _ad_from_href(value, engine, depth + 1)
            if url:
                return url
    for value in params.get("u", []):
        # Bing's ad clicks carry the target as URL-safe base64, with or without the "a1".
        decoded = decode_bing_u(value if value.startswith("a1") else "a1" + value)
        url = outbound(decoded, engine) if decoded else None
        if url:
            return url
    return outbound(href, engine)
