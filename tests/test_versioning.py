"""Tests for kratom_report.authoring.versioning: bumping the version, opening a draft entry."""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from kratom_report import atomic
from kratom_report.authoring import versioning
from kratom_report.authoring.versioning import VersionError, bump, is_release, next_version
from kratom_report.errors import ReportError

FIXTURE = Path(__file__).parent / "fixtures" / "versioning" / "released"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    dest = tmp_path / "project"
    shutil.copytree(FIXTURE, dest)
    return dest


def report_text(root: Path) -> str:
    return (root / "report" / "report.yaml").read_text(encoding="utf-8")


def changelog_text(root: Path, name: str = "changelog.yaml") -> str:
    return (root / "report" / name).read_text(encoding="utf-8")


def load(path: Path):
    return YAML(typ="rt").load(path.read_text(encoding="utf-8"))


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    removed, added = [], []
    for line in difflib.ndiff(before.splitlines(), after.splitlines()):
        if line.startswith("- "):
            removed.append(line[2:])
        elif line.startswith("+ "):
            added.append(line[2:])
    return removed, added


def release_top_entry(root: Path) -> None:
    """Turn the draft at the top of the changelog into a release, as an author would."""
    path = root / "report" / "changelog.yaml"
    text = path.read_text(encoding="utf-8")
    released = "    date: 2026-12-01\n    changes:\n      - Fix.\n"
    text = text.replace("    changes: []\n", released, 1)
    path.write_text(text, encoding="utf-8")


# --- rules ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("part", "expected"),
                         [("major", "2.0.0"), ("minor", "1.3.0"), ("patch", "1.2.4")])
def test_next_version(part, expected):
    assert next_version("1.2.3", part) == expected


def test_next_version_handles_multi_digit_parts():
    assert next_version("9.19.99", "patch") == "9.19.100"
    assert next_version("9.19.99", "minor") == "9.20.0"
    assert next_version("9.19.99", "major") == "10.0.0"


def test_is_release():
    assert is_release({"version": "1.0.0", "date": "2026-01-01", "changes": ["x"]})
    assert not is_release({"version": "1.0.0", "changes": ["x"]})
    assert not is_release({"version": "1.0.0", "date": None, "changes": ["x"]})
    assert not is_release({"version": "1.0.0", "date": "2026-01-01", "changes": []})
    assert not is_release({"version": "1.0.0", "date": "2026-01-01"})


def test_version_error_is_a_report_error():
    assert issubclass(VersionError, ReportError)


# --- bump -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("part", "expected"),
                         [("major", "2.0.0"), ("minor", "1.3.0"), ("patch", "1.2.4")])
def test_bump_each_part(root, part, expected):
    assert bump(root, part) == ("1.2.3", expected)
    assert load(root / "report" / "report.yaml")["version"] == expected
    assert load(root / "report" / "changelog.yaml")["entries"][0]["version"] == expected


def test_unmodified_fixture_round_trips_identically():
    for name in ("report.yaml", "changelog.yaml"):
        path = FIXTURE / "report" / name
        doc = versioning.YamlFile.read(path, f"report/{name}")
        assert doc.render() == path.read_bytes(), name


def test_bump_changes_only_the_version_line_in_report_yaml(root):
    before = report_text(root)
    bump(root, "minor")
    removed, added = changed_lines(before, report_text(root))
    assert removed == ['version: "1.2.3"  # bumped by \'kratom-report version bump\'']
    assert added == ['version: "1.3.0"  # bumped by \'kratom-report version bump\'']


def test_bump_only_inserts_the_draft_in_changelog(root):
    before = changelog_text(root)
    bump(root, "minor")
    after = changelog_text(root)
    removed, added = changed_lines(before, after)
    assert removed == []
    assert added == ['  - version: "1.3.0"', "    changes: []"]
    # The draft sits right under 'entries:', i.e. newest first.
    assert after.splitlines()[2:4] == added


def test_comments_survive(root):
    bump(root, "patch")
    report = report_text(root)
    changelog = changelog_text(root)
    assert report.startswith("# Fixture report for the versioning tests; the content is generic.\n")
    assert "# bumped by 'kratom-report version bump'" in report
    assert changelog.startswith("# Newest first. An entry with a date and at least one change")
    assert '- version: "1.0.0"  # first release' in changelog


