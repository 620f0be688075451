"""The family name and character map of a plain TrueType/OpenType file, read directly.

Every check and build tests each printed character against the fonts' character maps. Through
fontTools that costs about 0.1 s of import plus 20-50 ms per face, every run, for the five Inter
faces alone; reading the two tables here takes about a millisecond. WOFF and WOFF2 (compressed)
and anything unusual go to fontTools instead (see source/theme.py).

Before fontTools opens a WOFF or WOFF2 file, :func:`packed_problem` reads the sizes the file
declares and decompresses it with the output capped at them: fontTools would decompress all of
it first (a 195 KB WOFF2 can expand to a gigabyte) and compare the sizes only afterwards.
"""

from __future__ import annotations

import struct
import zlib

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


# WOFF2's known table tags by index; only glyf and loca matter here (transformed by default).
_GLYF_LOCA = (10, 11)


def packed_problem(data: bytes, limit: int) -> str | None:
    """Why a WOFF or WOFF2 font is refused before it is decompressed (to follow its name), or
    None: sizes declared over ``limit`` bytes, or data that expands to more than declared."""
    try:
        if data[:4] == b"wOF2":
            return _woff2_problem(data, limit)
        if data[:4] == b"wOFF":
            return _woff_problem(data, limit)
    except (struct.error, IndexError, ValueError, zlib.error):
        return "is not a valid WOFF or WOFF2 font (its table directory is damaged); export it again"
    return None


def _too_big(size: int, limit: int) -> str | None:
    if size <= limit:
        return None
    return (f"declares {size / 1_000_000:.4g} MB once decompressed, over the "
            f"{limit / 1_000_000:g} MB a font may expand to (ten times max_file_mb); use a "
            "smaller font or subset it")


def _woff_problem(data: bytes, limit: int) -> str | None:
    count, _reserved, total = struct.unpack_from(">HHI", data, 12)
    meta_at, meta_length, meta_size = struct.unpack_from(">III", data, 24)
    declared = [total, meta_size]
    blocks = [(meta_at, meta_length, meta_size)] if meta_length else []
    for i in range(count):
        _tag, at, length, size, _sum = struct.unpack_from(">4sIIII", data, 44 + 20 * i)
        declared.append(size)
        blocks.append((at, length, size))
    problem = _too_big(max(total, sum(declared) - total), limit)
    if problem:
        return problem
    for at, length, size in blocks:
        # A table whose stored length differs from its own is compressed (else stored as is).
        if length != size and len(zlib.decompressobj().decompress(
                data[at:at + length], size + 1)) > size:
            return _EXPANDS
    return None


def _woff2_problem(data: bytes, limit: int) -> str | None:
    import brotli

    count, _reserved, total, packed = struct.unpack_from(">HHII", data, 12)
    meta_at, meta_length, meta_size = struct.unpack_from(">III", data, 28)
    at, expected, declared = 48, 0, 0
    for _ in range(count):
        flags = data[at]
        at += 1
        tag = data[at:at + 4] if flags & 0x3F == 0x3F else None
        at += 4 if tag is not None else 0
        size, at = _base128(data, at)
        glyf_loca = tag in (b"glyf", b"loca") if tag else flags & 0x3F in _GLYF_LOCA
        if (flags >> 6 == 0) == glyf_loca:  # transformed: the stream holds its new length
            stored, at = _base128(data, at)
        else:
            stored = size
        declared += size
        expected += stored
    problem = _too_big(max(total, declared, expected, meta_size), limit)
    if problem:
        return problem
    if data[4:8] == b"ttcf":
        return "is a WOFF2 font collection; use a file of one font (one face)"
    blocks = [(data[at:at + packed], expected)]
    if meta_length:
        blocks.append((data[meta_at:meta_at + meta_length], meta_size))
    for block, size in blocks:
        try:
            out = brotli.Decompressor().process(block, output_buffer_limit=size + 1)
        except brotli.error:
            return "is not a valid WOFF2 font (its compressed data is damaged); export it again"
        if len(out) > size:
            return _EXPANDS
    return None


_EXPANDS = ("expands to more data than it declares (a damaged or crafted font); export it "
            "again")


def _base128(data: bytes, at: int) -> tuple[int, int]:
    """WOFF2's UIntBase128: at most five bytes, seven bits each."""
    value = 0
    for i in range(5):
        byte = data[at + i]
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value, at + i + 1
    raise ValueError("UIntBase128 longer than five bytes")
