"""SVG images made elsewhere, made safe to print inline: refuse what could act or reach out.

An SVG is a program as much as a picture: it can hold scripts, event handlers, HTML (in
``<foreignObject>``), links to other files and ``url()`` loads, and its DOCTYPE can declare
entities that expand or read files. Such a file is refused with the line and column of the
first offending part, so the author fixes the file (silently dropping a part could change what
the figure shows). What only editors use (Inkscape and Sodipodi settings, ``<metadata>``,
comments) is left out without a word. The output is re-serialised from the parsed tree, never
copied, so nothing the parser did not understand reaches the page.

A ``<use>`` draws a copy of another part, which may itself hold ``<use>`` elements: a 1 KB file
can ask for a hundred million copies and stall the PDF build and every reader's browser. The
copies ``<use>`` elements make are counted (references resolved, multiplied) and a drawing that
asks for more than ``MAX_DRAWS`` is refused at the ``<use>`` that asks for the most.
"""

from __future__ import annotations

import re
import xml.parsers.expat
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from .csspolicy import CssRef, css_refs, rewrite_urls, scoped_css, style_problem
from .svgbox import widened

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"

# Elements a printed figure can use. Anything else in the SVG namespace is refused: animation
# can rewrite links, and an HTML-like name (img, p, table) would break out of an inline <svg>.
_ELEMENTS = frozenset({
    "svg", "g", "defs", "symbol", "use", "title", "desc", "style", "switch", "a", "view",
    "path", "rect", "circle", "ellipse", "line", "polyline", "polygon",
    "text", "tspan", "textPath", "linearGradient", "radialGradient", "stop", "pattern",
    "clipPath", "mask", "marker", "image", "filter", "feBlend", "feColorMatrix",
    "feComponentTransfer", "feComposite", "feConvolveMatrix", "feDiffuseLighting",
    "feDisplacementMap", "feDistantLight", "feDropShadow", "feFlood", "feFuncA", "feFuncB",
    "feFuncG", "feFuncR", "feGaussianBlur", "feImage", "feMerge", "feMergeNode",
    "feMorphology", "feOffset", "fePointLight", "feSpecularLighting", "feSpotLight",
    "feTile", "feTurbulence",
})
_SKIPPED = frozenset({"metadata"})  # editor data, never drawn
_ACTIVE = {
    "script": "a <script> element; scripts are not allowed in SVG images",
    "foreignObject": "a <foreignObject> element (HTML inside the SVG); not allowed in SVG images",
}
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_MAX_DEPTH = 200  # deeper is no drawing anyone made by hand, and would exhaust the writer
_DOCTYPE = ("declares a DOCTYPE; SVG images may not (its entities could expand or read other "
            "files): remove the <!DOCTYPE …> part")
_LENGTH = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(px)?\s*")
MAX_DRAWS = 10_000  # elements that <use> references may add to a drawing, once expanded
_UNDRAWN = frozenset({"defs", "symbol", "title", "desc", "style", "metadata"})  # unless used


class SvgRefused(ValueError):
    """Raised when an SVG holds something a figure may not: where (1-based) and why."""

    def __init__(self, line: int, column: int, message: str) -> None:
        super().__init__(message)
        self.line, self.column, self.message = line, column, message


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str]
    children: list[_Node | str] = field(default_factory=list)
    at: tuple[int, int] = (1, 1)  # where its start tag is: for a message about its content


def check_svg(raw: bytes) -> None:
    """Raise :class:`SvgRefused` for an SVG the tool will not show, by the one SVG policy.

    The policy of every SVG a report shows (an image figure, a Markdown image, the theme's
    logo): drawing elements only, no scripts, event handlers, DOCTYPE or outside references,
    and a ``<style>`` only of plain rules (:mod:`.csspolicy`).
    """
    _parse(raw)


