"""The font of a review copy's margin text, embedded (PDF/UA wants every font embedded, even
an artifact's): the shipped Noto Sans Mono, cut down to the characters the margin writes, as
a simple TrueType font in Windows-1252, so the text is plain one-byte strings. Monospaced, so
a label's width is exact: its length times one advance.
"""

from __future__ import annotations

import io
from typing import Any

from ..fingerprint import digest
from .fonts import SHIPPED_FONTS

ENCODING = "cp1252"
FACES = {"regular": "NotoSansMono-Regular.ttf", "bold": "NotoSansMono-Bold.ttf"}


def embedded_font(pdf: Any, face: str, text: str) -> tuple[Any, float]:
    """An indirect font dictionary in ``pdf`` for ``text``'s characters (those Windows-1252
    has, and "?" for the others), and the width of every character in em."""
    import pikepdf
    from fontTools import subset
    from fontTools.ttLib import TTFont

    chars = sorted({ch for ch in text + "0123456789?" if _encodable(ch)})
    font = TTFont(SHIPPED_FONTS / FACES[face])
    options = subset.Options()
    options.name_IDs, options.notdef_outline, options.recalc_timestamp = ["*"], True, False
    cutter = subset.Subsetter(options)
    cutter.populate(unicodes=[ord(ch) for ch in chars])
    cutter.subset(font)
    data = io.BytesIO()
    font.save(data)
    program = data.getvalue()
    scale = 1000 / font["head"].unitsPerEm
    cmap, metrics = font.getBestCmap(), font["hmtx"]
    widths = []
    for code in range(32, 256):
        glyph = cmap.get(ord(bytes([code]).decode(ENCODING, "replace")))
        widths.append(round(metrics[glyph][0] * scale) if glyph else 0)
    # A subset's name starts with six capitals (ISO 32000 9.6.4), here from its own bytes.
    tag = "".join(chr(65 + int(digest(program)[i:i + 2], 16) % 26) for i in range(0, 12, 2))
    name = pikepdf.Name(f"/{tag}+{font['name'].getDebugName(6) or 'NotoSansMono'}")
    head, os2 = font["head"], font["OS/2"]
    descriptor = pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.FontDescriptor, FontName=name, Flags=32 | 1,  # nonsymbolic, fixed
        FontBBox=[round(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax)],
        ItalicAngle=0, Ascent=round(os2.sTypoAscender * scale),
        Descent=round(os2.sTypoDescender * scale),
        CapHeight=round(getattr(os2, "sCapHeight", os2.sTypoAscender) * scale),
        StemV=140 if face == "bold" else 80,
        FontFile2=pikepdf.Stream(pdf, program, Length1=len(program))))
    return pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.TrueType, BaseFont=name, FirstChar=32,
        LastChar=255, Widths=widths, Encoding=pikepdf.Name.WinAnsiEncoding,
        FontDescriptor=descriptor)), widths[ord("0") - 32] / 1000


def _encodable(ch: str) -> bool:
    try:
        return len(ch.encode(ENCODING)) == 1 and ord(ch) >= 32
    except UnicodeEncodeError:
        return False
