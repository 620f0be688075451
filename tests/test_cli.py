"""The command-line surface: help, version, documented commands, exit codes."""

from __future__ import annotations

import os
import re

from kratom_report import __version__
from kratom_report.cli import main

from conftest import REPO


def test_every_command_has_help_and_is_in_the_readme(cli):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert main.commands, "no commands registered"
    leaves = []
    for name, command in main.commands.items():
        assert command.help, f"{name} has no help text"
        sub = getattr(command, "commands", None)
        leaves += [f"{name} {s}" for s in sub] if sub else [name]
    for name in leaves:
        result = cli(*name.split(), "--help")
        assert result.exit_code == 0, result.output
        assert result.output.split("\n\n")[1].strip(), f"{name} has no help text"
        assert "--debug" in result.output, name
        assert "--source" in result.output or name == "init", name  # init takes a FOLDER
        assert re.search(r"^  Examples?", result.output, re.M), f"{name} --help has no example"
        assert re.search(rf"kratom-report {re.escape(name)}\b", readme), \
            f"README does not document 'kratom-report {name}'"


def test_version(cli):
    result = cli("--version")
    assert result.exit_code == 0
    assert result.output.strip() == f"kratom-report, version {__version__}"


def test_missing_source_is_a_usage_error(cli, tmp_path):
    result = cli("check", "--source", tmp_path)
    assert result.exit_code == 2
    assert result.stderr == (f"Error: {tmp_path}: no report/report.yaml here; pass --source to "
                             "the folder that holds report/, or start one there with "
                             f"'kratom-report init {tmp_path}'\n")


def test_unknown_edition_is_a_usage_error(cli, tiny, tmp_path):
    out = tmp_path / "out"
    result = cli("build", "--source", tiny, "--edition", "clinican", "--out", out)
    assert result.exit_code == 2
    assert result.stderr == ("Error: unknown edition 'clinican' (did you mean 'clinician'?) "
                             "(editions: clinician, policymaker)\n")
    assert not out.exists()


def test_editions_text_and_json(cli, tiny):
    result = cli("editions", "--source", tiny)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert [line.split("\t")[:3] for line in lines] == [
        ["clinician", "Clinician edition", "2 sections"],
        ["policymaker", "Policymaker edition", "2 sections"],
    ]
    assert all(re.fullmatch(r"~\d+ pp", line.split("\t")[3]) for line in lines)
    result = cli("editions", "--source", tiny, "--format", "json")
    import json

    data = json.loads(result.stdout)
    assert [(e["id"], e["sections"]) for e in data] == [
        ("clinician", ["intro", "practice"]), ("policymaker", ["intro", "practice"])]
    assert all(isinstance(e["pages_estimate"], int) for e in data)


def test_check_passes_on_the_real_report(cli):
    result = cli("check", "--source", REPO)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("ok: 2 editions (clinician, policymaker)")


def test_check_writes_nothing_and_never_imports_weasyprint(tiny):
    import subprocess
    import sys

    before = sorted(p for p in tiny.rglob("*"))
    code = ("import sys; from kratom_report.cli import main\n"
            "try:\n    main(['check', '--source', sys.argv[1]])\n"
            "except SystemExit as e:\n    assert e.code in (0, None), e.code\n"
            "assert 'weasyprint' not in sys.modules, 'check imported weasyprint'\n")
    subprocess.run([sys.executable, "-c", code, str(tiny)], check=True)
    assert sorted(p for p in tiny.rglob("*")) == before


def test_check_of_the_real_report_imports_no_rendering_library(tmp_path):
    """``check`` runs on every save: the PDF, QR-code and font libraries cost it start-up time
    and it needs none of them (pydantic and the YAML parser it does need) unless an edition asks
    for summaries, whose fit is judged on the layout ``build`` makes."""
    import shutil
    import subprocess
    import sys

    source = tmp_path / "briefing"
    shutil.copytree(REPO / "report", source / "report")
    report = source / "report" / "report.yaml"
    report.write_text("".join(line for line in report.read_text().splitlines(keepends=True)
                              if not line.strip().startswith("summaries:")))

    code = ("import sys; from kratom_report.cli import main\n"
            "try:\n    main(['check', '--source', sys.argv[1]])\n"
            "except SystemExit as e:\n    assert e.code in (0, None), e.code\n"
            "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}  # empty reference cache: worst case
    done = subprocess.run([sys.executable, "-c", code, str(source)], check=True, env=env,
                          capture_output=True, text=True)
    loaded = set(done.stdout.split())
    assert {"pydantic", "yaml"} <= loaded
    assert loaded.isdisjoint({"weasyprint", "pikepdf", "segno", "fontTools", "pydyf"}), loaded
