"""The `serp` command group: parse prints the parser's JSON; check, reparse and purge."""

from __future__ import annotations

import json

from sqlalchemy import select

from core.db import db
from serp.models import SerpCheck, TrackedQuery
from serp.parse import parse_serp

from .conftest import FIXTURES, make_query


def test_parse_prints_exactly_the_parser_output(runner):
    path = FIXTURES / "tracking_bing_page.html"
    result = runner.invoke(args=["serp", "parse", str(path)])
    assert result.exit_code == 0, result.output
    expected = parse_serp(path.read_text(encoding="utf-8")).to_dict()
    assert json.loads(result.output) == expected
    assert expected["engine"] == "bing" and len(expected["results"]) == 3


def test_parse_with_an_engine_and_a_block_page(runner):
    path = FIXTURES / "google_captcha.html"
    result = runner.invoke(args=["serp", "parse", str(path), "--engine", "google"])
    data = json.loads(result.output)
    assert data == parse_serp(path.read_text(encoding="utf-8"), "google").to_dict()
    assert data["blocked"] is True and data["results"] == []


def test_check_due_shows_progress_and_counts(app, runner, brand, engine_server):
    for text in ("acme bakery", "acme bread"):
        make_query(app, brand, None, text=text, engine="bing")
    result = runner.invoke(args=["serp", "check", "--due"])
    assert result.exit_code == 0, result.output
    assert "Checking 2 queries" in result.output
    assert "claimed=2 ok=2" in result.output
    assert len(db.session.scalars(select(SerpCheck)).all()) == 2


def test_check_one_query_reparse_and_purge(app, runner, brand, engine_server):
    query = make_query(app, brand, None, engine="bing")
    assert runner.invoke(args=["serp", "check"]).exit_code != 0
    result = runner.invoke(args=["serp", "check", "--query", str(query.id)])
    assert result.output.strip() == f"query {query.id}: ok"
    result = runner.invoke(args=["serp", "reparse", "--query", str(query.id)])
    assert result.output.strip() == "1 checks read again, 0 changed."
    result = runner.invoke(args=["serp", "purge", "--query", str(query.id), "--yes"])
    assert result.output.strip() == f"Query {query.id} purged with 1 checks."
    db.session.expire_all()
    assert db.session.get(TrackedQuery, query.id) is None
    assert runner.invoke(args=["serp", "check", "--query", "999"]).exit_code != 0
