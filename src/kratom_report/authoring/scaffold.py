"""Scaffold a new section: a valid skeleton file, added to the section order in report.yaml.

report.yaml is edited with ruamel.yaml's round trip (as ``version bump`` does), so its comments,
blank lines, key order and quoting survive. Everything is checked before anything is written; the
section file and report.yaml are both rendered in memory first, then written through temp files.
"""

from __future__ import annotations

import contextlib
import copy
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import LiteralScalarString

from ..atomic import write_all
from ..errors import OutputError, Problem, ProblemsError, ReportError
from ..source.limits import MAX_ID
from ..source.loader import YamlDoc, YamlLoadError, load_yaml
from ..source.locate import REPORT_FILE
from ..source.models import Section
from ..source.paths import is_inside
from ..source.schema import did_you_mean

# versioning owns the one way to round-trip YAML files (comments and quoting kept).
from .versioning import VersionError, YamlFile, confine

KINDS = ("front", "evidence", "guidance", "policy", "back")
_ID = re.compile(r"[a-z0-9][a-z0-9-]*")
_PLACEHOLDER = "TODO: write this section.\n"


class ScaffoldError(ReportError):
    """Raised when a section cannot be scaffolded for a reason that is not in a report file:
    an invalid id, title or kind, or a file that cannot be read or written (exit 1). Nothing
    has been written when it is raised."""


@dataclass(frozen=True)
class NewSection:
    path: Path  # the section file written
    display: str  # the same, relative to the report root
    after: str | None  # the section it follows in the order (None: it is the first)


def id_problem(section_id: str) -> str | None:
    """Why ``section_id`` cannot name a section, or None when it can."""
    if _ID.fullmatch(section_id) and len(section_id) <= MAX_ID:
        return None
    shown = section_id if len(section_id) <= 80 else section_id[:77] + "..."
    return (f"'{shown}' is not a valid section id: use lowercase letters, digits and "
            f"hyphens, starting with a letter or digit, at most {MAX_ID} characters (like "
            "'side-effects'; it names the file report/sections/<id>.yaml)")


def new_section(root: Path, section_id: str, title: str, *, kind: str = "evidence",
                audiences: list[str] | None = None) -> NewSection:
    """Write ``report/sections/<id>.yaml`` and append the id to ``sections`` in report.yaml.

    Raises :class:`ProblemsError` (located) when the id is taken or an audience is not an
    edition, and :class:`ScaffoldError` for an invalid argument; in both cases nothing is
    written.
    """
    reason = id_problem(section_id)
    if reason:
        raise ScaffoldError(reason)
    if not title.strip():
        raise ScaffoldError("the section title is empty; give one with --title")
    if kind not in KINDS:
        raise ScaffoldError(f"unknown section kind '{kind}'{did_you_mean(kind, KINDS)} "
                            f"(kinds: {', '.join(KINDS)})")

    report_path = root / REPORT_FILE
    display = REPORT_FILE.as_posix()
    try:
        doc = load_yaml(report_path, display)
    except YamlLoadError as exc:
        raise ProblemsError(exc.problems) from None
    raw = doc.data if isinstance(doc.data, dict) else {}
    section_path = root / "report" / "sections" / f"{section_id}.yaml"
    section_display = f"report/sections/{section_id}.yaml"

    problems = _conflicts(doc, raw, section_id, section_path, section_display, audiences)
    if problems:
        raise ProblemsError(problems)

    try:
        report = YamlFile.read(report_path, display)
        confine([report], root)
    except VersionError as exc:
        raise ScaffoldError(str(exc)) from None
    if not is_inside(root, section_path.parent) or \
            section_path.is_symlink():
        raise ScaffoldError(f"{section_display}: report/sections leads outside the report "
                            "folder (a symbolic link?); refusing to write there, so nothing "
                            "was changed")
    sections = report.data["sections"]
    after = str(sections[-1]) if sections else None
    _append_keeping_comments(sections, section_id)
    section_text = render_section(section_id, title, kind, audiences)
    _write_new_then_replace(section_path, section_display, section_text.encode("utf-8"),
                            report)
    return NewSection(section_path, section_display, after)


