"""The search-result page parser on small pages written for these tests (no network)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from serp.parse import SerpPage, SerpResult, parse_serp
from serp.parse.detect import detect_engine
from serp.parse.urls import clean_result_url, decode_bing_u, is_engine_internal

FIXTURES = Path(__file__).parent / "fixtures"


def page(name: str, engine: str | None = None) -> SerpPage:
    return parse_serp((FIXTURES / name).read_text(encoding="utf-8"), engine)


def urls(result_page: SerpPage) -> list[str]:
    return [result.url for result in result_page.results]


# --- Google -----------------------------------------------------------------------------------


def test_google_2023_desktop_keeps_organic_results_only():
    result_page = page("google_desktop_2023.html")
    assert result_page.engine == "google"
    assert not result_page.blocked
    # Not: the ad, the site links, people also ask, top stories, the google.com/search link,
    # related searches, the knowledge panel, the skip link above the results.
    assert urls(result_page) == [
        "https://www.acme.example/",
        "https://en.wikipedia.org/wiki/Widget",
        "https://reviews.example.org/acme?page=2",
        "https://forum.example.com/t/acme-widgets/42",
    ]
    assert [result.position for result in result_page.results] == [1, 2, 3, 4]
    first = result_page.results[0]
    assert first.title == "Acme Widgets | Official Site"
    assert first.snippet == "Acme makes the finest widgets since 1901."
    assert "ads" in result_page.feature_kinds
    assert "people_also_ask" in result_page.feature_kinds


def test_google_2018_desktop_skips_ads_sitelinks_and_image_pack():
    result_page = page("google_desktop_2018.html")
    assert urls(result_page) == [
        "https://www.fiat.fr/",
        "https://fr.wikipedia.org/wiki/Fiat",
        "http://www.caradisiac.com/auto--fiat/",
        "http://www.caradisiac.com/auto--fiat/occasion/",
    ]
    assert result_page.results[0].snippet == "Découvrez la gamme Fiat."
    assert result_page.results[1].title == "Fiat — Wikipédia"


def test_google_2023_mobile_reads_aria_headings():
    result_page = page("google_mobile_2023.html")
    assert urls(result_page) == [
        "https://en.m.wikipedia.org/wiki/Coffee",
        "https://www.healthline.com/nutrition/coffee",
        "https://www.starbucks.com/",
    ]
    assert result_page.results[0].title == "Coffee - Wikipedia"
    assert result_page.results[2].snippet == "More than just great coffee."


def test_google_nojs_unwraps_url_q_and_skips_top_stories_and_footer():
    result_page = page("google_nojs_2023.html")
    assert urls(result_page) == [
        "https://en.wikipedia.org/wiki/Coffee",
        "https://www.ncausa.org/About-Coffee/What-is-Coffee?ref=search",
    ]
    assert result_page.results[0].title == "Coffee - Wikipedia"
    assert result_page.results[0].snippet == "Coffee is a drink prepared from roasted coffee beans."


def test_google_basic_layout_without_headings_takes_each_blocks_first_text_link():
    result_page = page("google_basic_2018.html")
    assert urls(result_page) == [
        "https://fr.m.wikipedia.org/wiki/Politique",
        "https://m.youtube.com/watch?v=wQP9XZc2Y_c",
        "https://mobile.lemonde.fr/politique/",
    ]
    assert result_page.results[2].title == "Politique : Toute l'actualité sur Le Monde.fr"


def test_google_no_results_page_is_an_answer_not_a_block():
    result_page = page("google_no_results.html")
    assert result_page.engine == "google"
    assert result_page.results == []
    assert not result_page.blocked
    assert result_page.reason is None


# --- Bing, DuckDuckGo, Brave -------------------------------------------------------------------


def test_bing_unwraps_ck_links_and_skips_ads_answers_and_deep_links():
    result_page = page("bing.html")
    assert result_page.engine == "bing"
    assert urls(result_page) == [
        "https://en.wikipedia.org/wiki/Coffee",
        "https://www.example.org/coffee?x=1&y=2",
        "https://shop.example.com/a",
    ]
    assert (
        result_page.results[0].snippet == "Coffee is a beverage brewed from roasted coffee beans."
    )
    assert result_page.results[2].snippet == "Beans and grinders."


def test_bing_no_results():
    result_page = page("bing_no_results.html")
    assert (result_page.engine, result_page.blocked, result_page.results) == ("bing", False, [])


def test_duckduckgo_html_endpoint_unwraps_uddg_and_skips_ads():
    result_page = page("duckduckgo_html.html")
    assert result_page.engine == "duckduckgo"
    assert urls(result_page) == [
        "https://en.wikipedia.org/wiki/Coffee",
        "https://www.example.org/coffee?a=1&b=2",
    ]
    assert result_page.results[0].snippet == "Coffee is a brewed drink."
    assert "ads" in result_page.feature_kinds


@pytest.mark.parametrize("name", ["duckduckgo_js.html", "duckduckgo_js_2020.html"])
def test_duckduckgo_javascript_pages(name):
    result_page = page(name)
    assert result_page.engine == "duckduckgo"
    assert len(result_page.results) == 2
    assert all(result.title and result.snippet for result in result_page.results)
    assert "duckduckgo.com" not in " ".join(urls(result_page))


def test_duckduckgo_react_page_results():
    assert urls(page("duckduckgo_js.html")) == [
        "https://en.wikipedia.org/wiki/Coffee",
        "https://www.example.org/coffee",
    ]


def test_duckduckgo_no_results():
    result_page = page("ddg_no_results.html")
    assert (result_page.engine, result_page.blocked, result_page.results) == (
        "duckduckgo",
        False,
        [],
    )


def test_brave_reads_web_results_and_title_without_the_url_line():
    result_page = page("brave.html")
    assert result_page.engine == "brave"
    assert urls(result_page) == [
        "https://en.wikipedia.org/wiki/Coffee",
        "https://www.example.org/coffee",
    ]
    assert result_page.results[0].title == "Coffee - Wikipedia"
    assert result_page.results[1].snippet == "Everything about coffee."


def test_engine_given_by_caller_wins_over_detection():
    assert page("bing.html", engine="Bing").engine == "bing"
    assert page("google_unusual_traffic.html", engine="google").engine == "google"
    assert page("bing.html", engine="ddg").engine == "duckduckgo"


@pytest.mark.parametrize(
    ("name", "engine"),
    [
        ("google_desktop_2023.html", "google"),
        ("google_nojs_2023.html", "google"),
        ("bing.html", "bing"),
        ("duckduckgo_html.html", "duckduckgo"),
        ("duckduckgo_js.html", "duckduckgo"),
        ("brave.html", "brave"),
    ],
)
def test_engine_is_detected_from_the_page(name, engine):
    assert detect_engine((FIXTURES / name).read_text(encoding="utf-8")) == engine


def test_unknown_engine_gives_no_results():
    result_page = parse_serp(
        "<html><body><h1>My blog</h1><p>Hello there, readers.</p></body></html>"
    )
    assert (result_page.engine, result_page.blocked, result_page.results) == ("unknown", False, [])


# --- Blocked pages -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("google_captcha.html", "captcha"),
        ("google_unusual_traffic.html", "unusual_traffic"),
        ("google_consent.html", "consent"),
    ],
)
def test_block_pages_are_reported_with_a_reason(name, reason):
    result_page = page(name)
    assert result_page.blocked
    assert result_page.reason == reason
    assert result_page.results == []


@pytest.mark.parametrize("html", ["", "   \n", "<html><body></body></html>", "<html><head></head>"])
def test_empty_pages_are_blocked_as_empty(html):
    result_page = parse_serp(html, "google")
    assert (result_page.blocked, result_page.reason, result_page.results) == (True, "empty", [])


# --- Redirects and URLs ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("href", "engine", "expected"),
    [
        ("/url?q=https://example.com/a%3Fb%3D1&sa=U&ved=x", "google", "https://example.com/a?b=1"),
        ("/url?sa=t&url=https://example.com/x&rct=j", "google", "https://example.com/x"),
        ("https://www.google.fr/url?q=http://example.fr/&sa=U", "google", "http://example.fr/"),
        (
            "https://www.google.co.uk/url?url=https://example.co.uk/",
            "google",
            "https://example.co.uk/",
        ),
        (
            "https://www.bing.com/ck/a?!&&p=1&u=a1aHR0cHM6Ly9zaG9wLmV4YW1wbGUuY29tL2E&ntb=1",
            "bing",
            "https://shop.example.com/a",
        ),
        (
            "//duckduckgo.com/l/?uddg=https%3A%2F%2Fexample.org%2Fp%3Fq%3D1&rut=x",
            "duckduckgo",
            "https://example.org/p?q=1",
        ),
        ("https://example.com/plain", "google", "https://example.com/plain"),
        ("/relative/path", "bing", "https://www.bing.com/relative/path"),
    ],
)
def test_redirect_wrappers_are_removed(href, engine, expected):
    assert clean_result_url(href, engine) == expected


@pytest.mark.parametrize("href", [None, "", "#", "javascript:void(0)", "mailto:a@b.c", "/url?sa=U"])
def test_unusable_links_give_none(href):
    assert clean_result_url(href, "google") is None


def test_bing_u_parameter_needs_padding_and_rejects_garbage():
    # 27 base64 characters: decoding fails unless padding is restored.
    assert decode_bing_u("a1aHR0cHM6Ly9zaG9wLmV4YW1wbGUuY29tL2E") == "https://shop.example.com/a"
    assert decode_bing_u("https://direct.example/") == "https://direct.example/"
    assert decode_bing_u("a1%%%") is None
    assert decode_bing_u("zz") is None


@pytest.mark.parametrize(
    ("url", "internal"),
    [
        ("https://www.google.com/search?q=x", True),
        ("https://www.google.de/imgres?imgurl=x", True),
        ("https://maps.google.com/maps?q=coffee", True),
        ("https://www.google.com/", False),
        ("https://www.google.com/maps", False),
        ("https://www.bing.com/images/search?q=x", True),
        ("https://www.bing.com/", False),
        ("https://duckduckgo.com/?q=x", True),
        ("https://search.brave.com/search?q=x", True),
        ("https://example.com/search?q=x", False),
    ],
)
def test_engine_own_pages_are_recognised(url, internal):
    assert is_engine_internal(url) is internal


# --- Robustness --------------------------------------------------------------------------------


def test_to_dict_is_json_and_has_the_contract_keys():
    data = page("bing.html").to_dict()
    assert json.loads(json.dumps(data)) == data
    assert set(data) == {"engine", "blocked", "reason", "results"}
    assert data["results"][0] == {
        "position": 1,
        "url": "https://en.wikipedia.org/wiki/Coffee",
        "title": "Coffee - Wikipedia",
        "snippet": "Coffee is a beverage brewed from roasted coffee beans.",
    }
    assert isinstance(page("bing.html").results[0], SerpResult)


def test_truncated_page_keeps_the_results_before_the_cut():
    html = (FIXTURES / "google_desktop_2023.html").read_text(encoding="utf-8")
    cut = html.index("Widget - Wikipedia") + len("Widget - Wikipedia")
    result_page = parse_serp(html[:cut])
    assert urls(result_page) == [
        "https://www.acme.example/",
        "https://en.wikipedia.org/wiki/Widget",
    ]


@pytest.mark.parametrize(
    "html",
    [
        "<",
        "<<<>>></a></h3><h3><a href='/url?q='>",
        "<div id=rso><h3><a href='/url?q=%'>x</a></h3></div>",
        "<div id=rso><h3><a href='http://[::1'>x</a></h3></div>",
        "<ol id=b_results><li class=b_algo><h2><a href='https://www.bing.com/ck/a?u=a1!!'>x</a>",
        "\x00\x00<html>\x00",
        "<html>" + "<div>" * 5000 + "deep" + "</div>" * 10,
    ],
)
def test_malformed_html_never_raises(html):
    result_page = parse_serp(html)
    assert isinstance(result_page, SerpPage)
    assert isinstance(result_page.to_dict()["results"], list)


def test_non_text_input_never_raises():
    assert parse_serp(b"<html><body>bytes</body></html>").results == []  # type: ignore[arg-type]
    assert parse_serp(None).engine == "unknown"  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_parses_without_raising(text):
    result_page = parse_serp(text)
    assert result_page.engine in {"google", "bing", "duckduckgo", "brave", "unknown"}
    assert json.dumps(result_page.to_dict())


_FIXTURE_TEXTS = [path.read_text(encoding="utf-8") for path in sorted(FIXTURES.glob("*.html"))]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    html=st.sampled_from(_FIXTURE_TEXTS),
    start=st.integers(min_value=0, max_value=4000),
    length=st.integers(min_value=0, max_value=4000),
    junk=st.sampled_from(["", "<", "</div>", "<h3>", "<a href='/url?q=x'>", "\ufffd", "<!--"]),
)
def test_mutated_real_ish_pages_parse_without_raising(html, start, length, junk):
    mutated = html[:start] + junk + html[start + length :]
    result_page = parse_serp(mutated)
    positions = [result.position for result in result_page.results]
    assert positions == list(range(1, len(positions) + 1))
    assert all(result.url.startswith(("http://", "https://")) for result in result_page.results)


def test_block_page_with_a_help_link_is_blocked_even_when_the_engine_is_given():
    html = (FIXTURES / "google_unusual_traffic.html").read_text()
    for engine in ("google", None):
        page = parse_serp(html, engine=engine)
        assert page.blocked and page.reason == "unusual_traffic", engine
        assert page.results == []
