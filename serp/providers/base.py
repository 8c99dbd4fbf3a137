"""What every provider is: the query it is asked, the page it answers, and its base class."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from serp.models import CheckStatus
from serp.parse import PageFeature, SerpResult

from .http import HttpClient


@dataclass(frozen=True)
class QuerySpec:
    """What to search: the query's search settings, without its database identity."""

    text: str
    engine: str = "google"
    language: str = "en"
    country: str = "us"
    device: str = "desktop"
    depth: int = 10


@dataclass
class ProviderPage:
    """One page as a provider returned it."""

    status: str
    results: list[SerpResult] = field(default_factory=list)
    reason: str | None = None
    raw: str | None = None
    raw_format: str = "html"
    retry_after: float | None = None
    more: bool = True  # whether a further page may exist
    features: list[PageFeature] = field(default_factory=list)  # blocks beside the results

    @classmethod
    def error(cls, reason: str, retry_after: float | None = None, **kw: Any) -> ProviderPage:
        return cls(CheckStatus.ERROR.value, reason=reason, retry_after=retry_after, **kw)


class Provider:
    """Base of the providers; subclasses set ``name``, ``engines`` and implement fetch()."""

    name = ""
    label = ""
    engines: tuple[str, ...] = ()
    default_base = ""
    needs_key = False

    def __init__(self, client: HttpClient) -> None:
        self.client = client

    def base_url(self, settings: Mapping[str, Any]) -> str:
        configured = (self.client.config.get("SERP_PROVIDER_URLS") or {}).get(self.name)
        return str(settings.get("base_url") or configured or self.default_base).rstrip("/")

    def page_size(self, query: QuerySpec) -> int:
        return 10

    def fetch(self, query: QuerySpec, page: int, settings: Mapping[str, Any]) -> ProviderPage:
        raise NotImplementedError

    def parse_raw(self, raw: str, raw_format: str, query: QuerySpec) -> ProviderPage:
        """Read a stored raw page again (for reparse)."""
        raise NotImplementedError

    def problems(self, engine: str, settings: Mapping[str, Any]) -> list[str]:
        """Why this provider cannot serve a query with these settings (empty when it can)."""
        errors = []
        if self.engines and engine not in self.engines:
            errors.append(
                f"{self.label} cannot search {engine}; it serves {', '.join(self.engines)}."
            )
        if self.needs_key and not settings.get("api_key"):
            errors.append(f"{self.label} needs an API key (provider setting 'api_key').")
        return errors
