"""Running heads, page numbers and the draft stamp as pagination artifacts (part of ``pdftags``).

WeasyPrint 70 marks the text of CSS page-margin boxes (``@top-left``, ``@bottom-right``…)
with an MCID whose structure element hangs in no structure tree: the ParentTree names it, but
no reader can reach it. PDF/UA wants such page furniture marked as an artifact
(ISO 32000-1, 14.8.2.2), so each of those sequences becomes
``/Artifact <</Type /Pagination /Subtype /Header>> BDC`` (``/Footer`` below the middle of the
page, ``/Watermark`` for the draft stamp), and its MCID leaves the ParentTree.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any, cast

import pikepdf

from .pdfpost import is_struct_elem, structure_of, walk_struct
from .pdftext import TextCollector

# The class of the draft stamp the print template runs in the top margin (cover.html).
DRAFT_STAMP_CLASS = "draft-stamp"
_ARTIFACT = pikepdf.Name("/Artifact")
_IDENTITY = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
_SHOW = frozenset({"Tj", "TJ", "'", '"', "Do", "sh"})
_MATRIX = frozenset({"cm", "Tm", "Td", "TD"})
# A draft stamp in the source (not the stylesheet's rule for it).
_HAS_STAMP = re.compile(r"class=\"[^\"]*\b" + DRAFT_STAMP_CLASS + r"\b")
_SPACE = re.compile(r"\s+")

Matrix = tuple[float, float, float, float, float, float]


def mark_pagination_artifacts(doc: pikepdf.Pdf, html: str) -> bool:
    """Every marked-content sequence outside the structure tree becomes a pagination artifact.

    Only MCIDs whose element cannot be reached from the StructTreeRoot change, and only those
    found (and rewritten) in the page's own content stream leave the ParentTree: the tree and
    the content keep naming each other. True when anything changed.
    """
    found = structure_of(doc)
    if found is None:
        return False
    root, _ = found
    arrays = _parent_tree(root)
    reachable = {e.objgen for e in walk_struct(root) if e.is_indirect}
    stamps = _draft_stamps(html) if _HAS_STAMP.search(html) else set()
    changed = False
    for page in doc.pages:
        key = page.obj.get("/StructParents")
        marks = arrays.get(int(key)) if isinstance(key, int) else None
        if marks is None:
            continue
        outside = {mcid for mcid, elem in enumerate(marks)
                   if is_struct_elem(elem) and elem.is_indirect
                   and elem.objgen not in reachable}
        if outside and _rewrite_page(page, marks, outside, stamps):
            changed = True
    return changed


def _parent_tree(root: pikepdf.Dictionary) -> dict[int, pikepdf.Array]:
    """ParentTree arrays (one per page, indexed by MCID) by key; a number tree may nest."""
    arrays: dict[int, pikepdf.Array] = {}
    stack = [root.get("/ParentTree")]
    seen: set[tuple[int, int]] = set()
    while stack:
        node = stack.pop()
        if not isinstance(node, pikepdf.Dictionary):
            continue
        if node.is_indirect:
            if node.objgen in seen:
                continue
            seen.add(node.objgen)
        nums = node.get("/Nums")
        if isinstance(nums, pikepdf.Array):
            for key, value in zip(nums[0::2], nums[1::2], strict=False):
                if isinstance(key, int) and isinstance(value, pikepdf.Array):
                    arrays[int(key)] = value
        kids = node.get("/Kids")
        if isinstance(kids, pikepdf.Array):
            stack.extend(kids)
    return arrays


def _rewrite_page(page: pikepdf.Page, marks: pikepdf.Array, outside: set[int],
                  stamps: set[str]) -> bool:
    """Turn the page's sequences for ``outside`` MCIDs into artifacts; free their MCIDs."""
    instructions = list(pikepdf.parse_content_stream(page))
    where, starts = _positions(instructions, outside)
    if not starts:
        return False
    texts = _texts(page, outside) if stamps else {}
    for members in _groups(marks, outside):
        text = _SPACE.sub("", "".join(texts.get(m, "") for m in sorted(members))).casefold()
        if text and text in stamps:
            kind = "Watermark"
        else:
            y = next((where[m] for m in sorted(members) if m in where), None)
            kind = "Header" if y is not None and y > _middle(page) else "Footer"
        props = pikepdf.Dictionary(Type=pikepdf.Name.Pagination,
                                   Subtype=pikepdf.Name("/" + kind))
        for mcid in members & starts.keys():
            instructions[starts[mcid]] = pikepdf.ContentStreamInstruction(
                [_ARTIFACT, props], pikepdf.Operator("BDC"))
    data = pikepdf.unparse_content_stream(instructions)
    contents = page.obj.get("/Contents")
    if isinstance(contents, pikepdf.Stream):
        contents.write(data)  # compressed again when the document is saved
    else:
        page.obj.Contents = pikepdf.Stream(cast(pikepdf.Pdf, page.obj.owner), data)
    for mcid in starts:
        marks[mcid] = None
    while len(marks) and marks[len(marks) - 1] is None:
        del marks[len(marks) - 1]
    return True


