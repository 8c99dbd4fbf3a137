"""How displacement figures read on the dashboard, the weekly report and its plain-text part.

Plain functions rather than template macros: the dashboard shows some 4,000 figures and strip
squares, and a macro call costs the template several times what a function call does. The
templates reach them as globals (registered by :mod:`serp.dashboard`); values are escaped here
wherever HTML is built.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from markupsafe import Markup, escape

from serp.displacement import COMPOSITION_KEYS

# The colour of each label in page-one strips and their legends.
COLOURS = {
    "owned": "#2563eb",
    "positive": "#16a34a",
    "neutral": "#9ca3af",
    "unlabelled": "#e5e7eb",
    "negative": "#dc2626",
    "empty": "#ffffff",
}
# The labels as people read them (stored and sent in English).
LABEL_NAMES = {
    "owned": _l("owned"),
    "positive": _l("positive"),
    "neutral": _l("neutral"),
    "unlabelled": _l("unlabelled"),
    "negative": _l("negative"),
    "empty": _l("empty"),
}
# The stages of a displacement plan's assets (serp.plans.STAGES) and the kinds of owned asset.
STAGE_NAMES = {
    "drafted": _l("drafted"),
    "published": _l("published"),
    "seen in results": _l("seen in results"),
    "above the negative item": _l("above the negative item"),
}
ASSET_KIND_NAMES = {
    "social_post": _l("social post"),
    "reviews_page": _l("reviews page"),
    "blog_post": _l("blog post"),
    "other": _l("other"),
}
# The notes that stand for a missing figure (serp.displacement keeps them in English).
NOTES = (
    (re.compile(r"too few checks"), _l("too few checks")),
    (re.compile(r"no good check"), _l("no good check")),
    (re.compile(r"> (?P<depth>\d+) both times"), _l("> %(depth)s both times")),
    (re.compile(r"entered from > (?P<depth>\d+)"), _l("entered from > %(depth)s")),
    (re.compile(r"fell below (?P<depth>\d+)"), _l("fell below %(depth)s")),
)


# The states of a check as people read them (stored in English).
STATUS_NAMES = {"ok": _l("ok"), "blocked": _l("blocked"), "error": _l("error")}


def status_name(status: str) -> str:
    return str(STATUS_NAMES.get(status, status))


def label_name(label: str) -> str:
    return str(LABEL_NAMES.get(label, label))


def note(text: str) -> str:
    """A note of serp.displacement in the reader's language."""
    for pattern, words in NOTES:
        found = pattern.fullmatch(text)
        if found:
            return str(words) % found.groupdict()
    return text


# The e-mail's squares carry their style inline: mail clients drop style sheets.
_MAIL_SQUARE = (
    "display: inline-block; width: 14px; height: 14px; margin-right: 1px; "
    "border: 1px solid #ccc; background: "
)


def pct(value: float | None) -> str:
    """A score in [-1, 1] as signed points out of 100; "–" when there is none."""
    return "–" if value is None else f"{value * 100:+.1f}"


def shown(item: Mapping[str, Any], name: str) -> str:
    """A negative item's figure as text: the number (changes signed), or the note that explains
    its absence ("too few checks", "> depth", ...)."""
    value = item[name]
    if value is None:
        return note(item["notes"].get(name, f"> {item['depth']}"))
    return f"{value:+d}" if name.startswith("change") else str(value)


def shown_cell(item: Mapping[str, Any], name: str) -> Markup:
    """:func:`shown` for a table cell: a missing figure carries its note as a tooltip."""
    if item[name] is not None:
        return Markup(escape(shown(item, name)))
    return Markup('<span title="{}">{}</span>').format(
        note(item["notes"].get(name, "")), shown(item, name)
    )


# The figures of a negative item in the weekly report, in its columns' order.
REPORT_FIGURES = (
    "current", "change_last", "change_4w", "change_12w", "best", "weeks_on_page_one", "needed",
)  # fmt: skip


def report_cells(item: Mapping[str, Any]) -> Markup:
    """A negative item's figures as the weekly report's table cells (styled inline for mail)."""
    return Markup(
        "".join(
            f'<td align="center" style="padding: 2px 6px">{escape(shown(item, name))}</td>'
            for name in REPORT_FIGURES
        )
    )


def strip(query: Mapping[str, Any], *, mail: bool = False) -> Markup:
    """A query's page one as 10 coloured squares, each titled with its position, label and URL
    (the URL is left out of the e-mail's)."""
    squares = []
    for position, (label, url) in enumerate(
        zip(query["strip"], query["strip_urls"], strict=True), start=1
    ):
        colour = COLOURS.get(label, COLOURS["unlabelled"])
        if mail:
            squares.append(
                f'<span title="{position}: {escape(label_name(label))}" '
                f'style="{_MAIL_SQUARE}{colour}"></span>'
            )
        else:
            title = escape(f"{position}: {label_name(label)} {url}")
            squares.append(f'<span style="background: {colour}" title="{title}"></span>')
    return Markup("".join(squares) if mail else f'<span class="strip">{"".join(squares)}</span>')


