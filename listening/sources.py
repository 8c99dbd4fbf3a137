"""Reading each kind of source into fetched items: feeds, Mastodon, Bluesky and CSV files.

Parsers take bytes or decoded JSON and return :class:`FetchedItem` objects; they never touch the
database, so they can be tested on their own and fed hostile input.
"""

from __future__ import annotations

import calendar
import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import requests

from core.parsing import FIRST_YEAR, LAST_YEAR, csv_header, csv_rows, to_utc
from listening.fetch import FetchError, fetch
from listening.models import MentionSource, SourceKind
from listening.text import strip_html, unwrap_google_url

DEFAULT_BLUESKY_APPVIEW = "https://public.api.bsky.app"
MAX_TEXT = 20_000
# Dates further ahead than this are a feed's mistake, not news from the future.
FUTURE_SLACK = timedelta(hours=1)
EARLIEST = datetime(1995, 1, 1, tzinfo=UTC)


class SourceError(Exception):
    """The source answered, but not with anything we can read."""


@dataclass
class FetchedItem:
    external_id: str
    url: str | None
    author: str
    title: str
    text: str
    language: str | None
    published_at: datetime | None  # None: no usable date
    platform: str | None = None
    platform_ref: str | None = None
    platform_base: str | None = None


def sane_date(value: datetime | None, now: datetime) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    if value < EARLIEST or value > now + FUTURE_SLACK:
        return None
    return value


def parse_iso(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        # Near year 1 or 9999 the offset moves the time out of range: no usable date.
        return to_utc(parsed, "date") if parsed.tzinfo is not None else parsed
    except ValueError:
        return None


def _clip(text: str, limit: int = MAX_TEXT) -> str:
    return text[:limit]


# --- feeds --------------------------------------------------------------------------------------


def parse_feed(body: bytes, now: datetime, *, google_alerts: bool = False) -> list[FetchedItem]:
    """Entries of an RSS or Atom feed; Google Alerts links unwrapped, all HTML stripped."""
    import feedparser  # loads with the first feed read, not with the app

    parsed = feedparser.parse(body, sanitize_html=False, resolve_relative_uris=False)
    if parsed.bozo and not parsed.entries:
        reason = getattr(parsed, "bozo_exception", None)
        raise SourceError(f"not a readable feed ({type(reason).__name__ if reason else 'empty'})")
    if not parsed.entries and not parsed.feed:
        raise SourceError("not a feed: no channel and no entries")
    feed_language = (parsed.feed.get("language") or "").strip() or None
    items: list[FetchedItem] = []
    for entry in parsed.entries:
        link = entry.get("link") or ""
        url = unwrap_google_url(link) if google_alerts or "google.com/url" in link else link
        title = strip_html(entry.get("title"))
        summary = entry.get("summary") or ""
        if entry.get("content"):
            summary = entry["content"][0].get("value") or summary
        text = strip_html(summary)
        external = entry.get("id") or url or title
        if not external:
            continue
        struct = entry.get("published_parsed") or entry.get("updated_parsed")
        published = None
        if struct:
            try:
                published = datetime.fromtimestamp(calendar.timegm(struct), UTC)
            except (OverflowError, ValueError, TypeError):
                published = None
        author = strip_html(entry.get("author") or "")
        if not author and google_alerts and url:
            author = _host(url)
        items.append(
            FetchedItem(
                external_id=str(external)[:512],
                url=(url or None) if (url or "").startswith(("http://", "https://")) else None,
                author=author[:255],
                title=_clip(title, 2000),
                text=_clip(text),
                language=entry.get("language") or feed_language,
                published_at=sane_date(published, now),
            )
        )
    return items


def _host(url: str) -> str:
    try:
        return requests.utils.urlparse(url).hostname or ""
    except ValueError:
        return ""


# --- Mastodon -----------------------------------------------------------------------------------


def parse_mastodon_statuses(data: Any, base_url: str, now: datetime) -> list[FetchedItem]:
    """Statuses from a hashtag timeline (a list) or a v2 search (``{"statuses": [...]}``)."""
    if isinstance(data, dict):
        data = data.get("statuses")
    if not isinstance(data, list):
        raise SourceError("Mastodon answered something other than a list of statuses")
    items: list[FetchedItem] = []
    for status in data:
        if not isinstance(status, dict) or not status.get("id"):
            continue
        if status.get("reblog"):
            continue  # a boost repeats a status we read on its own
        account = status.get("account") if isinstance(status.get("account"), dict) else {}
        text = strip_html(status.get("content"))
        warning = strip_html(status.get("spoiler_text"))
        items.append(
            FetchedItem(
                external_id=str(status.get("uri") or status["id"])[:512],
                url=status.get("url") or status.get("uri"),
                author=str(account.get("acct") or account.get("username") or "")[:255],
                title=_clip(warning, 2000),
                text=_clip(text),
                language=status.get("language"),
                published_at=sane_date(parse_iso(status.get("created_at")), now),
                platform="mastodon",
                platform_ref=str(status["id"]),
                platform_base=base_url,
            )
        )
    return items


# --- Bluesky ------------------------------------------------------------------------------------


def parse_bluesky_posts(data: Any, now: datetime) -> list[FetchedItem]:
    if not isinstance(data, dict) or not isinstance(data.get("posts"), list):
        raise SourceError("Bluesky answered something other than a list of posts")
    items: list[FetchedItem] = []
    for post in data["posts"]:
        if not isinstance(post, dict) or not post.get("uri") or not post.get("cid"):
            continue
        record = post.get("record") if isinstance(post.get("record"), dict) else {}
        author = post.get("author") if isinstance(post.get("author"), dict) else {}
        handle = str(author.get("handle") or "")
        rkey = str(post["uri"]).rsplit("/", 1)[-1]
        langs = record.get("langs") if isinstance(record.get("langs"), list) else []
        items.append(
            FetchedItem(
                external_id=str(post["uri"])[:512],
                url=f"https://bsky.app/profile/{quote(handle)}/post/{quote(rkey)}"
                if handle
                else None,
                author=handle[:255],
                title="",
                text=_clip(str(record.get("text") or "")),
                language=str(langs[0]) if langs else None,
                published_at=sane_date(
                    parse_iso(record.get("createdAt")) or parse_iso(post.get("indexedAt")), now
                ),
                platform="bluesky",
                platform_ref=f"{post['uri']}|{post['cid']}",
            )
        )
    return items


# --- CSV ----------------------------------------------------------------------------------------

CSV_COLUMNS = ("id", "url", "author", "title", "text", "published", "language")


def parse_csv(raw: bytes, now: datetime) -> tuple[list[FetchedItem], list[str]]:
    """Rows of an uploaded CSV (columns: id, url, author, title, text, published, language);
    every row that cannot be read is named."""
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], ["The file is not UTF-8 text."]
    reader = csv.DictReader(io.StringIO(content))
    errors: list[str] = []

    def unreadable(line: int, problem: str) -> None:
        errors.append(f"Line {line}: {problem[0].upper()}{problem[1:]}")

    headers = {h.lower() for h in csv_header(reader, unreadable)}
    if errors:
        return [], errors
    if not headers & {"text", "title", "url"}:
        return [], ["The file needs a header row with at least one of: text, title, url."]
    items: list[FetchedItem] = []
    for number, row in enumerate(csv_rows(reader, unreadable), start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if k}
        text, title, url = row.get("text", ""), row.get("title", ""), row.get("url", "")
        if not (text or title or url):
            errors.append(f"Row {number}: no text, title or URL.")
            continue
        if url and not url.startswith(("http://", "https://")):
            errors.append(f"Row {number}: the URL must start with http:// or https://.")
            continue
        published = None
        if row.get("published"):
            published = parse_iso(row["published"])
            if published is None:
                errors.append(
                    f"Row {number}: 'published' is not an ISO 8601 date in the years "
                    f"{FIRST_YEAR} to {LAST_YEAR}: {row['published'][:40]!r}."
                )
                continue
        items.append(
            FetchedItem(
                external_id=(row.get("id") or url or f"csv:{title}:{text}")[:512],
                url=url or None,
                author=row.get("author", "")[:255],
                title=_clip(strip_html(title), 2000),
                text=_clip(strip_html(text)),
                language=row.get("language") or None,
                published_at=sane_date(published, now),
            )
        )
    return items, errors


