"""report.yaml's defaults and valid ranges, shared by the model and the quick reader."""

from __future__ import annotations

import math
from typing import Any

DEFAULT_MAX_FILE_MB = 5
# Bounded: a size limit of infinity, NaN or a terabyte is no limit at all.
MAX_FILE_MB_CEILING = 1000
DEFAULT_REFERENCES = ("references.yaml",)
DEFAULT_CHANGELOG = "changelog.yaml"


def file_limit(value: Any) -> int | None:
    """``max_file_mb`` in bytes, or None when the value is not a number in (0, 1000]."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or not 0 < value <= MAX_FILE_MB_CEILING:
        return None
    return int(value * 1_000_000)


def limit_bytes(value: Any) -> int:
    """``max_file_mb`` in bytes; the default for a missing or invalid value."""
    return file_limit(value) or DEFAULT_MAX_FILE_MB * 1_000_000


def over_limit(size: int, max_bytes: int) -> str | None:
    """The one wording for a file over ``max_file_mb``: "is 1.2 MB, over the 1 MB limit…"
    (to follow the file's name), or None when it is within the limit."""
    if size <= max_bytes:
        return None
    return (f"is {size / 1_000_000:.3g} MB, over the {max_bytes / 1_000_000:g} MB limit (make "
            "it smaller, or raise max_file_mb in report.yaml)")


FONT_EXPANSION = 10  # a WOFF or WOFF2 font may declare at most this many times max_file_mb


def font_limit(max_bytes: int) -> int:
    """How large a compressed font may be once decompressed, in bytes."""
    return FONT_EXPANSION * max_bytes


# The longest name a slug, an edition id or a section id may have. They become file names: the
# longest output is <slug>-<edition>-v<version>-draft-changes-since-<version>-print.html (221
# bytes with 64-character ids and versions of three 9-digit numbers); its build record adds
# ".json" and an atomic write ".", ".XXXXXXXX.tmp" and ".old": 244 bytes, under the 255 that
# file systems allow.
MAX_ID = 64
