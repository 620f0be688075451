"""What a report may read: only files inside its own folder, after following links.

Every path a report names (a section, a data or layout file, an image, a logo, a font, a
stylesheet's ``url()``, a reference file, a citation style) or implies (a file hashed for a
fingerprint, a URL the renderer asks for) goes through :func:`inside_root`, so a symbolic link
planted in a stranger's report folder is refused everywhere with the same words.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..errors import Problem
    from .loader import Loc, YamlDoc


class OutsideReport(ValueError):
    """Raised when a path leads outside the folder a report may read; ``message`` says so."""

    def __init__(self, what: str, value: str) -> None:
        self.message = outside_message(what, value)
        super().__init__(self.message)


def outside_message(what: str, value: str) -> str:
    """The one refusal for a path outside the report folder, for ``what`` named ``value``."""
    return (f"{what} '{value}' leads outside the report folder (after following links); a "
            "report reads only files inside its own folder: copy the file into report/ and "
            "name it relative to report/")


def inside_root(root: Path, path: Path, *, what: str, value: str | None = None) -> Path:
    """The real path of ``path`` (links followed) when it lies inside ``root``.

    Raises :class:`OutsideReport` naming ``what`` and ``value`` (the name as the author wrote
    it; ``path`` when omitted) otherwise.
    """
    real = path.resolve()
    if not real.is_relative_to(root.resolve()):
        raise OutsideReport(what, value if value is not None else str(path))
    return real


def is_inside(root: Path, path: Path) -> bool:
    """Whether ``path`` (links followed) lies inside ``root``: for files merely skipped."""
    return path.resolve().is_relative_to(root.resolve())


def located_inside(root: Path, path: Path, doc: YamlDoc, loc: Loc, problems: list[Problem],
                   *, what: str, value: str) -> Path | None:
    """:func:`inside_root` for a path a YAML value names: the real path, or None after adding
    the refusal, located at that value, to ``problems``."""
    try:
        return inside_root(root, path, what=what, value=value)
    except OutsideReport as exc:
        problems.append(doc.problem(loc, exc.message))
        return None
