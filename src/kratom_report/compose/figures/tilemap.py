"""Tile map: one square per region of a layout, coloured and marked by status, with a legend.

The layout (``us-states`` or the report's own) says where each region's tile sits and what
its label reads; the data file says each region's status. ``state-map`` is the same figure
with the US layout, under its first name. The data is checked first, in :mod:`.tiledata`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from ...fingerprint import short_id
from ...source.models import LayoutTile
from ...source.tilelayout import MAX_COLS, TileLayout, shipped_layout, tile_label
from ..i18n import N_, Words
from .common import (
    FONT,
    MIN_FONT,
    MUTED,
    WIDTH,
    Body,
    num,
    require_list,
    svg_text,
    text_colour,
    text_width,
    wrap,
)
from .tiledata import Status, collect_regions, collect_statuses, status_fills

# Tile geometry, the same for every layout: the grid is centred horizontally in the viewBox
# and the legend spans at least the width of the widest grid a layout may have.
_PITCH, _TILE = 54.0, 51.0
_Y0 = 6.0
_SWATCH = 20.0
_LEGEND_X0 = (WIDTH - (MAX_COLS * _PITCH - (_PITCH - _TILE))) / 2
_NO_DATA = N_("No data")
_STATUS_AS_OF = N_("Status as of %(date)s")


class _Grid(NamedTuple):
    """A layout's tiles by id, in reading order, with where the grid starts and ends."""

    tiles: dict[str, LayoutTile]
    x0: float
    rows: int


def _grid(layout: TileLayout) -> _Grid:
    cols = 1 + max(t.col for t in layout.tiles)
    rows = 1 + max(t.row for t in layout.tiles)
    tiles = {t.id: t for t in sorted(layout.tiles, key=lambda t: (t.row, t.col))}
    return _Grid(tiles, (WIDTH - (cols * _PITCH - (_PITCH - _TILE))) / 2, rows)


class _LegendEntry(NamedTuple):
    """A legend row; the "No data" row has no status and ``is_missing`` set."""

    sid: str
    mark: str
    label: str
    tally: int  # regions with this status ("count" would shadow tuple.count)
    unverified: bool
    is_missing: bool


# --------------------------------------------------------------------------- data


def _hatch_ids(data: Mapping[str, Any], statuses: Sequence[Status]) -> dict[str, str]:
    """Pattern ids derived from the data, so ids are reproducible yet unique per figure."""
    digest = short_id(data)
    unverified = (s for s in statuses if s.unverified)
    return {s.sid: f"hatch-{digest}-{k}" for k, s in enumerate(unverified)}


# --------------------------------------------------------------------------- tiles


def _draw_hatch_defs(hatch_ids: Mapping[str, str], fills: Mapping[str, str]) -> list[str]:
    """One pattern per hatched status, in that status's text colour so it shows on any fill."""
    if not hatch_ids:
        return []
    body = ["<defs>"]
    body.extend(
        f'<pattern id="{pid}" patternUnits="userSpaceOnUse" width="7" height="7">'
        f'<path d="M-1 1L1 -1M0 7L7 0M6 8L8 6" stroke="{text_colour(fills[sid])}" '
        f'stroke-opacity="0.55" stroke-width="1.1"/></pattern>'
        for sid, pid in hatch_ids.items()
    )
    body.append("</defs>")
    return body


def _label_text(label: str, x: float, y: float, *, fill: str, missing: bool) -> str:
    """A tile's label: large like "TX" when short, else wrapped in small type below the mark."""
    large, lines = tile_label(label)
    weight = None if missing else "bold"
    if large:
        dy = 5 if missing else 7
        return svg_text(x + _TILE / 2, y + _TILE / 2 + dy, lines[0], size=15, anchor="middle",
                        fill=fill, weight=weight)
    top = _small_top(y, len(lines))
    return "".join(svg_text(x + _TILE / 2, top + k * 11, line, size=MIN_FONT, anchor="middle",
                            fill=fill, weight=weight) for k, line in enumerate(lines))


def _small_top(y: float, lines: int) -> float:
    """Baseline of a wrapped label's first line: the lines sit centred below the mark."""
    return y + 16 + (3 - lines) * 5.5 + MIN_FONT


