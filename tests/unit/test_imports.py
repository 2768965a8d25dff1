"""The ``pipeline`` package's import graph has no cycles, counting imports inside functions too (a lazy import
hides a cycle from Python, not from the design): packages depend downwards only.

Built from source with ``ast`` (nothing is imported): every ``import``/``from ... import`` of every module, at any
depth, resolved to modules of this package (``from pipeline.x import y`` counts as ``pipeline.x.y`` when that is a
module, else ``pipeline.x``).  Package ``__init__`` modules count like any other module.  Imports under
``if TYPE_CHECKING:`` are left out: they never run.

``OWNED_ELSEWHERE`` would list a cycle knowingly left (none is); the test fails on any other cycle, and also when a
listed one is gone (then delete its line).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "pipeline"


def modules(root: Path = ROOT) -> dict[str, Path]:
    found = {}
    for path in sorted((root / PACKAGE).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Modules of the package that ``name`` imports anywhere in its source."""
    is_pkg = path.name == "__init__.py"
    out: set[str] = set()
    for node in _walk_runtime(ast.parse(path.read_text(), str(path))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = name.split(".") if is_pkg else name.split(".")[:-1]
                pkg = pkg[: len(pkg) - (node.level - 1)]
                base = ".".join([*pkg, base] if base else pkg)
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        for t in targets:
            while t and t not in known:  # `import pipeline.a.b.c` where c is a name: the deepest module
                t = t.rpartition(".")[0]
            if t and t != name:
                out.add(t)
    return out


def _walk_runtime(tree: ast.AST):
    """``ast.walk`` without the bodies of ``if TYPE_CHECKING:`` blocks."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                todo.extend(child.orelse)
                continue
            todo.append(child)


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(name, path, known) for name, path in known.items()}


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(g.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


def test_the_graph_sees_function_level_imports():
    g = graph()
    assert "pipeline.beam.run" in g["pipeline.cli"]  # imported inside cmd_run only
    assert len(g) > 50 and sum(map(len, g.values())) > 100


def test_a_cycle_is_found_when_there_is_one():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


OWNED_ELSEWHERE: list[list[str]] = []  # cycles knowingly left, each with the edge that closes it and its fix


def test_no_import_cycles_in_the_package():
    found = cycles(graph())
    new = [c for c in found if c not in OWNED_ELSEWHERE]
    assert new == [], "import cycles (break them with a leaf module):\n" + "\n".join(
        " <-> ".join(c) for c in new
    )
    gone = [c for c in OWNED_ELSEWHERE if c not in found]
    assert gone == [], f"no longer cycles, delete them from OWNED_ELSEWHERE: {gone}"


def test_type_checking_imports_are_left_out():
    tree = ast.parse(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pipeline.cli\nimport pipeline.model\n"
    )
    names = [a.name for n in _walk_runtime(tree) if isinstance(n, ast.Import) for a in n.names]
    assert names == ["pipeline.model"]


def test_failures_module_imports_no_stage():
    """``pipeline.beam.failures`` is what every stage imports: it depends only on the model and the package root."""
    g = graph()
    reach, todo = set(), ["pipeline.beam.failures"]
    while todo:
        for m in g[todo.pop()] - reach:
            reach.add(m)
            todo.append(m)
    assert reach <= {"pipeline", "pipeline.beam", "pipeline.model"}, reach
