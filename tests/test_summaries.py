"""Graded entry: each edition's one-page and three-page summaries (issue 28).

The summaries fixture is the tiny report with ``summaries: [one-page, three-page]`` on both
editions, a summary on each section, one table marked ``in_summary`` (policymaker only) and
``site.base_url``. It is built and released once per session.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from kratom_report.pipeline import Composer, plan
from kratom_report.publish.output import output_name
from kratom_report.source.project import load_project

from conftest import FIXTURES, Builds, pdftext, save_like_an_editor

SLUG = "tiny-briefing"
BASE = "https://briefings.example.org/tiny"


@pytest.fixture(scope="session")
def summaries(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Builds]:
    builds = Builds(FIXTURES / "summaries", tmp_path_factory.mktemp("summaries"))
    yield builds
    assert builds.changed() == []


@pytest.fixture
def project(tmp_path: Path) -> Path:
    dest = tmp_path / "summaries"
    shutil.copytree(FIXTURES / "summaries", dest)
    return dest


def name(edition: str, kind: str) -> str:
    return f"{SLUG}-{edition}-{kind}-v1.0.0.pdf"


def pages(path: Path) -> int:
    with pikepdf.open(path) as pdf:
        return len(pdf.pages)


def at(path: Path, needle: str, after: str = "") -> tuple[int, int]:
    """1-based line and column of ``needle`` (the first after ``after``) in a file."""
    text = path.read_text(encoding="utf-8")
    index = text.index(needle, text.index(after) if after else 0)
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


# ------------------------------------------------------------------ names and plan

def test_summary_names_come_from_the_one_naming_rule():
    assert output_name("s", "e", "1.2.0", "pdf", summary="one-page") == "s-e-one-page-v1.2.0.pdf"
    assert output_name("s", "e", "1.2.0", "pdf", draft=True, summary="three-page") \
        == "s-e-three-page-v1.2.0-draft.pdf"


def test_plan_adds_summaries_only_where_an_edition_asks_for_them():
    targets = plan(load_project(FIXTURES / "summaries")).targets
    assert [(t.edition, t.summary, t.name) for t in targets if t.summary] == [
        ("clinician", "one-page", name("clinician", "one-page")),
        ("clinician", "three-page", name("clinician", "three-page")),
        ("policymaker", "one-page", name("policymaker", "one-page")),
        ("policymaker", "three-page", name("policymaker", "three-page"))]
    # Neither an archival copy nor a report that does not ask (the tiny one) has summaries.
    archival = plan(load_project(FIXTURES / "summaries"), variants=["pdf/a-3a"]).targets
    assert not [t for t in archival if t.summary]
    assert not [t for t in plan(load_project(FIXTURES / "tiny")).targets if t.summary]


def test_asking_for_summaries_leaves_the_editions_content_as_it_was():
    """Summaries, section summaries and in_summary are the summaries' own: the edition (its
    fingerprint, so its PDF) is the tiny report's, which has none of them."""
    for edition in ("clinician", "policymaker"):
        with_them = Composer.for_project(load_project(FIXTURES / "summaries")).edition(edition)
        without = Composer.for_project(load_project(FIXTURES / "tiny")).edition(edition)
        assert with_them.content_fingerprint == without.content_fingerprint
        assert [s.kind for s in with_them.summaries] == ["one-page", "three-page"]
        assert without.summaries == ()


# ------------------------------------------------------------------ the built summaries

def test_build_writes_both_summaries_within_their_pages(summaries: Builds):
    out = summaries.build()
    for edition in ("clinician", "policymaker"):
        assert (out / f"{SLUG}-{edition}-v1.0.0.pdf").is_file()
        assert pages(out / name(edition, "one-page")) == 1
        assert 1 <= pages(out / name(edition, "three-page")) <= 3
    with pikepdf.open(out / name("clinician", "one-page")) as pdf:  # tagged like editions
        assert "/StructTreeRoot" in pdf.Root and str(pdf.Root.Lang) == "en"
        assert "pdfuaid" in str(pdf.open_metadata())


