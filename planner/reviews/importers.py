"""Reading review files: CSV, a Google Business Profile export, a Trustpilot export.

Every row is checked before anything is written; a file with any bad row imports nothing and
lists every problem with where it is (a CSV line, or the position and id of a JSON review).

CSV (UTF-8, a header row; column names are case-insensitive, unknown columns are ignored):

- ``source`` — where the review was left: google, trustpilot, yelp … (default ``csv``)
- ``external_id`` — the review's id on that site (required; with source, the key that makes a
  second import of the same file change nothing and an edited review update)
- ``rating`` — whole stars, 1 to 5 (required)
- ``title`` — optional headline
- ``text`` — the review's text (may be empty: a rating without words)
- ``author`` — the reviewer's name as the site shows it
- ``created_at`` — ISO 8601 date or date-time; without an offset it is UTC (required)
- ``language`` — optional language code (en, de, pt-BR); detected from the text when empty
- ``url`` — optional http(s) link to the review
- ``reply_text`` — the business's public reply, if any
- ``reply_at`` — when the reply was posted (ISO 8601)

Google Business Profile (the JSON of ``accounts.locations.reviews.list`` or a Takeout export):
``{"reviews": [{"reviewId", "starRating": "ONE".."FIVE", "comment", "reviewer":
{"displayName"}, "createTime", "updateTime", "reviewReply": {"comment", "updateTime"}}]}``.
Google's "(Translated by Google) … (Original) …" comments keep the original text only.

Trustpilot (the JSON of the business reviews API, ``{"reviews": [...]}`` or a bare list):
``{"id", "stars", "title", "text", "consumer": {"displayName"}, "createdAt", "updatedAt",
"language", "companyReply": {"text", "createdAt"}}``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from core.parsing import InvalidInput, csv_problem, csv_rows, to_utc
from core.sentiment import normalize_language

COLUMNS = {
    "source": _l("Where the review was left: google, trustpilot, yelp … (default csv)."),
    "external_id": _l("The review's id on that site (required). With source, the import key."),
    "rating": _l("Whole stars, 1 to 5 (required)."),
    "title": _l("Optional headline."),
    "text": _l("The review's text (may be empty)."),
    "author": _l("The reviewer's name as the site shows it."),
    "created_at": _l("ISO 8601 date or date-time; without an offset, UTC (required)."),
    "language": _l("Optional language code (en, de, pt-BR); detected from the text when empty."),
    "url": _l("Optional http(s) link to the review."),
    "reply_text": _l("The business's public reply, if any."),
    "reply_at": _l("When the reply was posted (ISO 8601)."),
}
FORMATS = ("csv", "gbp", "trustpilot")
MAX_BYTES = 50 * 1024 * 1024
STAR_WORDS = {"ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4, "FIVE": 5}
_WHOLE_STARS = {str(stars): stars for stars in range(1, 6)}
URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
SOURCE_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,39}$")
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
_FRACTION = re.compile(r"(\.\d{6})\d+")
_GOOGLE_TRANSLATED = re.compile(r"\(Translated by Google\).*?\(Original\)\s*", re.DOTALL)


class FormatError(ValueError):
    """The file as a whole cannot be read (not the format, not UTF-8, too large)."""


@dataclass(frozen=True)
class ReviewRow:
    """One checked review from a file, ready to store."""

    source: str
    external_id: str
    rating: int
    title: str
    text: str
    author: str
    created_at: datetime
    language: str | None
    url: str | None
    reply_text: str | None
    reply_at: datetime | None
    where: str = field(default="", compare=False)

    @property
    def key(self) -> tuple[str, str]:
        return self.source, self.external_id

    def content_hash(self) -> str:
        """Changes when anything the site shows changes: an edited review updates."""
        parts = [
            str(self.rating),
            self.title,
            self.text,
            self.author,
            self.created_at.isoformat(),
            self.language or "",
            self.url or "",
            self.reply_text or "",
            self.reply_at.isoformat() if self.reply_at else "",
        ]
        return hashlib.sha1("\x1f".join(parts).encode()).hexdigest()


@dataclass
class ParsedFile:
    format: str
    rows: list[ReviewRow] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (where, reason)


def parse_instant(value: Any) -> datetime:
    """An ISO 8601 date or date-time as an aware UTC datetime; ValueError when it is not one."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(_("no date"))
    text = value.strip()
    if len(text) == 10 and _DATE_ONLY.fullmatch(text):
        day = date.fromisoformat(text)
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    if "z" in text:
        text = text.replace("z", "Z")
    # Google sends nanoseconds; Python reads at most microseconds.
    if "." in text:
        text = _FRACTION.sub(r"\1", text)
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return to_utc(parsed, "created_at")


