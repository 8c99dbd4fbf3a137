"""Outbound-URL guard: the server fetches user-supplied URLs only when they point at public hosts.

Every URL the server requests on a user's behalf (webhooks, WordPress sites, Mastodon instances,
feeds, images to upload) goes through :func:`check_url` first, so a user cannot make the server
reach its own loopback interface, the cloud metadata service or the private network behind it.

The check resolves the host and refuses the request if *any* address it resolves to is not public.
It does not pin the address for the request that follows, so a DNS answer that changes between the
check and the connection (rebinding) is not covered; callers must also not follow redirects
without checking each hop.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

__all__ = ["OutboundBlocked", "UnresolvableHost", "check_url", "is_public_address"]

_ALLOWED_SCHEMES = ("http", "https")
_DEFAULT_PORTS = {"http": 80, "https": 443}

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class OutboundBlocked(Exception):
    """The server refuses to request this URL (bad scheme, no host, or a non-public address)."""


class UnresolvableHost(OutboundBlocked):
    """The host name did not resolve; nothing was sent, so trying again later is safe."""


def is_public_address(address: IPAddress) -> bool:
    """Whether an address is a public unicast one (IPv4-mapped IPv6 judged by its IPv4 form)."""
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped
        if mapped is not None:
            return is_public_address(mapped)
        # 6to4 and Teredo embed an IPv4 address a relay would forward to.
        embedded = address.sixtofour or (address.teredo[1] if address.teredo else None)
        if embedded is not None and not is_public_address(embedded):
            return False
        if address.is_site_local:
            return False
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def _literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def check_url(url: str, *, allow_private: bool = False) -> None:
    """Raise :class:`OutboundBlocked` unless ``url`` is http(s) and its host resolves to public
    addresses only (any address is accepted when ``allow_private`` is true)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise OutboundBlocked(f"not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in _ALLOWED_SCHEMES:
        shown = scheme or "none"
        raise OutboundBlocked(f"only http and https URLs are allowed (scheme: {shown})")
    host = parts.hostname
    if not host:
        raise OutboundBlocked("the URL has no host")
    if allow_private:
        return

    literal = _literal_address(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = socket.getaddrinfo(
                host, port or _DEFAULT_PORTS[scheme], type=socket.SOCK_STREAM
            )
        except (socket.gaierror, UnicodeError) as exc:
            raise UnresolvableHost(f"the host {host!r} could not be resolved ({exc})") from None
        # An IPv6 sockaddr may carry a scope ("fe80::1%eth0"); the address is what matters.
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
        if not addresses:
            raise UnresolvableHost(f"the host {host!r} has no addresses")

    for address in addresses:
        if not is_public_address(address):
            raise OutboundBlocked(
                f"the host {host!r} resolves to {address}, a private, loopback, link-local or "
                "otherwise non-public address; the operator can allow private addresses in config"
            )
