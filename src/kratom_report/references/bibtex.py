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
from .csldata import DOI_PREFIX, date_parts
from .ownfields import own_from_bib

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
CSL_TYPES = frozenset([
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
_DATE_START = re.compile(r"^\s*([0-9]{4}(?:-[0-9]{1,2}(?:-[0-9]{1,2})?)?)(?:[T\s/~?%].*)?$")
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
            MacroTextSpec("href", simplify_repl=_href_text),
        ],
    )
    return LatexNodes2Text(latex_context=context, math_mode="text")


def _href_text(node: Any, l2tobj: Any) -> str:
    """``\\href{url}{text}`` prints its text (pylatexenc's own rule fails without it)."""
    args = [a for a in (getattr(node.nodeargd, "argnlist", None) or []) if a is not None]
    return l2tobj.nodelist_to_text([args[-1]]) if args else ""


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
            "mkbibemph", "mkbibitalic", "mkbibbold", "textsuperscript", "textsubscript")]
        + [MacroSpec("href", "{{")],
    )
    return context


MAX_BRACES = 32  # braces nested inside each other in one field: deeper is no text anyone typed


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

    depth = deepest = 0
    for ch in value:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        deepest = max(deepest, depth)
    if deepest > MAX_BRACES:  # the LaTeX parser recurses once a level
        raise ValueError(f"nests braces {deepest} deep (at most {MAX_BRACES}); remove the "
                         "extra braces")
    value = re.sub(r"(?<!\\)([&%])", r"\\\1", value)
    try:
        walker = LatexWalker(value, latex_context=_latex_parser_context(), tolerant_parsing=True)
        nodes, _, _ = walker.get_latex_nodes()
        return " ".join(_latex_decoder().nodelist_to_text(nodes).split())
    except Exception as exc:  # noqa: BLE001 - pylatexenc fails in many ways on odd macros
        shown = " ".join(value.split())
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        raise ValueError(f"has LaTeX this tool cannot read ('{shown}', {type(exc).__name__}); "
                         "write it as plain text") from None


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


def _bib_people(fields: Mapping[str, str]) -> dict[str, list[dict]]:
    out = {}
    for role in ("author", "editor", "translator"):
        if fields.get(role, "").strip():
            try:
                out[role] = _bib_names(fields[role])
            except ValueError as exc:
                raise ValueError(f"field '{role}' {exc}") from None
    return out


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


def _bib_issued(fields: Mapping[str, str], label: str) -> dict | int | None:
    if fields.get("date"):
        return date_parts(_date_start(fields["date"]), "date", label)
    year = fields.get("year", "").strip()
    if not year:
        return None
    if not year.isdigit():
        raise ValueError(f"reference '{label}': year {year!r} is not a number")
    month = fields.get("month", "").strip().lower()
    number = (int(month) if month.isdigit() else _MONTHS.get(month[:3])) if month else None
    if number and 1 <= number <= 12:
        return {"date-parts": [[int(year), number]]}
    return int(year)  # a year alone, as a report's YAML writes it (and as it exports)


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
    elif subtype in CSL_TYPES:
        csl_type = subtype  # written by export_bibtex for types BibTeX lacks (e.g. legislation)
    return csl_type


def _bib_entry(key: str, entry_type: str, fields: Mapping[str, str]) -> dict:
    url = _bib_url(fields)
    csl_type = _bib_type(entry_type, fields, url)
    ref: dict[str, Any] = {"key": key, "type": csl_type}

    def text(name: str) -> str | None:
        value = fields.get(name, "").strip()
        try:
            return (_latex_text(value) or None) if value else None
        except ValueError as exc:
            raise ValueError(f"field '{name}' {exc}") from None

    ref.update(_bib_people(fields))
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
    ref.update(own_from_bib(fields))  # written by export_bibtex
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
