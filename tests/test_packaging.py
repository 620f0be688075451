"""The wheel and sdist carry the whole package: every module and every data file the tree holds
(templates with their fonts, web templates, locale catalogues, tile layouts, JSON schemas, the
starter report), the exact dependency pins and the command. Installing the wheel into a fresh
environment and building with it is ``scripts/check_install.sh`` (run by CI)."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tomllib
import zipfile
from email.message import Message
from email.parser import Parser
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parent.parent
PACKAGE = "src/kratom_report"


def _tracked(folder: str) -> set[str]:
    """Files git tracks under ``folder`` that exist in the working tree, relative to the repo."""
    try:
        out = subprocess.run(["git", "ls-files", "-z", "--", folder], cwd=REPO, check=True,
                             capture_output=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: the tracked files cannot be listed")
    return {name for name in out.decode().split("\0") if name and (REPO / name).is_file()}


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel (built from the sdist, as ``python -m build`` does) and the sdist, built once."""
    out = tmp_path_factory.mktemp("dist")
    run = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out),
                          str(REPO)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    return out


def _wheel(dist: Path) -> zipfile.ZipFile:
    [wheel] = dist.glob("kratom_report-*.whl")
    return zipfile.ZipFile(wheel)


def _metadata(dist: Path) -> Message:
    wheel = _wheel(dist)
    [meta] = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
    return Parser().parsestr(wheel.read(meta).decode())


def test_wheel_carries_every_tracked_package_file(dist: Path) -> None:
    names = set(_wheel(dist).namelist())
    expected = {name.removeprefix("src/") for name in _tracked(PACKAGE)}
    assert not expected - names, f"missing from the wheel: {sorted(expected - names)}"
    # Data the runtime reads by path beside the modules, named so a lost glob shows by name.
    for data in ("kratom_report/templates/fonts/OFL-Inter.txt",
                 "kratom_report/templates/web/site.css",
                 "kratom_report/locale/kratom_report.pot",
                 "kratom_report/source/layouts/us-states.yaml",
                 "kratom_report/publish/diff.schema.json",
                 "kratom_report/authoring/starter/gitignore"):
        assert data in names


def test_wheel_holds_only_the_package_and_its_metadata(dist: Path) -> None:
    outside = set()
    for name in _wheel(dist).namelist():
        if name.startswith("kratom_report-") and ".dist-info/" in name:
            continue
        path = REPO / "src" / name
        if not path.is_file() or "__pycache__" in name or name.endswith(".pyc"):
            outside.add(name)
    assert not outside, f"in the wheel but not a package file: {sorted(outside)}"


def test_sdist_carries_the_package_tests_and_scripts(dist: Path) -> None:
    [sdist] = dist.glob("kratom_report-*.tar.gz")
    with tarfile.open(sdist) as tar:
        names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    expected = _tracked(PACKAGE) | _tracked("tests") | _tracked("scripts") | {"pyproject.toml",
                                                                             "README.md"}
    assert not expected - names, f"missing from the sdist: {sorted(expected - names)}"
    assert not any(name.startswith((".venv/", "dist/")) or "__pycache__" in name
                   for name in names)


def _by_name(requirements: list[str]) -> dict[str, tuple[str, str]]:
    parsed = [Requirement(r) for r in requirements]
    return {canonicalize_name(r.name): (str(r.specifier), str(r.marker or "")) for r in parsed}


def test_wheel_keeps_the_exact_pins_and_extras(dist: Path) -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    meta = _metadata(dist)
    requires = meta.get_all("Requires-Dist") or []
    base = [r for r in requires if "extra ==" not in r]
    assert _by_name(base) == _by_name(project["dependencies"])
    assert _by_name(base)["weasyprint"] == ("==70.0", "")
    test_extra = [r.split(";")[0] for r in requires if "extra == 'test'" in r]
    assert _by_name(test_extra) == _by_name(project["optional-dependencies"]["test"])
    assert meta.get_all("Provides-Extra") == ["test"]
    assert meta["Version"] == project["version"]


def test_wheel_installs_the_command(dist: Path) -> None:
    wheel = _wheel(dist)
    [entry] = [n for n in wheel.namelist() if n.endswith(".dist-info/entry_points.txt")]
    assert wheel.read(entry).decode().split() == ["[console_scripts]", "kratom-report",
                                                  "=", "kratom_report.cli:main"]
