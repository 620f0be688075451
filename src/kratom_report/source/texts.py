"""The texts an author writes in a report: walking them in reading order, what a figure's
``source: auto`` cites, and the control characters no text may hold.

Checks of the whole project (:mod:`.project`) and later stages (citation numbering, statistics,
where each reference is used) all read a section's texts through :func:`iter_texts`, so a new
kind of block is added here once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..errors import Problem
from .datamodels import DataFile
from .loader import Loc, YamlDoc
from .markdown import make_markdown, scan_citations
from .models import (
    Block,
    CalloutBlock,
    EvidenceTableBlock,
    FigureBlock,
    MarkdownBlock,
    Section,
    TableBlock,
)
from .translations import translated_texts

MARKDOWN = make_markdown()  # one parser for every check: building one is not free
AUTO = "auto"  # a figure's `source: auto` cites what its data file lists


def parse_once(memo: dict[str, list[Any]], text: str) -> list[Any]:
    """``MARKDOWN.parse(text)``, once per text while a project loads: the nesting, citation
    and fact checks all read (never change) the same tokens, and texts recur (a caption's
    source, a translation)."""
    tokens = memo.get(text)
    if tokens is None:
        tokens = memo[text] = MARKDOWN.parse(text, {})
    return tokens


def block_in_edition(section: Section, block: Any, edition_id: str) -> bool:
    """A block's own audiences win; else the section's; absent means every edition."""
    audiences = block.audiences if block.audiences is not None else section.audiences
    return audiences is None or edition_id in audiences


def iter_texts(section: Section, *, translations: bool = False) -> Iterator[tuple[Loc, str, Any]]:
    """Every author-written text of a section, in reading order, with its place and block
    (and with ``translations``, each block's translations after it, then the section's
    summary and its translations, with no block)."""
    for b, block in enumerate(section.blocks):
        base: Loc = ("blocks", b)
        for loc, text in _block_texts(base, block):
            yield loc, text, block
        if translations:
            for loc, text in translated_texts(base, block):
                yield loc, text, block
    if translations:
        yield from ((loc, text, None) for loc, text in summary_texts(section))


def summary_texts(section: Section) -> Iterator[tuple[Loc, str]]:
    """The section's summary (three-page summaries print it) and each translation of it."""
    if section.summary is not None:
        yield ("summary",), section.summary
    for key, text in (section.translations or {}).items():
        if text.summary is not None:
            yield ("translations", key, "summary"), text.summary


def _block_texts(base: Loc, block: Block) -> Iterator[tuple[Loc, str]]:
    """The texts of one block as printed: title or caption, then cells, then source."""
    if isinstance(block, MarkdownBlock):
        yield base + ("text",), block.text
    elif isinstance(block, CalloutBlock):
        if block.title:
            yield base + ("title",), block.title
        yield base + ("text",), block.text
    elif isinstance(block, TableBlock | EvidenceTableBlock | FigureBlock):
        yield base + ("caption",), block.caption
        if not isinstance(block, FigureBlock):
            yield from _cell_texts(base, block)
        if block.source:
            yield base + ("source",), block.source


def _cell_texts(base: Loc, block: TableBlock | EvidenceTableBlock) -> Iterator[tuple[Loc, str]]:
    """A table's header and body cells, row by row; an evidence table's written fields."""
    if isinstance(block, TableBlock):
        for c, cell in enumerate(block.header):
            yield base + ("header", c), str(cell)
        for r, row in enumerate(block.rows):
            for c, cell in enumerate(row):
                yield base + ("rows", r, c), str(cell)
        return
    for r, evidence in enumerate(block.rows):
        for name in ("study", "design", "n", "population", "finding"):
            value = getattr(evidence, name)
            if value is not None:
                yield base + ("rows", r, name), str(value)


# C0 control characters other than tab and newline (and DEL): invisible in an editor, they
# print as nothing or as a box, and can drive a terminal that shows the text.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def check_controls(doc: YamlDoc, value: Any, loc: Loc, problems: list[Problem]) -> None:
    """A located error for every text value holding a control character."""
    if isinstance(value, str):
        m = _CONTROL.search(value)
        if m:
            problems.append(doc.problem(loc, (
                f"control character U+{ord(m.group(0)):04X} in the text; remove it (it "
                "cannot be printed)")))
    elif isinstance(value, dict):
        for k, v in value.items():
            check_controls(doc, v, loc + (k,), problems)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            check_controls(doc, v, loc + (i,), problems)


def auto_source_keys(data: DataFile) -> list[str]:
    """Every reference a data file names, in order: its ``sources``, each item's ``sources``,
    and the citations in each event's or series' ``source`` (what ``source: auto`` cites)."""
    keys = list(data.sources)
    for _key, _id, region in data.region_items():
        keys += region.sources
    written = [e.source for e in data.events or []] + [s.source for s in data.series or []]
    for source in written:
        if source:
            keys += [c.key for c in scan_citations(MARKDOWN, source)[0]]
    first: dict[str, str] = {}  # keys differing only in case are one reference
    for key in keys:
        first.setdefault(key.lower(), key)
    return list(first.values())
