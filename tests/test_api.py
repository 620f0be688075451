"""The library API, used only through its top-level names, as a script would."""

from __future__ import annotations

import hashlib
import logging
import subprocess
import sys
from pathlib import Path

import pytest

import kratom_report as kr

from conftest import REPO


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[kr.Output]]:
    """The tiny report built once, as a PDF and a web edition of one edition."""
    import shutil

    root = tmp_path_factory.mktemp("api") / "tiny"
    shutil.copytree(Path(__file__).parent / "fixtures" / "tiny", root)
    outputs = kr.open(root).build(editions=["clinician"], formats=("pdf", "web"),
                                  out=root / "out", progress=lambda _m: None)
    return root, outputs


def test_every_public_name_is_documented_and_listed():
    for name in kr.__all__:
        value = getattr(kr, name)
        if name != "__version__":
            assert value.__doc__ and value.__doc__.strip(), name
    assert {"open", "verify", "Report", "CheckResult", "Output", "Problem"} <= set(kr.__all__)
    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        kr.no_such_name  # noqa: B018 - the attribute access is the test


def test_check_of_the_shipped_report_is_ok():
    result = kr.open(REPO).check()
    assert result.ok, [str(p) for p in result.problems]
    assert result.editions == ("clinician", "policymaker")


def test_check_returns_located_problems_instead_of_raising(tiny: Path):
    section = tiny / "report" / "sections" / "intro.yaml"
    section.write_text(section.read_text().replace("type: markdown", "type: markdwn", 1))
    result = kr.open(tiny).check()
    assert not result.ok
    [problem] = result.problems
    assert (problem.path, problem.severity) == ("report/sections/intro.yaml", "error")
    assert problem.line is not None and problem.column is not None
    assert "markdwn" in problem.message


def test_open_refuses_a_folder_without_a_report(tmp_path: Path):
    with pytest.raises(kr.SourceNotFound, match="no report/report.yaml here"):
        kr.open(tmp_path)


def test_build_returns_what_it_wrote(built):
    root, outputs = built
    assert [(o.edition, o.format, o.path.name) for o in outputs] == [
        ("clinician", "pdf", "tiny-briefing-clinician-v1.0.0.pdf"),
        ("clinician", "web", "tiny-briefing-clinician-v1.0.0.html")]
    pdf, web = outputs
    assert pdf.pages and pdf.pages > 1 and web.pages is None
    for o in outputs:
        assert hashlib.sha256(o.path.read_bytes()).hexdigest() == o.sha256
        assert o.size == o.path.stat().st_size


def test_verify_proves_a_built_pdf(built):
    root, outputs = built
    result = kr.verify(outputs[0].path, source=root)
    assert result.matches and result.edition == "clinician" and result.version == "1.0.0"


def test_a_bad_edition_raises_a_library_error_and_writes_nothing(tiny: Path):
    with pytest.raises(kr.UnknownEdition, match="unknown edition 'clinican' "
                                                "\\(did you mean 'clinician'\\?\\)"):
        kr.open(tiny).build(editions=["clinican"], out=tiny / "out")
    assert not (tiny / "out").exists()


def test_progress_goes_to_the_logger_not_to_stdout(built, caplog: pytest.LogCaptureFixture,
                                                   capsys: pytest.CaptureFixture[str]):
    root, _ = built
    with caplog.at_level(logging.INFO, logger="kratom_report"):
        kr.open(root).build(editions=["clinician"], formats=("pdf",), out=root / "out")
    assert "clinician: unchanged since the last build" in caplog.text
    assert capsys.readouterr().out == ""


def test_the_one_liner_from_the_docs_works_in_the_repository():
    out = subprocess.run([sys.executable, "-c",
                          "import kratom_report as kr; print(kr.open('.').check().ok)"],
                         cwd=REPO, capture_output=True, text=True, check=True).stdout
    assert out == "True\n"
