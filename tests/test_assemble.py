"""``release --assemble``: editions built on several machines make the same release as one
machine, and a missing, stale, foreign or altered piece is refused by name."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import kratom_report as kr
from kratom_report.cli import main
from kratom_report.errors import ProblemsError

from conftest import FIXTURES, tree_snapshot, writable_copy

VARIANTS = {"ua": (), "a": ("--pdf-variant", "pdf/a-3a")}
NAMES = {("clinician", "ua"): "tiny-briefing-clinician-v1.0.0.pdf",
         ("clinician", "a"): "tiny-briefing-clinician-v1.0.0-pdfa.pdf",
         ("policymaker", "ua"): "tiny-briefing-policymaker-v1.0.0.pdf",
         ("policymaker", "a"): "tiny-briefing-policymaker-v1.0.0-pdfa.pdf"}


def run(*args: str | Path):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny report, each edition × variant built into a folder of its own (as runners
    would), and a one-process release of a separate copy."""
    base = tmp_path_factory.mktemp("assemble")
    shutil.copytree(FIXTURES / "tiny", base / "tree")
    for (edition, variant), _name in NAMES.items():
        result = run("build", "--source", base / "tree", "--edition", edition,
                     *VARIANTS[variant], "--out", base / f"built-{edition}-{variant}")
        assert result.exit_code == 0, result.stderr
    shutil.copytree(base / "tree", base / "one")
    result = run("release", "--source", base / "one", "--out", base / "out-one")
    assert result.exit_code == 0, result.stderr
    (base / "one-stdout.txt").write_text(result.stdout)
    return base


def pieces(work: Path) -> list[Path]:
    return [work / f"built-{e}-{v}" for e, v in NAMES]


def assemble_args(folders: list[Path]) -> list[str | Path]:
    return [arg for folder in folders for arg in ("--assemble", folder)]