def _label_plates(label: str, x: float, y: float, fill: str) -> str:
    """Solid plates behind the label and the mark keep them legible over the hatching."""
    large, lines = tile_label(label)
    mark = (f'<rect x="{num(x + _TILE - 13)}" y="{num(y + 2)}" width="11" height="13" '
            f'fill="{fill}"/>')
    if large:
        return (f'<rect x="{num(x + _TILE / 2 - 15)}" y="{num(y + _TILE / 2 - 7)}" width="30" '
                f'height="18" fill="{fill}"/>' + mark)
    top = _small_top(y, len(lines))
    plates = []
    for k, line in enumerate(lines):
        # Bold glyphs run wider than the wrapping estimate: size the plate generously.
        w = min(_TILE - 2, text_width(line, MIN_FONT) * 1.15 + 4)
        plates.append(f'<rect x="{num(x + (_TILE - w) / 2)}" y="{num(top + k * 11 - 10)}" '
                      f'width="{num(w)}" height="13" fill="{fill}"/>')
    return "".join(plates) + mark


def _draw_missing_tile(code: str, x: float, y: float) -> str:
    """A dashed white outline, so a region without data never looks like a status."""
    return (
        f'<g class="tile missing"><rect x="{num(x + 0.5)}" y="{num(y + 0.5)}" '
        f'width="{num(_TILE - 1)}" height="{num(_TILE - 1)}" fill="#ffffff" '
        f'stroke="{MUTED}" stroke-width="1" stroke-dasharray="3 2"/>'
        + _label_text(code, x, y, fill=MUTED, missing=True)
        + "</g>"
    )


def _draw_tile(code: str, x: float, y: float, status: Status, fill: str, hatch_id: str) -> str:
    """A filled tile with code and mark, so the status reads even without colour."""
    ink = text_colour(fill)
    parts = [
        '<g class="tile">',
        f'<rect x="{num(x)}" y="{num(y)}" width="{num(_TILE)}" height="{num(_TILE)}" '
        f'fill="{fill}"/>',
    ]
    if status.unverified:
        parts.append(
            f'<rect x="{num(x)}" y="{num(y)}" width="{num(_TILE)}" height="{num(_TILE)}" '
            f'fill="url(#{hatch_id})"/>'
        )
        parts.append(
            f'<rect x="{num(x + 0.5)}" y="{num(y + 0.5)}" width="{num(_TILE - 1)}" '
            f'height="{num(_TILE - 1)}" fill="none" stroke="{MUTED}" stroke-width="1"/>'
        )
        parts.append(_label_plates(code, x, y, fill))
    parts.append(_label_text(code, x, y, fill=ink, missing=False))
    parts.append(
        svg_text(
            x + _TILE - 4,
            y + 12,
            status.mark,
            size=MIN_FONT,
            anchor="end",
            fill=ink,
            weight="bold",
            extra='class="mark"',
        )
    )
    parts.append("</g>")
    return "".join(parts)


def _draw_tiles(
    grid: _Grid,
    assigned: Mapping[str, str],
    by_id: Mapping[str, Status],
    fills: Mapping[str, str],
    hatch_ids: Mapping[str, str],
) -> list[str]:
    """Every tile is drawn, in reading order, whether or not the data lists that region."""
    body: list[str] = []
    for code, tile in grid.tiles.items():
        x, y = grid.x0 + tile.col * _PITCH, _Y0 + tile.row * _PITCH
        sid = assigned.get(code)
        if sid is None:
            body.append(_draw_missing_tile(tile.label, x, y))
            continue
        status = by_id[sid]
        hatch_id = hatch_ids[sid] if status.unverified else ""
        body.append(_draw_tile(tile.label, x, y, status, fills[sid], hatch_id))
    return body


# --------------------------------------------------------------------------- legend


def _legend_entries(statuses: Sequence[Status], assigned: Mapping[str, str],
                    regions: int, words: Words) -> list[_LegendEntry]:
    """Legend rows with counts, plus a "No data" row so unlisted regions are accounted for."""
    counts = {s.sid: 0 for s in statuses}
    for sid in assigned.values():
        counts[sid] += 1
    entries = [
        _LegendEntry(s.sid, s.mark, s.label, counts[s.sid], s.unverified, False) for s in statuses
    ]
    missing = regions - len(assigned)
    if missing:
        entries.append(_LegendEntry("", "", words.gettext(_NO_DATA), missing, False, True))
    return entries


def _legend_row_heights(wrapped: Sequence[Sequence[str]], per_col: int) -> list[float]:
    """Both columns share row heights so swatches line up across the legend."""
    row_heights = []
    for r in range(per_col):
        heights = [
            max(_SWATCH, len(wrapped[i]) * 13 + 6) for i in (r, r + per_col) if i < len(wrapped)
        ]
        row_heights.append(max(heights) + 6)
    return row_heights


