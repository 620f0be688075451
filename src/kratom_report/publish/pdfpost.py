"""Read-back of WeasyPrint's tagged PDFs (pikepdf): the structure tree and its text.

``structure_report`` reads back what assistive technology sees, so tests and ``check`` can assert
on the structure tree instead of trusting the renderer. The walk and text helpers here are also
what ``pdftags`` (the fixes made after rendering) builds on.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import pikepdf

__all__ = ["structure_report"]

_HEADING_TYPES = frozenset({"H", "H1", "H2", "H3", "H4", "H5", "H6"})
_TABLE = pikepdf.Name("/Table")
# A TJ adjustment at least this wide (thousandths of an em) reads as a word gap.
_TJ_SPACE = -250


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
            and obj.get("/Type") not in (pikepdf.Name.MCR, pikepdf.Name.OBJR))


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

_CMAP_TOKEN = re.compile(rb"<([0-9A-Fa-f\s]*)>|\[|\]")
_CMAP_SECTION = re.compile(rb"begin(bfchar|bfrange)(.*?)end\1", re.S)


def _utf16(hex_digits: bytes) -> str:
    raw = bytes.fromhex(re.sub(rb"\s", b"", hex_digits).decode("ascii"))
    return raw.decode("utf-16-be", errors="replace")


def _parse_to_unicode(data: bytes) -> dict[int, str]:
    """bfchar/bfrange entries of a ToUnicode CMap (what WeasyPrint and most producers write)."""
    mapping: dict[int, str] = {}
    for kind, body in _CMAP_SECTION.findall(data):
        tokens: list[bytes | None] = []  # hex strings; None marks '[' / ']'
        for match in _CMAP_TOKEN.finditer(body):
            tokens.append(match.group(1) if match.group(1) is not None else None)
        if kind == b"bfchar":
            for src, dst in zip(tokens[0::2], tokens[1::2], strict=False):
                if src is not None and dst is not None:
                    mapping[int(src, 16)] = _utf16(dst)
            continue
        i = 0
        while i + 2 < len(tokens):
            lo, hi = tokens[i], tokens[i + 1]
            if lo is None or hi is None:
                break
            start, end = int(lo, 16), int(hi, 16)
            if tokens[i + 2] is None:  # [ <dst> <dst> ... ]
                j = i + 3
                dsts: list[bytes] = []
                while j < len(tokens) and tokens[j] is not None:
                    dsts.append(tokens[j])  # type: ignore[arg-type]
                    j += 1
                for code, dst in zip(range(start, end + 1), dsts, strict=False):
                    mapping[code] = _utf16(dst)
                i = j + 1
            else:
                base = _utf16(tokens[i + 2])  # type: ignore[arg-type]
                for offset in range(min(end - start, 0xFFFF) + 1):
                    mapping[start + offset] = base[:-1] + chr(ord(base[-1]) + offset) \
                        if base else ""
                i += 3
    return mapping


class _FontDecoder:
    """Byte codes → text. Type0 fonts are taken as 2-byte (Identity-H, as WeasyPrint writes)."""

    def __init__(self, font: pikepdf.Object) -> None:
        self.width = 2 if font.get("/Subtype") == pikepdf.Name.Type0 else 1
        self.map: dict[int, str] = {}
        to_unicode = font.get("/ToUnicode")
        if isinstance(to_unicode, pikepdf.Stream):
            try:
                self.map = _parse_to_unicode(to_unicode.read_bytes())
            except (pikepdf.PdfError, ValueError):
                self.map = {}

    def decode(self, raw: bytes) -> str:
        out = []
        for i in range(0, len(raw) - self.width + 1, self.width):
            code = int.from_bytes(raw[i:i + self.width], "big")
            text = self.map.get(code)
            if text is None and self.width == 1:
                text = chr(code)  # simple font without ToUnicode: Latin-1 is the best guess
            out.append(text or "")
        return "".join(out)


McKey = tuple[tuple[int, int], int]  # (owner page/stream objgen, MCID)


class TextCollector:
    """Text shown inside each marked-content sequence, keyed by (page or stream, MCID)."""

    def __init__(self) -> None:
        self.texts: dict[McKey, list[str]] = {}
        self._fonts: dict[tuple[int, int] | int, _FontDecoder] = {}

    def _font(self, font: pikepdf.Object) -> _FontDecoder:
        key = font.objgen if font.is_indirect else id(font)
        if key not in self._fonts:
            self._fonts[key] = _FontDecoder(font)
        return self._fonts[key]

    def scan(self, stream: pikepdf.Object, resources: Any, owner: tuple[int, int],
             outer: McKey | None, active: frozenset[tuple[int, int]]) -> None:
        try:
            instructions = pikepdf.parse_content_stream(stream)
        except (pikepdf.PdfError, TypeError, ValueError):
            return  # unreadable content: report the structure without its text
        resources = resources if isinstance(resources, pikepdf.Dictionary) else None
        stack: list[McKey | None] = []
        font: _FontDecoder | None = None
        for instruction in instructions:
            if isinstance(instruction, pikepdf.ContentStreamInlineImage):
                continue
            op = str(instruction.operator)
            operands = list(instruction.operands)
            current = next((key for key in reversed(stack) if key is not None), outer)
            if op in ("BMC", "BDC"):
                stack.append(self._mcid_key(op, operands, resources, owner))
            elif op == "EMC":
                if stack:
                    stack.pop()
            elif op == "Tf" and operands and resources is not None:
                fonts = resources.get("/Font")
                name = operands[0]
                f = fonts.get(name) if isinstance(fonts, pikepdf.Dictionary) \
                    and isinstance(name, pikepdf.Name) else None
                font = self._font(f) if isinstance(f, pikepdf.Dictionary) else None
            elif op in ("Tj", "'", '"', "TJ") and current is not None and font is not None:
                self.texts.setdefault(current, []).append(self._shown(op, operands, font))
            elif op == "ET" and current is not None:
                self.texts.setdefault(current, []).append(" ")
            elif op == "Do" and operands and resources is not None:
                self._form(operands[0], resources, owner, current, active)

    @staticmethod
    def _mcid_key(op: str, operands: list[Any], resources: pikepdf.Dictionary | None,
                  owner: tuple[int, int]) -> McKey | None:
        if op != "BDC" or len(operands) < 2:
            return None
        props = operands[1]
        if isinstance(props, pikepdf.Name) and resources is not None:
            named = resources.get("/Properties")
            props = named.get(props) if isinstance(named, pikepdf.Dictionary) else None
        if isinstance(props, pikepdf.Dictionary) and isinstance(props.get("/MCID"), int):
            return (owner, int(props.MCID))
        return None

    @staticmethod
    def _shown(op: str, operands: list[Any], font: _FontDecoder) -> str:
        if op == "TJ" and operands and isinstance(operands[0], pikepdf.Array):
            parts = []
            for item in operands[0]:
                if isinstance(item, pikepdf.String):
                    parts.append(font.decode(bytes(item)))
                elif float(item) <= _TJ_SPACE:
                    parts.append(" ")
            return "".join(parts)
        if operands and isinstance(operands[-1], pikepdf.String):
            return font.decode(bytes(operands[-1]))
        return ""

    def _form(self, name: Any, resources: pikepdf.Dictionary, owner: tuple[int, int],
              current: McKey | None, active: frozenset[tuple[int, int]]) -> None:
        xobjects = resources.get("/XObject")
        form = xobjects.get(name) if isinstance(xobjects, pikepdf.Dictionary) else None
        if not isinstance(form, pikepdf.Stream) or form.get("/Subtype") != pikepdf.Name.Form:
            return
        if form.objgen in active:
            return  # a form that draws itself
        # A form with its own /StructParents numbers its MCIDs itself (MCRs point at it by /Stm);
        # otherwise its marked content belongs to the page that draws it (WeasyPrint's opacity).
        form_owner = form.objgen if "/StructParents" in form else owner
        self.scan(form, form.get("/Resources", resources), form_owner, current,
                  active | {form.objgen})


def _collect_texts(doc: pikepdf.Pdf) -> dict[McKey, list[str]]:
    collector = TextCollector()
    for page in doc.pages:
        obj = page.obj
        collector.scan(obj, obj.get("/Resources"), obj.objgen, None, frozenset())
    return collector.texts


def clean_text(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"([\u00ad\u2010]) ", r"\1", text)  # a word hyphenated at a line end
    return text.replace("\u00ad", "")


def element_text(elem: pikepdf.Dictionary, texts: dict[McKey, list[str]]) -> str | None:
    """/ActualText if present, else the text of every MCID below ``elem`` in order."""
    actual = elem.get("/ActualText")
    if isinstance(actual, pikepdf.String):
        return str(actual)
    guard = _Guard()
    parts: list[str] = []
    # (kid, inherited /Pg objgen)
    pg = elem.get("/Pg")
    stack: list[tuple[Any, tuple[int, int] | None]] = [
        (kid, pg.objgen if isinstance(pg, pikepdf.Dictionary) else None)
        for kid in reversed(struct_kids(elem))]
    while stack:
        kid, page = stack.pop()
        if isinstance(kid, int):
            if page is not None:
                parts.extend(texts.get((page, int(kid)), []))
            parts.append(" ")
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
                    parts.extend(texts.get((owner, int(mcid)), []))
                    parts.append(" ")
            elif is_struct_elem(kid):
                stack.extend((child, page) for child in reversed(struct_kids(kid)))
    text = clean_text("".join(parts))
    return text or None


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
        root = doc.Root
        struct_root = root.get("/StructTreeRoot")
        has_tree = isinstance(struct_root, pikepdf.Dictionary)
        mark_info = root.get("/MarkInfo")
        marked = isinstance(mark_info, pikepdf.Dictionary) and bool(mark_info.get("/Marked"))
        lang = root.get("/Lang")
        prefs = root.get("/ViewerPreferences")
        display = isinstance(prefs, pikepdf.Dictionary) and bool(prefs.get("/DisplayDocTitle"))
        headings: list[tuple[str, str | None]] = []
        figures: list[str | None] = []
        th_scopes: list[str | None] = []
        if isinstance(struct_root, pikepdf.Dictionary):  # has_tree, spelled for the type checker
            role_map = struct_root.get("/RoleMap")
            role_map = role_map if isinstance(role_map, pikepdf.Dictionary) else None
            texts: dict[McKey, list[str]] | None = None
            for elem in walk_struct(struct_root):
                kind = elem_type(elem, role_map)
                if kind in _HEADING_TYPES:
                    if texts is None:
                        texts = _collect_texts(doc)
                    headings.append((kind, element_text(elem, texts)))
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
            "headings": headings,
            "figures": figures,
            "th_scopes": th_scopes,
            "outline": _outline_titles(doc),
        }