def clean_svg(raw: bytes, *, title: str, id_prefix: str, need_size: bool = True,
              share: float = 1.0) -> str:
    """The SVG as inline markup with ``title`` as its first child (WeasyPrint's /Alt).

    Ids get ``id_prefix`` (which must start with a letter, as a CSS id does) so two figures in
    one page never share one; raises SvgRefused.
    ``need_size``: a figure scales to the column, so it needs a viewBox or a pixel size.
    ``share`` (0 to 1) of the column the drawing fills, centred (see :func:`widened`).
    """
    root = _parse(raw)
    if not _IDENT.fullmatch(root.attrs.get("id", "")):
        root.attrs["id"] = "root"  # the scope of the figure's own style rules: a CSS name
    ids = _collect_ids(root, set())
    attrs = {k: v for k, v in root.attrs.items() if k not in ("width", "height")}
    if "viewBox" not in attrs and (need_size or {"width", "height"} <= set(root.attrs)):
        attrs["viewBox"] = _viewbox_from_size(root.attrs)
    if "viewBox" in attrs:
        box = _viewbox(attrs["viewBox"])
        if share < 1:
            attrs["viewBox"] = widened(box, share)
    attrs.update({"role": "img", "width": "100%"})
    first = _first_node(root)
    # The alt text is the title: an old first <title> would be read out as well.
    children = [c for c in root.children if not (c is first and first.tag == "title")]
    out = ['<svg xmlns="http://www.w3.org/2000/svg"', _attrs(attrs, ids, id_prefix), ">",
           f"<title>{escape(title)}</title>"]
    for child in children:
        _write(child, ids, id_prefix, out, (root.attrs["id"],))
    out.append("</svg>")
    return "".join(out)


def _parse(raw: bytes) -> _Node:
    root = _Reader(raw).parse()
    _check_draws(root)
    return root


def _check_draws(root: _Node) -> None:
    """Refuse a drawing whose ``<use>`` copies add more than MAX_DRAWS elements, or loop.

    Each element's cost is (elements drawn, of which added by ``<use>``), counted bottom-up
    without recursion (a chain of uses may be long) and capped at MAX_DRAWS + 1."""
    order: list[_Node] = []
    by_id: dict[str, _Node] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        order.append(node)
        by_id.setdefault(node.attrs.get("id", ""), node)  # the first of a repeated id is used
        stack.extend(reversed([c for c in node.children if isinstance(c, _Node)]))

    def target(node: _Node) -> _Node | None:
        href = node.attrs.get("href", "")
        return by_id.get(href[1:]) if node.tag == "use" and href.startswith("#") else None

    def parts(node: _Node) -> list[_Node]:
        used = target(node)
        return [c for c in node.children if isinstance(c, _Node)] + ([used] if used else [])

    cost: dict[int, tuple[int, int]] = {}
    for first in (n for n in order if id(n) not in cost):
        walk = [(first, iter(parts(first)))]
        visiting = {id(first)}
        while walk:
            node, todo = walk[-1]
            part = next(todo, None)
            if part is None:
                walk.pop()
                visiting.discard(id(node))
                cost[id(node)] = _cost(node, target(node), cost)
            elif id(part) in visiting:
                raise SvgRefused(*node.at, (
                    f"has a <{node.tag}> that draws itself through <use> references; remove "
                    "the loop"))
            elif id(part) not in cost:
                visiting.add(id(part))
                walk.append((part, iter(parts(part))))
    if cost[id(root)][1] > MAX_DRAWS:
        worst = max((n for n in order if n.tag == "use"), key=lambda n: cost[id(n)][1])
        raise SvgRefused(*worst.at, (
            f"has <use> references that copy more than {MAX_DRAWS:,} elements once expanded "
            "(copies of copies multiply); an SVG image may add at most that many: simplify "
            "the drawing"))


def _cost(node: _Node, used: _Node | None, cost: dict[int, tuple[int, int]]) -> tuple[int, int]:
    """(elements drawn, elements added by ``<use>``) for ``node``, its children already costed."""
    drawn, added = 1, 0
    for child in node.children:
        if isinstance(child, _Node) and child.tag not in _UNDRAWN:
            drawn, added = drawn + cost[id(child)][0], added + cost[id(child)][1]
    if used is not None:
        drawn, added = drawn + cost[id(used)][0], added + cost[id(used)][0]
    cap = MAX_DRAWS + 1
    return min(drawn, cap), min(added, cap)