def test_key_order_blank_lines_and_other_quoting_survive(root):
    bump(root, "patch")
    data = load(root / "report" / "report.yaml")
    assert list(data) == ["title", "slug", "version", "authors", "keywords", "sections",
                          "changelog"]
    report = report_text(root)
    assert "    affiliation: 'Example Unit'\n\nkeywords: [alpha, beta]\n" in report
    changelog = changelog_text(root)
    assert "      - 'A single-quoted change.'\n\n  - version: \"1.0.0\"" in changelog
    long_line = next(line for line in changelog.splitlines() if "re-wrapped" in line)
    assert long_line.endswith("however long it grows past eighty columns.")


def test_versions_stay_double_quoted(root):
    bump(root, "major")
    assert 'version: "2.0.0"' in report_text(root)
    assert '  - version: "2.0.0"\n' in changelog_text(root)


def test_new_entry_is_first_and_a_draft(root):
    bump(root, "minor")
    entries = load(root / "report" / "changelog.yaml")["entries"]
    assert [e["version"] for e in entries] == ["1.3.0", "1.2.3", "1.0.0"]
    first = entries[0]
    assert dict(first) == {"version": "1.3.0", "changes": []}
    assert not is_release(first)
    assert is_release(entries[1])


def test_refuses_to_bump_a_draft(root):
    bump(root, "minor")
    before = snapshot(root)
    with pytest.raises(VersionError) as info:
        bump(root, "patch")
    message = str(info.value)
    assert message.startswith("report/changelog.yaml: ")
    assert "1.3.0 is still a draft" in message
    assert "add a date and changes" in message
    assert snapshot(root) == before


def test_refuses_a_draft_without_date(root):
    path = root / "report" / "changelog.yaml"
    path.write_text(changelog_text(root).replace("    date: 2026-11-25\n", "", 1), "utf-8")
    before = snapshot(root)
    with pytest.raises(VersionError, match=r"version 1\.2\.3 is still a draft"):
        bump(root, "patch")
    assert snapshot(root) == before


def test_bump_again_after_release(root):
    bump(root, "minor")
    release_top_entry(root)
    assert bump(root, "patch") == ("1.3.0", "1.3.1")
    entries = load(root / "report" / "changelog.yaml")["entries"]
    assert [e["version"] for e in entries] == ["1.3.1", "1.3.0", "1.2.3", "1.0.0"]


def test_refuses_an_existing_version(root):
    path = root / "report" / "changelog.yaml"
    text = changelog_text(root).replace(
        "entries:\n",
        'entries:\n  - version: "1.2.4"\n    date: 2026-12-01\n    changes:\n      - Odd.\n', 1)
    path.write_text(text, encoding="utf-8")
    before = snapshot(root)
    with pytest.raises(VersionError) as info:
        bump(root, "patch")
    assert str(info.value).startswith("report/changelog.yaml: version 1.2.4 already has an entry")
    assert snapshot(root) == before


def test_refuses_when_report_has_no_version(root):
    path = root / "report" / "report.yaml"
    path.write_text(report_text(root).replace('version: "1.2.3"', "edition: x", 1), "utf-8")
    before = snapshot(root)
    with pytest.raises(VersionError, match=r"^report/report\.yaml: no 'version' key"):
        bump(root, "patch")
    assert snapshot(root) == before


@pytest.mark.parametrize("value", ["1.2", "v1.2.3", "1.2.3-rc1", "1"])
def test_refuses_a_malformed_version(root, value):
    path = root / "report" / "report.yaml"
    path.write_text(report_text(root).replace('"1.2.3"', f'"{value}"', 1), "utf-8")
    before = snapshot(root)
    with pytest.raises(VersionError, match=r"^report/report\.yaml: version"):
        bump(root, "patch")
    assert snapshot(root) == before


def test_refuses_an_unknown_part(root):
    with pytest.raises(VersionError, match="unknown version part"):
        bump(root, "micro")  # type: ignore[arg-type]


