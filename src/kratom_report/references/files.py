"""Reference files in the formats reference managers export: our YAML, CSL-JSON and BibTeX."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Problem, did_you_mean, relpath
from ..source.loader import Located, YamlDoc, YamlLoadError, read_text
from ..source.models import Reference, ReferenceFile
from ..source.parsecache import ParsedDocs, parse_cached
from ..source.paths import OutsideReport, inside_root
from ..source.schema import validate
from .bibread import read_bibtex
from .csljson import csljson_to_refs
from .idcheck import reference_problems

# Where a file that fails to parse seems to define a key: "key: x" (YAML), '"id": "x"' (JSON).
_YAML_KEY = re.compile(r"(?:^|[\s{,])key\s*:\s*['\"]?([^\s'\",}#]+)", re.M)
_JSON_ID = re.compile(r'"id"\s*:\s*"([^"]+)"')
# Where an entry starts: BibTeX's "@type{key,", CSL-JSON's '"id": "key"' (the key).
_ENTRY_HEAD = re.compile(r'@\s*\w+\s*[{(]\s*([^\s,{}()]+)\s*,|"id"\s*:\s*"((?:[^"\\]|\\.)*)"')


@dataclass
class LoadedReference(Located):
    """A reference with the warnings its file raised about it (lint_references reports them).

    load_references files what it collects as errors; a warning (a BibTeX entry that loaded but
    looks wrong) rides along with its reference instead, so that it stays a warning.
    """

    warnings: list[Problem] = field(default_factory=list)


@dataclass
class Unavailable:
    """Keys of references that failed to load: citing one is not an unknown key, only unchecked.

    One broken entry or file is reported once, where it is; the citations of its keys are not
    reported again as unknown. ``everything`` is set when the keys cannot be known at all.
    """

    keys: set[str] = field(default_factory=set)
    everything: bool = False

    def __contains__(self, key: object) -> bool:
        return self.everything or (isinstance(key, str) and key.lower() in self.keys)

    def __bool__(self) -> bool:
        return self.everything or bool(self.keys)

    def add(self, keys: set[str]) -> None:
        """Keys found roughly in a broken file; none found means any key may have been there."""
        if keys:
            self.keys |= {k.lower() for k in keys}
        else:
            self.everything = True


def load_reference_file(root: Path, path: Path, max_bytes: int,
                        unavailable: Unavailable | None = None, docs: ParsedDocs | None = None,
                        ) -> Iterator[tuple[Located | None, list[Problem]]]:
    """Yield each reference of one file, validated, with the problems it raised."""
    lost = unavailable if unavailable is not None else Unavailable()
    display = relpath(path, root)
    suffix = path.suffix.lower()
    if suffix not in (".yaml", ".yml", ".json", ".bib"):
        lost.everything = True
        yield None, [Problem(display, None, None,
                             "unsupported reference file type (use .yaml, .json or .bib)")]
        return
    try:
        text = read_text(path, display, max_bytes)
    except YamlLoadError as exc:
        lost.everything = True
        yield None, exc.problems
        return
    base: tuple = ()
    notes: dict[tuple, list[Problem]] = {}  # warnings about an entry, by where it stands
    if suffix == ".bib":
        entries, errs, broken = read_bibtex(text, display)
        errors = [p for p in errs if p.severity != "warning"]
        for p in errs:
            if p.severity == "warning":
                notes.setdefault((p.line, p.column), []).append(p)
        if errors:
            lost.keys |= broken
            lost.everything = lost.everything or not (entries or broken)
            yield None, errors
        doc = _foreign_doc(entries, path, display, text)
    else:
        entries, doc, errs = _parse(text, path, display, suffix, docs)
        if errs:
            lost.add(_rough_keys(text, suffix))
            yield None, errs
            return
        base = ("references",) if suffix != ".json" else ()
    for i, entry in enumerate(entries):
        ref, errs = validate(Reference, doc, entry, base + (i,))
        errs = notes.pop(doc.values.get(base + (i,), ()), []) + errs
        found = reference_problems(doc, base + (i,), entry) if ref is not None else []
        errs += found
        if any(p.severity != "warning" for p in found):
            ref = None
        if ref is None:
            key = entry.get("key") if isinstance(entry, dict) else None
            lost.add({key} if isinstance(key, str) and key else set())
        yield (Located(ref, doc, base + (i,)) if ref is not None else None), errs
    leftover = [p for found in notes.values() for p in found]
    if leftover:  # about entries that were skipped: beside the error that says so
        yield None, leftover


def _parse(text: str, path: Path, display: str, suffix: str, docs: ParsedDocs | None):
    """Entries, document and problems of a YAML or CSL-JSON reference file."""
    if suffix == ".json":
        return _csljson(text, path, display)
    try:
        doc = parse_cached(text, path, display, docs)
    except YamlLoadError as exc:
        return [], None, exc.problems
    shape, errs = validate(ReferenceFile, doc)
    if shape is None:
        return [], None, errs
    return doc.data["references"], doc, []


def _rough_keys(text: str, suffix: str) -> set[str]:
    """The keys a file that cannot be parsed seems to define, found line by line."""
    pattern = _JSON_ID if suffix == ".json" else _YAML_KEY
    return {m.group(1) for m in pattern.finditer(text)}


JSON_MAX_DEPTH = 32  # CSL-JSON needs about 5 (list, item, names or date-parts, part)


def _json_depth_exceeded(text: str, limit: int) -> tuple[int, int] | None:
    """Where brackets first nest deeper than ``limit`` (strings skipped), found in one pass,
    before a recursive parser could run out of stack."""
    depth, in_string, escaped, line, col = 0, False, False, 1, 0
    for ch in text:
        col += 1
        if ch == "\n":
            line, col = line + 1, 0
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if ch == '"':
            in_string, escaped = True, False
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return line, col
        elif ch in "]}":
            depth -= 1
    return None


def _csljson(text: str, path: Path, display: str):
    """Entries, document and problems of a CSL-JSON file (a bad item fails the file)."""
    deep = _json_depth_exceeded(text, JSON_MAX_DEPTH)
    if deep is not None:
        line, col = deep
        return [], None, [Problem(display, line, col, (
            f"JSON nested more than {JSON_MAX_DEPTH} levels deep; a CSL-JSON export is a list "
            "of flat items, so this is not one"))]
    try:
        items = json.loads(text)
    except json.JSONDecodeError as exc:
        return [], None, [Problem(display, exc.lineno, exc.colno, f"invalid JSON: {exc.msg}")]
    if not isinstance(items, list):
        return [], None, [Problem(display, 1, 1, "CSL-JSON must be a list of items")]
    # Fields we do not carry (abstract, keyword, ...) are left out by csljson_to_refs.
    items = [item for item in items if isinstance(item, dict)]
    try:
        entries = csljson_to_refs(items)
    except ValueError as exc:
        return [], None, [Problem(display, None, None, f"invalid CSL-JSON: {exc}")]
    return entries, _foreign_doc(entries, path, display, text), []


def _foreign_doc(entries: list[dict], path: Path, display: str, text: str) -> YamlDoc:
    """A document for converted entries, each placed where it starts: the "@" of its
    ``@type{key,`` (BibTeX) or the key in its ``"id"`` (CSL-JSON); else the first line naming
    its key. Entries are in file order, so a key used twice is found twice.
    """
    lines = text.split("\n")
    doc = YamlDoc(path=path, display=display, data=entries, lines=lines)
    heads: list[tuple[str, int, int]] = []
    line, last = 1, 0
    for m in _ENTRY_HEAD.finditer(text):
        start = m.start(2) if m.group(2) is not None else m.start()
        line += text.count("\n", last, start)
        last = start
        heads.append((m.group(1) or _json_text(m.group(2)), line,
                      start - text.rfind("\n", 0, start)))
    nxt = 0
    for i, entry in enumerate(entries):
        key = str(entry.get("key", ""))
        found = next((n for n in range(nxt, len(heads)) if heads[n][0] == key), None)
        if key and found is not None:
            doc.values[(i,)] = heads[found][1:]
            nxt = found + 1
            continue
        for n, line_text in enumerate(lines):
            if key and key in line_text:
                doc.values[(i,)] = (n + 1, line_text.find(key) + 1)
                break
    return doc


def _json_text(raw: str) -> str:
    """A JSON string's text (an id may hold escapes such as \\n), or as written if invalid."""
    try:
        return str(json.loads(f'"{raw}"'))
    except ValueError:
        return raw


def load_references(root: Path, files: list[str] | None, report_doc: YamlDoc,
                    problems: list[Problem], max_bytes: int,
                    unavailable: Unavailable | None = None, docs: ParsedDocs | None = None
                    ) -> dict[str, Located]:
    """Every reference of the listed files by lower-cased key; duplicates and bad files reported.

    ``files`` None means the list itself is invalid (reported already): nothing is loaded and
    every key counts as unavailable.
    """
    lost = unavailable if unavailable is not None else Unavailable()
    out: dict[str, Located] = {}
    if files is None:
        lost.everything = True
        return out
    for i, name in enumerate(files):
        path = root / "report" / name
        if not path.is_file():
            lost.everything = True
            problems.append(report_doc.problem(("references", i), (
                f"reference file 'report/{name}' not found{_nearby(root, name)}")))
            continue
        try:
            inside_root(root, path, what="reference file", value=f"report/{name}")
        except OutsideReport as exc:
            lost.everything = True
            problems.append(report_doc.problem(("references", i), exc.message))
            continue
        for located, errs in load_reference_file(root, path, max_bytes, lost, docs):
            warns = [p for p in errs if p.severity == "warning"]
            problems += [p for p in errs if p.severity != "warning"]
            if located is None:
                problems += warns  # only beside the error that cost the entry
                continue
            ref: Reference = located.model
            key = ref.key.lower()
            if key in out:
                first = out[key]
                line, _ = first.doc.at(first.loc + ("key",))
                problems.append(located.doc.problem(located.loc + ("key",), (
                    f"duplicate reference key '{ref.key}' (keys are case-insensitive; first "
                    f"defined in {first.doc.display}:{line})")))
                continue
            out[key] = LoadedReference(located.model, located.doc, located.loc, warns)
    return out


def _nearby(root: Path, name: str) -> str:
    """A did-you-mean over the reference files that do exist in report/."""
    folder = root / "report"
    if not folder.is_dir():
        return ""
    here = [p.relative_to(folder).as_posix() for p in folder.rglob("*")
            if p.suffix.lower() in (".yaml", ".yml", ".json", ".bib") and p.is_file()]
    return did_you_mean(name, here)
