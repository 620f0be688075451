"""diff: what changed between a release and the working tree, exactly, for the right editions."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from kratom_report.cli import main

from conftest import FIXTURES, REPO, tree_snapshot

SCHEMA = json.loads((REPO / "src" / "kratom_report" / "publish" / "diff.schema.json")
                    .read_text())
EXTRA = ("- key: extra2020\n  type: webpage\n  title: An extra source\n  issued: 2020\n"
         "  URL: https://example.org/extra\n")


def _run(*args: str | Path):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


@pytest.fixture(scope="module")
def released(tmp_path_factory) -> Path:
    """The tiny report released as 1.0.0, with a reference only its clinician callout cites."""
    root = tmp_path_factory.mktemp("diff") / "tiny"
    shutil.copytree(FIXTURES / "tiny", root)
    refs = root / "report" / "references.yaml"
    refs.write_text(refs.read_text() + EXTRA)
    _edit(root / "report" / "sections" / "practice.yaml", "[@cdc2018salmonella].",
          "[@cdc2018salmonella; @extra2020].")
    result = _run("release", "--source", root, "--out", root / "public")
    assert result.exit_code == 0, result.stderr
    return root


@pytest.fixture
def tree(released: Path, tmp_path: Path) -> Path:
    """A writable copy of the released report, records included."""
    dest = tmp_path / "tiny"
    shutil.copytree(released, dest, ignore=shutil.ignore_patterns("public"))
    return dest


def _three_changes(root: Path) -> None:
    _edit(root / "report" / "sections" / "practice.yaml",
          "text: Clinician-only advice CLINICIANONLY [@cdc2018salmonella; @extra2020].",
          "text: Revised clinician-only advice CLINICIANONLY [@cdc2018salmonella].")
    refs = root / "report" / "references.yaml"
    refs.write_text(refs.read_text().replace(EXTRA, ""))
    _edit(root / "report" / "sections" / "intro.yaml", "n: 0,", "n: 12,")


def test_release_records_content_that_checks_against_the_manifest(released):
    record = released / "releases" / "1.0.0"
    assert sorted(p.name for p in record.iterdir()) == ["SHA256SUMS", "content.json",
                                                        "manifest.json"]
    content = json.loads((record / "content.json").read_text())
    manifest = json.loads((record / "manifest.json").read_text())
    assert {r["edition"]: r["content_fingerprint"] for r in manifest["editions"]} == \
        {k: v["content_fingerprint"] for k, v in content["editions"].items()}
    from kratom_report.compose.editions import content_fingerprint

    for edition in content["editions"].values():  # checkable from the record alone
        assert content_fingerprint(edition["payload"]) == edition["content_fingerprint"]


def test_no_change_is_no_change(tree):
    result = _run("diff", "--source", tree, "--exit-code")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ("changes from 1.0.0 to worktree\n\nclinician: unchanged\n\n"
                             "policymaker: unchanged\n\nno changes\n")


def test_diff_reports_exactly_the_three_changes(tree):
    _three_changes(tree)
    result = _run("diff", "--source", tree)
    assert result.exit_code == 0, result.stderr
    row = "[@kruegel2016synthetic] | In vitro | [-0-] {+12+} | Cells | Partial agonism | low"
    number = ("  number in intro: 0 → 12: [@kruegel2016synthetic] | In vitro | 12 | Cells | "
              "Partial agonism | low")
    assert result.stdout.splitlines() == [
        "changes from 1.0.0 to worktree",
        "",
        "clinician:",
        "  block changed: intro/2 in Introduction: number changed",
        "  block changed: practice/0 in Practice: recommendation or key message changed",
        f"  row changed in intro/2: {row}",
        "  paragraph changed in practice/0: [-Clinician-only-] {+Revised clinician-only+} "
        "advice CLINICIANONLY [-[@cdc2018salmonella; @extra2020].-] {+[@cdc2018salmonella].+}",
        number,
        "  reference removed: extra2020: An extra source. 2020. https://example.org/extra",
        "",
        "policymaker:",
        "  block changed: intro/2 in Introduction: number changed",
        f"  row changed in intro/2: {row}",
        number,
    ]


def test_json_is_valid_against_its_schema_and_exit_code_flags_changes(tree):
    _three_changes(tree)
    result = _run("diff", "1.0.0", "worktree", "--source", tree, "--format", "json",
                  "--exit-code")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    jsonschema.validate(data, SCHEMA)
    clinician, policymaker = data["editions"]["clinician"], data["editions"]["policymaker"]
    assert [p["block"] for p in clinician["paragraphs"]] == ["intro/2", "practice/0"]
    assert [p["block"] for p in policymaker["paragraphs"]] == ["intro/2"]
    assert clinician["numbers"] == policymaker["numbers"] == [{
        "section": "intro", "old": "0", "new": "12",
        "sentence": "[@kruegel2016synthetic] | In vitro | 12 | Cells | Partial agonism | low"}]
    assert [r["key"] for r in clinician["references"]["removed"]] == ["extra2020"]
    assert policymaker["references"] == {"added": [], "removed": [], "changed": []}


def test_the_schema_rejects_what_it_should():
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"old": "1.0.0", "new": "worktree", "changed": "yes",
                             "editions": {}}, SCHEMA)


def test_one_edition_and_html(tree):
    _three_changes(tree)
    result = _run("diff", "--source", tree, "--edition", "policymaker", "--format", "html")
    assert result.exit_code == 0, result.stderr
    page = result.stdout
    head = page.split("<style>")[0].split("<main>")[-1]
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    assert "http:" not in head and "https:" not in head  # http-equiv: its own policy
    assert "<del>0</del> <ins>12</ins>" in page
    assert "clinician" not in page


def test_sections_moved_retitled_and_figure_points(tree):
    report = tree / "report" / "report.yaml"
    _edit(report, "sections:\n  - intro\n  - practice\n", "sections:\n  - practice\n  - intro\n")
    _edit(tree / "report" / "sections" / "intro.yaml", "title: Introduction",
          "title: Overview")
    _edit(tree / "report" / "data" / "timeline.yaml", "label: Outbreak investigated",
          "label: Outbreak traced")
    data = json.loads(_run("diff", "--source", tree, "--format", "json").stdout)
    jsonschema.validate(data, SCHEMA)
    clinician = data["editions"]["clinician"]
    assert clinician["sections"]["retitled"] == [
        {"id": "intro", "old": "Introduction", "new": "Overview"}]
    assert clinician["sections"]["moved"] == [
        {"id": "practice", "title": "Practice", "from": 2, "to": 1}]
    assert clinician["figures"] == [
        {"data": "data/timeline.yaml", "point": "event 2018: Outbreak investigated",
         "old": "present", "new": None},
        {"data": "data/timeline.yaml", "point": "event 2018: Outbreak traced",
         "old": None, "new": "present"}]


@pytest.mark.parametrize(("args", "message"), [
    (["9.9.9"], "unknown version '9.9.9': not a recorded release (releases: 1.0.0; or use "
                "'worktree')"),
    (["1.0.0", "worktree", "--edition", "nurse"],
     "edition 'nurse' did not exist in 1.0.0 (editions there: clinician, policymaker)"),
])
def test_bad_versions_and_editions(tree, args, message):
    before = tree_snapshot(tree)
    result = _run("diff", *args, "--source", tree)
    assert result.exit_code == 1
    assert result.stderr == message + "\n"
    assert result.stdout == ""
    assert tree_snapshot(tree) == before


def test_a_hand_edited_record_is_refused(tree):
    path = tree / "releases" / "1.0.0" / "content.json"
    data = json.loads(path.read_text())
    data["editions"]["clinician"]["key_messages"][0] = "Something else."
    path.write_text(json.dumps(data))
    result = _run("diff", "--source", tree)
    assert result.exit_code == 1
    assert result.stderr == (
        "releases/1.0.0/content.json: damaged or edited by hand (edition 'clinician'): its "
        "content does not match the fingerprints in manifest.json; restore it from version "
        "control\n")


def test_a_damaged_record_is_refused(tree):
    (tree / "releases" / "1.0.0" / "content.json").write_text('{"format": 1, "editions": [')
    result = _run("diff", "--source", tree)
    assert result.exit_code == 1
    assert result.stderr.startswith("releases/1.0.0/content.json: damaged or edited by hand (")


def test_a_release_recorded_before_content_records_gets_one(tree):
    record = tree / "releases" / "1.0.0"
    content = (record / "content.json").read_bytes()
    (record / "content.json").unlink()
    result = _run("diff", "--source", tree)
    assert result.exit_code == 1
    assert result.stderr == (
        "releases/1.0.0/content.json: missing; this release was recorded before content "
        "records existed. Check out its sources and run 'kratom-report release' again: it "
        "adds the record and changes nothing else\n")
    out = tree / "public"
    first = _run("release", "--source", tree, "--out", out)
    assert first.exit_code == 0, first.stderr
    assert (record / "content.json").read_bytes() == content


def test_the_shipped_release_record_is_valid():
    from kratom_report.publish.records import load_record

    doc = load_record(REPO, "1.0.0")
    assert sorted(doc["editions"]) == ["clinician", "policymaker"]


# --- build --mark-changes ---------------------------------------------------------------------

BAR = (0.701961, 0.14902, 0.117647)  # the change bar's colour, #b3261e


def _bars_and_words(pdf_path: Path) -> list[tuple[list[tuple[float, float, float]], list[dict]]]:
    import pdfplumber

    pages = []
    with pdfplumber.open(pdf_path) as pdf:
        for page in pdf.pages:
            bars = []
            for shape in page.rects + page.lines:
                colours = (shape.get("non_stroking_color"), shape.get("stroking_color"))
                if any(isinstance(c, tuple) and len(c) == 3 and
                       all(abs(a - b) < 0.01 for a, b in zip(c, BAR, strict=True))
                       for c in colours):
                    bars.append((shape["x0"], shape["top"], shape["bottom"]))
            pages.append((sorted(set(bars)), page.extract_words()))
    return pages


def _has_bar(bars: list[tuple[float, float, float]], word: dict) -> bool:
    return any(x0 < word["x0"] and top <= word["top"] + 1 and bottom >= word["bottom"] - 1
               for x0, top, bottom in bars)


def test_mark_changes_puts_a_bar_beside_exactly_the_changed_blocks(tree, tmp_path):
    _three_changes(tree)
    out = tmp_path / "dist"
    result = _run("build", "--source", tree, "--out", out, "--mark-changes")
    assert result.exit_code == 0, result.stderr
    marked = {"clinician": ["Revised", "12"], "policymaker": ["12"]}
    for edition, changed_words in marked.items():
        path = out / f"tiny-briefing-{edition}-v1.0.0-changes-since-1.0.0.pdf"
        pages = _bars_and_words(path)
        rows = {round(top) for bars, _ in pages for _, top, _ in bars}
        found = []
        for bars, words in pages:
            for word in words:
                if word["text"] in changed_words and _has_bar(bars, word):
                    found.append(word["text"])
                if word["text"] in ("Shared", "second", "Notice"):  # unchanged text
                    assert not _has_bar(bars, word), (edition, word["text"])
        assert sorted(set(found)) == sorted(changed_words), (edition, found)
        assert len(rows) == len(changed_words), (edition, rows)  # one bar per changed unit
        text = "\n".join(" ".join(w["text"] for w in words) for _, words in pages)
        assert "Changed since 1.0.0" in text  # the note in the margin, read before the text
        # The summary names sections by title and says what kind of change each is.
        assert "Introduction: number changed: 0 → 12" in text
        assert ("Practice: recommendation or key message changed" in text) == \
            (edition == "clinician")
        assert "intro:" not in text and "practice:" not in text


def test_without_marks_nothing_is_marked(tree, tmp_path):
    _three_changes(tree)
    out = tmp_path / "dist"
    assert _run("build", "--source", tree, "--out", out, "--edition", "clinician").exit_code == 0
    pages = _bars_and_words(out / "tiny-briefing-clinician-v1.0.0.pdf")
    assert all(bars == [] for bars, _ in pages)
    assert "Changed since" not in " ".join(w["text"] for _, ws in pages for w in ws)


def test_mark_changes_since_an_unknown_version_writes_nothing(tree, tmp_path):
    out = tmp_path / "dist"
    result = _run("build", "--source", tree, "--out", out, "--mark-changes", "0.9.0")
    assert result.exit_code == 1
    assert result.stderr == ("unknown version '0.9.0': not a recorded release (releases: "
                             "1.0.0; or use 'worktree')\n")
    assert not any(out.glob("*.pdf")) if out.exists() else True


def test_check_warns_when_a_draft_changes_content_but_lists_no_change(tree):
    assert _run("version", "bump", "minor", "--source", tree).exit_code == 0
    quiet = _run("check", "--source", tree)
    assert quiet.exit_code == 0 and "warning" not in quiet.stderr  # same content: nothing to say
    _three_changes(tree)
    result = _run("check", "--source", tree)
    assert result.exit_code == 0
    assert result.stderr.splitlines()[-1] == (
        "report/changelog.yaml:2:14: warning: the content differs from release 1.0.0 "
        "(clinician, policymaker), but the draft entry for 1.1.0 lists no change; describe what "
        "changed (see 'kratom-report diff')")
    assert _run("check", "--source", tree, "--strict").exit_code == 1


def _edition(text: str, facts: dict[str, str], figure_label: str) -> dict:
    """A one-paragraph edition record, as release writes it (see publish/record.py)."""
    return {"title": "T", "key_messages": [text], "references": [],
            "figures": {"data/timeline.yaml": {figure_label: "present"}},
            "facts": {k: {"text": v, "checked": "2026-12-01"} for k, v in facts.items()},
            "sections": [{"id": "s", "title": "S", "blocks": [
                {"id": "s/0", "type": "markdown",
                 "units": [{"kind": "paragraph", "text": text}]}]}]}


def _fact_diff(old: dict, new: dict) -> dict:
    from kratom_report.publish.diff import diff_records
    return diff_records({"version": "1.0.0", "editions": {"e": old}},
                        {"version": "1.1.0", "editions": {"e": new}})["editions"]["e"]


def test_a_number_made_into_a_fact_with_the_same_value_is_no_change():
    old = _edition("A survey of 56,136 people.", {}, "event 2018: 199 cases")
    new = _edition("A survey of {{fact:n}} people.", {"n": "56,136", "cases": "199"},
                   "event 2018: {{fact:cases}} cases")
    result = _fact_diff(old, new)
    assert result["paragraphs"] == [] and result["blocks"]["changed"] == []
    assert result["numbers"] == [] and result["figures"] == []
    assert result["key_messages"] == {"added": [], "removed": [], "changed": []}
    assert [c["id"] for c in result["facts"]] == ["cases", "n"]  # new facts, reported once


def test_a_number_made_into_a_fact_with_another_value_is_a_number_change():
    old = _edition("A survey of 56,136 people.", {}, "event 2018")
    new = _edition("A survey of {{fact:n}} people.", {"n": "56,200"}, "event 2018")
    result = _fact_diff(old, new)
    assert [(n["old"], n["new"]) for n in result["numbers"]] == [("56,136", "56,200")] * 2
    assert result["blocks"]["changed"][0]["kinds"] == ["number"]


def test_a_fact_whose_value_changed_is_one_fact_change_not_a_changed_sentence():
    old = _edition("A survey of {{fact:n}} people.", {"n": "56,136"}, "event 2018")
    new = _edition("A survey of {{fact:n}} people.", {"n": "56,200"}, "event 2018")
    result = _fact_diff(old, new)
    assert result["paragraphs"] == [] and result["numbers"] == []
    assert result["facts"] == [{"id": "n", "old": "56,136", "new": "56,200",
                                "checked": "2026-12-01"}]
