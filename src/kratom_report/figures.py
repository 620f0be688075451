"""Inline SVG figures (timeline, series chart, US state tile map) for printed briefings.

The figures are plain SVG strings so they can be embedded inline in the HTML that WeasyPrint turns
into PDF: vector output, no image files, and the first ``<title>`` child becomes the figure's /Alt
text in tagged PDF. Everything here is generic: the topic lives only in the report's data files.

Design rules shared by all figures (why they exist):

* the viewBox is 640 units wide and is scaled to a ~160 mm text column, so 1 unit is about
  0.71 pt; no text is smaller than 10 units (about 7 pt in print);
* meaning never rests on colour alone (markers, dash patterns, marks and hatching), so the
  figures survive greyscale printing and colour-vision deficiencies;
* output is deterministic (fixed float precision, ids derived from the input) so PDF builds are
  reproducible.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import re
import textwrap
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from xml.sax.saxutils import escape as _xml_escape

__all__ = ["FIGURE_KINDS", "render_figure"]

FIGURE_KINDS: tuple[str, ...] = ("series", "state-map", "timeline")

_WIDTH = 640
_MIN_FONT = 10  # viewBox units; ~7 pt once 640 units are scaled to a 160 mm column
_FONT = 11
_CHAR_EM = 0.56  # conservative average glyph advance (em) for wrapping without font metrics
_INK = "#1a1a1a"
_MUTED = "#4d4d4d"
_GRID = "#d0d0d0"
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_HEX_RE = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Series colours after the accent: Okabe-Ito hues plus a dark grey, chosen to differ in
# lightness from typical dark accents so lines stay distinguishable in greyscale.
_SERIES_COLOURS = ("#d55e00", "#4d4d4d", "#009e73", "#cc79a7", "#e69f00", "#56b4e9")
_SERIES_DASHES = ("6 4", "2 3", "8 3 2 3", "4 2", "1 2", "10 4")
_MARKERS = ("circle", "square", "triangle", "diamond")

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


# --------------------------------------------------------------------------- public API


def render_figure(
    kind: str,
    data: dict,
    *,
    title: str,
    accent: str,
    font_family: str = "sans-serif",
) -> str:
    """Return an inline SVG string for kind in {"timeline", "series", "state-map"}.

    ``title`` is the figure's alt text; it becomes the SVG's first child ``<title>`` because that
    is what WeasyPrint uses as /Alt in tagged PDF. Raises ValueError on an unknown kind or on
    data that cannot be drawn honestly (missing or malformed fields).
    """
    renderers: dict[str, Callable[[Mapping[str, Any], str], tuple[float, list[str]]]] = {
        "series": _series_body,
        "state-map": _state_map_body,
        "timeline": _timeline_body,
    }
    if kind not in renderers:
        raise ValueError(
            f"unknown figure kind '{kind}' (expected one of: {', '.join(FIGURE_KINDS)})"
        )
    if not isinstance(data, Mapping):
        raise ValueError(f"{kind} figure data must be a mapping, got {type(data).__name__}")
    if not isinstance(title, str) or not title.strip():
        raise ValueError(f"{kind} figure needs a non-empty title (alt text)")
    if not isinstance(accent, str) or not _HEX_RE.match(accent):
        raise ValueError(f"accent must be a CSS hex colour like '#1f5f8b', got {accent!r}")
    accent = _expand_hex(accent)
    height, body = renderers[kind](data, accent)
    return _svg_document(title, font_family, height, body)


# --------------------------------------------------------------------------- SVG helpers


def _esc(text: Any) -> str:
    """Escape text for element content and double-quoted attributes (labels are untrusted).

    Control characters are dropped because XML cannot represent them at all.
    """
    return _xml_escape(_CONTROL_RE.sub("", str(text)), {'"': "&quot;"})


def _n(value: float) -> str:
    """Format a coordinate with fixed precision so output is byte-for-byte deterministic."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _expand_hex(colour: str) -> str:
    """Normalise #rgb to lower-case #rrggbb so luminance maths has one input form."""
    colour = colour.lower()
    if len(colour) == 4:
        colour = "#" + "".join(ch * 2 for ch in colour[1:])
    return colour