def _rating(value: Any) -> int:
    if isinstance(value, str) and value in _WHOLE_STARS:  # the usual "1" to "5"
        return _WHOLE_STARS[value]
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError(_("no rating"))
    if isinstance(value, bool):
        raise ValueError(_("rating %(value)s is not a number of stars", value=repr(value)))
    if isinstance(value, str):
        word = value.strip().upper()
        if word in STAR_WORDS:
            return STAR_WORDS[word]
        try:
            if not word.isascii():  # float() reads other scripts' digits too
                raise ValueError(word)
            number = float(word.replace(",", "."))
        except ValueError:
            raise ValueError(
                _("rating “%(value)s” is not a number of stars", value=value)
            ) from None
    elif isinstance(value, int | float):
        number = float(value)
    else:
        raise ValueError(_("rating %(value)s is not a number of stars", value=repr(value)))
    if not math.isfinite(number) or number != int(number) or not 1 <= number <= 5:
        raise ValueError(_("rating %(value)s is outside 1–5 whole stars", value=value))
    return int(number)


def _text(value: Any) -> str:
    # NUL cannot be stored in PostgreSQL text; exports have been seen to carry it.
    return "" if value is None else str(value).replace("\r\n", "\n").replace("\x00", "").strip()


def _optional_url(value: Any) -> str | None:
    url = _text(value) or None
    if url is not None and not URL_RE.match(url):
        raise ValueError(_("url “%(value)s” is not a full http(s) address", value=url[:80]))
    return url


def _language(value: Any) -> str | None:
    raw = _text(value)
    if not raw:
        return None
    language = normalize_language(raw)
    if raw and language is None:
        raise ValueError(
            _("language “%(value)s” is not a language code such as en or pt-BR", value=raw[:20])
        )
    return language


def _build(where: str, fields: dict[str, Any], errors: list[tuple[str, str]]) -> ReviewRow | None:
    """A checked row, or None with every problem of the row added to errors."""
    problems: list[str] = []

    def attempt(label: str | None, convert: Any, value: Any) -> Any:
        """The converted value; a problem otherwise, after the column's name (``label``) unless
        the converter's own message names it already (None)."""
        try:
            return convert(value)
        except ValueError as exc:
            problems.append(f"{label}: {exc}" if label else str(exc))
            return None

    source = _text(fields.get("source")).lower() or "csv"
    if not SOURCE_RE.match(source):
        problems.append(
            _("source “%(value)s” must be a short name such as google or yelp", value=source[:40])
        )
    external_id = _text(fields.get("external_id"))
    if not external_id:
        problems.append(_("no external_id (the review's id on its site)"))
    elif len(external_id) > 255:
        problems.append(_("external_id is longer than 255 characters"))
    rating = attempt(None, _rating, fields.get("rating"))
    created_at = None
    if not _text(fields.get("created_at")):
        problems.append(_("no created_at date"))
    else:
        created_at = attempt("created_at", _date_or_explain, fields.get("created_at"))
    reply_at = None
    if _text(fields.get("reply_at")):
        reply_at = attempt("reply_at", _date_or_explain, fields.get("reply_at"))
    url = attempt(None, _optional_url, fields.get("url"))
    language = attempt(None, _language, fields.get("language"))
    author = _text(fields.get("author"))[:200]
    if problems:
        errors.extend((where, problem) for problem in problems)
        return None
    return ReviewRow(
        source=source,
        external_id=external_id,
        rating=rating,
        title=_text(fields.get("title")),
        text=_text(fields.get("text")),
        author=author,
        created_at=created_at,
        language=language,
        url=url,
        reply_text=_text(fields.get("reply_text")) or None,
        reply_at=reply_at,
        where=where,
    )


