"""Strict parsing of numbers and times that come from users: one place, ASCII only, bounded.

Python's `int()` reads `١٢` (Arabic-Indic digits) and `str.isdigit()` accepts `²`, which `int()`
refuses; `float()` reads `1e400` as infinity and `nan` as a number; a time near year 9999 with an
offset overflows when converted to UTC. Each of these reached the database or a conversion and
became a server error. Every value a user sends goes through these helpers, which refuse all of
them with a reason that names the field (`InvalidInput`, answered as 422).
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, tzinfo
from typing import Any

from flask_babel import lazy_gettext as _l

# Primary keys and integer columns are PostgreSQL INTEGER (32-bit signed); a larger id names
# nothing, and sending it to PostgreSQL fails the statement with "integer out of range".
DB_INT_MAX = 2**31 - 1
DB_INT_MIN = -(2**31)

# csv's cell limit (Python's default, set here on purpose): far above any post, review or
# mention text; a longer cell used to raise csv.Error mid-import and is now a line-numbered error.
CSV_CELL_LIMIT = 131_072

FIRST_YEAR, LAST_YEAR = 2, 9998

_INTEGER = re.compile(r"[+-]?[0-9]{1,20}")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]{1,20}(?:\.[0-9]{0,20})?|\.[0-9]{1,20})")


class InvalidInput(ValueError):
    """A value a user sent that cannot be read; `field` names it and `reason` says why.

    `message` is English, for the JSON API and the logs; `said`, when given, is the same
    sentence marked for translation, which a page shows in the reader's language."""

    def __init__(self, field: str, reason: str, said: Any = None) -> None:
        self.field, self.reason, self.said = field, reason, said
        super().__init__(f"'{field}' {reason}")

    @property
    def message(self) -> str:
        return str(self)

    def page_message(self) -> str:
        return str(self.said) if self.said is not None else self.message

    @property
    def errors(self) -> list[str]:
        return [self.message]


def _number_words(kind: str, field: str, minimum: Any, maximum: Any) -> Any:
    """The page's sentence for a refused number: whole sentences per kind and bounds, since
    word order differs between languages."""
    v = {"field": field, "minimum": minimum, "maximum": maximum}
    both, low, high = (
        minimum is not None and maximum is not None,
        minimum is not None,
        maximum is not None,
    )
    if kind == "digits":
        if both:
            return _l(
                "'%(field)s' must be a whole number between %(minimum)s and %(maximum)s written "
                "in digits 0-9.",
                **v,
            )
        if low:
            return _l(
                "'%(field)s' must be a whole number of at least %(minimum)s written in digits 0-9.",
                **v,
            )
        if high:
            return _l(
                "'%(field)s' must be a whole number of at most %(maximum)s written in digits 0-9.",
                **v,
            )
        return _l("'%(field)s' must be a whole number written in digits 0-9.", **v)
    if kind == "whole":
        if both:
            return _l(
                "'%(field)s' must be a whole number between %(minimum)s and %(maximum)s.", **v
            )
        if low:
            return _l("'%(field)s' must be a whole number of at least %(minimum)s.", **v)
        if high:
            return _l("'%(field)s' must be a whole number of at most %(maximum)s.", **v)
        return _l("'%(field)s' must be a whole number.", **v)
    if kind == "decimal":
        if both:
            return _l(
                "'%(field)s' must be a decimal number between %(minimum)s and %(maximum)s, such "
                "as 2.5.",
                **v,
            )
        if low:
            return _l(
                "'%(field)s' must be a decimal number of at least %(minimum)s, such as 2.5.", **v
            )
        if high:
            return _l(
                "'%(field)s' must be a decimal number of at most %(maximum)s, such as 2.5.", **v
            )
        return _l("'%(field)s' must be a decimal number, such as 2.5.", **v)
    if both:
        return _l("'%(field)s' must be a number between %(minimum)s and %(maximum)s.", **v)
    if low:
        return _l("'%(field)s' must be a number of at least %(minimum)s.", **v)
    if high:
        return _l("'%(field)s' must be a number of at most %(maximum)s.", **v)
    return _l("'%(field)s' must be a number.", **v)


def _range_text(minimum: int | float | None, maximum: int | float | None) -> str:
    if minimum is not None and maximum is not None:
        return f" between {minimum} and {maximum}"
    if minimum is not None:
        return f" of at least {minimum}"
    if maximum is not None:
        return f" of at most {maximum}"
    return ""


