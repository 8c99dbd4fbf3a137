"""Redirect unwrapping and URL clean-up shared by the engine parsers."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from urllib.parse import SplitResult, parse_qs, urljoin, urlsplit

ENGINE_HOMES = {
    "google": "https://www.google.com/",
    "bing": "https://www.bing.com/",
    "duckduckgo": "https://duckduckgo.com/",
    "brave": "https://search.brave.com/",
    "unknown": "https://example.invalid/",
}

_GOOGLE_HOST = re.compile(r"(?:^|\.)google\.(?:[a-z]{2,3})(?:\.[a-z]{2})?$")
_BING_HOST = re.compile(r"(?:^|\.)bing\.com$")
_DDG_HOST = re.compile(r"(?:^|\.)duckduckgo\.com$")
_BRAVE_HOST = re.compile(r"(?:^|\.)search\.brave\.com$")

# Paths on an engine's own host that are its navigation, never a result about the query.
_INTERNAL_PATHS = {
    "google": (
        "/search",
        "/url",
        "/aclk",
        "/imgres",
        "/webhp",
        "/setprefs",
        "/preferences",
        "/advanced_search",
        "/sorry",
        "/httpservice",
        "/travel/",
        "/shopping",
        "/localservices",
    ),
    "bing": ("/search", "/ck/", "/images/search", "/videos/search", "/news/search", "/aclk"),
    "duckduckgo": ("/l/", "/y.js", "/html", "/lite", "/?q=", "/settings"),
    "brave": ("/search", "/images", "/news", "/videos", "/a/redirect"),
}

# A chain of redirects is short in practice; the bound only guards against loops.
_MAX_UNWRAP = 4


@lru_cache(maxsize=4096)
def engine_of_host(host: str) -> str | None:
    """The engine whose host this is, if any. Kept for the hosts last asked about: a page
    asks about a hundred links' hosts, most of them the same few."""
    host = host.lower().rstrip(".")
    if _GOOGLE_HOST.search(host):
        return "google"
    if _BING_HOST.search(host):
        return "bing"
    if _DDG_HOST.search(host):
        return "duckduckgo"
    if _BRAVE_HOST.search(host):
        return "brave"
    return None


def _first_param(query: str, *names: str) -> str | None:
    params = parse_qs(query, keep_blank_values=False)
    for name in names:
        values = params.get(name)
        if values and values[0]:
            return values[0]
    return None


