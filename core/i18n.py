"""Languages: English, Latvian, Lithuanian and Polish with Flask-Babel.

Which language a page speaks: a language forced for this answer (a brand's public page, a mail
about a brand) > the person's own setting (``User.locale``) > the browser's Accept-Language >
English. The catalogues live in ``core/translations/<lang>/LC_MESSAGES/*.po``; their compiled
``.mo`` files are built at start into the instance folder whenever one is missing or older than
its ``.po``, so nobody has to remember a compile step.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click
from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_skeleton, get_day_names
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal as babel_format_decimal
from flask import Flask, Response, g, has_request_context, request
from flask_babel import Babel, force_locale, get_locale, refresh
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from wtforms.i18n import messages_path

logger = logging.getLogger("core.i18n")

# Each language in its own name: that is how a person looks for theirs in a list.
LANGUAGES: dict[str, str] = {
    "en": "English",
    "lv": "Latviešu",
    "lt": "Lietuvių",
    "pl": "Polski",
}
DEFAULT_LANGUAGE = "en"
SOURCE_DIR = Path(__file__).resolve().parent / "translations"
DOMAINS = ("messages", "wtforms")
PUBLIC_COOKIE = "pageone_public_lang"
PUBLIC_COOKIE_DAYS = 365

babel = Babel()

# Roles are stored in English ("approver"); people read them in their language.
ROLE_NAMES = {
    "viewer": _l("viewer"),
    "editor": _l("editor"),
    "approver": _l("approver"),
    "admin": _l("admin"),
}


# The error pages' titles, and the words for an error that carries no description of ours.
HTTP_ERRORS = {
    400: (_l("Bad Request"), _l("The request could not be understood; check what was sent.")),
    403: (_l("Forbidden"), _l("You do not have permission to see this page.")),
    404: (_l("Not Found"), _l("There is nothing at this address; check the link.")),
    405: (_l("Method Not Allowed"), _l("This address does not accept that kind of request.")),
    410: (_l("Gone"), _l("This is no longer available.")),
    413: (_l("Request Entity Too Large"), _l("What was sent is too large.")),
    422: (_l("Unprocessable Entity"), _l("What was sent cannot be used; check it and try again.")),
    429: (_l("Too Many Requests"), _l("Too many attempts: wait a little, then try again.")),
}


# A form refused by the CSRF check. Flask-WTF's reasons ("The CSRF token is missing.", "… has
# expired", "… do not match") mean one thing to the person: this page's form could not be
# checked, most often because the session changed since the page was opened (a logout or
# login in another tab) or the browser does not keep cookies. The reason goes to the log.
FORM_EXPIRED = (
    _l("This form could not be sent"),
    _l(
        "For your safety PageOne accepts a form only from a page it gave you in this session, "
        "and this one could not be checked: you may have logged out or in again since the page "
        "was opened, or your browser does not keep cookies. Reload the page and send the form "
        "again; what you typed may need to be entered again."
    ),
)


def http_error_words(error: Any) -> tuple[str, str]:
    """An HTTP error's title and text in the page's language; our own descriptions were
    translated where they were written, Werkzeug's defaults are replaced here."""
    if isinstance(error, CSRFError):
        return str(FORM_EXPIRED[0]), str(FORM_EXPIRED[1])
    code = getattr(error, "code", None)
    title, default_text = HTTP_ERRORS.get(code, (getattr(error, "name", ""), ""))
    text = getattr(error, "description", "") or ""
    if not text or text == type(error).description:
        text = default_text or text
    return str(title), str(text)


def role_name(role: str | None) -> str:
    return str(ROLE_NAMES.get(role or "", role or ""))


def language_or_none(value: str | None) -> str | None:
    """The supported language code ``value`` names ("lv", "pl-PL", "LT"), or None."""
    code = (value or "").strip().replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else None


# --- choosing the language --------------------------------------------------------------------


def select_locale() -> str:
    """Flask-Babel's locale selector (see the module docstring for the order)."""
    forced = getattr(g, "pageone_language", None)
    if forced:
        return forced
    if not has_request_context():
        return DEFAULT_LANGUAGE
    user_language = getattr(current_user, "locale", None) if current_user else None
    if language_or_none(user_language):
        return user_language
    return request.accept_languages.best_match(list(LANGUAGES)) or DEFAULT_LANGUAGE


