"""The arrows of docs/architecture.md, read from the code's own imports (function-level ones
included): core imports no feature, planner neither serp nor listening, serp and listening take
only planner's public face, and no module reaches itself through a circle of imports."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "planner", "serp", "listening")
FEATURES = ("planner", "serp", "listening")
# What serp and listening may take from the planner: owned assets, drafts, the pause switch and
# the platform adapters.
PLANNER_PUBLIC = (
    "planner.assets",
    "planner.drafts",
    "planner.pause",
    "planner.publishing.adapters",
)
MAX_LINES = 800


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    }


MODULES = _modules()


def _resolve(module: str, name: str | None) -> str:
    """The module an import names: ``from serp import summaries`` is ``serp.summaries``."""
    if name and f"{module}.{name}" in MODULES:
        return f"{module}.{name}"
    return module


def _imports(name: str, path: Path) -> set[str]:
    """Every module of the project this module imports, at any depth of its code."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.update(_resolve(base, alias.name) for alias in node.names)
    return {module for module in found if module.split(".")[0] in PACKAGES}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _top(module: str) -> str:
    return module.split(".")[0]


def test_core_imports_no_feature():
    wrong = sorted(
        f"{name} imports {target}"
        for name, targets in GRAPH.items()
        if _top(name) == "core"
        for target in targets
        if _top(target) in FEATURES
    )
    assert wrong == []


def test_planner_imports_neither_serp_nor_listening():
    wrong = sorted(
        f"{name} imports {target}"
        for name, targets in GRAPH.items()
        if _top(name) == "planner"
        for target in targets
        if _top(target) in ("serp", "listening")
    )
    assert wrong == []


def test_serp_and_listening_take_only_the_planners_public_face_and_not_each_other():
    wrong = []
    for name, targets in GRAPH.items():
        if _top(name) not in ("serp", "listening"):
            continue
        for target in targets:
            other = {"serp": "listening", "listening": "serp"}[_top(name)]
            if _top(target) == other:
                wrong.append(f"{name} imports {target}")
            elif _top(target) == "planner" and not target.startswith(PLANNER_PUBLIC):
                wrong.append(f"{name} imports {target}")
    assert sorted(wrong) == []


def _cycles() -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in GRAPH.get(node, ()):
            if target not in MODULES:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for module in MODULES:
        if module not in index:
            visit(module)
    return sorted(groups)


def test_no_circle_of_modules():
    assert _cycles() == []


def test_the_cycle_finder_sees_a_circle():
    GRAPH["core.__probe_a"] = {"core.__probe_b"}
    GRAPH["core.__probe_b"] = {"core.__probe_a"}
    MODULES["core.__probe_a"] = MODULES["core.__probe_b"] = ROOT / "core" / "__init__.py"
    try:
        assert ["core.__probe_a", "core.__probe_b"] in _cycles()
    finally:
        for name in ("core.__probe_a", "core.__probe_b"):
            GRAPH.pop(name)
            MODULES.pop(name)


def test_relative_and_package_imports_are_resolved():
    assert "serp.providers.http" in GRAPH["serp.providers"]
    assert "core.db" in GRAPH["core.tenants"]


def test_no_source_file_is_longer_than_800_lines():
    long = sorted(
        f"{path.relative_to(ROOT)}: {lines} lines"
        for path in [*MODULES.values(), ROOT / "app.py"]
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    )
    assert long == []
