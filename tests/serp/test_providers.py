"""Providers against local fakes: the requests they send, pagination, rate limits, blocks."""

from __future__ import annotations

import json
import threading
import time

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from serp.models import CheckStatus
from serp.providers import HttpClient, QuerySpec, fetch_results, get_provider
from serp.providers.http import TokenBucket, limiter_for, parse_retry_after

from .conftest import FAST, bing_page, fixture_text


def client_for(httpserver, provider: str, sleep=None, **extra) -> HttpClient:
    config = {
        "OUTBOUND_ALLOW_PRIVATE": True,
        **FAST,
        "SERP_PROVIDER_URLS": {provider: httpserver.url_for("").rstrip("/")},
        "SERP_ENGINE_URLS": {e: httpserver.url_for("/search") for e in ("google", "bing", "brave")}
        | {"duckduckgo": httpserver.url_for("/html/")},
        **extra,
    }
    return HttpClient(config, sleep=sleep) if sleep else HttpClient(config)


def api_results(start: int, count: int, url_key: str, snippet_key: str) -> list[dict]:
    return [
        {
            "position": i + 1,
            url_key: f"https://r{i}.example.com/",
            "title": f"R{i}",
            snippet_key: "s",
        }
        for i in range(start, start + count)
    ]


# --- request shapes and pagination --------------------------------------------------------------


def test_serpapi_sends_google_parameters_and_pages_with_start(httpserver):
    for start in (0, 10):
        httpserver.expect_request(
            "/search.json",
            query_string={
                "q": "acme bakery",
                "api_key": "k-123",
                "engine": "google",
                "hl": "de",
                "gl": "de",
                "num": "10",
                "start": str(start),
                "device": "mobile",
            },
        ).respond_with_json(
            {
                "organic_results": api_results(start, 10, "link", "snippet"),
                "serpapi_pagination": {"next": "x"},
            }
        )
    provider = get_provider("serpapi", client_for(httpserver, "serpapi"))
    query = QuerySpec("acme bakery", "google", "de", "de", "mobile", depth=20)
    outcome = fetch_results(provider, query, {"api_key": "k-123"})
    assert outcome.status == "ok"
    assert [r.position for r in outcome.results] == list(range(1, 21))
    assert outcome.results[10].url == "https://r10.example.com/"
    assert len(httpserver.log) == 2


def test_serpapi_empty_result_page_is_an_answer_not_an_error(httpserver):
    httpserver.expect_request("/search.json").respond_with_json(
        {"error": "Google hasn't returned any results for this query."}
    )
    provider = get_provider("serpapi", client_for(httpserver, "serpapi"))
    outcome = fetch_results(provider, QuerySpec("zzqx"), {"api_key": "k"})
    assert outcome.status == "ok" and outcome.results == []


def test_serpapi_refused_key_is_an_error(httpserver):
    httpserver.expect_request("/search.json").respond_with_json({"error": "Invalid key"}, 401)
    provider = get_provider("serpapi", client_for(httpserver, "serpapi"))
    outcome = fetch_results(provider, QuerySpec("acme"), {"api_key": "bad"})
    assert outcome.status == "error" and "refused the key" in outcome.reason


def test_serper_posts_json_with_key_header_and_page_numbers(httpserver):
    for page in (1, 2):
        httpserver.expect_request(
            "/search",
            method="POST",
            headers={"X-API-KEY": "sk"},
            json={"q": "acme", "gl": "us", "hl": "en", "num": 10, "page": page},
        ).respond_with_json({"organic": api_results((page - 1) * 10, 10, "link", "snippet")})
    provider = get_provider("serper", client_for(httpserver, "serper"))
    outcome = fetch_results(provider, QuerySpec("acme", depth=20), {"api_key": "sk"})
    assert outcome.status == "ok"
    assert [r.url for r in outcome.results][-1] == "https://r19.example.com/"


def test_searxng_asks_for_json_pages_and_reads_results(httpserver):
    for page in (1, 2):
        httpserver.expect_request(
            "/search",
            query_string={
                "q": "acme",
                "format": "json",
                "pageno": str(page),
                "language": "en-US",
                "engines": "bing",
                "safesearch": "0",
            },
        ).respond_with_json({"results": api_results((page - 1) * 10, 10, "url", "content")})
    provider = get_provider("searxng", client_for(httpserver, "searxng"))
    outcome = fetch_results(provider, QuerySpec("acme", "bing", depth=20), {})
    assert outcome.status == "ok" and len(outcome.results) == 20
    assert outcome.results[0].snippet == "s"


def test_searxng_engine_hit_by_captcha_is_blocked_not_empty(httpserver):
    httpserver.expect_request("/search").respond_with_json(
        {"results": [], "unresponsive_engines": [["google", "CAPTCHA"]]}
    )
    provider = get_provider("searxng", client_for(httpserver, "searxng"))
    outcome = fetch_results(provider, QuerySpec("acme", "google"), {})
    assert outcome.status == "blocked"
    assert "CAPTCHA" in outcome.reason


