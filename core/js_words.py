"""The words of the page scripts (static/js) in the page's language.

A script has no catalogue of its own: the page that loads it renders its dictionary as a JSON
data block, ``{{ script_words("composer") }}`` → ``<script type="application/json"
id="words-composer">``, and the script looks each English text up there, keeping the English
when the block or an entry is missing. Each feature keeps its scripts' dictionaries in Python
(so ``flask i18n extract`` finds the msgids) and ``app.py`` registers them in
``app.extensions["pageone.script_words"]``: script name → a function returning the dictionary.

A dictionary maps the English text (with ``{name}`` placeholders the script fills in) to:
- a translated string (``_l(...)``, read when the page renders);
- a :class:`Plural` (a function of the count that calls ``ngettext``): its forms by the CLDR
  category the browser's ``Intl.PluralRules`` gives ("one", "few", "zero", "other"), plus exact
  numbers where the catalogue parts from the category; the script picks
  ``entry[n] || entry[category] || entry.other``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from babel import Locale
from flask import current_app
from markupsafe import Markup

from core.i18n import current_language

ScriptWords = Callable[[], Mapping[str, Any]]
# Numbers looked at to tell which catalogue form each plural category takes.
PLURAL_SAMPLES = range(0, 200)


@dataclass(frozen=True)
class Plural:
    """A text with a count: ``say(n)`` calls ``ngettext`` with the msgids, so they are found."""

    say: Callable[[int], str]

    def forms(self) -> dict[str, str]:
        """The catalogue's form for each CLDR category, from the numbers of that category; a
        number whose form differs from its category's usual one is listed on its own."""
        rule = Locale.parse(current_language()).plural_form
        by_number = {n: str(self.say(n)) for n in PLURAL_SAMPLES}
        forms: dict[str, str] = {}
        for category in sorted({rule(n) for n in PLURAL_SAMPLES}):
            said = [by_number[n] for n in PLURAL_SAMPLES if rule(n) == category]
            forms[category] = max(sorted(set(said)), key=said.count)
        for n, text in by_number.items():
            if text != forms[rule(n)]:
                forms[str(n)] = text
        return forms


def words_of(script: str) -> dict[str, Any]:
    """The registered dictionary of ``script`` in the current language ({} when it has none)."""
    registry: Mapping[str, ScriptWords] = current_app.extensions.get("pageone.script_words", {})
    provider = registry.get(script)
    if provider is None:
        return {}
    words: dict[str, Any] = {}
    for english, said in provider().items():
        words[english] = said.forms() if isinstance(said, Plural) else str(said)
    return words


def script_words(script: str) -> Markup:
    """The JSON data block a page renders before loading ``static/js/<script>.js``."""
    data = json.dumps(words_of(script), ensure_ascii=False, sort_keys=True)
    # "</script>" or "<!--" in a text would end the element early; JSON reads \u003c as "<".
    data = data.replace("<", "\\u003c")
    return Markup(f'<script type="application/json" id="words-{script}">{data}</script>')


def register_script_words(app: Any, words: Mapping[str, ScriptWords]) -> None:
    """Each feature's dictionaries, and ``script_words`` for the templates."""
    app.extensions["pageone.script_words"] = dict(words)
    app.jinja_env.globals["script_words"] = script_words
