"""Read-back of WeasyPrint's tagged PDFs (pikepdf): the structure tree and its text.

``structure_report`` reads back what assistive technology sees, so tests and ``check`` can assert
on the structure tree instead of trusting the renderer. The walk and text helpers here are also
what ``pdftags`` (the fixes made after rendering) builds on.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from typing import Any

import pikepdf

from .pdftext import McKey, TextCollector

__all__ = ["structure_report"]

_HEADING_TYPES = frozenset({"H", "H1", "H2", "H3", "H4", "H5", "H6"})
_TABLE = pikepdf.Name("/Table")
_CONTENT_REFS = (pikepdf.Name.MCR, pikepdf.Name.OBJR)  # made once: each pikepdf.Name.X is new
# Called for each structure element a walk meets: (element, its standard type, /RoleMap).
Visit = Callable[[pikepdf.Dictionary, str, Any], None]


# --------------------------------------------------------------------------- structure tree walk

def elem_type(elem: pikepdf.Dictionary, role_map: pikepdf.Dictionary | None) -> str:
    """Standard type of a structure element: custom types go through /RoleMap (cycle-safe)."""
    name = str(elem.get("/S", ""))
    seen: set[str] = set()
    while role_map is not None and name in role_map and name not in seen:
        seen.add(name)
        target = role_map[name]
        if not isinstance(target, pikepdf.Name):
            break
        name = str(target)
    return name.lstrip("/")


def is_struct_elem(obj: Any) -> bool:
    """True for a structure element; MCR/OBJR dicts and MCIDs are content, not elements."""
    return (isinstance(obj, pikepdf.Dictionary) and "/S" in obj
            and obj.get("/Type") not in _CONTENT_REFS)


def struct_kids(obj: Any) -> list[Any]:
    """The /K entry of an element as a list: /K may be one kid or an array of kids."""
    if not isinstance(obj, pikepdf.Dictionary) or "/K" not in obj:
        return []
    k = obj["/K"]
    return list(k) if isinstance(k, pikepdf.Array) else [k]


def _child_elems(elem: pikepdf.Dictionary) -> list[pikepdf.Dictionary]:
    return [kid for kid in struct_kids(elem) if is_struct_elem(kid)]


class _Guard:
    """Visited set for indirect objects: malformed trees can point back at an ancestor."""

    def __init__(self) -> None:
        self._seen: set[tuple[int, int]] = set()

    def first_visit(self, obj: pikepdf.Object) -> bool:
        if not obj.is_indirect:
            return True  # direct objects cannot form cycles
        key = obj.objgen
        if key in self._seen:
            return False
        self._seen.add(key)
        return True


def walk_struct(struct_root: pikepdf.Dictionary) -> Iterator[pikepdf.Dictionary]:
    """Structure elements in document (pre-)order, each once; iterative, so deep trees are fine."""
    guard = _Guard()
    stack = list(reversed(_child_elems(struct_root)))
    while stack:
        elem = stack.pop()
        if not guard.first_visit(elem):
            continue
        yield elem
        stack.extend(reversed(_child_elems(elem)))


# ------------------------------------------------------------------- table header scope (read)

def _table_attr_dicts(elem: pikepdf.Dictionary) -> list[pikepdf.Dictionary]:
    """/A dictionaries owned by /Table (/A is one dict, or an array of dicts and revisions)."""
    attrs = elem.get("/A")
    items = list(attrs) if isinstance(attrs, pikepdf.Array) else [attrs]
    return [a for a in items if isinstance(a, pikepdf.Dictionary) and a.get("/O") == _TABLE]


def _scope_of(th: pikepdf.Dictionary) -> str | None:
    for attrs in _table_attr_dicts(th):
        scope = attrs.get("/Scope")
        if isinstance(scope, pikepdf.Name):
            return str(scope).lstrip("/")
    return None


def structure_of(doc: pikepdf.Pdf) -> tuple[pikepdf.Dictionary, Any] | None:
    """The structure tree's root and its /RoleMap (or None), or None for an untagged PDF."""
    struct_root = doc.Root.get("/StructTreeRoot")
    if not isinstance(struct_root, pikepdf.Dictionary):
        return None
    role_map = struct_root.get("/RoleMap")
    return struct_root, role_map if isinstance(role_map, pikepdf.Dictionary) else None


# --------------------------------------------------------------------------- text by MCID

def _collect_texts(doc: pikepdf.Pdf, wanted: set[McKey] | None = None
                   ) -> dict[McKey, list[str]]:
    """The text of every marked-content sequence, or with ``wanted`` of those only (reading
    only their pages when each belongs to a page, not to a form of its own)."""
    collector = TextCollector(wanted)
    owners = {owner for owner, _mcid in wanted} if wanted is not None else set()
    pages = [p.obj for p in doc.pages]
    if wanted is not None and owners <= {obj.objgen for obj in pages}:
        pages = [obj for obj in pages if obj.objgen in owners]
    for obj in pages:
        collector.scan(obj, obj.get("/Resources"), obj.objgen, None, frozenset())
    return collector.texts


def clean_text(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"([\u00ad\u2010]) ", r"\1", text)  # a word hyphenated at a line end
    return text.replace("\u00ad", "")


