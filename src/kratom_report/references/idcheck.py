"""What a reference's key, dates and identifiers must look like before anything uses them.

Identifiers become links (a PMID, a PMCID) and fields of exported BibTeX; a key becomes an entry
head there. A value that is not what its name says is refused (or, for ISBN and ISSN, which
reference managers fill loosely, warned about) where it stands, so that ``12}, url = {…}`` in a
PMID never reaches a link or an export. Dates are checked here too, so a bad one is reported in
its file at its item, not first met while formatting the reference list.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import Problem
from ..source.loader import Loc, YamlDoc
from ..source.markdown import CITATION_KEY
from .csldata import DATE_FIELDS, date_parts

_PMID = re.compile(r"[0-9]{1,9}")
_PMCID = re.compile(r"PMC[0-9]{1,9}")
_ISSN = re.compile(r"[0-9]{4}-?[0-9]{3}[0-9X]")
_ISBN_CHARS = re.compile(r"[0-9][0-9 -]*[0-9X]")
_LISTED = re.compile(r"\s*[,;]\s*")  # exports list several ISSNs or ISBNs in one field


def reference_problems(doc: YamlDoc, loc: Loc, entry: Any) -> list[Problem]:
    """Every problem of one reference entry's key, dates and identifiers, located."""
    if not isinstance(entry, dict):
        return []
    out: list[Problem] = []
    key = str(entry.get("key", ""))
    if not re.fullmatch(CITATION_KEY, key):
        out.append(doc.problem(loc + ("key",), (
            f"reference key {_shown(key)} cannot be cited as [@key]; use letters, digits and "
            "_:.#$%&+?<>~/- only (starting with a letter, digit or _)")))
    for field in DATE_FIELDS:
        if entry.get(field) is not None:
            try:
                date_parts(entry[field], field, key)
            except ValueError as exc:
                out.append(doc.problem(loc + (field,), str(exc)))
    for field, ok, want, severity in (
            ("PMID", _PMID.fullmatch, "digits only, like 12345678", "error"),
            ("PMCID", _PMCID.fullmatch, "PMC and digits, like PMC1234567", "error"),
            ("ISSN", _issn, "like 1234-567X; separate several with commas", "warning"),
            ("ISBN", _isbn, "10 or 13 digits, hyphens and spaces allowed; separate several "
                            "with commas", "warning")):
        value = entry.get(field)
        if value is not None and not ok(str(value).strip()):
            out.append(doc.problem(loc + (field,), (
                f"reference '{key}': {field} {_shown(str(value))} is not a valid {field} "
                f"({want})"),
                severity=severity))
    return out


def _issn(value: str) -> bool:
    return all(_ISSN.fullmatch(v) for v in _LISTED.split(value))


def _isbn(value: str) -> bool:
    return all(_ISBN_CHARS.fullmatch(v) and len(re.sub(r"[ -]", "", v)) in (10, 13)
               for v in _LISTED.split(value))


def _shown(value: str) -> str:
    value = value.replace("\n", " ")
    return repr(value if len(value) <= 60 else value[:57] + "...")
