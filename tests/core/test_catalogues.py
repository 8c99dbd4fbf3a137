"""The catalogues: every string marked in the code and templates is translated in Latvian,
Lithuanian and Polish; no catalogue keeps a string the code no longer has; plural forms follow
Babel's rules; and the templates already translated have no text left unmarked."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po
from wtforms.i18n import messages_path

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "core" / "translations"
TRANSLATED = ("lv", "lt", "pl")
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "lazy_gettext": None,
    "_l": None,
    "lazy_ngettext": (1, 2),
}


def marked_strings() -> set[str | tuple[str, str]]:
    """Every msgid that babel.cfg's extraction finds (what `flask i18n extract` writes)."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: set[str | tuple[str, str]] = set()
    for _filename, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True
    ):
        found.add(message if isinstance(message, str) else tuple(message[:2]))
    return found


@pytest.fixture(scope="module")
def extracted() -> set[str | tuple[str, str]]:
    return marked_strings()


def catalogue(language: str, domain: str = "messages"):
    path = TRANSLATIONS / language / "LC_MESSAGES" / f"{domain}.po"
    with path.open("rb") as po_file:
        return read_po(po_file, locale=language)


def msgids(catalog) -> set[str | tuple[str, str]]:
    return {m.id if isinstance(m.id, str) else tuple(m.id) for m in catalog if m.id}


def test_extraction_finds_the_strings_of_templates_and_python(extracted):
    # A sanity check on the extraction itself: a template string, a Python string, a plural.
    assert "Set password and log in" in extracted
    assert "Only approvers approve or reject posts." in extracted
    assert ("%(num)d new post", "%(num)d new posts") in extracted


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_marked_string_is_in_the_catalogue_and_translated(language, extracted):
    catalog = catalogue(language)
    missing = sorted(map(str, extracted - msgids(catalog)))
    assert not missing, f"{len(missing)} string(s) missing in {language}: {missing[:20]}"
    untranslated = [
        str(m.id)
        for m in catalog
        if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))
    ]
    assert not untranslated, f"untranslated in {language}: {untranslated[:20]}"
    fuzzy = [str(m.id) for m in catalog if m.id and m.fuzzy]
    assert not fuzzy, f"fuzzy (unchecked) in {language}: {fuzzy[:20]}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_no_catalogue_keeps_a_stale_string(language, extracted):
    catalog = catalogue(language)
    stale = sorted(map(str, msgids(catalog) - extracted))
    assert not stale, f"{language} keeps strings the code no longer has: {stale[:20]}"
    assert not catalog.obsolete, f"{language} has obsolete (#~) entries: {list(catalog.obsolete)}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_every_placeholder(language):
    catalog = catalogue(language)
    problems = [(str(m.id), str(error)) for m in catalog if m.id for error in m.check(catalog)]
    assert not problems, problems[:10]
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        tags = set(re.findall(r"</?[a-z]+", ids[-1]))
        for string in strings:
            assert set(re.findall(r"</?[a-z]+", string)) == tags, (message.id, string)


@pytest.mark.parametrize("language", TRANSLATED)
def test_plural_forms_follow_babels_rules_with_three_forms(language):
    rule = get_plural(language)
    assert rule.num_plurals == 3
    for domain in ("messages", "wtforms") if language != "pl" else ("messages",):
        catalog = catalogue(language, domain)
        assert catalog.num_plurals == 3
        assert catalog.plural_expr == rule.plural_expr
        for message in catalog:
            if isinstance(message.id, tuple):
                assert len(message.string) == 3 and all(message.string), message.id


@pytest.mark.parametrize("language", ("lv", "lt"))
def test_wtforms_messages_are_translated_where_wtforms_ships_none(language):
    with (Path(messages_path()) / "wtforms.pot").open("rb") as pot_file:
        wanted = msgids(read_po(pot_file))
    catalog = catalogue(language, "wtforms")
    assert wanted <= msgids(catalog)
    assert all(m.string and (not isinstance(m.string, tuple) or all(m.string)) for m in catalog)


# --- templates ---------------------------------------------------------------------------------

# Every template: none may leave text unmarked.
TEMPLATES = sorted(
    str(path.relative_to(ROOT / "templates")) for path in (ROOT / "templates").rglob("*.html")
)
JINJA = re.compile(r"{#.*?#}|{%-?\s*trans\b.*?endtrans\s*-?%}|{%.*?%}|{{.*?}}", re.S)
ATTRIBUTES_READ = ("title", "aria-label", "placeholder", "alt")
# Text that is the same in every language: names, symbols, addresses.
NOT_WORDS = re.compile(r"\b(PageOne|Instagram|UTC|ID)\b|https?://\S*")


class TextNodes(HTMLParser):
    """The visible text and read-aloud attributes of a template whose Jinja was blanked out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
        for name, value in attrs:
            if name in ATTRIBUTES_READ and value and value.strip():
                self.found.append(value.strip())

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip and data.strip():
            self.found.append(data.strip())


def unmarked_text(source: str) -> list[str]:
    parser = TextNodes()
    parser.feed(JINJA.sub(" ", source))
    return [text for text in parser.found if re.search(r"[^\W\d_]", NOT_WORDS.sub("", text))]


def test_the_scan_finds_unmarked_text_and_ignores_marked_text():
    assert unmarked_text("<p>Hello {{ name }}</p>") == ["Hello"]
    assert unmarked_text('<p>{{ _("Hello") }} · {% trans %}Hi {{ x }}{% endtrans %}</p>') == []
    assert unmarked_text('<button aria-label="Close">×</button>') == ["Close"]
    assert unmarked_text("<script>var a = 'words';</script>") == []


@pytest.mark.parametrize("template", TEMPLATES)
def test_translated_templates_leave_no_text_unmarked(template):
    source = (ROOT / "templates" / template).read_text(encoding="utf-8")
    assert unmarked_text(source) == []
