"""Reference files as reference managers write them: Zotero 7 and Better BibTeX exports load as
they are, fields we do not print are ignored, and a broken BibTeX entry costs only itself.

Fixtures (tests/fixtures/zotero/) keep the exporters' own shapes; their real entries (GRADE,
PRISMA 2009 and 2020) carry the published metadata, the rest are fictional ("Example Journal",
example.org, 10.5555 test DOIs). Expected strings follow the AMA style as citeproc-py renders it.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import pytest

from kratom_report.build import check
from kratom_report.references.bibexport import export_bibtex
from kratom_report.references.bibliography import format_bibliography
from kratom_report.references.bibtex import bibtex_to_csl, read_bib_entries
from kratom_report.references.csldata import to_csl_item
from kratom_report.references.csljson import csljson_to_refs
from kratom_report.references.files import load_reference_file

from conftest import FIXTURES

ZOTERO = FIXTURES / "zotero"
AMA = "american-medical-association"
NLM = "nlm-citation-sequence"

EXPECTED = {
    "zotero.bib": {
        "guyatt_grade_2008":
            "Guyatt GH, Oxman AD, Vist GE, et al. GRADE: an emerging consensus on rating quality "
            "of evidence and strength of recommendations. BMJ. 2008;336(7650):924-926. "
            "doi:10.1136/bmj.39489.470347.AD",
        "muller_fictional_2020":
            "Müller J, Dupré H. A fictional cohort of kratom users, written for a test suite. "
            "Example Journal. 2020;12(3):101-109. doi:10.5555/example.2020.0012",
        "noauthor_kratom_2023":  # a web page without an author: its title is printed once
            "Kratom: questions and answers (a fictional page). Example Health Institute. "
            "March 2023. Accessed May 2, 2024. https://example.org/health/kratom-questions",
        "dupre_withdrawal_2019":
            "Dupré H. Withdrawal management in a fictional clinic. In: Müller J, ed. The Example "
            "Handbook of Substance Use Care. 2nd ed. Example Press; 2019:45-67. "
            "doi:10.5555/example.handbook.2019.045",
    },
    "better-biblatex.bib": {
        "pagePRISMA2020Statement2021":
            "Page MJ, McKenzie JE, Bossuyt PM, et al. The PRISMA 2020 Statement: An Updated "
            "Guideline for Reporting Systematic Reviews. BMJ. 2021;372:n71. doi:10.1136/bmj.n71",
        "exampleHealthInstituteKratomProductLabels2024":
            "Example Health Institute. Kratom Product Labels: A Fictional Guide. Example Health "
            "Institute. February 14, 2024. Accessed May 2, 2024. "
            "https://example.org/guides/kratom-labels",
        "mullerKratomExposuresReported2022":
            "Müller J, Dupré H. Kratom Exposures Reported to a Fictional Poison Centre, "
            "2015–2021. Example Health Institute; 2022. Accessed May 2, 2024. "
            "https://example.org/reports/ehi-tr-2022-07.pdf",
    },
    "zotero.json": {
        "moher2009preferred":
            "Moher D, Liberati A, Tetzlaff J, Altman DG, The PRISMA Group. Preferred Reporting "
            "Items for Systematic Reviews and Meta-Analyses: The PRISMA Statement. PLoS Med. "
            "2009;6(7):e1000097. doi:10.1371/journal.pmed.1000097",
        "dupre2021usage":
            "Dupré H, Müller J. Usage du kratom dans une cohorte fictive. Example J. "
            "2021;13(1):1-9. doi:10.5555/example.2021.0031",
    },
}


def plain(fragment: str) -> str:
    """The text a reader sees: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", str(fragment)))


def loaded(path: Path) -> tuple[list[dict], list]:
    """References of one file through the real loader, as the renderer gets them, and problems."""
    refs, problems = [], []
    for located, errs in load_reference_file(path.parent, path, 5_000_000):
        problems += errs
        if located is not None:
            refs.append(located.model.model_dump(by_alias=True, exclude_none=True, mode="json"))
    return refs, problems


