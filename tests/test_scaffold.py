"""kratom-report new section: a valid skeleton, added to the order with comments kept."""

from __future__ import annotations

import pytest
import yaml

from kratom_report.authoring.scaffold import ScaffoldError, new_section

from conftest import tree_snapshot

SKELETON = """\
# Cite sources as [@key]; every paragraph of an evidence section cites.
id: side-effects
title: 'Side effects: what is known'
kind: evidence
audiences: [clinician]
blocks:
  - type: markdown
    text: |
      TODO: write this section.
"""


def test_new_section_writes_a_skeleton_and_check_passes(cli, tiny):
    result = cli("new", "section", "side-effects", "--title", "Side effects: what is known",
                 "--audiences", "clinician", "--source", tiny)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "report/sections/side-effects.yaml\n"
    assert result.stderr == ("added 'side-effects' to sections in report/report.yaml (after "
                             "'practice'); write its text, then run 'kratom-report check'\n")
    path = tiny / "report" / "sections" / "side-effects.yaml"
    assert path.read_text(encoding="utf-8") == SKELETON
    report = (tiny / "report" / "report.yaml").read_text(encoding="utf-8")
    assert "sections:\n  - intro\n  - practice\n  - side-effects\nchangelog:" in report
    assert report.startswith("# A tiny report that exercises every block type;")

    check = cli("check", "--source", tiny, "--format", "json")
    assert check.exit_code == 0, check.stderr
    import json

    stats = json.loads(check.stdout)["editions"]
    # The TODO line is a statistic to act on, not an error.
    assert stats["clinician"]["todo"] == ["report/sections/side-effects.yaml:9"]
    assert stats["policymaker"]["todo"] == []


def test_default_kind_is_evidence_and_every_edition_sees_it(cli, tiny):
    result = cli("new", "section", "notes", "--title", "Notes", "--kind", "back",
                 "--source", tiny)
    assert result.exit_code == 0, result.stderr
    data = yaml.safe_load((tiny / "report" / "sections" / "notes.yaml").read_text())
    assert data == {"id": "notes", "title": "Notes", "kind": "back",
                    "blocks": [{"type": "markdown", "text": "TODO: write this section.\n"}]}
    assert cli("new", "section", "more", "--title", "More", "--source", tiny).exit_code == 0
    assert yaml.safe_load((tiny / "report" / "sections" / "more.yaml").read_text())["kind"] \
        == "evidence"
    result = cli("editions", "--source", tiny)
    assert [line.split("\t")[2] for line in result.stdout.splitlines()] == \
        ["4 sections", "4 sections"]


def test_comments_after_the_section_list_stay_where_they_were(cli, tiny):
    report = tiny / "report" / "report.yaml"
    text = report.read_text(encoding="utf-8").replace(
        "  - practice\n", "  - practice  # the last one\n\n# Where the changelog lives.\n")
    report.write_text(text, encoding="utf-8")
    assert cli("new", "section", "extra", "--title", "Extra", "--source", tiny).exit_code == 0
    assert report.read_text(encoding="utf-8") == text.replace(
        "  - practice  # the last one\n", "  - practice  # the last one\n  - extra\n")
    assert cli("check", "--source", tiny).exit_code == 0


def test_flow_style_section_list(cli, tiny):
    report = tiny / "report" / "report.yaml"
    text = report.read_text(encoding="utf-8").replace(
        "sections:\n  - intro\n  - practice\n", "sections: [intro, practice]\n")
    report.write_text(text, encoding="utf-8")
    assert cli("new", "section", "extra", "--title", "Extra", "--source", tiny).exit_code == 0
    assert "sections: [intro, practice, extra]\n" in report.read_text(encoding="utf-8")


@pytest.mark.parametrize(("args", "code", "stderr"), [
    (["intro", "--title", "Again"], 1,
     "report/report.yaml:31:5: section 'intro' already exists in sections; choose another id\n"),
    (["extra", "--title", "Extra", "--audiences", "clinican,policymaker"], 1,
     "report/report.yaml:14:1: unknown edition 'clinican' in --audiences (did you mean "
     "'clinician'?) (editions: clinician, policymaker)\n"),
])
def test_refused_with_a_located_message_and_nothing_written(cli, tiny, args, code, stderr):
    before = tree_snapshot(tiny)
    result = cli("new", "section", *args, "--source", tiny)
    assert (result.exit_code, result.stderr, result.stdout) == (code, stderr, "")
    assert tree_snapshot(tiny) == before


def test_an_unlisted_file_with_that_name_is_refused(cli, tiny):
    stray = tiny / "report" / "sections" / "extra.yaml"
    stray.write_text("id: extra\n", encoding="utf-8")
    before = tree_snapshot(tiny)
    result = cli("new", "section", "extra", "--title", "Extra", "--source", tiny)
    assert result.exit_code == 1
    assert result.stderr == ("report/sections/extra.yaml: file already exists; choose another "
                             "id, or add 'extra' to sections in report/report.yaml to use it\n")
    assert tree_snapshot(tiny) == before


@pytest.mark.parametrize(("args", "message"), [
    (["Side_Effects", "--title", "X"],
     "Invalid value for 'ID': 'Side_Effects' is not a valid section id: use lowercase letters, "
     "digits and hyphens, starting with a letter or digit, at most 64 characters (like "
     "'side-effects'; it names the file report/sections/<id>.yaml)"),
    (["x", "--title", "  "], "Invalid value for '--title': the title is empty"),
    (["x", "--title", "X", "--audiences", " , "],
     "Invalid value for '--audiences': name at least one edition, like clinician,policymaker"),
    (["x", "--title", "X", "--kind", "evidnce"],
     "Invalid value for '--kind': 'evidnce' is not one of 'front', 'evidence', 'guidance', "
     "'policy', 'back'."),
    (["x"], "Missing option '--title'."),
])
def test_bad_arguments_are_usage_errors(cli, tiny, args, message):
    before = tree_snapshot(tiny)
    result = cli("new", "section", *args, "--source", tiny)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == f"Error: {message}"
    assert tree_snapshot(tiny) == before


def test_library_refuses_a_bad_id_too(tiny):
    before = tree_snapshot(tiny)
    with pytest.raises(ScaffoldError, match="^'../x' is not a valid section id"):
        new_section(tiny, "../x", "X")
    assert tree_snapshot(tiny) == before


def test_unwritable_sections_folder_changes_nothing(cli, tiny, monkeypatch):
    import tempfile

    real_mkstemp = tempfile.mkstemp

    def refusing_mkstemp(*args, dir=None, **kwargs):
        if str(dir).endswith("sections"):
            raise PermissionError(13, "Permission denied")
        return real_mkstemp(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", refusing_mkstemp)
    before = tree_snapshot(tiny)
    result = cli("new", "section", "extra", "--title", "Extra", "--source", tiny)
    assert result.exit_code == 1
    assert result.stderr == ("report/sections/extra.yaml: Permission denied; nothing was "
                             "changed\n")
    assert tree_snapshot(tiny) == before


def test_failed_report_write_removes_the_new_section_file(tiny, monkeypatch):
    import os

    real_replace = os.replace

    def failing_replace(src, dst):
        if str(dst).endswith("report.yaml"):
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    before = tree_snapshot(tiny)
    with pytest.raises(ScaffoldError) as info:
        new_section(tiny, "extra", "Extra")
    assert str(info.value) == ("report/report.yaml: No space left on device; nothing was "
                               "changed")
    assert tree_snapshot(tiny) == before
    assert sorted(p.name for p in (tiny / "report" / "sections").iterdir()) == \
        ["intro.yaml", "practice.yaml"]
