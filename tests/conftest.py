"""Shared helpers: copy fixture reports, run the CLI, read PDFs back."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kratom_report.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).parent.parent


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--regen-images", action="store_true",
                     help="Rewrite the stored reference page images instead of comparing.")


@pytest.fixture
def regen_images(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--regen-images"))


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A writable copy of the tiny fixture report."""
    dest = tmp_path / "tiny"
    shutil.copytree(FIXTURES / "tiny", dest)
    return dest


@pytest.fixture
def cli() -> Callable[..., Result]:
    def run(*args: str | Path) -> Result:
        runner = CliRunner()
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return run


def pdftext(path: Path) -> str:
    """Extracted text, with hyphenation at line ends joined so words can be searched."""
    out = subprocess.run(["pdftotext", str(path), "-"], check=True,
                         capture_output=True, text=True).stdout
    return out.replace("\u00ad\n", "").replace("\u2010\n", "").replace("-\n", "-")


def pdfinfo(path: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True,
                         text=True).stdout
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in
                                                  out.splitlines())}


def tree_snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(autouse=True, scope="session")
def _reference_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Formatted references are cached under XDG_CACHE_HOME: keep the tests' cache out of ~."""
    import os

    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    os.environ.pop("KRATOM_REPORT_NO_CACHE", None)


def save_like_an_editor(path: Path, old: str, new: str) -> None:
    """Write a new file beside the old one and rename it over it, as most editors do."""
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    tmp = path.with_name(f".{path.name}.swp")
    tmp.write_text(text.replace(old, new, 1), encoding="utf-8")
    os.replace(tmp, path)


# A second edition for the themed fixture: listed after the clinician edition in report.yaml
# but sorted before it by id, so report.yaml order and id order differ.
ADVOCATE = """  - id: advocate
    title: Advocate edition
    audience: people who speak for patients
    accent: "#6b3a64"
    key_messages:
      - "No randomized trial has tested kratom for opioid withdrawal [@vicknasingam2020kratom]."
"""


@pytest.fixture(scope="session")
def themed_release(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The themed fixture (logo, colours, fonts) with two editions in report.yaml order
    clinician, advocate, released once: ``root``, ``out`` (the site) and ``folder`` (1.0.0)."""
    tmp = tmp_path_factory.mktemp("themed-release")
    root = tmp / "themed"
    shutil.copytree(FIXTURES / "themed", root)
    report = root / "report" / "report.yaml"
    text = report.read_text(encoding="utf-8")
    assert text.count("\nsections:\n") == 1
    report.write_text(text.replace("\nsections:\n", "\n" + ADVOCATE + "sections:\n"),
                      encoding="utf-8")
    out = tmp / "public"
    result = CliRunner().invoke(main, ["release", "--source", str(root), "--out", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return {"root": root, "out": out, "folder": out / "1.0.0"}