def use_file(root: Path, name: str, text: str | None = None, cite: list[str] | None = None) -> None:
    """List report/<name> after references.yaml in the tiny report and cite its keys."""
    target = root / "report" / name
    if text is None:
        shutil.copy(ZOTERO / name, target)
    else:
        target.write_text(text, encoding="utf-8")
    report = root / "report" / "report.yaml"
    report.write_text(report.read_text() + f"references:\n  - references.yaml\n  - {name}\n")
    keys = cite if cite is not None else list(EXPECTED[name])
    intro = root / "report" / "sections" / "intro.yaml"
    citations = "; ".join(f"@{k}" for k in keys)
    intro.write_text(intro.read_text().replace(
        "one source [@kruegel2016synthetic].", f"one source [@kruegel2016synthetic; {citations}]."))


# ------------------------------------------------------------------------------- the fixtures


@pytest.mark.parametrize("name", list(EXPECTED))
def test_an_export_loads_as_it_is_and_checks_strict(cli, tiny, name):
    use_file(tiny, name)
    result = cli("check", "--source", tiny, "--strict")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    # The built page prints them, accents decoded.
    rendered = check(tiny).editions[0].html
    texts = [plain(t) for t in re.findall(
        r'<span class="ref-text">(.*?)</span>(?: <a class="cited-on"[^>]*>[^<]*</a>)?</li>',
        rendered, re.S)]
    for expected in EXPECTED[name].values():
        assert expected in texts


@pytest.mark.parametrize("name", list(EXPECTED))
def test_an_export_renders_ama(name):
    refs, problems = loaded(ZOTERO / name)
    assert problems == []
    assert [r["key"] for r in refs] == list(EXPECTED[name])
    assert [plain(e) for e in format_bibliography(refs, AMA)] == list(EXPECTED[name].values())


def test_fields_we_do_not_print_are_ignored_and_the_rest_carried():
    refs = {r["key"]: r for r in loaded(ZOTERO / "zotero.bib")[0]}
    grade = refs["guyatt_grade_2008"]
    assert grade["author"][6] == {"family": "Schünemann", "given": "Holger J."}  # {\"u}
    assert {k: grade[k] for k in ("ISSN", "PMID", "language", "title-short", "accessed")} == {
        "ISSN": "0959-8138, 1756-1833", "PMID": "18436948", "language": "en",
        "title-short": "GRADE", "accessed": {"date-parts": [[2024, 5, 2]]}}
    assert not {"abstract", "keywords", "file", "copyright", "urldate"} & set(grade)
    assert refs["muller_fictional_2020"]["note"] == "Fictional entry; not a real publication"
    assert refs["dupre_withdrawal_2019"]["ISBN"] == "978-0-00-000000-0"
    biblatex = {r["key"]: r for r in loaded(ZOTERO / "better-biblatex.bib")[0]}
    prisma = biblatex["pagePRISMA2020Statement2021"]
    assert prisma["PMID"] == "33782057"  # eprint + eprinttype = {pmid}
    assert prisma["language"] == "en"  # langid = {english}
    assert prisma["issued"] == {"date-parts": [[2021, 3]]}  # date = {2021-03}
    assert prisma["author"][13] == {"family": "Hróbjartsson", "given": "Asbjørn"}
    assert biblatex["mullerKratomExposuresReported2022"]["genre"] == "Technical Report"


