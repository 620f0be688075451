"""Lists a screen reader can follow, mended after WeasyPrint 70 (part of ``pdftags``).

WeasyPrint tags each fragment of a box: a list that flows over columns becomes a list of lists,
an item broken by a page or column becomes two items (the second without its /Lbl), numbers
drawn by CSS (``::before``) or written as a leading ``<span>`` sit inside the list body instead
of a /Lbl, and a ``<dl>`` becomes one list item per term and per description. Each repair is
checked against the text it moves, so a structure we did not expect is left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from html.parser import HTMLParser
from typing import Any

import pikepdf

from .pdfpost import (
    clean_text,
    elem_type,
    element_text,
    is_struct_elem,
    struct_kids,
    structure_of,
    walk_struct,
)
from .pdftext import McKey, TextCollector

_LABEL = re.compile(r"\d{1,4}[.)]?")
_LBL = pikepdf.Name("/Lbl")
# Left out when texts are compared: spacing differs between HTML and the PDF text layer, and a
# word broken at a line end carries a hyphen (U+2010, or U+00AD once softened) in the PDF only.
_NOT_COMPARED = re.compile(r"[\s\u00ad\u2010]+")


def fix_lists(doc: pikepdf.Pdf, html: str) -> bool:
    """No list directly inside a list; an item broken over pages one item; numbers as /Lbl;
    each dt/dd pair one item. ``html`` is the source, whose items and descriptions the PDF's
    text must match before anything moves."""
    found = structure_of(doc)
    if found is None:
        return False
    root, role_map = found
    changed = False
    for elem in [e for e in walk_struct(root) if elem_type(e, role_map) == "L"]:
        changed |= _flatten(elem, role_map)
    texts = _Texts(doc)
    changed |= _join_broken_items(root, role_map, html, texts)
    descriptions = description_lists(html)
    for elem in (e for e in walk_struct(root) if elem_type(e, role_map) == "L"):
        changed |= _pair_descriptions(elem, role_map, descriptions, texts)
        changed |= _number_labels(elem, role_map, texts)
    return changed


def _flatten(elem: pikepdf.Dictionary, role_map: Any) -> bool:
    """Splice the items of nested lists into ``elem`` (columns and pages split one list)."""
    kids = struct_kids(elem)
    if not any(is_struct_elem(k) and elem_type(k, role_map) == "L" for k in kids):
        return False
    flat: list[Any] = []
    stack = list(reversed(kids))
    while stack:
        kid = stack.pop()
        if is_struct_elem(kid) and elem_type(kid, role_map) == "L":
            stack.extend(reversed(struct_kids(kid)))
            continue
        if is_struct_elem(kid):
            kid["/P"] = elem
        flat.append(kid)
    elem["/K"] = pikepdf.Array(flat)
    return True


class _Texts:
    """Text of structure elements, reading only the pages asked about (parsing is the cost)."""

    def __init__(self, doc: pikepdf.Pdf) -> None:
        self.doc = doc
        self.collector = TextCollector()
        self.scanned: set[tuple[int, int]] = set()

    def of(self, elems: Iterable[pikepdf.Dictionary]) -> list[str]:
        elems = list(elems)
        wanted = {pg.objgen for e in elems for pg in _pages(e)} - self.scanned
        for page in self.doc.pages if wanted else ():
            if page.obj.objgen in wanted:
                obj = page.obj
                self.collector.scan(obj, obj.get("/Resources"), obj.objgen, None, frozenset())
                self.scanned.add(obj.objgen)
        texts: dict[McKey, list[str]] = self.collector.texts
        return [element_text(e, texts) or "" for e in elems]


def _pages(elem: pikepdf.Dictionary) -> list[pikepdf.Dictionary]:
    found, stack = [], [elem]
    while stack:
        e = stack.pop()
        pg = e.get("/Pg")
        if isinstance(pg, pikepdf.Dictionary):
            found.append(pg)
        stack.extend(k for k in struct_kids(e) if isinstance(k, pikepdf.Dictionary))
    return found


def _items(elem: pikepdf.Dictionary, role_map: Any) -> list[pikepdf.Dictionary] | None:
    """The list's items when every one is a bare LI holding only an LBody, else None."""
    items = struct_kids(elem)
    for item in items:
        if not (is_struct_elem(item) and elem_type(item, role_map) == "LI"):
            return None
        body = struct_kids(item)
        if len(body) != 1 or not is_struct_elem(body[0]) or \
                elem_type(body[0], role_map) != "LBody":
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
        body_kids = struct_kids(struct_kids(item)[0])
        if len(body_kids) < 2 or not is_struct_elem(body_kids[0]):
            return False
        firsts.append(body_kids[0])
    labels = texts.of(firsts)
    if not all(_LABEL.fullmatch(t) for t in labels):
        return False
    numbers = [int(t.rstrip(".)")) for t in labels]
    if numbers != list(range(numbers[0], numbers[0] + len(numbers))):
        return False
    for item, label in zip(items, firsts, strict=True):
        body = struct_kids(item)[0]
        body["/K"] = pikepdf.Array(struct_kids(body)[1:])
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
        label, body = struct_kids(term)[0], struct_kids(desc)[0]
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
        text = clean_text("".join(self.buffer))
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


