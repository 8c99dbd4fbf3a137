"""Asking the engines for suggestions: Google's and Bing's suggest endpoints, or SerpApi's Google
Autocomplete API when the brand has a SerpApi key. Every request goes through the outbound guard
with a timeout and the per-source rate limit; nothing is retried within a round (the term is
tried again later with a backoff).

Google's ``client=firefox`` answers ``[query, [suggestion, …], …]`` and Bing's OpenSearch
endpoint (``osjson.aspx?query=…&mkt=lv-LV``) ``[query, [suggestion, …]]``. Google may answer in
the locale's legacy charset (windows-1257 for Latvian and Lithuanian, windows-1250 for Polish)
unless asked for UTF-8, so we ask for UTF-8 and still decode by the declared charset, falling
back to the locale's legacy one when an undeclared answer is not UTF-8.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from core.outbound import OutboundBlocked, ResponseTooLarge, guarded_session, read_capped
from serp.providers.http import limiter_for, parse_retry_after

MAX_ANSWER_BYTES = 512 * 1024
MAX_SUGGESTIONS = 20
DEFAULT_URLS = {
    "google": "https://suggestqueries.google.com/complete/search",
    "bing": "https://api.bing.com/osjson.aspx",
    "serpapi": "https://serpapi.com/search.json",
}
# What a locale's pages were written in before UTF-8: the charset Google may still answer in.
LEGACY_CHARSETS = {"lv": "windows-1257", "lt": "windows-1257", "pl": "windows-1250"}
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,4})?$")
_COUNTRY = re.compile(r"^[a-z]{2}$")


class UnknownLocale(ValueError):
    """A language or country an engine cannot be asked for."""


@dataclass
class SuggestAnswer:
    """What one look-up gave: ok with suggestions, blocked, or an error, and why."""

    status: str
    source: str
    suggestions: list[str] = field(default_factory=list)
    reason: str | None = None
    retry_after: float | None = None


def check_locale(language: str, country: str) -> tuple[str, str]:
    """The language and country in lower case, or UnknownLocale."""
    language, country = (language or "").strip().lower(), (country or "").strip().lower()
    if not _LANGUAGE.match(language):
        raise UnknownLocale(f"“{language}” is not a language code such as en, lv, lt or pl.")
    if not _COUNTRY.match(country):
        raise UnknownLocale(f"“{country}” is not a two-letter country code such as us or lv.")
    return language, country


def bing_market(language: str, country: str) -> str:
    """Bing's market for a locale: lv-LV, en-US, pl-PL."""
    return f"{language.split('-')[0]}-{country.upper()}"


def request_for(
    source: str, term: str, language: str, country: str, api_key: str | None = None
) -> dict[str, str]:
    """The query parameters of one look-up."""
    language, country = check_locale(language, country)
    if source == "google":
        return {
            "client": "firefox",
            "q": term,
            "hl": language,
            "gl": country,
            "ie": "utf-8",
            "oe": "utf-8",
        }
    if source == "bing":
        return {"query": term, "mkt": bing_market(language, country)}
    if source == "serpapi":
        return {
            "engine": "google_autocomplete",
            "q": term,
            "hl": language,
            "gl": country,
            "api_key": api_key or "",
        }
    raise ValueError(f"unknown suggestion source {source!r}")


def decode(body: bytes, content_type: str, language: str) -> str:
    """The answer's text: the declared charset, else UTF-8, else the locale's legacy charset."""
    declared = re.search(r"charset=\"?([\w.:-]+)", content_type or "", re.IGNORECASE)
    if declared:
        try:
            return body.decode(codecs.lookup(declared.group(1)).name)
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        legacy = LEGACY_CHARSETS.get(language.split("-")[0], "windows-1252")
        return body.decode(legacy, "replace")


