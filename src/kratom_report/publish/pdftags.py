"""Structure a screen reader can follow, fixed after WeasyPrint in one open-and-save.

WeasyPrint 70 tags what it can see in the box tree, which leaves these faults in our PDFs:
a /TH has no /Scope, so a screen reader cannot tell column from row headers;
a list that flows over columns or pages becomes a list of lists; numbers drawn by CSS
(``::before``) or written as a leading ``<span>`` sit inside the list body instead of a /Lbl;
and a ``<dl>`` becomes one list item per term and per description. And the hyphen a line break
adds is a real hyphen in the text layer, so "bupre-|norphine" is read aloud as two words.
Thai text whose shaping splits a character into two glyphs is mended too (``tounicode``).

Each fix is checked against the text it moves, so a structure we did not expect is left alone.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from html.parser import HTMLParser
from typing import Any

import pikepdf

from .pdfpost import (
    _TABLE,
    _child_elems,
    _clean,
    _elem_type,
    _element_text,
    _Guard,
    _is_struct_elem,
    _kids,
    _McKey,
    _scope_of,
    _table_attr_dicts,
    _TextCollector,
    _walk,
    structure_of,
)
from .tounicode import fix_split_glyphs_in, needs_fix

# The hyphen WeasyPrint draws at an automatic break (``hyphenate-character`` in the print CSS).
# A character authors do not type, so its glyph in the text layer can become a soft hyphen
# (U+00AD), which PDF readers and text-to-speech treat as "no character here".
AUTO_HYPHEN = "\u2010"
_LABEL = re.compile(r"\d{1,4}[.)]?")
_LBL = pikepdf.Name("/Lbl")
_SECTION_TYPES = frozenset({"THead", "TBody", "TFoot"})
_CELL_TYPES = frozenset({"TH", "TD"})
_COLUMN = pikepdf.Name("/Column")
_ROW = pikepdf.Name("/Row")


def tidy_structure(pdf: bytes, html: str) -> bytes:
    """Table header scopes, list structure, soft line-end hyphens and split glyphs, in one pass.

    ``html`` is the document the PDF was rendered from: its description lists are matched by
    text, and a source that itself contains U+2010 keeps its hyphens hard (the glyph cannot tell
    an author's hyphen from a line break's). Returns the input when nothing changed.
    """
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        changed = fix_scopes(doc)
        changed |= fix_lists(doc, description_lists(html))
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
            kind = _elem_type(kid, role_map)
            if kind == "TR":
                cells = [(t, c) for c in _child_elems(kid)
                         if (t := _elem_type(c, role_map)) in _CELL_TYPES]
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
    for elem in _walk(struct_root):
        if _elem_type(elem, role_map) != "Table":
            continue
        for section, cells in _table_rows(elem, role_map):
            for index, (kind, cell) in enumerate(cells):
                if kind != "TH" or _scope_of(cell) is not None:
                    continue
                _set_scope(cell, _header_scope(section, index, cells))
                changed = True
    return changed


# --------------------------------------------------------------------------- lists

def fix_lists(doc: pikepdf.Pdf, descriptions: list[list[tuple[str, str]]]) -> bool:
    """No list directly inside a list; numbers as /Lbl; each dt/dd pair one item."""
    found = structure_of(doc)
    if found is None:
        return False
    root, role_map = found
    changed = False
    for elem in [e for e in _walk(root) if _elem_type(e, role_map) == "L"]:
        changed |= _flatten(elem, role_map)
    texts = _Texts(doc)
    for elem in (e for e in _walk(root) if _elem_type(e, role_map) == "L"):
        changed |= _pair_descriptions(elem, role_map, descriptions, texts)
        changed |= _number_labels(elem, role_map, texts)
    return changed


def _flatten(elem: pikepdf.Dictionary, role_map: Any) -> bool:
    """Splice the items of nested lists into ``elem`` (columns and pages split one list)."""
    kids = _kids(elem)
    if not any(_is_struct_elem(k) and _elem_type(k, role_map) == "L" for k in kids):
        return False
    flat: list[Any] = []
    stack = list(reversed(kids))
    while stack:
        kid = stack.pop()
        if _is_struct_elem(kid) and _elem_type(kid, role_map) == "L":
            stack.extend(reversed(_kids(kid)))
            continue
        if _is_struct_elem(kid):
            kid["/P"] = elem
        flat.append(kid)
    elem["/K"] = pikepdf.Array(flat)
    return True


class _Texts:
    """Text of structure elements, reading only the pages asked about (parsing is the cost)."""

    def __init__(self, doc: pikepdf.Pdf) -> None:
        self.doc = doc
        self.collector = _TextCollector()
        self.scanned: set[tuple[int, int]] = set()

    def of(self, elems: Iterable[pikepdf.Dictionary]) -> list[str]:
        elems = list(elems)
        wanted = {pg.objgen for e in elems for pg in _pages(e)} - self.scanned
        for page in self.doc.pages:
            if page.obj.objgen in wanted:
                obj = page.obj
                self.collector.scan(obj, obj.get("/Resources"), obj.objgen, None, frozenset())
                self.scanned.add(obj.objgen)
        texts: dict[_McKey, list[str]] = self.collector.texts
        return [_element_text(e, texts) or "" for e in elems]


def _pages(elem: pikepdf.Dictionary) -> list[pikepdf.Dictionary]:
    found, stack = [], [elem]
    while stack:
        e = stack.pop()
        pg = e.get("/Pg")
        if isinstance(pg, pikepdf.Dictionary):
            found.append(pg)
        stack.extend(k for k in _kids(e) if isinstance(k, pikepdf.Dictionary))
    return found


def _items(elem: pikepdf.Dictionary, role_map: Any) -> list[pikepdf.Dictionary] | None:
    """The list's items when every one is a bare LI holding only an LBody, else None."""
    items = _kids(elem)
    for item in items:
        if not (_is_struct_elem(item) and _elem_type(item, role_map) == "LI"):
            return None
        body = _kids(item)
        if len(body) != 1 or not _is_struct_elem(body[0]) or \
                _elem_type(body[0], role_map) != "LBody":
            return None
    return items


