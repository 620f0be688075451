"""BibTeX in and out: reference-manager exports read into our shape, our references written back.

GAP: citeproc-py's own BibTeX reader drops ``url``, ``urldate`` and ``institution`` and renders
``@misc`` oddly, so :func:`bibtex_to_csl` reads with bibtexparser v2 instead (see bibparse).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import re
from collections.abc import Mapping
from typing import Any

from .bibparse import BrokenBlock, parse_bib
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
_CSL_TYPES = frozenset([
    "article", "article-journal", "article-magazine", "article-newspaper", "bill", "book",
    "broadcast", "chapter", "dataset", "document", "entry", "entry-dictionary",
    "entry-encyclopedia", "figure", "graphic", "interview", "legal_case", "legislation",
    "manuscript", "map", "motion_picture", "musical_score", "pamphlet", "paper-conference",
    "patent", "personal_communication", "post", "post-weblog", "regulation", "report", "review",
    "review-book", "software", "song", "speech", "standard", "thesis", "treaty", "webpage",
])
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_URL_MACRO = re.compile(r"\\url\{([^}]*)\}")
# The start of a date: a range ("2021-03/2021-04") or an EDTF mark ("2021-03~") is cited by it.
_DATE_START = re.compile(r"^\s*(\d{4}(?:-\d{1,2}(?:-\d{1,2})?)?)(?:[T\s/~?%].*)?$")
# biblatex's localisation keys in ``type`` (BBT writes them for theses and reports).
_TYPE_KEYS = {"phdthesis": "PhD thesis", "mathesis": "Master's thesis",
              "techreport": "Technical report", "resreport": "Research report"}
# babel names in ``langid`` (Better BibTeX) -> the language tags CSL wants.
_BABEL = {"english": "en", "american": "en-US", "british": "en-GB", "french": "fr",
          "german": "de", "ngerman": "de", "spanish": "es", "italian": "it", "dutch": "nl",
          "portuguese": "pt", "brazilian": "pt-BR", "swedish": "sv", "danish": "da",
          "norwegian": "nb", "finnish": "fi", "polish": "pl", "russian": "ru"}
_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
# What the LaTeX parser would change: macros, groups, ties, math, dashes, TeX quotes.
_LATEX_SYNTAX = re.compile(r"[\\{}~$]|--|``|''|!`|\?`")


@functools.lru_cache(maxsize=1)
def _latex_decoder() -> Any:
    # pylatexenc is a dependency of bibtexparser v2 (its LatexDecodingMiddleware uses it).
    from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

    context = get_default_latex_context_db()
    italic = "<i>%s</i>"
    context.add_context_category(
        "kratom-report-rich-text",
        prepend=True,
        macros=[  # keep italics etc. as CSL-JSON inline markup (species names in titles)
            MacroTextSpec("textit", simplify_repl=italic),
            MacroTextSpec("emph", simplify_repl=italic),
            MacroTextSpec("mkbibemph", simplify_repl=italic),  # Better BibLaTeX's italics
            MacroTextSpec("mkbibitalic", simplify_repl=italic),
            MacroTextSpec("textbf", simplify_repl="<b>%s</b>"),
            MacroTextSpec("mkbibbold", simplify_repl="<b>%s</b>"),
            MacroTextSpec("textsuperscript", simplify_repl="<sup>%s</sup>"),
            MacroTextSpec("textsubscript", simplify_repl="<sub>%s</sub>"),
            MacroTextSpec("url", simplify_repl="%s"),
        ],
    )
    return LatexNodes2Text(latex_context=context, math_mode="text")


@functools.lru_cache(maxsize=1)
def _latex_parser_context() -> Any:
    # Built once: LatexNodes2Text.latex_to_text rebuilds it for every value (~1 ms each).
    from pylatexenc.latexwalker import get_default_latex_context_db
    from pylatexenc.macrospec import MacroSpec

    context = get_default_latex_context_db()
    context.add_context_category(  # macros the parser must know take an argument
        "kratom-report-biblatex",
        prepend=True,
        macros=[MacroSpec(name, "{") for name in (
            "mkbibemph", "mkbibitalic", "mkbibbold", "textsuperscript", "textsubscript")],
    )
    return context


@functools.lru_cache(maxsize=8192)
def _latex_text(value: str) -> str:
    """LaTeX field text -> plain Unicode: accents decoded, braces and markup dropped.

    A raw "&" or "%" (common in exported .bib files) is taken literally, not as LaTeX's column
    separator or comment. Text without LaTeX in it (most fields of an export) skips the LaTeX
    parser, which costs milliseconds a value; results are cached (exports repeat themselves).
    """
    if not _LATEX_SYNTAX.search(value):
        return " ".join(value.split())
    from pylatexenc.latexwalker import LatexWalker

    value = re.sub(r"(?<!\\)([&%])", r"\\\1", value)
    walker = LatexWalker(value, latex_context=_latex_parser_context(), tolerant_parsing=True)
    nodes, _, _ = walker.get_latex_nodes()
    return " ".join(_latex_decoder().nodelist_to_text(nodes).split())


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


def _date_start(value: str) -> str:
    """The date a range or EDTF value starts with ("2021-03/2021-04" -> "2021-03")."""
    match = _DATE_START.match(value)
    return match.group(1) if match else value.strip()


def _bib_issued(fields: Mapping[str, str], label: str) -> dict | None:
    if fields.get("date"):
        return date_parts(_date_start(fields["date"]), "date", label)
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


@dataclasses.dataclass
class BibEntry:
    """One entry of a .bib file: our reference, or why it could not be made; where it stands."""

    key: str
    line: int
    column: int
    ref: dict | None
    error: str | None = None  # set when ref is None: the entry is skipped
    warnings: list[str] = dataclasses.field(default_factory=list)


def read_bib_entries(text: str) -> tuple[list[BibEntry], list[BrokenBlock]]:
    """Every entry converted on its own, so one bad entry costs that entry, not the file.

    Returns the entries in file order (each with its reference or its error, and warnings such
    as fields run together by a missing comma) and the blocks bibtexparser could not read.
    """
    raw_entries, broken = parse_bib(text)
    out = []
    for raw in raw_entries:
        try:
            ref: dict | None = _bib_entry(raw.key, raw.entry_type, raw.fields)
            error = None
        except ValueError as exc:
            ref, error = None, str(exc).removeprefix(f"reference '{raw.key}': ")
        if ref and "URL" in ref and raw.fields.get("urldate", "").strip() and "accessed" not in ref:
            raw.notes.append(f"urldate {raw.fields['urldate'].strip()!r} is not a date "
                             "(YYYY-MM-DD); it is ignored")
        out.append(BibEntry(raw.key, raw.line, raw.column, ref, error, raw.notes))
    return out, broken


def bibtex_to_csl(text: str) -> list[dict]:
    """BibTeX/biblatex text -> references in OUR shape (``key`` + CSL fields), in file order.

    Strict: any unreadable block, bad value or duplicate key raises ValueError naming its line
    (files.py reads leniently, entry by entry, through read_bib_entries).

    We read .bib ourselves (bibtexparser v2) because citeproc-py's reader drops url, urldate and
    institution. Mapping: author/editor ("and"-separated; ``{Organisation}`` -> literal, ``others``
    -> et al), title (LaTeX decoded, braces stripped), journal/journaltitle -> container-title,
    shortjournal -> container-title-short, year/month/date -> issued, volume, number -> issue
    (articles) or number, pages ("--" -> "-"), doi, url (or ``\\url{}`` in howpublished),
    urldate -> accessed, pmid, isbn, issn, note, publisher/address. institution/organization ->
    publisher (for @online: the website name, container-title) and, when there is no author,
    the literal author. Entry types: see _BIB_TYPES; @misc is a webpage when it has a URL,
    else a generic document; ``entrysubtype`` (newspaper, magazine, or a CSL type name) wins.
    More in _bib_details; fields we do not use (abstract, keywords, file, ...) are ignored.
    """
    entries, broken = read_bib_entries(text)
    if broken:
        raise ValueError("; ".join(f"line {b.line}: {b.reason}" for b in broken))
    refs: list[dict] = []
    seen: dict[str, int] = {}
    for entry in entries:
        if entry.ref is None:
            raise ValueError(f"line {entry.line}: reference '{entry.key}': {entry.error}")
        if entry.key.lower() in seen:
            raise ValueError(
                f"line {entry.line}: duplicate key '{entry.key}' (first on line "
                f"{seen[entry.key.lower()]}; keys are case-insensitive)"
            )
        seen[entry.key.lower()] = entry.line
        refs.append(entry.ref)
    return refs


def _bib_verbatim(value: str) -> str:
    """DOI/URL text as written, minus the escapes plain BibTeX needs (``\\_``, ``\\%``)."""
    return re.sub(r"\\([_%&#~])", r"\1", value.strip())


def _bib_type(entry_type: str, fields: Mapping[str, str], url: str | None) -> str:
    csl_type = _BIB_TYPES.get(entry_type)
    if csl_type is None:
        csl_type = "webpage" if entry_type == "misc" and url else "document"
    subtype = fields.get("entrysubtype", "").strip().lower()
    if csl_type == "article-journal" and subtype in ("newspaper", "magazine"):
        csl_type = f"article-{subtype}"  # biblatex's convention
    elif subtype in _CSL_TYPES:
        csl_type = subtype  # written by export_bibtex for types BibTeX lacks (e.g. legislation)
    return csl_type


def _bib_entry(key: str, entry_type: str, fields: Mapping[str, str]) -> dict:
    url = _bib_url(fields)
    csl_type = _bib_type(entry_type, fields, url)
    ref: dict[str, Any] = {"key": key, "type": csl_type}

    def text(name: str) -> str | None:
        value = fields.get(name, "").strip()
        return (_latex_text(value) or None) if value else None

    for role in ("author", "editor", "translator"):
        if fields.get(role, "").strip():
            ref[role] = _bib_names(fields[role])
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
    publisher = text("publisher") or (organisation if csl_type != "webpage" else None)
    if publisher:
        ref["publisher"] = publisher
    issued = _bib_issued(fields, key)
    if issued:
        ref["issued"] = issued
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
        if fields.get("urldate", "").strip():  # an access date means nothing without the URL
            with contextlib.suppress(ValueError):  # not worth the entry: read_bib_entries warns
                ref["accessed"] = date_parts(_date_start(fields["urldate"]), "urldate", key)
    ref.update(_bib_details(fields, text))
    return ref


def _bib_details(fields: Mapping[str, str], text: Any) -> dict[str, Any]:
    """The plain fields: short titles, series, edition, place, identifiers, language, note.

    ``type`` (a report's or thesis's kind) becomes the CSL genre; ``langid`` (babel names) and
    ``language`` (a language tag) the CSL language; biblatex's ``eprint`` with ``eprinttype``
    pmid/pubmed or pmcid a PMID or PMCID. abstract, keywords, file, annote, copyright and the
    like are nothing a reference list prints and are ignored.
    """
    out: dict[str, Any] = {}
    for csl, names in (("container-title-short", ("shortjournal", "journalabbrev")),
                       ("title-short", ("shorttitle",)), ("collection-title", ("series",)),
                       ("publisher-place", ("address", "location")), ("volume", ("volume",)),
                       ("edition", ("edition",)), ("note", ("note",))):
        value = next((text(n) for n in names if text(n)), None)
        if value:
            out[csl] = value
    kind = text("type")
    if kind:
        out["genre"] = _TYPE_KEYS.get(kind.lower(), kind)
    eprint_type = fields.get("eprinttype", "").strip().lower()
    eprint = {"pmid": "pmid", "pubmed": "pmid", "pmcid": "pmcid"}.get(eprint_type)
    for name, csl in (("pmid", "PMID"), ("pmcid", "PMCID"), ("isbn", "ISBN"), ("issn", "ISSN")):
        value = fields.get(name, "").strip() or (fields.get("eprint", "") if eprint == name else "")
        if value.strip():
            out[csl] = value.strip()
    language = fields.get("language", "").strip()
    langid = _BABEL.get(fields.get("langid", "").strip().lower())
    if _LANGUAGE_TAG.match(language) or langid:
        out["language"] = language if _LANGUAGE_TAG.match(language) else langid
    return out


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
    add("shorttitle", item.get("title-short"))
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
