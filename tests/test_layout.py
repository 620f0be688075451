"""The package layout shows the pipeline: imports point down the stages and never form a cycle.

Stages, lowest first. A module may import from its own stage and from lower ones; ``source`` and
``references`` share a rank, but only references may use source (it reads with the source
stage's YAML loader and models). Private names stay in their module, and WeasyPrint, pikepdf and
Jinja are each imported only where their stage does that work.
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
    "atomic": 0,  # the one atomic writer: every stage that writes uses it
    "cachetrust": 1,  # the one rule for trusting an on-disk cache (and its entry files)
    "fingerprint": 1,  # the one way to hash (it skips what source.paths refuses to read)
    "source": 1,
    "references": 1,
    "compose": 2,
    "publish": 3,
    "build": 4,
    "release": 4,
    "assemble": 4,  # release --assemble: the PDFs of a release from other machines
    "verification": 4,
    "compare": 4,
    "checkmemo": 4,  # a clean check remembered for unchanged inputs
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
    """Upward imports, cycles, and click outside the cli package, as readable lines."""
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


# ------------------------------------------------------------------ private names stay private

# Uses of another module's private names that exist today. Each must go (make the name public
# where it lives, or move the code that needs it); none may be added, and a pair that no longer
# occurs must leave this list.
KNOWN_PRIVATE_USES = {
    # pdftags reads the structure tree with pdfpost's walkers; both are being reorganised.
    ("kratom_report.publish.pdftags", "kratom_report.publish.pdfpost"),
    # theme checks @font-face URLs with the template loader's URL and font-type rules.
    ("kratom_report.compose.theme", "kratom_report.compose.templating"),
}


def _module_of(candidate: str, root: Path) -> bool:
    sub = root.parent / Path(*candidate.split("."))
    return sub.with_suffix(".py").is_file() or sub.is_dir()


def _import_target(node: ast.ImportFrom, package: str) -> str:
    if node.level:
        base = package.split(".")[: len(package.split(".")) - node.level + 1]
        return ".".join(base + ([node.module] if node.module else []))
    return node.module or ""


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def private_uses(root: Path) -> list[tuple[str, str, str]]:
    """(module, other module, name) for every ``from .x import _y`` and every ``x._y`` where
    ``x`` is another module of the package: a private name is its own module's business."""
    found = []
    for path in sorted(root.rglob("*.py")):
        name = module_name(path, root)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules: dict[str, str] = {}  # local name -> package module it stands for
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                target = _import_target(node, package)
                if target.split(".")[0] != root.name:
                    continue
                for alias in node.names:
                    if _module_of(f"{target}.{alias.name}", root):
                        modules[alias.asname or alias.name] = f"{target}.{alias.name}"
                    elif _private(alias.name):
                        found.append((name, target, alias.name))
            elif isinstance(node, ast.Import):
                modules |= {a.asname: a.name for a in node.names
                            if a.asname and a.name.split(".")[0] == root.name}
        found += [(name, modules[node.value.id], node.attr) for node in ast.walk(tree)
                  if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                  and node.value.id in modules and _private(node.attr)
                  and modules[node.value.id] != name]
    return [use for use in found if use[1] != use[0]]


def private_problems(root: Path, known: set[tuple[str, str]]) -> list[str]:
    uses = private_uses(root)
    problems = [f"{module} uses {name} of {owner}, a private name; make it public in {owner} "
                "or move the code that needs it there"
                for module, owner, name in uses if (module, owner) not in known]
    gone = sorted(known - {(module, owner) for module, owner, _ in uses})
    problems += [f"{module} no longer uses private names of {owner}: remove the pair from "
                 "KNOWN_PRIVATE_USES" for module, owner in gone]
    return problems


def test_no_module_uses_another_modules_private_names():
    assert private_problems(PACKAGE, KNOWN_PRIVATE_USES) == []