def _svg_document(title: str, font_family: str, height: float, body: list[str]) -> str:
    """Wrap figure content in the root element; <title> must be the first child for /Alt."""
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {_WIDTH} {_n(math.ceil(height))}" width="100%">'
        f"<title>{_esc(title)}</title>"
        f'<g font-family="{_esc(font_family)}" font-size="{_FONT}" fill="{_INK}">'
    )
    return head + "".join(body) + "</g></svg>"


def _text(
    x: float,
    y: float,
    content: str,
    *,
    size: float = _FONT,
    anchor: str = "start",
    fill: str | None = None,
    weight: str | None = None,
    extra: str = "",
) -> str:
    """One <text> element at a baseline position (explicit baselines render the same everywhere)."""
    attrs = [f'x="{_n(x)}"', f'y="{_n(y)}"']
    if size != _FONT:
        attrs.append(f'font-size="{_n(size)}"')
    if anchor != "start":
        attrs.append(f'text-anchor="{anchor}"')
    if fill:
        attrs.append(f'fill="{fill}"')
    if weight:
        attrs.append(f'font-weight="{weight}"')
    if extra:
        attrs.append(extra)
    return f"<text {' '.join(attrs)}>{_esc(content)}</text>"


def _wrap(text: str, width_units: float, size: float = _FONT) -> list[str]:
    """Wrap text to an estimated width; estimates are conservative because SVG cannot reflow."""
    chars = max(8, int(width_units / (size * _CHAR_EM)))
    lines = textwrap.wrap(" ".join(str(text).split()), width=chars, break_on_hyphens=False)
    return lines or [""]


def _text_width(text: str, size: float = _FONT) -> float:
    """Estimated rendered width, used only for collision checks and layout."""
    return len(text) * size * _CHAR_EM


def _marker(shape: str, x: float, y: float, colour: str, *, filled: bool, cls: str) -> str:
    """Draw a data marker; shapes and fill differ per series so series read without colour."""
    fill = colour if filled else "#ffffff"
    stroke = "#ffffff" if filled else colour
    width = "1" if filled else "1.6"
    paint = f'fill="{fill}" stroke="{stroke}" stroke-width="{width}" class="{cls}"'
    if shape == "circle":
        return f'<circle cx="{_n(x)}" cy="{_n(y)}" r="4.8" {paint}/>'
    if shape == "square":
        return f'<rect x="{_n(x - 4.3)}" y="{_n(y - 4.3)}" width="8.6" height="8.6" {paint}/>'
    if shape == "triangle":
        d = f"M{_n(x)} {_n(y - 5.6)}L{_n(x + 5.2)} {_n(y + 3.6)}L{_n(x - 5.2)} {_n(y + 3.6)}Z"
        return f'<path d="{d}" {paint}/>'
    d = f"M{_n(x)} {_n(y - 5.8)}L{_n(x + 5.8)} {_n(y)}L{_n(x)} {_n(y + 5.8)}L{_n(x - 5.8)} {_n(y)}Z"
    return f'<path d="{d}" {paint}/>'


def _require_list(data: Mapping[str, Any], key: str, kind: str) -> list[Any]:
    """Fetch a required non-empty list so bad data fails loudly instead of drawing nothing."""
    value = data.get(key)
    if not isinstance(value, list) or not value:
        raise ValueError(f"{kind} figure data needs a non-empty '{key}' list")
    return value


def _require_str(item: Any, key: str, where: str) -> str:
    """Fetch a required non-empty string field from a list item."""
    if not isinstance(item, Mapping):
        raise ValueError(f"{where} must be a mapping, got {type(item).__name__}")
    value = item.get(key)
    if value is None or isinstance(value, bool) or not str(value).strip():
        raise ValueError(f"{where} is missing '{key}'")
    return str(value).strip()


