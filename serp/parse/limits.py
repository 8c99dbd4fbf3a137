"""How much page the parser reads: nesting depth, markup count and a budget of work per parse.

Real result pages are shallow and small (the shared fixtures: at most 48 levels deep, 6,073
elements, 12,000 tags). Crafted ones are not: Lexbor's tree builder walks the whole stack of open
elements for every block-level start tag, so 100,000 nested `div`s cost it 25 s, and the engine
parsers walk ancestors and subtrees per result. A page past these limits is refused as
"too_complex" (a check stored as an error, never read as "the results left the page").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeVar

# Chrome's own HTML parser stops nesting at 512 levels; a page deeper than that is not a page
# anyone sees as written.
MAX_DEPTH = 512
# Characters a page may hold: three times the largest real result page (2 MB). The uploads and
# fetches stop earlier (SERP_MAX_PAGE_BYTES); this guards every other caller of the parser.
MAX_PAGE_CHARS = 6_000_000
# Tags ("<" counted) a page may hold: 8 times the largest real result page.
MAX_TAGS = 100_000
# Elements Lexbor may re-create for formatting tags left open (`<b id=1>…<b id=n>` then text in
# block after block): the real pages need none, a crafted page millions.
MAX_RECREATED = 100_000
# Below this many "<" even the worst crafted page builds in well under 0.1 s, so nothing is
# measured (about half of the real pages: the scan would cost as much as the parse).
UNMEASURED_TAGS = 1_024
# Up to this many "<", with few formatting tags carrying attributes (what makes re-created
# formatting elements pile up), the worst a page can cost Lexbor is about 0.3 s: no scan.
# (The largest real pages hold 12,000 "<" and up to 45 such tags.)
UNSCANNED_TAGS = 12_288
UNSCANNED_FORMATTING = 64
# Work units (nodes visited, 64 characters of text read) one parse may spend in the engine
# parsers: the most any shared fixture spends is 13,479; a unit costs about a microsecond.
WORK_BUDGET = 400_000

TOO_COMPLEX = "too_complex"


def too_deep() -> PageTooComplex:
    return PageTooComplex(f"the page nests elements more than {MAX_DEPTH} levels deep")


class PageTooComplex(Exception):
    """The page is past a limit; `detail` says which, in words a person can act on."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(slots=True)
class WorkBudget:
    """Work left for one parse; spending past zero stops the parse."""

    left: int = WORK_BUDGET
    spent: int = 0
    # While a value that may be reused is computed: the units charged, in order (see `kept`).
    steps: list[int] | None = None

    def spend(self, units: int) -> None:
        if self.steps is not None:
            self.steps.append(units)
        self.spent += units
        self.left -= units
        if self.left < 0:
            raise PageTooComplex(
                f"reading the page needed more than {WORK_BUDGET:,} steps; "
                "it is not a result page as engines serve them"
            )


_current: ContextVar[WorkBudget | None] = ContextVar("serp_parse_budget", default=None)


def spend(units: int) -> None:
    """Charge the running parse's budget (no-op outside a parse)."""
    budget = _current.get()
    if budget is not None:
        budget.spend(units)


K = TypeVar("K")
T = TypeVar("T")


def kept(
    memo: dict[K, tuple[T, tuple[int, ...]]], key: K, compute: Callable[..., T], *args: object
) -> T:
    """`compute(*args)`, kept in `memo` under `key` for the rest of the parse.

    Reusing a kept value charges the budget the units computing it did, in the same steps:
    the budget counts what the parse reads, so a page spends (and is stopped at) the same
    count whatever is reused.
    """
    found = memo.get(key)
    if found is not None:
        value, steps = found
        for units in steps:
            spend(units)
        return value
    budget = _current.get()
    if budget is None:
        value = compute(*args)
        memo[key] = (value, ())
        return value
    outer, budget.steps = budget.steps, []
    try:
        value = compute(*args)
    finally:
        steps, budget.steps = budget.steps, outer
        if outer is not None:
            outer.extend(steps)
    memo[key] = (value, tuple(steps))
    return value


def start_budget(budget: WorkBudget) -> object:
    return _current.set(budget)


def end_budget(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]


# Elements that never hold children.
_VOID = frozenset(
    b"area base basefont bgsound br col embed frame hr image img input keygen link meta param "
    b"source track wbr".split()
)
# Elements whose start tag closes an open sibling of the same name (`<li>a<li>b`).
_SIBLING_CLOSES = frozenset(
    b"p li dt dd option optgroup tr td th rb rt rtc rp tbody thead tfoot colgroup caption".split()
)
# Elements whose content is text to a browser, not markup (outside SVG and MathML).
_RAW_TEXT = frozenset(b"script style textarea title xmp iframe noembed noframes".split())
# Formatting elements: the tree builder re-creates them when a parent closed them unclosed.
# (`a` and `nobr` close an open one of their kind, so they never pile up.)
_FORMATTING = frozenset(b"b big code em font i s small strike strong tt u".split())
# Start tags the tree builder inserts without re-creating formatting elements first (text and
# every other start tag re-create them).
_NOT_RECREATING = frozenset(
    b"address article aside blockquote center details dialog dir div dl fieldset figcaption "
    b"figure footer header hgroup main menu nav ol p search section summary ul h1 h2 h3 h4 h5 "
    b"h6 pre listing form li dd dt plaintext table hr caption col colgroup frame head tbody td "
    b"tfoot th thead tr html body frameset base basefont bgsound link meta noframes script "
    b"style template title textarea iframe noembed".split()
)
# Their start tags with an attribute (or more): b, big, code, em, font, i, s, small, strike,
# strong, tt, u, and a few non-tags such as "<sm ", spelled out per letter because a first
# letter to reject most tags by makes the scan twice as fast as a case-blind alternation.
_FORMATTING_WITH_ATTRIBUTES = re.compile(
    r"<[bBcCeEfFiIsStTuU](?:[iI][gG]|[oO][dD][eE]|[mM]|[oO][nN][tT]|[mM][aA][lL][lL]"
    r"|[tT][rR][iI][kK][eE]|[tT][rR][oO][nN][gG]|[tT])?[\t\n\f\r /]"
)
# A comment (with the spec's abrupt endings) or a tag: its slash, name and the rest up to ">".
_MARKUP = re.compile(rb"<(?:!--(?:-?>|.*?(?:--!?>|\Z))|(/?)([a-z][^\t\n\f\r />]*)([^>]*)>?)", re.S)
_NAME_ENDS = b"\t\n\f\r />"