def decode_bing_u(value: str) -> str | None:
    """Decode Bing's `u=` parameter: "a1" + URL-safe base64 without padding."""
    if value.startswith(("http://", "https://")):
        return value
    if not value.startswith("a1"):
        return None
    payload = value[2:]
    payload += "=" * (-len(payload) % 4)
    try:
        decoded = base64.b64decode(payload, altchars=b"-_", validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    return decoded if decoded.startswith(("http://", "https://")) else None


def split_url(url: str) -> tuple[SplitResult, str | None]:
    """`urlsplit(url)` and its `hostname`, as urllib gives them (ValueError included).

    Most links on a page are plain "http(s)://host/path?query" addresses, which are split
    here in a few string operations; urlsplit (several times slower) gets everything else:
    other schemes, upper case, the tabs and newlines it strips, brackets (IPv6) and non-ASCII
    host names (which it checks), all of which it handles in ways not repeated here.
    """
    scheme, sep, rest = url.partition("://")
    plain = _PLAIN_URL_REST.fullmatch(rest) if sep and scheme in ("https", "http") else None
    if plain is None:
        parts = urlsplit(url)
        return parts, parts.hostname
    netloc, path = plain.group(1), plain.group(2) or ""
    path, _, fragment = path.partition("#")
    path, _, query = path.partition("?")
    # SplitResult.hostname: after any user info, before any port, lower case (but a "%zone").
    hostname = netloc.rpartition("@")[2].partition(":")[0]
    if hostname:
        name, percent, zone = hostname.partition("%")
        hostname = name.lower() + percent + zone
    return SplitResult(scheme, netloc, path, query, fragment), hostname or None


# What follows "http(s)://" in an address split_url splits itself: an ASCII host part without
# brackets up to the first "/", "?" or "#", then the rest; no tab, CR or LF anywhere.
_PLAIN_URL_REST = re.compile(r"([^\t\r\n/?#\[\]\x80-\U0010ffff]*)([/?#][^\t\r\n]*)?")


def _unwrap_once(parts: SplitResult, host: str) -> tuple[bool, str | None]:
    """Whether a URL (split, with its host) is a redirect wrapper, and its target (None when
    the wrapper has none)."""
    engine = engine_of_host(host)
    path = parts.path
    if engine == "google" and path in ("/url", "/interstitial", "/imgres"):
        return True, _first_param(parts.query, "q", "url", "imgrefurl")
    if engine == "bing" and path.startswith("/ck/a"):
        raw = _first_param(parts.query, "u")
        return True, decode_bing_u(raw) if raw else None
    if engine == "duckduckgo" and path in ("/l/", "/l"):
        return True, _first_param(parts.query, "uddg")
    if engine == "brave" and path.startswith("/a/redirect"):
        return True, _first_param(parts.query, "url")
    return False, None


def _joined(base: str, href: str) -> str:
    # urljoin leaves an absolute http(s) address as it is; most links are, and it is slow.
    if href.startswith(("https://", "http://")):
        return href
    return urljoin(base, href)


def clean_result_url(href: str | None, engine: str) -> str | None:
    """An absolute http(s) URL with redirect wrappers removed, or None if unusable."""
    cleaned = cleaned_url(href, engine)
    return cleaned[0] if cleaned is not None else None


# Addresses cleaned in the running parse: a page links one page from its title, its thumbnail
# and its site links, and a third of the addresses asked about were asked about before.
_cleaned: ContextVar[dict[tuple[str | None, str], tuple[str, str] | None] | None] = ContextVar(
    "serp_parse_cleaned_urls", default=None
)


@contextmanager
def addresses_cleaned_once() -> Iterator[None]:
    """Within the block, `cleaned_url` cleans each address once (the answer never changes)."""
    token = _cleaned.set({})
    try:
        yield
    finally:
        _cleaned.reset(token)


def cleaned_url(href: str | None, engine: str) -> tuple[str, str] | None:
    """`clean_result_url` and the URL's host name (as `urlsplit` gives it: lower case), which
    callers need next and would otherwise split the URL again for."""
    known = _cleaned.get()
    if known is None:
        return _cleaned_url(href, engine)
    key = (href, engine)
    if key not in known:
        known[key] = _cleaned_url(href, engine)
    return known[key]


def _cleaned_url(href: str | None, engine: str) -> tuple[str, str] | None:
    if not href:
        return None
    href = href.strip()
    if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
        return None
    try:
        url = _joined(ENGINE_HOMES.get(engine, ENGINE_HOMES["unknown"]), href)
        # Each address in the chain is split once: to look for a wrapper, then to check it.
        parts, host = split_url(url)
        for _ in range(_MAX_UNWRAP):
            is_wrapper, target = _unwrap_once(parts, host or "")
            if not is_wrapper:
                break
            if target is None:
                return None
            url = _joined(url, target)
            parts, host = split_url(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not host:
        return None
    if host == "example.invalid":
        return None
    return url, host


def is_engine_internal(url: str) -> bool:
    """Whether `url` points back to a search engine's own navigation (search, redirect, ads)."""
    try:
        parts, host = split_url(url)
    except ValueError:
        return True
    engine = engine_of_host(host or "")
    if engine is None:
        return False
    path = parts.path or "/"
    if engine == "duckduckgo" and path == "/" and parts.query:
        return True
    if engine == "google" and path.startswith("/maps") and "q=" in parts.query:
        # A maps search is the local pack's link; google.com/maps itself can be a result.
        return True
    return path.startswith(_INTERNAL_PATHS[engine])


_SECOND_LEVEL = {"co", "com", "org", "net", "gov", "ac", "edu", "gouv", "ne", "or", "go"}


def site_of(url: str) -> str:
    """A rough registrable domain ("bbc.co.uk", "fiat.fr"), enough to group one site's links."""
    try:
        host = split_url(url)[1] or ""
    except ValueError:
        return ""
    return site_of_host(host)


def site_of_host(host: str) -> str:
    """`site_of` for a URL's host name."""
    labels = host.lower().split(".")
    if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL and len(labels[-1]) == 2:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])
