"""``init``: a complete, valid starter report a new author can build at once and then rewrite.

The starter's files live beside this module (``starter/``) as commented YAML; the title, slug
and edition ids are filled in as YAML-safe text, so any title the author types stays valid YAML.
"""

from __future__ import annotations

import contextlib
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ..atomic import write_all
from ..errors import OutputError, ReportError
from ..source.currency import today
from ..source.jsonschemas import SCHEMA_DIR, editor_mapping, json_schemas
from ..source.locate import REPORT_FILE
from ..source.reportfile import quick_yaml, reference_names
from .scaffold import id_problem

STARTER = Path(__file__).parent / "starter"
DEFAULT_EDITIONS = ("clinician", "policymaker")
DEFAULT_TITLE = "Untitled evidence briefing"
EDITOR_SETTINGS = Path(".vscode") / "settings.json"
# Accents that keep 4.5:1 contrast with white (the check every report is held to).
_ACCENTS = ("#1f5f8b", "#7a3b69", "#2e6b3a", "#8a4b08", "#5b3f8f", "#8b1e3f")
_MAX_EDITIONS = len(_ACCENTS)


class InitError(ReportError):
    """Raised when ``init`` cannot start a report in the folder it was given; nothing is written."""


@dataclass(frozen=True)
class Started:
    root: Path
    files: list[Path]
    notes: tuple[str, ...] = ()  # what the author should know (printed to stderr)


def edition_ids(value: str | None) -> list[str]:
    """The comma-separated ids of ``--editions``, validated like section ids."""
    if value is None:
        return list(DEFAULT_EDITIONS)
    ids = [v.strip() for v in value.split(",") if v.strip()]
    if not ids:
        raise InitError("name at least one edition, like clinician,policymaker")
    for eid in ids:
        reason = id_problem(eid)
        if reason:
            raise InitError(reason.replace("section id", "edition id")
                            .replace("side-effects", "clinician"))
    if len(set(ids)) != len(ids):
        raise InitError(f"an edition is named twice in '{value}'")
    if len(ids) > _MAX_EDITIONS:
        raise InitError(f"at most {_MAX_EDITIONS} editions can be started at once")
    return ids


