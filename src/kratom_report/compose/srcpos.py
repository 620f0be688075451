"""Where each unit of text starts in its source file, for review copies.

A review copy prints beside every paragraph, list item, table row, key message and caption
the file, line and column where that unit's text starts (not the start of its block), and a
reviewer's comment is traced back by the same position. Markdown line numbers map to file
lines exactly only in literal block scalars (``text: |``), which is how long texts are written;
in other scalars the first line is exact and later lines are counted from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..source.loader import Loc, YamlDoc

# A list item's text starts after its marker: "- ", "* ", "+ ", "1. " or "1) ".
_MARKER = re.compile(r"\s*(?:[-*+]|\d{1,9}[.)])[ \t]+")


@dataclass(frozen=True)
class Origin:
    """Where line 0 of a text stands in its file, and how later lines follow it."""

    display: str
    line: int
    column: int
    lines: tuple[str, ...]  # the text's own lines, to find where each unit starts in its line
    block: bool  # a block scalar: every line starts at ``column`` (its indentation)

    def at(self, md_line: int, unit: str = "paragraph") -> str:
        """``path:line:column`` of the unit whose Markdown starts on ``md_line``."""
        text = self.lines[md_line] if md_line < len(self.lines) else ""
        marker = _MARKER.match(text) if unit == "list_item" else None
        offset = marker.end() if marker else len(text) - len(text.lstrip(" \t"))
        column = self.column + offset if self.block or md_line == 0 else 1 + offset
        return f"{self.display}:{self.line + md_line}:{column}"


def origin(doc: YamlDoc, loc: Loc, text: str) -> Origin:
    """The origin of the text value at ``loc``: a block scalar's content starts on the next
    line at its indentation; a quoted one a column after its quote."""
    line, column = doc.at(loc)
    first = doc.lines[line - 1] if 0 < line <= len(doc.lines) else ""
    indicator = first[column - 1:column]
    lines = tuple(text.split("\n"))
    if indicator in ("|", ">"):
        after = next((ln for ln in doc.lines[line:] if ln.strip()), "")
        return Origin(doc.display, line + 1, len(after) - len(after.lstrip(" ")) + 1, lines,
                      True)
    if indicator in ("'", '"'):
        return Origin(doc.display, line, column + 1, lines, False)
    return Origin(doc.display, line, column, lines, False)


def source_rules(md: Any) -> None:
    """Paragraphs, list items and headings get ``data-src`` with their position, when the
    render call carries an origin (review copies only); other rules still run after."""
    for kind in ("paragraph_open", "list_item_open", "heading_open"):
        md.add_render_rule(kind, _opener(md.renderer.rules.get(kind)))


def _opener(previous: Any) -> Any:
    def render(self, tokens, idx, options, env) -> str:  # noqa: ANN001 - markdown-it's signature
        token = tokens[idx]
        where = getattr(env.get("kr"), "origin", None) if isinstance(env, dict) else None
        inside_item = token.type == "paragraph_open" and idx and \
            tokens[idx - 1].type == "list_item_open"
        if where is not None and token.map and not inside_item:
            token.attrSet("data-src", where.at(token.map[0], token.type[:-5]))
        if previous is not None:  # a rule added before (change marks), bound already
            return previous(tokens, idx, options, env)
        return self.renderToken(tokens, idx, options, env)

    return render
