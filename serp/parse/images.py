"""Image-search result pages (Bing and Google): the result is the page an image stands on.

Both engines have changed their image grids many times since 2009, but every layout carries
the page's address in one of a few forms, and those forms are what is read, not class names:

- a link through the engine's image viewer with the page as a parameter
  (Google `/imgres?imgurl=…&imgrefurl=<page>`, 2009-2019);
- a JSON or JavaScript-object attribute or element holding the page
  (Bing `m="{…purl:…}"` 2016+ and `m="{…surl:…}"` 2010-2015, Google `div.rg_meta {"ru":…}`
  2014-2019, Google `data-lpage`);
- a direct link to the page inside a numbered grid item (Google `[data-ri]`, 2019-2022).
"""

from __future__ import annotations

import json
import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

from .limits import spend
from .model import Placed, SerpResult
from .tree import clean_text, contains, node_text
from .urls import clean_result_url, is_engine_internal, site_of

_MAX_RESULTS = 300
# An image grid shows dozens of images (20 to 100); a web page's image pack at most 16,
# beside its ten web results, and a mobile page's pack beside as few as three.
_MIN_IMAGES = 3
_GRID_IMAGES = 20
# Headings a grid page's own chrome may give the web parser; past this it is a web page.
MAX_WEB_ON_IMAGE_PAGE = 5

# Keys naming the page an image stands on, and its title, in the engines' JSON attributes.
_PAGE_KEYS = ("purl", "surl", "ru", "pgurl", "lpage")
_TITLE_KEYS = ("t", "pt", "tt", "t1", "vt")
_SOURCE_KEYS = ("st", "isu", "s")
# Lenient: Bing's older attributes are JavaScript objects with unquoted keys.
_KEY_VALUE = re.compile(r'"?\b(\w+)"?\s*:\s*"((?:[^"\\]|\\.)*)"')

_SELECTORS = {
    "bing": "a[m], div[m], [vrhm]",
    "google": 'a[href*="imgrefurl="], div.rg_meta, [data-lpage], [data-ri] a[href]',
}


def image_results(tree: LexborHTMLParser, engine: str) -> list[Placed]:
    """The pages the images of an image-search page stand on, in page order."""
    selector = _SELECTORS.get(engine)
    if selector is None:
        return []
    nodes = tree.css(selector)
    spend(1 + len(nodes))
    results: list[Placed] = []
    taken_blocks: list[LexborNode] = []
    for node in nodes:
        if len(results) >= _MAX_RESULTS:
            break
        found = _read(node, engine)
        if found is None:
            continue
        url, title, source = found
        block = _image_block(node)
        # One image shows its page in several forms (a link and a JSON twin): read it once.
        if taken_blocks and contains(taken_blocks[-1], node):
            continue
        taken_blocks.append(block)
        result = SerpResult(
            position=len(results) + 1,
            url=url,
            title=title or source or site_of(url),
            snippet=source,
        )
        results.append(Placed(result, block, block))
    return results


def is_image_page(images: int, web_results: int) -> bool:
    """Whether a page with these counts is an image-search page rather than a web page."""
    if images < _MIN_IMAGES or web_results >= MAX_WEB_ON_IMAGE_PAGE:
        return False
    return web_results < _MIN_IMAGES or (images >= _GRID_IMAGES and images > 4 * web_results)


def json_fields(raw: str | None) -> dict[str, str]:
    """Key-value pairs of a JSON (or JavaScript-object) attribute, strings only."""
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    if isinstance(data, dict):
        return {str(k): v for k, v in data.items() if isinstance(v, str)}
    fields = {}
    for key, value in _KEY_VALUE.findall(raw):
        fields.setdefault(key, value.replace('\\"', '"').replace("\\/", "/"))
    return fields


def page_of_json(raw: str | None, engine: str) -> tuple[str, str, str] | None:
    """The page, title and source named in a JSON attribute, if it names an outbound page."""
    fields = json_fields(raw)
    for key in _PAGE_KEYS:
        url = clean_result_url(fields.get(key), engine)
        if url and not is_engine_internal(url):
            title = next((fields[k] for k in _TITLE_KEYS if fields.get(k)), "")
            source = next((fields[k] for k in _SOURCE_KEYS if fields.get(k)), "")
            return url, _plain(title), _plain(source)
    return None


def _read(node: LexborNode, engine: str) -> tuple[str, str, str] | None:
    attributes = node.attributes
    for name in ("m", "vrhm"):
        if attributes.get(name):
            found = page_of_json(attributes.get(name), engine)
            if found is not None and not found[1]:
                # 2010-2015 grids put the title beside the JSON (t1), or on the link.
                title = clean_text(attributes.get("t1")) or _title_near(node)
                found = (found[0], title, found[2])
            return found
    if node.tag == "div" and "rg_meta" in (attributes.get("class") or ""):
        return page_of_json(node.text(), engine)
    if attributes.get("data-lpage"):
        url = clean_result_url(attributes.get("data-lpage"), engine)
        if url and not is_engine_internal(url):
            return url, _title_near(node), ""
        return None
    url = clean_result_url(attributes.get("href"), engine)
    if url is None or is_engine_internal(url):
        return None
    if engine == "google" and site_of(url) in ("google.com", "gstatic.com"):
        return None
    if "imgrefurl=" not in (attributes.get("href") or ""):
        return url, _title_near(node), ""
    # A link through the image viewer holds only the thumbnail: the title is beside it,
    # in the cell's JSON (2014-2019) or as the cell's first line of text (2009-2013).
    block = _image_block(node)
    meta = block.css_first("div.rg_meta")
    found = page_of_json(meta.text(), engine) if meta is not None else None
    if found is not None and found[1]:
        return url, found[1], found[2]
    return url, _first_text_outside(block, node) or _title_near(node), ""


def _title_near(node: LexborNode) -> str:
    for name in ("title", "aria-label"):
        value = clean_text(node.attributes.get(name))
        if value:
            return value
    text = node_text(node)
    if text:
        return text
    image = node.css_first("img[alt]")
    return clean_text(image.attributes.get("alt")) if image is not None else ""


def _first_text_outside(block: LexborNode, link: LexborNode) -> str:
    """The cell's first line of text outside the link (up to a line break)."""
    visited = 0
    line: list[str] = []
    for node in block.traverse(include_text=True):
        visited += 1
        if visited > _MAX_VISITS or (line and node.tag in ("br", "div", "p")):
            break
        if node.is_text_node and not contains(link, node):
            text = node.text_content
            if text and (line or text.strip()):
                line.append(text)
    spend(visited)
    return clean_text("".join(line))


_MAX_VISITS = 200


def _image_block(node: LexborNode) -> LexborNode:
    """The grid cell of an image: its `[data-ri]` item, `td`, or the node's parent."""
    current: LexborNode | None = node
    for _level in range(4):
        if current is None:
            break
        attributes = current.attributes
        if "data-ri" in attributes or current.tag == "td" or "data-id" in attributes:
            return current
        current = current.parent
    return node.parent or node


def _plain(text: str) -> str:
    # Bing marks the query's words with private-use characters in titles.
    return clean_text(text.replace("\ue000", "").replace("\ue001", ""))