def slugify(title: str) -> str:
    """A file-name-safe slug from the title: ``My Brief (2026)`` → ``my-brief-2026``."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:40].strip("-")
    return slug or "briefing"


def init_report(dest: Path, *, title: str | None = None, editions: list[str] | None = None,
                extra: dict[Path, bytes] | None = None) -> Started:
    """Write the starter report (and ``extra`` files, by path in ``dest``) into ``dest``;
    refuse (writing nothing) if a report is there already."""
    title = (title or DEFAULT_TITLE).strip() or DEFAULT_TITLE
    ids = editions or list(DEFAULT_EDITIONS)
    _refuse_existing(dest)
    files = {**_render(title, ids), **(extra or {})}
    files = {**files, **_editor_files(dest, files[REPORT_FILE]), **(extra or {})}
    notes = () if EDITOR_SETTINGS in files else (
        f"{dest / EDITOR_SETTINGS}: not plain JSON, so it was left as it is; map the schemas in "
        f"{dest / SCHEMA_DIR} to your YAML files under \"yaml.schemas\" yourself",)
    gitignore = dest / ".gitignore"
    if gitignore.is_symlink():
        raise InitError(f"{gitignore}: is a symbolic link; init writes only real files")
    if gitignore.is_file():
        current = gitignore.read_text(encoding="utf-8", errors="replace")
        if not re.search(r"(?m)^/?dist/?\s*$", current):
            files[Path(".gitignore")] = (current.rstrip("\n") + "\n" + "dist/\n").encode()
        else:
            files.pop(Path(".gitignore"))
    return Started(dest.resolve(), _write(dest, files), notes)


def _refuse_existing(dest: Path) -> None:
    if dest.exists() and not dest.is_dir():
        raise InitError(f"{dest}: exists and is not a folder")
    if (dest / REPORT_FILE).exists():
        raise InitError(f"{dest / REPORT_FILE}: a report is already here; nothing was written "
                        "(run 'kratom-report check' to validate it)")
    report_dir = dest / "report"
    if report_dir.is_symlink() or (report_dir.exists() and any(report_dir.iterdir())):
        raise InitError(f"{report_dir}: exists and is not empty; init writes into an empty "
                        "folder only, so nothing was written")


def _render(title: str, ids: list[str]) -> dict[Path, bytes]:
    first, second = ids[0], ids[1] if len(ids) > 1 else ids[0]
    # The starter's facts were checked when it was written: a new report starts current.
    values = {"title": json.dumps(title, ensure_ascii=False), "slug": slugify(title),
              "editions": _editions_yaml(ids), "first": first, "second": second,
              "today": today().isoformat()}
    out: dict[Path, bytes] = {}
    for path in sorted(STARTER.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(STARTER)
        text = path.read_text(encoding="utf-8")
        for name, value in values.items():
            text = text.replace("{{" + name + "}}", value)
        out[Path(".gitignore") if rel == Path("gitignore") else rel] = text.encode("utf-8")
    return out


def _editor_files(dest: Path, report_yaml: bytes) -> dict[Path, bytes]:
    """The JSON Schemas (generated, as ``schema`` writes them) and the VS Code setting that maps
    each to the files it describes (every reference file in our YAML that ``report_yaml``
    lists), so the editor completes and checks keys as the author types.

    An existing settings file keeps its other settings; one that is not plain JSON (VS Code
    allows comments) is left alone rather than rewritten without them.
    """
    files = {SCHEMA_DIR / name: data for name, data in json_schemas().items()}
    mapping = editor_mapping(reference_names(quick_yaml(report_yaml)))
    path = dest / EDITOR_SETTINGS
    if path.is_symlink():
        raise InitError(f"{path}: is a symbolic link; init writes only real files")
    settings: object = {}
    if path.is_file():
        try:
            settings = json.loads(path.read_bytes())
        except ValueError:
            return files
    current = settings.get("yaml.schemas", {}) if isinstance(settings, dict) else None
    if not isinstance(settings, dict) or not isinstance(current, dict):
        return files
    merged = {**settings, "yaml.schemas": {**current, **mapping}}
    files[EDITOR_SETTINGS] = (json.dumps(merged, indent=2, ensure_ascii=False)
                              + "\n").encode("utf-8")
    return files


def _editions_yaml(ids: list[str]) -> str:
    chunks = []
    for i, eid in enumerate(ids):
        name = eid.replace("-", " ")
        chunks.append(
            f"  - id: {eid}                     # used in file names and in `audiences`\n"
            f"    title: {json.dumps(name.capitalize() + ' edition')}\n"
            f"    audience: {json.dumps(name + ' readers')}    # who the edition is for\n"
            f'    accent: "{_ACCENTS[i]}"                # quoted: # starts a YAML comment\n'
            f"    cover_note: >-\n"
            f"      One or two sentences on the cover: what this edition gives its readers.\n"
            f"    key_messages:                      # the first page; each cites its sources\n"
            f'      - "Certainty of evidence can be rated as high, moderate, low or very low '
            f'[@guyatt2008grade]."\n'
            f'      - "Report systematic reviews against the {{{{fact:prisma-checklist-items}}}}-'
            f'item PRISMA 2020 checklist [@page2021prisma]."\n')
    return "".join(chunks)


def _write(dest: Path, files: dict[Path, bytes]) -> list[Path]:
    """Create folders, then write each file atomically; on failure remove what was written."""
    made_dirs: list[Path] = []
    order = sorted(files, key=lambda rel: (rel == Path(".gitignore"), rel))  # the author's last
    try:
        for rel in order:
            folder = (dest / rel).parent
            for parent in reversed([folder, *folder.parents]):
                if not parent.exists():
                    parent.mkdir()
                    made_dirs.append(parent)
                elif parent.is_symlink() and parent.is_relative_to(dest):
                    raise InitError(f"{parent}: is a symbolic link; init writes only into real "
                                    "folders, so nothing was written")
        written = [dest / rel for rel in order if not (dest / rel).exists()]
        write_all([(dest / rel, files[rel]) for rel in order])
    except BaseException as exc:
        for folder in reversed(made_dirs):
            with contextlib.suppress(OSError):
                folder.rmdir()
        if isinstance(exc, OutputError):
            raise InitError(f"{exc.path}: {exc.reason}; nothing was written") from None
        if isinstance(exc, OSError):
            raise InitError(f"{exc.filename or dest}: {exc.strerror or exc}; nothing was "
                            "written") from None
        raise
    return written
