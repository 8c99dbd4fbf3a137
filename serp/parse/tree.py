"""Small helpers over the selectolax (Lexbor) tree used by every engine parser."""

from __future__ import annotations

from collections.abc import Iterator

from selectolax.lexbor import LexborHTMLParser, LexborNode

from .limits import spend


def parse_html(html: str | bytes) -> LexborHTMLParser:
    """The page's tree, from its text or its UTF-8 bytes."""
    return LexborHTMLParser(html)


def clean_text(value: str | None) -> str:
    """Collapse whitespace (including the non-breaking and zero-width marks engines insert)."""
    if not value:
        return ""
    value = value.replace("\u200e", "").replace("\u200f", "").replace("\u200b", "")
    # str.split() splits on what the regex \s matches (str.isspace) and drops the ends: the
    # same as replacing every run of white space by one space and stripping, several times faster.
    return " ".join(value.split())


def node_text(node: LexborNode | None) -> str:
    if node is None:
        return ""
    text = node.text(separator=" ")
    # Reading a node's text costs its whole subtree: charged by the characters read.
    spend(1 + len(text) // 64)
    return clean_text(text)


def classes(node: LexborNode) -> set[str]:
    value = node.attributes.get("class")
    return set(value.split()) if value else set()


def ancestors(node: LexborNode, stop: LexborNode | None = None) -> Iterator[LexborNode]:
    """Element ancestors of `node`, nearest first, up to (not including) `stop`."""
    stop_id = stop.mem_id if stop is not None else None
    current = node.parent
    while current is not None and current.mem_id != stop_id:
        if current.tag == "-document":
            return
        yield current
        current = current.parent


def contains(outer: LexborNode, inner: LexborNode) -> bool:
    """Whether `inner` is `outer` or lies inside it."""
    outer_id = outer.mem_id
    current: LexborNode | None = inner
    while current is not None:
        if current.mem_id == outer_id:
            return True
        current = current.parent
    return False


def first_css(root: LexborNode | LexborHTMLParser, selectors: tuple[str, ...]) -> LexborNode | None:
    """The first node matched by the first selector that matches anything."""
    for selector in selectors:
        node = root.css_first(selector)
        if node is not None:
            return node
    return None
