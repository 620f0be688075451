"""A new author's first commands: init, check, build; options before the command; no report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from kratom_report.cli import main
from kratom_report.source.jsonschemas import editor_mapping, json_schemas

from conftest import pdftext, tree_snapshot

CONSOLE = Path(sys.executable).parent / "kratom-report"
SCHEMAS = ["report/.schemas/facts.schema.json", "report/.schemas/references.schema.json",
           "report/.schemas/report.schema.json", "report/.schemas/section.schema.json"]
STARTER_FILES = [
    ".gitignore", ".vscode/settings.json", *SCHEMAS, "report/changelog.yaml",
    "report/data/series.yaml", "report/data/states.yaml", "report/data/timeline.yaml",
    "report/facts.yaml", "report/more-references.bib", "report/references.yaml",
    "report/report.yaml", "report/sections/about.yaml", "report/sections/evidence.yaml",
    "report/sections/glossary.yaml", "report/sections/guidance.yaml",
    "report/sections/options.yaml",
]


def test_init_check_build_from_an_empty_folder_through_the_console_script(tmp_path):
    folder = tmp_path / "first"
    folder.mkdir()
    script = f"{CONSOLE} init && {CONSOLE} check --strict && {CONSOLE} build"
    proc = subprocess.run(["sh", "-c", script], cwd=folder, capture_output=True, text=True,
                          env={**os.environ, "NO_COLOR": "1"})
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file() and "dist" not in p.parts) == STARTER_FILES
    pdfs = sorted(p.name for p in (folder / "dist").glob("*.pdf"))
    assert pdfs == ["untitled-evidence-briefing-clinician-v0.1.0-draft.pdf",
                    "untitled-evidence-briefing-policymaker-v0.1.0-draft.pdf"]
    text = pdftext(folder / "dist" / pdfs[0])
    for needle in ("Untitled evidence briefing", "Key messages", "Not medical advice",
                   "Conflicts of interest", "Practice point", "References"):
        assert needle in text, needle
    assert "Example of an options table" in pdftext(folder / "dist" / pdfs[1])
    assert (folder / ".gitignore").read_text() == "dist/\n"
    assert "started a briefing in" in proc.stderr


def test_the_starter_has_every_kind_of_section_block_and_figure(cli, tmp_path):
    assert cli("init", tmp_path).exit_code == 0
    report = tmp_path / "report"
    sections = [yaml.safe_load((report / "sections" / f"{s}.yaml").read_text())
                for s in yaml.safe_load((report / "report.yaml").read_text())["sections"]]
    assert {s["kind"] for s in sections} == {"front", "evidence", "guidance", "policy", "back"}
    blocks = [b for s in sections for b in s["blocks"]]
    assert {b["type"] for b in blocks} == {"markdown", "callout", "table", "evidence_table",
                                           "figure"}
    assert {b["kind"] for b in blocks if b["type"] == "figure"} == {"timeline", "series",
                                                                    "state-map"}
    # Every key is explained where it stands.
    assert (report / "report.yaml").read_text().count("#") >= 15


def test_the_editor_settings_map_the_written_schemas_onto_every_starter_file(cli, tmp_path):
    assert cli("init", tmp_path).exit_code == 0
    mapping = json.loads((tmp_path / ".vscode" / "settings.json").read_text())["yaml.schemas"]
    assert sorted(mapping) == sorted(f"./{name}" for name in SCHEMAS)
    covered: set[Path] = set()
    for schema_path, glob in mapping.items():
        schema_file = tmp_path / schema_path
        assert schema_file.read_bytes() == json_schemas()[schema_file.name]  # generated, as
        validator = jsonschema.Draft7Validator(json.loads(schema_file.read_bytes()))  # `schema`
        assert glob.startswith("/report/")
        matched = sorted(tmp_path.glob(glob.lstrip("/")))
        assert matched, glob
        for path in matched:  # as the YAML language server reads it: dates are text
            data = json.loads(json.dumps(yaml.safe_load(path.read_text()), default=str))
            assert [e.message for e in validator.iter_errors(data)] == [], path
        covered |= set(matched)
    report = tmp_path / "report"
    assert {p.relative_to(report).as_posix() for p in covered} == {
        "report.yaml", "references.yaml", "facts.yaml",
        *(f"sections/{s}.yaml" for s in ("about", "evidence", "glossary", "guidance", "options"))}


def test_the_reference_schema_is_mapped_onto_every_yaml_reference_file_report_yaml_lists():
    refs = "./report/.schemas/references.schema.json"
    mapping = editor_mapping(["references.yaml", "extra/more.yml", "zotero.json", "old.bib",
                              "../shared/refs.YAML", "references.yaml", "../../outside.yaml",
                              "/abs/refs.yaml", "odd[1].yaml"])
    assert mapping[refs] == ["/report/references.yaml", "/report/extra/more.yml",
                             "/shared/refs.YAML"]
    assert mapping["./report/.schemas/section.schema.json"] == "/report/sections/*.yaml"
    assert mapping["./report/.schemas/facts.schema.json"] == "/report/facts.yaml"
    assert editor_mapping(["references.yaml"])[refs] == "/report/references.yaml"  # as before
    assert refs not in editor_mapping(["zotero.json", "old.bib"])  # no YAML file to map


def test_init_maps_every_reference_file_its_report_yaml_lists(tmp_path):
    """Each listed file in our YAML is mapped and valid under the schema; other settings stay."""
    from kratom_report.authoring.starter import init_report

    init_report(tmp_path / "first")
    report = yaml.safe_load((tmp_path / "first" / "report" / "report.yaml").read_text())
    report["references"] = ["references.yaml", "more-references.bib", "extra/trials.yml",
                            "../shared.yaml"]
    dest = tmp_path / "second"
    settings = dest / ".vscode" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text('{"editor.rulers": [100]}')
    entry = {"key": "doe2020", "type": "report", "title": "A report", "issued": 2020,
             "URL": "https://example.org/r"}
    listed = {Path("report/report.yaml"): yaml.safe_dump(report).encode(),
              Path("report/extra/trials.yml"): yaml.safe_dump({"references": [entry]}).encode(),
              Path("shared.yaml"): yaml.safe_dump({"references": [
                  {**entry, "key": "roe2021"}]}).encode()}
    init_report(dest, extra=listed)
    written = json.loads(settings.read_text())
    assert written["editor.rulers"] == [100]
    globs = written["yaml.schemas"]["./report/.schemas/references.schema.json"]
    assert globs == ["/report/references.yaml", "/report/extra/trials.yml", "/shared.yaml"]
    schema = json.loads((dest / "report" / ".schemas" / "references.schema.json").read_bytes())
    for glob in globs:
        data = json.loads(json.dumps(yaml.safe_load((dest / glob.lstrip("/")).read_text()),
                                     default=str))
        assert list(jsonschema.Draft7Validator(schema).iter_errors(data)) == [], glob


def test_init_keeps_the_other_editor_settings_and_leaves_commented_ones_alone(cli, tmp_path):
    settings = tmp_path / "a" / ".vscode" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text('{"editor.rulers": [100], "yaml.schemas": {"x.json": "*.x.yaml"}}')
    assert cli("init", tmp_path / "a").exit_code == 0
    kept = json.loads(settings.read_text())
    assert kept["editor.rulers"] == [100]
    assert kept["yaml.schemas"]["x.json"] == "*.x.yaml"
    assert kept["yaml.schemas"]["./report/.schemas/report.schema.json"] == "/report/report.yaml"
    commented = tmp_path / "b" / ".vscode" / "settings.json"
    commented.parent.mkdir(parents=True)
    commented.write_text('{\n  // mine\n  "editor.rulers": [100]\n}\n')
    result = cli("init", tmp_path / "b")
    assert result.exit_code == 0, result.stderr
    assert commented.read_text() == '{\n  // mine\n  "editor.rulers": [100]\n}\n'
    assert result.stderr.splitlines()[0] == (
        f"{commented}: not plain JSON, so it was left as it is; map the schemas in "
        f"{tmp_path / 'b' / 'report' / '.schemas'} to your YAML files under \"yaml.schemas\" "
        "yourself")
    assert (tmp_path / "b" / "report" / ".schemas" / "report.schema.json").is_file()


@pytest.mark.parametrize("link", [".vscode", ".vscode/settings.json"])
def test_init_refuses_a_linked_editor_settings_file_and_writes_nothing(cli, tmp_path, link):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "settings.json").write_text("{}")
    dest = tmp_path / "new"
    (dest / ".vscode").mkdir(parents=True)
    if link == ".vscode":
        (dest / ".vscode").rmdir()
    (dest / link).symlink_to(outside if link == ".vscode" else outside / "settings.json")
    before = tree_snapshot(tmp_path)
    result = cli("init", dest)
    assert result.exit_code == 1
    reason = "init writes only real files" if link.endswith(".json") else \
        "init writes only into real folders, so nothing was written"
    assert result.stderr == f"{dest / link}: is a symbolic link; {reason}\n"
    assert tree_snapshot(tmp_path) == before
    assert (outside / "settings.json").read_text() == "{}"

def test_init_help_tells_of_the_editor_setup(cli):
    text = " ".join(cli("init", "--help").stdout.split())
    assert ("JSON Schemas to report/.schemas and maps them in .vscode/settings.json" in text)
    assert "redhat.vscode-yaml" in text


def test_a_settings_file_init_cannot_write_leaves_nothing_behind(cli, tmp_path):
    (tmp_path / ".vscode").mkdir()
    (tmp_path / ".vscode" / "settings.json").mkdir()  # a folder where the file goes
    before = tree_snapshot(tmp_path)
    result = cli("init", tmp_path)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{tmp_path / '.vscode' / 'settings.json'}: is a folder;")
    assert result.stderr.endswith("; nothing was written\n")
    assert tree_snapshot(tmp_path) == before


def test_title_and_editions_are_filled_in_safely(cli, tmp_path):
    title = 'Drug checking: a "living" review # 2'
    result = cli("init", tmp_path, "--title", title, "--editions", "gp,nurse,regulator")
    assert result.exit_code == 0, result.stderr
    report = yaml.safe_load((tmp_path / "report" / "report.yaml").read_text())
    assert report["title"] == title
    assert report["slug"] == "drug-checking-a-living-review-2"
    assert [e["id"] for e in report["editions"]] == ["gp", "nurse", "regulator"]
    check = cli("check", "--strict", "--source", tmp_path)
    assert check.exit_code == 0, check.stderr
    assert check.stdout.startswith("ok: 3 editions (gp, nurse, regulator), 5 sections")


def test_init_refuses_a_folder_that_holds_a_report_and_writes_nothing(cli, tmp_path):
    assert cli("init", tmp_path).exit_code == 0
    (tmp_path / "report" / "sections" / "about.yaml").write_text("id: about\n# mine\n")
    before = tree_snapshot(tmp_path)
    result = cli("init", tmp_path, "--title", "Another")
    assert result.exit_code == 1
    assert result.stderr == (f"{tmp_path / 'report' / 'report.yaml'}: a report is already here; "
                             "nothing was written (run 'kratom-report check' to validate it)\n")
    assert tree_snapshot(tmp_path) == before


def test_init_refuses_a_non_empty_report_folder(cli, tmp_path):
    (tmp_path / "report").mkdir()
    (tmp_path / "report" / "notes.txt").write_text("mine")
    before = tree_snapshot(tmp_path)
    result = cli("init", tmp_path)
    assert result.exit_code == 1
    assert result.stderr == (f"{tmp_path / 'report'}: exists and is not empty; init writes into "
                             "an empty folder only, so nothing was written\n")
    assert tree_snapshot(tmp_path) == before


def test_init_keeps_an_existing_gitignore_and_adds_dist(cli, tmp_path):
    (tmp_path / ".gitignore").write_text("*.log\n")
    assert cli("init", tmp_path).exit_code == 0
    assert (tmp_path / ".gitignore").read_text() == "*.log\ndist/\n"


@pytest.mark.parametrize(("value", "message"), [
    ("Bad Id", "'Bad Id' is not a valid edition id: use lowercase letters, digits and hyphens, "
               "starting with a letter or digit, at most 64 characters (like 'clinician'; it "
               "names the file report/sections/<id>.yaml)"),
    ("a,a", "an edition is named twice in 'a,a'"),
    (" , ", "name at least one edition, like clinician,policymaker"),
])
def test_bad_edition_ids_are_a_usage_error(cli, tmp_path, value, message):
    result = cli("init", tmp_path / "new", "--editions", value)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == f"Error: Invalid value for '--editions': {message}"
    assert not (tmp_path / "new").exists()


def test_source_and_debug_work_before_the_command(cli, tiny):
    before = cli("--source", tiny, "--debug", "editions")
    after = cli("editions", "--source", tiny)
    assert before.exit_code == 0, before.stderr
    assert before.stdout == after.stdout
    assert before.stdout.startswith("clinician\tClinician edition\t")


def test_the_command_option_wins_over_the_one_before(cli, tiny, tmp_path):
    result = cli("--source", tmp_path, "editions", "--source", tiny)
    assert result.exit_code == 0, result.stderr


def test_no_report_says_how_to_start_one(tmp_path, monkeypatch):
    from click.testing import CliRunner

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check"], catch_exceptions=False)
    assert result.exit_code == 2
    assert result.stderr == ("Error: no report/report.yaml found in this folder or any parent; "
                             "run inside a report folder, pass --source DIR, or start a new "
                             "report here with 'kratom-report init'\n")