def _draw_swatch(
    entry: _LegendEntry,
    lx: float,
    ly: float,
    fills: Mapping[str, str],
    hatch_ids: Mapping[str, str],
) -> list[str]:
    """A swatch that repeats the tile's fill, hatching and mark, so the key matches the map."""
    if entry.is_missing:
        return [
            f'<rect x="{num(lx + 0.5)}" y="{num(ly + 0.5)}" width="{num(_SWATCH - 1)}" '
            f'height="{num(_SWATCH - 1)}" fill="#ffffff" stroke="{MUTED}" stroke-width="1" '
            f'stroke-dasharray="3 2"/>'
        ]
    fill = fills[entry.sid]
    body = [
        f'<rect x="{num(lx)}" y="{num(ly)}" width="{num(_SWATCH)}" height="{num(_SWATCH)}" '
        f'fill="{fill}"/>'
    ]
    if entry.unverified:
        body.append(
            f'<rect x="{num(lx)}" y="{num(ly)}" width="{num(_SWATCH)}" '
            f'height="{num(_SWATCH)}" fill="url(#{hatch_ids[entry.sid]})"/>'
            f'<rect x="{num(lx + 0.5)}" y="{num(ly + 0.5)}" width="{num(_SWATCH - 1)}" '
            f'height="{num(_SWATCH - 1)}" fill="none" stroke="{MUTED}" stroke-width="1"/>'
            f'<rect x="{num(lx + 4)}" y="{num(ly + 3)}" width="12" height="14" '
            f'fill="{fill}"/>'
        )
    body.append(
        svg_text(
            lx + _SWATCH / 2,
            ly + _SWATCH / 2 + 4,
            entry.mark,
            size=FONT,
            anchor="middle",
            fill=text_colour(fill),
            weight="bold",
        )
    )
    return body


def _draw_legend(
    grid: _Grid,
    statuses: Sequence[Status],
    assigned: Mapping[str, str],
    fills: Mapping[str, str],
    hatch_ids: Mapping[str, str],
    words: Words,
) -> tuple[list[str], float]:
    """Legend: swatch with mark + label + count, two columns filled top to bottom."""
    entries = _legend_entries(statuses, assigned, len(grid.tiles), words)
    legend_top = _Y0 + grid.rows * _PITCH + 14
    x0 = min(grid.x0, _LEGEND_X0)
    col_w = (WIDTH - 2 * x0) / 2
    per_col = math.ceil(len(entries) / 2)
    wrapped = [wrap(f"{e.label} ({e.tally})", col_w - _SWATCH - 16) for e in entries]
    row_heights = _legend_row_heights(wrapped, per_col)
    body: list[str] = []
    for i, entry in enumerate(entries):
        c, r = divmod(i, per_col)
        lx = x0 + c * col_w
        ly = legend_top + sum(row_heights[:r])
        body.extend(_draw_swatch(entry, lx, ly, fills, hatch_ids))
        for k, line in enumerate(wrapped[i]):
            body.append(svg_text(lx + _SWATCH + 8, ly + 14 + k * 13, line))
    return body, legend_top + sum(row_heights)


def tile_map_body(data: Mapping[str, Any], layout: TileLayout | None = None,
                  kind: str = "tile-map", words: Words | None = None) -> Body:
    """Tile grid of a layout's regions with marks, hatching for unverified, and a legend.

    Its own words ("No data", the status date) print in the edition's language (``words``)."""
    words = words or Words()
    layout = layout or shipped_layout()
    grid = _grid(layout)
    statuses_raw = require_list(data, "statuses", kind)
    if "regions" not in data:
        require_list(data, "states", kind)
    statuses = collect_statuses(statuses_raw, kind)
    fills = status_fills(statuses, kind)
    by_id = {s.sid: s for s in statuses}
    assigned = collect_regions(data, grid.tiles, by_id, kind, layout)
    hatch_ids = _hatch_ids(data, statuses)

    body = _draw_hatch_defs(hatch_ids, fills)
    body.extend(_draw_tiles(grid, assigned, by_id, fills, hatch_ids))
    legend, y_end = _draw_legend(grid, statuses, assigned, fills, hatch_ids, words)
    body.extend(legend)

    as_of = data.get("as_of")
    if as_of not in (None, ""):
        x0 = min(grid.x0, _LEGEND_X0)
        status = words.gettext(_STATUS_AS_OF) % {"date": words.as_of(as_of)}
        body.append(svg_text(x0, y_end + 10, status, size=MIN_FONT, fill=MUTED))
        y_end += 16
    return y_end + 4, body
