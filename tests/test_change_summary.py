"""What changed, in words a reader understands: each changed block classified, numbers paired
by their place in the sentence, sections named by title, edition by edition."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from kratom_report.compare import worktree_record
from kratom_report.compose.i18n import Words
from kratom_report.compose.marks import change_summary, fact_line, summary_lines
from kratom_report.publish.diff import diff_records, number_pairs
from kratom_report.publish.records import content_document

from conftest import FIXTURES

# --- numbers ---------------------------------------------------------------------------------


def _numbers(old: str, new: str) -> list[tuple[str, str]]:
    record = {"editions": {"e": _edition([_section("s", "S", "evidence", [_para(old)])])}}
    after = {"editions": {"e": _edition([_section("s", "S", "evidence", [_para(new)])])}}
    return [(n["old"], n["new"]) for n in diff_records(record, after)["editions"]["e"]["numbers"]]


def test_numbers_from_different_sentences_are_not_paired() -> None:
    # The word-by-word diff paired "2.4% → 2021" and "2019 → 2.36%": one edited stretch
    # crossed a sentence boundary.
    assert _numbers("Use was 2.4% in 2019.",
                    "Use was reported by many. In 2021 it was 2.36%.") == []


def test_numbers_pair_by_position_in_the_aligned_sentence() -> None:
    # A number moved within its sentence: a delete and an insert to a word diff, one
    # change to a reader.
    assert _numbers("In 2019, 2.4% of adults used it.",
                    "In 2019, of adults 2.36% used it.") == [("2.4%", "2.36%")]
    assert _numbers("Past-year use was 2.4% in 2019. Daily use was 0.7% in 2019.",
                    "A new survey was added. Past-year use was 2.36% in 2019. Daily use was "
                    "0.7% in 2021.") == [("2.4%", "2.36%"), ("2019", "2021")]


def test_an_added_number_does_not_shift_the_pairing() -> None:
    # Numbers that stayed anchor the pairing; the rest pair only where it is unambiguous.
    assert number_pairs("Rates were 2.4 and 3.1 per 1000.",
                        "Rates were 2.36 and 3.1 per 1000, and 5 per 1000 in 2021.") == [
        ("2.4", "2.36")]
    # 26 became 31 or 4,200? Not said, rather than guessed (the block still counts as a
    # number change).
    assert number_pairs("Of 26 trials, 12 were small.",
                        "Of 31 trials (4,200 people), 12 were small.") == []
    assert number_pairs("Rates were 2.4, 3.1 and 7 per 1000.",
                        "Rates were 2.36, 3.1 and 7.2 per 1000 in 2021.") == [
        ("2.4", "2.36"), ("7", "7.2")]


# --- classification ---------------------------------------------------------------------------


def _para(text: str) -> dict[str, str]:
    return {"kind": "paragraph", "text": text}


def _section(sid: str, title: str, kind: str, units: list[dict[str, str]],
             block_type: str = "markdown") -> dict[str, Any]:
    return {"id": sid, "title": title, "kind": kind,
            "blocks": [{"id": f"{sid}/0", "type": block_type, "units": units}]}


def _edition(sections: list[dict[str, Any]], key_messages: list[str] | None = None,
             references: list[str] = ("a2020",)) -> dict[str, Any]:
    return {"sections": sections, "key_messages": key_messages or [], "figures": {},
            "references": [{"key": k, "n": i + 1, "entry": k} for i, k in
                           enumerate(references)]}


def _kinds(old: dict, new: dict) -> list[str]:
    diff = diff_records({"editions": {"e": old}}, {"editions": {"e": new}})
    return [k for b in diff["editions"]["e"]["blocks"]["changed"] for k in b["kinds"]]


@pytest.mark.parametrize(("kind", "old", "new", "expected"), [
    ("evidence", "Use is common [@a2020].", "Use is common [@a2020; @b2024].", ["source"]),
    ("evidence", "Of 26 users, most [@a2020].", "Of 31 users, most [@a2020].", ["number"]),
    ("evidence", "Low-certainty evidence suggests harm [@a2020].",
     "Moderate-certainty evidence suggests harm [@a2020].", ["certainty"]),
    ("guidance", "Ask about use.", "Ask every patient about use.", ["recommendation"]),
    ("evidence", "Use is common [@a2020].", "Use is frequent [@a2020].", ["wording"]),
    ("evidence", "Of 26 users [@a2020].", "Of 31 adult users [@b2024].", ["source", "number"]),
    # A page number in a citation is no number of the text.
    ("evidence", "Use is common [@a2020, p. 2].", "Use is common [@a2020, p. 3].",
     ["wording"]),
])
def test_each_changed_block_is_classified(kind: str, old: str, new: str,
                                          expected: list[str]) -> None:
    before = _edition([_section("s", "Findings", kind, [_para(old)])])
    after = _edition([_section("s", "Findings", kind, [_para(new)])])
    assert _kinds(before, after) == expected


def test_an_evidence_table_certainty_column_is_a_certainty_change() -> None:
    def table(certainty: str) -> dict[str, Any]:
        rows = [{"kind": "caption", "text": "Studies"},
                {"kind": "row", "text": f"[@a2020] | RCT | 26 | Adults | Less pain | {certainty}"}]
        return _edition([_section("s", "Evidence", "evidence", rows, "evidence_table")])

    assert _kinds(table("low"), table("moderate")) == ["certainty"]


def test_the_summary_names_sections_by_title_in_the_editions_language() -> None:
    before = _edition([_section("harms-and-risks", "Harms and risks", "evidence",
                                [_para("Of 26 users, most [@a2020].")])],
                      ["Ask about use [@a2020]."])
    after = _edition([_section("harms-and-risks", "Harms and risks", "evidence",
                               [_para("Of 31 users, most [@a2020; @b2024].")])],
                     ["Ask every patient about use [@a2020]."], ["a2020", "b2024"])
    diff = diff_records({"editions": {"e": before}}, {"editions": {"e": after}})
    summary = change_summary(diff["editions"]["e"])
    assert summary_lines(summary, Words("en")) == [
        "Harms and risks: new source cited; number changed: 26 → 31",
        "Key messages: recommendation or key message changed",
        "Reference added: b2024"]
    assert summary_lines(summary, Words("fr"))[0] == (
        "Harms and risks: nouvelle source citée; chiffre modifié : 26 → 31")
    assert "harms-and-risks" not in json.dumps(summary_lines(summary, Words("en")))


def test_the_facts_hook_prints_one_line_per_fact() -> None:
    assert fact_line({"id": "us-past-year-use", "old": "0.7%", "new": "0.8%",
                      "checked": "2026-12-02"}) == (
        "fact us-past-year-use: 0.7% → 0.8% (checked 2026-12-02)")


# --- edition by edition, on the What changed page, the version page and the feed ------------


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


def _record_release(root: Path, version: str, date: str) -> None:
    """A release record of the tree as it is (what ``release`` records, without PDFs)."""
    records = worktree_record(root)["editions"]
    folder = root / "releases" / version
    folder.mkdir(parents=True)
    (folder / "content.json").write_bytes(content_document(version, date, records))
    rows = [{"edition": e, "file": f"tiny-briefing-{e}-v{version}.pdf", "version": version,
             "date": date, "pages": 1, "bytes": 1, "sha256": "0" * 64,
             "content_fingerprint": r["content_fingerprint"], "build_fingerprint": "0" * 64}
            for e, r in sorted(records.items())]
    (folder / "manifest.json").write_text(json.dumps(
        {"slug": "tiny-briefing", "title": "Tiny", "version": version, "date": date,
         "editions": rows}))


@pytest.fixture
def edited(tmp_path: Path) -> Path:
    """The tiny report recorded as 1.0.0, then edited: the clinician-only callout (a
    recommendation) and a row both editions show (a number)."""
    root = tmp_path / "tiny"
    shutil.copytree(FIXTURES / "tiny", root)
    _record_release(root, "1.0.0", "2026-11-25")
    _edit(root / "report" / "sections" / "practice.yaml",
          "text: Clinician-only advice CLINICIANONLY", "text: Revised clinician-only advice "
          "CLINICIANONLY")
    _edit(root / "report" / "sections" / "intro.yaml", "n: 0,", "n: 12,")
    return root


def _summary_items(html: str) -> list[str]:
    block = re.search(r'<ul class="change-summary">(.*?)</ul>', html, re.S)
    assert block is not None
    return re.findall(r"<li>(.*?)</li>", block.group(1), re.S)


def test_each_editions_what_changed_page_lists_only_its_own_changes(edited: Path, cli,
                                                                     tmp_path: Path) -> None:
    out = tmp_path / "dist"
    result = cli("build", "--source", edited, "--format", "html", "--mark-changes",
                 "--out", out)
    assert result.exit_code == 0, result.stderr
    pages = {e: (out / f"tiny-briefing-{e}-v1.0.0-changes-since-1.0.0-print.html").read_text()
             for e in ("clinician", "policymaker")}
    assert _summary_items(pages["clinician"]) == [
        "Introduction: number changed: 0 → 12",
        "Practice: recommendation or key message changed"]
    # The callout is the clinician's only: the policymaker's page never mentions it.
    assert _summary_items(pages["policymaker"]) == ["Introduction: number changed: 0 → 12"]


def test_the_version_page_and_feed_carry_each_editions_summary(edited: Path, cli,
                                                               tmp_path: Path) -> None:
    _edit(edited / "report" / "report.yaml", 'version: "1.0.0"', 'version: "1.1.0"')
    _edit(edited / "report" / "changelog.yaml", "entries:\n", (
        'entries:\n  - version: "1.1.0"\n    date: 2026-12-04\n    changes:\n'
        "      - Revised the practice point.\n"))
    out = tmp_path / "public"
    result = cli("release", "--source", edited, "--out", out)
    assert result.exit_code == 0, result.stderr
    page = (out / "1.1.0" / "index.html").read_text()
    assert "Changes since version 1.0.0, found by comparison" in page
    found = dict(re.findall(r"<h4>(.*?)</h4>\s*<ul class=\"change-summary\">(.*?)</ul>", page,
                            re.S))
    assert {title: re.findall(r"<li>(.*?)</li>", items) for title, items in found.items()} == {
        "Clinician edition": ["Introduction: number changed: 0 → 12",
                              "Practice: recommendation or key message changed"],
        "Policymaker edition": ["Introduction: number changed: 0 → 12"]}
    feed = (out / "feed.xml").read_text()
    entry = feed[feed.index("<id>tag:tiny-briefing,2026-12-04:1.1.0</id>"):]
    entry = entry[:entry.index("</entry>")]
    assert ("&lt;li&gt;Revised the practice point.&lt;/li&gt;&lt;/ul&gt;&lt;h3&gt;Clinician "
            "edition&lt;/h3&gt;&lt;ul&gt;&lt;li&gt;Introduction: number changed: 0 → 12&lt;/li&gt;"
            "&lt;li&gt;Practice: recommendation or key message changed&lt;/li&gt;&lt;/ul&gt;"
            "&lt;h3&gt;Policymaker edition&lt;/h3&gt;&lt;ul&gt;&lt;li&gt;Introduction: number "
            "changed: 0 → 12&lt;/li&gt;&lt;/ul&gt;") in entry
    assert "practice:" not in entry and "intro:" not in entry  # titles, never ids