def use_language(code: str | None) -> None:
    """Speak ``code`` for the rest of this request (when it is a supported language)."""
    language = language_or_none(code)
    if language:
        g.pageone_language = language
        refresh()


def public_page_language(brand_language: str | None) -> str:
    """The language of a brand's public page, and the answer speaks it from here on.

    ``?lang=xx`` wins and is remembered in a cookie that only public pages read; then that
    cookie; then the brand's own language. The visitor's browser plays no part: a Latvian
    brand's page is Latvian for everyone, with the other languages one click away.
    """
    asked = language_or_none(request.args.get("lang"))
    chosen = (
        asked
        or language_or_none(request.cookies.get(PUBLIC_COOKIE))
        or language_or_none(brand_language)
        or DEFAULT_LANGUAGE
    )
    use_language(chosen)
    g.pageone_public_language_asked = asked
    return chosen


def _remember_public_language(response: Response) -> Response:
    asked = getattr(g, "pageone_public_language_asked", None)
    if asked:
        response.set_cookie(
            PUBLIC_COOKIE,
            asked,
            max_age=PUBLIC_COOKIE_DAYS * 86400,
            samesite="Lax",
            httponly=True,
            secure=request.is_secure,
        )
    if hasattr(g, "pageone_public_language_asked"):
        # The same address answers in another language for another visitor.
        response.vary.add("Cookie")
    return response


@contextmanager
def language(code: str | None) -> Iterator[str]:
    """Speak ``code`` inside the block (a mail to someone else), then the request's own again."""
    chosen = language_or_none(code) or current_language()
    with force_locale(chosen):
        yield chosen


def current_language() -> str:
    locale = get_locale()
    return locale.language if locale is not None and locale.language in LANGUAGES else "en"


# --- formats ----------------------------------------------------------------------------------


def _locale() -> Locale:
    return get_locale() or Locale.parse(DEFAULT_LANGUAGE)


def _zone(zone: ZoneInfo | str | None) -> ZoneInfo:
    if zone is None:
        return ZoneInfo("UTC")
    return zone if isinstance(zone, ZoneInfo) else ZoneInfo(str(zone))


def local_datetime(value: datetime | None, zone: ZoneInfo | str | None = None,
                   skeleton: str = "yMMMd") -> str:  # fmt: skip
    """A moment in ``zone`` (UTC by default): the day from a CLDR date skeleton ("yMMMd",
    "MMMMEEEEd"), then the 24-hour time, joined the locale's way ("6 Dec 2026, 14:05" in
    English, "2026. gada 6. dec. 14:05" in Latvian)."""
    if value is None:
        return ""
    locale, tz = _locale(), _zone(zone)
    day = format_skeleton(skeleton, value, tzinfo=tz, locale=locale)
    clock = format_skeleton("Hm", value, tzinfo=tz, locale=locale)
    joined = locale.datetime_formats["medium"]
    return str(joined).replace("{1}", day).replace("{0}", clock)


def local_date(value: datetime | date | None, zone: ZoneInfo | str | None = None,
               skeleton: str = "yMMMMd") -> str:  # fmt: skip
    """A day in ``zone``, the locale's way (a datetime is first moved to the zone)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_skeleton(skeleton, value, tzinfo=_zone(zone), locale=_locale())
    return babel_format_date(value, format=skeleton_pattern(skeleton), locale=_locale())


def skeleton_pattern(skeleton: str) -> str:
    return _locale().datetime_skeletons[skeleton].pattern


def number(value: float | int | None, digits: int | None = None) -> str:
    """A number the locale's way ("1,234.5", "1 234,5"); ``digits`` fixes the decimals."""
    if value is None:
        return ""
    pattern = None if digits is None else "#,##0." + "0" * digits if digits else "#,##0"
    return babel_format_decimal(value, format=pattern, locale=_locale())


def weekday_names(width: str = "wide") -> list[str]:
    """Monday … Sunday in the locale (index 0 is Monday, as ``datetime.weekday()``)."""
    names = get_day_names(width, locale=_locale())
    return [names[day] for day in range(7)]


def weekday_name(day: int, width: str = "wide") -> str:
    return weekday_names(width)[day]


def _template_globals() -> dict[str, Any]:
    code = current_language()
    return {
        "html_lang": code,
        "LANGUAGES": LANGUAGES,
        "calendar_locale": code,
        "http_error_words": http_error_words,
    }


# --- compiled catalogues ----------------------------------------------------------------------


