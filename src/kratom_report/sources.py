"""Reference files in the formats reference managers export: our YAML, CSL-JSON and BibTeX."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import Problem, relpath
from .loader import YamlDoc, YamlLoadError, load_yaml, read_text
from .models import Reference, ReferenceFile
from .schema import validate

if TYPE_CHECKING:
    from .project import Located

# CSL variables a Zotero export may carry that a printed briefing never shows: dropped on import.
_IGNORED_CSL = {"abstract", "ISSN", "ISBN", "language", "source", "citation-key", "note",
                "journalAbbreviation", "shortTitle", "title-short", "PMCID", "call-number",
                "archive", "archive_location", "keyword", "number-of-pages", "dimensions",
                "medium", "event-place", "event", "section", "status", "references", "version"}


def load_reference_file(root: Path, path: Path,
                        max_bytes: int) -> Iterator[tuple[Located | None, list[Problem]]]:
    """Yield each reference of one file, validated, with the problems it raised."""
    from .project import Located

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
    from . import csl

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
        entries = csl.csljson_to_refs(items)
    else:
        try:
            entries = csl.bibtex_to_csl(text)
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
