"""ViewBox geometry shared by SVG figures and image figures: a drawing that fills a share of
the column without any stylesheet rule (a web page may allow none)."""

from __future__ import annotations


def widened(box: tuple[float, float, float, float], share: float) -> str:
    """A viewBox with room on both sides, so the drawing fills ``share`` of a full-width figure.

    A figure narrower than the column needs no stylesheet rule or inline style this way (a web
    page may allow neither), and prints and reads on screens at the same share of the column.
    """
    x, y, w, h = box
    if share < 1:
        x, w = x - w * (1 / share - 1) / 2, w / share
    return " ".join(f"{v:.4f}".rstrip("0").rstrip(".") for v in (x, y, w, h))
