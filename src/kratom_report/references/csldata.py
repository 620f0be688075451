"""CSL data: our reference fields as the CSL-JSON items citeproc and reference managers read.

Our reference data (report/references.yaml) uses CSL-JSON field names plus a few fields of our
own; :func:`to_csl_item` drops ours, normalises names, dates and DOIs, and says which entry is
wrong when a value cannot be read.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Mapping
from typing import Any

#: Our own fields: useful to authors and checks, meaningless (or private) to citeproc and to
#: reference managers.
OWN_FIELDS = frozenset(
    {"key", "study_design", "n", "topics", "confidence", "verified_by", "identifier_note",
     "retraction_note"}
)

NAME_FIELDS = (
    "author",
    "editor",
    "translator",
    "collection-editor",
    "container-author",
    "composer",
    "director",
    "illustrator",
    "interviewer",
    "original-author",
    "recipient",
    "reviewed-author",
    "editorial-director",
)
DATE_FIELDS = ("issued", "accessed", "event-date", "original-date", "submitted")

#: CSL-JSON spells these in capitals; accept the lower-case spelling rather than lose the value.
_UPPER_FIELDS = {f.lower(): f for f in ("DOI", "URL", "PMID", "PMCID", "ISBN", "ISSN")}

ET_AL = {"et al", "et al.", "others"}
_ISO_DATE = re.compile(r"^([0-9]{4})(?:-([0-9]{1,2})(?:-([0-9]{1,2}))?)?$")
DOI_PREFIX = re.compile(r"^(?:doi:\s*|https?://(?:dx\.)?doi\.org/)", re.IGNORECASE)



# ------------------------------------------------------------------------------- CSL-JSON items


def _ref_label(ref: Mapping[str, Any]) -> str:
    return str(ref.get("key", ref.get("id", "?")))


def _valid_parts(parts: list[int]) -> bool:
    """[year, month?, day?] with a real month and day (citeproc-py crashes on month 13)."""
    if not 1 <= len(parts) <= 3:
        return False
    if len(parts) >= 2 and not 1 <= parts[1] <= 12:
        return False
    return len(parts) < 3 or 1 <= parts[2] <= 31


def date_parts(value: Any, field: str, label: str) -> dict:
    """Normalise a year, ISO date, date object or CSL date to ``{"date-parts": [[y, m, d]]}``.

    YAML gives us ints (``2016``), strings (``"2016-08"``) and date objects (unquoted
    ``2016-08-31``); citeproc-py only understands date-parts holding ints.
    """
    problem = (
        f"reference '{label}': {field} {value!r} is not a year, an ISO date (YYYY[-MM[-DD]]) "
        "or CSL date-parts"
    )
    if isinstance(value, bool):
        raise ValueError(problem)
    if isinstance(value, _dt.datetime):
        value = value.date()
    if isinstance(value, _dt.date):
        return {"date-parts": [[value.year, value.month, value.day]]}
    if isinstance(value, int):
        return {"date-parts": [[value]]}
    if isinstance(value, str):
        match = _ISO_DATE.match(value.strip())
        if not match:
            raise ValueError(problem)
        parts = [int(p) for p in match.groups() if p is not None]
        if not _valid_parts(parts):
            raise ValueError(problem)
        return {"date-parts": [parts]}
    if isinstance(value, list | tuple):  # [2016, 8] shorthand
        value = {"date-parts": [list(value)]}
    if isinstance(value, Mapping):
        out = {k: v for k, v in value.items() if k != "date-parts"}
        if "date-parts" in value:
            try:
                out["date-parts"] = [[int(p) for p in part] for part in value["date-parts"]]
            except (TypeError, ValueError):
                raise ValueError(problem) from None
            if not out["date-parts"] or not all(_valid_parts(p) for p in out["date-parts"]):
                raise ValueError(problem)
        elif "raw" in value and "literal" not in value:
            # Zotero may export {"raw": "2016-08-31"}.
            return date_parts(str(value["raw"]), field, label)
        elif "literal" not in value:
            raise ValueError(problem)
        return out
    raise ValueError(problem)


def _name(value: Any, field: str, label: str) -> dict:
    """One CSL name. A bare string is accepted: "Family, Given" or an organisation (literal)."""
    if isinstance(value, str):
        family, sep, given = value.partition(",")
        if sep and family.strip() and given.strip():
            return {"family": family.strip(), "given": given.strip()}
        return {"literal": value.strip()}
    if isinstance(value, Mapping) and value:
        return {str(k): str(v) for k, v in value.items() if v is not None}
    raise ValueError(
        f"reference '{label}': {field} entries must be {{family, given}} or {{literal}}"
    )


def to_csl_item(ref: Mapping[str, Any]) -> dict:
    """Our reference mapping -> a CSL-JSON item citeproc (and Zotero) can read.

    The id is the key lowercased because keys are case-insensitive in our sources and
    citeproc-py lowercases the keys it looks up. Our own fields are dropped; dates become
    date-parts; scalars become strings (YAML reads ``volume: 138`` as an int).
    """
    label = _ref_label(ref)
    key = ref.get("key", ref.get("id"))
    if key is None or not str(key).strip():
        raise ValueError(f"reference '{label}' has no key")
    if not ref.get("type"):
        raise ValueError(f"reference '{label}' has no type")
    item: dict[str, Any] = {"id": str(key).strip().lower()}
    for field, value in ref.items():
        if field in OWN_FIELDS or field == "id" or value is None:
            continue
        field = _UPPER_FIELDS.get(field, field)
        if field in NAME_FIELDS:
            if not isinstance(value, list):
                value = [value]
            item[field] = [_name(v, field, label) for v in value]
        elif field in DATE_FIELDS:
            item[field] = date_parts(value, field, label)
        elif isinstance(value, str):
            item[field] = value.strip()
        elif isinstance(value, bool):
            item[field] = value
        elif isinstance(value, int | float):
            item[field] = str(value)
        else:
            item[field] = value
    if "DOI" in item:
        item["DOI"] = DOI_PREFIX.sub("", item["DOI"])
    return item


# Inline markup that CSL-JSON allows inside field values (as citeproc-js does): <i>, <b>, <sup>,
# <sub> and <span class="nocase">. Anything else, or any unbalanced tag, is shown as text.
_RICH_NAMES = "i|b|sup|sub"
RICH_RAW = re.compile(rf"<(/?)({_RICH_NAMES})>|<span class=\"nocase\">|</span>")
RICH_ESCAPED = re.compile(
    rf"&lt;(/?)({_RICH_NAMES})&gt;|&lt;span class=\"nocase\"&gt;|&lt;/span&gt;"
)


def tags_balanced(tags: list[re.Match[str]]) -> bool:
    stack: list[str] = []
    for tag in tags:
        name = tag.group(2) or "span"
        if tag.group(1) == "/" or "/span" in tag.group(0):
            if not stack or stack.pop() != name:
                return False
        else:
            stack.append(name)
    return not stack