def test_brave_api_sends_subscription_token_and_page_offsets(httpserver):
    for offset in (0, 1):
        httpserver.expect_request(
            "/res/v1/web/search",
            headers={"X-Subscription-Token": "bk"},
            query_string={
                "q": "acme",
                "country": "US",
                "search_lang": "en",
                "count": "20",
                "offset": str(offset),
            },
        ).respond_with_json(
            {
                "web": {"results": api_results(offset * 20, 20, "url", "description")},
                "query": {"more_results_available": True},
            }
        )
    provider = get_provider("brave_api", client_for(httpserver, "brave_api"))
    outcome = fetch_results(provider, QuerySpec("acme", "brave", depth=50), {"api_key": "bk"})
    # 50 deep at 20 a page is three pages; the fake has two, the third answers 500.
    assert outcome.status == "error"
    assert "page 3" in outcome.reason and "40 results" in outcome.reason
    assert len(outcome.results) == 40


def test_html_fetch_looks_like_a_browser_and_pages_bing_with_first(httpserver):
    seen: list[Request] = []

    def answer(request: Request) -> Response:
        seen.append(request)
        start = int(request.args.get("first", "1")) - 1
        return Response(bing_page(start), content_type="text/html; charset=utf-8")

    httpserver.expect_request("/search").respond_with_handler(answer)
    provider = get_provider("html", client_for(httpserver, "html"))
    outcome = fetch_results(provider, QuerySpec("acme", "bing", "en", "gb", depth=20), {})
    assert outcome.status == "ok"
    assert [r.position for r in outcome.results] == list(range(1, 21))
    assert outcome.results[10].url == "https://site10.example.com/page"
    assert "Chrome/" in seen[0].headers["User-Agent"]
    assert seen[0].args["cc"] == "gb" and "first" not in seen[0].args
    assert seen[1].args["first"] == "11"
    assert len(outcome.pages) == 2 and outcome.pages[0]["format"] == "html"


def test_html_fetch_of_a_captcha_page_is_blocked(httpserver):
    httpserver.expect_request("/search").respond_with_data(
        fixture_text("google_captcha.html"), status=429, content_type="text/html"
    )
    provider = get_provider("html", client_for(httpserver, "html", SERP_MAX_RETRIES=0))
    outcome = fetch_results(provider, QuerySpec("acme", "google"), {})
    assert outcome.status == "blocked"
    assert outcome.results == []


def test_google_unusual_traffic_page_is_blocked_even_with_its_help_link(httpserver):
    httpserver.expect_request("/search").respond_with_data(
        fixture_text("google_unusual_traffic.html"), content_type="text/html"
    )
    provider = get_provider("html", client_for(httpserver, "html"))
    outcome = fetch_results(provider, QuerySpec("acme", "google"), {})
    assert (outcome.status, outcome.reason, outcome.results) == ("blocked", "unusual_traffic", [])


def test_html_page_nobody_can_read_is_an_error_not_an_empty_page(httpserver):
    httpserver.expect_request("/search").respond_with_data(
        "<html><body><p>Something else entirely</p></body></html>", content_type="text/html"
    )
    provider = get_provider("html", client_for(httpserver, "html"))
    outcome = fetch_results(provider, QuerySpec("acme", "bing"), {})
    assert outcome.status == "error" and "no results recognised" in outcome.reason


def test_html_second_page_blocked_keeps_first_page_and_says_so(httpserver):
    def answer(request: Request) -> Response:
        if "first" in request.args:
            return Response(fixture_text("google_captcha.html"), content_type="text/html")
        return Response(bing_page(0), content_type="text/html")

    httpserver.expect_request("/search").respond_with_handler(answer)
    provider = get_provider("html", client_for(httpserver, "html"))
    outcome = fetch_results(provider, QuerySpec("acme", "bing", depth=20), {})
    assert outcome.status == "blocked"
    assert outcome.reason.startswith("page 2:")
    assert len(outcome.results) == 10


# --- retries, timeouts, guard -------------------------------------------------------------------


def test_429_is_retried_after_retry_after(httpserver):
    waits: list[float] = []
    httpserver.expect_oneshot_request("/search").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "1"}
    )
    httpserver.expect_request("/search").respond_with_data(bing_page(0), content_type="text/html")
    provider = get_provider("html", client_for(httpserver, "html", sleep=waits.append))
    outcome = fetch_results(provider, QuerySpec("acme", "bing"), {})
    assert outcome.status == "ok" and len(outcome.results) == 10
    assert len(httpserver.log) == 2
    assert waits == [1.0]


