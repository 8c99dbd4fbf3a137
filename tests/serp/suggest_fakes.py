"""Fakes of Google's and Bing's suggest endpoints for the autocomplete tests: they answer
what a test sets per (engine, term, language) and refuse a request of another shape."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from werkzeug import Request, Response

FAST_LIMITS = {
    f"suggest_{name}": {"rate": 1000.0, "burst": 1000, "concurrency": 4}
    for name in ("google", "bing", "serpapi")
}


@dataclass
class FakeEngines:
    """Answers per (engine, term, language); ``down`` makes an engine answer 503."""

    answers: dict[tuple[str, str, str], list[str]] = field(default_factory=dict)
    down: set[str] = field(default_factory=set)
    asked: list[tuple[str, str, str, str]] = field(default_factory=list)

    def google(self, request: Request) -> Response:
        args = request.args
        expected = {"client", "q", "hl", "gl", "ie", "oe"}
        if set(args) != expected or args["client"] != "firefox" or args["oe"] != "utf-8":
            return Response("bad request", status=400)
        return self._answer("google", args["q"], args["hl"], args["gl"])

    def bing(self, request: Request) -> Response:
        args = request.args
        if set(args) != {"query", "mkt"} or "-" not in args["mkt"]:
            return Response("bad request", status=400)
        language, country = args["mkt"].split("-")
        if country != country.upper():
            return Response("bad market", status=400)
        return self._answer("bing", args["query"], language, country.lower())

    def _answer(self, engine: str, term: str, language: str, country: str) -> Response:
        self.asked.append((engine, term, language, country))
        if engine in self.down:
            return Response("unavailable", status=503)
        body = json.dumps([term, self.answers.get((engine, term, language), [])])
        return Response(body, content_type="application/json; charset=utf-8")


def install(app, httpserver) -> FakeEngines:
    fake = FakeEngines()
    httpserver.expect_request("/complete/search").respond_with_handler(fake.google)
    httpserver.expect_request("/osjson.aspx").respond_with_handler(fake.bing)
    app.config.update(
        SUGGEST_URLS={
            "google": httpserver.url_for("/complete/search"),
            "bing": httpserver.url_for("/osjson.aspx"),
            "serpapi": httpserver.url_for("/search.json"),
        },
        SERP_PROVIDER_LIMITS={**(app.config.get("SERP_PROVIDER_LIMITS") or {}), **FAST_LIMITS},
    )
    return fake
