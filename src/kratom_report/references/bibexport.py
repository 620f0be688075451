"""Our references written as BibTeX (biblatex field names where BibTeX has none), for export."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .bibtex import CSL_TYPES
from .csldata import ET_AL, RICH_RAW, tags_balanced, to_csl_item
from .ownfields import own_bib_fields

_TO_BIB_TYPE = {
    "article-journal": "article",
    "article-magazine": "article",
    "article-newspaper": "article",
    "article": "article",
    "book": "book",
    "report": "techreport",
    "webpage": "online",
    "post": "online",
    "post-weblog": "online",
    "paper-conference": "inproceedings",
    "chapter": "incollection",
    "thesis": "phdthesis",
}
_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
}


_RICH_TO_LATEX = {
    "i": "\\textit{",
    "b": "\\textbf{",
    "sup": "\\textsuperscript{",
    "sub": "\\textsubscript{",
    "span": "{",
}


def _latex_escape(text: str) -> str:
    """Plain text (with CSL inline markup) -> LaTeX that _latex_text reads back unchanged."""
    escaped = "".join(_LATEX_SPECIALS.get(ch, ch) for ch in text)
    escaped = escaped.replace("--", "-{}-")  # "--" would read back as an en dash
    tags = list(RICH_RAW.finditer(escaped))
    if tags and tags_balanced(tags):
        escaped = RICH_RAW.sub(
            lambda m: "}" if m.group(0).startswith("</") else _RICH_TO_LATEX[m.group(2) or "span"],
            escaped,
        )
    return escaped


# A word (letters, digits, hyphens, apostrophes); not a LaTeX command's name.
_WORD = re.compile(r"(?<![\w\\])[\w'’-]+")


def _capitals_kept(title: str) -> str:
    """A title with every capitalised word in braces, except a first word capitalised only at
    its start: BibTeX styles lower-case titles, and our titles are in sentence case already,
    so each capital left is a name, an acronym or a start after a colon, and must stay.
    Readers drop the braces (bibtex.py), so the title reads back unchanged."""
    def protect(match: re.Match[str]) -> str:
        word = match.group(0)
        capitals = [ch.isupper() for ch in word]
        if not any(capitals) or (match.start() == 0 and not any(capitals[1:])):
            return word
        return "{" + word + "}"

    return _WORD.sub(protect, title)


def _braces_escaped(text: str) -> str:
    """A value written as it is, except what could end its field early and start another
    (``}, url = {…``): braces and backslashes are escaped, so every field holds only itself."""
    return "".join(_LATEX_SPECIALS[ch] if ch in "\\{}" else ch for ch in text)


def _bib_name(name: Mapping[str, str]) -> str:
    literal = name.get("literal")
    if literal is not None:
        return "others" if literal.strip().lower() in ET_AL else "{" + _latex_escape(literal) + "}"
    family = _latex_escape(name.get("family", ""))
    if re.search(r"\s(?:and)\s|,", family) or (family[:1].islower() and " " in family):
        family = "{" + family + "}"
    particle = name.get("non-dropping-particle") or name.get("dropping-particle")
    if particle:
        family = f"{_latex_escape(particle)} {family}"
    parts = [family]
    if name.get("suffix"):
        parts.append(_latex_escape(name["suffix"]))
    if name.get("given"):
        parts.append(_latex_escape(name["given"]))
    return ", ".join(parts)


def _iso(date: Mapping[str, Any]) -> str | None:
    parts = (date.get("date-parts") or [[]])[0]
    if not parts:
        return None
    return "-".join([f"{parts[0]:04d}"] + [f"{p:02d}" for p in parts[1:]])


def _bib_fields(item: Mapping[str, Any], bib_type: str) -> list[tuple[str, str]]:
    """The BibTeX fields of one CSL item, in a fixed order (values ready to go inside braces)."""
    fields: list[tuple[str, str]] = []

    def add(name: str, value: Any, *, verbatim: bool = False) -> None:
        if value not in (None, "", []):
            fields.append((name, _braces_escaped(str(value)) if verbatim
                           else _latex_escape(str(value))))

    for role in ("author", "editor"):
        if item.get(role):
            fields.append((role, " and ".join(_bib_name(n) for n in item[role])))
    for name, field in (("title", "title"), ("shorttitle", "title-short")):
        if item.get(field):
            fields.append((name, _capitals_kept(_latex_escape(str(item[field])))))
    container = item.get("container-title")
    if bib_type == "online":
        add("organization", container)
    elif bib_type in ("inproceedings", "incollection"):
        add("booktitle", container)
    else:
        add("journal", container)
    add("shortjournal", item.get("container-title-short"))
    add("institution" if bib_type == "techreport" else "publisher", item.get("publisher"))
    add("address", item.get("publisher-place"))
    add("series", item.get("collection-title"))
    add("edition", item.get("edition"))
    add("type", item.get("genre"))
    issued = _iso(item.get("issued") or {})
    if issued:
        add("year", issued[:4])
        if len(issued) > 4:
            add("date", issued)
    add("volume", item.get("volume"))
    add("number", item.get("issue") or item.get("number"))
    if item.get("page"):
        add("pages", re.sub(r"\s*[-–]+\s*", "--", item["page"]), verbatim=True)
    for name, field in (("doi", "DOI"), ("url", "URL")):
        value = item.get(field)
        # Braces would end the field early; nothing else in a DOI or URL needs escaping.
        add(name, value and value.replace("{", "%7B").replace("}", "%7D"), verbatim=True)
    add("urldate", _iso(item.get("accessed") or {}), verbatim=True)
    add("pmid", item.get("PMID"), verbatim=True)
    add("pmcid", item.get("PMCID"), verbatim=True)
    add("isbn", item.get("ISBN"), verbatim=True)
    add("issn", item.get("ISSN"), verbatim=True)
    add("language", item.get("language"), verbatim=True)
    add("note", item.get("note"))
    return fields


def export_bibtex(refs: list[dict]) -> str:
    """Our references -> BibTeX (biblatex field names where BibTeX has none), deterministic.

    Entries keep the given order and a fixed field order; text is LaTeX-escaped, capitals in
    titles are kept in braces, DOI and URL are written verbatim, and our own fields
    (ownfields.py) follow the bibliographic ones, so an export re-imports unchanged. CSL types
    without a BibTeX equivalent (e.g. legislation) become @misc with ``entrysubtype`` naming
    the CSL type, so bibtex_to_csl reads them back unchanged.
    """
    chunks = []
    for ref in refs:
        item = to_csl_item(ref)
        key = str(ref.get("key", ref.get("id"))).strip()
        csl_type = str(item.get("type", ""))
        bib_type = _TO_BIB_TYPE.get(csl_type, "misc")
        fields = _bib_fields(item, bib_type) + own_bib_fields(ref)
        if csl_type in ("article-newspaper", "article-magazine"):
            fields.insert(0, ("entrysubtype", csl_type.removeprefix("article-")))
        elif bib_type == "misc" and csl_type in CSL_TYPES:
            fields.insert(0, ("entrysubtype", csl_type))  # read back by bibtex_to_csl
        body = "".join(f"  {name} = {{{value}}},\n" for name, value in fields)
        chunks.append(f"@{bib_type}{{{key},\n{body}}}\n")
    return "\n".join(chunks)
