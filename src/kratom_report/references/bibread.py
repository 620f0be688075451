"""A .bib file read entry by entry, so one broken entry is one located message.

``bibtex.read_bib_entries`` converts each entry on its own and returns the blocks bibtexparser
could not read. Here those become messages that say what to fix, placed at the ``@`` where the
entry starts; the rest of the file loads as usual, so its references are still checked and
citable.
"""

from __future__ import annotations

import re

from ..errors import Problem
from .bibtex import read_bib_entries

_ENTRY_START = re.compile(r"^[ \t]*@\w+\s*[{(]", re.M)
_HEAD = re.compile(r"@\w+\s*[{(]\s*([^,\s{}()=]+)")  # a key even without its comma


def read_bibtex(text: str, display: str) -> tuple[list[dict], list[Problem], set[str]]:
    """References of the readable entries; a problem per unreadable one (warnings too, about
    entries that loaded but look wrong); and the lower-cased keys of the entries lost.

    An unreadable block without a legible key adds no key: the caller treats the file as
    having lost keys it cannot name.
    """
    lines = text.split("\n")
    refs: list[dict] = []
    problems: list[Problem] = []
    lost: set[str] = set()
    entries, broken = read_bib_entries(text)
    for entry in entries:
        line, col = _at_sign(lines, entry.line, entry.column)
        name = f"BibTeX entry '{entry.key}'"
        problems += [Problem(display, line, col, f"{name}: {note}", "warning")
                     for note in entry.warnings]
        if entry.ref is None:
            lost.add(entry.key.lower())
            problems.append(Problem(display, line, col,
                                    f"{name}: {entry.error} (this entry is skipped)"))
        else:
            refs.append(entry.ref)
    for block in broken:
        line, col = _at_sign(lines, block.line, block.column)
        head = _HEAD.search(lines[line - 1]) if 0 < line <= len(lines) else None
        key = block.key or (head.group(1) if head else "")
        if key:
            lost.add(key.lower())
        problems.append(Problem(display, line, col, _explain(key, block.reason, text, line)))
    return refs, problems, lost


def _at_sign(lines: list[str], line: int, column: int) -> tuple[int, int]:
    """The ``@`` that starts an entry whose key stands at ``line``:``column``."""
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    at = text.rfind("@", 0, max(column, 1))
    return line, (at + 1 if at >= 0 else column)


def _explain(key: str, reason: str, text: str, line: int) -> str:
    """bibtexparser's reason for a block it could not read, said as what to fix."""
    name = f"BibTeX entry '{key}'" if key else "BibTeX entry"
    if reason.startswith("Unexpected block start") or "end of file" in reason:
        starts = [text.count("\n", 0, m.start()) + 1 for m in _ENTRY_START.finditer(text)]
        after = next((n for n in starts if n > line), None)
        until = f"the next entry, on line {after}" if after else "the end of the file"
        return (f"{name} is not closed before {until}: a '{{' or '\"' in it has no partner; "
                "check its braces and quotes (this entry is skipped)")
    if reason.startswith("Expected comma after entry key"):
        return (f"{name}: expected ',' after the key; write it as "
                f"@type{{{key or 'key'}, field = {{...}}, ...}} (this entry is skipped)")
    return f"{name} cannot be read: {reason.rstrip('.')} (this entry is skipped)"
