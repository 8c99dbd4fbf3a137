"""Platform adapters: each publishes one post through one platform's API.

``get_adapter(platform)`` returns the adapter for a platform name; see ``base`` for the post,
the result and the outcome rules, and each module's docstring for its credential keys.
"""

from __future__ import annotations

from .base import (
    ALLOW_PRIVATE_KEY,
    Adapter,
    MediaPayload,
    Outcome,
    OutgoingMedia,
    OutgoingPost,
    PublishResult,
)
from .bluesky import BlueskyAdapter
from .facebook import FacebookAdapter
from .instagram import InstagramAdapter
from .linkedin import LinkedInAdapter
from .mastodon import MastodonAdapter
from .webhook import WebhookAdapter
from .wordpress import WordPressAdapter
from .x import XAdapter

__all__ = [
    "ALLOW_PRIVATE_KEY",
    "ADAPTERS",
    "Adapter",
    "MediaPayload",
    "Outcome",
    "OutgoingMedia",
    "OutgoingPost",
    "PLATFORMS",
    "PublishResult",
    "UnknownPlatform",
    "get_adapter",
]

# Adapters hold no per-call state, so one instance per platform serves every thread.
ADAPTERS: dict[str, Adapter] = {
    adapter.platform: adapter
    for adapter in (
        MastodonAdapter(),
        BlueskyAdapter(),
        LinkedInAdapter(),
        FacebookAdapter(),
        InstagramAdapter(),
        XAdapter(),
        WordPressAdapter(),
        WebhookAdapter(),
    )
}
PLATFORMS: tuple[str, ...] = tuple(ADAPTERS)
_ALIASES = {"twitter": "x", "blog": "wordpress"}


class UnknownPlatform(KeyError):
    """No adapter publishes to this platform."""


def get_adapter(platform: str) -> Adapter:
    """The adapter for a platform name (case-insensitive; "twitter" is an alias of "x")."""
    name = platform.strip().lower()
    name = _ALIASES.get(name, name)
    try:
        return ADAPTERS[name]
    except KeyError:
        raise UnknownPlatform(
            f"no adapter for platform {platform!r}; known: {', '.join(PLATFORMS)}"
        ) from None
