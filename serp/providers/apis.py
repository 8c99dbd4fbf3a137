"""Search APIs that answer JSON: SerpApi, Serper, a self-hosted SearXNG, the Brave Search API."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from serp.models import CheckStatus
from serp.parse import FeatureItem, PageFeature, SerpResult

from .base import Provider, ProviderPage, QuerySpec
from .http import Answer, FetchFailed


def _results(items: Any, url_key: str, snippet_key: str) -> list[SerpResult]:
    results = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        url = item.get(url_key)
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            continue
        results.append(
            SerpResult(
                len(results) + 1,
                url,
                str(item.get("title") or ""),
                str(item.get(snippet_key) or ""),
            )
        )
    return results


# Where each API puts a page feature: its key, our kind, and the item fields
# (url, title, source, date), first present wins. "{a.b}" reads a nested field.
_FeatureKeys = tuple[tuple[str, str, tuple[tuple[str, ...], ...]], ...]

_SERPAPI_FEATURES: _FeatureKeys = (
    ("ads", "ads", (("link",), ("title",), ("displayed_link", "source"), ())),
    ("top_stories", "top_stories", (("link",), ("title",), ("source",), ("date",))),
    ("news_results", "top_stories", (("link",), ("title",), ("source",), ("date",))),
    ("inline_videos", "videos", (("link",), ("title",), ("channel", "platform"), ("date",))),
    ("videos", "videos", (("link",), ("title",), ("channel", "platform"), ("date",))),
    ("inline_images", "images", (("source", "link"), ("title",), ("source_name",), ())),
    ("images_results", "images", (("link",), ("title",), ("source",), ())),
    (
        "discussions_and_forums",
        "discussions",
        (("link",), ("title",), ("source",), ("date",)),
    ),
    ("related_questions", "people_also_ask", (("link",), ("question",), ("source",), ("date",))),
    ("knowledge_graph", "knowledge_panel", (("website", "source.link"), ("title",), (), ())),
    ("local_results", "local_pack", (("website", "links.website"), ("title",), (), ())),
)
_SERPER_FEATURES: _FeatureKeys = (
    ("ads", "ads", (("link",), ("title",), ("domain",), ())),
    ("topStories", "top_stories", (("link",), ("title",), ("source",), ("date",))),
    ("videos", "videos", (("link",), ("title",), ("channel", "source"), ("date",))),
    ("images", "images", (("link",), ("title",), ("source", "domain"), ())),
    ("peopleAlsoAsk", "people_also_ask", (("link",), ("question",), ("title",), ())),
    ("knowledgeGraph", "knowledge_panel", (("website", "descriptionLink"), ("title",), (), ())),
    ("places", "local_pack", (("website",), ("title",), (), ())),
)
_BRAVE_FEATURES: _FeatureKeys = (
    ("news", "top_stories", (("url",), ("title",), ("meta_url.hostname",), ("age",))),
    ("videos", "videos", (("url",), ("title",), ("meta_url.hostname",), ("age",))),
    ("discussions", "discussions", (("url",), ("title",), ("data.forum_name",), ("age",))),
    ("faq", "people_also_ask", (("url",), ("question",), ("meta_url.hostname",), ())),
    ("infobox", "knowledge_panel", (("url",), ("title",), (), ())),
    ("locations", "local_pack", (("url",), ("title",), (), ())),
)
# Organic result keys: they take their place among the blocks, one block per result.
_ORGANIC_KEYS = {"organic_results", "organic", "web"}


def _field(item: dict[str, Any], names: tuple[str, ...]) -> str:
    for name in names:
        value: Any = item
        for part in name.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, str | int | float) and str(value).strip():
            return str(value).strip()
    return ""


def _feature_items(value: Any, fields: tuple[tuple[str, ...], ...]) -> list[FeatureItem]:
    """Items of one feature block; an API gives a list, a dict, or a dict holding a list."""
    if isinstance(value, dict):
        inner = value.get("results") or value.get("places")
        value = inner if isinstance(inner, list) else [value]
    items = []
    for item in value if isinstance(value, list) else []:
        if not isinstance(item, dict):
            continue
        url: str | None = _field(item, fields[0])
        if not (url or "").startswith(("http://", "https://")):
            url = None
        title = _field(item, fields[1])
        if url is None and not title:
            continue
        items.append(FeatureItem(url, title, _field(item, fields[2]), _field(item, fields[3])))
    return items


def _features(data: dict[str, Any], keys: _FeatureKeys, organic: Any = None) -> list[PageFeature]:
    """The API's feature blocks as page features, placed in the order the answer lists them.

    APIs do not say where a block stands among the organic results; their answers list the
    blocks in page order (SerpApi, Serper) or give it (Brave's `mixed.main`), so that order,
    with one block per organic result and its site links after it, is the position.
    """
    by_key = {key: (kind, fields) for key, kind, fields in keys}
    results = [item for item in _as_list(organic) if isinstance(item, dict)]
    blocks: list[PageFeature | None] = []  # None: an organic result
    taken = 0

    def add_result() -> None:
        nonlocal taken
        blocks.append(None)
        links = _sitelinks(results[taken]) if taken < len(results) else []
        taken += 1
        if links:
            blocks.append(PageFeature("sitelinks", 0, links))

    for key in _block_order(data):
        if key in _ORGANIC_KEYS:
            while taken < len(results):
                add_result()
        elif key == "#":
            add_result()
        elif key in by_key:
            kind, fields = by_key[key]
            items = _feature_items(data.get(key), fields)
            if items:
                blocks.append(PageFeature(kind, 0, items))
    features = []
    for position, block in enumerate(blocks, start=1):
        if block is not None:
            block.position = position
            features.append(block)
    return features


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _block_order(data: dict[str, Any]) -> list[str]:
    mixed = data.get("mixed")
    main = mixed.get("main") if isinstance(mixed, dict) else None
    if isinstance(main, list) and main:
        order: list[str] = []
        for block in main:
            kind = str(block.get("type") or "") if isinstance(block, dict) else ""
            if kind == "web":
                order.append("#")
            elif kind and kind not in order:
                order.append(kind)
        return order
    return list(data)


def _sitelinks(item: dict[str, Any]) -> list[FeatureItem]:
    links = item.get("sitelinks") or item.get("deep_results", {}).get("buttons")
    if isinstance(links, dict):
        links = _as_list(links.get("inline")) + _as_list(links.get("expanded"))
    return _feature_items(links or [], (("link", "url"), ("title",), (), ()))


class JsonProvider(Provider):
    """Shared handling of a JSON answer: HTTP errors, unreadable bodies, rate limits."""

    def answer_page(self, answer: Answer, query: QuerySpec) -> ProviderPage:
        if answer.status in (401, 403):
            return ProviderPage.error(f"{self.label} refused the key (HTTP {answer.status})")
        if answer.status == 429:
            return ProviderPage.error(
                f"{self.label} rate limit or quota reached (HTTP 429)", answer.retry_after
            )
        if answer.status >= 400:
            return ProviderPage.error(
                f"{self.label} answered HTTP {answer.status}", answer.retry_after
            )
        return self.parse_raw(answer.text, "json", query)

    def parse_raw(self, raw: str, raw_format: str, query: QuerySpec) -> ProviderPage:
        try:
            data = json.loads(raw)
        except ValueError:
            return ProviderPage.error(f"{self.label} sent something that is not JSON", raw=raw)
        if not isinstance(data, dict):
            return ProviderPage.error(f"{self.label} sent an unexpected JSON value", raw=raw)
        page = self.read(data, query)
        page.raw, page.raw_format = raw, "json"
        return page

    def read(self, data: dict[str, Any], query: QuerySpec) -> ProviderPage:
        raise NotImplementedError

    def get(self, url: str, **kw: Any) -> Answer:
        return self.client.send(self.name, "GET", url, **kw)


class SerpApi(JsonProvider):
    name = "serpapi"
    label = "SerpApi"
    engines = ("google", "bing", "duckduckgo")
    default_base = "https://serpapi.com"
    needs_key = True

    def fetch(self, query: QuerySpec, page: int, settings: Mapping[str, Any]) -> ProviderPage:
        params: dict[str, Any] = {"q": query.text, "api_key": settings.get("api_key", "")}
        if query.engine == "google":
            params |= {
                "engine": "google",
                "hl": query.language,
                "gl": query.country,
                "num": 10,
                "start": page * 10,
                "device": query.device,
            }
        elif query.engine == "bing":
            params |= {
                "engine": "bing",
                "cc": query.country.upper(),
                "count": 10,
                "first": page * 10 + 1,
                "device": query.device,
            }
        else:
            params |= {
                "engine": "duckduckgo",
                "kl": f"{query.country}-{query.language}",
                "start": page * 10,
            }
        try:
            answer = self.get(f"{self.base_url(settings)}/search.json", params=params)
        except FetchFailed as exc:
            return ProviderPage.error(exc.reason, exc.retry_after)
        return self.answer_page(answer, query)

    def read(self, data: dict[str, Any], query: QuerySpec) -> ProviderPage:
        error = data.get("error")
        results = _results(data.get("organic_results"), "link", "snippet")
        if error and not results:
            # SerpApi reports an empty result page as an "error"; it is a real answer.
            if "hasn't returned any results" in str(error):
                return ProviderPage(CheckStatus.OK.value, [], more=False)
            return ProviderPage.error(f"SerpApi: {error}")
        more = bool((data.get("serpapi_pagination") or data.get("pagination") or {}).get("next"))
        page = ProviderPage(CheckStatus.OK.value, results, more=more or len(results) >= 10)
        page.features = _features(data, _SERPAPI_FEATURES, data.get("organic_results"))
        return page


class Serper(JsonProvider):
    name = "serper"
    label = "Serper"
    engines = ("google",)
    default_base = "https://google.serper.dev"
    needs_key = True

    def fetch(self, query: QuerySpec, page: int, settings: Mapping[str, Any]) -> ProviderPage:
        payload = {
            "q": query.text,
            "gl": query.country,
            "hl": query.language,
            "num": 10,
            "page": page + 1,
        }
        headers = {
            "X-API-KEY": str(settings.get("api_key", "")),
            "Content-Type": "application/json",
        }
        try:
            answer = self.client.send(
                self.name,
                "POST",
                f"{self.base_url(settings)}/search",
                headers=headers,
                json_body=payload,
            )
        except FetchFailed as exc:
            return ProviderPage.error(exc.reason, exc.retry_after)
        return self.answer_page(answer, query)

    def read(self, data: dict[str, Any], query: QuerySpec) -> ProviderPage:
        if "organic" not in data and data.get("message"):
            return ProviderPage.error(f"Serper: {data['message']}")
        results = _results(data.get("organic"), "link", "snippet")
        page = ProviderPage(CheckStatus.OK.value, results, more=len(results) >= 10)
        page.features = _features(data, _SERPER_FEATURES, data.get("organic"))
        return page


class SearXNG(JsonProvider):
    """A SearXNG instance the operator runs, with the JSON format enabled in its settings."""

    name = "searxng"
    label = "SearXNG"
    engines = ("google", "bing", "duckduckgo", "brave")
    default_base = ""

    def problems(self, engine: str, settings: Mapping[str, Any]) -> list[str]:
        errors = super().problems(engine, settings)
        configured = (self.client.config.get("SERP_PROVIDER_URLS") or {}).get(self.name)
        if not settings.get("base_url") and not configured:
            errors.append("SearXNG needs the address of your instance (setting 'base_url').")
        return errors

    def fetch(self, query: QuerySpec, page: int, settings: Mapping[str, Any]) -> ProviderPage:
        base = self.base_url(settings)
        if not base:
            return ProviderPage.error("no SearXNG address configured")
        params = {
            "q": query.text,
            "format": "json",
            "pageno": page + 1,
            "language": f"{query.language}-{query.country.upper()}",
            "engines": query.engine,
            "safesearch": 0,
        }
        try:
            answer = self.get(f"{base}/search", params=params)
        except FetchFailed as exc:
            return ProviderPage.error(exc.reason, exc.retry_after)
        if answer.status == 403:
            return ProviderPage.error("SearXNG refused JSON: enable 'json' in search.formats")
        return self.answer_page(answer, query)

    def read(self, data: dict[str, Any], query: QuerySpec) -> ProviderPage:
        results = _results(data.get("results"), "url", "content")
        if not results:
            # SearXNG lists engines that failed (CAPTCHA, access denied, timeout) separately:
            # an empty list then means the engine was not asked, not that nothing was found.
            for item in data.get("unresponsive_engines") or []:
                if isinstance(item, list | tuple) and item and item[0] == query.engine:
                    detail = str(item[1]) if len(item) > 1 else "unresponsive"
                    status = (
                        CheckStatus.BLOCKED.value
                        if any(w in detail.lower() for w in ("captcha", "denied", "too many"))
                        else CheckStatus.ERROR.value
                    )
                    return ProviderPage(status, [], reason=f"SearXNG: {query.engine}: {detail}")
        return ProviderPage(CheckStatus.OK.value, results, more=bool(results))


class BraveApi(JsonProvider):
    name = "brave_api"
    label = "Brave Search API"
    engines = ("brave",)
    default_base = "https://api.search.brave.com"
    needs_key = True

    def page_size(self, query: QuerySpec) -> int:
        return 20 if query.depth > 10 else 10

    def fetch(self, query: QuerySpec, page: int, settings: Mapping[str, Any]) -> ProviderPage:
        # Brave's offset counts pages of `count` results, up to 9.
        if page > 9:
            return ProviderPage(CheckStatus.OK.value, [], more=False)
        params = {
            "q": query.text,
            "country": query.country.upper(),
            "search_lang": query.language,
            "count": self.page_size(query),
            "offset": page,
        }
        headers = {
            "X-Subscription-Token": str(settings.get("api_key", "")),
            "Accept": "application/json",
        }
        try:
            answer = self.get(
                f"{self.base_url(settings)}/res/v1/web/search", params=params, headers=headers
            )
        except FetchFailed as exc:
            return ProviderPage.error(exc.reason, exc.retry_after)
        return self.answer_page(answer, query)

    def read(self, data: dict[str, Any], query: QuerySpec) -> ProviderPage:
        error = data.get("error")
        if data.get("type") == "ErrorResponse" or (error and "web" not in data):
            detail = error.get("detail") if isinstance(error, dict) else error
            return ProviderPage.error(f"Brave Search API: {detail or 'error'}")
        web = data.get("web") or {}
        results = _results(web.get("results"), "url", "description")
        more = bool((data.get("query") or {}).get("more_results_available", len(results) > 0))
        page = ProviderPage(CheckStatus.OK.value, results, more=more)
        page.features = _features(data, _BRAVE_FEATURES, web.get("results"))
        return page
