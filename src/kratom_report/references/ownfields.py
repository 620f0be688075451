"""Our own reference fields (study_design, verified_by, …) in a .bib file, both ways.

BibTeX has no place for them, but every BibTeX and biblatex reader ignores fields it does not
know: we write each under its own name, escaped only as far as a field needs (backslash and
braces), and read it back exactly, so an export re-imports to the same reference data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .csldata import OWN_FIELDS

#: In the order an export writes them (after the bibliographic fields).
BIB_OWN_FIELDS = tuple(sorted(OWN_FIELDS - {"key"}))
_ESCAPES = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}"}
_ESCAPED = re.compile(r"\\textbackslash\{\}|\\\{|\\\}")
_WHOLE = re.compile(r"^-?[0-9]+$")


def _escaped(text: str) -> str:
    return "".join(_ESCAPES.get(ch, ch) for ch in text)


def own_bib_fields(ref: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Our fields of one reference as (BibTeX field, value ready to go inside braces).

    ``topics`` is written as biblatex writes keywords, comma-separated.
    """
    fields = []
    for name in BIB_OWN_FIELDS:
        value = ref.get(name)
        if value in (None, "", []):
            continue
        text = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
        fields.append((name, _escaped(text)))
    return fields


def own_from_bib(fields: Mapping[str, str]) -> dict[str, Any]:
    """Our fields read back from an entry's raw BibTeX fields (field names case-insensitive).

    ``n`` written as a whole number becomes a number again, as the YAML it came from had it.
    """
    lowered = {name.lower(): value for name, value in fields.items()}
    out: dict[str, Any] = {}
    for name in BIB_OWN_FIELDS:
        raw = lowered.get(name)
        if raw is None or not raw.strip():
            continue
        text = _ESCAPED.sub(lambda m: {"\\textbackslash{}": "\\", "\\{": "{", "\\}": "}"}[
            m.group(0)], raw)
        if name == "topics":
            out[name] = [t.strip() for t in text.split(",") if t.strip()]
        elif name == "n" and _WHOLE.match(text.strip()):
            out[name] = int(text.strip())
        else:
            out[name] = text
    return out
