"""check --stats and check --format json: length, reading grade and what still needs work."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest

from kratom_report.authoring.stats import (
    _sentence_count,
    _syllable_counter,
    edition_stats,
    fk_grade,
    issued_year,
)
from kratom_report.build import check
from kratom_report.source.markdown import make_markdown

from conftest import REPO

# An evidence paragraph without a citation on line 13 of intro.yaml, a TODO on line 15.
_INTRO_EXTRA = """
      This paragraph states a finding but cites nothing.

      TODO: add the 2024 trial here [@kruegel2016synthetic].
"""


def _edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def worked(tiny):
    """The tiny report with one of every finding the statistics look for."""
    intro = tiny / "report" / "sections" / "intro.yaml"
    _edit(intro, "[@dea2016notice; @cdc2018salmonella, p. 2].\n",
          "[@dea2016notice; @cdc2018salmonella, p. 2].\n" + _INTRO_EXTRA)
    _edit(tiny / "report" / "report.yaml", '      - "Refer when needed."',
          '      - "Refer when needed. FIXME: name the service."')
    _edit(tiny / "report" / "report.yaml", "sections:\n",
          "stale_after:\n  references_years: 9\n  data_days: 100\nsections:\n")
    return tiny


def test_json_has_every_statistic_per_edition(cli, tiny):
    result = cli("check", "--source", tiny, "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert list(data) == ["ok", "editions", "problems", "findings"]
    assert data["ok"] is True
    assert list(data["editions"]) == ["clinician", "policymaker"]
    for stats in data["editions"].values():
        assert list(stats) == ["words", "pages_estimate", "fk_grade", "uncited", "todo",
                               "old_refs", "stale_data"]
        assert isinstance(stats["words"], int) and stats["words"] > 100
        assert isinstance(stats["pages_estimate"], int)
        assert list(stats["fk_grade"]) == ["key_messages", "all"]
        assert all(isinstance(v, float) for v in stats["fk_grade"].values())
        assert (stats["uncited"], stats["todo"], stats["old_refs"], stats["stale_data"]) == \
            ([], [], [], [])
    assert data["problems"] == []
    editions = json.loads(cli("editions", "--source", tiny, "--format", "json").stdout)
    assert [e["pages_estimate"] for e in editions] == \
        [s["pages_estimate"] for s in data["editions"].values()]


def test_json_finds_uncited_paragraphs_markers_old_references_and_stale_data(cli, worked):
    result = cli("check", "--source", worked, "--format", "json")
    assert result.exit_code == 0, result.stderr
    clinician = json.loads(result.stdout)["editions"]["clinician"]
    assert clinician["uncited"] == ["report/sections/intro.yaml:13"]
    assert clinician["todo"] == ["report/report.yaml:22", "report/sections/intro.yaml:15"]
    # The release (2026-11-25) is "now": 2016 is ten years back, 2018 eight (limit: nine).
    assert clinician["old_refs"] == [{"key": "kruegel2016synthetic", "year": 2016},
                                     {"key": "dea2016notice", "year": 2016}]
    assert clinician["stale_data"] == [
        {"file": "report/data/timeline.yaml", "as_of": "2026-04", "age_days": 209}]
    policymaker = json.loads(result.stdout)["editions"]["policymaker"]
    assert policymaker["todo"] == ["report/sections/intro.yaml:15"]  # not the clinician message


def test_stats_text_is_one_block_per_edition(cli, worked):
    result = cli("check", "--source", worked, "--stats")
    assert result.exit_code == 0, result.stderr
    blocks = result.stdout.split("\n\n")
    assert blocks[0] == "ok: 2 editions (clinician, policymaker), 2 sections, 3 references"
    lines = blocks[1].splitlines()
    assert lines[0].startswith("clinician: ") and lines[0].endswith(" pages")
    assert lines[1].startswith("  reading grade (Flesch-Kincaid): key messages ")
    assert lines[2:] == [
        "  uncited paragraphs in evidence sections: 1",
        "    report/sections/intro.yaml:13",
        "  TODO/FIXME markers: 2",
        "    report/report.yaml:22",
        "    report/sections/intro.yaml:15",
        "  evidence references older than 9 years: 2",
        "    kruegel2016synthetic (2016)",
        "    dea2016notice (2016)",
        "  data older than 100 days: 1",
        "    report/data/timeline.yaml (as of 2026-04, 209 days)",
    ]
    assert blocks[2].startswith("policymaker: ")


def test_plain_check_prints_no_statistics_and_does_not_compute_them(tiny):
    code = ("import sys; from kratom_report.cli import main\n"
            f"main(['check', '--source', {str(tiny)!r}], standalone_mode=False)\n"
            "stats = 'kratom_report.authoring.stats' in sys.modules\n"
            "print('stats loaded' if stats else 'no stats')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.splitlines() == ["ok: 2 editions (clinician, policymaker), 2 sections, "
                                "3 references", "no stats"]


def test_warnings_are_the_json_problems(cli, tiny):
    refs = tiny / "report" / "references.yaml"
    refs.write_text(refs.read_text(encoding="utf-8") + (
        "- key: unused2020\n  type: book\n  title: Never cited\n  issued: 2020\n"
        "  URL: https://example.org/unused\n"), encoding="utf-8")
    result = cli("check", "--source", tiny, "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["problems"] == [
        "report/references.yaml:74:8: warning: reference 'unused2020' is not cited by any "
        "edition"]


def test_a_draft_measures_age_from_the_given_day(tiny):
    _edit(tiny / "report" / "changelog.yaml", "    date: 2026-11-25\n", "")
    result = check(tiny)
    assert result.editions[0].release.draft
    early = edition_stats(result, today=dt.date(2026, 4, 30))
    late = edition_stats(result, today=dt.date(2027, 5, 1))
    assert early[0].stale_data == ()
    assert [(d.file, d.age_days) for d in late[0].stale_data] == \
        [("report/data/timeline.yaml", 366)]
    # A reference is old when more than references_years (10) calendar years have passed.
    assert edition_stats(result, today=dt.date(2026, 12, 31))[0].old_refs == ()
    assert [(r.key, r.year) for r in late[0].old_refs] == \
        [("kruegel2016synthetic", 2016), ("dea2016notice", 2016)]


def test_uncited_paragraph_in_a_plain_scalar_is_found_by_its_words(tiny):
    intro = tiny / "report" / "sections" / "intro.yaml"
    _edit(intro, "  - type: figure\n",
          "  - type: markdown\n    text: Nothing cited in this plain one-line scalar.\n"
          "  - type: figure\n")
    [stats, _] = edition_stats(check(tiny))
    assert stats.uncited == ("report/sections/intro.yaml:13",)


def test_callouts_and_other_kinds_are_checked_only_in_evidence_sections(tiny):
    practice = tiny / "report" / "sections" / "practice.yaml"
    _edit(practice, "Clinician-only advice CLINICIANONLY [@cdc2018salmonella].",
          "Clinician-only advice CLINICIANONLY.")
    [clinician, _] = edition_stats(check(tiny))
    assert clinician.uncited == ()  # practice is a guidance section
    _edit(practice, "kind: guidance", "kind: evidence")
    [clinician, policymaker] = edition_stats(check(tiny))
    assert clinician.uncited == ("report/sections/practice.yaml:7",)
    assert policymaker.uncited == ()  # the callout is not in this edition


@pytest.mark.parametrize(("word", "syllables"), [
    ("the", 1), ("table", 2), ("evidence", 3), ("recommendation", 5), ("buprenorphine", 4),
    ("evidence-based", 4), ("FDA", 3), ("WHO", 5), ("CYP3A", 5), ("7-OH", 3), ("8", 1),
    ("2016", 4), ("1,807", 4), ("don't", 1), ("used", 1), ("doses", 2), ("tested", 2),
])
def test_syllables_are_counted_offline(word, syllables):
    assert _syllable_counter("en")(word) == syllables


def test_flesch_kincaid_grade():
    md = make_markdown()
    # 6 words, 1 sentence, 6 syllables: 0.39 * 6 + 11.8 * 1 - 15.59 = -1.45.
    assert fk_grade(md, ["The cat sat on the mat."]) == -1.4
    # Citations, headings and abbreviations do not make words or sentences.
    assert fk_grade(md, ["# A heading here\n\nThe cat sat on the mat [@key, p. 2]."]) == -1.4
    assert _sentence_count("Smith et al. showed it, e.g. in cats. A. C. Kruegel agreed.") == 2
    assert _sentence_count("It rose 1.39-fold (p. 12). Then? It fell!") == 3
    assert fk_grade(md, []) is None
    assert fk_grade(md, ["A long sentence, with commas, that keeps going and going on and on."]) \
        > fk_grade(md, ["A short one. And two. And three. And four."])


@pytest.mark.parametrize(("issued", "year"), [
    (2016, 2016), ("2016-08-31", 2016), (dt.date(2003, 1, 2), 2003),
    ({"date-parts": [[1999, 5]]}, 1999), ("n.d.", None), (None, None), (True, None),
])
def test_issued_year(issued, year):
    assert issued_year(issued) == year


def test_real_report_has_no_uncited_evidence_paragraphs_or_markers(cli):
    data = json.loads(cli("check", "--source", REPO, "--format", "json").stdout)
    for stats in data["editions"].values():
        assert stats["uncited"] == [] and stats["todo"] == []
        assert 8 < stats["fk_grade"]["all"] < 20


def test_several_markers_in_one_text_are_each_located(tiny):
    intro = tiny / "report" / "sections" / "intro.yaml"
    _edit(intro, "Shared paragraph citing", "FIXME: shared TODO paragraph citing")
    _edit(intro, "## A subheading", "## A TODO subheading")
    [stats, _] = edition_stats(check(tiny))
    assert stats.todo == ("report/sections/intro.yaml:7", "report/sections/intro.yaml:9")


def test_json_is_printed_when_the_check_fails(cli, tiny):
    _edit(tiny / "report" / "report.yaml", 'version: "1.0.0"', "version: 1.10")
    result = cli("check", "--source", tiny, "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["ok"] is False and data["editions"] == {}
    assert data["problems"] == result.stderr.splitlines()
    first = data["findings"][0]
    assert (first["file"], first["line"], first["severity"]) == ("report/report.yaml", 5,
                                                                 "error")


def test_json_is_printed_when_strict_fails_on_a_warning(cli, tiny):
    refs = tiny / "report" / "references.yaml"
    refs.write_text(refs.read_text(encoding="utf-8") + (
        "- key: unused2020\n  type: book\n  title: Never cited\n  issued: 2020\n"
        "  URL: https://example.org/unused\n"), encoding="utf-8")
    result = cli("check", "--source", tiny, "--format", "json", "--strict")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["ok"] is False
    assert list(data["editions"]) == ["clinician", "policymaker"]
    assert [f["severity"] for f in data["findings"]] == ["warning"]


def test_json_is_printed_when_there_is_no_report(cli, tmp_path):
    result = cli("check", "--source", tmp_path, "--format", "json")
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data["ok"] is False
    assert data["findings"][0]["file"] is None
    assert data["problems"] == [result.stderr.strip().removeprefix("Error: ")]
