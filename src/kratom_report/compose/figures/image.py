"""Figures made elsewhere: an SVG drawn inline as vectors, a PNG or JPEG embedded as data.

The file was checked when the report was loaded (source/figurefiles.py); here it becomes
markup. Both become an inline ``<svg>`` whose first child ``<title>`` is the alt text
(WeasyPrint's /Alt, and the accessible name on screens): an SVG re-serialised by the same
sanitiser with its ids prefixed so two figures never share one, a raster image as an
``<image>`` holding a data: URI, which the PDF renderer's URL fetcher allows. A ``width``
narrower than the column widens the viewBox instead of adding a style, so no stylesheet rule
or inline style is needed and print and screen show the same share of the column.
"""

from __future__ import annotations

import base64
import re

from pydantic import BaseModel, ConfigDict

from ...source.figurefiles import ImageFile
from ...source.svgbox import widened
from ...source.svgsafe import clean_svg
from .common import esc

# Lengths are read against the built-in A4 page's text column (210 mm less 2 x 20 mm margins).
COLUMN_MM = 170.0
_MM = {"mm": 1.0, "cm": 10.0, "in": 25.4}
_CSS_PX_MM = 25.4 / 96  # a raster image's own size: 96 pixels to the inch, as in CSS


class ImagePayload(BaseModel):
    """What an image adds to the content fingerprint: its bytes' hash, so an edit rebuilds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    media_type: str
    sha256: str


def column_share(width: str | None, pixels: tuple[int, int] | None) -> float:
    """How much of the column a figure fills: its ``width``, else a raster's own size."""
    if width is not None:
        m = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)(%|mm|cm|in)", width)
        if m is None:  # the model checked the form already
            raise ValueError(f"width {width!r} is not a width")
        value = float(m[1])
        share = value / 100 if m[2] == "%" else value * _MM[m[2]] / COLUMN_MM
    elif pixels is not None:
        share = pixels[0] * _CSS_PX_MM / COLUMN_MM
    else:
        share = 1.0
    return min(1.0, share)


def image_markup(image: ImageFile, alt: str, id_prefix: str, width: str | None = None) -> str:
    """Inline SVG for an image figure; ``alt`` is what a screen reader says instead."""
    share = column_share(width, image.pixels)
    if image.mime == "image/svg+xml":
        return clean_svg(image.raw, title=alt, id_prefix=id_prefix, share=share)
    w, h = image.pixels or (1, 1)
    data = base64.b64encode(image.raw).decode("ascii")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{widened((0, 0, w, h), share)}" '
            f'role="img" width="100%"><title>{esc(alt)}</title>'
            f'<image href="data:{image.mime};base64,{data}" width="{w}" height="{h}"/></svg>')
