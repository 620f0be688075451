"""Bump the report version and open a draft changelog entry, keeping both YAML files' layout.

``report/report.yaml`` holds ``version: "X.Y.Z"``; ``report/changelog.yaml`` (or the file named by
report.yaml's ``changelog`` key) lists ``entries`` newest first. An entry with a ``date`` and at
least one change is a release; anything else is a draft. :func:`bump` raises the version and
inserts a draft entry for it at the top, editing both files with ruamel.yaml's round-trip mode
so comments, blank lines, key order and quoting survive.
"""

from __future__ import annotations

import io
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from ..atomic import WriteFailed, write_all
from ..errors import OutputError, ReportError
from ..source.limits import DEFAULT_CHANGELOG
from ..source.paths import is_inside, outside_message

Part = Literal["major", "minor", "patch"]
PARTS: tuple[str, ...] = ("major", "minor", "patch")

_SEMVER = re.compile(r"^([0-9]{1,9})\.([0-9]{1,9})\.([0-9]{1,9})$")
_BOM = "\ufeff"
# Indentation styles tried, in order, when looking for the one a file already uses:
# (mapping, sequence, offset). The first is the project's own style and the fallback.
_INDENTS: tuple[tuple[int, int, int], ...] = ((2, 4, 2), (2, 2, 0), (4, 4, 2), (4, 6, 4), (4, 4, 0))
_WIDTH = 4096  # never re-wrap long lines


class VersionError(ReportError):
    """Raised when the version cannot be bumped: report.yaml or the changelog is missing,
    unreadable or malformed, report.yaml has no valid ``version``, the current version's
    changelog entry is still a draft, or the new version already has an entry. Nothing has
    been written when it is raised."""


def next_version(version: str, part: Part) -> str:
    """``1.2.3`` → major ``2.0.0``, minor ``1.3.0``, patch ``1.2.4``."""
    m = _SEMVER.fullmatch(version)
    if m is None:
        raise VersionError(f"version {version!r} is not of the form MAJOR.MINOR.PATCH")
    major, minor, patch = (int(g) for g in m.groups())
    if part == "major":
        return f"{major + 1}.0.0"
    if part == "minor":
        return f"{major}.{minor + 1}.0"
    if part == "patch":
        return f"{major}.{minor}.{patch + 1}"
    raise VersionError(f"unknown version part {part!r}; use one of {', '.join(PARTS)}")


def is_release(entry: Any) -> bool:
    """A changelog entry is a release when it has a date and at least one change."""
    if not isinstance(entry, dict):
        return False
    changes = entry.get("changes")
    return bool(entry.get("date")) and isinstance(changes, list) and len(changes) > 0


def bump(root: Path, part: Part) -> tuple[str, str]:
    """Raise report.yaml's version and add a draft changelog entry at the top; return (old, new).

    ``root`` is the folder holding ``report/``. Both files are rendered in memory first and
    only then written, together, by the one atomic writer (``atomic.write_all``). Raises
    :class:`VersionError` (and writes nothing) when the bump is refused or impossible.
    """
    if part not in PARTS:
        raise VersionError(f"unknown version part {part!r}; use one of {', '.join(PARTS)}")
    report_dir = Path(root) / "report"
    refuse_outside(Path(root), report_dir / "report.yaml", "report/report.yaml")
    report_file = YamlFile.read(report_dir / "report.yaml", "report/report.yaml")
    report = report_file.data
    if not isinstance(report, dict):
        raise VersionError(f"{report_file.display}: expected a mapping of keys at the top level")

    if "version" not in report:
        raise VersionError(f"{report_file.display}: no 'version' key; add version: \"1.0.0\"")
    old = report["version"]
    if not isinstance(old, str) or _SEMVER.fullmatch(old) is None:
        raise VersionError(f"{report_file.display}: version {old!r} is not a quoted "
                           "MAJOR.MINOR.PATCH string such as \"1.0.0\"")
    new = next_version(old, part)

    name = report.get("changelog", DEFAULT_CHANGELOG)
    if not isinstance(name, str) or not name.strip():
        raise VersionError(f"{report_file.display}: changelog must be a file name, got {name!r}")
    changelog_path = report_dir / name
    changelog_display = posixpath.normpath(f"report/{name}")
    if Path(name).is_absolute() or not changelog_display.startswith("report/"):  # or ../
        raise VersionError(f"{report_file.display}: {outside_message('changelog', name)}; "
                           "nothing was changed")
    refuse_outside(Path(root), changelog_path, changelog_display)  # before it is read
    if _same_file(changelog_path, report_file.path):
        raise VersionError(f"{report_file.display}: changelog must be a separate file")
    changelog_file = YamlFile.read(changelog_path, changelog_display)
    confine([report_file, changelog_file], Path(root))
    entries = _entries(changelog_file)

    for entry in entries:
        if str(entry.get("version")) == old and not is_release(entry):
            raise VersionError(f"{changelog_display}: version {old} is still a draft; release it "
                               "(add a date and changes) before bumping again")
    for entry in entries:
        if str(entry.get("version")) == new:
            raise VersionError(f"{changelog_display}: version {new} already has an entry; "
                               f"cannot bump {old} to {new}")

    report["version"] = DoubleQuotedScalarString(new)
    draft = CommentedMap()
    draft["version"] = DoubleQuotedScalarString(new)
    draft["changes"] = CommentedSeq()
    entries.insert(0, draft)

    new_report = report_file.render()
    new_changelog = changelog_file.render()
    _replace_both([(changelog_file, new_changelog), (report_file, new_report)])
    return old, new


