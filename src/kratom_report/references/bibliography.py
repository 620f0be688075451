"""Bibliography entries as safe HTML, through citeproc-py.

citeproc-py 0.11.1 has known gaps; the work-arounds live here and
each one is marked "GAP" with the reason:

* ``second-field-align`` is ignored, so entries would read ``1.Kruegel``: we drop the
  citation-number from the bibliography layout and the template renders the number as a list
  marker.
* ``collapse="citation-number"`` is ignored: the citation numbers are collapsed where they are
  printed (``compose.citations``).
* AMA prints ``doi:10.x/y`` as text: we turn the printed DOI (and a printed URL) into a link.
* An unconfirmed author list ends with ``{literal: "et al"}``; in styles that print "&"/"and"
  before the last name that reads "& et al": we drop the conjunction.
* Field values are not HTML-escaped by its HTML formatter (upstream issues #27, #97: a title
  with "<" or "&" would break the page): we escape every value before handing it over.
* A variable that ``<substitute>`` printed in the author's place is printed again where it
  belongs (CSL says it is then suppressed): a web page without an author read "Title. Title.
  Site." We drop the repeated title of an entry that names nobody.
* Its title case, quotes and apostrophes differ from citeproc-js (Zotero's processor, our
  yardstick): :mod:`.titlecase` replaces them.
* A title ending in "?" or "!" gets the style's period as well ("Control?."): we drop it, as
  citeproc-js does.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from markupsafe import Markup, escape

from . import refcache, titlecase
from .csldata import (
    DATE_FIELDS,
    ET_AL,
    NAME_FIELDS,
    RICH_ESCAPED,
    RICH_RAW,
    tags_balanced,
    to_csl_item,
)
from .styles import BUILTIN_STYLES as BUILTIN_STYLES
from .styles import CSL_NS, load_style, style_path

# ------------------------------------------------------------------------------- bibliography

def _typographic(text: str) -> str:
    """Curly quotes and apostrophes outside inline tags (GAP: citeproc-py prints straight ones)."""
    out, pos = [], 0
    for tag in RICH_RAW.finditer(text):
        out += [titlecase.curly_quotes(text[pos:tag.start()]), tag.group(0)]
        pos = tag.end()
    out.append(titlecase.curly_quotes(text[pos:]))
    return "".join(out)


def _escape_value(text: str) -> str:
    """HTML-escape one field value, keeping balanced <i>, <b>, <sup>, <sub> and nocase spans.

    GAP: citeproc-py's HTML formatter does not escape field values (upstream issues #27 and
    #97), so "Health & Safety" or a stray "<" would reach the page as markup. Quotes become
    curly ones first, as citeproc-js prints them.
    """
    escaped = html.escape(_typographic(text), quote=False)
    tags = list(RICH_ESCAPED.finditer(escaped))
    if not tags or not tags_balanced(tags):
        return escaped
    return RICH_ESCAPED.sub(lambda m: html.unescape(m.group(0)), escaped)


@functools.lru_cache(maxsize=1)
def _citeproc_variables() -> frozenset[str]:
    from citeproc import VARIABLES

    # archive_location is the one CSL-JSON variable spelt with "_".
    return frozenset({v.replace("_", "-") for v in VARIABLES}
                     | {"id", "type", "DOI", "URL", "archive_location"})


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
    link = _safe_href(url) if isinstance(url, str) else None
    if link and isinstance(url, str):
        for m in re.finditer(re.escape(html.escape(url, quote=False)), fragment):
            if not any(s < m.end() and m.start() < e for s, e, _ in spans):
                spans.append((m.start(), m.end(), link))
    out, pos = [], 0
    for start, end, target in sorted(spans):
        out += [fragment[pos:start], f'<a href="{escape(target)}">', fragment[start:end], "</a>"]
        pos = end
    out.append(fragment[pos:])
    return "".join(out)


def _drop_repeated_title(fragment: str) -> str:
    """GAP (substitute not suppressed): "Title. Title. Site." -> "Title. Site." (APA alike).

    Only called for entries without any names, where the entry can only start with the title
    that ``<substitute>`` put there; the same text again later is the title printed twice.
    """
    for stop in re.finditer(r"[.?!](?= )", fragment):
        head = fragment[: stop.end()]
        again = fragment.find(" " + head, stop.end())
        if again >= 0 and fragment[again + 1 + len(head):again + 2 + len(head)] in ("", " "):
            return fragment[:again] + fragment[again + 1 + len(head):]
    return fragment


def _identifier_spans(fragment: str, item: Mapping[str, Any]) -> list[tuple[int, int]]:
    """Where the printed DOI and URL are: text that must stay exactly as in the data."""
    spans = []
    for field in ("DOI", "URL"):
        value = item.get(field)
        if isinstance(value, str) and value:
            needle = re.escape(html.escape(value, quote=False))
            spans += [(m.start(), m.end()) for m in re.finditer(needle, fragment)]
    return spans


def _drop_period_after_question(fragment: str, item: Mapping[str, Any]) -> str:
    """GAP: "Control?." -> "Control?" (a "?" or "!" ending a title takes no period after it).

    citeproc-js drops the style's period after a title's own "?" or "!"; citeproc-py keeps
    it. DOIs and URLs are never touched.
    """
    spans = _identifier_spans(fragment, item)

    def fix(m: re.Match[str]) -> str:
        if any(s <= m.start() < e for s, e in spans):
            return m.group(0)
        return m.group(1) + m.group(2)

    return re.sub(r"([?!])((?:</(?:i|b|span)>)*)\.(?=\s|$|<)", fix, fragment)


def _drop_doubled_period(fragment: str, item: Mapping[str, Any]) -> str:
    """GAP: "et al.." -> "et al." (an abbreviation's period stands for the style's period too).

    citeproc-js drops a period that follows one already printed; citeproc-py prints both
    (Nature: "Kruegel, A. C. et al.. Synthetic…"). An ellipsis, a DOI and a URL are kept.
    """
    spans = _identifier_spans(fragment, item)

    def fix(m: re.Match[str]) -> str:
        if any(s <= m.start() < e for s, e in spans):
            return m.group(0)
        return "." + m.group(1)

    return re.sub(r"(?<!\.)\.((?:</(?:i|b|span)>)*)\.(?!\.)", fix, fragment)


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

    Entries are kept in the on-disk cache of :mod:`.refcache` between runs where the style
    allows it; a cached entry is the text this function formatted for the same data before.
    """
    if not refs:
        return []
    path = style_path(style, base_dir)
    items = [to_csl_item(ref) for ref in refs]
    seen: set[str] = set()
    for item in items:
        if item["id"] in seen:
            raise ValueError(f"duplicate reference key '{item['id']}' (keys are case-insensitive)")
        seen.add(item["id"])
    cache = _entry_cache(path)
    if cache is None:
        return _format(items, style, base_dir)
    keys = [refcache.item_key(item) for item in items]
    missing = [i for i, key in enumerate(keys) if cache.get(key) is None]
    if missing:
        fresh = _format([items[i] for i in missing], style, base_dir)
        for i, entry in zip(missing, fresh, strict=True):
            cache.put(keys[i], str(entry))
        cache.save()
    # Our own earlier output for identical data, style, processor and code: safe markup.
    return [Markup(cache.get(key)) for key in keys]


