"""Problems found in a report, and the exceptions that carry them."""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning", "info"]  # info: listed, never fails a check


@dataclass(frozen=True, order=True)
class Problem:
    """One located finding, printed as ``path:line:column: message``."""

    path: str
    line: int | None = None
    column: int | None = None
    message: str = ""
    severity: Severity = "error"

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        prefix = {"warning": "warning: ", "info": "info: "}.get(self.severity, "")
        return f"{where}: {prefix}{self.message}"

    def as_json(self) -> dict[str, str | int | None]:
        """The same finding as plain fields, so scripts need not parse ``path:line:col:``."""
        return {"file": self.path, "line": self.line, "column": self.column,
                "severity": self.severity, "message": self.message}


class ReportError(Exception):
    """Base of every error the library raises on purpose; the CLI maps them to exit codes."""


class ProblemsError(ReportError):
    """Raised when loading, validating or rendering found content problems (exit 1)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=_problem_order)
        super().__init__("\n".join(str(p) for p in self.problems))


class OutputError(ReportError):
    """Raised when an output file or folder cannot be written (exit 1, ``path: reason``)."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class UnknownEdition(ReportError):
    """Raised when ``--edition`` names an edition the report does not define (exit 2)."""


class SourceNotFound(ReportError):
    """Raised when no report folder is found from the given or current directory (exit 2)."""


def did_you_mean(word: str, options: Iterable[str]) -> str:
    """Suffix suggesting the closest valid option, or nothing when none is close."""
    match = difflib.get_close_matches(str(word), list(options), n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""


def _problem_order(p: Problem) -> tuple:
    return (p.path, p.line or 0, p.column or 0, p.message)


def relpath(path: Path, root: Path) -> str:
    """Paths in messages are relative to the report root, so they read the same on every machine."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def printable(text: str, *, lines: bool = False) -> str:
    """``text`` safe to print on a terminal: control, format and line-separator characters
    (an escape sequence that sets the window title or writes the clipboard, a bidi override,
    a carriage return that hides a line) become visible ``\\x1b``/``\\u202e`` escapes.

    ``lines`` keeps ``\\n`` and ``\\t`` (a message of several lines); otherwise they are
    escaped too, so a value read from a record can never start a line of its own.
    """
    if text.isprintable():
        return text
    return "".join(_escaped(ch, lines) for ch in text)


def printable_json(text: str) -> str:
    """JSON text with the characters :func:`printable` escapes written as ``\\uXXXX``: the
    same data, safe on a terminal (``json.dumps`` leaves C1 controls and bidi marks raw)."""
    if text.isprintable():
        return text
    return "".join(_json_escaped(ch) for ch in text)


def _json_escaped(ch: str) -> str:
    if ch in "\n\t" or unicodedata.category(ch) not in _UNPRINTABLE:
        return ch
    code = ord(ch)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def _escaped(ch: str, lines: bool) -> str:
    if lines and ch in "\n\t" or unicodedata.category(ch) not in _UNPRINTABLE:
        return ch
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else \
        f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


# Controls, format characters (bidi, zero-width), line and paragraph separators, surrogates,
# private-use and unassigned code points.
_UNPRINTABLE = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})