def fresh_tree(work: Path, tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    shutil.copytree(work / "tree", tree)
    return tree


def refused(tree: Path, out: Path, folders: list[Path], stderr: str) -> None:
    """Exit 1 with exactly ``stderr``, and nothing written anywhere."""
    result = run("release", "--source", tree, "--out", out, *assemble_args(folders))
    assert (result.exit_code, result.stderr) == (1, stderr)
    assert result.stdout == ""
    assert not out.exists()
    assert not (tree / "releases").exists()


def test_assembled_release_is_the_one_process_release_byte_for_byte(work, tmp_path):
    tree = fresh_tree(work, tmp_path)
    out = tmp_path / "out"
    result = run("release", "--source", tree, "--out", out, *assemble_args(pieces(work)))
    assert result.exit_code == 0, result.stderr
    # Nothing was rendered here: the PDFs are the runners'.
    assert result.stderr == ("releasing version 1.0.0 (2026-11-25)\n"
                             "assembling 4 PDFs built in "
                             + ", ".join(str(p) for p in pieces(work)) + "\n")
    one = tree_snapshot(work / "out-one")
    assert sorted(one) == sorted(tree_snapshot(out))
    assert {"index.html", "1.0.0/manifest.json", "1.0.0/SHA256SUMS",
            "1.0.0/content.json"} <= set(one)
    assert tree_snapshot(out) == one
    assert tree_snapshot(tree / "releases") == tree_snapshot(work / "one" / "releases")
    assert result.stdout.replace(str(out), "OUT") == (
        (work / "one-stdout.txt").read_text().replace(str(work / "out-one"), "OUT"))
    for (edition, variant), name in NAMES.items():
        built = (work / f"built-{edition}-{variant}" / name).read_bytes()
        assert (out / "1.0.0" / name).read_bytes() == built


def test_one_folder_may_hold_every_piece_and_the_api_assembles_it(work, tmp_path):
    together = tmp_path / "together"
    for folder in pieces(work):
        shutil.copytree(folder, together, dirs_exist_ok=True)
    tree = fresh_tree(work, tmp_path)
    said: list[str] = []
    result = kr.open(tree).release(tmp_path / "out", assemble=[together],
                                   progress=said.append)
    assert result.created
    assert said == ["releasing version 1.0.0 (2026-11-25)",
                    f"assembling 4 PDFs built in {together}"]
    assert tree_snapshot(tmp_path / "out") == tree_snapshot(work / "out-one")


def test_a_piece_built_from_other_sources_is_refused_by_name(work, tmp_path):
    other = fresh_tree(work, tmp_path / "other")
    practice = other / "report" / "sections" / "practice.yaml"
    practice.write_text(practice.read_text().replace("Clinician-only advice",
                                                     "Clinician-only guidance"))
    foreign = tmp_path / "foreign"
    assert run("build", "--source", other, "--edition", "clinician",
               "--out", foreign).exit_code == 0
    name = NAMES[("clinician", "ua")]
    theirs = json.loads((foreign / ".build" / f"{name}.json").read_text())["build_fingerprint"]
    ours = json.loads((work / "built-clinician-ua" / ".build" / f"{name}.json")
                      .read_text())["build_fingerprint"]
    assert theirs != ours
    folders = [foreign] + pieces(work)[1:]
    refused(fresh_tree(work, tmp_path), tmp_path / "out", folders,
            f"{foreign / name}: was built from other sources than this tree (build "
            f"fingerprint {theirs[:16]}, this tree gives {ours[:16]}); rebuild it from this "
            "tree with 'kratom-report build --edition clinician --out DIR'\n")


def test_a_tagged_pdf_given_as_the_archival_copy_is_refused(work, tmp_path):
    """The same edition in the other variant is a foreign piece too: its fingerprint says so."""
    swapped = writable_copy(work / "built-policymaker-a", tmp_path / "swapped")
    tagged, archival = NAMES[("policymaker", "ua")], NAMES[("policymaker", "a")]
    shutil.copyfile(work / "built-policymaker-ua" / tagged, swapped / archival)
    shutil.copyfile(work / "built-policymaker-ua" / ".build" / f"{tagged}.json",
                    swapped / ".build" / f"{archival}.json")
    theirs, ours = (json.loads((work / f"built-policymaker-{v}" / ".build" / f"{n}.json")
                               .read_text())["build_fingerprint"]
                    for v, n in (("ua", tagged), ("a", archival)))
    refused(fresh_tree(work, tmp_path), tmp_path / "out", pieces(work)[:3] + [swapped],
            f"{swapped / archival}: was built from other sources than this tree (build "
            f"fingerprint {theirs[:16]}, this tree gives {ours[:16]}); rebuild it from this "
            "tree with 'kratom-report build --edition policymaker --pdf-variant pdf/a-3a "
            "--out DIR'\n")


def test_missing_pieces_are_each_named_with_the_command_that_builds_them(work, tmp_path):
    folders = pieces(work)[:2]  # the clinician edition's only
    where = ", ".join(str(f) for f in folders)
    refused(fresh_tree(work, tmp_path), tmp_path / "out", folders,
            f"{NAMES[('policymaker', 'a')]}: no such piece in {where}; build it with "
            "'kratom-report build --edition policymaker --pdf-variant pdf/a-3a --out DIR' "
            "and give DIR to --assemble\n"
            f"{NAMES[('policymaker', 'ua')]}: no such piece in {where}; build it with "
            "'kratom-report build --edition policymaker --out DIR' and give DIR to "
            "--assemble\n")


def test_a_piece_without_its_build_record_is_refused(work, tmp_path):
    bare = writable_copy(work / "built-clinician-a", tmp_path / "bare")
    name = NAMES[("clinician", "a")]
    shutil.rmtree(bare / ".build")
    refused(fresh_tree(work, tmp_path), tmp_path / "out",
            [pieces(work)[0], bare] + pieces(work)[2:],
            f"{bare / name}: has no readable build record {bare / '.build' / (name + '.json')}"
            "; rebuild it from this tree with 'kratom-report build --edition clinician "
            "--pdf-variant pdf/a-3a --out DIR'\n")


@pytest.mark.parametrize("piece", [("clinician", "ua"), ("policymaker", "a")])
def test_a_piece_changed_after_it_was_built_is_refused(work, tmp_path, piece):
    edition, variant = piece
    changed = writable_copy(work / f"built-{edition}-{variant}", tmp_path / "changed")
    name = NAMES[piece]
    recorded = json.loads((changed / ".build" / f"{name}.json").read_text())["sha256"]
    with open(changed / name, "ab") as pdf:
        pdf.write(b"%")
    now = hashlib.sha256((changed / name).read_bytes()).hexdigest()
    folders = [changed if f.name == f"built-{edition}-{variant}" else f for f in pieces(work)]
    flag = " --pdf-variant pdf/a-3a" if variant == "a" else ""
    refused(fresh_tree(work, tmp_path), tmp_path / "out", folders,
            f"{changed / name}: was changed after it was built (sha256 {now[:16]}, its build "
            f"record says {recorded[:16]}); rebuild it from this tree with 'kratom-report "
            f"build --edition {edition}{flag} --out DIR'\n")


def test_an_assemble_folder_that_is_not_a_folder(work, tmp_path):
    stray = tmp_path / "stray.pdf"
    stray.write_bytes(b"%PDF")
    tree = fresh_tree(work, tmp_path)
    with pytest.raises(ProblemsError) as caught:
        kr.open(tree).release(tmp_path / "out", assemble=[stray, *pieces(work)])
    assert str(caught.value) == (f"{stray}: is not a folder; give --assemble the folders "
                                 "that 'kratom-report build --out DIR' wrote")
    assert not (tmp_path / "out").exists()
    result = run("release", "--source", tree, "--out", tmp_path / "out", "--assemble", stray)
    assert result.exit_code == 2
    assert f"Directory '{stray}' is a file." in result.stderr


def test_a_piece_that_is_a_link_or_a_folder_is_refused(work, tmp_path):
    name = NAMES[("clinician", "ua")]
    linked = writable_copy(work / "built-clinician-ua", tmp_path / "linked")
    (linked / name).unlink()
    (linked / name).symlink_to(work / "built-clinician-ua" / name)
    folder = writable_copy(work / "built-clinician-ua", tmp_path / "folder")
    (folder / name).unlink()
    (folder / name).mkdir()
    rebuild = ("rebuild it from this tree with 'kratom-report build --edition clinician "
               "--out DIR'")
    for bad, reason in ((linked, "is a symbolic link or has one as its build record"),
                        (folder, "is not a file")):
        refused(fresh_tree(work, tmp_path / bad.name), tmp_path / "out",
                [bad] + pieces(work)[1:], f"{bad / name}: {reason}; {rebuild}\n")
