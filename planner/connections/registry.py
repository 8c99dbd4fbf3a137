"""The connection module of each platform that PageOne can connect through its own flow."""

from __future__ import annotations

from planner.connections.base import Connector
from planner.connections.bluesky import BlueskyConnector
from planner.connections.facebook import FACEBOOK
from planner.connections.linkedin import LinkedInConnector
from planner.connections.mastodon import MastodonConnector
from planner.connections.wordpress import WordPressConnector
from planner.connections.x import XConnector

CONNECTORS: dict[str, Connector] = {
    c.platform: c
    for c in (
        XConnector(),
        MastodonConnector(),
        LinkedInConnector(),
        FACEBOOK,
        WordPressConnector(),
        BlueskyConnector(),
    )
}
# Instagram business accounts connect through Facebook Login, with the linked Page's token.
CONNECTORS["instagram"] = FACEBOOK


def connector_for(platform: str) -> Connector | None:
    return CONNECTORS.get(platform)
