"""A changelog line about one edition is printed on that edition's "What changed" page only."""

from __future__ import annotations

import re
from pathlib import Path

from kratom_report.build import render_html
from kratom_report.source.project import load_project

ENTRY = """entries:
  - version: "1.0.0"
    date: 2026-11-25
    changes:
      - First release.
    by_edition:
      {first}:
        - Only for clinicians.
      {second}:
        - Only for policymakers.
"""


def _changes_page(html: str) -> str:
    found = re.search(r'<section[^>]*class="[^"]*changes[^"]*".*?</section>', html, re.S)
    assert found, "no What changed page"
    return found.group(0)


def test_each_edition_prints_its_own_changes_and_every_editions(tiny: Path):
    (tiny / "report" / "changelog.yaml").write_text(
        ENTRY.format(first="clinician", second="policymaker"))
    project = load_project(tiny)
    pages = {r.edition.id: _changes_page(r.html)
             for r in render_html(project, ["clinician", "policymaker"], None)}
    assert "First release." in pages["clinician"] and "First release." in pages["policymaker"]
    assert "Only for clinicians." in pages["clinician"]
    assert "Only for clinicians." not in pages["policymaker"]
    assert "Only for policymakers." in pages["policymaker"]
    assert "Only for policymakers." not in pages["clinician"]


def test_changes_for_an_edition_that_does_not_exist_are_refused(tiny: Path, cli):
    changelog = tiny / "report" / "changelog.yaml"
    changelog.write_text(ENTRY.format(first="clinician", second="policymakers"))
    before = changelog.read_bytes()
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "report/changelog.yaml:9:7: no edition 'policymakers' in report.yaml (did you mean "
        "'policymaker'?): changes listed under by_edition belong to one edition"]
    assert changelog.read_bytes() == before