def test_503_retry_after_longer_than_the_ceiling_is_not_waited_for(httpserver):
    waits: list[float] = []
    httpserver.expect_request("/search.json").respond_with_data(
        "maintenance", status=503, headers={"Retry-After": "3600"}
    )
    provider = get_provider("serpapi", client_for(httpserver, "serpapi", sleep=waits.append))
    outcome = fetch_results(provider, QuerySpec("acme"), {"api_key": "k"})
    assert outcome.status == "error"
    assert outcome.retry_after == 3600
    assert waits == [] and len(httpserver.log) == 1


def test_a_provider_that_does_not_answer_times_out(httpserver):
    def slow(_request: Request) -> Response:
        time.sleep(0.6)
        return Response("{}", content_type="application/json")

    httpserver.expect_request("/search.json").respond_with_handler(slow)
    client = client_for(httpserver, "serpapi", SERP_HTTP_TIMEOUT=0.2, SERP_MAX_RETRIES=1)
    started = time.monotonic()
    outcome = fetch_results(get_provider("serpapi", client), QuerySpec("acme"), {"api_key": "k"})
    assert outcome.status == "error" and "timed out" in outcome.reason
    assert time.monotonic() - started < 2.0


def test_outbound_guard_refuses_loopback_unless_allowed(httpserver):
    client = client_for(httpserver, "serpapi", OUTBOUND_ALLOW_PRIVATE=False)
    outcome = fetch_results(get_provider("serpapi", client), QuerySpec("acme"), {"api_key": "k"})
    assert outcome.status == "error" and "outbound guard" in outcome.reason
    assert httpserver.log == []


def test_retry_after_reads_seconds_and_http_dates():
    assert parse_retry_after("120") == 120
    assert parse_retry_after("Wed, 21 Oct 2099 07:28:00 GMT") > 10**8
    assert parse_retry_after("soon") is None


# --- limits shared by threads -------------------------------------------------------------------


def test_token_bucket_spaces_requests_at_the_rate():
    now = [0.0]
    bucket = TokenBucket(rate=10, burst=1, clock=lambda: now[0])
    waits = [bucket.reserve() for _ in range(5)]
    assert waits == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4])
    now[0] = 10.0  # a long pause refills at most the burst
    assert bucket.reserve() == 0.0 and bucket.reserve() == pytest.approx(0.1)


@pytest.fixture
def threaded_server():
    server = HTTPServer(threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


def test_concurrency_limit_is_shared_by_all_threads(threaded_server):
    httpserver = threaded_server
    lock = threading.Lock()
    state = {"now": 0, "max": 0}

    def answer(_request: Request) -> Response:
        with lock:
            state["now"] += 1
            state["max"] = max(state["max"], state["now"])
        time.sleep(0.05)
        with lock:
            state["now"] -= 1
        return Response(json.dumps({"organic_results": []}), content_type="application/json")

    httpserver.expect_request("/search.json").respond_with_handler(answer)
    limits = {"serpapi": {"rate": 1000, "burst": 1000, "concurrency": 2}}
    client = client_for(httpserver, "serpapi", SERP_PROVIDER_LIMITS=limits)
    provider = get_provider("serpapi", client)
    threads = [
        threading.Thread(target=provider.fetch, args=(QuerySpec("a"), 0, {"api_key": "k"}))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(httpserver.log) == 8
    assert state["max"] == 2
    assert limiter_for("serpapi", client.config) is limiter_for("serpapi", client.config)


def test_provider_refuses_engines_it_cannot_search():
    provider = get_provider("serper", HttpClient({}))
    assert provider.problems("bing", {"api_key": "x"})
    assert provider.problems("google", {}) == [
        "Serper needs an API key (provider setting 'api_key')."
    ]
    assert CheckStatus.OK.value == "ok"


def test_result_pages_go_out_through_the_configured_proxies_in_turn():
    from pytest_httpserver import HTTPServer

    from serp.providers.http import HttpClient

    proxies = [HTTPServer(host="127.0.0.1", port=0) for _ in range(2)]
    for proxy in proxies:
        proxy.start()
        proxy.expect_request("/search").respond_with_data("<html>page</html>")
    try:
        client = HttpClient(
            {
                "OUTBOUND_ALLOW_PRIVATE": True,
                "SERP_PROXIES": [p.url_for("").rstrip("/") for p in proxies],
                "SERP_PROVIDER_LIMITS": {"html": {"rate": 100.0, "burst": 10, "concurrency": 2}},
            }
        )
        # The target itself is never reached: the proxies answer for it.
        for _ in range(3):
            answer = client.send("html", "GET", "http://127.0.0.1:9/search", params={"q": "x"})
            assert answer.status == 200 and answer.text == "<html>page</html>"
        assert [len(p.log) for p in proxies] == [2, 1]
        # The APIs a user pays for are called directly (through a proxy, the second would see it).
        direct = client.send("serpapi", "GET", proxies[0].url_for("/search"))
        assert direct.status == 200 and [len(p.log) for p in proxies] == [3, 1]
    finally:
        for proxy in proxies:
            proxy.clear()
            if proxy.is_running():
                proxy.stop()