def test_the_private_check_finds_an_import_and_an_attribute(fake):
    (fake / "compose" / "render.py").write_text(
        "from ..source.models import X, _helper\nfrom ..publish import pdf\n"
        "from . import render\n\n\ndef f():\n    return pdf._engine, render._same, pdf.__doc__\n")
    assert private_problems(fake, set()) == [
        "kratom_report.compose.render uses _helper of kratom_report.source.models, a private "
        "name; make it public in kratom_report.source.models or move the code that needs it "
        "there",
        "kratom_report.compose.render uses _engine of kratom_report.publish.pdf, a private "
        "name; make it public in kratom_report.publish.pdf or move the code that needs it there",
    ]


def test_the_private_check_names_a_known_pair_that_is_gone(fake):
    (fake / "cli.py").write_text("import kratom_report.compose.render as r\nr._draw()\n")
    assert private_problems(fake, {("kratom_report.cli", "kratom_report.compose.render"),
                                   ("kratom_report.cli", "kratom_report.errors")}) == [
        "kratom_report.cli no longer uses private names of kratom_report.errors: remove the "
        "pair from KNOWN_PRIVATE_USES"]


# ------------------------------------------------------------------- source beside references

# The source stage's own imports of the references stage today: loading a project still loads
# and lints its reference files. Moving that step above both stages empties this list.
KNOWN_SOURCE_TO_REFERENCES = {
    ("kratom_report.source.project", "kratom_report.references.files"),
    ("kratom_report.source.project", "kratom_report.references.lint"),
}


def sideways_problems(root: Path, known: set[tuple[str, str]]) -> list[str]:
    """``references`` may use ``source``, never the other way round.

    Reference files are YAML read with the source stage's safe loader, validated by its schema
    messages into its models, so references -> source is the direction that exists and must
    stay; source importing references as well would make the two stages one tangle.
    """
    graph = {module_name(p, root): imports_of(p, root) for p in sorted(root.rglob("*.py"))}
    edges = {(module, target) for module, targets in graph.items() for target in targets
             if stage(module) == "source" and stage(target) == "references"}
    problems = [f"{module} imports {target}: the source stage may not use references "
                "(references reads with source, not the other way round)"
                for module, target in sorted(edges - known)]
    problems += [f"{module} no longer imports {target}: remove the pair from "
                 "KNOWN_SOURCE_TO_REFERENCES" for module, target in sorted(known - edges)]
    return problems


def test_source_does_not_import_references():
    assert sideways_problems(PACKAGE, KNOWN_SOURCE_TO_REFERENCES) == []


@pytest.fixture
def sideways(fake: Path) -> Path:
    (fake / "references").mkdir()
    (fake / "references" / "__init__.py").write_text("")
    (fake / "references" / "files.py").write_text("from ..source.models import X\n")
    return fake


def test_the_sideways_check_allows_references_using_source(sideways):
    assert sideways_problems(sideways, set()) == []


def test_the_sideways_check_finds_source_using_references(sideways):
    (sideways / "source" / "models.py").write_text(
        "def f():\n    from ..references import files\n")
    assert sideways_problems(sideways, set()) == [
        "kratom_report.source.models imports kratom_report.references.files: the source stage "
        "may not use references (references reads with source, not the other way round)"]
    assert sideways_problems(sideways, {("kratom_report.source.models",
                                         "kratom_report.references.files"),
                                        ("kratom_report.source.models",
                                         "kratom_report.references")}) == [
        "kratom_report.source.models no longer imports kratom_report.references: remove the "
        "pair from KNOWN_SOURCE_TO_REFERENCES"]


# ------------------------------------------------------------ heavy libraries have one home

# Which modules may import each library at run time. An import under ``if TYPE_CHECKING:``
# only names a type for an annotation and is not counted.
LIBRARY_HOMES = {
    # The PDF engine: the renderer, and the worker processes that load it before any job.
    "weasyprint": ("kratom_report.publish.pdf", "kratom_report.publish.workers"),
    # PDF post-processing and reading: all of publish, and verify, which reads releases back.
    "pikepdf": ("kratom_report.publish", "kratom_report.verification"),
    # Templates: the sandboxed environment; i18n installs the gettext extension into that
    # environment; pages turns template errors into located problems.
    "jinja2": ("kratom_report.compose.templating", "kratom_report.compose.i18n",
               "kratom_report.compose.pages"),
}


