"""A page estimate without running the layout engine (so ``editions`` stays fast).

Calibrated against real builds of the briefing: about 600 words of prose fill a page, table
text is denser, each figure takes a known share of a page, and every section but a ``back``
section starts on a new page.
"""

from __future__ import annotations

import math
import re

from .render import RenderedEdition

_WORDS_PER_PAGE = 600
_TABLE_WEIGHT = 0.6  # table text is set smaller
_FIGURE_PAGES = {"timeline": 0.45, "series": 0.4, "state-map": 0.6, "tile-map": 0.6}
_CALLOUT_PAGES = 0.1
_REFERENCES_PER_PAGE = 24
_FRONT_PAGES = 3  # cover, key messages, contents
_SECTION = re.compile(r'(?=<section class="(?:section|changes|references)[^"]*")')


def estimate_pages(rendered: RenderedEdition) -> int:
    body = rendered.html.split("<body", 1)[-1]
    pages = _FRONT_PAGES
    run = 0.0  # sections that share pages (a back section follows on without a break)
    for chunk in _SECTION.split(body)[1:]:
        if 'class="references"' in chunk[:80]:
            continue
        size = _section_pages(chunk)
        if "kind-back" in chunk[:80] and run:
            run += size
            continue
        pages += math.ceil(run) if run else 0
        run = size
    pages += math.ceil(run) if run else 0
    return pages + math.ceil(len(rendered.cited) / _REFERENCES_PER_PAGE)


def _section_pages(chunk: str) -> float:
    figures = re.findall(r'<figure class="figure figure-([a-z-]+)"', chunk)
    text = re.sub(r"<(style|svg)\b.*?</\1>", " ", chunk, flags=re.S)
    tables = re.findall(r"<table\b.*?</table>", text, flags=re.S)
    table_words = sum(_words(t) for t in tables)
    prose_words = _words(text) - table_words
    return ((prose_words + table_words * _TABLE_WEIGHT) / _WORDS_PER_PAGE
            + sum(_FIGURE_PAGES.get(kind, 0.5) for kind in figures)
            + chunk.count('class="callout"') * _CALLOUT_PAGES)


def _words(html: str) -> int:
    return len(re.findall(r"\w+", re.sub(r"<[^>]+>", " ", html)))