def _entry_cache(path: Path) -> refcache.EntryCache | None:
    """The cache for this style, or None (turned off, or entries depend on each other)."""
    if refcache.cache_disabled():
        return None
    data = path.read_bytes()
    lowered = data.lower()
    if b"<!doctype" in lowered or b"<!entity" in lowered or \
            not refcache.entries_independent(data):
        return None  # the formatter itself refuses the former with its own message
    return refcache.EntryCache.open(refcache.context_key(data, _citeproc_version()))


@functools.lru_cache(maxsize=1)
def _citeproc_version() -> str:
    """The installed citeproc-py's version, from its dist-info folder's name when it sits beside
    the package (a directory listing, where importlib.metadata scans every distribution)."""
    import importlib.util

    spec = importlib.util.find_spec("citeproc")
    if spec is not None and spec.origin:
        site = Path(spec.origin).parent.parent
        found = sorted(p.name for p in site.glob("citeproc_py-*.dist-info"))
        if len(found) == 1:
            return found[0].removeprefix("citeproc_py-").removesuffix(".dist-info")
    from importlib import metadata

    try:
        return metadata.version("citeproc-py")
    except metadata.PackageNotFoundError:
        return "unknown"


def _format(items: list[dict], style: str, base_dir: Path | None) -> list[Markup]:
    """The entries as citeproc-py formats them, with the GAP fixes applied."""
    from citeproc import Citation, CitationItem, CitationStylesBibliography, formatter
    from citeproc.source.json import CiteProcJSON

    titlecase.install()
    csl_style = load_style(style, base_dir)
    source = CiteProcJSON([_for_citeproc(item) for item in items])
    bibliography = CitationStylesBibliography(csl_style, source, formatter.html)
    for item in items:  # registration order is bibliography order (we never call .sort())
        bibliography.register(Citation([CitationItem(item["id"])]))
    rendered = bibliography.bibliography()
    american = csl_style.root.get("default-locale", "en-US").startswith("en-US")
    entries = []
    for item, entry in zip(items, rendered, strict=True):
        fragment = str(entry).strip()
        authors = item.get("author") or []
        if authors and str(authors[-1].get("literal", "")).strip().lower() in ET_AL:
            fragment = _fix_et_al(fragment)
        if not any(item.get(role) for role in NAME_FIELDS):
            fragment = _drop_repeated_title(fragment)
        fragment = _drop_period_after_question(fragment, item)
        fragment = _drop_doubled_period(fragment, item)
        fragment = titlecase.alternate_nested_quotes(fragment)
        if american:  # GAP: citeproc-py moves punctuation only into the quotes it adds itself
            fragment = titlecase.punctuation_in_quote(fragment)
        # citeproc-py's output is markup already (values escaped above): mark it safe here only.
        entries.append(Markup(_link_identifiers(fragment, item)))
    return entries


