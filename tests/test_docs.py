"""The documentation: a short README, links that resolve, and a site that builds strictly with
references generated from the code (every command, every key of every source file)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from html import escape
from pathlib import Path

import pytest

from kratom_report.cli import main
from kratom_report.source.jsonschemas import json_schemas

from conftest import REPO

DOCS = REPO / "docs"
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
CODE_SPAN = re.compile(r"`[^`\n]*`")
#: Each key table page and the schema it is generated from.
TABLES = {"report-yaml": "report.schema.json", "sections": "section.schema.json",
          "references": "references.schema.json", "facts": "facts.schema.json"}


def pages() -> list[Path]:
    return [REPO / "README.md", *sorted(DOCS.rglob("*.md"))]


def broken_links(page: Path) -> list[str]:
    """Relative links in ``page`` (outside code) whose file does not exist."""
    text = CODE_SPAN.sub("", FENCE.sub("", page.read_text(encoding="utf-8")))
    broken = []
    for target in LINK.findall(text):
        path = target.split("#", 1)[0]
        if not path or re.match(r"^[a-z][a-z0-9+.-]*:", path):  # an anchor, or a URL
            continue
        if not (page.parent / path).exists():
            broken.append(target)
    return broken


def leaf_commands() -> list[str]:
    names = []
    for name, command in main.commands.items():
        sub = getattr(command, "commands", None)
        names += [f"{name} {s}" for s in sub] if sub else [name]
    return names


def test_the_readme_is_short():
    size = (REPO / "README.md").stat().st_size
    assert size < 12_000, f"README.md is {size} bytes; move detail into docs/"


def test_every_relative_link_resolves():
    assert len(pages()) > 30
    problems = [f"{page.relative_to(REPO)}: {link}" for page in pages()
                for link in broken_links(page)]
    assert problems == []


def test_a_broken_link_is_found(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("[ok](page.md#top) [gone](missing.md#x) ![img](gone.png) `[code](x.md)`\n"
                    "[web](https://example.org/a.md) [here](#top)\n```\n[fenced](y.md)\n```\n")
    assert broken_links(page) == ["missing.md#x", "gone.png"]


def test_ci_runs_exactly_the_readmes_test_command():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    command = re.search(r"```sh\n(bash scripts/install\.sh --test[^\n]*)\n```", readme)
    assert command, "README has no test command"
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()
    assert ci[-1] == command.group(1)
    # The docs quote it too (the development guide); every copy is the same command.
    quoted = {line for page in pages() for line in page.read_text(encoding="utf-8").splitlines()
              if line.startswith("bash scripts/install.sh --test")}
    assert quoted == {ci[-1]}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The documentation site, built as CI builds it: ``mkdocs build --strict``."""
    pytest.importorskip("mkdocs_click", reason="install the test extras (mkdocs)")
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1",
           "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir",
                           str(out)], cwd=REPO, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "WARNING" not in proc.stderr, proc.stderr
    return out


def test_the_site_builds_strictly_with_every_page_in_the_navigation(site):
    for page in DOCS.rglob("*.md"):
        name = page.relative_to(DOCS).with_suffix("")
        built = site / (name.parent if name.name == "index" else name) / "index.html"
        assert built.is_file(), f"{page} was not built"
    nav = (site / "index.html").read_text(encoding="utf-8")
    for page in DOCS.rglob("*.md"):  # strict mode also refuses a page left out of the nav
        name = page.relative_to(DOCS).with_suffix("").as_posix().removesuffix("index")
        assert f'href="{name}' in nav or name == "", f"{page} is not in the navigation"


def test_the_command_reference_lists_every_command(site):
    html = (site / "reference" / "cli" / "index.html").read_text(encoding="utf-8")
    commands = leaf_commands()
    assert {"build", "release", "review import", "version bump"} <= set(commands)
    for name in commands:
        anchor = "kratom-report-" + name.replace(" ", "-")
        assert f'id="{anchor}"' in html, f"the command reference lacks 'kratom-report {name}'"
        assert f"kratom-report {name} [OPTIONS]" in html, name  # its usage line
    # Help written for a terminal reads right: file name patterns are text, not HTML tags.
    assert "OUT as &lt;slug&gt;-&lt;edition&gt;-v&lt;version&gt;.pdf" in html
    assert "Sentinel" not in html


@pytest.mark.parametrize("page", sorted(TABLES))
def test_the_key_tables_list_every_key_of_the_models(site, page):
    html = (site / "reference" / page / "index.html").read_text(encoding="utf-8")
    schema = json.loads(json_schemas()[TABLES[page]])
    objects = [schema, *schema.get("$defs", {}).values()]
    keys = {key for body in objects for key in body.get("properties", {})}
    assert keys
    for key in keys:
        assert f"<td><code>{key}</code></td>" in html, f"{page}: key '{key}' is not listed"
    for body in objects:  # each key's description beside it, read as the reader reads it
        for key, prop in body.get("properties", {}).items():
            cells = f"<td><code>{key}</code></td>\n<td>{escape(prop['description'], False)}</td>"
            assert cells in html, f"{page}: '{key}' lacks its description"
    for name in schema.get("$defs", {}):
        assert f'id="schema-{name.lower()}"' in html, f"{page}: no table for {name}"
    assert "::: schema" not in html
