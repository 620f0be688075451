"""The briefing itself, built for real: integrity, structure and what each reader gets."""

from __future__ import annotations

import hashlib
import re

import pytest
import yaml
from click.testing import CliRunner

from kratom_report.cli import main
from kratom_report.publish.pdfpost import structure_report

from conftest import REPO, pdftext

BANNED = ["reputable supplier", "buy from", "our products", "call us"]
PHONE = re.compile(r"(?<!\d)(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}(?!\d)")
STATES = (
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN",
    "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH",
    "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT",
    "VT", "VA", "WA", "WV", "WI", "WY",
)


@pytest.fixture(scope="module")
def briefing(tmp_path_factory):
    out = tmp_path_factory.mktemp("briefing")
    result = CliRunner().invoke(main, ["build", "--source", str(REPO), "--out", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    report = yaml.safe_load((REPO / "report" / "report.yaml").read_text(encoding="utf-8"))
    version = report["version"]
    pdfs = {ed["id"]: out / f"{report['slug']}-{ed['id']}-v{version}.pdf"
            for ed in report["editions"]}
    texts = {ed: pdftext(path) for ed, path in pdfs.items()}
    return {"report": report, "pdfs": pdfs, "texts": texts}


def test_both_editions_are_released_and_within_page_budget(briefing):
    for edition, text in briefing["texts"].items():
        pages = [p for p in text.split("\f") if p.strip()]
        assert 12 <= len(pages) <= 24, (edition, len(pages))
        assert "DRAFT" not in text


def test_a_released_version_rebuilds_to_the_recorded_bytes(briefing):
    """While report.yaml is at a released version, the tree must rebuild exactly what was released.

    This is what keeps refactors honest: moving code may not change one byte of the PDFs.
    """
    version = briefing["report"]["version"]
    record = REPO / "releases" / version / "SHA256SUMS"
    if not record.is_file():
        pytest.skip(f"version {version} is a draft: no release record to compare with")
    recorded = dict(reversed(line.split("  ", 1)) for line in record.read_text().splitlines())
    for path in briefing["pdfs"].values():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == recorded[path.name], path.name


def test_page_estimate_is_within_two_pages(briefing):
    from kratom_report.build import check
    from kratom_report.compose.estimate import estimate_pages

    for rendered in check(REPO).editions:
        text = briefing["texts"][rendered.edition.id]
        actual = len([p for p in text.split("\f") if p.strip()])
        assert abs(estimate_pages(rendered) - actual) <= 2, (rendered.edition.id, actual)


def test_no_promotion_in_any_pdf(briefing):
    for edition, text in briefing["texts"].items():
        flat = re.sub(r"\s+", " ", text).lower()
        for phrase in BANNED:
            assert phrase not in flat, (edition, phrase)
        assert not PHONE.search(text), (edition, PHONE.search(text))


def test_check_strict_passes():
    result = CliRunner().invoke(main, ["check", "--source", str(REPO), "--strict"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.stderr


def test_references_are_traceable_and_enough_are_cited(cli):
    refs = yaml.safe_load((REPO / "report" / "references.yaml").read_text())["references"]
    for ref in refs:
        assert ref.get("DOI") or ref.get("URL") or ref.get("PMID") or \
            ref.get("identifier_note"), ref["key"]
        assert ref.get("verified_by"), ref["key"]
        assert "accessed" not in ref, ref["key"]
    import json

    uses = json.loads(cli("refs", "--source", REPO, "--format", "json").stdout)
    cited = {u["key"] for u in uses if u["cited_in"]}
    assert len(cited) >= 40


def test_key_messages_differ_by_edition(briefing):
    editions = {ed["id"]: ed for ed in briefing["report"]["editions"]}
    clinician = set(editions["clinician"]["key_messages"])
    policymaker = set(editions["policymaker"]["key_messages"])
    assert clinician and policymaker and not clinician & policymaker
    for message in clinician:
        assert re.match(r"(Ask|Assess|Manage|Check|Refer|Counsel|Screen|Treat)\b", message)


def test_each_edition_has_its_own_emphasis(briefing):
    clin, pol = briefing["texts"]["clinician"], briefing["texts"]["policymaker"]
    assert "Clinical management" in clin and "Clinical management" not in pol
    assert "Harm reduction and policy options" in pol
    assert "Option" in pol and "Who acts" in pol
    assert "Law and regulation" in clin and "Law and regulation" in pol
    assert len(pol.split("Law and regulation")[-1]) > len(clin.split("Law and regulation")[-1])


def test_front_matter(briefing):
    for text in briefing["texts"].values():
        flat = re.sub(r"\s+", " ", text)
        for needle in ["About this briefing", "not medical advice", "Conflicts of interest",
                       "How to cite this briefing", "Creative Commons Attribution 4.0",
                       "version 1.0.0", "Key messages", "What changed in this version",
                       "References"]:
            assert needle.lower() in flat.lower(), needle


def test_outline_figures_and_state_map(briefing):
    for edition, path in briefing["pdfs"].items():
        report = structure_report(path.read_bytes())
        alts = [a for a in report["figures"] if a]
        assert len(alts) >= 2, edition
        assert report["outline"][:2] == ["Key messages", "Contents"]
        assert report["outline"][-2:] == ["What changed in this version", "References"]
    text = briefing["texts"]["policymaker"]
    map_page = next(p for p in text.split("\f") if "Not verified" in p and
                    re.search(r"\bWY\b", p))
    tokens = set(re.findall(r"\b[A-Z]{2}\b", map_page))
    assert set(STATES) <= tokens
