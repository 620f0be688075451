"""How a chart's numbers read: tick steps people can count in, and values in the edition's
language (its decimal mark and digit grouping), printed as reported."""

from __future__ import annotations

import math

from ..i18n import Words
from .common import num


def nice_step(span: float, target: int = 5) -> float:
    """Round a raw tick step up to 1, 2, 2.5 or 5 x 10^k so axis labels are easy to read."""
    if span <= 0:
        return 1.0
    raw = span / target
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * power + 1e-12:
            return factor * power
    return 10 * power


def format_value(value: float, step: float, words: Words) -> str:
    """Format a y value with thousands separators and only the decimals the data needs."""
    if float(value).is_integer() and float(step).is_integer():
        return words.decimal(round(value), 0)
    decimals = 1 if abs(step * 10 - round(step * 10)) < 1e-9 else 2
    return words.decimal(value, decimals)


def format_point(value: float, words: Words) -> str:
    """Label a data point exactly as reported (no rounding of non-integers beyond 3 places)."""
    if float(value).is_integer():
        return words.decimal(int(value), 0)
    return words.decimal(value, 3, trim=True)


def format_year(value: float) -> str:
    """Years are shown without separators (2016, not 2,016)."""
    return str(int(value)) if float(value).is_integer() else num(value)