def check_markup(html: str) -> None:
    """Refuse (PageTooComplex) a page with too many tags or nested too deep to build in time."""
    if len(html) > MAX_PAGE_CHARS:
        raise PageTooComplex(
            f"the page holds {len(html):,} characters; result pages hold far fewer "
            f"(limit {MAX_PAGE_CHARS:,})"
        )
    tags = html.count("<")
    if tags > MAX_TAGS:
        raise PageTooComplex(
            f"the page holds {tags:,} tags; result pages hold far fewer (limit {MAX_TAGS:,})"
        )
    if tags <= UNMEASURED_TAGS:
        return
    if tags <= UNSCANNED_TAGS and len(_FORMATTING_WITH_ATTRIBUTES.findall(html)) <= (
        UNSCANNED_FORMATTING
    ):
        return
    shape = markup_shape(html)
    if shape.depth > MAX_DEPTH:
        raise too_deep()
    if shape.recreated > MAX_RECREATED:
        raise PageTooComplex(
            f"the page leaves formatting tags open so that over {MAX_RECREATED:,} elements "
            "would be re-created"
        )


@dataclass(slots=True)
class MarkupShape:
    """What building the page's tree would take: its depth and the elements re-created."""

    depth: int = 0
    recreated: int = 0


def markup_shape(html: str) -> MarkupShape:
    """How deep the page's elements nest and how many a browser re-creates, or a little more.

    A model of the HTML tree builder that errs high: end tags close what they name, void
    elements and `<li>`-like siblings do not nest, text to a browser (scripts, comments) is
    skipped except inside SVG or MathML, and formatting elements closed by their parent are
    re-created where the tree builder does it: before text and before most start tags. Stops
    once past a limit.
    """
    # Bytes lowered byte by byte keep every offset (str.lower() can change a string's length).
    data = html.encode("utf-8", "surrogatepass").lower()
    shape = MarkupShape()
    # Items are a name, or for a formatting element its [name, on_stack] entry, shared with
    # `formatting` (the list of active formatting elements).
    stack: list[bytes | list] = []
    open_count: dict[bytes, int] = {}
    formatting: list[list] = []
    closed_formatting = 0  # entries whose element was popped: re-created before the next tag
    search = _MARKUP.search
    position = 0

    def recreate() -> None:
        for entry in formatting:
            if not entry[1]:
                entry[1] = True
                stack.append(entry)
                open_count[entry[0]] = open_count.get(entry[0], 0) + 1
                shape.recreated += 1

    while shape.depth <= MAX_DEPTH and shape.recreated <= MAX_RECREATED:
        match = search(data, position)
        if match is None:
            break
        if closed_formatting and match.start() > position:  # text: formatting comes back
            recreate()
            closed_formatting = 0
            shape.depth = max(shape.depth, len(stack))
        position = match.end()
        closing, name, rest = match.groups()
        if name is None:  # a comment
            continue
        if closing:
            if name in _FORMATTING:
                for index in range(len(formatting) - 1, -1, -1):
                    if formatting[index][0] == name:
                        entry = formatting.pop(index)
                        if entry[1]:
                            entry[1] = False  # closed by its own end tag: never re-created
                        else:
                            closed_formatting -= 1
                        break
            if open_count.get(name):
                while stack:
                    top = stack.pop()
                    if type(top) is list:
                        if top[1]:
                            top[1] = False
                            closed_formatting += 1
                        top = top[0]
                    open_count[top] -= 1
                    if top == name:
                        break
            continue
        foreign = open_count.get(b"svg", 0) + open_count.get(b"math", 0) > 0
        if name in _RAW_TEXT and not foreign:
            position = _raw_text_end(data, name, position)
            continue
        if closed_formatting and name not in _NOT_RECREATING:
            recreate()
            closed_formatting = 0
        if name in _VOID or (foreign and rest.endswith(b"/")):
            continue
        if name in _SIBLING_CLOSES and stack and stack[-1] == name:
            continue  # the previous sibling closes and this one takes its place
        item: bytes | list = name
        if name in _FORMATTING:
            item = [name, True]
            formatting.append(item)
        stack.append(item)
        open_count[name] = open_count.get(name, 0) + 1
        shape.depth = max(shape.depth, len(stack))
    return shape


def _raw_text_end(data: bytes, name: bytes, start: int) -> int:
    """Where the text of a `<script>`-like element ends: at its end tag, or the page's end."""
    closing = b"</" + name
    position = start
    while True:
        found = data.find(closing, position)
        if found < 0:
            return len(data)
        after = found + len(closing)
        if after >= len(data) or data[after : after + 1] in _NAME_ENDS:
            return after
        position = after
