"""The engines' own result pages, fetched like a browser and read with the parser."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from serp.models import CheckStatus
from serp.parse import TOO_COMPLEX, parse_serp
from serp.parse.detect import looks_like_no_results

from .base import Provider, ProviderPage, QuerySpec
from .http import FetchFailed

DESKTOP_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
MOBILE_AGENT = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)

# Where each engine's result page lives; tests and proxies override them in config.
ENGINE_URLS = {
    "google": "https://www.google.com/search",
    "bing": "https://www.bing.com/search",
    "duckduckgo": "https://html.duckduckgo.com/html/",
    "brave": "https://search.brave.com/search",
}


def page_params(query: QuerySpec, page: int) -> dict[str, Any]:
    """The query string of one result page of an engine (page counts from 0)."""
    if query.engine == "google":
        params: dict[str, Any] = {"q": query.text, "hl": query.language, "gl": query.country}
        if page:
            params["start"] = page * 10
        return params
    if query.engine == "bing":
        params = {"q": query.text, "setlang": query.language, "cc": query.country}
        if page:
            params["first"] = page * 10 + 1
        return params
    if query.engine == "duckduckgo":
        params = {"q": query.text, "kl": f"{query.country}-{query.language}"}
        if page:
            params |= {"s": page * 10, "dc": page * 10 + 1}
        return params
    params = {"q": query.text, "source": "web"}
    if page:
        params["offset"] = page
    return params


def read_page(html: str, engine: str, http_status: int = 200) -> ProviderPage:
    """A fetched or uploaded result page as a provider page: ok, blocked or error."""
    parsed = parse_serp(html, engine)
    if parsed.reason == TOO_COMPLEX:
        # A crafted or broken page, not a block by the engine: an error, and never "no results".
        return ProviderPage.error(
            f"the page was not read: {parsed.detail or 'it is too large or too complex'}",
            raw=html,
        )
    if parsed.blocked:
        return ProviderPage(CheckStatus.BLOCKED.value, reason=parsed.reason, raw=html)
    if parsed.results:
        return ProviderPage(
            CheckStatus.OK.value, list(parsed.results), raw=html, features=list(parsed.features)
        )
    if http_status >= 400:
        return ProviderPage.error(f"HTTP {http_status}", raw=html)
    if looks_like_no_results(html):
        return ProviderPage(
            CheckStatus.OK.value, [], raw=html, more=False, features=list(parsed.features)
        )
    # No results and no "nothing found" message: an unknown layout is not an empty page.
    return ProviderPage.error(
        f"no results recognised on the page (read as {parsed.engine}); the layout may be new",
        raw=html,
    )


class HtmlFetch(Provider):
    name = "html"
    label = "Result pages (direct)"
    engines = ("google", "bing", "duckduckgo", "brave")

    def engine_url(self, engine: str, settings: Mapping[str, Any]) -> str:
        configured = (self.client.config.get("SERP_ENGINE_URLS") or {}).get(engine)
        return str(settings.get("base_url") or configured or ENGINE_URLS[engine])

    def fetch(self, query: QuerySpec, page: int, settings: Mapping[str, Any]) -> ProviderPage:
        agent = MOBILE_AGENT if query.device == "mobile" else DESKTOP_AGENT
        headers = {
            "User-Agent": agent,
            "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "Accept-Language": f"{query.language}-{query.country.upper()},{query.language};q=0.9",
        }
        try:
            answer = self.client.send(
                self.name,
                "GET",
                self.engine_url(query.engine, settings),
                params=page_params(query, page),
                headers=headers,
            )
        except FetchFailed as exc:
            return ProviderPage.error(exc.reason, exc.retry_after)
        page_read = read_page(answer.text, query.engine, answer.status)
        if answer.status == 429 and page_read.status == CheckStatus.ERROR.value:
            page_read = ProviderPage(
                CheckStatus.BLOCKED.value,
                reason="HTTP 429: the engine refused more requests",
                raw=answer.text,
            )
        page_read.retry_after = answer.retry_after
        return page_read

    def parse_raw(self, raw: str, raw_format: str, query: QuerySpec) -> ProviderPage:
        return read_page(raw, query.engine)
