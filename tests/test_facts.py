"""Facts written once and printed everywhere, notes that never ship, and evidence that knows
when it is due for review (issue 27)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from kratom_report.build import check as check_project
from kratom_report.compose.facts import format_fact
from kratom_report.source.facts import Fact, add_period

from conftest import pdftext, tree_snapshot

FACTS = """\
review_every: 6 months
facts:
  - id: us-past-year-use
    value: 0.7
    format: percent
    sources: [kruegel2016synthetic]
    checked: 2026-12-02
  - id: calls
    value: 1807
    format: integer
    sources: [dea2016notice]
    checked: 2026-12-02
    review_every: 1 year
"""


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def facts(tiny: Path) -> Path:
    """The tiny report with a facts file; its one paragraph prints a fact and cites it."""
    (tiny / "report" / "facts.yaml").write_text(FACTS, encoding="utf-8")
    _edit(tiny / "report" / "sections" / "intro.yaml", "Shared paragraph citing one source",
          "Use in the past year was {{fact:us-past-year-use}}, citing one source")
    return tiny


def _draft(root: Path) -> None:
    _edit(root / "report" / "changelog.yaml", "    date: 2026-11-25\n", "")


def _fact(value: float | int | str, fmt: str | None = None, decimals: int | None = None) -> Fact:
    return Fact(id="x", value=value, format=fmt, decimals=decimals, sources=["k"],
                checked=dt.date(2026, 12, 2))


@pytest.mark.parametrize(("fact", "lang", "expected"), [
    (_fact(0.7, "percent"), "en", "0.7%"),
    (_fact(0.7, "percent"), "fr", "0,7\u00a0%"),
    (_fact(0.7, "percent"), "es", "0,7\u00a0%"),
    (_fact(12.5, "percent", 2), "en", "12.50%"),
    (_fact(1807, "integer"), "en", "1,807"),
    (_fact(1807, "integer"), "fr", "1\u202f807"),
    (_fact(12345.678, "number", 1), "es", "12.345,7"),
    (_fact(2.25), "fr", "2,25"),
    (_fact("Schedule I", "text"), "fr", "Schedule I"),
])
def test_a_fact_prints_in_the_language_of_the_edition(fact, lang, expected):
    assert format_fact(fact, lang) == expected


def test_a_number_keeps_the_decimals_it_was_written_with_and_periods_add_up():
    assert format_fact(_fact(0.7, "percent"), "en", written="0.70") == "0.70%"
    assert add_period(dt.date(2026, 8, 31), "6 months") == dt.date(2027, 2, 28)
    assert add_period(dt.date(2026, 12, 2), "2 weeks") == dt.date(2026, 12, 16)
    assert add_period(dt.date(2026, 12, 2), "1 year") == dt.date(2027, 12, 2)


def test_facts_print_in_key_messages_cells_captions_labels_and_translations(facts):
    report = facts / "report"
    _edit(report / "report.yaml", '"Ask about use [@kruegel2016synthetic]."',
          '"Use was {{fact:us-past-year-use}} [@kruegel2016synthetic]."')
    _edit(report / "report.yaml", "    paper: letter\n", "    paper: letter\n    language: fr\n")
    _edit(report / "sections" / "practice.yaml", '"Cost [@dea2016notice]"',
          '"{{fact:calls}} calls [@dea2016notice]"')
    _edit(report / "sections" / "practice.yaml", "    caption: Options\n",
          "    caption: Options for {{fact:calls}} callers\n"
          "    translations:\n      fr: {caption: 'Options pour {{fact:calls}} appelants'}\n")
    _edit(report / "sections" / "intro.yaml", "    caption: Milestones.",
          "    caption: Milestones ({{fact:us-past-year-use}} [@kruegel2016synthetic]).")
    _edit(report / "data" / "timeline.yaml", "label: Notice published",
          "label: 'Notice published, {{fact:calls}} calls'")
    result = check_project(facts)
    html = {r.edition.id: r.html for r in result.editions}
    clinician, policymaker = html["clinician"], html["policymaker"]
    assert 'data-fact="us-past-year-use">0.7%</span>' in clinician  # prose and key message
    assert clinician.count(">0.7%</span>") == 3  # key message, paragraph, caption
    assert "Notice published, 1,807 calls" in clinician  # a label drawn in the figure
    assert "{{" not in clinician
    # The French edition: a translated caption, a table cell and prose, French separators.
    assert "Options pour <span class=\"fact\" data-fact=\"calls\">1\u202f807</span>" \
        in policymaker
    assert policymaker.count(">1\u202f807</span>") == 2
    # (the figure draws the group separator as a space its fonts have)
    assert re.search(r"Notice published, 1\s807 calls", policymaker)
    assert "0,7\u00a0%" in policymaker
    assert not [str(w) for w in result.warnings if "fact" in w.message]


def test_an_unknown_fact_is_a_located_error_with_a_suggestion(facts, cli):
    _edit(facts / "report" / "sections" / "intro.yaml", "{{fact:us-past-year-use}}",
          "{{fact:us-past-yr-use}}")
    result = cli("check", "--source", facts)
    assert result.exit_code == 1
    assert result.stderr == (
        "report/sections/intro.yaml:7:32: unknown fact 'us-past-yr-use' (did you mean "
        "'us-past-year-use'?); facts are defined in report/facts.yaml\n")


def test_a_fact_source_must_be_a_known_reference(facts, cli):
    _edit(facts / "report" / "facts.yaml", "[dea2016notice]", "[dea2016notise]")
    result = cli("check", "--source", facts)
    assert result.exit_code == 1
    assert result.stderr == ("report/facts.yaml:11:15: unknown citation key 'dea2016notise' "
                             "(did you mean 'dea2016notice'?)\n")


def test_a_fact_printed_without_its_source_warns_and_fails_strict(facts, cli):
    _edit(facts / "report" / "sections" / "intro.yaml", "source [@kruegel2016synthetic]",
          "source [@dea2016notice]")
    warning = ("report/sections/intro.yaml:7:32: warning: fact 'us-past-year-use' is printed "
               "here without its source; cite [@kruegel2016synthetic] in the same paragraph, "
               "caption or cell\n")
    plain = cli("check", "--source", facts)
    assert plain.exit_code == 0
    assert warning in plain.stderr
    strict = cli("check", "--strict", "--source", facts)
    assert strict.exit_code == 1
    assert warning in strict.stderr


def test_notes_show_in_a_draft_and_release_refuses_them(facts, cli, tmp_path):
    intro = facts / "report" / "sections" / "intro.yaml"
    _edit(intro, "## A subheading", "## A subheading {{note: re-check the 2024 survey}}")
    _draft(facts)
    checked = cli("check", "--strict", "--source", facts)
    assert checked.exit_code == 0, checked.stderr
    assert checked.stderr == (
        "report/sections/intro.yaml:9:23: info: editorial note: 're-check the 2024 survey' "
        "(shown in drafts only; release refuses while it remains)\n")
    draft = check_project(facts).editions[0].html
    assert ('<mark class="editorial-note" id="editorial-note-1"><span '
            'class="editorial-note-label">[1]</span> re-check the 2024 survey</mark>') in draft
    assert 'id="editorial-notes"' in draft  # and listed at the end

    _edit(facts / "report" / "changelog.yaml", "  - version: \"1.0.0\"\n",
          "  - version: \"1.0.0\"\n    date: 2026-11-25\n")
    released = check_project(facts).editions[0].html
    assert "re-check the" not in released and 'id="editorial-notes"' not in released
    before = tree_snapshot(facts)
    result = cli("release", "--source", facts, "--out", tmp_path / "out")
    assert result.exit_code == 1
    assert result.stderr == ("report/sections/intro.yaml:9:23: editorial note: 're-check the "
                             "2024 survey'; remove it before releasing\n")
    assert tree_snapshot(facts) == before
    assert not (tmp_path / "out" / "1.0.0").exists()


def test_todo_fixme_and_tk_count_as_notes_but_not_inside_words_or_code(facts, cli):
    _edit(facts / "report" / "sections" / "intro.yaml", "A second paragraph",
          "TODO: a second paragraph, `TODO` in code, TODOS and TK")
    result = cli("check", "--source", facts)
    assert result.exit_code == 0
    assert result.stderr == (
        "report/sections/intro.yaml:11:7: warning: 'TODO' marks an editorial note (shown in "
        "drafts only; release refuses while it remains)\n"
        "report/sections/intro.yaml:11:59: warning: 'TK' marks an editorial note (shown in "
        "drafts only; release refuses while it remains)\n")
    assert cli("check", "--strict", "--source", facts).exit_code == 1


def test_overdue_facts_and_data_warn_with_their_due_date(facts, cli, monkeypatch):
    monkeypatch.setenv("KRATOM_REPORT_TODAY", "2027-06-03")
    result = cli("check", "--source", facts)
    assert result.exit_code == 0
    assert result.stderr == (
        "report/facts.yaml:7:14: warning: fact 'us-past-year-use' was due for review on "
        "2027-06-02; check it in its sources and update 'checked', or accept it in the "
        "changelog entry (accepted_overdue)\n"
        "report/data/timeline.yaml:2:8: warning: data file 'report/data/timeline.yaml' was due "
        "for review on 2027-04-30; check the data in its sources and update 'as_of', or accept "
        "it in the changelog entry (accepted_overdue)\n")
    assert cli("check", "--strict", "--source", facts).exit_code == 1
    monkeypatch.setenv("KRATOM_REPORT_TODAY", "2027-06-02")  # due today: not yet overdue
    assert "us-past-year-use" not in cli("check", "--source", facts).stderr


def test_stats_list_each_fact_where_it_is_used_and_what_falls_due(facts, cli, monkeypatch):
    monkeypatch.setenv("KRATOM_REPORT_TODAY", "2027-05-10")
    result = cli("check", "--stats", "--source", facts)
    assert result.exit_code == 0
    assert result.stdout.endswith(
        "facts: 2\n"
        "  us-past-year-use = 0.7% (checked 2026-12-02, due 2027-06-02): "
        "report/sections/intro.yaml:7\n"
        "  calls = 1,807 (checked 2026-12-02, due 2027-12-02): not used\n"
        "due for review in the next 30 days: 1\n"
        "  fact 'us-past-year-use': due 2027-06-02 (report/facts.yaml:7)\n")


def test_release_refuses_overdue_evidence_unless_accepted_and_records_why(facts, cli,
                                                                           tmp_path,
                                                                           monkeypatch):
    monkeypatch.setenv("KRATOM_REPORT_TODAY", "2027-06-03")
    out = tmp_path / "out"
    refused = cli("release", "--source", facts, "--out", out)
    assert refused.exit_code == 1
    assert refused.stderr == (
        "report/data/timeline.yaml:2:8: data file 'report/data/timeline.yaml' was due for "
        "review on 2027-04-30; check the data in its sources and update 'as_of', or accept it "
        "in the changelog entry (accepted_overdue)\n"
        "report/facts.yaml:7:14: fact 'us-past-year-use' was due for review on 2027-06-02; "
        "check it in its sources and update 'checked', or accept it in the changelog entry "
        "(accepted_overdue)\n")
    assert not out.exists()
    _edit(facts / "report" / "changelog.yaml", "    changes:\n", (
        "    accepted_overdue:\n"
        "      - {fact: us-past-year-use, reason: No newer national survey has been published}\n"
        "      - {data: data/timeline.yaml, reason: Milestones re-read on 2027-06-01}\n"
        "    changes:\n"))
    checked = cli("check", "--strict", "--source", facts)
    assert checked.exit_code == 0, checked.stderr
    assert ("report/facts.yaml:7:14: info: fact 'us-past-year-use' is overdue since "
            "2027-06-02; accepted for this version: No newer national survey has been "
            "published\n") in checked.stderr
    released = cli("release", "--source", facts, "--out", out)
    assert released.exit_code == 0, released.stderr
    for folder in (out / "1.0.0", facts / "releases" / "1.0.0"):
        manifest = json.loads((folder / "manifest.json").read_text())
        assert manifest["accepted_overdue"] == [
            {"data": "data/timeline.yaml", "due": "2027-04-30",
             "reason": "Milestones re-read on 2027-06-01"},
            {"fact": "us-past-year-use", "due": "2027-06-02",
             "reason": "No newer national survey has been published"}]
    text = pdftext(out / "1.0.0" / "tiny-briefing-clinician-v1.0.0.pdf")
    assert "0.7%" in text and "national survey" not in text

    # The next version changes the value: diff reports the fact as its own kind of change.
    _edit(facts / "report" / "facts.yaml", "value: 0.7\n", "value: 0.8\n")
    _edit(facts / "report" / "facts.yaml", "checked: 2026-12-02\n  - id: calls",
          "checked: 2027-06-03\n  - id: calls")
    diff = cli("diff", "--source", facts, "--edition", "clinician")
    assert diff.exit_code == 0, diff.stderr
    assert "  fact us-past-year-use: 0.7% → 0.8% (checked 2027-06-03)\n" in diff.stdout
    assert "paragraph changed" not in diff.stdout  # the sentence itself did not change
    data = json.loads(cli("diff", "--source", facts, "--format", "json").stdout)
    assert data["editions"]["clinician"]["facts"] == [
        {"id": "us-past-year-use", "old": "0.7%", "new": "0.8%", "checked": "2027-06-03"}]


def test_an_acceptance_naming_nothing_is_an_error(facts, cli):
    _edit(facts / "report" / "changelog.yaml", "    changes:\n", (
        "    accepted_overdue:\n      - {fact: us-past-year-uses, reason: typo}\n"
        "    changes:\n"))
    result = cli("check", "--source", facts)
    assert result.exit_code == 1
    assert result.stderr == (
        "report/changelog.yaml:5:16: accepted_overdue names fact 'us-past-year-uses', which "
        "the report does not have (did you mean 'us-past-year-use'?)\n")


def test_a_figure_prints_when_its_data_was_checked(facts):
    _edit(facts / "report" / "data" / "timeline.yaml", 'as_of: "2026-04"\n',
          'as_of: "2026-04"\nchecked: 2026-11-20\n')
    html = check_project(facts).editions[0].html
    assert '<span class="figure-checked">Checked 20 November 2026.</span>' in html
