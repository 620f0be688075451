"""Make text whose shaping splits one character into two glyphs extract as that text.

Text shapers draw Thai SARA AM (U+0E33, as in "สำคัญ") as two glyphs, NIKHAHIT and SARA AA,
and SARA AA is also the glyph of U+0E32 on its own. A PDF maps each glyph to one text, and
WeasyPrint keeps the first text it met: one of the two characters then copies and extracts
as the other ("สารบัญ" reads "สำรบัญ"). Mapping each glyph to its own character (NIKHAHIT to
U+0E4D, SARA AA to U+0E32) makes every word extract as its compatibility decomposition
(NFKC), the form search and copy-paste treat as the same text.

Only PDFs whose HTML holds such a character are opened; all others are left byte for byte.
"""

from __future__ import annotations

import io
import re

import pikepdf

# A character drawn as two glyphs -> the characters of those glyphs, in drawing order.
SPLIT = {"\u0e33": "\u0e4d\u0e32", "\u0eb3": "\u0ecd\u0eb2"}  # Thai and Lao SARA AM
_BFCHAR = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]*)>")


def needs_fix(html: str) -> bool:
    return any(c in html for c in SPLIT)


def fix_split_glyphs(pdf: bytes) -> bytes:
    """The PDF with each font's ToUnicode map giving split characters' glyphs their own
    characters; deterministic, like every other step after rendering."""
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        if not fix_split_glyphs_in(doc):
            return pdf
        out = io.BytesIO()
        doc.save(out, deterministic_id=True, fix_metadata_version=False)
        return out.getvalue()


def fix_split_glyphs_in(doc: pikepdf.Pdf) -> bool:
    """The work of :func:`fix_split_glyphs` on an open PDF; True when anything changed."""
    changed = False
    seen: set[tuple[int, int]] = set()
    for page in doc.pages:
        resources = page.obj.get("/Resources")
        fonts = resources.get("/Font") if isinstance(resources, pikepdf.Dictionary) else None
        for font in dict(fonts).values() if isinstance(fonts, pikepdf.Dictionary) else ():
            if font.objgen in seen or "/ToUnicode" not in font:
                continue
            seen.add(font.objgen)
            changed = _fix_font(font) or changed
    return changed


def _fix_font(font: pikepdf.Object) -> bool:
    """Rewrite one ToUnicode map; glyph ids come from the embedded font's own cmap."""
    cmap = _font_cmap(font)
    if not cmap:
        return False
    wanted: dict[int, str] = {}
    for parts in SPLIT.values():
        for char in parts:
            gid = cmap.get(ord(char))
            if gid is not None:
                wanted[gid] = char
    stream = font.ToUnicode
    text = stream.read_bytes()

    def repl(m: re.Match[bytes]) -> bytes:
        gid = int(m.group(1), 16)
        if gid not in wanted:
            return m.group(0)
        return b"<" + m.group(1) + b"> <" + wanted[gid].encode("utf-16-be").hex().encode() + b">"

    fixed = _BFCHAR.sub(repl, text)
    if fixed == text:
        return False
    stream.write(fixed)
    return True


def _font_cmap(font: pikepdf.Object) -> dict[int, int]:
    """Code point -> glyph id of a composite font's embedded TrueType/OpenType program."""
    from fontTools.ttLib import TTFont

    try:
        descendant = font.DescendantFonts[0]
        descriptor = descendant.FontDescriptor
        program = descriptor.get("/FontFile2") or descriptor.get("/FontFile3")
        if program is None:
            return {}
        tt = TTFont(io.BytesIO(program.read_bytes()))
        best = tt.getBestCmap() or {}
        return {cp: tt.getGlyphID(name) for cp, name in best.items()
                if cp in (0x0E32, 0x0E4D, 0x0EB2, 0x0ECD)}
    except Exception:  # noqa: BLE001 - a font we cannot read keeps its map as it is
        return {}
