"""The parser on real saved result pages from several years (the shared development set).

The pages live outside the project (see DESIGN.md, "SERP measurement"): in `$SERP_FIXTURES`, or
in `../shared/serp-fixtures` next to the repository. Every test here is skipped without them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from serp.parse import SerpPage, parse_serp
from serp.parse.urls import is_engine_internal

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("SERP_FIXTURES") or REPO_ROOT.parent / "shared" / "serp-fixtures")

pytestmark = pytest.mark.skipif(
    not SHARED.is_dir(),
    reason=f"shared SERP fixtures not found at {SHARED} (set SERP_FIXTURES to their folder)",
)

# Pages whose expected list is knowingly partial. The serposcope source compares only the first
# len(expected) URLs of what its parser returns; we require the exact count everywhere else.
PREFIX_ONLY = {
    # Fetched with num=100: the page holds 97 organic results and the .res lists the first 12.
    "201910/top-10/caymus-__-DESKTOP.txt",
}


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


def _page_of(res: Path) -> Path:
    return res.parent / res.name[: -len(".res")]


def serposcope_cases() -> list[tuple[str, Path, Path]]:
    if not SHARED.is_dir():
        return []
    cases = []
    for res in sorted((SHARED / "serposcope-google").glob("*/top-10/*.res")):
        page = _page_of(res)
        cases.append((str(page.relative_to(SHARED / "serposcope-google")), page, res))
    return cases


def expected_urls(res: Path) -> list[str]:
    return [line.strip() for line in read(res).splitlines() if line.strip()]


def matches(name: str, got: list[str], expected: list[str]) -> bool:
    if name in PREFIX_ONLY:
        return got[: len(expected)] == expected
    return got == expected


@pytest.mark.parametrize(
    ("name", "page", "res"), serposcope_cases(), ids=[case[0] for case in serposcope_cases()]
)
def test_serposcope_google_pages_give_the_expected_organic_urls(name, page, res):
    result_page = parse_serp(read(page))
    got = [result.url for result in result_page.results]
    assert result_page.engine == "google"
    assert not result_page.blocked
    assert matches(name, got, expected_urls(res)), f"{name}: {got}"


def test_serposcope_match_rate_is_reported_and_complete(capsys):
    cases = serposcope_cases()
    matched = sum(
        matches(name, [r.url for r in parse_serp(read(page)).results], expected_urls(res))
        for name, page, res in cases
    )
    with capsys.disabled():
        print(f"\nserposcope Google pages: {matched}/{len(cases)} match the expected URLs exactly")
    assert cases and matched == len(cases)


def assert_plausible(result_page: SerpPage, minimum: int) -> None:
    assert not result_page.blocked
    assert len(result_page.results) >= minimum
    assert [r.position for r in result_page.results] == list(range(1, len(result_page.results) + 1))
    for result in result_page.results:
        assert result.url.startswith(("http://", "https://")), result.url
        assert not is_engine_internal(result.url), result.url
        assert result.title


def html_pages(folder: str) -> list[Path]:
    if not SHARED.is_dir():
        return []
    return sorted(path for path in (SHARED / folder).rglob("*.html"))


def _is_special(path: Path) -> bool:
    return path.name.startswith(("recaptcha", "no-results"))


@pytest.mark.parametrize(
    "path",
    [p for p in html_pages("serp-parser/google") if not _is_special(p)],
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_serp_parser_google_pages_give_plausible_results(path):
    result_page = parse_serp(read(path))
    assert result_page.engine == "google"
    # Mobile first pages are short (the rest loads on scroll): three results at least.
    assert_plausible(result_page, minimum=3)


@pytest.mark.parametrize(
    "path",
    [p for p in html_pages("serp-parser/bing") if not _is_special(p)],
    ids=lambda p: p.name,
)
def test_bing_nojs_pages_give_plausible_results(path):
    result_page = parse_serp(read(path))
    assert result_page.engine == "bing"
    assert_plausible(result_page, minimum=4)


@pytest.mark.parametrize(
    "path", html_pages("se-scraper"), ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_se_scraper_javascript_pages_give_plausible_results(path):
    result_page = parse_serp(read(path))
    assert result_page.engine == path.parent.name
    assert_plausible(result_page, minimum=5)


@pytest.mark.parametrize(
    "path", sorted((SHARED / "serposcope-google").glob("*/last-page/*")) if SHARED.is_dir() else []
)
def test_serposcope_last_pages_are_read_as_results(path):
    result_page = parse_serp(read(path))
    assert result_page.engine == "google"
    assert_plausible(result_page, minimum=1)


def test_recaptcha_page_is_blocked():
    result_page = parse_serp(read(SHARED / "serp-parser/google/desktop/recaptcha.html"))
    assert result_page.blocked
    assert result_page.reason == "captcha"
    assert result_page.results == []


@pytest.mark.parametrize(
    "path",
    [p for p in html_pages("serp-parser") if p.name.startswith("no-results")],
    ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}/{p.name}",
)
def test_no_results_pages_give_zero_results_unblocked(path):
    result_page = parse_serp(read(path))
    assert result_page.results == []
    assert not result_page.blocked
    assert result_page.engine in {"google", "bing"}


def recorded_bodies() -> list[tuple[str, str]]:
    """Response bodies from the vcrpy recordings (search-engine-parser)."""
    if not SHARED.is_dir():
        return []
    yaml = pytest.importorskip("yaml")
    bodies = []
    for path in sorted((SHARED / "search-engine-parser").glob("*.yaml")):
        for interaction in yaml.safe_load(read(path))["interactions"]:
            body = interaction["response"]["body"]
            text = body.get("string") if isinstance(body, dict) else None
            if text:
                bodies.append((path.name.split("-")[0], text))
    return bodies


def test_recorded_google_bing_and_duckduckgo_pages_give_plausible_results():
    bodies = recorded_bodies()
    if not bodies:
        pytest.skip("no recordings found")
    seen = set()
    for engine, html in bodies:
        result_page = parse_serp(html)
        if engine == "yahoo":
            # Not a supported engine: read without error, as unknown.
            assert result_page.engine == "unknown"
            continue
        assert result_page.engine == engine
        assert_plausible(result_page, minimum=5)
        seen.add(engine)
    assert seen == {"google", "bing", "duckduckgo"}
