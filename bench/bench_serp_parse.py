"""How fast the result-page parser reads the shared real pages, against a BeautifulSoup baseline,
and how long it takes to read or refuse crafted pages (deep nesting, huge pages).

The parse includes the page features (ads, top stories, people also ask ...). Targets: a median
of at most 5 ms a page, and at least 5 times faster than the baseline on the same pages in the
same run (the ratio holds on a loaded machine better than the milliseconds do).

Run: `python bench/bench_serp_parse.py` (or through bench/run.py, which calls `main()`).
The pages are read from `$SERP_FIXTURES` or `../shared/serp-fixtures` next to the repository.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from serp.parse import parse_serp, read_serp  # noqa: E402

ROUNDS = 5
MEDIAN_TARGET_MS = 5.0
SPEEDUP_TARGET = 5.0
# Recordings (YAML) and expected-URL lists are not pages.
_NOT_PAGES = {".res", ".md", ".yaml", ".yml"}


def fixtures_dir() -> Path:
    return Path(os.environ.get("SERP_FIXTURES") or REPO_ROOT.parent / "shared" / "serp-fixtures")


def load_pages(folder: Path) -> list[str]:
    paths = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix not in _NOT_PAGES)
    return [path.read_text(encoding="utf-8", errors="replace") for path in paths]


def baseline_parse(html: str) -> None:
    """What a typical parser starts from: a BeautifulSoup tree and all its links."""
    from bs4 import BeautifulSoup

    BeautifulSoup(html, "html.parser").find_all("a")


def per_page_ms(pages: list[str], parse: Callable[[str], object], rounds: int) -> list[float]:
    """For each page, the best of `rounds` timings (the least disturbed by other processes)."""
    timings = []
    for html in pages:
        best = float("inf")
        for _ in range(rounds):
            start = time.perf_counter()
            parse(html)
            best = min(best, time.perf_counter() - start)
        timings.append(best * 1000)
    return timings


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _formatting_left_open(tags: int, blocks: int) -> str:
    opened = "".join(f"<b id={i}>" for i in range(tags))
    return f"<p>{opened}</p>" + "<div>x</div>" * blocks


def pathological_pages() -> dict[str, str]:
    """Crafted pages a parser must read or refuse in bounded time."""
    title = "<h3><a href='https://x.example/'>t</a></h3>"
    return {
        "100,000 nested divs": "<div id='rso'>" + "<div>" * 100_000 + title + "</div>" * 100_000,
        "12,000 nested divs (unmeasured)": "<div>" * 12_000,
        "5,000 nested results": "<div id='rso'>"
        + f"<div>{title}<span>snippet</span>" * 5_000
        + "</div>" * 5_000,
        "1,000,000 sibling elements": "<div id='rso'>" + "<span>a</span>" * 1_000_000,
        "40,000 sibling elements": "<div id='rso'>" + "<span>a</span>" * 40_000,
        "5,000 nested tables": "<table><tr><td>" * 5_000 + "x" + "</td></tr></table>" * 5_000,
        "a 5 MB attribute": "<div id='rso'><a href='https://x.example/"
        + "a" * 5_000_000
        + "'><h3>t</h3></a></div>",
        "5 MB of text": f"<div id='rso'>{title}<span>" + "word " * 1_000_000 + "</span></div>",
        "60 formatting tags left open": _formatting_left_open(60, 6_000),
        "200 formatting tags left open": _formatting_left_open(200, 2_000),
        "spans 5,000 deep around titles": "<div id='rso'>"
        + "<span>" * 5_000
        + f"<div class=g>{title}</div>" * 1_200,
    }


def pathological_ms() -> float:
    """Print each crafted page's parse time (best of 3, Google parser) and outcome; the worst."""
    print(f"\n{'crafted page (engine google)':<34}{'size':>9}{'ms':>9}{'work':>9}  outcome")
    worst = 0.0
    for name, html in pathological_pages().items():
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            page, budget = read_serp(html, "google")
            best = min(best, time.perf_counter() - start)
        outcome = f"refused: {page.detail}" if page.detail else f"{len(page.results)} results"
        size = f"{len(html) / 1e6:.1f} MB"
        print(f"{name:<34}{size:>9}{best * 1000:>9.1f}{budget.spent:>9}  {outcome[:70]}")
        worst = max(worst, best * 1000)
    return worst


def main() -> dict[str, float]:
    figures = {"serp_parse_crafted_worst_ms": pathological_ms()}
    folder = fixtures_dir()
    if not folder.is_dir():
        print(f"bench_serp_parse: no shared fixtures at {folder}; set SERP_FIXTURES. Skipped.")
        return figures
    pages = load_pages(folder)
    if not pages:
        print(f"bench_serp_parse: no pages in {folder}. Skipped.")
        return figures
    parser_ms = per_page_ms(pages, parse_serp, ROUNDS)
    # The baseline is ~30x slower; fewer rounds keep the run short without changing its median.
    baseline_ms = per_page_ms(pages, baseline_parse, max(1, ROUNDS // 2))
    sizes = sorted(len(html.encode("utf-8")) for html in pages)
    print(f"SERP parse: {len(pages)} pages, median size {statistics.median(sizes) / 1024:.0f} KB")
    print(f"{'parser':<34}{'median ms/page':>16}{'p95 ms/page':>14}")
    print(
        f"{'parse_serp (selectolax/Lexbor)':<34}{statistics.median(parser_ms):>16.2f}"
        f"{p95(parser_ms):>14.2f}"
    )
    print(
        f"{'BeautifulSoup html.parser + <a>':<34}{statistics.median(baseline_ms):>16.2f}"
        f"{p95(baseline_ms):>14.2f}"
    )
    median = statistics.median(parser_ms)
    speedup = statistics.median(baseline_ms) / median if median else float("inf")
    features = sum(len(parse_serp(html).features) for html in pages)
    print(f"features read: {features} blocks on {len(pages)} pages")
    print(
        f"median {median:.2f} ms/page (target <= {MEDIAN_TARGET_MS:.0f}: "
        f"{'met' if median <= MEDIAN_TARGET_MS else 'MISSED'}); "
        f"{speedup:.1f}x faster than BeautifulSoup (target >= {SPEEDUP_TARGET:.0f}x: "
        f"{'met' if speedup >= SPEEDUP_TARGET else 'MISSED'})"
    )
    return figures | {
        "serp_parse_speedup_vs_baseline": speedup,
        "serp_parse_median_ms": statistics.median(parser_ms),
        "serp_parse_p95_ms": p95(parser_ms),
        "serp_parse_baseline_median_ms": statistics.median(baseline_ms),
    }


if __name__ == "__main__":
    main()