def compiled_dir(instance_path: str) -> Path:
    return Path(instance_path) / "translations"


def compile_catalogues(source: Path, target: Path) -> list[Path]:
    """Compile every ``.po`` under ``source`` whose ``.mo`` under ``target`` is missing or older;
    the files written. Each ``.mo`` is written beside and renamed into place, so a second
    process starting at the same moment never reads half a file."""
    written = []
    for po_path in sorted(source.glob("*/LC_MESSAGES/*.po")):
        mo_path = target / po_path.relative_to(source).with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=mo_path.parent, suffix=".mo.tmp")
        try:
            with os.fdopen(handle, "wb") as mo_file:
                write_mo(mo_file, catalog)
            os.replace(temporary, mo_path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        written.append(mo_path)
    return written


class _FormTranslations:
    """WTForms' own messages ("This field is required.") in the page's language: WTForms ships
    Polish; Latvian and Lithuanian come from our ``wtforms.po``, which also wins for Polish."""

    def __init__(self, directories: list[str]) -> None:
        self.directories = directories
        self.cache: dict[str, Any] = {}

    def _translations(self) -> Any:
        from babel import support

        code = current_language()
        if code not in self.cache:
            merged = support.Translations.load(messages_path(), [code], domain="wtforms")
            for directory in self.directories:
                ours = support.Translations.load(directory, [code], domain="wtforms")
                if isinstance(ours, support.Translations):
                    if isinstance(merged, support.Translations):
                        merged.merge(ours)
                    else:
                        merged = ours
            self.cache[code] = merged
        return self.cache[code]

    def gettext(self, string: str) -> str:
        return self._translations().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._translations().ungettext(singular, plural, n)


def form_translations() -> _FormTranslations:
    from flask import current_app

    return current_app.extensions["pageone.form_translations"]


# --- set-up -----------------------------------------------------------------------------------


def register_i18n(app: Flask) -> None:
    """Flask-Babel with our catalogues (compiled now if needed), formats and the public cookie."""
    target = compiled_dir(app.instance_path)
    try:
        compile_catalogues(SOURCE_DIR, target)
    except OSError as exc:  # a read-only instance folder: compile into a private temp folder
        logger.warning(
            "catalogues not compiled into %s (%s); using a temporary folder", target, exc
        )
        target = Path(tempfile.mkdtemp(prefix="pageone-translations-"))
        compile_catalogues(SOURCE_DIR, target)
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(target)
    babel.init_app(app, locale_selector=select_locale)
    app.extensions["pageone.form_translations"] = _FormTranslations([str(target)])
    app.jinja_env.filters.update(
        local_datetime=local_datetime,
        local_date=local_date,
        number=number,
        weekday_name=weekday_name,
        role_name=role_name,
    )
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.context_processor(_template_globals)
    app.after_request(_remember_public_language)
    app.cli.add_command(i18n_cli)


# --- maintainers' commands --------------------------------------------------------------------

ROOT = SOURCE_DIR.parent.parent
BABEL_CFG = ROOT / "babel.cfg"
POT = SOURCE_DIR / "messages.pot"


@click.group("i18n")
def i18n_cli() -> None:
    """Catalogues of the interface's languages (for maintainers)."""


@i18n_cli.command("extract")
def extract_command() -> None:
    """Write core/translations/messages.pot from every marked string in code and templates."""
    from babel.messages.frontend import CommandLineInterface

    CommandLineInterface().run(
        ["pybabel", "extract", "-F", str(BABEL_CFG), "-k", "_l", "--no-location",
         "--sort-output", "--project", "PageOne", "-o", str(POT), str(ROOT)]
    )  # fmt: skip


@i18n_cli.command("update")
def update_command() -> None:
    """Extract, then merge the template into each language's messages.po (new strings appear
    untranslated; removed ones become obsolete and must be deleted)."""
    from babel.messages.frontend import CommandLineInterface

    extract_command.callback()
    CommandLineInterface().run(
        ["pybabel", "update", "-i", str(POT), "-d", str(SOURCE_DIR), "--no-fuzzy-matching",
         "--ignore-obsolete"]
    )  # fmt: skip


@i18n_cli.command("compile")
def compile_command() -> None:
    """Compile the catalogues now (the app also does it at start when one is out of date)."""
    from flask import current_app

    written = compile_catalogues(SOURCE_DIR, compiled_dir(current_app.instance_path))
    click.echo(f"{len(written)} catalogue(s) compiled")