def test_one_page_summary_has_key_messages_and_only_the_works_it_cites(summaries: Builds):
    text = " ".join(pdftext(summaries.build() / name("clinician", "one-page")).split())
    for expected in ("Tiny evidence briefing", "One-page summary", "Clinician edition",
                     "For clinicians", "Version 1.0.0", "25 November 2026", "Key messages",
                     "Ask about use1.", "Refer when needed.", "Read the full edition",
                     f"{BASE}/1.0.0/{SLUG}-clinician-v1.0.0.html", "References",
                     "1. Kruegel AC"):
        assert expected in text, expected
    # Only the key messages' one work: the edition cites three.
    assert "Drug Enforcement" not in text and "Salmonella" not in text
    assert "Summary by section" not in text


def test_three_page_summary_adds_section_summaries_tables_and_their_references(
        summaries: Builds):
    text = " ".join(pdftext(summaries.build() / name("policymaker", "three-page")).split())
    for expected in ("Weigh regulation against enforcement cost1.", "Summary by section",
                     "Introduction Mitragynine acts as a partial agonist",
                     "Practice Weigh each option against its cost1.", "Tables and figures",
                     "Table 1. Options", "Regulate POLICYONLY", "1. Drug Enforcement "
                     "Administration", "2. Kruegel AC"):
        assert expected in text, expected
    assert "Salmonella" not in text  # cited only in the clinician's callout
    clinician = pdftext(summaries.build() / name("clinician", "three-page"))
    assert "POLICYONLY" not in clinician  # the in_summary table is the policymaker's only


def test_qr_code_decodes_to_the_web_editions_address(summaries: Builds, tmp_path: Path):
    import zxingcpp

    for edition in ("clinician", "policymaker"):
        png = tmp_path / edition
        subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile",
                        str(summaries.build() / name(edition, "one-page")), str(png)],
                       check=True)
        found = zxingcpp.read_barcodes(Image.open(png.with_suffix(".png")))
        assert [b.text for b in found] == [f"{BASE}/1.0.0/{SLUG}-{edition}-v1.0.0.html"]


def test_without_base_url_the_summary_names_the_full_editions_file(project: Path, cli):
    save_like_an_editor(project / "report" / "report.yaml",
                        f"site:\n  base_url: {BASE}\n", "")
    r = Composer.for_project(load_project(project)).edition("clinician")
    html = r.summary("one-page").html
    assert f"{SLUG}-clinician-v1.0.0.pdf" in html and "<svg" not in html


# ------------------------------------------------------------------ they must fit

def test_a_one_page_summary_that_overflows_is_a_located_error(project: Path, cli):
    report = project / "report" / "report.yaml"
    long = "".join(f'      - "Message {i}: a key message long enough to take two lines of the '
                   f'summary page, so that twenty of them cannot fit on one page."\n'
                   for i in range(20))
    save_like_an_editor(report, '      - "Refer when needed."\n',
                        '      - "Refer when needed."\n' + long)
    line, col = at(report, "one-page", "summaries: [")
    pattern = (rf"report/report\.yaml:{line}:{col}: the one-page summary of edition "
               r"'clinician' needs 2 pages, 1 page allowed: (0\.\d\d) of a page over \(about "
               r"(\d+) lines\); largest parts: key messages \(\d\.\d\d page\), "
               r"[a-z ]+ \(0\.\d\d page\), [a-z ]+ \(0\.\d\d page\); shorten them, or leave "
               r"'one-page' out of the edition's summaries")
    checked = cli("check", "--source", project)
    assert checked.exit_code == 1
    found = re.search(pattern, checked.stderr)
    assert found, checked.stderr
    assert 0 < float(found.group(1)) < 1 and int(found.group(2)) > 1

    out = project / "out"
    built = cli("build", "--source", project, "--out", out, "--edition", "clinician")
    assert built.exit_code == 1
    # The same layout judged in the same way: build and check say the very same thing.
    assert found.group(0) in built.stderr
    assert not [p for p in out.rglob("*") if p.is_file()]


# ------------------------------------------------------------------ they must agree

