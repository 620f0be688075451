"""Series chart: reported points per series, joined only within a series, with a direct legend."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..i18n import N_, Words
from .chartnumbers import format_point, format_value, format_year, nice_step
from .common import (
    GRID,
    INK,
    MIN_FONT,
    MUTED,
    WIDTH,
    Body,
    marker,
    num,
    number,
    require_list,
    require_str,
    svg_text,
    text_width,
    wrap,
)

# Series colours after the accent: Okabe-Ito hues plus a dark grey, chosen to differ in
# lightness from typical dark accents so lines stay distinguishable in greyscale.
_SERIES_COLOURS = ("#d55e00", "#4d4d4d", "#009e73", "#cc79a7", "#e69f00", "#56b4e9")
_SERIES_DASHES = ("6 4", "2 3", "8 3 2 3", "4 2", "1 2", "10 4")
_MARKERS = ("circle", "square", "triangle", "diamond")
_PLOT_H = 230.0
_MAX_LABELLED_POINTS = 40  # beyond this, value labels would crowd out the data they describe
_YEAR = N_("Year")
_UNITS_IN_LEGEND = N_("Values: units as in the legend")
_GAP_NOTE = N_("Points are not joined across years with no reported value; no value is "
               "shown for those years.")

_Point = tuple[float, float]
_Series = tuple[str, str, list[_Point]]  # label, unit, points sorted by x
_Style = tuple[str, str, bool, str]  # colour, marker shape, filled, dash pattern
_Box = tuple[float, float, float, float]  # x0, y0, x1, y1
_Spot = tuple[float, float, str]  # baseline x, baseline y, text-anchor


# --------------------------------------------------------------------------- data


def _collect_points(item: Mapping[str, Any], where: str, label: str) -> list[_Point]:
    """Validate one series' points; only reported values may be drawn, so nothing is guessed."""
    points_raw = item.get("points")
    if not isinstance(points_raw, list) or not points_raw:
        raise ValueError(f"{where} ('{label}') needs a non-empty 'points' list")
    points = []
    for j, point in enumerate(points_raw):
        if not isinstance(point, Mapping) or "x" not in point or "y" not in point:
            raise ValueError(f"{where} ('{label}') point {j + 1} needs 'x' and 'y'")
        points.append(
            (
                number(point["x"], f"{where} point {j + 1} x"),
                number(point["y"], f"{where} point {j + 1} y"),
            )
        )
    points.sort()
    xs = [p[0] for p in points]
    if len(set(xs)) != len(xs):
        raise ValueError(f"{where} ('{label}') has more than one point for the same x")
    return points


def _collect_series(data: Mapping[str, Any]) -> list[_Series]:
    """Validate all series up front so a bad point fails the figure instead of drawing a gap."""
    raw_series = require_list(data, "series", "series")
    series = []
    for i, item in enumerate(raw_series):
        where = f"series {i + 1}"
        label = require_str(item, "label", where)
        unit = str(item.get("unit") or "").strip()
        series.append((label, unit, _collect_points(item, where, label)))
    return series


