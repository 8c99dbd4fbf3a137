"""Publishing: platform adapters that send one post to a platform and report the outcome.

The worker (``planner`` jobs) claims a due post, builds an :class:`OutgoingPost`, calls
``get_adapter(channel.platform).publish(post, credentials)`` and records the
:class:`PublishResult`.
"""

from .adapters import (
    ALLOW_PRIVATE_KEY,
    PLATFORMS,
    Adapter,
    Outcome,
    OutgoingPost,
    PublishResult,
    UnknownPlatform,
    get_adapter,
)

__all__ = [
    "ALLOW_PRIVATE_KEY",
    "PLATFORMS",
    "Adapter",
    "Outcome",
    "OutgoingPost",
    "PublishResult",
    "UnknownPlatform",
    "get_adapter",
]
