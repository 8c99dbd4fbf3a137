"""URLs as match keys: one normal form per page, and the domain it lives on (search results,
label rules and the owned assets the planner records all use it).

The normal form is a key for matching results across checks and against labelling rules, not a
link: the scheme is left out (http and https of one page are the same result), the host is lower
case without ``www.``, the fragment, tracking parameters and a trailing slash are dropped.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

TRACKING_PARAMS = frozenset(
    {"gclid", "fbclid", "msclkid", "yclid", "dclid", "gbraid", "wbraid", "mc_cid", "mc_eid"}
)
_DEFAULT_PORTS = {"http": "80", "https": "443"}


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered.startswith("utm_") or lowered in TRACKING_PARAMS


def _host(host: str) -> str:
    host = host.strip().strip(".").lower()
    return host[4:] if host.startswith("www.") else host


def normalize_url(url: str) -> str:
    """The match key of a URL: ``host/path?query`` without www, tracking and trailing slash."""
    url = (url or "").strip()
    if "://" not in url:
        # Patterns typed by people often lack the scheme ("example.com/page").
        url = "https://" + url.lstrip("/")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url.lower()
    host = _host(parts.hostname or "")
    if port is not None and str(port) != _DEFAULT_PORTS.get(parts.scheme.lower()):
        host = f"{host}:{port}"
    path = parts.path.rstrip("/")
    pairs = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)
    ]
    query = urlencode(pairs, doseq=True) if pairs else ""
    return f"{host}{path}" + (f"?{query}" if query else "")


def domain_of(url: str) -> str:
    """The host of a URL (or of a normal form), lower case, without ``www.`` and port."""
    url = (url or "").strip()
    if "://" not in url:
        url = "https://" + url.lstrip("/")
    try:
        return _host(urlsplit(url).hostname or "")
    except ValueError:
        return ""


def normalize_domain(value: str) -> str:
    """A domain pattern as typed ("www.Example.com", "https://example.com/x") in its key form."""
    return domain_of(value)
