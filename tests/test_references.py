"""References as a reference manager handles them: several formats, lint, listing, export."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from conftest import FIXTURES, pdftext

REFS = "report/references.yaml"


def _use_formats(tiny, files: list[str]) -> None:
    """Point the tiny report at copies of the shared reference fixtures."""
    for name in ("refs.yaml", "refs.json", "refs.bib"):
        shutil.copy(FIXTURES / "refs" / name, tiny / "report" / name)
    report = tiny / "report" / "report.yaml"
    listed = "".join(f"  - {f}\n" for f in files)
    report.write_text(report.read_text() + f"references:\n{listed}")


@pytest.mark.parametrize("fmt", ["refs.yaml", "refs.json", "refs.bib"])
def test_each_format_renders_the_same_reference_list(cli, tiny, tmp_path, fmt):
    _use_formats(tiny, [fmt])
    result = cli("build", "--source", tiny, "--out", tmp_path, "--edition", "clinician")
    assert result.exit_code == 0, result.stderr
    text = pdftext(tmp_path / "tiny-briefing-clinician-v1.0.0.pdf")
    refs = re.sub(r"\s+", " ", text.split("References", 2)[-1])
    refs = re.sub(r"([:/]) (?=\d|www)", r"\1", refs)  # undo line breaks after ':' and '/'

    assert "1. Kruegel AC, Gassaway MM, Kapoor A, et al. Synthetic and receptor signaling " \
           "explorations of the Mitragyna alkaloids" in refs
    assert "Fed Regist. 2016;81(169):59929-59934" in refs
    assert "3. Centers for Disease Control and Prevention. Multistate outbreak of Salmonella" \
           in refs


def test_keys_are_unique_across_files_ignoring_case(cli, tiny):
    _use_formats(tiny, ["references.yaml", "refs.json"])
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    assert "report/refs.json:3:12: duplicate reference key 'kruegel2016synthetic' (keys are " \
           "case-insensitive; first defined in report/references.yaml:2)" in result.stderr


def test_each_edition_numbers_only_what_it_cites_in_order(tiny_built):
    built = tiny_built.build()
    clin = re.sub(r"\s+", " ", pdftext(built / "tiny-briefing-clinician-v1.0.0.pdf")
                  .split("References", 2)[-1])
    pol = re.sub(r"\s+", " ", pdftext(built / "tiny-briefing-policymaker-v1.0.0.pdf")
                 .split("References", 2)[-1])
    assert re.findall(r"(\d+)\. (Kruegel|Drug Enforcement|Centers)", clin) == [
        ("1", "Kruegel"), ("2", "Drug Enforcement"), ("3", "Centers")]
    # The policymaker edition cites the notice first, in its key message.
    assert re.findall(r"(\d+)\. (Kruegel|Drug Enforcement|Centers)", pol) == [
        ("1", "Drug Enforcement"), ("2", "Kruegel"), ("3", "Centers")]


def test_citations_collapse_and_link(cli, tiny, tmp_path):
    intro = tiny / "report" / "sections" / "intro.yaml"
    intro.write_text(intro.read_text().replace(
        "Shared paragraph citing one source [@kruegel2016synthetic].",
        "Shared paragraph citing one source [@kruegel2016synthetic].\n\n      "
        "All three [@cdc2018salmonella; @kruegel2016synthetic; @dea2016notice]."))
    cli("build", "--source", tiny, "--out", tmp_path, "--format", "html", "--edition",
        "clinician")
    html = (tmp_path / "tiny-briefing-clinician-v1.0.0-print.html").read_text()
    assert re.search(r'<sup class="cite" id="cite-\d+"><a href="#ref-1">1</a>\u2013'
                     r'<a href="#ref-3">3</a></sup>', html)
    # The number inside the range links back from its entry to where it is first cited.
    assert re.search(r'<li id="ref-2">.*?<a class="cited-on" href="#cite-\d+">', html)
    assert '<li id="ref-1">' in html
    # A locator keeps its number apart, so no page reference is hidden inside a range.
    assert '<a href="#ref-2">2</a>(p. 2),<a href="#ref-3">3</a>' in html
    assert 'href="https://doi.org/10.1021/jacs.6b00360"' in html


def _edit_refs(tiny, old: str, new: str) -> None:
    path = tiny / REFS
    path.write_text(path.read_text().replace(old, new, 1))


def test_lint_malformed_doi(cli, tiny):
    _edit_refs(tiny, "DOI: 10.1021/jacs.6b00360", "DOI: https://doi.org/10.1021/jacs.6b00360")
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    assert result.stderr == (f"{REFS}:29:8: malformed DOI 'https://doi.org/10.1021/jacs.6b00360' "
                             "(expected 10.<registrant>/<suffix>, without 'doi:' or "
                             "'https://doi.org/')\n")


def test_lint_same_doi_under_two_keys(cli, tiny):
    _edit_refs(tiny, "  URL: https://federalregister.gov/a/2016-20803",
               "  URL: https://federalregister.gov/a/2016-20803\n  DOI: 10.1021/JACS.6b00360")
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    assert "DOI '10.1021/JACS.6b00360' is also used by 'kruegel2016synthetic' " \
           f"({REFS}:29); one work needs one key" in result.stderr


def test_lint_warnings_and_strict(cli, tiny):
    _edit_refs(tiny, "  URL: https://www.cdc.gov/salmonella/kratom-02-18/index.html\n", "")
    refs = tiny / REFS
    refs.write_text(refs.read_text() + "- key: unusedref\n  type: webpage\n  title: Unused\n"
                    "  URL: https://example.org/unused\n")
    result = cli("check", "--source", tiny)
    assert result.exit_code == 0
    lines = result.stderr.splitlines()
    assert any(re.fullmatch(rf"{REFS}:\d+:8: warning: reference 'cdc2018salmonella' has no DOI, "
                            r"URL, PMID or ISBN; add one, or an identifier_note saying why none is "
                            r"confirmed", line) for line in lines), lines
    assert any(re.fullmatch(rf"{REFS}:\d+:8: warning: reference 'unusedref' is not cited by any "
                            "edition", line) for line in lines), lines
    strict = cli("check", "--source", tiny, "--strict")
    assert strict.exit_code == 1


def test_refs_listing_json_and_exports(cli, tiny, tmp_path):
    data = json.loads(cli("refs", "--source", tiny, "--format", "json").stdout)
    assert [d["key"] for d in data] == ["kruegel2016synthetic", "dea2016notice",
                                        "cdc2018salmonella"]
    assert data[0] == {"key": "kruegel2016synthetic", "title": data[0]["title"],
                       "doi": "10.1021/jacs.6b00360", "url": None,
                       "cited_in": {"clinician": ["key-messages", "intro"],
                                    "policymaker": ["intro"]}}
    assert data[1]["cited_in"] == {"clinician": ["intro"],
                                   "policymaker": ["key-messages", "intro", "practice"]}
    assert data[2]["cited_in"] == {"clinician": ["intro", "practice"], "policymaker": ["intro"]}
    text = cli("refs", "--source", tiny).stdout.splitlines()
    assert text[0].startswith("kruegel2016synthetic\t") and text[0].endswith(
        "\tclinician: key-messages, intro; policymaker: intro")
    out = tmp_path / "refs.bib"
    result = cli("refs", "--source", tiny, "--export", "bibtex", "-o", out)
    assert result.exit_code == 0 and result.stdout == ""
    assert "@article{kruegel2016synthetic," in out.read_text()
    csl = json.loads(cli("refs", "--source", tiny, "--export", "csljson").stdout)
    assert sorted(item["id"] for item in csl) == ["cdc2018salmonella", "dea2016notice",
                                                 "kruegel2016synthetic"]
