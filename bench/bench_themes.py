"""Complaint themes computed on read, and the lexicon sentiment of lv/lt/pl text.

Themes: ``core.themes.assign_themes`` over 20,000 short texts in four languages (a busy brand's
half year of negative and neutral reviews and mentions), which the themes page does per visit.
Sentiment: ``core.lexicon_sentiment.score`` over 30,000 texts, after simplemma's dictionaries
are loaded (their loading is timed on its own).

Run: `python -m bench bench_themes` or `python bench/bench_themes.py`.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench.common import table  # noqa: E402
from core import lexicon_sentiment  # noqa: E402
from core.themes import assign_themes  # noqa: E402
from tests.text_evaluation import examples  # noqa: E402

THEMED = 20_000
SCORED = 30_000


def main() -> None:
    sample = examples()
    texts = [
        (f"{e.text} ({n})", e.language) for n, e in enumerate(sample * (THEMED // len(sample) + 1))
    ]
    texts = texts[:THEMED]
    started = time.perf_counter()
    assign_themes(texts)
    themed = time.perf_counter() - started

    started = time.perf_counter()
    for language in lexicon_sentiment.LANGUAGES:
        lexicon_sentiment.score("nezināmsvārds nežinomas nieznanyslowo", language)
    loading = time.perf_counter() - started
    scored_texts = [e for e in sample if e.language != "en"]
    started = time.perf_counter()
    for n in range(SCORED):
        item = scored_texts[n % len(scored_texts)]
        lexicon_sentiment.score(f"{item.text} {n}", item.language)
    scored = time.perf_counter() - started

    print("themes and lexicon sentiment")
    table(
        [
            (
                f"theme {THEMED:,} texts",
                f"{themed:.2f} s",
                "target < 2 s (a page computed on read)",
            ),
            ("load simplemma lv+lt+pl", f"{loading:.2f} s", "once per process"),
            (f"score {SCORED:,} texts", f"{scored:.2f} s", "target < 10 s"),
        ]
    )


if __name__ == "__main__":
    main()
