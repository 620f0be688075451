"""The family name and character map of a plain TrueType/OpenType file, read directly.

Every check and build tests each printed character against the fonts' character maps. Through
fontTools that costs about 0.1 s of import plus 20-50 ms per face, every run, for the five Inter
faces alone; reading the two tables here takes about a millisecond. WOFF and WOFF2 (compressed)
and anything unusual go to fontTools instead (see source/theme.py).
"""

from __future__ import annotations

import struct

_SFNT = (b"\x00\x01\x00\x00", b"OTTO", b"true")
# Unicode character maps, best first: (platform, encoding, format).
_PREFERRED = ((3, 10, 12), (0, 4, 12), (0, 6, 12), (3, 1, 4), (0, 3, 4))


def read_sfnt(data: bytes) -> tuple[str, frozenset[int]] | None:
    """(family, code points) of an uncompressed font, or None when this reader cannot tell."""
    if data[:4] not in _SFNT:
        return None
    try:
        tables = _tables(data)
        cmap = _cmap(data, tables["cmap"])
        family = _family(data, tables["name"])
    except (KeyError, struct.error, IndexError, UnicodeDecodeError):
        return None
    if not cmap or not family:
        return None
    return family, cmap


def _tables(data: bytes) -> dict[str, int]:
    (count,) = struct.unpack_from(">H", data, 4)
    out = {}
    for i in range(count):
        tag, _sum, offset, _length = struct.unpack_from(">4sIII", data, 12 + 16 * i)
        out[tag.decode("latin-1")] = offset
    return out


def _cmap(data: bytes, base: int) -> frozenset[int] | None:
    _version, count = struct.unpack_from(">HH", data, base)
    subtables = {}
    for i in range(count):
        platform, encoding, offset = struct.unpack_from(">HHI", data, base + 4 + 8 * i)
        (fmt,) = struct.unpack_from(">H", data, base + offset)
        subtables[(platform, encoding, fmt)] = base + offset
    for key in _PREFERRED:
        if key in subtables:
            return _format12(data, subtables[key]) if key[2] == 12 else \
                _format4(data, subtables[key])
    return None


def _format12(data: bytes, at: int) -> frozenset[int]:
    (groups,) = struct.unpack_from(">I", data, at + 12)
    out: set[int] = set()
    for i in range(groups):
        start, end, glyph = struct.unpack_from(">III", data, at + 16 + 12 * i)
        out.update(range(start + (glyph == 0), end + 1))  # glyph 0 is "missing"
    return frozenset(out)


def _format4(data: bytes, at: int) -> frozenset[int]:
    (seg2,) = struct.unpack_from(">H", data, at + 6)
    segs = seg2 // 2
    ends = struct.unpack_from(f">{segs}H", data, at + 14)
    starts = struct.unpack_from(f">{segs}H", data, at + 16 + seg2)
    deltas = struct.unpack_from(f">{segs}h", data, at + 16 + 2 * seg2)
    range_at = at + 16 + 3 * seg2
    ranges = struct.unpack_from(f">{segs}H", data, range_at)
    out: set[int] = set()
    for i in range(segs):
        for code in range(starts[i], ends[i] + 1):
            if code == 0xFFFF:
                continue
            if ranges[i] == 0:
                glyph = (code + deltas[i]) & 0xFFFF
            else:
                (glyph,) = struct.unpack_from(
                    ">H", data, range_at + 2 * i + ranges[i] + 2 * (code - starts[i]))
                glyph = (glyph + deltas[i]) & 0xFFFF if glyph else 0
            if glyph:
                out.add(code)
    return frozenset(out)


def _family(data: bytes, base: int) -> str | None:
    _fmt, count, strings = struct.unpack_from(">HHH", data, base)
    found: dict[tuple[int, int], str] = {}
    for i in range(count):
        platform, _enc, lang, name_id, length, offset = struct.unpack_from(
            ">HHHHHH", data, base + 6 + 12 * i)
        raw = data[base + strings + offset: base + strings + offset + length]
        if platform == 3 and lang == 0x409:
            found.setdefault((name_id, 0), raw.decode("utf-16-be"))
        elif platform == 1 and lang == 0:
            found.setdefault((name_id, 1), raw.decode("latin-1"))
    for key in ((16, 0), (1, 0), (16, 1), (1, 1)):
        if key in found:
            return found[key]
    return None