def _series_styles(count: int, accent: str) -> list[_Style]:
    """Give each series its own colour, marker, fill and dash so series read without colour."""
    colours = (accent, *_SERIES_COLOURS)
    styles = []
    for i in range(count):
        shape = _MARKERS[i % len(_MARKERS)]
        filled = (i // len(_MARKERS)) % 2 == 0
        styles.append((colours[i % len(colours)], shape, filled, _SERIES_DASHES[i % 6]))
    return styles


def _has_gap(points: Sequence[_Point]) -> bool:
    """Gaps in reported years are drawn dashed, so the key must show the dash too."""
    return any(b[0] - a[0] > 1 for a, b in zip(points, points[1:], strict=False))


# --------------------------------------------------------------------------- scales


@dataclass(frozen=True)
class _Scale:
    """Plot frame and data ranges, shared by every drawing step so they agree on coordinates."""

    left: float
    right: float
    top: float
    bottom: float
    x_min: float
    x_max: float
    x_pad: float
    y_lo_tick: float
    y_hi_tick: float
    step: float

    def sx(self, v: float) -> float:
        """Map a data x to viewBox units; the padding keeps edge markers off the frame."""
        x_lo, x_hi = self.x_min - self.x_pad, self.x_max + self.x_pad
        return self.left + (v - x_lo) / (x_hi - x_lo) * (self.right - self.left)

    def sy(self, v: float) -> float:
        """Map a data y to viewBox units between the outer ticks."""
        return self.bottom - (v - self.y_lo_tick) / (self.y_hi_tick - self.y_lo_tick) * _PLOT_H


def _compute_scale(series: Sequence[_Series], legend_bottom: float, words: Words) -> _Scale:
    """The y range always includes zero so changes are not exaggerated, and ends on nice ticks."""
    all_x = [p[0] for _l, _u, pts in series for p in pts]
    all_y = [p[1] for _l, _u, pts in series for p in pts]
    x_min, x_max = min(all_x), max(all_x)
    if x_max - x_min < 1:
        x_min, x_max = x_min - 1, x_max + 1
    y_low = min(0.0, min(all_y))
    y_high = max(all_y)
    if y_high <= y_low:
        y_high = y_low + 1
    step = nice_step((y_high - y_low) * 1.08)
    y_lo_tick = math.floor(y_low / step) * step
    y_hi_tick = math.ceil(y_high * 1.08 / step) * step if y_high > 0 else 0.0
    if y_hi_tick <= y_lo_tick:
        y_hi_tick = y_lo_tick + step

    # The left margin must fit the widest tick label.
    left = 20 + max(text_width(format_value(v, step, words), MIN_FONT)
                    for v in (y_lo_tick, y_hi_tick))
    top = legend_bottom + 14
    return _Scale(
        left=max(left, 56.0),
        right=WIDTH - 24.0,
        top=top,
        bottom=top + _PLOT_H,
        x_min=x_min,
        x_max=x_max,
        x_pad=(x_max - x_min) * 0.04 + 0.3,
        y_lo_tick=y_lo_tick,
        y_hi_tick=y_hi_tick,
        step=step,
    )


# --------------------------------------------------------------------------- drawing


def _draw_legend(series: Sequence[_Series], styles: Sequence[_Style]) -> tuple[list[str], float]:
    """Direct labels with unit above the plot, so the unit is never separated from its series."""
    body: list[str] = []
    y = 16.0
    key_x0, key_x1, text_x = 14.0, 50.0, 60.0
    for (label, unit, points), (colour, shape, filled, dash) in zip(series, styles, strict=True):
        text = f"{label} — {unit}" if unit else label
        lines = wrap(text, WIDTH - text_x - 10)
        mid = y - 4
        if len(points) > 1:
            dash_attr = f' stroke-dasharray="{dash}"' if _has_gap(points) else ""
            body.append(
                f'<line x1="{num(key_x0)}" y1="{num(mid)}" x2="{num(key_x1)}" y2="{num(mid)}" '
                f'stroke="{colour}" stroke-width="2"{dash_attr}/>'
            )
        body.append(marker(shape, (key_x0 + key_x1) / 2, mid, colour, filled=filled, cls="key"))
        body.extend(svg_text(text_x, y + k * 14, line) for k, line in enumerate(lines))
        y += len(lines) * 14 + 6
    return body, y


def _draw_y_grid(scale: _Scale, words: Words) -> list[str]:
    """Horizontal grid with y tick labels; the zero line is darker because it is the baseline."""
    body: list[str] = []
    tick_count = int(round((scale.y_hi_tick - scale.y_lo_tick) / scale.step))
    for k in range(tick_count + 1):
        value = scale.y_lo_tick + k * scale.step
        ty = scale.sy(value)
        stroke = MUTED if abs(value) < 1e-12 else GRID
        body.append(
            f'<line x1="{num(scale.left)}" y1="{num(ty)}" x2="{num(scale.right)}" y2="{num(ty)}" '
            f'stroke="{stroke}" stroke-width="{"1" if stroke == MUTED else "0.7"}"/>'
        )
        body.append(
            svg_text(
                scale.left - 6,
                ty + 3.5,
                format_value(value, scale.step, words),
                size=MIN_FONT,
                anchor="end",
                fill=MUTED,
            )
        )
    return body


def _draw_x_ticks(scale: _Scale) -> list[str]:
    """X ticks: every year when the span is short, otherwise a nice step."""
    body: list[str] = []
    x_min, x_max, bottom = scale.x_min, scale.x_max, scale.bottom
    x_step = 1.0 if x_max - x_min <= 14 else nice_step(x_max - x_min, 8)
    x_step = max(1.0, round(x_step))
    tick = math.ceil(x_min / x_step) * x_step
    while tick <= x_max + 1e-9:
        tx = scale.sx(tick)
        body.append(
            f'<line x1="{num(tx)}" y1="{num(bottom)}" x2="{num(tx)}" y2="{num(bottom + 4)}" '
            f'stroke="{MUTED}" stroke-width="1"/>'
        )
        body.append(
            svg_text(
                tx, bottom + 16, format_year(tick), size=MIN_FONT, anchor="middle", fill=MUTED
            )
        )
        tick += x_step
    return body


def _draw_lines(
    series: Sequence[_Series], styles: Sequence[_Style], scale: _Scale
) -> tuple[list[str], bool]:
    """Never join different series, and never draw across a year with no reported value.

    A line between two observations years apart would show values nobody reported (the data
    files say: never interpolate); such points stand alone, and a note says why.
    """
    body: list[str] = []
    any_gap = False
    for (_label, _unit, points), (colour, _shape, _filled, _dash) in zip(
        series, styles, strict=True
    ):
        for a, b in zip(points, points[1:], strict=False):
            if b[0] - a[0] > 1:
                any_gap = True
                continue
            body.append(
                f'<line x1="{num(scale.sx(a[0]))}" y1="{num(scale.sy(a[1]))}" '
                f'x2="{num(scale.sx(b[0]))}" y2="{num(scale.sy(b[1]))}" '
                f'stroke="{colour}" stroke-width="2"/>'
            )
    return body, any_gap


def _axis_titles(series: Sequence[_Series], scale: _Scale,
                 words: Words) -> tuple[list[str], float]:
    """"Year" under the x axis when x is a year; the unit over the y axis when it is shared."""
    body: list[str] = []
    extra = 0.0
    xs = [p[0] for _l, _u, pts in series for p in pts]
    if all(float(x).is_integer() and 1000 <= x <= 3000 for x in xs):
        body.append(svg_text((scale.left + scale.right) / 2, scale.bottom + 32,
                             words.gettext(_YEAR),
                             size=MIN_FONT, anchor="middle", fill=MUTED))
        extra = 14.0
    units = {u for _l, u, _p in series if u}
    title = next(iter(units)) if len(units) == 1 else (words.gettext(_UNITS_IN_LEGEND)
                                                       if units else "")
    if title:
        body.append(svg_text(scale.left, scale.top - 4, title, size=MIN_FONT, anchor="start",
                             fill=MUTED))
    return body, extra


def _draw_markers(
    series: Sequence[_Series], styles: Sequence[_Style], scale: _Scale
) -> tuple[list[str], list[_Box]]:
    """Markers go on top of lines; their boxes are returned so value labels can avoid them."""
    body: list[str] = []
    marker_boxes = []
    for (_label, _unit, points), (colour, shape, filled, _dash) in zip(series, styles, strict=True):
        for px, py in points:
            cx, cy = scale.sx(px), scale.sy(py)
            body.append(marker(shape, cx, cy, colour, filled=filled, cls="pt"))
            marker_boxes.append((cx - 6, cy - 6, cx + 6, cy + 6))
    return body, marker_boxes


def _label_box(spot: _Spot, width: float) -> _Box:
    """Approximate bounding box (x0, y0, x1, y1) of a value label at a baseline spot."""
    x, y, anchor = spot
    if anchor == "middle":
        x0 = x - width / 2
    elif anchor == "end":
        x0 = x - width
    else:
        x0 = x
    return (x0 - 1, y - MIN_FONT * 0.8, x0 + width + 1, y + MIN_FONT * 0.25)


def _overlap(a: Sequence[float], b: Sequence[float]) -> bool:
    """Axis-aligned box intersection test."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _choose_spot(
    cx: float, cy: float, width: float, scale: _Scale, blocked: Sequence[_Box]
) -> _Spot | None:
    """First free spot (above, below, right, left) inside the plot, or None when crowded."""
    spots = (
        (cx, cy - 9, "middle"),
        (cx, cy + 18, "middle"),
        (cx + 9, cy + 3.5, "start"),
        (cx - 9, cy + 3.5, "end"),
    )
    for spot in spots:
        box = _label_box(spot, width)
        inside = box[1] >= scale.top - 12 and box[3] <= scale.bottom - 1
        if inside and not any(_overlap(box, o) for o in blocked):
            return spot
    return None


def _draw_value_labels(
    series: Sequence[_Series], scale: _Scale, marker_boxes: list[_Box], words: Words
) -> list[str]:
    """Value labels placed to avoid markers and earlier labels, on a plate for legibility."""
    body: list[str] = []
    placed: list[_Box] = []
    for _label, _unit, points in series:
        for px, py in points:
            cx, cy = scale.sx(px), scale.sy(py)
            text = format_point(py, words)
            w = len(text) * MIN_FONT * 0.64  # bold digits are wider than average text
            choice = _choose_spot(cx, cy, w, scale, placed + marker_boxes)
            if choice is None:
                continue  # crowded: the marker is still drawn; an unreadable label is not
            box = _label_box(choice, w)
            placed.append(box)
            body.append(
                f'<rect x="{num(box[0])}" y="{num(box[1])}" width="{num(box[2] - box[0])}" '
                f'height="{num(box[3] - box[1])}" fill="#ffffff" fill-opacity="0.85"/>'
            )
            body.append(
                svg_text(
                    choice[0],
                    choice[1],
                    text,
                    size=MIN_FONT,
                    anchor=choice[2],
                    fill=INK,
                    weight="bold",
                )
            )
    return body


def series_body(data: Mapping[str, Any], accent: str, words: Words) -> Body:
    """Point/line chart: only reported points, joined only between consecutive years.

    The axis title, notes and numbers print in the edition's language (``words``)."""
    series = _collect_series(data)
    styles = _series_styles(len(series), accent)

    body, legend_bottom = _draw_legend(series, styles)
    scale = _compute_scale(series, legend_bottom, words)
    body.extend(_draw_y_grid(scale, words))
    body.extend(_draw_x_ticks(scale))
    lines, any_gap = _draw_lines(series, styles, scale)
    body.extend(lines)
    markers, marker_boxes = _draw_markers(series, styles, scale)
    body.extend(markers)
    if sum(len(pts) for _l, _u, pts in series) <= _MAX_LABELLED_POINTS:
        body.extend(_draw_value_labels(series, scale, marker_boxes, words))

    titles, extra = _axis_titles(series, scale, words)
    body.extend(titles)
    y_end = scale.bottom + 22 + extra
    if any_gap:
        note, y_end = _gap_note(scale, y_end, words)
        body.extend(note)
    return y_end + 4, body


def _gap_note(scale: _Scale, y_end: float, words: Words) -> tuple[list[str], float]:
    """Why some points stand alone, wrapped to the plot's width (a translation may be longer)."""
    body = []
    for line in wrap(words.gettext(_GAP_NOTE), WIDTH - scale.left, MIN_FONT):
        body.append(svg_text(scale.left, y_end + 12, line, size=MIN_FONT, fill=MUTED))
        y_end += 16
    return body, y_end