def query_row(query: Mapping[str, Any]) -> Markup:
    """A query's row of the dashboard's page-one table: its text, its strip, score and
    composition (in the order of COMPOSITION_KEYS) and the day of its latest good check."""
    composition = query["composition"]
    counts = "".join(
        f"<td>{composition[name] if composition else '–'}</td>" for name in COMPOSITION_KEYS
    )
    checked = query["latest_check_at"]
    return Markup(
        f"<td>{escape(query['text'])}</td>"
        f"<td>{strip(query) if query['strip'] else escape(_('no good check'))}</td>"
        f"<td>{pct(query['score'])}</td>{counts}"
        f"<td>{escape(checked[:10]) if checked else '–'}</td>"
    )


def query_rows(queries: list[Mapping[str, Any]]) -> Markup:
    """The rows of the dashboard's page-one table, one per query (see :func:`query_row`)."""
    return Markup("".join(f"<tr>{query_row(query)}</tr>" for query in queries))


# A negative item's figures on the dashboard, in its columns' order.
NEGATIVE_FIGURES = (
    "current", "change_last", "change_4w", "change_12w", "best", "worst", "weeks_on_page_one",
    "needed",
)  # fmt: skip


def negative_cells(item: Mapping[str, Any]) -> Markup:
    """A negative item's figures as the dashboard's cells; a change is marked by its direction
    (down: the item moved down the page, good news)."""
    cells = []
    for name in NEGATIVE_FIGURES:
        value = item[name]
        direction = ("down" if value > 0 else "up") if name.startswith("change") and value else ""
        cells.append(f'<td class="{direction}">{shown_cell(item, name)}</td>')
    return Markup("".join(cells))


def week_rows(weeks: list[Mapping[str, Any]]) -> Markup:
    """The brand score's table: week, score (or the gap a week without a good check leaves),
    how many queries it rests on."""
    gap = escape(_("gap (no good check)"))
    return Markup(
        "".join(
            f"<tr><td>{escape(week['week'])}</td>"
            f"<td>{pct(week['score']) if week['score'] is not None else gap}</td>"
            f"<td>{escape(week['queries'])}</td></tr>"
            for week in weeks
        )
    )


def outranks_list(outranks: list[Mapping[str, Any]], query_texts: Mapping[int, str]) -> Markup:
    """The negative items an owned asset now ranks above, with their positions and queries."""
    if not outranks:
        return Markup(escape(_("no negative item")))

    def where(other: Mapping[str, Any]) -> str:
        query = query_texts.get(other["query_id"], "")
        return _("(now %(position)d, %(query)s)", position=other["position"], query=query)

    items = "".join(
        f"<li><code>{escape(other['url'])}</code> {escape(where(other))}</li>" for other in outranks
    )
    return Markup(f'<ul class="plain">{items}</ul>')


def window_row(window: Mapping[str, Any]) -> Markup:
    """The cells of an "is it working" window: the asset, when it went live, the medians
    before and after (or why there is none), how far the item moved, what entered page one."""
    notes, before, after = window["notes"], window["median_before"], window["median_after"]
    moved = after - before if before is not None and after is not None else None
    direction = ("down" if moved > 0 else "up") if moved else ""
    before_text = f"{before:g}" if before is not None else escape(note(notes.get("before", "–")))
    after_text = f"{after:g}" if after is not None else escape(note(notes.get("after", "–")))
    checks = "%(num)d good check", "%(num)d good checks"
    before_title = ngettext(*checks, window["checks_before"])
    after_title = ngettext(*checks, window["checks_after"])
    return Markup(
        f"<td>{escape(window['asset'])}</td>"
        f"<td>{escape((window['published_at'] or '')[:10])}</td>"
        f'<td title="{escape(before_title)}">{before_text}</td>'
        f'<td title="{escape(after_title)}">{after_text}</td>'
        f'<td class="{direction}">{"–" if moved is None else f"{moved:+g}"}</td>'
        f"<td>{escape(', '.join(window['entered_page_one']) or _('none'))}</td>"
    )


def window_rows(windows: list[Mapping[str, Any]]) -> Markup:
    """The rows of a negative item's "is it working" table (see :func:`window_row`)."""
    return Markup("".join(f"<tr>{window_row(window)}</tr>" for window in windows))


TEMPLATE_GLOBALS = {
    "serp_query_rows": query_rows,
    "serp_negative_cells": negative_cells,
    "serp_week_rows": week_rows,
    "serp_window_rows": window_rows,
    "serp_outranks": outranks_list,
    "serp_report_cells": report_cells,
    "serp_colours": COLOURS,
    "serp_pct": pct,
    "serp_shown": shown,
    "serp_shown_cell": shown_cell,
    "serp_strip": strip,
    "serp_label_name": label_name,
    "serp_stage_names": STAGE_NAMES,
    "serp_asset_kinds": ASSET_KIND_NAMES,
}
