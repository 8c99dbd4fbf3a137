"""The parsed search-result page: what every engine parser returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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


@dataclass(slots=True)
class SerpPage:
    """A result page as read: the engine, whether it was blocked, and its organic results."""

    engine: str
    blocked: bool = False
    reason: str | None = None
    results: list[SerpResult] = field(default_factory=list)
    # Page features seen besides organic results (ads, people_also_ask, ...), for context only.
    features: list[str] = field(default_factory=list)
    # Why a page was refused unread ("too_complex"), in words; not part of the JSON form.
    detail: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "blocked": self.blocked,
            "reason": self.reason,
            "results": [result.to_dict() for result in self.results],
        }