def _conflicts(doc: YamlDoc, raw: dict[str, Any], section_id: str, section_path: Path,
               section_display: str, audiences: list[str] | None) -> list[Problem]:
    """Why the section cannot be added: a taken id or file, an unknown audience."""
    problems: list[Problem] = []
    order = raw.get("sections")
    if not isinstance(order, list):
        problems.append(doc.problem(("sections",), (
            "'sections' must be a list of section ids to add a section to"), key=True))
        order = []
    if section_id in order:
        problems.append(doc.problem(("sections", order.index(section_id)), (
            f"section '{section_id}' already exists in sections; choose another id")))
    elif section_path.exists():
        problems.append(Problem(section_display, None, None, (
            f"file already exists; choose another id, or add '{section_id}' to sections in "
            f"{doc.display} to use it")))
    editions = [e["id"] for e in raw.get("editions") or []
                if isinstance(e, dict) and isinstance(e.get("id"), str)]
    for name in audiences or []:
        if name not in editions:
            problems.append(doc.problem(("editions",), (
                f"unknown edition '{name}' in --audiences{did_you_mean(name, editions)} "
                f"(editions: {', '.join(map(str, editions))})"), key=True))
    return problems


def render_section(section_id: str, title: str, kind: str,
                   audiences: list[str] | None) -> str:
    """The YAML of a minimal valid section with one Markdown block holding a TODO line."""
    data = CommentedMap()
    data["id"] = section_id
    data["title"] = title
    data["kind"] = kind
    if audiences:
        seq = CommentedSeq(audiences)
        seq.fa.set_flow_style()
        data["audiences"] = seq
    block = CommentedMap()
    block["type"] = "markdown"
    block["text"] = LiteralScalarString(_PLACEHOLDER)
    data["blocks"] = CommentedSeq([block])
    data.yaml_set_start_comment(
        "Cite sources as [@key]; every paragraph of an evidence section cites."
        if kind == "evidence" else
        "Cite sources as [@key]; the documentation's Sections reference lists every block type.")
    yaml = YAML(typ="rt")
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    out = io.StringIO()
    yaml.dump(data, out)
    text = out.getvalue()
    # The skeleton must itself pass validation, whatever title it was given.
    Section.model_validate(YAML(typ="safe").load(text))
    return text


def _append_keeping_comments(seq: CommentedSeq, item: Any) -> None:
    """Append to a block list; a comment after the old last item stays after the list.

    ruamel attaches the comment lines that follow a list to its last item, so a plain append
    would put the new item below them. The old last item keeps only its own end-of-line comment.
    """
    last = len(seq) - 1
    seq.append(item)
    tokens = seq.ca.items.get(last) if last >= 0 else None
    if not tokens or tokens[0] is None:
        return
    token = tokens[0]
    head, _, rest = token.value.partition("\n")
    if not rest:
        return
    moved = copy.copy(token)
    moved.value = "\n" + rest
    seq.ca.items[last + 1] = [moved, None, None, None]
    if head.strip():
        token.value = head + "\n"
    else:
        del seq.ca.items[last]


def _write_new_then_replace(path: Path, display: str, data: bytes, report: YamlFile) -> None:
    """Create the section file and replace report.yaml as one write: both land or neither."""
    target = report.path.resolve()
    created_folder = not path.parent.exists()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_all([(path, data), (target, report.render())], keep_mode=True, exclusive=True)
    except (OSError, OutputError) as exc:
        if created_folder:
            with contextlib.suppress(OSError):
                path.parent.rmdir()
        where = report.display if isinstance(exc, OutputError) and \
            Path(exc.path) == target else display
        reason = exc.reason if isinstance(exc, OutputError) else (exc.strerror or str(exc))
        raise ScaffoldError(f"{where}: {reason}; nothing was changed") from None
