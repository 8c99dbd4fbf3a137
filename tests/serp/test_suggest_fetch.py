"""Google's and Bing's suggest endpoints and SerpApi's autocomplete, as contract fakes on
loopback: the exact query parameters, their answers in UTF-8 and in legacy charsets, blocks and
failures."""

from __future__ import annotations

import json

import pytest
from werkzeug import Response

from serp.suggest.fetch import decode, fetch_suggestions

FAST_LIMITS = {
    f"suggest_{name}": {"rate": 1000.0, "burst": 1000, "concurrency": 4}
    for name in ("google", "bing", "serpapi")
}


@pytest.fixture
def config(httpserver):
    return {
        "OUTBOUND_ALLOW_PRIVATE": True,
        "SERP_HTTP_TIMEOUT": 2.0,
        "SERP_PROVIDER_LIMITS": FAST_LIMITS,
        "SUGGEST_URLS": {
            "google": httpserver.url_for("/complete/search"),
            "bing": httpserver.url_for("/osjson.aspx"),
            "serpapi": httpserver.url_for("/search.json"),
        },
    }


def test_google_is_asked_with_the_firefox_client_language_and_country(httpserver, config):
    httpserver.expect_request(
        "/complete/search",
        method="GET",
        query_string={
            "client": "firefox",
            "q": "acme ",
            "hl": "lv",
            "gl": "lv",
            "ie": "utf-8",
            "oe": "utf-8",
        },  # fmt: skip
    ).respond_with_json(["acme ", ["acme rīga", "acme krāpnieki", "acme darba laiks"], [], {}])
    answer = fetch_suggestions(config, "google", "acme ", "lv", "lv")
    assert answer.status == "ok"
    assert answer.suggestions == ["acme rīga", "acme krāpnieki", "acme darba laiks"]


def test_google_answer_in_the_declared_legacy_charset_keeps_latvian_letters(httpserver, config):
    body = json.dumps(["acme", ["acme sūdzības", "acme ķēde"]], ensure_ascii=False)
    httpserver.expect_request("/complete/search").respond_with_data(
        body.encode("windows-1257"), content_type="text/javascript; charset=windows-1257"
    )
    answer = fetch_suggestions(config, "google", "acme", "lv", "lv")
    assert answer.suggestions == ["acme sūdzības", "acme ķēde"]


def test_an_undeclared_polish_answer_that_is_not_utf8_is_read_as_windows_1250(httpserver, config):
    body = json.dumps(["acme", ["acme oszuści", "acme opinie żółte"]], ensure_ascii=False)
    httpserver.expect_request("/complete/search").respond_with_data(
        body.encode("windows-1250"), content_type="text/javascript"
    )
    answer = fetch_suggestions(config, "google", "acme", "pl", "pl")
    assert answer.suggestions == ["acme oszuści", "acme opinie żółte"]


def test_decoding_prefers_the_declared_charset_then_utf8():
    text = "acme apgaulė"
    assert decode(text.encode("utf-8"), "application/json", "lt") == text
    assert decode(text.encode("windows-1257"), "text/plain; charset=windows-1257", "lt") == text
    assert decode(text.encode("windows-1257"), "", "lt") == text


def test_bing_is_asked_for_the_market_of_the_locale(httpserver, config):
    httpserver.expect_request(
        "/osjson.aspx", method="GET", query_string={"query": "acme", "mkt": "pl-PL"}
    ).respond_with_json(["acme", ["acme opinie", "acme oszustwo", "acme opinie"]])
    answer = fetch_suggestions(config, "bing", "acme", "pl", "pl")
    assert answer.status == "ok"
    assert answer.suggestions == ["acme opinie", "acme oszustwo"]  # repeats dropped


def test_serpapi_autocomplete_is_asked_with_the_key(httpserver, config):
    httpserver.expect_request(
        "/search.json",
        query_string={
            "engine": "google_autocomplete",
            "q": "acme",
            "hl": "lt",
            "gl": "lt",
            "api_key": "k-123",
        },  # fmt: skip
    ).respond_with_json(
        {
            "search_metadata": {"status": "Success"},
            "suggestions": [
                {"value": "acme skundai", "relevance": 601, "type": "QUERY"},
                {"value": "acme vilnius", "relevance": 600, "type": "QUERY"},
            ],
        }
    )
    answer = fetch_suggestions(config, "serpapi", "acme", "lt", "lt", api_key="k-123")
    assert (answer.status, answer.suggestions) == ("ok", ["acme skundai", "acme vilnius"])


def test_serpapi_error_is_an_error_with_its_message(httpserver, config):
    httpserver.expect_request("/search.json").respond_with_json(
        {"error": "Invalid API key. Your API key should be here"}, status=401
    )
    answer = fetch_suggestions(config, "serpapi", "acme", "en", "us", api_key="bad")
    assert answer.status == "error" and "Invalid API key" in answer.reason


@pytest.mark.parametrize(
    ("response", "status", "reason"),
    [
        (Response("slow down", status=429, headers={"Retry-After": "120"}), "blocked", "429"),
        (Response("", status=302, headers={"Location": "https://x.test/sorry"}), "blocked", "302"),
        (Response("<html>unusual traffic</html>", content_type="text/html"), "blocked", "HTML"),
        (Response("not json at all", content_type="application/json"), "error", "not a sugg"),
        (Response('{"a": 1}', content_type="application/json"), "error", "not a sugg"),
        (Response("oops", status=500), "error", "500"),
    ],
)
def test_blocks_and_failures_are_told_apart(httpserver, config, response, status, reason):
    httpserver.expect_request("/complete/search").respond_with_response(response)
    answer = fetch_suggestions(config, "google", "acme", "en", "us")
    assert answer.status == status
    assert reason in answer.reason
    assert answer.suggestions == []


def test_rate_limit_carries_the_retry_after(httpserver, config):
    httpserver.expect_request("/osjson.aspx").respond_with_data(
        "", status=429, headers={"Retry-After": "3600"}
    )
    answer = fetch_suggestions(config, "bing", "acme", "en", "us")
    assert (answer.status, answer.retry_after) == ("blocked", 3600.0)


def test_an_endpoint_that_is_down_is_an_error_not_an_exception(config):
    config["SUGGEST_URLS"] = {"google": "http://127.0.0.1:9/complete/search"}
    answer = fetch_suggestions(config, "google", "acme", "en", "us")
    assert answer.status == "error" and "connection failed" in answer.reason


def test_the_outbound_guard_refuses_a_private_endpoint(config):
    config["OUTBOUND_ALLOW_PRIVATE"] = False
    answer = fetch_suggestions(config, "bing", "acme", "en", "us")
    assert answer.status == "error" and "outbound guard" in answer.reason


@pytest.mark.parametrize(("language", "country"), [("latvian", "lv"), ("lv", "latvia"), ("", "")])
def test_an_unknown_locale_is_an_error_and_nothing_is_sent(httpserver, config, language, country):
    answer = fetch_suggestions(config, "google", "acme", language, country)
    assert answer.status == "error" and "code" in answer.reason
    assert httpserver.log == []
