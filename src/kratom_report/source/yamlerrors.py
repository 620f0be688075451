"""PyYAML's syntax errors in words an author can act on.

PyYAML says "mapping values are not allowed here" or "did not find expected key" where a
beginner has simply indented one line differently from its neighbours, or written ``: `` inside
an unquoted value. We look at the lines around the error to say which, on the line that is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from ..errors import Problem

# A line holding "key:" (after any "- " list markers), or a list item: group 1 is the indent
# before the first "-" or key, group 2 the list markers, group 3 the key.
_LINE = re.compile(r"^( *)((?:- +)*)(?:([^\s#'\"\-\[\{][^:#]*?|'[^']*'|\"[^\"]*\") *:(?: |$))?")
_BLOCK_SCALAR = re.compile(r":\s*[|>][-+0-9]*\s*(#.*)?$")
_MISPLACED = ("did not find expected key", "did not find expected '-' indicator",
              "expected <block end>")


@dataclass(frozen=True)
class _Line:
    number: int  # 1-based
    dash: int | None  # column of the first "- ", when the line is a list item
    key: str | None
    key_col: int | None  # column where the key starts (after list markers)


def syntax_problem(text: str, exc: yaml.MarkedYAMLError, display: str) -> Problem:
    """One located problem for a YAML syntax error, translated when we recognise the slip."""
    mark = exc.problem_mark or exc.context_mark
    reason = exc.problem or exc.context or "invalid YAML"
    if mark is None:
        return Problem(display, None, None, f"YAML syntax error: {reason}")
    lines = text.split("\n")
    row = lines[mark.line] if mark.line < len(lines) else ""
    if row[mark.column : mark.column + 1] == "\t" or row[: mark.column].strip(" ") == "\t":
        return Problem(display, mark.line + 1, mark.column + 1,
                       "YAML syntax error: tab character; indent with spaces")
    found = None
    if reason.startswith("mapping values are not allowed"):
        found = _colon_in_value(lines, mark.line, mark.column)
        found = found or _indented_more(lines, mark.line)
    elif reason.startswith(_MISPLACED):
        start = exc.context_mark.line if exc.context_mark is not None else 0
        found = _misaligned(lines, mark.line, mark.column, start)
    elif reason.startswith("did not find expected ','") and exc.context_mark is not None:
        found = _unclosed(lines, exc.context_mark.line, exc.context_mark.column, mark.line)
    if found is not None:
        line, col, message = found
        return Problem(display, line, col, message)
    return Problem(display, mark.line + 1, mark.column + 1, f"YAML syntax error: {reason}")


def _parse(lines: list[str], index: int) -> _Line | None:
    """Where a line's list marker and key stand; None for blank lines and comments."""
    text = lines[index]
    if not text.strip() or text.lstrip().startswith("#"):
        return None
    m = _LINE.match(text)
    if m is None:
        return None
    indent, dashes, key = len(m.group(1)), m.group(2), m.group(3)
    key_col = indent + len(dashes) if key else None
    return _Line(index + 1, indent if dashes else None, key.strip("'\"") if key else None,
                 key_col)


def _content_lines(lines: list[str], start: int, stop: int) -> list[_Line]:
    """Parsed lines ``start``..``stop - 1`` (0-based), skipping block scalar (``|``) bodies."""
    out: list[_Line] = []
    body_above: int | None = None  # indentation of the "key: |" line whose body we are in
    for i in range(start, stop):
        text = lines[i]
        indent = len(text) - len(text.lstrip(" "))
        if body_above is not None:
            if not text.strip() or indent > body_above:
                continue
            body_above = None
        parsed = _parse(lines, i)
        if parsed is not None:
            out.append(parsed)
            if _BLOCK_SCALAR.search(text):
                body_above = indent
    return out


def _colon_in_value(lines: list[str], line: int, column: int) -> tuple[int, int, str] | None:
    """``title: Leaves: a review``: the second ``: `` starts a new key."""
    parsed = _parse(lines, line)
    text = lines[line]
    if parsed is None or parsed.key is None or parsed.key_col is None:
        return None
    colon = text.find(":", parsed.key_col)
    if colon < 0 or colon >= column:
        return None
    value_col = colon + 1 + (len(text[colon + 1 :]) - len(text[colon + 1 :].lstrip()))
    value = text[value_col:].rstrip()
    quoted = f'"{value}"' if '"' not in value else "'" + value.replace("'", "''") + "'"
    return line + 1, value_col + 1, (
        f"a ': ' inside an unquoted value starts a new key; quote the value: "
        f"{parsed.key}: {quoted}")


def _indented_more(lines: list[str], line: int) -> tuple[int, int, str] | None:
    """A key indented deeper than the key above it reads as that key's text going on."""
    here = _parse(lines, line)
    if here is None or here.key is None or here.key_col is None or here.dash is not None:
        return None
    above = _content_lines(lines, 0, line)
    if not above or above[-1].key_col is None or above[-1].key_col >= here.key_col:
        return None
    sibling = above[-1]
    return line + 1, here.key_col + 1, _key_message(here, sibling)


def _misaligned(lines: list[str], line: int, column: int,
                start: int) -> tuple[int, int, str] | None:
    """A key or list item indented less than its neighbours, so it lines up with nothing."""
    here = _parse(lines, line)
    if here is None:
        return None
    col = here.dash if here.dash is not None else here.key_col
    if col is None or col != column:
        return None
    around = _content_lines(lines, start, line)
    if here.dash is not None:
        options = [(p.dash, p) for p in around if p.dash is not None]
    else:
        options = [(p.key_col, p) for p in around if p.key_col is not None and p.dash is None]
        options += [(p.key_col, p) for p in around if p.key_col is not None and p.dash is not None]
    if not options or any(c == col for c, _ in options):
        return None
    # The nearest indentation wins; between two equally near, the nearer line.
    _dist, _neg, sibling = min((abs(c - col), -p.number, p) for c, p in options)
    if here.dash is not None:
        return line + 1, col + 1, (
            f"wrong indentation: this list item is indented {_spaces(col)} but the item on "
            f"line {sibling.number} is indented {sibling.dash}; indent the items of one list "
            "by the same number of spaces")
    return line + 1, col + 1, _key_message(here, sibling)


def _unclosed(lines: list[str], line: int, column: int,
              stopped: int) -> tuple[int, int, str] | None:
    """``topics: [a, b`` with no ``]``: YAML reads on into the next lines and fails there."""
    text = lines[line] if line < len(lines) else ""
    opener = text[column : column + 1]
    closer = {"[": "]", "{": "}"}.get(opener)
    if closer is None or stopped <= line or closer in text[column:]:
        return None
    what = "list" if opener == "[" else "mapping"
    return line + 1, column + 1, (
        f"this '{opener}' is never closed; end the {what} with '{closer}'")


def _key_message(here: _Line, sibling: _Line) -> str:
    return (f"wrong indentation: '{here.key}' is indented {_spaces(here.key_col or 0)} but "
            f"'{sibling.key}' on line {sibling.number} is indented {sibling.key_col}; indent "
            "keys that belong together by the same number of spaces")


def _spaces(n: int) -> str:
    return f"{n} space" if n == 1 else f"{n} spaces"
