"""Whether a laid-out summary fits its pages, and if not, by how much and because of what.

``build`` (in the PDF worker) and ``check`` (a layout without a PDF) both judge the very layout
the renderer made, through :func:`fit_problems`, so they cannot disagree. The parts of a
summary carry ``data-part`` (templates/summary.html): their heights name the largest ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from ..errors import Problem

_PX_PER_PT = 96 / 72
_LINE = 1.45  # summary.css line-height: "about N lines" counts lines of body text


@dataclass(frozen=True)
class Overflow:
    pages: int
    share: float  # of a page's text area
    lines: int
    parts: list[tuple[str, float]]  # largest first, each as a share of a page


def overflow(rendered: Any, limit: int) -> Overflow | None:
    """How far a rendered document (WeasyPrint's) runs past ``limit`` pages, or None."""
    pages = rendered.pages
    if len(pages) <= limit:
        return None
    area = pages[0]._page_box.height
    parts: dict[str, float] = {}
    over = 0.0
    for number, page in enumerate(pages):
        box = page._page_box
        bottom = box.content_box_y()
        for name, part in _parts(box):
            parts[name] = parts.get(name, 0.0) + part.margin_height()
            bottom = max(bottom, part.position_y + part.margin_height())
        if number >= limit:
            over += min(bottom - box.content_box_y(), area)
    root = pages[0]._page_box.children[0]
    line = root.style["font_size"] * _LINE if root.style else 9.5 * _PX_PER_PT * _LINE
    largest = sorted(parts.items(), key=lambda kv: -kv[1])[:3]
    return Overflow(len(pages), over / area, max(1, round(over / line)),
                    [(name, height / area) for name, height in largest])


def _parts(box: Any) -> Iterator[tuple[str, Any]]:
    element = getattr(box, "element", None)
    name = element.get("data-part") if element is not None else None
    if name:
        yield name, box
        return
    for child in getattr(box, "children", None) or []:
        yield from _parts(child)


def fit_problems(rendered: Any, limit: int, at: Problem, edition: str, kind: str
                 ) -> list[Problem]:
    """The located error for a summary that needs more than ``limit`` pages (``at``: where
    report.yaml asks for it); none when it fits."""
    found = overflow(rendered, limit)
    if found is None:
        return []
    allowed = f"{limit} page" + ("s" if limit > 1 else "")
    parts = ", ".join(f"{name} ({share:.2f} page)" for name, share in found.parts)
    return [replace(at, message=(
        f"the {kind} summary of edition '{edition}' needs {found.pages} pages, {allowed} "
        f"allowed: {found.share:.2f} of a page over (about {found.lines} lines); largest "
        f"parts: {parts}; shorten them, or leave '{kind}' out of the edition's summaries"))]