# --- fetching one source ------------------------------------------------------------------------


def _json(body: bytes, what: str) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        raise SourceError(f"{what} answered with something that is not JSON") from None


def fetch_source(
    source: MentionSource,
    config: Mapping[str, Any],
    now: datetime,
    *,
    http: requests.Session | None = None,
) -> list[FetchedItem]:
    """Read one source; raises FetchError or SourceError with the reason it failed."""
    kind = source.kind_enum
    if kind in (SourceKind.GOOGLE_ALERTS, SourceKind.RSS):
        if not source.url:
            raise SourceError("the source has no feed URL")
        body, _type = fetch(source.url, config, http=http)
        return parse_feed(body, now, google_alerts=kind is SourceKind.GOOGLE_ALERTS)
    if kind in (SourceKind.MASTODON_TAG, SourceKind.MASTODON_SEARCH):
        base = (source.url or "").rstrip("/")
        query = (source.query or "").strip()
        if not base or not query:
            raise SourceError("a Mastodon source needs an instance URL and a hashtag or query")
        if kind is SourceKind.MASTODON_TAG:
            tag = query.lstrip("#")
            body, _ = fetch(
                f"{base}/api/v1/timelines/tag/{quote(tag, safe='')}",
                config,
                params={"limit": 40},
                http=http,
            )
        else:
            body, _ = fetch(
                f"{base}/api/v2/search",
                config,
                params={"q": query, "type": "statuses", "limit": 40},
                http=http,
            )
        return parse_mastodon_statuses(_json(body, "Mastodon"), base, now)
    if kind is SourceKind.BLUESKY_SEARCH:
        base = (
            source.url or config.get("LISTENING_BLUESKY_APPVIEW") or DEFAULT_BLUESKY_APPVIEW
        ).rstrip("/")
        if not (source.query or "").strip():
            raise SourceError("a Bluesky source needs search terms")
        body, _ = fetch(
            f"{base}/xrpc/app.bsky.feed.searchPosts",
            config,
            params={"q": source.query.strip(), "limit": 50, "sort": "latest"},
            http=http,
        )
        return parse_bluesky_posts(_json(body, "Bluesky"), now)
    raise SourceError("CSV sources are uploaded, not polled")


__all__ = [
    "FetchError",
    "FetchedItem",
    "SourceError",
    "fetch_source",
    "parse_bluesky_posts",
    "parse_csv",
    "parse_feed",
    "parse_mastodon_statuses",
]