# --------------------------------------------------------------------------------------------


@dataclass
class YamlFile:
    """One YAML file loaded for round-trip editing, with what is needed to write it back alike."""

    path: Path
    display: str
    original: bytes
    data: Any
    yaml: YAML
    bom: bool
    crlf: bool

    @classmethod
    def read(cls, path: Path, display: str) -> YamlFile:
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise VersionError(f"{display}: file not found") from None
        except IsADirectoryError:
            raise VersionError(f"{display}: is a folder, not a file") from None
        except OSError as exc:
            raise VersionError(f"{display}: {exc.strerror or exc}") from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise VersionError(f"{display}: not valid UTF-8 (byte {exc.start})") from None
        bom = text.startswith(_BOM)
        text = text.removeprefix(_BOM)
        crlf = "\r\n" in text
        text = text.replace("\r\n", "\n")
        try:
            data = _new_yaml(_INDENTS[0], text).load(text)
        except YAMLError as exc:
            raise VersionError(f"{display}: not valid YAML: {_one_line(exc)}") from None
        return cls(path, display, raw, data, _matching_yaml(data, text), bom, crlf)

    def render(self) -> bytes:
        out = io.StringIO()
        try:
            self.yaml.dump(self.data, out)
        except YAMLError as exc:  # pragma: no cover - data came from the same parser
            raise VersionError(f"{self.display}: cannot write YAML: {_one_line(exc)}") from None
        text = out.getvalue()
        if self.crlf:
            text = text.replace("\n", "\r\n")
        if self.bom:
            text = _BOM + text
        return text.encode("utf-8")


def _new_yaml(indent: tuple[int, int, int], text: str) -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = _WIDTH
    mapping, sequence, offset = indent
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    # ruamel drops document markers unless told to write them.
    yaml.explicit_start = re.match(r"(?:\s*#[^\n]*\n|\s*\n)*---(?:[ \t]|$)", text, re.M) is not None
    yaml.explicit_end = re.search(r"^\.\.\.[ \t]*$", text, re.M) is not None
    return yaml


def _matching_yaml(data: Any, text: str) -> YAML:
    """The dumper whose output reproduces ``text`` unchanged; the project style if none does."""
    for indent in _INDENTS:
        yaml = _new_yaml(indent, text)
        out = io.StringIO()
        try:
            yaml.dump(data, out)
        except YAMLError:  # pragma: no cover - defensive
            continue
        if out.getvalue() == text:
            return yaml
    return _new_yaml(_INDENTS[0], text)


def _entries(changelog: YamlFile) -> CommentedSeq:
    data = changelog.data
    if not isinstance(data, dict) or "entries" not in data:
        raise VersionError(f"{changelog.display}: expected a top-level 'entries' list")
    entries = data["entries"]
    if entries is None:
        entries = data["entries"] = CommentedSeq()
    if not isinstance(entries, CommentedSeq):
        raise VersionError(f"{changelog.display}: 'entries' must be a list")
    if not entries:
        entries.fa.set_block_style()  # `entries: []` becomes a block list once it has an entry
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise VersionError(f"{changelog.display}: entries[{i}] must be a mapping with a "
                               "version")
    return entries


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:  # pragma: no cover - resolve() rarely fails
        return False


def refuse_outside(root: Path, path: Path, display: str) -> None:
    """VersionError, before ``path`` is read, when it leads out of the report folder; the
    message names the link that leads out (``report/``, or the file itself)."""
    if is_inside(root, path):
        return
    link = next((p for p in (root / "report", path) if p.is_symlink()), path)
    shown = "report/" if link == root / "report" else display
    raise VersionError(f"{shown}: is a symbolic link leading outside the report folder; "
                       "refusing to write through it, so nothing was changed")


def confine(files: list[YamlFile], root: Path) -> None:
    """Refuse, before anything is written, a file whose link leads out of the report folder."""
    for yf in files:
        if not is_inside(root, yf.path):
            raise VersionError(f"{yf.display}: is a symbolic link leading outside the report "
                               "folder; refusing to write through it, so nothing was changed")


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


def _replace_both(files: list[tuple[YamlFile, bytes]]) -> None:
    """Both files through the one atomic writer: either both change or neither does.

    Each is written through its link (``confine`` checked where it leads) and keeps its mode.
    """
    shown = {yf.path.resolve(): yf.display for yf, _ in files}
    try:
        write_all([(yf.path.resolve(), data) for yf, data in files], keep_mode=True)
    except WriteFailed as exc:
        lost = [shown.get(p, str(p)) for p in exc.unrestored]
        outcome = ("nothing was changed" if not lost
                   else f"could not restore {', '.join(lost)}; check it by hand")
        raise VersionError(f"{shown.get(Path(exc.path), exc.path)}: {exc.reason}; "
                           f"{outcome}") from None
    except OutputError as exc:
        raise VersionError(f"{exc}; nothing was changed") from None