def parse_int(
    value: Any,
    field: str,
    *,
    default: int | None = None,
    minimum: int | None = DB_INT_MIN,
    maximum: int | None = DB_INT_MAX,
) -> int | None:
    """A whole number written in ASCII digits within [minimum, maximum]; `default` when blank.

    JSON integers are accepted as they are (booleans are not numbers here).
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        number = None
    bounds = _range_text(minimum, maximum)
    if number is None:
        raise InvalidInput(
            field,
            f"must be a whole number{bounds} written in digits 0-9.",
            _number_words("digits", field, minimum, maximum),
        )
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise InvalidInput(
            field,
            f"must be a whole number{bounds}.",
            _number_words("whole", field, minimum, maximum),
        )
    return number


def parse_id(value: Any, field: str) -> int | None:
    """An optional row id: a positive whole number that fits the database; None when blank."""
    return parse_int(value, field, minimum=1)


def parse_float(
    value: Any,
    field: str,
    *,
    default: float | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
) -> float | None:
    """A finite decimal in ASCII digits (no exponent, nan or infinity); `default` when blank."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    number: float | None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int | float):
        number = float(value) if math.isfinite(value) and abs(value) < 1e15 else None
    elif isinstance(value, str) and _DECIMAL.fullmatch(value.strip()):
        number = float(value.strip())
    else:
        number = None
    bounds = _range_text(minimum, maximum)
    if number is None:
        raise InvalidInput(
            field,
            f"must be a decimal number{bounds}, such as 2.5.",
            _number_words("decimal", field, minimum, maximum),
        )
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise InvalidInput(
            field, f"must be a number{bounds}.", _number_words("number", field, minimum, maximum)
        )
    return number


def parse_datetime(value: Any, field: str, *, default_zone: tzinfo | None = None) -> datetime:
    """An ISO 8601 date-time as aware UTC; without an offset it is read in `default_zone`
    (or refused). Years outside 1–9999 once converted to UTC are refused, not overflowed."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(
            field,
            "must be an ISO 8601 date-time, such as 2026-05-01T09:00:00Z.",
            _l(
                "'%(field)s' must be an ISO 8601 date-time, such as 2026-05-01T09:00:00Z.",
                field=field,
            ),
        )
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        raise InvalidInput(
            field,
            f"is not an ISO 8601 date-time: {text[:40]!r}; use e.g. 2026-05-01T09:00:00Z.",
            _l(
                "'%(field)s' is not an ISO 8601 date-time: %(value)s; use e.g. "
                "2026-05-01T09:00:00Z.",
                field=field,
                value=repr(text[:40]),
            ),
        ) from None
    if parsed.tzinfo is None:
        if default_zone is None:
            raise InvalidInput(
                field,
                "needs a UTC offset, e.g. 2026-05-01T09:00:00Z.",
                _l("'%(field)s' needs a UTC offset, e.g. 2026-05-01T09:00:00Z.", field=field),
            )
        parsed = parsed.replace(tzinfo=default_zone)
    return to_utc(parsed, field)


def to_utc(moment: datetime, field: str) -> datetime:
    """`moment` in UTC; a time whose UTC date falls outside years 1–9999 is refused."""
    try:
        converted = moment.astimezone(UTC)
        # A year's margin at either end, so that later arithmetic on the value (a day
        # before, a week after, a local calendar day) cannot overflow either.
        if not FIRST_YEAR <= converted.year <= LAST_YEAR:
            raise OverflowError
    except OverflowError:
        raise InvalidInput(
            field,
            f"is too far in the past or future; use a year from {FIRST_YEAR} to {LAST_YEAR}.",
            _l(
                "'%(field)s' is too far in the past or future; use a year from %(first)s to "
                "%(last)s.",
                field=field,
                first=FIRST_YEAR,
                last=LAST_YEAR,
            ),
        ) from None
    return converted


def csv_problem(exc: csv.Error) -> str:
    """What a person can do about a csv.Error, as a sentence."""
    if "field larger than field limit" in str(exc):
        return f"a cell is longer than {CSV_CELL_LIMIT:,} characters; shorten it."
    return f"the line cannot be read as CSV ({exc}); check its quotes."


def csv_rows(reader: Any, on_error: Callable[[int, str], None]) -> Iterator[Any]:
    """The rows of a csv reader (or DictReader) until one cannot be read: that one's line
    number and the problem go to `on_error` (a cell that is too long, a stray quote), and
    reading stops there instead of raising csv.Error out of the import."""
    csv.field_size_limit(CSV_CELL_LIMIT)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            # A DictReader updates its own line_num only after a row was read.
            on_error(getattr(reader, "reader", reader).line_num, csv_problem(exc))
            return
        yield row


def csv_header(reader: csv.DictReader, on_error: Callable[[int, str], None]) -> list[str]:
    """A DictReader's header row, stripped; [] after reporting a header that cannot be read."""
    csv.field_size_limit(CSV_CELL_LIMIT)
    try:
        return [name.strip() for name in (reader.fieldnames or [])]
    except csv.Error as exc:
        on_error(reader.reader.line_num, csv_problem(exc))
        return []
