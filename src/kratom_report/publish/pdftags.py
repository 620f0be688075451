"""Structure a screen reader can follow, fixed after WeasyPrint in one open-and-save.

WeasyPrint 70 tags what it can see in the box tree, which leaves these faults in our PDFs:
a /TH has no /Scope, so a screen reader cannot tell column from row headers; lists come out
split, nested and without labels (mended in ``pdflists``); running heads and page numbers are
marked content outside the structure tree instead of pagination artifacts (``pdfartifacts``).
And the hyphen a line break adds is a real hyphen in the text layer, so "bupre-|norphine" is
read aloud as two words. Thai text whose shaping splits a character into two glyphs is mended
too (``tounicode``).

Every PDF variant (PDF/UA and the archival PDF/A) goes through :func:`tidy_structure`.
Each fix is checked against the text it moves, so a structure we did not expect is left alone.
"""

from __future__ import annotations

import io
import re

import pikepdf

from .pdfartifacts import mark_pagination_artifacts
from .pdflists import description_lists, fix_lists
from .pdfpost import (
    _TABLE,
    _child_elems,
    _Guard,
    _scope_of,
    _table_attr_dicts,
    elem_type,
    structure_of,
    walk_struct,
)
from .tounicode import fix_split_glyphs_in, needs_fix

__all__ = ["description_lists", "fix_lists", "fix_table_header_scope", "tidy_structure"]

# The hyphen WeasyPrint draws at an automatic break (``hyphenate-character`` in the print CSS).
# A character authors do not type, so its glyph in the text layer can become a soft hyphen
# (U+00AD), which PDF readers and text-to-speech treat as "no character here".
AUTO_HYPHEN = "\u2010"
_SECTION_TYPES = frozenset({"THead", "TBody", "TFoot"})
_CELL_TYPES = frozenset({"TH", "TD"})
_COLUMN = pikepdf.Name("/Column")
_ROW = pikepdf.Name("/Row")


def tidy_structure(pdf: bytes, html: str) -> bytes:
    """Table header scopes, list structure, pagination artifacts, soft line-end hyphens and
    split glyphs, in one pass.

    ``html`` is the document the PDF was rendered from: its lists are matched by text, its
    draft stamp becomes a watermark, and a source that itself contains U+2010 keeps its
    hyphens hard (the glyph cannot tell an author's hyphen from a line break's). Returns the
    input when nothing changed.
    """
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        changed = fix_scopes(doc)
        changed |= fix_lists(doc, html)
        changed |= mark_pagination_artifacts(doc, html)
        if AUTO_HYPHEN not in html and "&#8208;" not in html and "&#x2010;" not in html.lower():
            changed |= soften_auto_hyphens(doc)
        if needs_fix(html):
            changed |= fix_split_glyphs_in(doc)
        if not changed:
            return pdf
        out = io.BytesIO()
        doc.save(out, deterministic_id=True, fix_metadata_version=False)
        return out.getvalue()


# --------------------------------------------------------------------------- table header scope

def _set_scope(th: pikepdf.Dictionary, scope: pikepdf.Name) -> None:
    """Put /Scope into the cell's /Table attributes, keeping any other attribute owners."""
    attrs = th.get("/A")
    if isinstance(attrs, pikepdf.Dictionary) and attrs.get("/O") == _TABLE:
        if attrs.is_indirect:  # could be shared with other cells: give this one its own copy
            attrs = pikepdf.Dictionary(dict(attrs.items()))
            th.A = attrs
        attrs.Scope = scope
        return
    new = pikepdf.Dictionary(O=_TABLE, Scope=scope)
    if isinstance(attrs, pikepdf.Dictionary):
        th.A = pikepdf.Array([attrs, new])
    elif isinstance(attrs, pikepdf.Array):
        # Appended last without a revision number (= revision 0), like the other entries.
        th.A = pikepdf.Array([*attrs, new])
    else:
        th.A = new


def _table_rows(
    table: pikepdf.Dictionary, role_map: pikepdf.Dictionary | None,
) -> list[tuple[str | None, list[tuple[str, pikepdf.Dictionary]]]]:
    """(section, [(cell type, cell)]) per row, in order; nested tables are left to themselves."""
    rows: list[tuple[str | None, list[tuple[str, pikepdf.Dictionary]]]] = []
    guard = _Guard()

    def visit(elem: pikepdf.Dictionary, section: str | None) -> None:
        for kid in _child_elems(elem):
            if not guard.first_visit(kid):
                continue
            kind = elem_type(kid, role_map)
            if kind == "TR":
                cells = [(t, c) for c in _child_elems(kid)
                         if (t := elem_type(c, role_map)) in _CELL_TYPES]
                rows.append((section, cells))
            elif kind in _SECTION_TYPES:
                visit(kid, kind)

    visit(table, None)
    return rows