def test_missing_files_and_bad_yaml_raise_version_error(root):
    (root / "report" / "changelog.yaml").unlink()
    with pytest.raises(VersionError, match=r"^report/changelog\.yaml: file not found"):
        bump(root, "patch")
    (root / "report" / "changelog.yaml").write_text("entries: [\n", encoding="utf-8")
    with pytest.raises(VersionError, match=r"^report/changelog\.yaml: not valid YAML"):
        bump(root, "patch")
    (root / "report" / "changelog.yaml").write_text("entries: 3\n", encoding="utf-8")
    with pytest.raises(VersionError, match=r"'entries' must be a list"):
        bump(root, "patch")
    (root / "report" / "report.yaml").unlink()
    with pytest.raises(VersionError, match=r"^report/report\.yaml: file not found"):
        bump(root, "patch")


def test_uses_the_changelog_named_in_report_yaml(root):
    report_dir = root / "report"
    (report_dir / "changelog.yaml").rename(report_dir / "history.yaml")
    path = report_dir / "report.yaml"
    path.write_text(report_text(root).replace("changelog: changelog.yaml",
                                              "changelog: history.yaml"), "utf-8")
    assert bump(root, "patch") == ("1.2.3", "1.2.4")
    assert changelog_text(root, "history.yaml").splitlines()[2] == '  - version: "1.2.4"'
    (report_dir / "history.yaml").write_text(
        changelog_text(root, "history.yaml").replace("changes: []", "changes: [x]"), "utf-8")
    with pytest.raises(VersionError, match=r"^report/history\.yaml: version 1\.2\.4 is still"):
        bump(root, "patch")


def test_current_version_without_entry_is_bumped(root):
    """The loader asks for 'version bump' when the version has no entry; that must work."""
    path = root / "report" / "report.yaml"
    path.write_text(report_text(root).replace('"1.2.3"', '"1.5.0"', 1), "utf-8")
    assert bump(root, "minor") == ("1.5.0", "1.6.0")
    assert load(root / "report" / "changelog.yaml")["entries"][0]["version"] == "1.6.0"


def test_other_indentation_and_markers_are_kept(root):
    path = root / "report" / "changelog.yaml"
    path.write_text(
        "---\n"
        "entries:\n"
        "- version: '1.2.3'\n"
        "  date: 2026-11-25\n"
        "  changes:\n"
        "  - Done.\n",
        encoding="utf-8")
    bump(root, "patch")
    assert changelog_text(root) == (
        "---\n"
        "entries:\n"
        '- version: "1.2.4"\n'
        "  changes: []\n"
        "- version: '1.2.3'\n"
        "  date: 2026-11-25\n"
        "  changes:\n"
        "  - Done.\n")


def test_crlf_line_endings_are_kept(root):
    for name in ("report.yaml", "changelog.yaml"):
        path = root / "report" / name
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    bump(root, "patch")
    for name in ("report.yaml", "changelog.yaml"):
        data = (root / "report" / name).read_bytes()
        assert data.count(b"\n") == data.count(b"\r\n"), name


def test_empty_flow_entries_become_a_block_list(root):
    (root / "report" / "changelog.yaml").write_text("# log\nentries: []\n", encoding="utf-8")
    bump(root, "major")
    assert changelog_text(root) == '# log\nentries:\n  - version: "2.0.0"\n    changes: []\n'


def test_failed_rename_leaves_both_files_unchanged(root, monkeypatch):
    before = snapshot(root)
    real_replace = os.replace
    calls: list[str] = []

    def flaky_replace(src, dst):
        calls.append(str(dst))
        if len(calls) == 2:  # the second file of the pair
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", flaky_replace)
    with pytest.raises(VersionError, match="No space left on device; nothing was changed"):
        bump(root, "patch")
    monkeypatch.setattr(atomic.os, "replace", real_replace)
    assert snapshot(root) == before  # also: no temp files left behind


def test_no_temp_files_left_after_bump(root):
    bump(root, "patch")
    names = sorted(p.name for p in (root / "report").iterdir())
    assert names == ["changelog.yaml", "report.yaml"]
