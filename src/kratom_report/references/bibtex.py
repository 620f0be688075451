"""BibTeX in and out: reference-manager exports read into our shape, our references written back.

GAP: citeproc-py's own BibTeX reader drops ``url``, ``urldate`` and ``institution`` and renders
``@misc`` oddly, so :func:`bibtex_to_csl` reads with bibtexparser v2 instead.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

from .csldata import DOI_PREFIX, ET_AL, RICH_RAW, date_parts, tags_balanced, to_csl_item

# ------------------------------------------------------------------------------- BibTeX import

_BIB_TYPES = {
    "article": "article-journal",
    "book": "book",
    "techreport": "report",
    "report": "report",
    "online": "webpage",
    "electronic": "webpage",
    "www": "webpage",
    "inproceedings": "paper-conference",
    "conference": "paper-conference",
    "incollection": "chapter",
    "inbook": "chapter",
    "phdthesis": "thesis",
    "mastersthesis": "thesis",
    "thesis": "thesis",
}
_CSL_TYPES = frozenset(
    [
        "article",
        "article-journal",
        "article-magazine",
        "article-newspaper",
        "bill",
        "book",
        "broadcast",
        "chapter",
        "dataset",
        "document",
        "entry",
        "entry-dictionary",
        "entry-encyclopedia",
        "figure",
        "graphic",
        "interview",
        "legal_case",
        "legislation",
        "manuscript",
        "map",
        "motion_picture",
        "musical_score",
        "pamphlet",
        "paper-conference",
        "patent",
        "personal_communication",
        "post",
        "post-weblog",
        "regulation",
        "report",
        "review",
        "review-book",
        "software",
        "song",
        "speech",
        "standard",
        "thesis",
        "treaty",
        "webpage",
    ]
)
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_URL_MACRO = re.compile(r"\\url\{([^}]*)\}")


@functools.lru_cache(maxsize=1)
def _latex_decoder() -> Any:
    # pylatexenc is a dependency of bibtexparser v2 (its LatexDecodingMiddleware uses it).
    from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

    context = get_default_latex_context_db()
    context.add_context_category(
        "kratom-report-rich-text",
        prepend=True,
        macros=[  # keep italics etc. as CSL-JSON inline markup (species names in titles)
            MacroTextSpec("textit", simplify_repl="<i>%s</i>"),
            MacroTextSpec("emph", simplify_repl="<i>%s</i>"),
            MacroTextSpec("textbf", simplify_repl="<b>%s</b>"),
            MacroTextSpec("textsuperscript", simplify_repl="<sup>%s</sup>"),
            MacroTextSpec("textsubscript", simplify_repl="<sub>%s</sub>"),
            MacroTextSpec("url", simplify_repl="%s"),
        ],
    )
    return LatexNodes2Text(latex_context=context, math_mode="text")


def _latex_text(value: str) -> str:
    """LaTeX field text -> plain Unicode: accents decoded, braces and markup dropped.

    A raw "&" or "%" (common in exported .bib files) is taken literally, not as LaTeX's column
    separator or comment.
    """
    value = re.sub(r"(?<!\\)([&%])", r"\\\1", value)
    return " ".join(_latex_decoder().latex_to_text(value).split())


def _bib_names(raw: str) -> list[dict]:
    from bibtexparser.middlewares.names import (
        parse_single_name_into_parts,
        split_multiple_persons_names,
    )

    names: list[dict] = []
    for person in split_multiple_persons_names(raw):
        person = person.strip()
        if person.lower() == "others":
            names.append({"literal": "et al"})
            continue
        if person.startswith("{") and person.endswith("}") and _balanced(person[1:-1]):
            names.append({"literal": _latex_text(person[1:-1])})  # {Organisation Name}
            continue
        parts = parse_single_name_into_parts(person, strict=False)
        name = {}
        if parts.last:
            name["family"] = _latex_text(" ".join(parts.last))
        if parts.first:
            name["given"] = _latex_text(" ".join(parts.first))
        if parts.von:
            name["non-dropping-particle"] = _latex_text(" ".join(parts.von))
        if parts.jr:
            name["suffix"] = _latex_text(" ".join(parts.jr))
        if "family" not in name:
            name = {"literal": _latex_text(person)}
        names.append(name)
    return names


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def _bib_issued(fields: Mapping[str, str], label: str) -> dict | None:
    if fields.get("date"):
        return date_parts(fields["date"].strip(), "date", label)
    year = fields.get("year", "").strip()
    if not year:
        return None
    if not year.isdigit():
        raise ValueError(f"reference '{label}': year {year!r} is not a number")
    parts = [int(year)]
    month = fields.get("month", "").strip().lower()
    if month:
        number = int(month) if month.isdigit() else _MONTHS.get(month[:3])
        if number and 1 <= number <= 12:
            parts.append(number)
    return {"date-parts": [parts]}


def _bib_url(fields: Mapping[str, str]) -> str | None:
    url = fields.get("url", "").strip()
    if url:
        return url
    found = _URL_MACRO.search(fields.get("howpublished", ""))
    return found.group(1).strip() if found else None


def bibtex_to_csl(text: str) -> list[dict]:
    """BibTeX/biblatex text -> references in OUR shape (``key`` + CSL fields), in file order.

    We read .bib ourselves (bibtexparser v2) because citeproc-py's reader drops url, urldate and
    institution. Mapping: author/editor ("and"-separated; ``{Organisation}`` -> literal, ``others``
    -> et al), title (LaTeX decoded, braces stripped), journal/journaltitle -> container-title,
    shortjournal -> container-title-short, year/month/date -> issued, volume, number -> issue
    (articles) or number, pages ("--" -> "-"), doi, url (or ``\\url{}`` in howpublished),
    urldate -> accessed, pmid, isbn, issn, note, publisher/address. institution/organization ->
    publisher (for @online: the website name, container-title) and, when there is no author,
    the literal author. Entry types: see _BIB_TYPES; @misc is a webpage when it has a URL,
    else a generic document; ``entrysubtype`` (newspaper, magazine, or a CSL type name) wins.
    """
    import bibtexparser

    library = bibtexparser.parse_string(text)
    problems = [
        f"line {block.start_line + 1}: {getattr(block, 'error', None) or type(block).__name__}"
        for block in library.failed_blocks
    ]
    if problems:
        raise ValueError("; ".join(problems))
    refs: list[dict] = []
    seen: dict[str, int] = {}
    for entry in library.entries:
        key = entry.key.strip()
        line = entry.start_line + 1
        if key.lower() in seen:
            raise ValueError(
                f"line {line}: duplicate key '{key}' (first on line {seen[key.lower()]}; "
                "keys are case-insensitive)"
            )
        seen[key.lower()] = line
        fields = {f.key.lower(): str(f.value) for f in entry.fields}
        refs.append(_bib_entry(key, entry.entry_type.lower(), fields))
    return refs


def _bib_verbatim(value: str) -> str:
    """DOI/URL text as written, minus the escapes plain BibTeX needs (``\\_``, ``\\%``)."""
    return re.sub(r"\\([_%&#~])", r"\1", value.strip())


def _bib_entry(key: str, entry_type: str, fields: Mapping[str, str]) -> dict:
    url = _bib_url(fields)
    csl_type = _BIB_TYPES.get(entry_type)
    if csl_type is None:
        csl_type = "webpage" if entry_type == "misc" and url else "document"
    subtype = fields.get("entrysubtype", "").strip().lower()
    if csl_type == "article-journal" and subtype in ("newspaper", "magazine"):
        csl_type = f"article-{subtype}"  # biblatex's convention
    elif subtype in _CSL_TYPES:
        csl_type = subtype  # written by export_bibtex for types BibTeX lacks (e.g. legislation)
    ref: dict[str, Any] = {"key": key, "type": csl_type}

    def text(name: str) -> str | None:
        value = fields.get(name, "").strip()
        return (_latex_text(value) or None) if value else None

    for field in ("author", "editor"):
        if fields.get(field, "").strip():
            ref[field] = _bib_names(fields[field])
    organisation = text("institution") or text("organization")
    if organisation and "author" not in ref:
        ref["author"] = [{"literal": organisation}]
    if text("title"):
        subtitle = text("subtitle")
        ref["title"] = f"{text('title')}: {subtitle}" if subtitle else text("title")
    container = text("journal") or text("journaltitle") or text("booktitle")
    if container:
        ref["container-title"] = container
    elif organisation and csl_type == "webpage":
        ref["container-title"] = organisation  # a web page's site name
    short = text("shortjournal") or text("journalabbrev")
    if short:
        ref["container-title-short"] = short
    publisher = text("publisher") or (organisation if csl_type != "webpage" else None)
    if publisher:
        ref["publisher"] = publisher
    place = text("address") or text("location")
    if place:
        ref["publisher-place"] = place
    issued = _bib_issued(fields, key)
    if issued:
        ref["issued"] = issued
    if text("volume"):
        ref["volume"] = text("volume")
    number = text("issue") or text("number")
    if number:
        ref["issue" if csl_type.startswith("article") else "number"] = number
    pages = fields.get("pages", "").strip()
    if pages:
        ref["page"] = re.sub(r"\s*(?:-+|–)\s*", "-", pages)
    if fields.get("doi", "").strip():
        ref["DOI"] = DOI_PREFIX.sub("", _bib_verbatim(fields["doi"]))
    if url:
        ref["URL"] = _bib_verbatim(url)
    if fields.get("urldate", "").strip():
        ref["accessed"] = date_parts(fields["urldate"].strip(), "urldate", key)
    for field, csl in (("pmid", "PMID"), ("isbn", "ISBN"), ("issn", "ISSN")):
        if fields.get(field, "").strip():
            ref[csl] = fields[field].strip()
    if text("note"):
        ref["note"] = text("note")
    return ref


# ------------------------------------------------------------------------------- export

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
            fields.append((name, str(value) if verbatim else _latex_escape(str(value))))

    for role in ("author", "editor"):
        if item.get(role):
            fields.append((role, " and ".join(_bib_name(n) for n in item[role])))
    add("title", item.get("title"))
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
    add("isbn", item.get("ISBN"), verbatim=True)
    add("issn", item.get("ISSN"), verbatim=True)
    add("note", item.get("note"))
    return fields


def export_bibtex(refs: list[dict]) -> str:
    """Our references -> BibTeX (biblatex field names where BibTeX has none), deterministic.

    Entries keep the given order and a fixed field order; text is LaTeX-escaped, DOI and URL are
    written verbatim. CSL types without a BibTeX equivalent (e.g. legislation) become @misc
    with ``entrysubtype`` naming the CSL type, so bibtex_to_csl reads them back unchanged.
    """
    chunks = []
    for ref in refs:
        item = to_csl_item(ref)
        key = str(ref.get("key", ref.get("id"))).strip()
        csl_type = str(item.get("type", ""))
        bib_type = _TO_BIB_TYPE.get(csl_type, "misc")
        fields = _bib_fields(item, bib_type)
        if csl_type in ("article-newspaper", "article-magazine"):
            fields.insert(0, ("entrysubtype", csl_type.removeprefix("article-")))
        elif bib_type == "misc" and csl_type in _CSL_TYPES:
            fields.insert(0, ("entrysubtype", csl_type))  # read back by bibtex_to_csl
        body = "".join(f"  {name} = {{{value}}},\n" for name, value in fields)
        chunks.append(f"@{bib_type}{{{key},\n{body}}}\n")
    return "\n".join(chunks)