class _Reader:
    """One SVG file read by expat into :class:`_Node` trees, refused at the first element,
    attribute, instruction or declaration outside the policy (with its line and column)."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self.parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
        self.stack: list[_Node] = []
        self.done: list[_Node] = []
        self.skipping = 0  # depth inside elements the printed image leaves out

    def parse(self) -> _Node:
        parser = self.parser
        parser.StartDoctypeDeclHandler = self.doctype
        parser.EntityDeclHandler = self.doctype
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.CharacterDataHandler = self.text
        parser.ProcessingInstructionHandler = self.instruction
        try:
            parser.Parse(self.raw, True)
        except xml.parsers.expat.ExpatError as exc:
            raise SvgRefused(exc.lineno, exc.offset + 1, (
                f"is not well-formed XML ({xml.parsers.expat.errors.messages[exc.code]}); "
                "export the SVG again")) from None
        if not self.done:
            raise SvgRefused(1, 1, "is not an SVG image: it has no <svg> element")
        return self.done[0]

    def here(self) -> tuple[int, int]:
        return self.parser.CurrentLineNumber, self.parser.CurrentColumnNumber + 1

    def refuse(self, message: str) -> None:
        raise SvgRefused(*self.here(), message)

    def doctype(self, *_args: object) -> None:
        at = self.raw.lower().find(b"<!doctype")
        if at >= 0:
            line = self.raw.count(b"\n", 0, at) + 1
            raise SvgRefused(line, at - self.raw.rfind(b"\n", 0, at), _DOCTYPE)
        self.refuse(_DOCTYPE)

    def instruction(self, target: str, _data: str) -> None:
        if target.lower() == "xml-stylesheet":
            self.refuse("has an <?xml-stylesheet?> instruction; an SVG image may not load "
                        "other files: remove it")

    def start(self, name: str, attrs: dict[str, str]) -> None:
        ns, _, local = name.rpartition(" ")
        if self.skipping or ns != SVG_NS or local in _SKIPPED:
            if not self.stack and not self.done:
                self.refuse(f"is not an SVG image: its first element is <{local}>, not <svg> "
                            f"in the SVG namespace ({SVG_NS})")
            self.skipping += 1
            return
        self.check_element(local)
        node = _Node(local, _check_attrs(local, attrs, self.refuse), at=self.here())
        if self.stack:
            self.stack[-1].children.append(node)
        self.stack.append(node)

    def check_element(self, local: str) -> None:
        if not self.stack and (self.done or local != "svg"):
            self.refuse(f"is not an SVG image: its first element is <{local}>, not <svg>")
        if local in _ACTIVE:
            self.refuse(f"has {_ACTIVE[local]}: remove it")
        if local not in _ELEMENTS:
            self.refuse(f"has a <{local}> element, which a printed SVG image cannot use: "
                        "remove it")
        if len(self.stack) >= _MAX_DEPTH:
            self.refuse(f"nests elements more than {_MAX_DEPTH} deep; simplify the drawing")

    def end(self, _name: str) -> None:
        if self.skipping:
            self.skipping -= 1
            return
        node = self.stack.pop()
        if node.tag == "style":
            css = "".join(c for c in node.children if isinstance(c, str))
            problem = style_problem(css) or _url_problem(css)
            if problem:
                raise SvgRefused(*node.at, problem)
        if not self.stack:
            self.done.append(node)

    def text(self, data: str) -> None:
        if self.stack and not self.skipping:
            self.stack[-1].children.append(data)


def _check_attrs(tag: str, attrs: dict[str, str], refuse) -> dict[str, str]:
    """Attributes kept as written; event handlers and outside references refuse the file."""
    kept: dict[str, str] = {}
    for name, value in attrs.items():
        ns, _, local = name.rpartition(" ")
        if local.lower().startswith("on"):
            refuse(f"has an event attribute '{local}' on <{tag}>; scripts are not allowed in "
                   "SVG images: remove it")
        if local == "href" and ns in ("", XLINK_NS):
            if not value.strip().startswith("#"):
                refuse(f"refers to '{_short(value)}' from <{tag}>; an SVG image may refer only to "
                       "its own parts (href=\"#id\"): embed what it shows, or remove it")
            kept["href"] = value.strip()
            continue
        if ns == XML_NS and local in ("space", "lang"):
            kept[f"xml:{local}"] = value
            continue
        if ns:
            continue  # editor settings (inkscape:, sodipodi:): never drawn
        if "\\" in value and local == "style":
            refuse(f"has a CSS escape (\\) in the style of <{tag}>; write it without escapes")
        problem = _url_problem(value)
        if problem:
            refuse(problem)
        kept[local] = value
    return kept


def _url_problem(value: str) -> str | None:
    """A figure may load nothing, not even a data: URL: only ``url(#id)`` of its own parts."""
    for ref in _refs(value):
        if ref.kind == "import":
            return "has an @import in a style; an SVG image may not load other files: remove it"
        if ref.kind == "image":
            return (f"has {ref.target}() in a style; an SVG image may not load other files: "
                    "remove it")
        if not ref.target.strip().startswith("#"):
            return (f"refers to '{_short(ref.target)}' in url(…); an SVG image may refer only to "
                    "its own parts (url(#id)): embed what it shows, or remove it")
    return None


def _refs(value: str) -> list[CssRef]:
    # Without "(" or "@" no CSS can name a URL: path data and numbers skip the tokenizer.
    return css_refs(value) if "(" in value or "@" in value else []


def _short(value: str) -> str:
    value = " ".join(value.split())
    return value if len(value) <= 60 else value[:57] + "..."


def _first_node(node: _Node) -> _Node | None:
    return next((c for c in node.children if isinstance(c, _Node)), None)


def _collect_ids(node: _Node, ids: set[str]) -> set[str]:
    if "id" in node.attrs:
        ids.add(node.attrs["id"])
    for child in node.children:
        if isinstance(child, _Node):
            _collect_ids(child, ids)
    return ids


def _viewbox_from_size(attrs: dict[str, str]) -> str:
    """Without a viewBox the picture would not scale to the column: derive one from its size."""
    sizes = [_LENGTH.fullmatch(attrs.get(k, "")) for k in ("width", "height")]
    if not all(sizes):
        raise SvgRefused(1, 1, "has no viewBox and no width and height in pixels, so its "
                               "size is unknown; export it with a viewBox")
    return f"0 0 {sizes[0][1]} {sizes[1][1]}"  # type: ignore[index]


def _viewbox(value: str) -> tuple[float, float, float, float]:
    numbers = value.replace(",", " ").split()
    try:
        x, y, w, h = (float(n) for n in numbers)
    except ValueError:
        x = w = h = y = 0.0
    if len(numbers) != 4 or w <= 0 or h <= 0:
        raise SvgRefused(1, 1, f"has a viewBox '{_short(value)}' that is not four numbers "
                               "with a positive width and height; export it again")
    return x, y, w, h


def _renamed(value: str, ids: set[str], prefix: str) -> str:
    """Point ``#id`` and ``url(#id)`` at the prefixed ids."""
    if value.startswith("#") and value[1:] in ids:
        return f"#{prefix}{value[1:]}"
    def new(ref: CssRef) -> str | None:
        name = ref.target.strip()[1:]
        return f"url(#{prefix}{name})" if name in ids else None

    return rewrite_urls(value, _refs(value), new)


def _attrs(attrs: dict[str, str], ids: set[str], prefix: str) -> str:
    out = []
    for name, value in attrs.items():
        value = f"{prefix}{value}" if name == "id" else _renamed(value, ids, prefix)
        out.append(f" {name}={quoteattr(value)}")
    return "".join(out)


def _write(node: _Node | str, ids: set[str], prefix: str, out: list[str],
           scope: tuple[str] = ("root",)) -> None:
    if isinstance(node, str):
        out.append(escape(node))
        return
    out.append(f"<{node.tag}{_attrs(node.attrs, ids, prefix)}>")
    if node.tag == "style":
        css = "".join(c for c in node.children if isinstance(c, str))
        out.append(escape(scoped_css(css, f"{prefix}{scope[0]}",
                                     lambda i: f"{prefix}{i}" if i in ids else i,
                                     lambda v: _renamed(v, ids, prefix))))
    else:
        for child in node.children:
            _write(child, ids, prefix, out, scope)
    out.append(f"</{node.tag}>")
