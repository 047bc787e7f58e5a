"""The layer rule holds: no module of the tree is part of an import cycle, and CI runs
`lint-imports` on the contracts in pyproject.toml (the README's Layout section states them)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import grimp
import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("papertally", "flows", "harvesters", "matching", "db", "review")

# Imports that still close a cycle, each with who removes it (issue 10). An entry that no
# longer exists is reported by test_known_cycle_imports_still_exist, so the list only shrinks.
KNOWN_CYCLE_IMPORTS: set[tuple[str, str]] = set()


def import_cycles(graph: grimp.ImportGraph, ignore: set[tuple[str, str]] = frozenset()) -> list[list[str]]:
    """The import cycles of `graph` as its strongly connected components of two or more
    modules (Tarjan's algorithm, iterative), each sorted; imports in `ignore` are left out."""
    edges = {
        m: sorted(i for i in graph.find_modules_directly_imported_by(m) if (m, i) not in ignore)
        for m in graph.modules
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            nexts = edges.get(node, [])
            if i < len(nexts):
                work.append((node, i + 1))
                nxt = nexts[i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return sorted(cycles)


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PACKAGES, cache_dir=None)


def test_no_module_is_part_of_an_import_cycle(graph):
    cycles = import_cycles(graph, KNOWN_CYCLE_IMPORTS)
    assert not cycles, "import cycles (break each, e.g. move the shared part down): " + "; ".join(
        " <-> ".join(c) for c in cycles
    )


def test_known_cycle_imports_still_exist(graph):
    gone = [f"{a} -> {b}" for a, b in sorted(KNOWN_CYCLE_IMPORTS) if not graph.direct_import_exists(importer=a, imported=b)]
    assert not gone, f"remove from KNOWN_CYCLE_IMPORTS (no longer imported): {', '.join(gone)}"


def test_the_cycle_finder_finds_a_cycle_through_three_modules():
    g = grimp.ImportGraph()
    for m in ("p", "p.a", "p.b", "p.c", "p.d"):
        g.add_module(m)
    g.add_import(importer="p.a", imported="p.b")
    g.add_import(importer="p.b", imported="p.c")
    g.add_import(importer="p.c", imported="p.a")
    g.add_import(importer="p.d", imported="p.a")
    assert import_cycles(g) == [["p.a", "p.b", "p.c"]]
    assert import_cycles(g, {("p.c", "p.a")}) == []


def test_ci_runs_lint_imports_on_the_contracts():
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert any(line.strip().startswith(".venv/bin/lint-imports") for line in ci.splitlines())
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    linter = config["tool"]["importlinter"]
    assert set(linter["root_packages"]) == set(PACKAGES)
    assert any(c["type"] == "layers" for c in linter["contracts"])
    assert any(d.startswith("import-linter==") for d in config["project"]["optional-dependencies"]["test"])


def test_every_papertally_module_has_a_place_in_the_contracts(graph):
    """A new module under papertally/ is named in the layers (a use case) or as a foundation,
    so the rule covers it; otherwise lint-imports would not check what it imports."""
    linter = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    named: set[str] = set()
    for contract in linter["contracts"]:
        for layer in contract.get("layers", []):
            named.update(m.strip() for m in layer.replace("|", ":").split(":"))
        named.update(contract.get("source_modules", []))
    children = {".".join(m.split(".")[:2]) for m in graph.find_descendants("papertally")}
    unplaced = sorted(children - named - {"papertally.__main__"})
    assert not unplaced, f"add to [tool.importlinter] in pyproject.toml: {', '.join(unplaced)}"