def mcid_keys(elem: pikepdf.Dictionary) -> list[McKey | None]:
    """The marked-content sequences below ``elem`` in reading order (None: an MCID whose page
    is unknown, which reads as a gap)."""
    guard = _Guard()
    keys: list[McKey | None] = []
    # (kid, inherited /Pg objgen)
    pg = elem.get("/Pg")
    stack: list[tuple[Any, tuple[int, int] | None]] = [
        (kid, pg.objgen if isinstance(pg, pikepdf.Dictionary) else None)
        for kid in reversed(struct_kids(elem))]
    while stack:
        kid, page = stack.pop()
        if isinstance(kid, int):
            keys.append((page, int(kid)) if page is not None else None)
        elif isinstance(kid, pikepdf.Dictionary):
            if not guard.first_visit(kid):
                continue
            kid_pg = kid.get("/Pg")
            if isinstance(kid_pg, pikepdf.Dictionary):
                page = kid_pg.objgen
            if kid.get("/Type") == pikepdf.Name.MCR:
                stm = kid.get("/Stm")
                owner = stm.objgen if isinstance(stm, pikepdf.Stream) else page
                mcid = kid.get("/MCID")
                if owner is not None and isinstance(mcid, int):
                    keys.append((owner, int(mcid)))
            elif is_struct_elem(kid):
                stack.extend((child, page) for child in reversed(struct_kids(kid)))
    return keys


def element_text(elem: pikepdf.Dictionary, texts: dict[McKey, list[str]]) -> str | None:
    """/ActualText if present, else the text of every MCID below ``elem`` in order."""
    actual = elem.get("/ActualText")
    if isinstance(actual, pikepdf.String):
        return str(actual)
    parts: list[str] = []
    for key in mcid_keys(elem):
        if key is not None:
            parts.extend(texts.get(key, []))
        parts.append(" ")
    text = clean_text("".join(parts))
    return text or None


def _headings_text(doc: pikepdf.Pdf, headings: list[tuple[str, pikepdf.Dictionary]]
                   ) -> list[tuple[str, str | None]]:
    """Each heading's type and text, decoding only the text the headings hold."""
    wanted = {key for _kind, elem in headings
              if not isinstance(elem.get("/ActualText"), pikepdf.String)
              for key in mcid_keys(elem) if key is not None}
    texts = _collect_texts(doc, wanted) if headings else {}
    return [(kind, element_text(elem, texts)) for kind, elem in headings]


# --------------------------------------------------------------------------- report

def _title(doc: pikepdf.Pdf) -> str | None:
    """dc:title from XMP (what PDF/UA asks for), else the /Info /Title."""
    try:
        meta = doc.open_metadata(set_pikepdf_as_editor=False)
        title = meta.get("dc:title")
    except Exception:  # noqa: BLE001 - malformed XMP: fall back to /Info, as readers do
        title = None
    if isinstance(title, str) and title:
        return title
    info_title = doc.docinfo.get("/Title") if "/Info" in doc.trailer else None
    return str(info_title) if info_title is not None else None


def _outline_titles(doc: pikepdf.Pdf) -> list[str]:
    try:
        outline = doc.open_outline()
        return [str(item.title) for item in outline.root]
    except (pikepdf.PdfError, pikepdf.OutlineStructureError, ValueError):
        return []


def structure_report(pdf: bytes) -> dict[str, Any]:
    """What assistive technology reads from ``pdf``, for tests and checks that need proof.

    Keys: ``tagged`` (marked, with a structure tree), ``lang``, ``display_doc_title``, ``title``,
    ``headings`` ([(type, text or None)] in reading order; H1..H6 and H), ``figures`` (each
    /Figure's /Alt or None), ``th_scopes`` (each TH's Column/Row/Both or None), ``outline``
    (top-level bookmark titles). Custom structure types are resolved through /RoleMap.
    """
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        return read_structure(doc)


def read_structure(doc: pikepdf.Pdf, visit: Visit | None = None) -> dict[str, Any]:
    """:func:`structure_report` of an open PDF, in one walk of its structure tree; ``visit``
    sees every element with its standard type on the way (what else a caller counts)."""
    root = doc.Root
    struct_root = root.get("/StructTreeRoot")
    has_tree = isinstance(struct_root, pikepdf.Dictionary)
    mark_info = root.get("/MarkInfo")
    marked = isinstance(mark_info, pikepdf.Dictionary) and bool(mark_info.get("/Marked"))
    lang = root.get("/Lang")
    prefs = root.get("/ViewerPreferences")
    display = isinstance(prefs, pikepdf.Dictionary) and bool(prefs.get("/DisplayDocTitle"))
    headings: list[tuple[str, pikepdf.Dictionary]] = []
    figures: list[str | None] = []
    th_scopes: list[str | None] = []
    if isinstance(struct_root, pikepdf.Dictionary):  # has_tree, spelled for the type checker
        role_map = struct_root.get("/RoleMap")
        role_map = role_map if isinstance(role_map, pikepdf.Dictionary) else None
        for elem in walk_struct(struct_root):
            kind = elem_type(elem, role_map)
            if visit is not None:
                visit(elem, kind, role_map)
            if kind in _HEADING_TYPES:
                headings.append((kind, elem))
            elif kind == "Figure":
                alt = elem.get("/Alt")
                figures.append(str(alt) if isinstance(alt, pikepdf.String) else None)
            elif kind == "TH":
                th_scopes.append(_scope_of(elem))
    return {
        "tagged": marked and has_tree,
        "lang": str(lang) if isinstance(lang, pikepdf.String) else None,
        "display_doc_title": display,
        "title": _title(doc),
        "headings": _headings_text(doc, headings),
        "figures": figures,
        "th_scopes": th_scopes,
        "outline": _outline_titles(doc),
    }
