"""The base of every model of the report folder: an unknown key is an error, never ignored,
and a loaded value cannot change under a later stage.

:data:`Line` is the text of a single-line field (titles, names, captions, changelog lines):
it may not hold an invisible format character. A right-to-left override (U+202E) or an
isolate (U+2066…) reorders what a reader sees on the PDF, the site and the feed without
changing what is stored, zero-width spaces and joiners (U+200B, U+2060) make two titles look
alike, and a line or paragraph separator (U+2028, U+2029) breaks one line in two. None of them
can be meant in a title; direction comes from the edition's language (``dir="rtl"``).
Zero-width non-joiner and joiner (U+200C, U+200D) are kept everywhere: Persian and Indic
scripts spell words with them, and emoji sequences need them. Prose (Markdown, key messages,
notes) is not held to this rule: it may mix scripts and need explicit direction marks.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StrictStr

_ALLOWED = frozenset({"\u200c", "\u200d"})  # ZWNJ, ZWJ: spelling in Persian and Indic scripts


# Shared by the models of report.yaml, sections and references.
SLUG = r"^[a-z0-9][a-z0-9-]*$"
# BCP 47 in the shape tools accept: a 2-3 letter language, then subtags (en, en-GB, zh-Hant-TW).
LANGUAGE = r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$"
Cell = str | int | float  # a table cell: YAML reads `n: 12` as a number


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False)


def invisible(text: str) -> str | None:
    """The first invisible format character of ``text`` (Unicode Cf, U+2028, U+2029), named
    like "U+202E RIGHT-TO-LEFT OVERRIDE", or None."""
    for char in text:
        if char not in _ALLOWED and (unicodedata.category(char) == "Cf"
                                     or char in "\u2028\u2029"):
            name = unicodedata.name(char, "format character")
            return f"U+{ord(char):04X} {name}"
    return None


def _one_line(value: str) -> str:
    found = invisible(value)
    if found:
        raise ValueError(f"holds {found}, an invisible character that can make it read "
                         "differently from what it says; remove it")
    return value


Line = Annotated[StrictStr, AfterValidator(_one_line)]
