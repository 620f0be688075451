"""Read a laid-out review copy: where each unit of text and each line stands on its page.

Every text box carries the ``data-src`` of the nearest element around it that has one (see
compose/srcpos.py). A unit's area on a page is the union of its text boxes there; its words
keep their own boxes, so a comment can quote the words a highlight covers. Positions are PDF
points from the page's lower left corner, as annotations give theirs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

PT = 0.75  # CSS pixels to PDF points
_WORD = re.compile(r"\S+")


@dataclass
class PageMap:
    """One page: its size, units (source position and area), words and lines."""

    number: int
    width: float
    height: float
    text_left: float  # where the page's text area starts (the left margin's right edge)
    units: list[dict[str, Any]] = field(default_factory=list)
    words: list[list[Any]] = field(default_factory=list)  # [x0, y0, x1, y1, text, unit or -1]
    lines: list[tuple[float, float]] = field(default_factory=list)  # (top, baseline), points

    def as_json(self) -> dict[str, Any]:
        return {"page": self.number, "width": _r(self.width), "height": _r(self.height),
                "units": self.units, "words": self.words}


def _r(value: float) -> float:
    return round(value, 2)


def map_pages(document: Any) -> list[PageMap]:
    """Every page of a WeasyPrint document, read from its boxes."""
    pages = []
    for number, page in enumerate(document.pages, 1):
        box = page._page_box  # noqa: SLF001 - WeasyPrint keeps the layout there
        pm = PageMap(number, page.width * PT, page.height * PT,
                     (box.margin_left or 0) * PT)
        seen: dict[str, int] = {}
        tops: list[tuple[float, float, float]] = []
        for text, src, line in _text_boxes(box):
            if src is not None and src not in seen:
                seen[src] = len(pm.units)
                pm.units.append({"src": src, "rect": None})
            index = seen[src] if src is not None else -1
            words = _words(text, pm.height)
            if index >= 0 and words:
                pm.units[index]["rect"] = _union(pm.units[index]["rect"], words)
            pm.words += [w + [index] for w in words]
            if line is not None and words:
                tops.append(line)
        pm.units = [u for u in pm.units if u["rect"] is not None]
        pm.lines = _lines(tops, pm.height)
        pages.append(pm)
    return pages


def _text_boxes(box: Any, src: str | None = None, line: Any = None
                ) -> Iterator[tuple[Any, str | None, Any]]:
    """Text boxes in document order with their unit's position and their line's
    (top, height, baseline) in CSS pixels; margin boxes (running heads) are left out."""
    from .pdf import layout_engine

    boxes = layout_engine()[0]
    if isinstance(box, boxes.MarginBox):
        return
    element = getattr(box, "element", None)
    tag = getattr(box, "element_tag", "") or ""
    if element is not None and not tag.endswith(("::marker", "::before", "::after")):
        src = element.get("data-src") or src
    if isinstance(box, boxes.LineBox):
        line = (box.position_y, box.height, box.position_y + (box.baseline or box.height))
    if isinstance(box, boxes.TextBox):
        if not tag.endswith("::marker"):
            yield box, src, line
        return
    for child in getattr(box, "children", None) or ():
        yield from _text_boxes(child, src, line)


def _words(box: Any, page_height: float) -> list[list[Any]]:
    """The words of a text box with their boxes, in points (PDF orientation)."""
    text = box.text
    edges = _edges(box)
    y0 = page_height - (box.position_y + box.height) * PT
    y1 = page_height - box.position_y * PT
    return [[_r((box.position_x + edges[m.start()]) * PT), _r(y0),
             _r((box.position_x + edges[m.end()]) * PT), _r(y1), m.group()]
            for m in _WORD.finditer(text)]


def _edges(box: Any) -> list[float]:
    """The x offset (CSS pixels) before each character and after the last, from the text
    engine's own glyph positions; evenly spread when those cannot be read."""
    text = box.text
    try:
        from .pdf import layout_engine

        _boxes, ffi, pango = layout_engine()
        index_to_pos = _index_to_pos(ffi, pango)
        layout = box.pango_layout
        layout.reactivate(box.style)
        try:
            rect = ffi.new("PangoRectangle *")
            edges, at = [], 0
            for ch in text:
                index_to_pos(layout.layout, at, rect)
                edges.append(rect.x / 1024)
                at += len(ch.encode("utf-8"))
            index_to_pos(layout.layout, at, rect)
            edges.append(rect.x / 1024 if at else 0.0)
        finally:
            layout.deactivate()
        if text and edges[-1] <= edges[0]:  # past the end of a line: the box's edge
            edges[-1] = box.width
        return edges
    except (AttributeError, TypeError, ImportError):
        step = box.width / max(1, len(text))
        return [i * step for i in range(len(text) + 1)]


def _index_to_pos(ffi: Any, pango: Any) -> Any:
    """Pango's index_to_pos, declared once (WeasyPrint's bindings do not declare it)."""
    try:
        return pango.pango_layout_index_to_pos
    except AttributeError:
        ffi.cdef("void pango_layout_index_to_pos (PangoLayout *layout, int index_, "
                 "PangoRectangle *pos);")
        return pango.pango_layout_index_to_pos


def _union(rect: list[float] | None, words: list[list[Any]]) -> list[float]:
    xs0, ys0 = [w[0] for w in words], [w[1] for w in words]
    xs1, ys1 = [w[2] for w in words], [w[3] for w in words]
    if rect is not None:
        xs0, ys0, xs1, ys1 = xs0 + [rect[0]], ys0 + [rect[1]], xs1 + [rect[2]], ys1 + [rect[3]]
    return [min(xs0), min(ys0), max(xs1), max(ys1)]


def _lines(found: list[tuple[float, float, float]], page_height: float
           ) -> list[tuple[float, float]]:
    """Distinct lines from top to bottom: cells of one table row share a line."""
    merged: list[tuple[float, float, float]] = []
    for top, height, baseline in sorted(set(found)):
        if merged and top < merged[-1][0] + 0.5 * min(height, merged[-1][1]):
            continue
        merged.append((top, height, baseline))
    return [(_r(page_height - top * PT), _r(page_height - baseline * PT))
            for top, _h, baseline in merged]
