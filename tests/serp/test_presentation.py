"""The dashboard's and report's figure helpers: the text they show and the escaping they do."""

from __future__ import annotations

from serp.presentation import (
    outranks_list,
    pct,
    query_row,
    report_cells,
    shown,
    shown_cell,
    strip,
    window_row,
)

ITEM = {"current": None, "change_last": 3, "best": 4, "depth": 100,
        "notes": {"current": 'fell "below" <100>'}}  # fmt: skip


def test_figures_read_as_signed_points_numbers_or_the_note():
    assert pct(None) == "–" and pct(0.25) == "+25.0" and pct(-0.0512) == "-5.1"
    assert shown(ITEM, "change_last") == "+3" and shown(ITEM, "best") == "4"
    assert shown(ITEM, "current") == 'fell "below" <100>'
    assert shown({"x": None, "depth": 50, "notes": {}}, "x") == "> 50"


def test_a_missing_figure_carries_its_note_escaped_as_a_tooltip():
    assert str(shown_cell(ITEM, "best")) == "4"
    assert str(shown_cell(ITEM, "current")) == (
        '<span title="fell &#34;below&#34; &lt;100&gt;">fell &#34;below&#34; &lt;100&gt;</span>'
    )


def test_strip_squares_escape_the_result_urls():
    query = {"strip": ["negative", "empty"], "strip_urls": ['x.example/"><script>', ""]}
    html = str(strip(query))
    assert html.startswith('<span class="strip">') and "<script>" not in html
    assert 'title="1: negative x.example/&#34;&gt;&lt;script&gt;"' in html
    assert 'style="background: #ffffff" title="2: empty "' in html
    mail = str(strip(query, mail=True))
    assert 'title="1: negative"' in mail and "x.example" not in mail and "#dc2626" in mail


def test_window_row_shows_medians_movement_and_escapes_titles():
    window = {"asset": "<b>Case</b>", "published_at": "2030-02-04T06:00:00+00:00",
              "median_before": 3.0, "median_after": 7.5, "checks_before": 4, "checks_after": 4,
              "entered_page_one": ["A & B"], "notes": {}}  # fmt: skip
    html = str(window_row(window))
    assert "<td>&lt;b&gt;Case&lt;/b&gt;</td><td>2030-02-04</td>" in html
    assert '<td title="4 good checks">3</td><td title="4 good checks">7.5</td>' in html
    assert '<td class="down">+4.5</td><td>A &amp; B</td>' in html
    short = {**window, "median_before": None, "notes": {"before": "too few checks"}}
    assert '<td title="4 good checks">too few checks</td>' in str(window_row(short))
    assert '<td class="">–</td>' in str(window_row(short))


def test_report_cells_list_the_item_figures_in_column_order():
    item = {"current": 7, "change_last": -2, "change_4w": None, "change_12w": 5, "best": 3,
            "weeks_on_page_one": 9, "needed": 4, "depth": 100,
            "notes": {"change_4w": "too few checks"}}  # fmt: skip
    cells = str(report_cells(item)).split("</td>")[:-1]
    texts = [cell.rsplit(">", 1)[1] for cell in cells]
    assert texts == ["7", "-2", "too few checks", "+5", "3", "9", "4"]


def test_query_row_shows_text_strip_score_composition_and_day():
    query = {"text": "acme <bakery>", "strip": ["owned"] * 10, "strip_urls": ["a.example/"] * 10,
             "score": 0.5, "latest_check_at": "2030-03-04T06:00:00+00:00",
             "composition": {"owned": 10, "positive": 0, "neutral": 0, "unlabelled": 0,
                             "negative": 0}}  # fmt: skip
    html = str(query_row(query))
    assert html.startswith('<td>acme &lt;bakery&gt;</td><td><span class="strip">')
    assert html.endswith("<td>+50.0</td><td>10</td><td>0</td><td>0</td><td>0</td><td>0</td>"
                         "<td>2030-03-04</td>")  # fmt: skip
    unchecked = {**query, "strip": [], "score": None, "latest_check_at": None,
                 "composition": None}  # fmt: skip
    assert str(query_row(unchecked)) == (
        "<td>acme &lt;bakery&gt;</td><td>no good check</td><td>–</td>" + "<td>–</td>" * 5
        + "<td>–</td>"
    )  # fmt: skip


def test_outranks_list_names_each_item_its_position_and_query():
    outranks = [{"query_id": 1, "url": "bad.example/<x>", "position": 7}]
    assert str(outranks_list(outranks, {1: "acme & co"})) == (
        '<ul class="plain"><li><code>bad.example/&lt;x&gt;</code> (now 7, acme &amp; co)</li></ul>'
    )
    assert str(outranks_list([], {})) == "no negative item"
