"""bibtexparser v2 output as raw entries with their place in the file, run-together fields split.

A comma missing between two fields (``year = {2020}`` with ``volume = {3}`` on the next line)
does not fail in bibtexparser: the first field's value swallows the rest. We find such values,
split them back into fields and note where, so the reference still loads and the author hears
of it. Blocks bibtexparser cannot read at all are returned with their first line, so that the
caller can report them and read on: a broken entry costs that entry, not the file.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

_HEAD_KEY = re.compile(r"@\s*\w+\s*[{(]\s*([^\s,{}()=\"#%']+)\s*,")
_FIELD_START = re.compile(r"\s*([A-Za-z][\w:.+/-]*)\s*=")
_BARE = re.compile(r"[^\s,{}\"#=]+")


@dataclass
class RawEntry:
    """One entry as written: lower-cased field names, enclosing braces or quotes removed."""

    key: str
    entry_type: str
    fields: dict[str, str]
    line: int  # 1-based line and column of its "@" (where messages about the entry point)
    column: int
    notes: list[str] = field(default_factory=list)  # what looks wrong, for warnings


@dataclass(frozen=True)
class BrokenBlock:
    """A block bibtexparser could not read: where its "@" is, its key when legible, and why."""

    line: int
    column: int
    key: str
    reason: str


@contextmanager
def _quiet() -> Iterator[None]:
    """bibtexparser logs each failed block (to stderr, without a handler): we report them."""
    logger = logging.getLogger("bibtexparser")
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        logger.setLevel(level)


def _library(text: str) -> Any:
    import bibtexparser
    from bibtexparser.middlewares import ResolveStringReferencesMiddleware

    # No RemoveEnclosingMiddleware: a value keeps its braces until we have looked at it, which
    # tells "{2020}" (fine) from "{2020}\n  volume = {3}" (a comma missing) for sure.
    with _quiet():
        return bibtexparser.parse_string(
            text, parse_stack=[ResolveStringReferencesMiddleware(allow_inplace_modification=True)]
        )


def parse_bib(text: str) -> tuple[list[RawEntry], list[BrokenBlock]]:
    """Every entry of a .bib text in file order, and every block that could not be read."""
    from bibtexparser.model import (
        DuplicateBlockKeyBlock,
        DuplicateFieldKeyBlock,
        Entry,
        ParsingFailedBlock,
    )

    lines = text.split("\n")
    entries: list[RawEntry] = []
    broken: list[BrokenBlock] = []
    for block in _library(text).blocks:
        if isinstance(block, DuplicateBlockKeyBlock | DuplicateFieldKeyBlock):
            block = block.ignore_error_block  # readable: the loader reports duplicates itself
        if isinstance(block, Entry):
            entries.append(_raw_entry(block, lines))
        elif isinstance(block, ParsingFailedBlock):
            broken.append(_broken(block, lines))
    return entries, broken


def _place(lines: list[str], start_line: int, raw: str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``raw[offset]``, for a block starting on line ``start_line``."""
    first = raw.split("\n", 1)[0]
    col0 = max(lines[start_line].find(first), 0) if 0 <= start_line < len(lines) else 0
    before = raw[:offset]
    if "\n" not in before:
        return start_line + 1, col0 + offset + 1
    return start_line + 1 + before.count("\n"), len(before.rsplit("\n", 1)[1]) + 1


def _broken(block: Any, lines: list[str]) -> BrokenBlock:
    raw = block.raw or ""
    head = _HEAD_KEY.match(raw)
    line, column = _place(lines, block.start_line, raw, 0)
    error = block.error
    reason = str(getattr(error, "abort_reason", "") or error or type(block).__name__)
    return BrokenBlock(line, column, head.group(1) if head else "", reason.strip())


def _raw_entry(block: Any, lines: list[str]) -> RawEntry:
    raw = block.raw or ""
    line, column = _place(lines, block.start_line, raw, 0)
    entry = RawEntry(block.key.strip(), block.entry_type.lower(), {}, line, column)
    for fld in block.fields:
        for name, value, swallowed in _expand(fld.key.lower(), str(fld.value)):
            if swallowed:
                at = raw.find(swallowed, max(raw.find(str(fld.value)), 0))
                where = _place(lines, block.start_line, raw, at)[0] if at >= 0 else line
                entry.notes.append(
                    f"a comma is missing between fields '{name}' and '{_name_of(swallowed)}' "
                    f"(line {where}); they were read as two fields"
                )
            if name in entry.fields:
                entry.notes.append(
                    f"field '{name}' is given twice; the first one is used, as BibTeX does"
                )
                continue
            entry.fields[name] = unenclose(value)
    return entry


def _name_of(swallowed: str) -> str:
    match = _FIELD_START.match(swallowed)
    return match.group(1).lower() if match else swallowed.split("=", 1)[0].strip()


def _expand(name: str, raw: str) -> list[tuple[str, str, str]]:
    """(name, raw value, swallowed text or "") for one field and any fields run into it."""
    split = _split(raw)
    if split is None:
        return [(name, raw, "")]
    value, rest = split
    out = [(name, value, rest)]
    entries = _library("@misc{x,\n" + rest + "\n}").entries
    for fld in entries[0].fields if entries else []:
        out += _expand(fld.key.lower(), str(fld.value))
    return out


def _split(raw: str) -> tuple[str, str] | None:
    """(the value, the text after it) when ``raw`` is one value with another field run into it."""
    raw = raw.strip()
    if "=" not in raw:  # nothing can have run into it (and most values are long abstracts)
        return None
    if raw[0] in "{\"":
        close = _closing(raw)
        if close is None:
            return None
        end = close + 1
    else:
        bare = _BARE.match(raw)
        if bare is None:
            return None
        end = bare.end()
    if end >= len(raw) or not _FIELD_START.match(raw, end):
        return None
    return raw[:end], raw[end:].strip()


def _closing(value: str) -> int | None:
    """Index of the brace or quote that closes the one ``value`` starts with (None: unclosed)."""
    depth = 0
    for i, ch in enumerate(value):
        if i and value[i - 1] == "\\":
            continue  # \{ \} \" are characters, not delimiters
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0 and value[0] == "{":
                return i
        elif ch == "\"" and value[0] == "\"" and depth == 0 and i:
            return i
    return None


def unenclose(value: str) -> str:
    """A field value without the braces or quotes that enclose all of it (``{A} # {B}`` kept)."""
    value = value.strip()
    if len(value) < 2 or value[0] not in "{\"":
        return value
    inner = value[1:-1]
    if value[0] + value[-1] in ("{}", "\"\"") and not re.search(r"[{}\"\\]", inner):
        return inner  # the common case, without a scan
    return inner if _closing(value) == len(value) - 1 else value
