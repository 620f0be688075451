"""Where each unit of text starts in its source file, for review copies.

A review copy prints beside every paragraph, list item, table row, key message and caption
the file, line and column where that unit's text starts (not the start of its block), and a
reviewer's comment is traced back by the same position. YAML folds plain, quoted and ``>``
scalars (a line break becomes a space, a blank line a line break), so a Markdown line is not a
file line: the value's visible characters are matched one by one with the file's (whitespace,
quotes and escapes aside), which gives every unit its exact line and column in any style.
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
    # Where each visible (non-space) character of the text stands in the file, when the file
    # was matched (see _visible); else lines are counted from the first.
    marks: tuple[tuple[int, int], ...] | None = None

    def at(self, md_line: int, unit: str = "paragraph") -> str:
        """``path:line:column`` of the unit whose Markdown starts on ``md_line``."""
        text = self.lines[md_line] if md_line < len(self.lines) else ""
        marker = _MARKER.match(text) if unit == "list_item" else None
        offset = marker.end() if marker else len(text) - len(text.lstrip(" \t"))
        if self.marks is not None and md_line < len(self.lines):
            seen = sum(_count(ln) for ln in self.lines[:md_line]) + _count(text[:offset])
            if seen < len(self.marks):
                line, column = self.marks[seen]
                return f"{self.display}:{line}:{column}"
        column = self.column + offset if self.block or md_line == 0 else 1 + offset
        return f"{self.display}:{self.line + md_line}:{column}"


def origin(doc: YamlDoc, loc: Loc, text: str) -> Origin:
    """The origin of the text value at ``loc``: a block scalar's content starts on the next
    line at its indentation; a quoted one a column after its quote."""
    line, column = doc.at(loc)
    first = doc.lines[line - 1] if 0 < line <= len(doc.lines) else ""
    indicator = first[column - 1:column]
    lines = tuple(text.split("\n"))
    style = indicator if indicator in ("|", ">", "'", '"') else ""
    marks = _visible(doc.lines, line, column, style, text)
    if style in ("|", ">"):
        after = next((ln for ln in doc.lines[line:] if ln.strip()), "")
        return Origin(doc.display, line + 1, len(after) - len(after.lstrip(" ")) + 1, lines,
                      True, marks)
    if style:
        return Origin(doc.display, line, column + 1, lines, False, marks)
    return Origin(doc.display, line, column, lines, False, marks)


def _count(text: str) -> int:
    return sum(not ch.isspace() for ch in text)


# Double-quoted escapes that stand for one character (\x, \u and \U take hex digits).
_ESCAPES = {"0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v",
            "f": "\f", "r": "\r", "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\",
            "N": "\x85", "_": "\xa0", "L": "\u2028", "P": "\u2029"}
_HEX = {"x": 2, "u": 4, "U": 8}


def _visible(lines: list[str], line: int, column: int, style: str, text: str
             ) -> tuple[tuple[int, int], ...] | None:
    """The file position (line, column) of each visible character of ``text``, the scalar
    that starts at ``line``:``column`` (its indicator, for block and quoted styles), or None
    when the file does not spell that text (a value the loader did not read from there)."""
    wanted = [ch for ch in text if not ch.isspace()]
    found: list[tuple[int, int]] = []
    row, col = (line, 0) if style in ("|", ">") else (line - 1, column - 1 + bool(style))
    while row < len(lines) and len(found) < len(wanted):
        source = lines[row]
        while col < len(source) and len(found) < len(wanted):
            ch, width = source[col], 1
            if style == "'" and ch == "'":
                if source[col + 1:col + 2] != "'":
                    return None  # the closing quote, before the whole text was seen
                width = 2
            elif style == '"' and ch == '"':
                return None
            elif style == '"' and ch == "\\":
                ch, width = _escape(source, col)
            if ch and not ch.isspace():
                if ch != wanted[len(found)]:
                    return None
                found.append((row + 1, col + 1))
            col += width
        row, col = row + 1, 0
    return tuple(found) if len(found) == len(wanted) else None


def _escape(source: str, at: int) -> tuple[str, int]:
    """The character a double-quoted escape at ``at`` stands for and the escape's length
    ("" for an escaped line break, which joins the lines)."""
    code = source[at + 1:at + 2]
    if code in _HEX:
        digits = source[at + 2:at + 2 + _HEX[code]]
        try:
            return chr(int(digits, 16)), 2 + len(digits)
        except ValueError:
            return "", 2
    return _ESCAPES.get(code, ""), 2 if code else 1


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
