"""The card a network shows for a link: the page's Open Graph title, description, image and site
name (Twitter card tags, then <title> and the meta description, where it has none).

Fetched through the outbound guard with a timeout and a size cap, and kept in the process for
a while so typing in the composer does not fetch a page on every key.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from core.outbound import OutboundBlocked, guarded_session

MAX_BYTES = 512 * 1024  # the head of a page is enough; the body of a large one is not read
KEPT_SECONDS = 600
KEPT_CARDS = 256
USER_AGENT = "PageOne link preview (+https://github.com/pageone)"


@dataclass(frozen=True)
class LinkCard:
    url: str
    domain: str
    title: str | None = None
    description: str | None = None
    image: str | None = None
    site_name: str | None = None
    problem: str | None = None  # why there is no card (the page could not be read)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_kept: OrderedDict[str, tuple[float, LinkCard]] = OrderedDict()
_lock = threading.Lock()


def _domain(url: str) -> str:
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.")


def _meta(tree: HTMLParser, *names: str) -> str | None:
    for name in names:
        for attribute in ("property", "name"):
            node = tree.css_first(f'meta[{attribute}="{name}"]')
            content = (node.attributes.get("content") or "").strip() if node else ""
            if content:
                return " ".join(content.split())
    return None


def card_from_html(url: str, html: str) -> LinkCard:
    """The card a page's head describes; ``url`` resolves a relative image address."""
    tree = HTMLParser(html)
    title = _meta(tree, "og:title", "twitter:title")
    if title is None:
        node = tree.css_first("title")
        title = " ".join(node.text().split()) if node and node.text().strip() else None
    image = _meta(tree, "og:image:secure_url", "og:image", "twitter:image", "twitter:image:src")
    if image:
        image = urljoin(url, image)
        if urlsplit(image).scheme not in ("http", "https"):
            image = None
    return LinkCard(
        url=url,
        domain=_domain(url),
        title=title[:300] if title else None,
        description=(_meta(tree, "og:description", "twitter:description", "description") or "")[
            :500
        ]
        or None,
        image=image,
        site_name=_meta(tree, "og:site_name"),
    )


def fetch_card(url: str, config: Mapping[str, Any], *, now: float | None = None) -> LinkCard:
    """The link's card, from the page or from what was kept; a page that cannot be read gives a
    card with only the domain and the reason."""
    moment = time.monotonic() if now is None else now
    with _lock:
        kept = _kept.get(url)
        if kept is not None and moment - kept[0] < KEPT_SECONDS:
            _kept.move_to_end(url)
            return kept[1]
    card = _read(url, config)
    with _lock:
        _kept[url] = (moment, card)
        while len(_kept) > KEPT_CARDS:
            _kept.popitem(last=False)
    return card


def forget_cards() -> None:
    with _lock:
        _kept.clear()


def _head_of(response: requests.Response) -> bytes:
    """The first ``MAX_BYTES`` of the page: its head, where the card's tags are."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(64 * 1024):
        chunks.append(chunk)
        size += len(chunk)
        if size >= MAX_BYTES:
            break
    return b"".join(chunks)[:MAX_BYTES]


def _read(url: str, config: Mapping[str, Any]) -> LinkCard:
    seconds = float(config.get("LINK_PREVIEW_TIMEOUT") or 5)
    try:
        with guarded_session(allow_private=bool(config.get("OUTBOUND_ALLOW_PRIVATE"))) as http:
            response = http.get(
                url,
                headers={"User-Agent": USER_AGENT, "Accept": "text/html,application/xhtml+xml"},
                timeout=(seconds, seconds),
                stream=True,
                allow_redirects=True,
            )
            with response:
                if not response.ok:
                    return LinkCard(
                        url, _domain(url), problem=f"the page answered {response.status_code}"
                    )
                kind = response.headers.get("Content-Type", "")
                if "html" not in kind.lower():
                    return LinkCard(url, _domain(url), problem="the link is not a web page")
                body = _head_of(response)
                charset = response.encoding or "utf-8"
    except OutboundBlocked as exc:
        return LinkCard(url, _domain(url), problem=f"the address cannot be fetched ({exc})")
    except requests.RequestException:
        return LinkCard(url, _domain(url), problem="the page could not be reached")
    try:
        html = body.decode(charset, errors="replace")
    except LookupError:
        html = body.decode("utf-8", errors="replace")
    return card_from_html(response.url or url, html)