def _number(value: Any, where: str) -> float:
    """Accept real numbers only (not bools or numeric strings) so typos in YAML surface early."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{where} must be a finite number, got {value!r}")
    return float(value)


# --------------------------------------------------------------------------- colour maths


def _luminance(colour: str) -> float:
    """WCAG relative luminance of a #rrggbb colour."""
    channels = []
    for i in (1, 3, 5):
        c = int(colour[i : i + 2], 16) / 255
        channels.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    r, g, b = channels
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: str, b: str) -> float:
    """WCAG contrast ratio between two #rrggbb colours."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _text_colour(fill: str) -> str:
    """Pick the label colour with the best contrast (near-black or white; AA needs >= 4.5:1)."""
    candidates = ("#111111", "#ffffff", "#000000")
    return max(candidates, key=lambda c: (_contrast(c, fill), -candidates.index(c)))


# --------------------------------------------------------------------------- timeline


def _parse_date(value: Any, where: str) -> tuple[tuple[int, int, int], str]:
    """Parse YYYY / YYYY-MM / YYYY-MM-DD into a sort key and a label at the given precision."""
    if isinstance(value, _dt.datetime):
        value = value.date()
    if isinstance(value, _dt.date):
        label = f"{value.day} {_MONTHS[value.month - 1]} {value.year}"
        return (value.year, value.month, value.day), label
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    text = str(value).strip() if isinstance(value, str) else ""
    match = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", text)
    if not match:
        raise ValueError(f"{where}: date {value!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    year = int(match.group(1))
    month = int(match.group(2)) if match.group(2) else 0
    day = int(match.group(3)) if match.group(3) else 0
    try:
        _dt.date(year, month or 1, day or 1)
    except ValueError as exc:
        raise ValueError(f"{where}: date {value!r} is not a valid date ({exc})") from None
    if day:
        label = f"{day} {_MONTHS[month - 1]} {year}"
    elif month:
        label = f"{_MONTHS[month - 1]} {year}"
    else:
        label = str(year)
    return (year, month, day), label


def _timeline_body(data: Mapping[str, Any], accent: str) -> tuple[float, list[str]]:
    """Vertical list timeline: date | dot on a rule | wrapped label, so labels can never collide."""
    events = _require_list(data, "events", "timeline")
    rows = []
    for i, event in enumerate(events):
        where = f"timeline event {i + 1}"
        label = _require_str(event, "label", where)
        if "date" not in event or event["date"] in (None, ""):
            raise ValueError(f"{where} is missing 'date'")
        key, date_label = _parse_date(event["date"], where)
        rows.append((key, i, date_label, label))
    rows.sort(key=lambda row: (row[0], row[1]))  # stable: equal dates keep file order

    date_right, rule_x, label_x = 112.0, 128.0, 144.0
    line_h, gap, top = 14.5, 9.0, 18.0
    label_width = _WIDTH - label_x - 12
    layout = []
    y = top
    for _key, _i, date_label, label in rows:
        lines = _wrap(label, label_width)
        layout.append((y, date_label, lines))
        y += len(lines) * line_h + gap
    bottom = y - gap
    first_dot, last_dot = layout[0][0] - 4, layout[-1][0] - 4

    body = [
        f'<line x1="{_n(rule_x)}" y1="{_n(first_dot - 10)}" x2="{_n(rule_x)}" '
        f'y2="{_n(last_dot + 10)}" stroke="{_GRID}" stroke-width="2"/>'
    ]
    previous_year = None
    for baseline, date_label, lines in layout:
        year = date_label[-4:]
        weight = "bold" if year != previous_year else None  # bold marks where a new year starts
        previous_year = year
        body.append(_text(date_right, baseline, date_label, anchor="end", weight=weight))
        body.append(
            f'<circle cx="{_n(rule_x)}" cy="{_n(baseline - 4)}" r="5" fill="{accent}" '
            f'stroke="#ffffff" stroke-width="1.5" class="event"/>'
        )
        body.extend(_text(label_x, baseline + j * line_h, line) for j, line in enumerate(lines))
    return bottom + 10, body


# --------------------------------------------------------------------------- series chart


def _nice_step(span: float, target: int = 5) -> float:
    """Round a raw tick step up to 1, 2, 2.5 or 5 x 10^k so axis labels are easy to read."""
    if span <= 0:
        return 1.0
    raw = span / target
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * power + 1e-12:
            return factor * power
    return 10 * power


def _format_value(value: float, step: float = 1.0) -> str:
    """Format a y value with thousands separators and only the decimals the data needs."""
    if float(value).is_integer() and float(step).is_integer():
        return f"{int(round(value)):,}"
    decimals = 1 if abs(step * 10 - round(step * 10)) < 1e-9 else 2
    return f"{value:,.{decimals}f}"


def _format_point(value: float) -> str:
    """Label a data point exactly as reported (no rounding of non-integers beyond 3 places)."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.3f}".rstrip("0").rstrip(".")


