"""Timeline figure: a vertical list of dated events on a rule."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..i18n import Words
from .common import GRID, WIDTH, Body, num, parse_date, require_list, require_str, svg_text, wrap

# Sort key, file position, date label, event label.
_Row = tuple[tuple[int, int, int], int, str, str]

_DATE_RIGHT, _RULE_X, _LABEL_X = 112.0, 128.0, 144.0
_LINE_H, _GAP, _TOP = 14.5, 9.0, 18.0


def _collect_events(data: Mapping[str, Any], words: Words) -> list[_Row]:
    """Validate every event before drawing so one bad date fails the figure, not just a row."""
    events = require_list(data, "events", "timeline")
    rows = []
    for i, event in enumerate(events):
        where = f"timeline event {i + 1}"
        label = require_str(event, "label", where)
        if "date" not in event or event["date"] in (None, ""):
            raise ValueError(f"{where} is missing 'date'")
        key = parse_date(event["date"], where)
        rows.append((key, i, words.figure_date(*key), label))
    rows.sort(key=lambda row: (row[0], row[1]))  # stable: equal dates keep file order
    return rows


def timeline_body(data: Mapping[str, Any], accent: str, words: Words) -> Body:
    """Vertical list timeline: date | dot on a rule | wrapped label, so labels can never collide.

    Dates print in the edition's language (``words``)."""
    rows = _collect_events(data, words)

    label_width = WIDTH - _LABEL_X - 12
    layout = []
    y = _TOP
    for key, _i, date_label, label in rows:
        lines = wrap(label, label_width)
        layout.append((y, key[0], date_label, lines))
        y += len(lines) * _LINE_H + _GAP
    bottom = y - _GAP
    first_dot, last_dot = layout[0][0] - 4, layout[-1][0] - 4

    body = [
        f'<line x1="{num(_RULE_X)}" y1="{num(first_dot - 10)}" x2="{num(_RULE_X)}" '
        f'y2="{num(last_dot + 10)}" stroke="{GRID}" stroke-width="2"/>'
    ]
    previous_year = None
    for baseline, year, date_label, lines in layout:
        weight = "bold" if year != previous_year else None  # bold marks where a new year starts
        previous_year = year
        body.append(svg_text(_DATE_RIGHT, baseline, date_label, anchor="end", weight=weight))
        body.append(
            f'<circle cx="{num(_RULE_X)}" cy="{num(baseline - 4)}" r="5" fill="{accent}" '
            f'stroke="#ffffff" stroke-width="1.5" class="event"/>'
        )
        body.extend(
            svg_text(_LABEL_X, baseline + j * _LINE_H, line) for j, line in enumerate(lines)
        )
    return bottom + 10, body