def test_csl_json_variables_citeproc_prints_are_carried_to_it():
    refs = {r["key"]: r for r in loaded(ZOTERO / "zotero.json")[0]}
    moher = to_csl_item(refs["moher2009preferred"])
    assert {k: moher[k] for k in ("PMID", "PMCID", "language", "title-short",
                                  "container-title-short")} == {
        "PMID": "19621072", "PMCID": "PMC2707599", "language": "en",
        "title-short": "Preferred Reporting Items for Systematic Reviews and Meta-Analyses",
        "container-title-short": "PLoS Med"}
    dupre = to_csl_item(refs["dupre2021usage"])
    assert (dupre["ISSN"], dupre["note"], dupre["issued"]) == (
        "0000-0000", "Fictional entry; not a real publication", {"date-parts": [[2021, 3]]})
    ignored = {"abstract", "source", "citation-key", "license", "journalAbbreviation"}
    assert not ignored & (set(moher) | set(dupre))
    # Carried, not dropped: the Vancouver style prints the PMCID.
    [nlm] = format_bibliography([refs["moher2009preferred"]], NLM)
    assert plain(nlm).endswith("PubMed PMID: 19621072; PubMed Central PMCID: PMC2707599.")


def test_zotero_6_ids_in_the_note_become_variables():
    [ref] = csljson_to_refs([{"id": "moher2009preferred", "type": "article-journal",
                              "title": "PRISMA", "note": "PMID: 19621072\nPMCID: PMC2707599\n"
                              "Publisher: Public Library of Science", "shortTitle": "PRISMA"}])
    assert ref == {"key": "moher2009preferred", "type": "article-journal", "title": "PRISMA",
                   "note": "Publisher: Public Library of Science", "PMID": "19621072",
                   "PMCID": "PMC2707599", "title-short": "PRISMA"}


def test_latex_accents_in_every_spelling_are_decoded():
    text = (r"@misc{a, author = {M\"{u}ller, J\"urgen and Dupr\'{e}, H{\'e}l{\`e}ne and "
            r"Hr{\'o}bjartsson, Asbj{\o}rn and Sch{\"u}nemann, H.}, title = {T}}")
    [ref] = bibtex_to_csl(text)
    assert [n["family"] + ", " + n["given"] for n in ref["author"]] == [
        "Müller, Jürgen", "Dupré, Hélène", "Hróbjartsson, Asbjørn", "Schünemann, H."]


def test_urldate_without_url_and_date_ranges():
    [ref] = bibtex_to_csl("@online{a, title = {T}, urldate = {2024-05-02}, "
                          "date = {2021-03/2021-04}}")
    assert "accessed" not in ref  # an access date without a URL says nothing
    assert ref["issued"] == {"date-parts": [[2021, 3]]}
    [entry], _ = read_bib_entries("@online{a, title = {T}, url = {https://example.org}, "
                                  "urldate = {last week}}")
    assert entry.ref is not None and "accessed" not in entry.ref  # costs the date, not the entry
    assert entry.warnings == ["urldate 'last week' is not a date (YYYY-MM-DD); it is ignored"]


# ------------------------------------------------------------------------------- BibTeX problems

# Three entries; tests break the middle one.
BIB = """@article{smith2020trial,
  author = {Smith, J.},
  title = {A trial},
  journal = {J Ex},
  year = {2020},
  doi = {10.5555/x.1},
}

@article{jones2021,
  author = {Jones, K.},
  title = {Another trial},
  year = {2021},
  volume = {3},
  doi = {10.5555/x.2},
}

@misc{late2022,
  title = {Late},
  url = {https://example.org},
  year = 2022,
}
"""
KEYS = ["smith2020trial", "jones2021", "late2022"]


def test_a_comma_missing_between_fields_is_a_located_warning(cli, tiny):
    use_file(tiny, "extra.bib", BIB.replace("year = {2021},", "year = {2021}"), KEYS)
    result = cli("check", "--source", tiny)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == (
        "report/extra.bib:9:1: warning: BibTeX entry 'jones2021': a comma is missing between "
        "fields 'year' and 'volume' (line 13); they were read as two fields\n")
    assert cli("check", "--source", tiny, "--strict").exit_code == 1
    texts = [plain(t) for t in re.findall(r'<span class="ref-text">(.*?)</span>',
                                          check(tiny).editions[0].html)]
    assert "Jones K. Another trial. 2021;3. doi:10.5555/x.2" in texts  # both fields kept


