"""Shared helpers: copy fixture reports, run the CLI, read PDFs back."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kratom_report.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).parent.parent
# "Today" judges whether facts and data are due for review: fixed, so that fixtures whose
# evidence is recent now do not fail as the calendar moves on (tests of currency set their own).
os.environ.setdefault("KRATOM_REPORT_TODAY", "2026-12-06")


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


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache folder and key folder of this test's own, caching on."""
    from kratom_report import cachetrust

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv(cachetrust.DISABLE_ENV, raising=False)
    cachetrust.warn_untrusted.cache_clear()
    return tmp_path / "cache" / "kratom-report"


@pytest.fixture(autouse=True, scope="session")
def _reference_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Formatted references are cached under XDG_CACHE_HOME: keep the tests' cache out of ~."""
    import os

    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    os.environ["XDG_STATE_HOME"] = str(tmp_path_factory.mktemp("xdg-state"))  # the cache key
    os.environ.pop("KRATOM_REPORT_NO_CACHE", None)


def save_like_an_editor(path: Path, old: str, new: str) -> None:
    """Write a new file beside the old one and rename it over it, as most editors do."""
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    tmp = path.with_name(f".{path.name}.swp")
    tmp.write_text(text.replace(old, new, 1), encoding="utf-8")
    os.replace(tmp, path)


class Builds:
    """Outputs of one report, each built at most once per session and then made read-only.

    Building is the suite's main cost; every test that only reads an output shares this one.
    Files and folders are read-only so a test that means to change an output has to copy it
    first (:func:`writable_copy`) instead of spoiling it for the tests after it; as root, where
    modes do not stop a write, :meth:`changed` still finds it at the end of the session.
    """

    def __init__(self, root: Path, scratch: Path) -> None:
        self.root, self._scratch = root, scratch
        self._made: dict[tuple[str, ...], tuple[Path, Result]] = {}
        self._digests: dict[Path, dict[str, str]] = {}

    def build(self, *options: str) -> Path:
        """The folder ``kratom-report build`` fills with these options (default: every PDF)."""
        return self.run("build", *options)[0]

    def release(self) -> Path:
        """The ``release --out`` folder: ``<version>/`` and the site around it.

        Released from a copy without ``releases/``: a record made by an older tool version
        would (rightly) refuse a release whose bytes differ from it.
        """
        key = ("release",)
        if key not in self._made:
            source = self._scratch / "release-source"
            shutil.copytree(self.root, source, ignore=shutil.ignore_patterns("releases"))
            self._made[key] = self._run(source, "release")
        return self._made[key][0]

    def release_result(self) -> Result:
        """What ``release`` printed (the release is made once, by :meth:`release`)."""
        self.release()
        return self._made[("release",)][1]

    def run(self, command: str, *options: str) -> tuple[Path, Result]:
        """The output folder and the CliRunner result of one command, run once."""
        key = (command, *options)
        if key not in self._made:
            self._made[key] = self._run(self.root, command, *options)
        return self._made[key]

    def _run(self, root: Path, command: str, *options: str) -> tuple[Path, Result]:
        out = self._scratch / f"{command}-{len(self._made)}"
        result = CliRunner().invoke(main, [command, "--source", str(root), *options,
                                           "--out", str(out)], catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
        _read_only(out)
        self._digests[out] = _digests(out)
        return out, result

    def changed(self) -> list[str]:
        """Shared output files some test changed, added or removed since they were built."""
        found = []
        for out, before in self._digests.items():
            now = _digests(out)
            found += [str(out / name) for name in sorted(set(before) | set(now))
                      if before.get(name) != now.get(name)]
        return found


def writable_copy(src: Path, dest: Path) -> Path:
    """A copy of a shared, read-only output that a test may change."""
    shutil.copytree(src, dest, copy_function=shutil.copyfile)
    for path in [dest, *dest.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return dest


def _digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in folder.rglob("*") if p.is_file()}


def _read_only(folder: Path) -> None:
    for path in sorted(folder.rglob("*"), reverse=True):  # children before their folder
        path.chmod(0o555 if path.is_dir() else 0o444)
    folder.chmod(0o555)


@pytest.fixture(scope="session")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Builds]:
    """The shipped report (report/ at the repository root), built once per session.

    ``shipped.build()`` is every edition's PDF, ``build("--pdf-variant", "pdf/a-3a")`` the
    archival copies, ``build("--format", "html")`` / ``("--format", "web")`` the print HTML and
    the web edition, ``release()`` the release folder and site. The source is a copy, so a
    release records itself there and never in the repository's own releases/.
    """
    root = tmp_path_factory.mktemp("shipped-source")
    for name in ("report", "releases", "templates"):
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, root / name)
    builds = Builds(root, tmp_path_factory.mktemp("shipped"))
    yield builds
    assert builds.changed() == [], "a test changed a shared build: use writable_copy"


@pytest.fixture(scope="session")
def tiny_built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Builds]:
    """The tiny fixture report's outputs, built once per session (see :class:`Builds`)."""
    root = tmp_path_factory.mktemp("tiny-source") / "tiny"
    shutil.copytree(FIXTURES / "tiny", root)
    builds = Builds(root, tmp_path_factory.mktemp("tiny-built"))
    yield builds
    assert builds.changed() == [], "a test changed a shared build: use writable_copy"


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
