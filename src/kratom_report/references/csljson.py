"""CSL-JSON in and out: what Zotero and other reference managers export and import."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from typing import Any

from .csldata import OWN_FIELDS, to_csl_item

# ------------------------------------------------------------------------------- CSL-JSON import

#: Older spellings Zotero still writes, and the CSL variable each one stands for.
_ALIASES = {
    "journalAbbreviation": "container-title-short",
    "shortTitle": "title-short",
    "event-title": "event",  # CSL 1.0.2's name; citeproc-py knows only 'event'
}
# "PMID: 123" / "PMCID: PMC123" lines in a note: where Zotero 6 keeps them (its Extra field).
_NOTE_ID = re.compile(r"^(PMID|PMCID):\s*(\S+)\s*$", re.MULTILINE)


# An import keeps only what a reference list prints: never the abstract (long, and never part of
# a citation), Zotero's tags and notes (the author's own filing), where the record came from or
# where a library shelves its copy (Zotero fills "Library Catalog" and "Call Number" by itself),
# nor anything else citeproc-py cannot print (license, citation-key, CSL 1.0.2 roles, custom
# fields).
@functools.lru_cache(maxsize=1)
def carried_fields() -> frozenset[str]:
    """The CSL variables a reference keeps on import: the ones our Reference model accepts."""
    from ..source.models import Reference

    fields = {f.alias or name for name, f in Reference.model_fields.items()}
    return frozenset(fields - OWN_FIELDS)


def csljson_to_refs(items: list[dict]) -> list[dict]:
    """CSL-JSON (e.g. a Zotero export) -> references in our shape: ``id`` becomes ``key``.

    An export loads as it is: variables we carry (see carried_fields) are kept, every other
    field is left out without complaint. Zotero's ``journalAbbreviation``
    becomes ``container-title-short`` (what AMA prints), ``shortTitle`` ``title-short``, and a
    PMID or PMCID line in the note (Zotero 6) the PMID/PMCID variable.
    """
    if not isinstance(items, list):
        raise ValueError("CSL-JSON must be a list of items")
    refs = []
    for index, item in enumerate(items):
        if not isinstance(item, Mapping) or item.get("id") in (None, ""):
            raise ValueError(f"CSL-JSON item {index + 1} has no id")
        refs.append(_csl_ref(item))
    return refs


def _csl_ref(item: Mapping[str, Any]) -> dict:
    """One CSL-JSON item in our shape, keeping only the variables we carry."""
    carried = carried_fields()
    ref: dict[str, Any] = {"key": str(item["id"])}
    for field, value in item.items():
        if field in _ALIASES:
            if _ALIASES[field] not in item:
                ref.setdefault(_ALIASES[field], value)
        elif field in carried:
            ref[field] = value
    custom = item.get("custom")
    if isinstance(custom, Mapping):  # our own fields, as export_csljson writes them
        for field in sorted(OWN_FIELDS - {"key"}):
            if custom.get(field) not in (None, "", []):
                ref[field] = custom[field]
    note = ref.get("note")
    if isinstance(note, str) and _NOTE_ID.search(note):
        for name, value in _NOTE_ID.findall(note):
            ref.setdefault(name, value)
        rest = _NOTE_ID.sub("", note).strip()
        if rest:
            ref["note"] = re.sub(r"\n{2,}", "\n", rest)
        else:
            del ref["note"]
    return ref


def export_csljson(refs: list[dict], *, notes: bool = True) -> str:
    """Our references -> CSL-JSON text (sorted keys, indent 2) valid against the official
    schema (csl-data.json).

    Unlike to_csl_item, the id keeps the author's spelling of the key. ``notes`` puts our own
    fields (study_design, verified_by, identifier_note, …) under ``custom``, where CSL-JSON keeps
    data it has no variable for, so an export imports back whole; without it the items carry
    bibliographic data only (the copy attached to archival PDFs: research notes are not part
    of what a reader cites).
    """
    items = []
    for ref in refs:
        item = to_csl_item(ref)
        item["id"] = str(ref.get("key", ref.get("id"))).strip()
        custom = {field: ref[field] for field in sorted(OWN_FIELDS - {"key"})
                  if ref.get(field) not in (None, "", [])}
        if notes and custom:
            item["custom"] = custom
        items.append(item)
    return json.dumps(items, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
