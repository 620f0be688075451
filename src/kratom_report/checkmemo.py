"""A clean ``check`` remembered for inputs that have not changed since.

Authors run ``check`` on every save and in commit hooks, often on a tree it has already passed.
Its answer is a function of the files it reads, the tool's own files, the libraries' versions
and today's date (facts fall due), so when all of those are what they were at the last clean
check, that check's findings are given again instead of loading and composing every edition.

Only a check without errors is remembered (warnings and notes included): every error always
comes from a real run, with its file, line and column. Entries live in the one authenticated
cache store (cachetrust.py), so a planted or edited entry is ignored, and
``KRATOM_REPORT_NO_CACHE=1`` turns this off with every other cache.

What the key covers: every file under ``report/`` and ``releases/`` (release records are
checked too) and ``templates/``, each file report.yaml names outside ``report/`` (reference
files, a CSL style, the retractions CSV), every file of the installed tool (its built-in
templates and fonts included), the versions of the libraries it uses, and today's date.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from . import __version__
from .cachetrust import cache_disabled, read_entry, write_entry
from .errors import Problem
from .fingerprint import Hasher, add_files, canonical_json, tool_versions

KIND = "checked"
_FORMAT = 1
# Libraries whose answers a check repeats (validation, templates, text, images) besides the
# renderers fingerprint.TOOLS names. The stylesheet reader is left out: what it finds is an
# error, and errors are never remembered.
_READERS = ("pydantic", "pydantic-core", "jinja2", "pyyaml", "babel", "pillow")


@dataclass(frozen=True)
class Remembered:
    """What a clean check found, as the command and the library report it."""

    problems: tuple[Problem, ...]
    editions: tuple[str, ...]
    sections: int
    references: int
    stale_after: tuple[int, int]


def unchanged_key(root: Path) -> str | None:
    """The key of everything ``check`` reads for ``root`` today; None when caching is off
    (nothing is hashed then) or when the inputs cannot be read quickly: the check itself
    then says what is wrong, as it would without this memo."""
    if cache_disabled():
        return None
    from .errors import ReportError
    from .source.today import today

    try:
        return _key(root, today().isoformat())
    except (ReportError, OSError, ValueError):
        return None


def _key(root: Path, today: str) -> str:
    from .source.reportfile import named_outside, quick_limit

    root = root.resolve()
    limit = quick_limit(root)
    h = Hasher()
    # templates/: the report's own templates and stylesheets (the built-in ones are the tool's).
    for folder in ("report", "releases", "templates"):
        files = sorted(p for p in (root / folder).rglob("*") if p.is_file())
        h.add(f"\0{folder}\0".encode())
        add_files(h, root, files, limit)
    h.add(b"\0named\0")
    add_files(h, root, named_outside(root), limit)
    h.add(b"\0tool\0")
    package = Path(__file__).resolve().parent
    for path in sorted(p for p in package.rglob("*")
                       if p.is_file() and "__pycache__" not in p.parts):
        h.add(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    h.add(canonical_json({"format": _FORMAT, "tool": __version__, "tools": tool_versions(),
                          "reads": tool_versions(_READERS),
                          "python": sys.version, "today": today,
                          "root": str(root)}))  # a message may name the folder
    return h.hexdigest()


def recall(key: str | None) -> Remembered | None:
    """The clean check stored under ``key``, or None (none, or not ours)."""
    payload = read_entry(KIND, key) if key else None
    if payload is None:
        return None
    try:
        data = json.loads(payload)
        problems = tuple(Problem(p["file"], p["line"], p["column"], p["message"],
                                 p["severity"]) for p in data["problems"])
        years, days = data["stale_after"]
        return Remembered(problems, tuple(data["editions"]), int(data["sections"]),
                          int(data["references"]), (int(years), int(days)))
    except (ValueError, KeyError, TypeError):
        return None


def remember(key: str | None, found: Remembered) -> None:
    """Keep a check that found no error under ``key``."""
    if not key or any(p.severity == "error" for p in found.problems):
        return
    write_entry(KIND, key, json.dumps({
        "problems": [p.as_json() for p in found.problems], "editions": list(found.editions),
        "sections": found.sections, "references": found.references,
        "stale_after": list(found.stale_after)}, ensure_ascii=False))