def test_load_reference_file_yields_the_warning_with_its_reference(tmp_path):
    path = tmp_path / "extra.bib"
    path.write_text(BIB.replace("title = {Another trial},", "title = {Another trial}")
                    .replace("year = 2022,", "year = 2022,\n  title = {Again},"))
    got = [(located.model.key if located else None, [(p.line, p.severity, p.message) for p in errs])
           for located, errs in load_reference_file(tmp_path, path, 5_000_000)]
    assert got == [
        ("smith2020trial", []),
        ("jones2021", [(9, "warning", "BibTeX entry 'jones2021': a comma is missing between "
                                      "fields 'title' and 'year' (line 12); they were read as "
                                      "two fields")]),
        ("late2022", [(17, "warning", "BibTeX entry 'late2022': field 'title' is given twice; "
                                      "the first one is used, as BibTeX does")]),
    ]


def test_a_bad_value_costs_its_entry_not_the_file(cli, tiny):
    use_file(tiny, "extra.bib", BIB.replace("year = {2021},", "year = {in press},"), KEYS)
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "report/extra.bib:9:1: BibTeX entry 'jones2021': year 'in press' is not a number "
        "(this entry is skipped)"]


def test_an_unreadable_entry_is_one_message_naming_file_line_and_key(cli, tiny):
    use_file(tiny, "extra.bib", BIB.replace("title = {Another trial},",
                                            "title = {Another {trial},"), KEYS)
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    [message] = result.stderr.splitlines()  # its neighbours load, and citing it is no error
    assert message.startswith("report/extra.bib:9:1: BibTeX entry 'jones2021' ")
    assert message.endswith("(this entry is skipped)")


def test_keys_that_differ_only_in_case_are_located_at_each_entry(cli, tiny):
    use_file(tiny, "extra.bib", BIB.replace("@misc{late2022,", "@misc{Jones2021,"), KEYS[:2])
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "report/extra.bib:17:1: duplicate reference key 'Jones2021' (keys are case-insensitive; "
        "first defined in report/extra.bib:9)"]


def test_entries_are_placed_at_their_own_head_not_at_a_mention():
    entries, broken = read_bib_entries("% see smith2020trial below\n\n" + BIB)
    assert broken == []
    assert [(e.key, e.line, e.column) for e in entries] == [
        ("smith2020trial", 3, 1), ("jones2021", 11, 1), ("late2022", 19, 1)]


def test_a_web_page_without_author_prints_its_title_once_in_every_style():
    page = {"key": "p", "type": "webpage", "title": "Kratom questions",
            "container-title": "Example Health Institute", "issued": 2023,
            "URL": "https://example.org/k"}
    got = [plain(format_bibliography([page], style)[0]) for style in (AMA, "apa")]
    assert got == [
        "Kratom questions. Example Health Institute. 2023. https://example.org/k",
        "Kratom questions. (2023). Example Health Institute. https://example.org/k"]


def test_the_csl_json_fixture_is_what_zotero_writes():
    """Tab-indented JSON.stringify output: year as text, month and day as numbers."""
    text = (ZOTERO / "zotero.json").read_text(encoding="utf-8")
    items = json.loads(text)
    assert text == json.dumps(items, indent="\t", ensure_ascii=False)
    assert items[1]["issued"] == {"date-parts": [["2021", 3]]}


def test_carried_fields_survive_a_bibtex_export_and_import():
    for name in ("zotero.bib", "better-biblatex.bib"):
        refs = [r for r in loaded(ZOTERO / name)[0] if r["type"] != "webpage"]
        back = bibtex_to_csl(export_bibtex(refs))
        assert [to_csl_item(r) for r in back] == [to_csl_item(r) for r in refs]
