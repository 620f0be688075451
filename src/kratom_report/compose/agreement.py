"""Summaries agree with their edition: every number a section summary prints is a fact or is
printed in the full edition too.

Key messages and the blocks marked ``in_summary`` are the edition's own text, so only section
summaries, written for the summary alone, can drift. A ``{{fact:ID}}`` is one stated value
(its value and sources live in one place) and always agrees.
"""

from __future__ import annotations

import html as html_lib
import re

from ..errors import Problem
from ..source.project import Project
from .editions import select
from .render import RenderedEdition
from .summary import summary_loc

_FACT = re.compile(r"\{\{\s*fact:[^{}]*\}\}")
_CITATION = re.compile(r"\[[^\[\]]*@[^\[\]]*\]")  # [@key], [see @a; @b, p. 12]
# A number as printed: 26, 1.5, 0,7, 1,807, 12 000 (a thin or no-break space groups digits).
_NUMBER = re.compile(r"(?<![\w.,])\d+(?:[.,\u00a0\u202f]\d+)*(?![\w])")
_GROUPING = re.compile(r"[,\u00a0\u202f](?=\d{3}(?!\d))")


def printed_numbers(text: str) -> set[str]:
    """Every number in a text, as written and without digit grouping (1,807 and 1807)."""
    found = set()
    for m in _NUMBER.finditer(text):
        found |= {m.group(0), _GROUPING.sub("", m.group(0))}
    return found


def edition_numbers(r: RenderedEdition) -> set[str]:
    """The numbers the full edition prints: its body text, without the reference list."""
    body = r.html.split("<body", 1)[-1]
    body = re.sub(r'<section class="references".*?</section>', " ", body, flags=re.S)
    body = re.sub(r"<(style|script)\b.*?</\1>", " ", body, flags=re.S)
    return printed_numbers(html_lib.unescape(re.sub(r"<[^>]+>", " ", body)))


def number_warnings(project: Project, r: RenderedEdition) -> list[Problem]:
    """A located warning for each number of a printed section summary that the full edition
    does not print (facts and citation locators are left out)."""
    if "three-page" not in r.edition.summaries:
        return []
    known = edition_numbers(r)
    lang = (r.context or {}).get("locale") or project.report.language
    out = []
    for s in select(project, r.edition):
        if not s.section.summary:
            continue
        text = s.section.summary
        plain = _CITATION.sub(lambda m: " " * len(m.group(0)),
                              _FACT.sub(lambda m: " " * len(m.group(0)), text))
        loc, doc = summary_loc(s, lang), s.located.doc
        for m in _NUMBER.finditer(plain):
            number = m.group(0)
            if number in known or _GROUPING.sub("", number) in known:
                continue
            line, col = doc.find(loc, number, text[:m.start()].count(number))
            out.append(Problem(doc.display, line, col, (
                f"the summary of section '{s.section.id}' prints {number}, which the full "
                f"edition '{r.edition.id}' does not; state it in the section as well, or make "
                "it a fact ({{fact:ID}})"), "warning"))
    return out
