"""The package layout shows the pipeline: imports point down the stages and never form a cycle.

Stages, lowest first. A module may import from its own stage and from lower ones; ``source`` and
``references`` sit beside each other (the source stage loads a project's reference files, the
references stage reads with the source stage's YAML loader and models).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import REPO

PACKAGE = REPO / "src" / "kratom_report"
RANKS = {
    # The package itself: __version__, and the public API re-exported lazily (PEP 562), so
    # its own imports sit above every stage (see test_the_package_imports_its_api_lazily).
    "kratom_report": 0,
    "errors": 0,
    "source": 1,
    "references": 1,
    "compose": 2,
    "publish": 3,
    "build": 4,
    "release": 4,
    "verification": 4,
    "compare": 4,
    "pipeline": 4,
    "authoring": 5,
    "_api": 6,
    "cli": 7,
    "__main__": 8,
}


def module_name(path: Path, root: Path) -> str:
    rel = path.relative_to(root.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, root: Path) -> set[str]:
    """Every module of the package that ``path`` imports, at any depth (lazy imports included)."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == root.name}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != root.name:
                continue
            for alias in node.names:  # `from pkg import module` names a module, not a symbol
                candidate = f"{target}.{alias.name}"
                sub = root.parent / Path(*candidate.split("."))
                found.add(candidate if sub.with_suffix(".py").is_file() or sub.is_dir()
                          else target)
    found.discard(name)
    return found


def stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def layout_problems(root: Path) -> list[str]:
    """Upward imports, cycles, and click outside cli.py, as readable lines."""
    graph = {module_name(p, root): imports_of(p, root) for p in sorted(root.rglob("*.py"))}
    graph[root.name] = set()  # the lazy re-exports: checked by their own test
    problems = []
    for module, targets in sorted(graph.items()):
        if stage(module) not in RANKS:
            problems.append(f"{module}: not in any stage; add it to a stage folder")
            continue
        for target in sorted(targets):
            if RANKS.get(stage(target), 99) > RANKS[stage(module)]:
                problems.append(f"{module} imports {target}, a stage above it")
    for p in sorted(root.rglob("*.py")):
        if stage(module_name(p, root)) != "cli" and any(
                isinstance(n, ast.Import | ast.ImportFrom) and
                any((getattr(n, "module", None) or a.name).split(".")[0] == "click"
                    for a in n.names)
                for n in ast.walk(ast.parse(p.read_text(encoding="utf-8")))):
            problems.append(f"{module_name(p, root)} imports click (only the cli package may)")
    problems += [f"import cycle: {' -> '.join(c)}" for c in cycles(graph)]
    return problems


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One example path per cycle found by a depth-first walk."""
    state: dict[str, int] = {}
    found: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                found.append(path[path.index(nxt):] + [node, nxt] if nxt in path
                             else [node, nxt])
            elif nxt not in state:
                visit(nxt, path + [node])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    return found


def test_imports_point_down_the_stages_and_form_no_cycle():
    assert layout_problems(PACKAGE) == []


def test_the_package_imports_its_api_lazily():
    """``import kratom_report`` (and so every command's start) loads nothing of the pipeline:
    the package's imports of its own modules are only for type checkers or inside
    ``__getattr__``."""
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    eager = [n for n in tree.body if isinstance(n, ast.ImportFrom) and n.level]
    assert eager == []
    import subprocess
    import sys

    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, kratom_report as kr; kr.__all__; "
         "print(sorted(m for m in sys.modules if m.startswith('kratom_report.')))"],
        capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"


def test_every_stage_says_what_it_takes_and_gives():
    for folder in ("source", "references", "compose", "publish", "authoring",
                   "compose/figures"):
        doc = ast.get_docstring(ast.parse((PACKAGE / folder / "__init__.py").read_text()))
        assert doc and len(doc.split()) >= 25, folder


@pytest.fixture
def fake(tmp_path: Path) -> Path:
    root = tmp_path / "kratom_report"
    for rel in ("__init__.py", "errors.py", "cli.py", "source/__init__.py",
                "source/models.py", "compose/__init__.py", "compose/render.py",
                "publish/__init__.py", "publish/pdf.py"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("")
    (root / "compose" / "render.py").write_text("from ..source.models import X\n")
    (root / "cli.py").write_text("import click\nfrom .compose import render\n")
    return root


def test_the_checker_passes_a_clean_tree(fake):
    assert layout_problems(fake) == []


def test_the_checker_finds_an_upward_import_a_cycle_and_click(fake):
    (fake / "source" / "models.py").write_text(
        "def f():\n    from ..compose.render import g\n")
    (fake / "publish" / "pdf.py").write_text("import click\n")
    assert layout_problems(fake) == [
        "kratom_report.source.models imports kratom_report.compose.render, a stage above it",
        "kratom_report.publish.pdf imports click (only the cli package may)",
        "import cycle: kratom_report.compose.render -> kratom_report.source.models -> "
        "kratom_report.compose.render",
    ]


def test_the_checker_names_a_module_outside_every_stage(fake):
    (fake / "helpers.py").write_text("")
    assert layout_problems(fake) == [
        "kratom_report.helpers: not in any stage; add it to a stage folder"]
