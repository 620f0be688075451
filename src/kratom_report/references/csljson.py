"""CSL-JSON in and out: what Zotero and other reference managers export and import."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .csldata import to_csl_item

# ------------------------------------------------------------------------------- CSL-JSON import


def csljson_to_refs(items: list[dict]) -> list[dict]:
    """CSL-JSON (e.g. a Zotero export) -> references in our shape: ``id`` becomes ``key``.

    Zotero's ``journalAbbreviation`` becomes ``container-title-short`` (what AMA prints).
    """
    if not isinstance(items, list):
        raise ValueError("CSL-JSON must be a list of items")
    refs = []
    for index, item in enumerate(items):
        if not isinstance(item, Mapping) or item.get("id") in (None, ""):
            raise ValueError(f"CSL-JSON item {index + 1} has no id")
        ref: dict[str, Any] = {"key": str(item["id"])}
        for field, value in item.items():
            if field == "id":
                continue
            if field == "journalAbbreviation":
                ref.setdefault("container-title-short", value)
                continue
            ref[field] = value
        refs.append(ref)
    return refs



def export_csljson(refs: list[dict]) -> str:
    """Our references -> CSL-JSON text for reference managers (sorted keys, indent 2).

    Unlike to_csl_item, the id keeps the author's spelling of the key.
    """
    items = []
    for ref in refs:
        item = to_csl_item(ref)
        item["id"] = str(ref.get("key", ref.get("id"))).strip()
        items.append(item)
    return json.dumps(items, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
