"""Figure dispatch: check the arguments every kind shares, then hand the data to its renderer."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..i18n import Words
from .common import HEX_RE, Body, expand_hex, svg_document
from .series import series_body
from .tilemap import tile_map_body
from .timeline import timeline_body

if TYPE_CHECKING:
    from ...source.tilelayout import TileLayout

# Drawn from a data file; `image` figures are files made elsewhere (see image.py).
FIGURE_KINDS: tuple[str, ...] = ("series", "state-map", "tile-map", "timeline")

_RENDERERS: dict[str, Callable[[Mapping[str, Any], str, Words], Body]] = {
    "series": series_body,
    "timeline": timeline_body,
}


def render_figure(
    kind: str,
    data: dict,
    *,
    title: str,
    accent: str,
    font_family: str = "sans-serif",
    layout: TileLayout | None = None,
    words: Words | None = None,
) -> str:
    """Return an inline SVG string for kind in FIGURE_KINDS.

    ``layout`` places a tile map's regions (default: the shipped US states layout).
    ``words`` is the edition's language, for what the figure writes itself (default English).

    ``title`` is the figure's alt text; it becomes the SVG's first child ``<title>`` because that
    is what WeasyPrint uses as /Alt in tagged PDF. Raises ValueError on an unknown kind or on
    data that cannot be drawn honestly (missing or malformed fields).
    """
    if kind not in FIGURE_KINDS:
        raise ValueError(
            f"unknown figure kind '{kind}' (expected one of: {', '.join(FIGURE_KINDS)})"
        )
    if not isinstance(data, Mapping):
        raise ValueError(f"{kind} figure data must be a mapping, got {type(data).__name__}")
    if not isinstance(title, str) or not title.strip():
        raise ValueError(f"{kind} figure needs a non-empty title (alt text)")
    if not isinstance(accent, str) or not HEX_RE.match(accent):
        raise ValueError(f"accent must be a CSS hex colour like '#1f5f8b', got {accent!r}")
    accent = expand_hex(accent)
    words = words or Words()
    if kind in ("state-map", "tile-map"):
        height, body = tile_map_body(data, layout, kind, words)
    else:
        height, body = _RENDERERS[kind](data, accent, words)
    if height > MAX_HEIGHT:
        raise ValueError(
            f"the {kind} is too tall to print on one page ({height:.0f} of at most "
            f"{MAX_HEIGHT} units); split its data into two figures"
        )
    return svg_document(title, font_family, height, body)


# The tallest figure one page holds with its caption: 640 units fill a ~160 mm column, and a
# letter page leaves ~210 mm beside caption and headings. A taller one would be cut off.
MAX_HEIGHT = 840
