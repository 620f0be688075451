"""A study's name in an evidence table ("Kruegel and Grundmann (2016)"), from the reference a
row cites, in the edition's language: the joining word is the tool's, the names are not."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from markupsafe import Markup, escape

from ..source.loader import Located
from .i18n import N_, Words

_TWO = N_("%(first)s and %(second)s")
_MANY = N_("%(first)s et al.")


def study_label(references: dict[str, Located], text: str, words: Words) -> Markup:
    """'Author et al. (2020)' before a lone citation, so a table row names its study."""
    m = re.fullmatch(r"\s*\[@([^\];,\s]+)\]\s*", text)
    located = references.get(m.group(1).lower()) if m else None
    if located is None:
        return Markup("")
    ref = located.model
    names = [a.get("family") or a.get("literal") or "" for a in ref.author or []]
    names = [n for n in names if n and n != "et al"]
    if not names:
        label = ""
    elif len(names) == 1 and len(ref.author or []) == 1:
        label = names[0]
    elif len(names) == 2 and len(ref.author or []) == 2:
        label = words.gettext(_TWO) % {"first": names[0], "second": names[1]}
    else:
        label = words.gettext(_MANY) % {"first": names[0]}
    year = _year(ref.issued)
    label = f"{label} ({year})" if label and year else label or (year or "")
    return escape(label)


def _year(issued: Any) -> str | None:
    if isinstance(issued, int):
        return str(issued)
    if isinstance(issued, dt.date):
        return str(issued.year)
    if isinstance(issued, str) and re.match(r"^[0-9]{4}", issued):
        return issued[:4]
    if isinstance(issued, dict):
        parts = issued.get("date-parts") or [[None]]
        return str(parts[0][0]) if parts and parts[0] and parts[0][0] else None
    return None