def _date_or_explain(value: Any) -> datetime:
    try:
        return parse_instant(value)
    except InvalidInput as exc:
        raise ValueError(
            _("“%(value)s” %(reason)s", value=str(value)[:40], reason=exc.reason)
        ) from None
    except ValueError:
        raise ValueError(_("“%(value)s” is not an ISO 8601 date", value=str(value)[:40])) from None


# --- formats ----------------------------------------------------------------------------------


def guess_format(data: bytes) -> str:
    """csv, gbp or trustpilot, from the content."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.startswith((b"{", b"[")):
        return "csv"
    sample = data[:65536]
    if b'"starRating"' in sample or b'"reviewId"' in sample:
        return "gbp"
    return "trustpilot"


def line_at(number: int) -> str:
    """Where a problem is: a line of the file."""
    return _("line %(num)d", num=number)


def review_at(number: int, external_id: str = "") -> str:
    """Where a problem is: the n-th review of a JSON file, with its id when it has one."""
    if external_id:
        return _("review %(num)d (%(id)s)", num=number, id=external_id[:40])
    return _("review %(num)d", num=number)


def _decode(data: bytes) -> tuple[str, list[tuple[str, str]]]:
    """The file as text; for bytes that are not UTF-8, the lines where they are."""
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    errors = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            errors.append(
                (
                    line_at(number),
                    _(
                        "not UTF-8 text (byte 0x%(byte)s at column %(column)d); "
                        "save the file as UTF-8",
                        byte=f"{line[exc.start]:02x}",
                        column=exc.start + 1,
                    ),
                )
            )
        if len(errors) >= 100:
            break
    return "", errors


def parse_csv(text: str) -> ParsedFile:
    parsed = ParsedFile("csv")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        parsed.errors.append((line_at(1), _("the file is empty; the first line names the columns")))
        return parsed
    except csv.Error as exc:
        parsed.errors.append((line_at(1), csv_problem(exc)))
        return parsed
    names = [h.strip().lower() for h in header]
    missing = [c for c in ("external_id", "rating", "created_at") if c not in names]
    if missing:
        parsed.errors.append(
            (
                line_at(1),
                ngettext(
                    "missing column: %(names)s",
                    "missing columns: %(names)s",
                    len(missing),
                    names=", ".join(missing),
                ),
            )
        )
        return parsed
    index = {name: i for i, name in enumerate(names) if name in COLUMNS}

    def unreadable(line: int, problem: str) -> None:
        parsed.errors.append((line_at(line), problem))

    for cells in csv_rows(reader, unreadable):
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        fields = {name: cells[i] if i < len(cells) else "" for name, i in index.items()}
        row = _build(line_at(line), fields, parsed.errors)
        if row is not None:
            parsed.rows.append(row)
    return parsed


def _json_reviews(text: str, parsed: ParsedFile) -> list[Any] | None:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        parsed.errors.append((line_at(exc.lineno), _("not valid JSON: %(reason)s", reason=exc.msg)))
        return None
    items = document.get("reviews") if isinstance(document, dict) else document
    if not isinstance(items, list):
        parsed.errors.append((_("file"), _('no list of reviews (expected {"reviews": [...]})')))
        return None
    return items


def _name(value: Any) -> str:
    return _text(value.get("displayName")) if isinstance(value, dict) else ""


def _gbp_comment(comment: Any) -> str:
    text = _text(comment)
    # "(Translated by Google) English … (Original) Deutsch …": keep the reviewer's own words.
    if text.startswith("(Translated by Google)") and "(Original)" in text:
        text = _GOOGLE_TRANSLATED.sub("", text, count=1).strip()
    return text


def parse_gbp(text: str) -> ParsedFile:
    parsed = ParsedFile("gbp")
    items = _json_reviews(text, parsed)
    for number, item in enumerate(items or [], start=1):
        if not isinstance(item, dict):
            parsed.errors.append((review_at(number), _("not a JSON object")))
            continue
        external_id = _text(item.get("reviewId")) or _text(item.get("name")).rsplit("/", 1)[-1]
        where = review_at(number, external_id)
        reply = item.get("reviewReply") if isinstance(item.get("reviewReply"), dict) else {}
        fields = {
            "source": "google",
            "external_id": external_id,
            "rating": item.get("starRating"),
            "text": _gbp_comment(item.get("comment")),
            "author": _name(item.get("reviewer")),
            "created_at": item.get("createTime"),
            "reply_text": reply.get("comment"),
            "reply_at": reply.get("updateTime"),
        }
        row = _build(where, fields, parsed.errors)
        if row is not None:
            parsed.rows.append(row)
    return parsed


def parse_trustpilot(text: str) -> ParsedFile:
    parsed = ParsedFile("trustpilot")
    items = _json_reviews(text, parsed)
    for number, item in enumerate(items or [], start=1):
        if not isinstance(item, dict):
            parsed.errors.append((review_at(number), _("not a JSON object")))
            continue
        external_id = _text(item.get("id"))
        where = review_at(number, external_id)
        reply = item.get("companyReply") if isinstance(item.get("companyReply"), dict) else {}
        url = None
        if external_id and re.fullmatch(r"[A-Za-z0-9]+", external_id):
            url = f"https://www.trustpilot.com/reviews/{external_id}"
        fields = {
            "source": "trustpilot",
            "external_id": external_id,
            "rating": item.get("stars"),
            "title": item.get("title"),
            "text": item.get("text"),
            "author": _name(item.get("consumer")),
            "created_at": item.get("createdAt"),
            "language": item.get("language"),
            "url": url,
            "reply_text": reply.get("text"),
            "reply_at": reply.get("updatedAt") or reply.get("createdAt"),
        }
        row = _build(where, fields, parsed.errors)
        if row is not None:
            parsed.rows.append(row)
    return parsed


PARSERS = {"csv": parse_csv, "gbp": parse_gbp, "trustpilot": parse_trustpilot}


def parse_file(data: bytes, fmt: str | None = None) -> ParsedFile:
    """Every review of the file, checked; ``fmt`` is guessed from the content when not given."""
    if fmt is not None and fmt not in PARSERS:
        return ParsedFile(
            fmt,
            errors=[
                (_("file"), _("unknown format “%(fmt)s”; use csv, gbp or trustpilot", fmt=fmt))
            ],
        )
    fmt = fmt or guess_format(data)
    if len(data) > MAX_BYTES:
        size = len(data) / 1024 / 1024
        return ParsedFile(
            fmt,
            errors=[
                (
                    _("file"),
                    _(
                        "the file is %(size)s MB; the limit is 50 MB: split it",
                        size=f"{size:.1f}",
                    ),
                )
            ],
        )
    text, errors = _decode(data)
    if errors:
        return ParsedFile(fmt, errors=errors)
    parsed = PARSERS[fmt](text)
    _check_duplicates(parsed)
    return parsed


def _check_duplicates(parsed: ParsedFile) -> None:
    """The same review twice in one file: identical copies are merged, different ones refused."""
    seen: dict[tuple[str, str], ReviewRow] = {}
    unique: list[ReviewRow] = []
    for row in parsed.rows:
        first = seen.get(row.key)
        if first is None:
            seen[row.key] = row
            unique.append(row)
        elif first != row:
            parsed.errors.append(
                (
                    row.where,
                    _(
                        "review %(id)s of %(source)s appears again with different content "
                        "(first at %(where)s)",
                        id=row.external_id,
                        source=row.source,
                        where=first.where,
                    ),
                )
            )
    parsed.rows = unique