def _mcid_of(instruction: Any) -> int | None:
    if str(instruction.operator) != "BDC" or len(instruction.operands) < 2:
        return None
    props = instruction.operands[1]
    if isinstance(props, pikepdf.Dictionary) and isinstance(props.get("/MCID"), int):
        return int(props.MCID)
    return None


def _groups(marks: pikepdf.Array, outside: set[int]) -> list[set[int]]:
    """MCIDs by the margin box they belong to: the outermost element outside the tree."""
    groups: dict[tuple[int, int], set[int]] = {}
    for mcid in outside:
        elem: Any = marks[mcid]
        for _ in range(64):  # a margin box is a few levels deep; a cycle ends here
            parent = elem.get("/P")
            if not (is_struct_elem(parent) and parent.is_indirect) or \
                    str(parent.get("/S")) == "/Document":
                break
            elem = parent
        groups.setdefault(elem.objgen, set()).add(mcid)
    return list(groups.values())


def _texts(page: pikepdf.Page, outside: set[int]) -> dict[int, str]:
    collector = TextCollector()
    obj = page.obj
    collector.scan(obj, obj.get("/Resources"), obj.objgen, None, frozenset())
    return {mcid: "".join(collector.texts.get((obj.objgen, mcid), [])) for mcid in outside}


def _middle(page: pikepdf.Page) -> float:
    box = [float(v) for v in page.obj.get("/MediaBox", [0, 0, 612, 792])]
    return (box[1] + box[3]) / 2


def _multiply(m: Matrix, n: Matrix) -> Matrix:
    """``m`` then ``n`` (PDF's row-vector order: m × n)."""
    a, b, c, d, e, f = m
    p, q, r, s, t, u = n
    return (a * p + b * r, a * q + b * s, c * p + d * r, c * q + d * s,
            e * p + f * r + t, e * q + f * s + u)


def _positions(instructions: list[Any], wanted: set[int]
               ) -> tuple[dict[int, float], dict[int, int]]:
    """For each wanted MCID: the page-space height of the first thing its sequence draws
    (text or object), and the index of the instruction that opens it (the first, if twice)."""
    ctm, stack = _IDENTITY, []
    line = text = _IDENTITY
    open_mcids: list[int | None] = []  # innermost MCID in force at each nesting level
    found: dict[int, float] = {}
    starts: dict[int, int] = {}
    for index, instruction in enumerate(instructions):
        op = str(instruction.operator)  # operands are read only where needed: the cost is there
        if op == "q":
            stack.append(ctm)
        elif op == "Q" and stack:
            ctm = stack.pop()
        elif op in _SHOW:
            mcid = open_mcids[-1] if open_mcids else None
            if mcid in wanted and mcid not in found:
                found[mcid] = (_multiply(text, ctm) if op not in ("Do", "sh") else ctm)[5]
        elif op in _MATRIX:
            args = [float(a) for a in instruction.operands]
            if op == "cm" and len(args) == 6:
                ctm = _multiply(tuple(args), ctm)  # type: ignore[arg-type]
            elif op == "Tm" and len(args) == 6:
                line = text = tuple(args)  # type: ignore[assignment]
            elif len(args) == 2:
                line = text = _multiply((1.0, 0.0, 0.0, 1.0, args[0], args[1]), line)
        elif op == "BT":
            line = text = _IDENTITY
        elif op in ("BDC", "BMC"):
            mcid = _mcid_of(instruction)
            if mcid in wanted:
                starts.setdefault(mcid, index)
            open_mcids.append(mcid if mcid is not None else
                              (open_mcids[-1] if open_mcids else None))
        elif op == "EMC" and open_mcids:
            open_mcids.pop()
    return found, starts


class _Stamps(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: set[str] = set()
        self.open: list[tuple[str, list[str] | None]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        classes = (dict(attrs).get("class") or "").split()
        self.open.append((tag, [] if DRAFT_STAMP_CLASS in classes else None))

    def handle_endtag(self, tag: str) -> None:
        while self.open:
            name, parts = self.open.pop()
            if parts is not None:
                self.texts.add(_SPACE.sub("", "".join(parts)).casefold())
            if name == tag:
                return

    def handle_data(self, data: str) -> None:
        for _, parts in self.open:
            if parts is not None:
                parts.append(data)


def _draft_stamps(html: str) -> set[str]:
    """Texts (no spaces, case-folded) of the draft stamps in the source."""
    parser = _Stamps()
    parser.feed(html)
    parser.close()
    return parser.texts - {""}