def _number_labels(elem: pikepdf.Dictionary, role_map: Any, texts: _Texts) -> bool:
    """An item whose body starts with its number ("1", "12.") gets that number as its /Lbl.

    Only when every item starts so and the numbers count up by one: a list that continues on
    a new page, or a body that happens to start with a citation number, is left as it is.
    """
    items = _items(elem, role_map)
    if not items:
        return False
    firsts = []
    for item in items:
        body_kids = _kids(_kids(item)[0])
        if len(body_kids) < 2 or not _is_struct_elem(body_kids[0]):
            return False
        firsts.append(body_kids[0])
    labels = texts.of(firsts)
    if not all(_LABEL.fullmatch(t) for t in labels):
        return False
    numbers = [int(t.rstrip(".)")) for t in labels]
    if numbers != list(range(numbers[0], numbers[0] + len(numbers))):
        return False
    for item, label in zip(items, firsts, strict=True):
        body = _kids(item)[0]
        body["/K"] = pikepdf.Array(_kids(body)[1:])
        label["/S"] = _LBL
        label["/P"] = item
        item["/K"] = pikepdf.Array([label, body])
    return True


def _pair_descriptions(elem: pikepdf.Dictionary, role_map: Any,
                       descriptions: list[list[tuple[str, str]]], texts: _Texts) -> bool:
    """A ``<dl>`` (one LI per dt and per dd) becomes one LI per term: Lbl = term, LBody = text."""
    items = _items(elem, role_map)
    if not items or len(items) % 2 or not descriptions:
        return False
    if not any(len(d) * 2 == len(items) for d in descriptions):
        return False
    found = texts.of(items)
    pairs = list(zip(found[::2], found[1::2], strict=True))
    if pairs not in descriptions:
        return False
    merged = []
    for term, desc in zip(items[::2], items[1::2], strict=True):
        label, body = _kids(term)[0], _kids(desc)[0]
        label["/S"] = _LBL
        body["/P"] = term
        term["/K"] = pikepdf.Array([label, body])
        merged.append(term)
    elem["/K"] = pikepdf.Array(merged)
    return True


class _DescriptionLists(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lists: list[list[tuple[str, str]]] = []
        self.depth = 0
        self.part: str | None = None  # "dt" or "dd" while inside one
        self.buffer: list[str] = []
        self.terms: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "dl":
            self.depth += 1
            if self.depth == 1:
                self.lists.append([])
        elif tag in ("dt", "dd") and self.depth == 1:
            self._close()
            self.part = tag

    def handle_endtag(self, tag: str) -> None:
        if tag in ("dt", "dd") and self.depth == 1:
            self._close()
        elif tag == "dl" and self.depth:
            self._close()
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.part:
            self.buffer.append(data)

    def _close(self) -> None:
        if self.part is None:
            return
        text = _clean("".join(self.buffer))
        if self.part == "dt":
            self.terms.append(text)
        elif self.terms:
            self.lists[-1].append((self.terms.pop(), text))
        self.part, self.buffer = None, []


def description_lists(html: str) -> list[list[tuple[str, str]]]:
    """(term, description) texts of each top-level ``<dl>``, as their PDF text will read."""
    parser = _DescriptionLists()
    parser.feed(html)
    parser.close()
    return [pairs for pairs in parser.lists if pairs]


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