# ------------------------------------------------------------------------------- author-date

def style_order_and_citations(items: list[dict], style: str, base_dir: Path | None
                              ) -> tuple[list[str], dict[str, str]]:
    """The ids in the style's bibliography order, and each item's in-text citation as HTML
    (cited alone, without the layout's brackets: "Smith et al., 2016a")."""
    from citeproc import Citation, CitationItem, CitationStylesBibliography, formatter
    from citeproc.source.json import CiteProcJSON

    titlecase.install()
    csl_style = load_style(style, base_dir)
    source = CiteProcJSON([_for_citeproc(item) for item in items])
    bibliography = CitationStylesBibliography(csl_style, source, formatter.html)
    citations = [Citation([CitationItem(item["id"])]) for item in items]
    for citation in citations:
        bibliography.register(citation)
    bibliography.sort()
    prefix, suffix, _, _ = citation_layout(style, base_dir)
    texts = {}
    for item, citation in zip(items, citations, strict=True):
        text = str(bibliography.cite(citation, lambda _missing: None)).strip()
        if prefix and text.startswith(prefix):
            text = text[len(prefix):]
        if suffix and text.endswith(suffix):
            text = text[: len(text) - len(suffix)]
        authors = item.get("author") or []
        if authors and str(authors[-1].get("literal", "")).strip().lower() in ET_AL:
            # An unconfirmed author list cites as the style's et al. would: "Tanna et al."
            text = re.sub(r",?\s+(?:(?:&amp;|and)\s+)?(?:et al\.?|others)(?=\W|$)",
                          " et al.", text, count=1)
        texts[item["id"]] = text
    return [str(key) for key in bibliography.keys], texts


def citation_layout(style: str, base_dir: Path | None) -> tuple[str, str, str, bool]:
    """The citation layout's prefix, suffix and delimiter, and whether the style adds year
    suffixes ("2016a") to tell apart works that would otherwise cite alike."""
    root = load_style(style, base_dir).root
    citation = root.find(f"{CSL_NS}citation")
    layout = citation.find(f"{CSL_NS}layout") if citation is not None else None
    if layout is None:
        return "(", ")", "; ", False
    suffixes = citation.get("disambiguate-add-year-suffix", "false") == "true"
    return (layout.get("prefix", ""), layout.get("suffix", ""), layout.get("delimiter", "; "),
            suffixes)
