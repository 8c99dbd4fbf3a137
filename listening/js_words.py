"""The words of listening's page scripts (see core/js_words.py): the inbox's bulk selection."""

from __future__ import annotations

from typing import Any

from flask_babel import ngettext

from core.js_words import Plural


def bulk_select_words() -> dict[str, Any]:
    return {
        "{count} selected": Plural(lambda n: ngettext("{count} selected", "{count} selected", n))
    }
