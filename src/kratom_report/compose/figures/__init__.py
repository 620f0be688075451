"""Inline SVG figures (timeline, series chart, tile map) and figures made elsewhere (image).

The figure stage takes the contents of a report data file that has already been validated
(a plain mapping), the figure kind, its alt text and the edition's accent colour, and gives back
accessible SVG markup: a self-contained string to embed inline in the HTML that WeasyPrint turns
into PDF, whose first ``<title>`` child becomes the figure's /Alt text in tagged PDF. Nothing here
knows the report's topic; that lives only in the data files. An image figure's file, already
checked by the source stage, becomes inline SVG too (a raster inside an ``<image>``) in
:mod:`.image`.
"""

from __future__ import annotations

from .render import FIGURE_KINDS, render_figure

__all__ = ["FIGURE_KINDS", "render_figure"]
