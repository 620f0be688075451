"""JSON Schemas of the source files, generated from the models, for the author's editor.

A YAML language server (VS Code, and editors using it) reads them to complete and check keys
as the author types; generating them from the models means they cannot drift from what
``check`` accepts (``check`` stays the authority: a schema cannot say everything a validator
does, such as "a section id must be listed once").
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import OutputError
from .facts import FactsFile
from .models import Reference, ReferenceFile, Report, Section

# Draft-07: the dialect the YAML language server (VS Code's YAML extension) validates with;
# pydantic's output uses nothing newer (``$defs`` is only a place its ``$ref`` pointers reach).
DRAFT = "http://json-schema.org/draft-07/schema#"
BASE = "https://kratom-report.invalid/schemas/"  # an id, never fetched

#: File name -> (title, what the file holds).
FILES = {
    "report.schema.json": ("report.yaml", "The report: title, version, editions, sections…"),
    "section.schema.json": ("A section file", "One section of report/sections/."),
    "references.schema.json": ("A references file", "report/references.yaml: CSL fields "
                               "plus the tool's own (study_design, verified_by, …)."),
    "facts.schema.json": ("The facts file", "report/facts.yaml: facts printed with {{fact:ID}}."),
}

#: File name -> the files of ``report/`` it describes, as globs an editor matches paths with
#: (the reference schema: the default reference file; :func:`editor_mapping` has every one).
GLOBS = {
    "report.schema.json": "report.yaml",
    "section.schema.json": "sections/*.yaml",
    "references.schema.json": "references.yaml",
    "facts.schema.json": "facts.yaml",
}
#: Where ``schema`` and ``init`` write them, under the report's root.
SCHEMA_DIR = Path("report") / ".schemas"
_GLOB_CHARACTERS = frozenset("*?[]{}!")


def editor_mapping(references: Iterable[str]) -> dict[str, str | list[str]]:
    """The YAML language server's ``yaml.schemas`` setting for a report whose report.yaml lists
    ``references``: each schema (as ``./report/.schemas/NAME``) -> the files it describes, from
    the folder holding report/. The reference schema goes to every reference file in our YAML
    that report.yaml lists (CSL-JSON and BibTeX files have shapes of their own); a name a glob
    would misread is left out rather than mapped onto other files."""
    mapping: dict[str, str | list[str]] = {}
    for name, glob in GLOBS.items():
        globs = [f"/report/{glob}"]
        if name == "references.schema.json":
            found = (_reference_glob(ref) for ref in references)
            globs = list(dict.fromkeys(where for where in found if where is not None))
        if globs:
            mapping[f"./{(SCHEMA_DIR / name).as_posix()}"] = globs[0] if len(globs) == 1 else globs
    return mapping


def _reference_glob(name: str) -> str | None:
    """Where a reference file report.yaml lists sits, from the folder holding report/ (a name
    is relative to report/; ``..`` may step out of it, never out of the folder)."""
    path = posixpath.normpath(posixpath.join("report", name))
    if (not name.lower().endswith((".yaml", ".yml")) or path.startswith("../") or
            path.startswith("/") or "\\" in name or _GLOB_CHARACTERS & set(path)):
        return None
    return "/" + path


def _by_tag(node: Any) -> Any:
    """Each tagged union (a block's ``type``) as one ``if``/``then`` per tag, so a validator
    checks a block against its own kind only and names a misspelt key (``captoin``) instead of
    "not valid under any of the given schemas"; an unknown tag fails the ``enum``."""
    if isinstance(node, list):
        return [_by_tag(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _by_tag(value) for key, value in node.items()}
    tagged = node.pop("discriminator", None)
    if tagged is None:
        return node
    del node["oneOf"]
    tag, mapping = tagged["propertyName"], tagged["mapping"]
    about = f"Which kind this is ({', '.join(sorted(mapping))}); it decides the other keys."
    return {**node, "type": "object", "required": [tag],
            "properties": {tag: {"enum": sorted(mapping), "description": about}},
            "allOf": [{"if": {"properties": {tag: {"const": value, "description": about}},
                              "required": [tag]},
                       "then": {"$ref": ref}} for value, ref in sorted(mapping.items())]}


def _schema(name: str) -> dict[str, Any]:
    if name == "report.schema.json":
        body = Report.model_json_schema()
    elif name == "section.schema.json":
        body = Section.model_json_schema()
    elif name == "facts.schema.json":
        body = FactsFile.model_json_schema()
    else:
        reference = Reference.model_json_schema()
        body = {"type": "object", "properties": {"references": {
            "type": "array", "items": {"$ref": "#/$defs/Reference"},
            "description": ReferenceFile.model_fields["references"].description}},
            "required": ["references"], "additionalProperties": False,
            "$defs": {**reference.pop("$defs", {}), "Reference": reference}}
    title, description = FILES[name]
    return {"$schema": DRAFT, "$id": BASE + name, **_by_tag(body), "title": title,
            "description": description}


def json_schemas() -> dict[str, bytes]:
    """Every schema as the bytes of its file (sorted keys, so a rerun writes the same bytes)."""
    return {name: (json.dumps(_schema(name), indent=2, sort_keys=True, ensure_ascii=False)
                   + "\n").encode("utf-8") for name in FILES}


def write_schemas(folder: Path) -> list[Path]:
    """Write every schema into ``folder`` (made if missing), all or none; return the paths."""
    from ..atomic import write_all

    if folder.exists() and not folder.is_dir():
        raise OutputError(folder, "not a folder; give --out a folder for the schemas")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(folder, f"cannot make the folder ({exc.strerror})") from None
    files = [(folder / name, data) for name, data in json_schemas().items()]
    write_all(files)
    return [path for path, _ in files]