def _runtime_imports(tree: ast.Module) -> set[str]:
    """Top-level names of every library imported outside ``if TYPE_CHECKING:`` blocks."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.add(node.module.split(".")[0])
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def library_problems(root: Path, homes: dict[str, tuple[str, ...]]) -> list[str]:
    problems = []
    for path in sorted(root.rglob("*.py")):
        name = module_name(path, root)
        for library in sorted(_runtime_imports(ast.parse(path.read_text(encoding="utf-8")))):
            allowed = homes.get(library)
            if allowed is not None and not any(name == h or name.startswith(h + ".")
                                               for h in allowed):
                problems.append(f"{name} imports {library}; only {', '.join(allowed)} may "
                                "(go through them, or move the code there)")
    return problems


def test_weasyprint_pikepdf_and_jinja_are_imported_only_in_their_homes():
    assert library_problems(PACKAGE, LIBRARY_HOMES) == []


def test_the_library_check_finds_a_stray_import(fake):
    (fake / "compose" / "render.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import jinja2\n"
        "else:\n    import pikepdf\n\n\ndef f():\n    from weasyprint import HTML\n")
    assert library_problems(fake, LIBRARY_HOMES) == [
        "kratom_report.compose.render imports pikepdf; only kratom_report.publish, "
        "kratom_report.verification may (go through them, or move the code there)",
        "kratom_report.compose.render imports weasyprint; only kratom_report.publish.pdf, "
        "kratom_report.publish.workers may (go through them, or move the code there)",
    ]


def test_the_library_check_passes_imports_in_their_homes(fake):
    (fake / "publish" / "pdf.py").write_text("import weasyprint\nimport pikepdf.models\n")
    (fake / "compose" / "pages.py").write_text("import jinja2\n")
    assert library_problems(fake, LIBRARY_HOMES) == []
    (fake / "publish" / "pdf.py").write_text("from jinja2 import Environment\n")
    assert library_problems(fake, LIBRARY_HOMES) == [
        "kratom_report.publish.pdf imports jinja2; only kratom_report.compose.templating, "
        "kratom_report.compose.i18n, kratom_report.compose.pages"
        " may (go through them, or move the code there)"]


MAX_MODULE_LINES, MAX_FUNCTION_LINES = 400, 60


def size_problems(root: Path) -> list[str]:
    """Modules over 400 lines and functions over 60, unless the line before the ``def`` (or
    the module's first line) is a ``# long:`` comment saying why."""
    problems = []
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        name = module_name(path, root)
        if len(lines) > MAX_MODULE_LINES and not lines[0].startswith("# long:"):
            problems.append(f"{name}: {len(lines)} lines (at most {MAX_MODULE_LINES}); split it")
        for node in ast.walk(ast.parse(text)):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            excused = first > 1 and lines[first - 2].strip().startswith("# long:")
            if length > MAX_FUNCTION_LINES and not excused:
                problems.append(f"{name}.{node.name}: {length} lines (at most "
                                f"{MAX_FUNCTION_LINES}); split it")
    return problems


def test_modules_and_functions_stay_small():
    assert size_problems(PACKAGE) == []


def test_the_size_check_finds_a_long_function_unless_excused(fake):
    body = "".join(f"    x{i} = {i}\n" for i in range(60))
    (fake / "compose" / "render.py").write_text(f"def long():\n{body}\n\n# long: a table\n"
                                                f"def tabled():\n{body}")
    (fake / "errors.py").write_text("x = 1\n" * 401)
    assert size_problems(fake) == [
        "kratom_report.compose.render.long: 61 lines (at most 60); split it",
        "kratom_report.errors: 401 lines (at most 400); split it",
    ]
