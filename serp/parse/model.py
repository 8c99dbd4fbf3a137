"""The parsed search-result page: what every engine parser returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Kinds of page features, as the parsers and the search-API providers name them.
FEATURE_KINDS = (
    "ads",
    "top_stories",
    "videos",
    "images",
    "discussions",
    "people_also_ask",
    "knowledge_panel",
    "local_pack",
    "sitelinks",
    "other",
)


@dataclass(frozen=True, slots=True)
class SerpResult:
    """One organic result; `position` counts organic results only, from 1."""

    position: int
    url: str
    title: str
    snippet: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "url": self.url,
            "title": self.title,
            "snippet": self.snippet,
        }


@dataclass(frozen=True, slots=True)
class FeatureItem:
    """One entry of a page feature: a story, a video, a question, an ad ...

    `url` is the outbound page (redirect wrappers removed), or None where the page shows the
    entry without a link (a question not yet opened, a place without a website).
    """

    url: str | None
    title: str
    source: str = ""
    date: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"url": self.url, "title": self.title, "source": self.source, "date": self.date}


@dataclass(slots=True)
class PageFeature:
    """A block beside the organic results: its kind, where it stands, what it shows.

    `position` counts the page's blocks from 1 in page order, organic results and features
    together: top stories at position 3 come after two organic results (or features).
    """

    kind: str
    position: int
    items: list[FeatureItem] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "position": self.position,
            "items": [item.to_dict() for item in self.items],
        }


@dataclass(slots=True)
class SerpPage:
    """A result page as read: the engine, whether it was blocked, its organic results and the
    features beside them."""

    engine: str
    blocked: bool = False
    reason: str | None = None
    results: list[SerpResult] = field(default_factory=list)
    # Blocks besides the organic results (ads, top stories, people also ask ...), in page order.
    features: list[PageFeature] = field(default_factory=list)
    # Why a page was refused unread ("too_complex"), in words; not part of the JSON form.
    detail: str | None = None

    @property
    def feature_kinds(self) -> list[str]:
        """The kinds of feature on the page, each once, in page order."""
        return list(dict.fromkeys(feature.kind for feature in self.features))

    def to_dict(self, *, features: bool = False) -> dict[str, Any]:
        """The JSON form; the features only when asked (the results contract stays as it was)."""
        data: dict[str, Any] = {
            "engine": self.engine,
            "blocked": self.blocked,
            "reason": self.reason,
            "results": [result.to_dict() for result in self.results],
        }
        if features:
            data["features"] = [feature.to_dict() for feature in self.features]
        return data


@dataclass(slots=True)
class Placed:
    """An organic result with the page node it was read from (to place features around it)."""

    result: SerpResult
    # The title or block node, and the result's whole block (site links live there).
    node: Any
    block: Any


class Notes(set[str]):
    """Feature kinds an engine parser saw while skipping blocks, with the blocks it skipped."""

    def __init__(self) -> None:
        super().__init__()
        self.skipped: list[tuple[str, Any]] = []

    def note(self, kind: str, node: Any) -> None:
        self.add(kind)
        self.skipped.append((kind, node))
