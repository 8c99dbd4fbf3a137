"""Run every benchmark (bench/bench_*.py), print their tables, and merge the figures into
bench/results.json: one flat object of figure name → number."""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).with_name("results.json")


def main(selected: list[str]) -> int:
    folder = str(Path(__file__).parent)
    names = sorted(m.name for m in pkgutil.iter_modules([folder]) if m.name.startswith("bench_"))
    if selected:
        names = [n for n in names if any(s in n for s in selected)]
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    for name in names:
        print(f"\n=== {name} ===", flush=True)
        started = time.perf_counter()
        figures = importlib.import_module(f"bench.{name}").main() or {}
        print(f"({name} took {time.perf_counter() - started:.1f} s)")
        results.update({k: round(float(v), 4) for k, v in figures.items()})
        RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print("\n=== bench/results.json ===")
    for key, value in sorted(results.items()):
        print(f"{key:40} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