def read_suggestions(source: str, data: Any) -> list[str]:
    """The suggestions of a parsed answer, in order, without blanks or repeats; ValueError when
    the answer has another shape."""
    if source == "serpapi":
        if not isinstance(data, dict):
            raise ValueError("the answer is not a JSON object")
        if data.get("error"):
            raise ValueError(f"SerpApi: {str(data['error'])[:200]}")
        items = [i.get("value") for i in data.get("suggestions") or [] if isinstance(i, dict)]
    else:
        if not (isinstance(data, list) and len(data) >= 2 and isinstance(data[1], list)):
            raise ValueError("the answer is not [query, [suggestions…]]")
        items = data[1]
    seen: set[str] = set()
    suggestions = []
    for item in items:
        if not isinstance(item, str) or not item.strip():
            continue
        text = " ".join(item.split())[:500]
        if text.casefold() in seen:
            continue
        seen.add(text.casefold())
        suggestions.append(text)
    return suggestions[:MAX_SUGGESTIONS]


def base_url(source: str, config: Mapping[str, Any]) -> str:
    configured = (config.get("SUGGEST_URLS") or {}).get(source)
    return str(configured or DEFAULT_URLS[source])


def fetch_suggestions(
    config: Mapping[str, Any],
    source: str,
    term: str,
    language: str,
    country: str,
    api_key: str | None = None,
) -> SuggestAnswer:
    """Ask one source for a term's suggestions; never raises for what the network does."""
    try:
        params = request_for(source, term, language, country, api_key)
    except UnknownLocale as exc:
        return SuggestAnswer("error", source, reason=str(exc))
    seconds = float(config.get("SERP_HTTP_TIMEOUT") or config.get("HTTP_TIMEOUT") or 10)
    limiter = limiter_for(f"suggest_{source}", config)
    headers = {"Accept": "application/json", "Accept-Language": f"{language},en;q=0.5"}
    try:
        with limiter.slots:
            limiter.bucket.acquire()
            with guarded_session(allow_private=bool(config.get("OUTBOUND_ALLOW_PRIVATE"))) as s:
                response = s.get(
                    base_url(source, config),
                    params=params,
                    headers=headers,
                    timeout=(min(seconds, 10.0), seconds),
                    allow_redirects=False,
                    stream=True,
                )
                body = read_capped(response, MAX_ANSWER_BYTES)
    except OutboundBlocked as exc:
        return SuggestAnswer("error", source, reason=f"refused by the outbound guard: {exc}")
    except ResponseTooLarge as exc:
        return SuggestAnswer("error", source, reason=f"the answer is too large: {exc}")
    except requests.Timeout:
        return SuggestAnswer("error", source, reason="the endpoint did not answer in time")
    except requests.RequestException as exc:
        return SuggestAnswer("error", source, reason=f"connection failed: {type(exc).__name__}")
    return read_answer(source, response.status_code, response.headers, body, language)


def read_answer(
    source: str, status: int, headers: Mapping[str, str], body: bytes, language: str
) -> SuggestAnswer:
    """An HTTP answer as suggestions, a block (CAPTCHA, consent, rate limit) or an error."""
    retry_after = parse_retry_after(headers.get("Retry-After"))
    if status == 429:
        return SuggestAnswer(
            "blocked", source, reason="rate limited (429)", retry_after=retry_after
        )
    if status in (301, 302, 303, 307, 308) or status == 403:
        where = headers.get("Location", "")
        return SuggestAnswer(
            "blocked", source, reason=f"refused or sent elsewhere ({status}) {where[:200]}".strip()
        )
    if source == "serpapi" and status in (400, 401):
        try:
            read_suggestions(source, json.loads(body.decode("utf-8", "replace")))
        except ValueError as exc:
            return SuggestAnswer("error", source, reason=str(exc))
    if status >= 400:
        return SuggestAnswer(
            "error", source, reason=f"the endpoint answered {status}", retry_after=retry_after
        )
    text = decode(body, headers.get("Content-Type", ""), language).lstrip("\ufeff")
    if text.lstrip()[:1] == "<":
        # An HTML page where JSON was expected: a CAPTCHA or consent page.
        return SuggestAnswer("blocked", source, reason="an HTML page came instead of JSON")
    try:
        suggestions = read_suggestions(source, json.loads(text))
    except ValueError as exc:
        return SuggestAnswer("error", source, reason=f"not a suggestions answer: {exc}"[:300])
    return SuggestAnswer("ok", source, suggestions)