# --------------------------------------------------------------------------- broken items

def _join_broken_items(root: pikepdf.Dictionary, role_map: Any, html: str,
                       texts: _Texts) -> bool:
    """An item that a page or column break split in two becomes one item again.

    WeasyPrint tags each fragment: the part after the break is an item of its own, with no
    /Lbl (the marker is drawn once), first in a new list on the next page or after a labelled
    item in the next column. The part is joined to the item before it when nothing is read
    between the two and their texts together, and not the first alone, are one ``<li>`` of
    the source.
    """
    items: set[str] | None = None  # read from the source only when a candidate turns up
    changed = False
    for elem, body, before in _broken_candidates(root, role_map):
        if items is None:
            items = list_item_texts(html)
        target = struct_kids(before)[-1]
        first, rest = (_compared(t) for t in texts.of([target, body]))
        if first in items or first + rest not in items:
            continue
        for kid in struct_kids(body):
            kid["/P"] = target
        target["/K"] = pikepdf.Array([*struct_kids(target), *struct_kids(body)])
        _remove(elem)
        changed = True
    return changed


def _broken_candidates(root: pikepdf.Dictionary, role_map: Any) -> Iterator[
        tuple[pikepdf.Dictionary, pikepdf.Dictionary, pikepdf.Dictionary]]:
    """(item, its body, the item before) for each item that may be the rest of a broken one."""
    for elem in [e for e in walk_struct(root) if elem_type(e, role_map) == "LI"]:
        body = _only_body(elem, role_map)
        if body is None or not all(is_struct_elem(k) for k in struct_kids(body)):
            continue
        siblings = struct_kids(elem.get("/P"))
        index = _index(siblings, elem)
        if index is None:
            continue
        if index > 0 and not _labelled(siblings[index - 1], role_map):
            continue  # within a list, only a labelled item's rest lacks its label
        before = _item_before(elem, role_map)
        if before is None:
            continue
        kids = struct_kids(before)
        if kids and is_struct_elem(kids[-1]) and elem_type(kids[-1], role_map) == "LBody":
            yield elem, body, before


def _labelled(item: Any, role_map: Any) -> bool:
    kids = struct_kids(item)
    return is_struct_elem(item) and len(kids) == 2 and is_struct_elem(kids[0]) and \
        elem_type(kids[0], role_map) == "Lbl"


def _only_body(item: pikepdf.Dictionary, role_map: Any) -> pikepdf.Dictionary | None:
    kids = struct_kids(item)
    if len(kids) == 1 and is_struct_elem(kids[0]) and elem_type(kids[0], role_map) == "LBody":
        return kids[0]
    return None


def _index(kids: list[Any], obj: pikepdf.Dictionary) -> int | None:
    return next((i for i, k in enumerate(kids) if is_struct_elem(k) and k.objgen == obj.objgen),
                None)


def _item_before(elem: pikepdf.Dictionary, role_map: Any) -> pikepdf.Dictionary | None:
    """The list item read just before ``elem``, when nothing else is read between them: up
    while ``elem`` (or its ancestor) is a first kid, then down the last kids to an LI."""
    node: Any = elem
    while True:
        parent = node.get("/P")
        if not is_struct_elem(parent):
            return None
        kids = struct_kids(parent)
        index = _index(kids, node)
        if index is None:
            return None
        if index > 0:
            node = kids[index - 1]
            break
        node = parent
    for _ in range(64):  # the depth of a real document is far less; a cycle ends here
        if not is_struct_elem(node):
            return None
        if elem_type(node, role_map) == "LI":
            return node
        kids = struct_kids(node)
        if not kids:
            return None
        node = kids[-1]
    return None


def _remove(elem: pikepdf.Dictionary) -> None:
    """Take ``elem`` out of its parent, and each ancestor left empty (a fragment's frame)."""
    while True:
        parent: Any = elem["/P"]
        kids = struct_kids(parent)
        index = _index(kids, elem)
        if index is None:
            return
        del kids[index]
        parent["/K"] = pikepdf.Array(kids)
        if kids or not is_struct_elem(parent) or not is_struct_elem(parent.get("/P")):
            return
        elem = parent


def _compared(text: str) -> str:
    return _NOT_COMPARED.sub("", text)


class _ListItems(HTMLParser):
    """The text of every ``<li>``, nested lists' text included (as the PDF reads it)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: set[str] = set()
        self.open: list[tuple[int, list[str]]] = []  # (list depth, text so far)
        self.depth = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("ul", "ol"):
            self.depth += 1
        elif tag == "li":
            if self.open and self.open[-1][0] == self.depth:  # the previous <li> left open
                self._close()
            self.open.append((self.depth, []))

    def handle_endtag(self, tag: str) -> None:
        if tag == "li" and self.open:
            self._close()
        elif tag in ("ul", "ol") and self.depth:
            while self.open and self.open[-1][0] >= self.depth:
                self._close()
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        for _, parts in self.open:
            parts.append(data)

    def _close(self) -> None:
        self.texts.add(_compared("".join(self.open.pop()[1])))


def list_item_texts(html: str) -> set[str]:
    """Each ``<li>``'s text without spaces or hyphens, for comparing with the PDF's text."""
    parser = _ListItems()
    parser.feed(html)
    parser.close()
    return parser.texts
