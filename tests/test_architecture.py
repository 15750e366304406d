"""The layout's rules, checked on the source: which folder may import which, and no import circle.

Arrows point down (docs/architecture.md): ``core`` <- ``store`` <- ``ingest`` <- ``editorial`` <- ``ui``;
``core`` <- ``store`` <- ``assistant`` <- ``ui``, ``api``, ``evals``; ``ingest`` and ``assistant`` never import
each other, nor do ``ui``, ``api`` and ``evals`` (one named exception: the ``guideqa`` entry point hosts
``guideqa eval``; ``guideqa serve`` names the API's factory to uvicorn as a string); nothing imports
``ui``, ``api``, ``evals`` or ``benchmarks``. Every ``import`` statement
counts, wherever it stands (inside functions and ``TYPE_CHECKING`` blocks too). The checker is
tested on small synthetic graphs first, so a rule that could never fail is caught as well.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

from tests.conftest import ROOT

PACKAGES = ("core", "store", "ingest", "assistant", "editorial", "evals", "ui", "api", "benchmarks")
# folder -> the other folders its modules may import
ALLOWED: dict[str, frozenset[str]] = {
    "core": frozenset(),
    "store": frozenset({"core"}),
    "ingest": frozenset({"core", "store"}),
    "assistant": frozenset({"core", "store"}),
    "editorial": frozenset({"core", "store", "ingest"}),
    "evals": frozenset({"core", "store", "ingest", "assistant"}),
    "ui": frozenset({"core", "store", "ingest", "assistant", "editorial"}),
    "api": frozenset({"core", "store", "ingest", "assistant", "editorial"}),
    "benchmarks": frozenset({"core", "store", "ingest", "assistant", "editorial", "evals", "ui", "api"}),
}
# (module, folder it may import although its own folder may not), each with its reason.
EXCEPTIONS: dict[tuple[str, str], str] = {
    ("ui.cli", "evals"): "the `guideqa` entry point hosts the `guideqa eval` commands (run, compare)",
}


# --------------------------------------------------------------------------- the checker
def project_sources(root: Path = ROOT) -> dict[str, str]:
    """Module name -> source of every module in the project's folders (tests excluded)."""
    sources: dict[str, str] = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            sources[name] = path.read_text(encoding="utf-8")
    return sources


def _packages(sources: Mapping[str, str]) -> set[str]:
    """Modules that are packages (some other module's name starts with theirs and a dot)."""
    return {m for m in sources if any(o.startswith(m + ".") for o in sources)}


def _resolve(name: str, known: set[str]) -> str | None:
    """The project module an imported dotted name lives in (the longest known prefix), if any."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in known:
            return candidate
    return None


def import_graph(sources: Mapping[str, str]) -> dict[str, set[str]]:
    """Module -> the project modules it imports, from every import statement anywhere in its source."""
    known = set(sources)
    packages = _packages(sources)
    graph: dict[str, set[str]] = {}
    for module, source in sources.items():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(source)):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    package = module if module in packages else module.rpartition(".")[0]
                    up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join([*up, *([node.module] if node.module else [])])
                # `from pkg import mod` imports the module pkg.mod; `from mod import name` imports mod
                names = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
            for name in names:
                target = _resolve(name, known)
                if target is not None and target != module:
                    targets.add(target)
        graph[module] = targets
    return graph


def layer_violations(
    graph: Mapping[str, Iterable[str]],
    allowed: Mapping[str, frozenset[str]] = ALLOWED,
    exceptions: Mapping[tuple[str, str], str] = EXCEPTIONS,
) -> list[str]:
    """Every import of a folder that the importing module's folder may not import."""
    found = []
    for module, targets in sorted(graph.items()):
        here = module.split(".")[0]
        for target in sorted(targets):
            there = target.split(".")[0]
            if there != here and there not in allowed[here] and (module, there) not in exceptions:
                found.append(f"{module} imports {target} ({here} may import {sorted(allowed[here]) or 'nothing'})")
    return found


def import_cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan): each one is an import circle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
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

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(cycles)


# --------------------------------------------------------------- the checker can fail
SYNTHETIC = {
    "core": "",
    "core.a": "import core.b\n",
    "core.b": "def f():\n    from core.a import thing  # an import inside a function counts\n",
    "store": "",
    "store.s": "from core import a\nfrom core.b import f\n",
    "ingest": "",
    "ingest.i": "from ..store import s\n",
    "assistant": "",
    "assistant.x": "if True:\n    import ingest.i.deeper\n",
    "evals": "",
    "evals.e": "from ui import cli\n",
    "ui": "",
    "ui.cli": "from evals.e import run\n",
    "ui.app": "import evals.e\n",
}


def test_the_checker_resolves_every_kind_of_import():
    graph = import_graph(SYNTHETIC)
    assert graph["core.a"] == {"core.b"}
    assert graph["core.b"] == {"core.a"}  # inside a function
    assert graph["store.s"] == {"core.a", "core.b"}  # `from core import a` is the module core.a
    assert graph["ingest.i"] == {"store.s"}  # relative
    assert graph["assistant.x"] == {"ingest.i"}  # a dotted name resolves to the module it lives in


def test_the_checker_finds_circles_and_imports_against_the_layers():
    graph = import_graph(SYNTHETIC)
    assert import_cycles(graph) == [["core.a", "core.b"], ["evals.e", "ui.cli"]]
    assert layer_violations(graph) == [
        "assistant.x imports ingest.i (assistant may import ['core', 'store'])",
        "evals.e imports ui.cli (evals may import ['assistant', 'core', 'ingest', 'store'])",
        "ui.app imports evals.e (ui may import ['assistant', 'core', 'editorial', 'ingest', 'store'])",
    ]  # ui.cli -> evals is the named exception
    upward = {"core": "", "core.c": "from store import s\n", "store": "", "store.s": ""}
    assert layer_violations(import_graph(upward)) == ["core.c imports store.s (core may import nothing)"]
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


# ----------------------------------------------------------------------- the project
def test_every_folder_of_code_is_under_the_rules():
    folders = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests"}
    assert folders <= set(PACKAGES), f"a new folder needs a place in the layers: {sorted(folders - set(PACKAGES))}"
    assert set(ALLOWED) == set(PACKAGES)


def test_no_folder_imports_a_folder_above_it_and_ingest_and_assistant_never_meet():
    graph = import_graph(project_sources())
    assert len(graph) > 60 and graph["assistant.engines.offline"]  # the walk saw the project
    assert layer_violations(graph) == []
    assert not {
        (m, t) for m, ts in graph.items() for t in ts if {m.split(".")[0], t.split(".")[0]} == {"ingest", "assistant"}
    }


def test_there_is_no_import_circle_between_modules():
    assert import_cycles(import_graph(project_sources())) == []


def test_engines_and_decide_modules_never_import_the_store():
    graph = import_graph(project_sources())
    for module, targets in graph.items():
        if module.startswith(("assistant.engines", "assistant.decide", "assistant.compose")):
            assert not {t for t in targets if t.startswith("store")}, module
        if module.startswith("assistant.decide"):
            assert targets <= {t for t in graph if t.startswith(("core", "assistant.clinical", "assistant.decide"))} | {
                "assistant.query",
                "assistant.schema",
            }, module
    assert not {t for t in graph["ui.editor_page"] if t.startswith("store")}