def test_a_number_the_edition_does_not_print_is_a_warning(project: Path, cli):
    intro = project / "report" / "sections" / "intro.yaml"
    save_like_an_editor(intro, "frame the evidence.",
                        "frame the evidence; 42 cases were reported [@dea2016notice, p. 59931] "
                        "and {{fact:cases2024}} in 2024, 1,807 in all.")
    save_like_an_editor(project / "report" / "sections" / "practice.yaml",
                        "Weigh each option against its cost",
                        "Weigh each option (1807 of them) against its cost")
    result = cli("check", "--source", project)
    assert result.exit_code == 0, result.stderr
    warnings = [w for w in result.stderr.splitlines() if "summary of section" in w]
    lines = []
    for number, needle in (("42", " 42 "), ("2024", " 2024,"), ("1,807", " 1,807 ")):
        line, col = at(intro, needle, "summary:")  # 2024 in the text, not in the fact's name
        col += 1
        lines.append(f"report/sections/intro.yaml:{line}:{col}: warning: the summary of "
                     f"section 'intro' prints {number}, which the full edition 'clinician' does "
                     "not; state it in the section as well, or make it a fact ({{fact:ID}})")
    line, col = at(project / "report" / "sections" / "practice.yaml", "1807")
    lines.append(f"report/sections/practice.yaml:{line}:{col}: warning: the summary of section "
                 "'practice' prints 1807, which the full edition 'clinician' does not; state it "
                 "in the section as well, or make it a fact ({{fact:ID}})")
    # 2016 and 2018 are printed by the edition (its timeline); a locator and a fact are not
    # numbers of the summary's own. Each edition is checked: the policymaker's as well.
    assert warnings[:4] == lines
    assert len(warnings) == 8 and all("policymaker" in w for w in warnings[4:])


def test_stats_name_the_sections_a_three_page_summary_leaves_out(project: Path, cli):
    save_like_an_editor(project / "report" / "sections" / "practice.yaml",
                        "summary: |\n  Weigh each option against its cost [@dea2016notice].\n", "")
    result = cli("check", "--stats", "--source", project)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("  sections without a summary (left out of the three-page "
                               "summary): 1\n    practice\n") == 2
    as_json = json.loads(cli("check", "--format", "json", "--source", project).stdout)
    assert as_json["editions"]["clinician"]["sections_without_summary"] == ["practice"]


# ------------------------------------------------------------------ release and site

def test_release_lists_summaries_with_checksums(summaries: Builds):
    out = summaries.release()
    folder = out / "1.0.0"
    manifest = json.loads((folder / "manifest.json").read_text())
    sums = (folder / "SHA256SUMS").read_text()
    site = (out / "index.html").read_text()
    for row in manifest["editions"]:
        listed = row["summaries"]
        assert [s["kind"] for s in listed] == ["one-page", "three-page"]
        for s in listed:
            data = (folder / s["file"]).read_bytes()
            assert s["file"] == name(row["edition"], s["kind"])
            assert s["sha256"] == hashlib.sha256(data).hexdigest() and s["bytes"] == len(data)
            assert f"{s['sha256']}  {s['file']}\n" in sums
            assert f'href="1.0.0/{s["file"]}"' in site and s["sha256"] in site
        assert not list(folder.glob(f"*{row['edition']}-*-page-*pdfa*"))  # no archival copy
        web = (folder / f"{SLUG}-{row['edition']}-v1.0.0.html").read_text()
        assert f'<a href="{name(row["edition"], "one-page")}">One-page summary (PDF)</a>' in web
    assert len(sums.splitlines()) == 8  # two editions, each: PDF, archival, two summaries
    # The command lists every file it released, summaries included, with its checksum.
    printed = summaries.release_result().stdout.splitlines()
    assert [line.split("\t")[0].rsplit("/", 1)[-1] for line in printed] == [
        line.split("  ")[1] for line in sums.splitlines()]
    assert all(line.split("\t")[3] in sums for line in printed)


def test_verify_rebuilds_a_summary_byte_for_byte(summaries: Builds, cli):
    pdf = summaries.build() / name("policymaker", "one-page")
    result = cli("verify", "--source", summaries.root, pdf)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"{pdf}: identical to a rebuild of the policymaker edition")