def _headers_of(td: pikepdf.Dictionary) -> set[bytes]:
    ids: set[bytes] = set()
    for attrs in _table_attr_dicts(td):
        headers = attrs.get("/Headers")
        if isinstance(headers, pikepdf.Array):
            ids.update(bytes(h) for h in headers if isinstance(h, pikepdf.String))
    return ids


def _header_scope(section: str | None, index: int,
                  cells: list[tuple[str, pikepdf.Dictionary]]) -> pikepdf.Name:
    """Column or Row for the TH at ``cells[index]``.

    WeasyPrint drops the HTML ``scope`` attribute but uses ``scope="row"`` to fill the /Headers of
    the data cells in that row, so a TD in the same row naming this TH is the author's word for Row.
    Otherwise the THs that lead a row holding data cells (the usual body-row header, also every
    key/value table, and a continuation table on a new page) are row headers; everything else (a
    THead row, an all-TH first row, a TH after an empty corner cell) is a column header. Departure
    from "first row -> Column": a first row like <th>Dose</th><td>5 mg</td> is a row header.
    """
    th = cells[index][1]
    if section == "THead":
        return _COLUMN
    th_id = th.get("/ID")
    if isinstance(th_id, pikepdf.String) and any(
            kind == "TD" and bytes(th_id) in _headers_of(cell) for kind, cell in cells):
        return _ROW
    has_data = any(kind == "TD" for kind, _ in cells)
    leading = all(kind == "TH" for kind, _ in cells[:index])
    if has_data and leading:
        return _ROW
    return _COLUMN


def fix_table_header_scope(pdf: bytes) -> bytes:
    """Give every /TH structure element a /Scope (Column or Row), which WeasyPrint 70 omits.

    PDF/UA-1 (and screen readers) need /Scope to announce headers with their cells. A TH in a
    /THead row or an all-header first row is a column header; a TH that starts a row of data cells
    (or that WeasyPrint's /Headers show was ``scope="row"``) is a row header (see
    ``_header_scope``). Existing scopes are kept.
    Saved with ``deterministic_id=True`` and untouched XMP, so output stays byte-reproducible. With
    no structure tree, or nothing to change, the input bytes are returned as they are.
    Raises ``pikepdf.PdfError`` if ``pdf`` is not a readable PDF.
    """
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        if not fix_scopes(doc):
            return pdf
        out = io.BytesIO()
        doc.save(out, deterministic_id=True, fix_metadata_version=False)
        return out.getvalue()


def fix_scopes(doc: pikepdf.Pdf) -> bool:
    """The work of :func:`fix_table_header_scope` on an open PDF; True when anything changed."""
    found = structure_of(doc)
    if found is None:
        return False
    struct_root, role_map = found
    changed = False
    for elem in walk_struct(struct_root):
        if elem_type(elem, role_map) != "Table":
            continue
        for section, cells in _table_rows(elem, role_map):
            for index, (kind, cell) in enumerate(cells):
                if kind != "TH" or _scope_of(cell) is not None:
                    continue
                _set_scope(cell, _header_scope(section, index, cells))
                changed = True
    return changed


# --------------------------------------------------------------------------- hyphens

_BFCHAR = re.compile(rb"(beginbfchar)(.*?)(endbfchar)", re.S)
_AUTO_HYPHEN_TARGET = re.compile(rb"(<[0-9A-Fa-f]+>\s*)<2010>")


def soften_auto_hyphens(doc: pikepdf.Pdf) -> bool:
    """Map the line-break hyphen's glyph to U+00AD in every font's /ToUnicode.

    The glyph still prints; text extraction and read-aloud get "buprenorphine" (PDF 1.7,
    14.8.2.2.3: a hyphen added at a line break is a soft hyphen).
    """
    changed = False
    seen: set[tuple[int, int]] = set()
    for obj in doc.objects:
        if not isinstance(obj, pikepdf.Dictionary) or obj.get("/Type") != pikepdf.Name.Font:
            continue
        cmap = obj.get("/ToUnicode")
        if not isinstance(cmap, pikepdf.Stream) or cmap.objgen in seen:
            continue
        seen.add(cmap.objgen)
        data = cmap.read_bytes()
        new = _BFCHAR.sub(
            lambda m: m[1] + _AUTO_HYPHEN_TARGET.sub(rb"\1<00AD>", m[2]) + m[3], data)
        if new != data:
            cmap.write(new)
            changed = True
    return changed