def _format_year(value: float) -> str:
    """Years are shown without separators (2016, not 2,016)."""
    return str(int(value)) if float(value).is_integer() else _n(value)


def _series_body(data: Mapping[str, Any], accent: str) -> tuple[float, list[str]]:
    """Point/line chart: only reported points; gaps in years are drawn dashed and explained."""
    raw_series = _require_list(data, "series", "series")
    series = []
    for i, item in enumerate(raw_series):
        where = f"series {i + 1}"
        label = _require_str(item, "label", where)
        unit = str(item.get("unit") or "").strip()
        points_raw = item.get("points")
        if not isinstance(points_raw, list) or not points_raw:
            raise ValueError(f"{where} ('{label}') needs a non-empty 'points' list")
        points = []
        for j, point in enumerate(points_raw):
            if not isinstance(point, Mapping) or "x" not in point or "y" not in point:
                raise ValueError(f"{where} ('{label}') point {j + 1} needs 'x' and 'y'")
            points.append(
                (
                    _number(point["x"], f"{where} point {j + 1} x"),
                    _number(point["y"], f"{where} point {j + 1} y"),
                )
            )
        points.sort()
        xs = [p[0] for p in points]
        if len(set(xs)) != len(xs):
            raise ValueError(f"{where} ('{label}') has more than one point for the same x")
        series.append((label, unit, points))

    colours = (accent, *_SERIES_COLOURS)
    styles = []
    for i in range(len(series)):
        shape = _MARKERS[i % len(_MARKERS)]
        filled = (i // len(_MARKERS)) % 2 == 0
        styles.append((colours[i % len(colours)], shape, filled, _SERIES_DASHES[i % 6]))

    # Legend (direct labels with unit) above the plot.
    body: list[str] = []
    y = 16.0
    key_x0, key_x1, text_x = 14.0, 50.0, 60.0
    for (label, unit, points), (colour, shape, filled, dash) in zip(series, styles, strict=True):
        gappy = any(b[0] - a[0] > 1 for a, b in zip(points, points[1:], strict=False))
        text = f"{label} — {unit}" if unit else label
        lines = _wrap(text, _WIDTH - text_x - 10)
        mid = y - 4
        if len(points) > 1:
            dash_attr = f' stroke-dasharray="{dash}"' if gappy else ""
            body.append(
                f'<line x1="{_n(key_x0)}" y1="{_n(mid)}" x2="{_n(key_x1)}" y2="{_n(mid)}" '
                f'stroke="{colour}" stroke-width="2"{dash_attr}/>'
            )
        body.append(_marker(shape, (key_x0 + key_x1) / 2, mid, colour, filled=filled, cls="key"))
        body.extend(_text(text_x, y + k * 14, line) for k, line in enumerate(lines))
        y += len(lines) * 14 + 6

    # Scales.
    all_x = [p[0] for _l, _u, pts in series for p in pts]
    all_y = [p[1] for _l, _u, pts in series for p in pts]
    x_min, x_max = min(all_x), max(all_x)
    if x_max - x_min < 1:
        x_min, x_max = x_min - 1, x_max + 1
    y_low = min(0.0, min(all_y))
    y_high = max(all_y)
    if y_high <= y_low:
        y_high = y_low + 1
    step = _nice_step((y_high - y_low) * 1.08)
    y_lo_tick = math.floor(y_low / step) * step
    y_hi_tick = math.ceil(y_high * 1.08 / step) * step if y_high > 0 else 0.0
    if y_hi_tick <= y_lo_tick:
        y_hi_tick = y_lo_tick + step

    left = 20 + max(_text_width(_format_value(v, step), _MIN_FONT) for v in (y_lo_tick, y_hi_tick))
    left = max(left, 56.0)
    right = _WIDTH - 24.0
    top = y + 14
    plot_h = 230.0
    bottom = top + plot_h
    x_pad = (x_max - x_min) * 0.04 + 0.3

    def sx(v: float) -> float:
        return left + (v - (x_min - x_pad)) / ((x_max + x_pad) - (x_min - x_pad)) * (right - left)

    def sy(v: float) -> float:
        return bottom - (v - y_lo_tick) / (y_hi_tick - y_lo_tick) * plot_h

    # Grid and y ticks.
    tick_count = int(round((y_hi_tick - y_lo_tick) / step))
    for k in range(tick_count + 1):
        value = y_lo_tick + k * step
        ty = sy(value)
        stroke = _MUTED if abs(value) < 1e-12 else _GRID
        body.append(
            f'<line x1="{_n(left)}" y1="{_n(ty)}" x2="{_n(right)}" y2="{_n(ty)}" '
            f'stroke="{stroke}" stroke-width="{"1" if stroke == _MUTED else "0.7"}"/>'
        )
        body.append(
            _text(
                left - 6,
                ty + 3.5,
                _format_value(value, step),
                size=_MIN_FONT,
                anchor="end",
                fill=_MUTED,
            )
        )

    # X ticks: every year when the span is short, otherwise a nice step.
    x_step = 1.0 if x_max - x_min <= 14 else _nice_step(x_max - x_min, 8)
    x_step = max(1.0, round(x_step))
    tick = math.ceil(x_min / x_step) * x_step
    while tick <= x_max + 1e-9:
        tx = sx(tick)
        body.append(
            f'<line x1="{_n(tx)}" y1="{_n(bottom)}" x2="{_n(tx)}" y2="{_n(bottom + 4)}" '
            f'stroke="{_MUTED}" stroke-width="1"/>'
        )
        body.append(
            _text(tx, bottom + 16, _format_year(tick), size=_MIN_FONT, anchor="middle", fill=_MUTED)
        )
        tick += x_step

    # Lines: never join different series; solid between consecutive years, dashed across gaps.
    any_gap = False
    for (_label, _unit, points), (colour, _shape, _filled, dash) in zip(
        series, styles, strict=True
    ):
        for a, b in zip(points, points[1:], strict=False):
            gap = b[0] - a[0] > 1
            any_gap = any_gap or gap
            dash_attr = f' stroke-dasharray="{dash}"' if gap else ""
            body.append(
                f'<line x1="{_n(sx(a[0]))}" y1="{_n(sy(a[1]))}" x2="{_n(sx(b[0]))}" '
                f'y2="{_n(sy(b[1]))}" stroke="{colour}" stroke-width="2"{dash_attr}/>'
            )

    # Markers, then value labels placed to avoid markers and earlier labels.
    marker_boxes = []
    for (_label, _unit, points), (colour, shape, filled, _dash) in zip(series, styles, strict=True):
        for px, py in points:
            cx, cy = sx(px), sy(py)
            body.append(_marker(shape, cx, cy, colour, filled=filled, cls="pt"))
            marker_boxes.append((cx - 6, cy - 6, cx + 6, cy + 6))
    total_points = sum(len(pts) for _l, _u, pts in series)
    if total_points <= 40:
        placed: list[tuple[float, float, float, float]] = []
        for _label, _unit, points in series:
            for px, py in points:
                cx, cy = sx(px), sy(py)
                text = _format_point(py)
                w = len(text) * _MIN_FONT * 0.64  # bold digits are wider than average text
                spots = (
                    (cx, cy - 9, "middle"),
                    (cx, cy + 18, "middle"),
                    (cx + 9, cy + 3.5, "start"),
                    (cx - 9, cy + 3.5, "end"),
                )
                choice = None
                for spot in spots:
                    box = _label_box(spot, w)
                    inside = box[1] >= top - 12 and box[3] <= bottom - 1
                    if inside and not any(_overlap(box, o) for o in placed + marker_boxes):
                        choice = spot
                        break
                if choice is None:
                    continue  # crowded: the marker is still drawn; an unreadable label is not
                box = _label_box(choice, w)
                placed.append(box)
                body.append(
                    f'<rect x="{_n(box[0])}" y="{_n(box[1])}" width="{_n(box[2] - box[0])}" '
                    f'height="{_n(box[3] - box[1])}" fill="#ffffff" fill-opacity="0.85"/>'
                )
                body.append(
                    _text(
                        choice[0],
                        choice[1],
                        text,
                        size=_MIN_FONT,
                        anchor=choice[2],
                        fill=_INK,
                        weight="bold",
                    )
                )

    y_end = bottom + 22
    if any_gap:
        body.append(
            _text(
                left,
                y_end + 12,
                "Dashed lines join reported values across years with no reported value; "
                "intermediate years are not shown.",
                size=_MIN_FONT,
                fill=_MUTED,
            )
        )
        y_end += 16
    return y_end + 4, body


def _label_box(spot: tuple[float, float, str], width: float) -> tuple[float, float, float, float]:
    """Approximate bounding box (x0, y0, x1, y1) of a value label at a baseline spot."""
    x, y, anchor = spot
    if anchor == "middle":
        x0 = x - width / 2
    elif anchor == "end":
        x0 = x - width
    else:
        x0 = x
    return (x0 - 1, y - _MIN_FONT * 0.8, x0 + width + 1, y + _MIN_FONT * 0.25)


def _overlap(a: Sequence[float], b: Sequence[float]) -> bool:
    """Axis-aligned box intersection test."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


# --------------------------------------------------------------------------- state tile map


def _is_unverified(status_id: str, label: str) -> bool:
    """Statuses that assert nothing get hatching so they never read as a finding."""
    return status_id == "not-verified" or label.lower().startswith("not verified")


def _state_map_body(data: Mapping[str, Any], accent: str) -> tuple[float, list[str]]:
    """Tile-grid map of the 50 states + DC with marks, hatching for unverified, and a legend."""
    del accent  # status fills come from a fixed lightness-ordered palette, not the accent
    statuses_raw = _require_list(data, "statuses", "state-map")
    states_raw = _require_list(data, "states", "state-map")

    statuses: list[tuple[str, str, str, bool]] = []
    seen_ids: set[str] = set()
    for i, item in enumerate(statuses_raw):
        where = f"state-map status {i + 1}"
        sid = _require_str(item, "id", where)
        label = _require_str(item, "label", where)
        mark = _require_str(item, "mark", where)
        if sid in seen_ids:
            raise ValueError(f"state-map status id '{sid}' is defined twice")
        if len(mark) > 2:
            raise ValueError(f"state-map status '{sid}' mark {mark!r} must be 1-2 characters")
        seen_ids.add(sid)
        statuses.append((sid, label, mark, _is_unverified(sid, label)))

    regular = [s for s in statuses if not s[3]]
    # With an unverified status the neutral takes the lightest slot, so drop the palette's
    # lightest colour (yellow) to keep every fill distinct in lightness.
    palette = _STATUS_PALETTE[:-1] if len(regular) < len(statuses) else _STATUS_PALETTE
    if len(regular) > len(palette):
        raise ValueError(
            f"state-map supports at most {len(palette)} statuses besides 'not verified' "
            f"({len(_STATUS_PALETTE)} in all), got {len(regular)}"
        )
    fills: dict[str, str] = {}
    for i, (sid, _label, _mark, _unverified) in enumerate(regular):
        # Spread the used colours across the palette to maximise lightness differences.
        spread = (len(palette) - 1) / max(1, len(regular) - 1)
        fills[sid] = palette[round(i * spread) if len(regular) > 1 else 0]
    for sid, _label, _mark, unverified in statuses:
        if unverified:
            fills[sid] = _UNVERIFIED_FILL
    by_id = {s[0]: s for s in statuses}

    assigned: dict[str, str] = {}
    for i, item in enumerate(states_raw):
        where = f"state-map state {i + 1}"
        code = _require_str(item, "state", where).upper()
        sid = _require_str(item, "status", f"{where} ({code})")
        if code not in _US_TILE_GRID:
            raise ValueError(f"{where}: '{code}' is not a US state or DC two-letter code")
        if code in assigned:
            raise ValueError(f"state-map lists '{code}' more than once")
        if sid not in by_id:
            raise ValueError(f"{where} ({code}): status '{sid}' is not defined in 'statuses'")
        assigned[code] = sid

    digest = hashlib.sha1(
        json.dumps(data, sort_keys=True, default=str).encode("utf-8")
    ).hexdigest()[:10]
    # One pattern per hatched status, drawn in that status's text colour so it shows on any fill.
    hatch_ids = {s[0]: f"hatch-{digest}-{k}" for k, s in enumerate(x for x in statuses if x[3])}

    pitch, tile = 54.0, 51.0
    cols = 1 + max(c for c, _r in _US_TILE_GRID.values())
    rows = 1 + max(r for _c, r in _US_TILE_GRID.values())
    x0 = (_WIDTH - (cols * pitch - (pitch - tile))) / 2
    y0 = 6.0

    body: list[str] = []
    if hatch_ids:
        body.append("<defs>")
        body.extend(
            f'<pattern id="{pid}" patternUnits="userSpaceOnUse" width="7" height="7">'
            f'<path d="M-1 1L1 -1M0 7L7 0M6 8L8 6" stroke="{_text_colour(fills[sid])}" '
            f'stroke-opacity="0.55" stroke-width="1.1"/></pattern>'
            for sid, pid in hatch_ids.items()
        )
        body.append("</defs>")

    for code in sorted(_US_TILE_GRID, key=lambda c: (_US_TILE_GRID[c][1], _US_TILE_GRID[c][0])):
        col, row = _US_TILE_GRID[code]
        x, y = x0 + col * pitch, y0 + row * pitch
        sid = assigned.get(code)
        if sid is None:
            body.append(
                f'<g class="tile missing"><rect x="{_n(x + 0.5)}" y="{_n(y + 0.5)}" '
                f'width="{_n(tile - 1)}" height="{_n(tile - 1)}" fill="#ffffff" '
                f'stroke="{_MUTED}" stroke-width="1" stroke-dasharray="3 2"/>'
                + _text(x + tile / 2, y + tile / 2 + 5, code, size=15, anchor="middle", fill=_MUTED)
                + "</g>"
            )
            continue
        _sid, _label, mark, unverified = by_id[sid]
        fill = fills[sid]
        ink = _text_colour(fill)
        parts = [
            '<g class="tile">',
            f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(tile)}" height="{_n(tile)}" fill="{fill}"/>',
        ]
        if unverified:
            parts.append(
                f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(tile)}" height="{_n(tile)}" '
                f'fill="url(#{hatch_ids[sid]})"/>'
            )
            parts.append(
                f'<rect x="{_n(x + 0.5)}" y="{_n(y + 0.5)}" width="{_n(tile - 1)}" '
                f'height="{_n(tile - 1)}" fill="none" stroke="{_MUTED}" stroke-width="1"/>'
            )
            # Solid plates behind the letters keep them legible over the hatching.
            parts.append(
                f'<rect x="{_n(x + tile / 2 - 15)}" y="{_n(y + tile / 2 - 7)}" width="30" '
                f'height="18" fill="{fill}"/>'
                f'<rect x="{_n(x + tile - 13)}" y="{_n(y + 2)}" width="11" height="13" '
                f'fill="{fill}"/>'
            )
        parts.append(
            _text(
                x + tile / 2,
                y + tile / 2 + 7,
                code,
                size=15,
                anchor="middle",
                fill=ink,
                weight="bold",
            )
        )
        parts.append(
            _text(
                x + tile - 4,
                y + 12,
                mark,
                size=_MIN_FONT,
                anchor="end",
                fill=ink,
                weight="bold",
                extra='class="mark"',
            )
        )
        parts.append("</g>")
        body.append("".join(parts))

    # Legend: swatch with mark + label + count, two columns filled top to bottom.
    counts = {sid: 0 for sid in by_id}
    for sid in assigned.values():
        counts[sid] += 1
    entries = [(s[0], s[2], s[1], counts[s[0]], s[3], False) for s in statuses]
    missing = len(_US_TILE_GRID) - len(assigned)
    if missing:
        entries.append(("", "", "No data", missing, False, True))

    legend_top = y0 + rows * pitch + 14
    col_w = (_WIDTH - 2 * x0) / 2
    per_col = math.ceil(len(entries) / 2)
    swatch = 20.0
    wrapped = [
        _wrap(f"{label} ({count})", col_w - swatch - 16) for _f, _m, label, count, _u, _x in entries
    ]
    row_heights = []
    for r in range(per_col):
        heights = [
            max(swatch, len(wrapped[i]) * 13 + 6) for i in (r, r + per_col) if i < len(entries)
        ]
        row_heights.append(max(heights) + 6)
    for i, (sid, mark, _label, _count, unverified, is_missing) in enumerate(entries):
        c, r = divmod(i, per_col)
        lx = x0 + c * col_w
        ly = legend_top + sum(row_heights[:r])
        if is_missing:
            body.append(
                f'<rect x="{_n(lx + 0.5)}" y="{_n(ly + 0.5)}" width="{_n(swatch - 1)}" '
                f'height="{_n(swatch - 1)}" fill="#ffffff" stroke="{_MUTED}" stroke-width="1" '
                f'stroke-dasharray="3 2"/>'
            )
        else:
            fill = fills[sid]
            body.append(
                f'<rect x="{_n(lx)}" y="{_n(ly)}" width="{_n(swatch)}" height="{_n(swatch)}" '
                f'fill="{fill}"/>'
            )
            if unverified:
                body.append(
                    f'<rect x="{_n(lx)}" y="{_n(ly)}" width="{_n(swatch)}" '
                    f'height="{_n(swatch)}" fill="url(#{hatch_ids[sid]})"/>'
                    f'<rect x="{_n(lx + 0.5)}" y="{_n(ly + 0.5)}" width="{_n(swatch - 1)}" '
                    f'height="{_n(swatch - 1)}" fill="none" stroke="{_MUTED}" stroke-width="1"/>'
                    f'<rect x="{_n(lx + 4)}" y="{_n(ly + 3)}" width="12" height="14" '
                    f'fill="{fill}"/>'
                )
            body.append(
                _text(
                    lx + swatch / 2,
                    ly + swatch / 2 + 4,
                    mark,
                    size=_FONT,
                    anchor="middle",
                    fill=_text_colour(fill),
                    weight="bold",
                )
            )
        for k, line in enumerate(wrapped[i]):
            body.append(_text(lx + swatch + 8, ly + 14 + k * 13, line))

    y_end = legend_top + sum(row_heights)
    as_of = data.get("as_of")
    if as_of not in (None, ""):
        body.append(_text(x0, y_end + 10, f"Status as of {as_of}", size=_MIN_FONT, fill=_MUTED))
        y_end += 16
    return y_end + 4, body
