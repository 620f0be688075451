"""Reference files in the formats reference managers export: our YAML, CSL-JSON and BibTeX."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from ..errors import Problem, relpath
from ..source.loader import Located, YamlDoc, YamlLoadError, load_yaml, read_text
from ..source.models import Reference, ReferenceFile
from ..source.schema import validate
from .bibtex import bibtex_to_csl
from .csljson import csljson_to_refs

# CSL variables a Zotero export may carry that a printed briefing never shows: dropped on import.
_IGNORED_CSL = {"abstract", "ISSN", "ISBN", "language", "source", "citation-key", "note",
                "journalAbbreviation", "shortTitle", "title-short", "PMCID", "call-number",
                "archive", "archive_location", "keyword", "number-of-pages", "dimensions",
                "medium", "event-place", "event", "section", "status", "references", "version"}


def load_reference_file(root: Path, path: Path,
                        max_bytes: int) -> Iterator[tuple[Located | None, list[Problem]]]:
    """Yield each reference of one file, validated, with the problems it raised."""
    display = relpath(path, root)
    suffix = path.suffix.lower()
    try:
        if suffix in (".yaml", ".yml"):
            doc = load_yaml(path, display, max_bytes=max_bytes)
            shape, errs = validate(ReferenceFile, doc)
            if shape is None:
                yield None, errs
                return
            entries = doc.data["references"]
            base: tuple = ("references",)
        elif suffix in (".json", ".bib"):
            text = read_text(path, display, max_bytes)
            entries, doc, errs = _foreign(text, path, display, suffix)
            if errs:
                yield None, errs
                return
            base = ()
        else:
            yield None, [Problem(display, None, None,
                                 "unsupported reference file type (use .yaml, .json or .bib)")]
            return
    except YamlLoadError as exc:
        yield None, exc.problems
        return
    for i, entry in enumerate(entries):
        ref, errs = validate(Reference, doc, entry, base + (i,))
        yield (Located(ref, doc, base + (i,)) if ref is not None else None), errs


def _foreign(text: str, path: Path, display: str, suffix: str):
    lines = text.split("\n")
    if suffix == ".json":
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            return [], None, [Problem(display, exc.lineno, exc.colno, f"invalid JSON: {exc.msg}")]
        if not isinstance(items, list):
            return [], None, [Problem(display, 1, 1, "CSL-JSON must be a list of items")]
        items = [{k: v for k, v in item.items() if k not in _IGNORED_CSL}
                 for item in items if isinstance(item, dict)]
        entries = csljson_to_refs(items)
    else:
        try:
            entries = bibtex_to_csl(text)
        except ValueError as exc:
            return [], None, [Problem(display, None, None, f"invalid BibTeX: {exc}")]
    doc = YamlDoc(path=path, display=display, data=entries, lines=lines)
    for i, entry in enumerate(entries):
        key = str(entry.get("key", ""))
        for n, line in enumerate(lines):
            if key and key in line:
                doc.values[(i,)] = (n + 1, line.find(key) + 1)
                break
    return entries, doc, []


def load_references(root: Path, files: list[str], report_doc: YamlDoc, problems: list[Problem],
                    max_bytes: int) -> dict[str, Located]:
    """Every reference of the listed files by lower-cased key; duplicates and bad files reported."""
    out: dict[str, Located] = {}
    for i, name in enumerate(files):
        path = root / "report" / name
        if not path.is_file():
            problems.append(report_doc.problem(("references", i), (
                f"reference file 'report/{name}' not found")))
            continue
        for located, errs in load_reference_file(root, path, max_bytes):
            problems += errs
            if located is None:
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
            out[key] = located
    return out
