"""Where result pages come from: search APIs, a SearXNG instance, the engines' own HTML, uploads.

Every provider answers ``fetch(query, page, settings) -> ProviderPage`` for one page (0-based);
:func:`fetch_results` walks the pages a query's depth needs and numbers the results.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.urls import normalize_url
from serp.models import CheckStatus
from serp.parse import PageFeature, SerpResult

from .base import Provider, ProviderPage, QuerySpec
from .http import FetchFailed, HttpClient

__all__ = [
    "PROVIDERS",
    "FetchFailed",
    "FetchOutcome",
    "HttpClient",
    "Provider",
    "ProviderPage",
    "QuerySpec",
    "fetch_results",
    "get_provider",
]


@dataclass
class FetchOutcome:
    """The pages a check needs, joined: results numbered 1.. across pages."""

    status: str
    results: list[SerpResult]
    pages: list[dict[str, Any]]
    reason: str | None = None
    retry_after: float | None = None
    # The blocks beside the results, by result page (0 is page one).
    features: list[tuple[int, list[PageFeature]]] = field(default_factory=list)


def fetch_results(
    provider: Provider, query: QuerySpec, settings: Mapping[str, Any]
) -> FetchOutcome:
    """Fetch the pages that cover the query's depth; stop at a block or an error."""
    pages_needed = max(1, math.ceil(query.depth / provider.page_size(query)))
    results: list[SerpResult] = []
    seen: set[str] = set()
    pages: list[dict[str, Any]] = []
    features: list[tuple[int, list[PageFeature]]] = []
    for index in range(pages_needed):
        try:
            page = provider.fetch(query, index, settings)
        except FetchFailed as exc:
            page = ProviderPage.error(exc.reason, exc.retry_after)
        if page.raw is not None:
            pages.append({"page": index, "format": page.raw_format, "body": page.raw})
        if page.status != CheckStatus.OK.value:
            reason = page.reason or page.status
            if index:
                reason = f"page {index + 1}: {reason}; {len(results)} results from earlier pages"
            return FetchOutcome(page.status, results, pages, reason, page.retry_after, features)
        if page.features:
            features.append((index, list(page.features)))
        _append_new(results, seen, page.results)
        if not page.results or not page.more or len(results) >= query.depth:
            break
    return FetchOutcome(CheckStatus.OK.value, results[: query.depth], pages, features=features)


def _append_new(results: list[SerpResult], seen: set[str], new: list[SerpResult]) -> None:
    # Pages can overlap (an engine shifts results between requests): a URL counts once.
    for result in new:
        key = normalize_url(result.url)
        if key in seen:
            continue
        seen.add(key)
        results.append(SerpResult(len(results) + 1, result.url, result.title, result.snippet))


def _registry() -> dict[str, type[Provider]]:
    from .apis import BraveApi, SearXNG, SerpApi, Serper
    from .html import HtmlFetch
    from .manual import ManualUpload

    return {cls.name: cls for cls in (HtmlFetch, SerpApi, Serper, SearXNG, BraveApi, ManualUpload)}


PROVIDERS: tuple[str, ...] = ("html", "serpapi", "serper", "searxng", "brave_api", "manual")


def provider_labels() -> dict[str, str]:
    return {name: cls.label for name, cls in _registry().items()}


def get_provider(name: str, client: HttpClient) -> Provider:
    try:
        return _registry()[name](client)
    except KeyError:
        raise ValueError(f"unknown provider {name!r}; use one of {', '.join(PROVIDERS)}") from None
