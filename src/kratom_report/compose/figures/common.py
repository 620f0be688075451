"""Helpers shared by every figure kind: SVG output, text layout, data checks and colour maths.

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
import math
import re
import textwrap
from collections.abc import Mapping
from typing import Any

# What every kind's body function returns: the content height and the SVG fragments in order.
Body = tuple[float, list[str]]

WIDTH = 640
MIN_FONT = 10  # viewBox units; ~7 pt once 640 units are scaled to a 160 mm column
FONT = 11
CHAR_EM = 0.56  # conservative average glyph advance (em) for wrapping without font metrics
INK = "#1a1a1a"
MUTED = "#4d4d4d"
GRID = "#d0d0d0"
HEX_RE = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


# --------------------------------------------------------------------------- SVG helpers


def _xml_escape(text: str, entities: Mapping[str, str]) -> str:
    """What ``xml.sax.saxutils.escape`` does, without importing it (it pulls in urllib, http and
    ssl: about 40 ms of every ``check``)."""
    text = text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")
    for char, entity in entities.items():
        text = text.replace(char, entity)
    return text


def esc(text: Any) -> str:
    """Escape text for element content and double-quoted attributes (labels are untrusted).

    Control characters are dropped because XML cannot represent them at all.
    """
    return _xml_escape(_CONTROL_RE.sub("", str(text)), {'"': "&quot;"})


def num(value: float) -> str:
    """Format a coordinate with fixed precision so output is byte-for-byte deterministic."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def svg_document(title: str, font_family: str, height: float, body: list[str]) -> str:
    """Wrap figure content in the root element; <title> must be the first child for /Alt."""
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {WIDTH} {num(math.ceil(height))}" width="100%">'
        f"<title>{esc(title)}</title>"
        f'<g font-family="{esc(font_family)}" font-size="{FONT}" fill="{INK}">'
    )
    return head + "".join(body) + "</g></svg>"


def svg_text(
    x: float,
    y: float,
    content: str,
    *,
    size: float = FONT,
    anchor: str = "start",
    fill: str | None = None,
    weight: str | None = None,
    extra: str = "",
) -> str:
    """One <text> element at a baseline position (explicit baselines render the same everywhere)."""
    attrs = [f'x="{num(x)}"', f'y="{num(y)}"']
    if size != FONT:
        attrs.append(f'font-size="{num(size)}"')
    if anchor != "start":
        attrs.append(f'text-anchor="{anchor}"')
    if fill:
        attrs.append(f'fill="{fill}"')
    if weight:
        attrs.append(f'font-weight="{weight}"')
    if extra:
        attrs.append(extra)
    return f"<text {' '.join(attrs)}>{esc(content)}</text>"


def marker(shape: str, x: float, y: float, colour: str, *, filled: bool, cls: str) -> str:
    """Draw a data marker; shapes and fill differ per series so series read without colour."""
    fill = colour if filled else "#ffffff"
    stroke = "#ffffff" if filled else colour
    width = "1" if filled else "1.6"
    paint = f'fill="{fill}" stroke="{stroke}" stroke-width="{width}" class="{cls}"'
    if shape == "circle":
        return f'<circle cx="{num(x)}" cy="{num(y)}" r="4.8" {paint}/>'
    if shape == "square":
        return f'<rect x="{num(x - 4.3)}" y="{num(y - 4.3)}" width="8.6" height="8.6" {paint}/>'
    if shape == "triangle":
        d = f"M{num(x)} {num(y - 5.6)}L{num(x + 5.2)} {num(y + 3.6)}L{num(x - 5.2)} {num(y + 3.6)}Z"
        return f'<path d="{d}" {paint}/>'
    d = (
        f"M{num(x)} {num(y - 5.8)}L{num(x + 5.8)} {num(y)}"
        f"L{num(x)} {num(y + 5.8)}L{num(x - 5.8)} {num(y)}Z"
    )
    return f'<path d="{d}" {paint}/>'


# --------------------------------------------------------------------------- text layout


def wrap(text: str, width_units: float, size: float = FONT) -> list[str]:
    """Wrap text to an estimated width; estimates are conservative because SVG cannot reflow."""
    chars = max(8, int(width_units / (size * CHAR_EM)))
    lines = textwrap.wrap(" ".join(str(text).split()), width=chars, break_on_hyphens=False)
    return lines or [""]


def text_width(text: str, size: float = FONT) -> float:
    """Estimated rendered width, used only for collision checks and layout."""
    return len(text) * size * CHAR_EM


# --------------------------------------------------------------------------- data checks


def require_list(data: Mapping[str, Any], key: str, kind: str) -> list[Any]:
    """Fetch a required non-empty list so bad data fails loudly instead of drawing nothing."""
    value = data.get(key)
    if not isinstance(value, list) or not value:
        raise ValueError(f"{kind} figure data needs a non-empty '{key}' list")
    return value


def require_str(item: Any, key: str, where: str) -> str:
    """Fetch a required non-empty string field from a list item."""
    if not isinstance(item, Mapping):
        raise ValueError(f"{where} must be a mapping, got {type(item).__name__}")
    value = item.get(key)
    if value is None or isinstance(value, bool) or not str(value).strip():
        raise ValueError(f"{where} is missing '{key}'")
    return str(value).strip()


def number(value: Any, where: str) -> float:
    """Accept real numbers only (not bools or numeric strings) so typos in YAML surface early."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{where} must be a finite number, got {value!r}")
    return float(value)


def parse_date(value: Any, where: str) -> tuple[int, int, int]:
    """Parse YYYY / YYYY-MM / YYYY-MM-DD into (year, month, day); 0 marks what was not written,
    so the sort key is also the precision the date is printed at."""
    if isinstance(value, _dt.datetime):
        value = value.date()
    if isinstance(value, _dt.date):
        return value.year, value.month, value.day
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    text = str(value).strip() if isinstance(value, str) else ""
    match = re.fullmatch(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?", text)
    if not match:
        raise ValueError(f"{where}: date {value!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    year = int(match.group(1))
    month = int(match.group(2)) if match.group(2) else 0
    day = int(match.group(3)) if match.group(3) else 0
    try:
        _dt.date(year, month or 1, day or 1)
    except ValueError as exc:
        raise ValueError(f"{where}: date {value!r} is not a valid date ({exc})") from None
    return year, month, day


# --------------------------------------------------------------------------- colour maths


def expand_hex(colour: str) -> str:
    """Normalise #rgb to lower-case #rrggbb so luminance maths has one input form."""
    colour = colour.lower()
    if len(colour) == 4:
        colour = "#" + "".join(ch * 2 for ch in colour[1:])
    return colour


def luminance(colour: str) -> float:
    """WCAG relative luminance of a #rrggbb colour (the basis of every contrast decision)."""
    channels = []
    for i in (1, 3, 5):
        c = int(colour[i : i + 2], 16) / 255
        channels.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    r, g, b = channels
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio between two #rrggbb colours, the measure AA legibility is judged by."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_colour(fill: str) -> str:
    """Pick the label colour with the best contrast (near-black or white; AA needs >= 4.5:1)."""
    candidates = ("#111111", "#ffffff", "#000000")
    return max(candidates, key=lambda c: (contrast(c, fill), -candidates.index(c)))
