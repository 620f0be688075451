"""Every kind of authoring mistake gets one located message, all of them in one run."""

from __future__ import annotations

import shutil

import pytest

from conftest import FIXTURES, tree_snapshot

EXPECTED = [
    "report/changelog.yaml:3:11: invalid date '2026-13-01': month must be in 1..12",
    "report/references.yaml:6:5: duplicate key 'URL' (first defined at line 5)",
    'report/report.yaml:4:10: version must be a quoted string: write version: "1.10" '
    "(unquoted, YAML reads it as the number 1.1)",
    "report/report.yaml:12:13: 'accent' has invalid value 'blue' "
    '(expected a hex colour like "#1f5f8b")',
    "report/report.yaml:16:5: section 'missing' has no file report/sections/missing.yaml",
    "report/sections/orphan.yaml: section file is not listed in report.yaml 'sections'; "
    "add 'orphan' to the order or delete the file",
    "report/sections/safety.yaml:2:1: unknown key 'tittle' (did you mean 'title'?)",
    "report/sections/safety.yaml:4:7: 'kind' has invalid value 'evidense', expected one of: "
    "front, evidence, guidance, policy, back (did you mean 'evidence'?)",
    "report/sections/safety.yaml:7:5: unknown key 'txt' (did you mean 'text'?)",
    "report/sections/safety.yaml:8:11: unknown block type 'callot', expected one of: markdown, "
    "callout, table, evidence_table, figure (did you mean 'callout'?)",
    "report/sections/safety.yaml:11:32: unknown citation key 'nosuch'",
    "report/sections/safety.yaml:12:17: unknown edition 'clinican' in audiences "
    "(did you mean 'clinician'?) (editions: clinician)",
    "report/sections/safety.yaml:17:10: 'alt' is blank; describe what the figure shows (screen "
    "readers read the alt text in place of the figure, and PDF/UA requires it)",
    "report/sections/safety.yaml:21:88: 'certainty' has invalid value 'medium', expected one "
    "of: high, moderate, low, very-low",
]


def test_check_lists_every_mistake_once_with_its_position(cli):
    result = cli("check", "--source", FIXTURES / "mistakes")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == EXPECTED


def test_build_with_mistakes_writes_nothing(cli, tmp_path):
    out = tmp_path / "dist"
    out.mkdir()
    (out / "keep.txt").write_text("untouched")
    before = tree_snapshot(out)
    result = cli("build", "--source", FIXTURES / "mistakes", "--out", out)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == EXPECTED
    assert tree_snapshot(out) == before


@pytest.fixture
def broken(tiny):
    """Write one bad file into a copy of the tiny report and return a checker."""

    def write(rel: str, content: bytes | str):
        path = tiny / rel
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        return tiny

    return write


SECTION = "report/sections/practice.yaml"


@pytest.mark.parametrize(("content", "message"), [
    ("id: practice\ntitle: [unclosed\n",
     f"{SECTION}:2:8: this '[' is never closed; end the list with ']'"),
    ("id: practice\nblocks:\n\t- type: markdown\n",
     f"{SECTION}:3:1: YAML syntax error: tab character; indent with spaces"),
    ("a: &x 1\nb: *x\n",
     f"{SECTION}:2:4: YAML alias '*x' is not allowed; write the value out in full"),
    ("id: !!python/object/apply:os.system ['true']\n",
     f"{SECTION}:1:5: YAML tag '!!python/object/apply:os.system' is not allowed in report "
     "files"),
    ("", f"{SECTION}: file is empty"),
    ("- just\n- a list\n",
     f"{SECTION}:1:1: the file must hold a mapping (key: value lines), not a list"),
    (b"id: practice\ntitle: caf\xe9\n",
     f"{SECTION}:2:11: not valid UTF-8 (byte 0xe9); save the file as UTF-8"),
    ("---\nid: a\n---\nid: b\n", f"{SECTION}: file holds several YAML documents; keep one "
                                 "per file"),
])
def test_yaml_mistakes(cli, broken, content, message):
    root = broken(SECTION, content)
    result = cli("check", "--source", root)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [message]


def test_billion_laughs_is_refused_fast_and_never_printed(cli, broken):
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i, name in enumerate("bcdefghi"):
        prev = "abcdefghi"[i]
        lines.append(f"{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},"
                     f"*{prev},*{prev},*{prev}]")
    root = broken(SECTION, "\n".join(lines) + "\n")
    result = cli("check", "--source", root)
    assert result.exit_code == 1
    assert result.stderr == (f"{SECTION}:2:8: YAML alias '*a' is not allowed; write the value "
                             "out in full\n")


def test_bom_is_accepted(cli, tiny):
    path = tiny / SECTION
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert cli("check", "--source", tiny).exit_code == 0


def test_file_size_limit_is_configurable(cli, tiny):
    path = tiny / SECTION
    path.write_text(path.read_text() + "# " + "x" * 1_200_000 + "\n")
    report = tiny / "report" / "report.yaml"
    report.write_text(report.read_text() + "max_file_mb: 1\n")
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    assert result.stderr == (f"{SECTION}: file is 1.2 MB, over the 1 MB limit (make it "
                             "smaller, or raise max_file_mb in report.yaml)\n")
    report.write_text(report.read_text().replace("max_file_mb: 1\n", "max_file_mb: 2\n"))
    assert cli("check", "--source", tiny).exit_code == 0


def test_duplicate_reference_keys_ignore_case(cli, tiny):
    refs = tiny / "report" / "references.yaml"
    text = refs.read_text()
    refs.write_text(text + text.split("references:\n", 1)[1].replace(
        "key: kruegel2016synthetic", "key: Kruegel2016Synthetic", 1).split("- key: dea")[0])
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    assert "duplicate reference key 'Kruegel2016Synthetic' (keys are case-insensitive; first " \
           "defined in report/references.yaml:2)" in result.stderr


def test_edition_selecting_nothing(cli, tiny):
    intro = tiny / "report" / "sections" / "intro.yaml"
    intro.write_text(intro.read_text().replace("kind: evidence\n",
                                               "kind: evidence\naudiences: [clinician]\n"))
    report = tiny / "report" / "report.yaml"
    report.write_text(report.read_text().replace("  - id: policymaker",
                                                 "  - id: nobody\n    title: Nobody\n"
                                                 "    audience: no one\n    accent: \"#000000\"\n"
                                                 "    key_messages: [Nothing.]\n"
                                                 "  - id: policymaker"))
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    assert result.stderr == ("report/report.yaml:23:9: edition 'nobody' selects no content: "
                             "no block's audiences include it\n")


def test_missing_figure_data_file(cli, tiny):
    (tiny / "report" / "data" / "timeline.yaml").unlink()
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    assert result.stderr == ("report/sections/intro.yaml:14:11: data file "
                             "'report/data/timeline.yaml' not found\n")
    shutil.rmtree(tiny / "report" / "data")
