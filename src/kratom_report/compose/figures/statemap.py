"""US state tile map: one square per state + DC, coloured and marked by status, with a legend."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from .common import (
    FONT,
    MIN_FONT,
    MUTED,
    WIDTH,
    Body,
    num,
    require_list,
    require_str,
    svg_text,
    text_colour,
    wrap,
)

# Six colour-blind-safe fills with evenly spaced lightness (viridis, L* 15 to 91), darkest first.
_STATUS_PALETTE = ("#440154", "#414487", "#2a788e", "#22a884", "#7ad151", "#fde725")
# "Not verified" asserts nothing, so it gets a quiet light neutral (lighter than every palette
# colour it is used with) plus hatching, instead of a colour that would read as a finding.
_UNVERIFIED_FILL = "#e6e6e6"

# NPR-style square tile grid of the 50 states + DC: code -> (column, row); 11 columns x 8 rows.
_US_TILE_GRID: dict[str, tuple[int, int]] = {
    "AK": (0, 0), "ME": (10, 0),
    "WI": (5, 1), "VT": (9, 1), "NH": (10, 1),
    "WA": (0, 2), "ID": (1, 2), "MT": (2, 2), "ND": (3, 2), "MN": (4, 2), "IL": (5, 2),
    "MI": (6, 2), "NY": (8, 2), "MA": (9, 2),
    "OR": (0, 3), "NV": (1, 3), "WY": (2, 3), "SD": (3, 3), "IA": (4, 3), "IN": (5, 3),
    "OH": (6, 3), "PA": (7, 3), "NJ": (8, 3), "CT": (9, 3), "RI": (10, 3),
    "CA": (0, 4), "UT": (1, 4), "CO": (2, 4), "NE": (3, 4), "MO": (4, 4), "KY": (5, 4),
    "WV": (6, 4), "VA": (7, 4), "MD": (8, 4), "DE": (9, 4),
    "AZ": (1, 5), "NM": (2, 5), "KS": (3, 5), "AR": (4, 5), "TN": (5, 5), "NC": (6, 5),
    "SC": (7, 5), "DC": (8, 5),
    "OK": (3, 6), "LA": (4, 6), "MS": (5, 6), "AL": (6, 6), "GA": (7, 6),
    "HI": (0, 7), "TX": (3, 7), "FL": (8, 7),
}  # fmt: skip

# Tile geometry: the grid is centred horizontally in the viewBox.
_PITCH, _TILE = 54.0, 51.0
_COLS = 1 + max(c for c, _r in _US_TILE_GRID.values())
_ROWS = 1 + max(r for _c, r in _US_TILE_GRID.values())
_X0 = (WIDTH - (_COLS * _PITCH - (_PITCH - _TILE))) / 2
_Y0 = 6.0
_SWATCH = 20.0


class _Status(NamedTuple):
    """One legend status; ``unverified`` statuses are hatched rather than given a colour."""

    sid: str
    label: str
    mark: str
    unverified: bool


class _LegendEntry(NamedTuple):
    """A legend row; the "No data" row has no status and ``is_missing`` set."""

    sid: str
    mark: str
    label: str
    count: int
    unverified: bool
    is_missing: bool


# --------------------------------------------------------------------------- data


def _is_unverified(status_id: str, label: str) -> bool:
    """Statuses that assert nothing get hatching so they never read as a finding."""
    return status_id == "not-verified" or label.lower().startswith("not verified")


def _collect_statuses(statuses_raw: list[Any]) -> list[_Status]:
    """Validate statuses; marks are limited to 2 characters because they must fit on a tile."""
    statuses: list[_Status] = []
    seen_ids: set[str] = set()
    for i, item in enumerate(statuses_raw):
        where = f"state-map status {i + 1}"
        sid = require_str(item, "id", where)
        label = require_str(item, "label", where)
        mark = require_str(item, "mark", where)
        if sid in seen_ids:
            raise ValueError(f"state-map status id '{sid}' is defined twice")
        if len(mark) > 2:
            raise ValueError(f"state-map status '{sid}' mark {mark!r} must be 1-2 characters")
        seen_ids.add(sid)
        statuses.append(_Status(sid, label, mark, _is_unverified(sid, label)))
    return statuses


def _status_fills(statuses: Sequence[_Status]) -> dict[str, str]:
    """Assign fills that differ in lightness, refusing more statuses than can stay distinct."""
    regular = [s for s in statuses if not s.unverified]
    # With an unverified status the neutral takes the lightest slot, so drop the palette's
    # lightest colour (yellow) to keep every fill distinct in lightness.
    palette = _STATUS_PALETTE[:-1] if len(regular) < len(statuses) else _STATUS_PALETTE
    if len(regular) > len(palette):
        raise ValueError(
            f"state-map supports at most {len(palette)} statuses besides 'not verified' "
            f"({len(_STATUS_PALETTE)} in all), got {len(regular)}"
        )
    fills: dict[str, str] = {}
    for i, status in enumerate(regular):
        # Spread the used colours across the palette to maximise lightness differences.
        spread = (len(palette) - 1) / max(1, len(regular) - 1)
        fills[status.sid] = palette[round(i * spread) if len(regular) > 1 else 0]
    for status in statuses:
        if status.unverified:
            fills[status.sid] = _UNVERIFIED_FILL
    return fills


def _collect_states(states_raw: list[Any], by_id: Mapping[str, _Status]) -> dict[str, str]:
    """Map state code -> status id, rejecting unknown codes, repeats and undefined statuses."""
    assigned: dict[str, str] = {}
    for i, item in enumerate(states_raw):
        where = f"state-map state {i + 1}"
        code = require_str(item, "state", where).upper()
        sid = require_str(item, "status", f"{where} ({code})")
        if code not in _US_TILE_GRID:
            raise ValueError(f"{where}: '{code}' is not a US state or DC two-letter code")
        if code in assigned:
            raise ValueError(f"state-map lists '{code}' more than once")
        if sid not in by_id:
            raise ValueError(f"{where} ({code}): status '{sid}' is not defined in 'statuses'")
        assigned[code] = sid
    return assigned


def _hatch_ids(data: Mapping[str, Any], statuses: Sequence[_Status]) -> dict[str, str]:
    """Pattern ids derived from the data, so ids are reproducible yet unique per figure."""
    digest = hashlib.sha1(
        json.dumps(data, sort_keys=True, default=str).encode("utf-8")
    ).hexdigest()[:10]
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


def _draw_missing_tile(code: str, x: float, y: float) -> str:
    """A dashed white outline, so a state without data never looks like a status."""
    return (
        f'<g class="tile missing"><rect x="{num(x + 0.5)}" y="{num(y + 0.5)}" '
        f'width="{num(_TILE - 1)}" height="{num(_TILE - 1)}" fill="#ffffff" '
        f'stroke="{MUTED}" stroke-width="1" stroke-dasharray="3 2"/>'
        + svg_text(x + _TILE / 2, y + _TILE / 2 + 5, code, size=15, anchor="middle", fill=MUTED)
        + "</g>"
    )


def _draw_tile(code: str, x: float, y: float, status: _Status, fill: str, hatch_id: str) -> str:
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
        # Solid plates behind the letters keep them legible over the hatching.
        parts.append(
            f'<rect x="{num(x + _TILE / 2 - 15)}" y="{num(y + _TILE / 2 - 7)}" width="30" '
            f'height="18" fill="{fill}"/>'
            f'<rect x="{num(x + _TILE - 13)}" y="{num(y + 2)}" width="11" height="13" '
            f'fill="{fill}"/>'
        )
    parts.append(
        svg_text(
            x + _TILE / 2,
            y + _TILE / 2 + 7,
            code,
            size=15,
            anchor="middle",
            fill=ink,
            weight="bold",
        )
    )
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
    assigned: Mapping[str, str],
    by_id: Mapping[str, _Status],
    fills: Mapping[str, str],
    hatch_ids: Mapping[str, str],
) -> list[str]:
    """Every grid cell is drawn, in reading order, whether or not the data lists that state."""
    body: list[str] = []
    for code in sorted(_US_TILE_GRID, key=lambda c: (_US_TILE_GRID[c][1], _US_TILE_GRID[c][0])):
        col, row = _US_TILE_GRID[code]
        x, y = _X0 + col * _PITCH, _Y0 + row * _PITCH
        sid = assigned.get(code)
        if sid is None:
            body.append(_draw_missing_tile(code, x, y))
            continue
        status = by_id[sid]
        hatch_id = hatch_ids[sid] if status.unverified else ""
        body.append(_draw_tile(code, x, y, status, fills[sid], hatch_id))
    return body


# --------------------------------------------------------------------------- legend


def _legend_entries(statuses: Sequence[_Status], assigned: Mapping[str, str]) -> list[_LegendEntry]:
    """Legend rows with counts, plus a "No data" row so unlisted states are accounted for."""
    counts = {s.sid: 0 for s in statuses}
    for sid in assigned.values():
        counts[sid] += 1
    entries = [
        _LegendEntry(s.sid, s.mark, s.label, counts[s.sid], s.unverified, False) for s in statuses
    ]
    missing = len(_US_TILE_GRID) - len(assigned)
    if missing:
        entries.append(_LegendEntry("", "", "No data", missing, False, True))
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
    statuses: Sequence[_Status],
    assigned: Mapping[str, str],
    fills: Mapping[str, str],
    hatch_ids: Mapping[str, str],
) -> tuple[list[str], float]:
    """Legend: swatch with mark + label + count, two columns filled top to bottom."""
    entries = _legend_entries(statuses, assigned)
    legend_top = _Y0 + _ROWS * _PITCH + 14
    col_w = (WIDTH - 2 * _X0) / 2
    per_col = math.ceil(len(entries) / 2)
    wrapped = [wrap(f"{e.label} ({e.count})", col_w - _SWATCH - 16) for e in entries]
    row_heights = _legend_row_heights(wrapped, per_col)
    body: list[str] = []
    for i, entry in enumerate(entries):
        c, r = divmod(i, per_col)
        lx = _X0 + c * col_w
        ly = legend_top + sum(row_heights[:r])
        body.extend(_draw_swatch(entry, lx, ly, fills, hatch_ids))
        for k, line in enumerate(wrapped[i]):
            body.append(svg_text(lx + _SWATCH + 8, ly + 14 + k * 13, line))
    return body, legend_top + sum(row_heights)


def state_map_body(data: Mapping[str, Any], accent: str) -> Body:
    """Tile-grid map of the 50 states + DC with marks, hatching for unverified, and a legend."""
    del accent  # status fills come from a fixed lightness-ordered palette, not the accent
    statuses_raw = require_list(data, "statuses", "state-map")
    states_raw = require_list(data, "states", "state-map")
    statuses = _collect_statuses(statuses_raw)
    fills = _status_fills(statuses)
    by_id = {s.sid: s for s in statuses}
    assigned = _collect_states(states_raw, by_id)
    hatch_ids = _hatch_ids(data, statuses)

    body = _draw_hatch_defs(hatch_ids, fills)
    body.extend(_draw_tiles(assigned, by_id, fills, hatch_ids))
    legend, y_end = _draw_legend(statuses, assigned, fills, hatch_ids)
    body.extend(legend)

    as_of = data.get("as_of")
    if as_of not in (None, ""):
        body.append(svg_text(_X0, y_end + 10, f"Status as of {as_of}", size=MIN_FONT, fill=MUTED))
        y_end += 16
    return y_end + 4, body
