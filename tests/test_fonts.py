"""The PDF's fonts are the shipped ones and the theme's, whatever fonts the machine has; and a
machine without HarfBuzz subsetting builds, with one warning, and `verify` says why bytes differ."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from fontTools.ttLib import TTFont

from kratom_report.cli import main
from kratom_report.errors import Problem, ProblemsError
from kratom_report.publish.fonts import config_text
from kratom_report.publish.workers import FONTTOOLS_WARNING, Workers

from conftest import FIXTURES, REPO

SHIPPED = REPO / "src" / "kratom_report" / "templates" / "fonts"
TINY_PDF = "tiny-briefing-clinician-v1.0.0.pdf"
THEMED_PDF = "themed-briefing-clinician-v1.0.0.pdf"
TINY_FONTS = {"Inter", "Inter-Italic", "Inter-Semi-Bold", "Inter-Bold", "Noto-Sans-Mono",
              "Noto-Sans-Mono-Bold"}
# The theme's four faces and its fallback font, Noto Sans Mono for code, Inter for `fantasy`.
THEMED_FONTS = {"Atkinson-Hyperlegible", "Atkinson-Hyperlegible-Bold",
                "Atkinson-Hyperlegible-Italic", "DejaVu-Sans", "Noto-Sans-Mono", "Inter"}


def _rename(src: Path, dest: Path, family: str, style: str, weight: int) -> None:
    """A copy of ``src`` that calls itself ``family`` ``style`` at ``weight``: a decoy."""
    font = TTFont(src)
    names = font["name"]
    for rec in list(names.names):
        value = {1: family, 16: family, 2: style, 17: style, 4: f"{family} {style}",
                 6: f"{family}-{style}".replace(" ", "")}.get(rec.nameID)
        if value is not None:
            names.setName(value, rec.nameID, rec.platformID, rec.platEncID, rec.langID)
    font["OS/2"].usWeightClass = weight
    font.save(dest)


@pytest.fixture(scope="module")
def decoys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An XDG_DATA_HOME whose fonts/ holds fonts named like the ones a build asks for: Inter,
    the theme's Atkinson Hyperlegible and Noto Sans Mono at weights nobody declares, and
    DejaVu Sans Mono (what `monospace` finds on a Debian machine)."""
    home = tmp_path_factory.mktemp("decoy-home")
    fonts = home / "fonts"
    fonts.mkdir()
    mono, bold = SHIPPED / "NotoSansMono-Regular.ttf", SHIPPED / "Inter-Bold.otf"
    _rename(mono, fonts / "inter-regular.ttf", "Inter", "Regular", 400)
    _rename(mono, fonts / "inter-medium.ttf", "Inter", "Medium", 500)
    _rename(bold, fonts / "atkinson-medium.otf", "Atkinson Hyperlegible", "Medium", 500)
    _rename(bold, fonts / "atkinson-semibold.otf", "Atkinson Hyperlegible", "SemiBold", 600)
    _rename(bold, fonts / "mono-semibold.otf", "Noto Sans Mono", "SemiBold", 600)
    system = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")
    if system.is_file():
        shutil.copy(system, fonts / system.name)
    else:
        _rename(bold, fonts / "dejavu-mono.otf", "DejaVu Sans Mono", "Book", 400)
    return home


def _with_code(root: Path, section: str, old: str, new: str) -> Path:
    path = root / "report" / "sections" / section
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The tiny fixture and the themed one, each with inline code (bold too, in tiny); the
    themed one also asks for the `fantasy` generic family."""
    tmp = tmp_path_factory.mktemp("font-sources")
    tiny = shutil.copytree(FIXTURES / "tiny", tmp / "tiny")
    _with_code(tiny, "intro.yaml", "Shared paragraph citing",
               "Shared paragraph with `inline code` and **bold `code`** citing")
    themed = shutil.copytree(FIXTURES / "themed", tmp / "themed")
    _with_code(themed, "research-gaps.yaml", "The evidence that kratom",
               "The `evidence` that kratom")
    css = themed / "report" / "theme" / "extra.css"
    css.write_text(css.read_text(encoding="utf-8")
                   + ".cover-kicker { font-family: fantasy; }\n", encoding="utf-8")
    return {"tiny": tiny, "themed": themed}


def _build(root: Path, out: Path, home: Path, monkeypatch: pytest.MonkeyPatch,
           *options: str) -> Result:
    """A build whose workers (forked from here) see ``home`` as XDG_DATA_HOME."""
    with monkeypatch.context() as m:
        m.setenv("XDG_DATA_HOME", str(home))
        return CliRunner().invoke(main, ["build", "--source", str(root), "--out", str(out),
                                         *options], catch_exceptions=False)


@pytest.fixture(scope="module")
def builds(sources: dict[str, Path], decoys: Path,
           tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, bool], Path]:
    """Each fixture built with the decoys on the font path and without: (name, decoys) → PDF."""
    empty = tmp_path_factory.mktemp("empty-home")
    made = {}
    with pytest.MonkeyPatch.context() as monkeypatch:
        for name, pdf in (("tiny", TINY_PDF), ("themed", THEMED_PDF)):
            for with_decoys in (False, True):
                out = tmp_path_factory.mktemp(f"{name}-{with_decoys}")
                result = _build(sources[name], out, decoys if with_decoys else empty,
                                monkeypatch, "--edition", "clinician")
                assert result.exit_code == 0, result.stderr
                made[(name, with_decoys)] = out / pdf
    return made


def _fonts(pdf: Path) -> set[str]:
    out = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True,
                         text=True).stdout
    return {line.split()[0].split("+", 1)[-1] for line in out.splitlines()[2:] if line.strip()}


@pytest.mark.parametrize("name", ["tiny", "themed"])
def test_decoy_fonts_on_the_font_path_change_no_byte(builds, name):
    assert builds[(name, True)].read_bytes() == builds[(name, False)].read_bytes()


def test_the_shipped_report_with_decoys_is_the_shipped_build(shipped, decoys, tmp_path):
    """The briefing itself, built with the decoys on the font path, is byte for byte the
    session's build without them, and embeds Inter alone."""
    [built] = shipped.build().glob("*-clinician-v*.pdf")
    name = built.name
    with pytest.MonkeyPatch.context() as monkeypatch:
        result = _build(shipped.root, tmp_path, decoys, monkeypatch, "--edition", "clinician")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / name).read_bytes() == built.read_bytes()
    assert _fonts(tmp_path / name) == {"Inter", "Inter-Bold", "Inter-Italic", "Inter-Semi-Bold"}


@pytest.mark.parametrize(("name", "expected"), [("tiny", TINY_FONTS), ("themed", THEMED_FONTS)])
def test_pdffonts_lists_only_shipped_and_theme_fonts(builds, name, expected):
    for with_decoys in (False, True):
        assert _fonts(builds[(name, with_decoys)]) == expected


def test_the_private_configuration_lists_the_shipped_folder_alone_and_includes_nothing(
        tmp_path):
    text = config_text(tmp_path / "cache")
    assert re.findall(r"<dir>(.*?)</dir>", text) == [str(SHIPPED)]
    assert "<include" not in text and f"<cachedir>{tmp_path / 'cache'}</cachedir>" in text
    assert "<family>monospace</family><prefer><family>Noto Sans Mono</family></prefer>" in text
    assert "<family>serif</family><prefer><family>Inter</family></prefer>" in text
    # Inter's shipped faces are left out of the scan: the declared Inter is the only one.
    assert f"<rejectfont>\n    <glob>{SHIPPED}/Inter-*</glob>\n  </rejectfont>" in text


def test_a_document_that_declares_no_font_gets_the_shipped_ones(tiny):
    """Without the shipped folder fontconfig would know no font at all: WeasyPrint crashes.
    With it, such a document is set in the one face the folder's scan keeps."""
    from kratom_report.publish.pdf import write_pdf

    html = ('<html lang="en"><head><title>t</title></head><body><p>Plain text</p>'
            '<p><code>code</code> <span style="font-family: serif">serif</span></p>'
            '</body></html>')
    result = write_pdf(html, tiny, "clinician edition", variant="none")
    pdf = tiny / "out.pdf"
    pdf.write_bytes(result.data)
    assert _fonts(pdf) == {"Noto-Sans-Mono"}


def test_a_build_forked_after_a_render_in_this_process_gives_the_same_bytes(
        builds, sources, tmp_path):
    """Workers fork from the caller: a caller that rendered a PDF with WeasyPrint itself before,
    with the machine's fonts (a library user, this test process), must not change which faces
    a fallback finds."""
    import weasyprint

    weasyprint.HTML(string="<p>x</p>").write_pdf()
    result = CliRunner().invoke(main, ["build", "--source", str(sources["themed"]), "--out",
                                       str(tmp_path), "--edition", "clinician"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / THEMED_PDF).read_bytes() == builds[("themed", False)].read_bytes()


def test_the_monospace_font_ships_with_its_licence():
    licence = (SHIPPED / "OFL-NotoSansMono.txt").read_text(encoding="utf-8")
    assert "SIL Open Font License" in licence and "License: OFL-1.1" in licence
    for face in ("Regular", "Bold"):
        path = SHIPPED / f"NotoSansMono-{face}.ttf"
        assert path.stat().st_size < 1_000_000
        assert TTFont(path)["name"].getDebugName(1) == "Noto Sans Mono"


# ---------- HarfBuzz subsetting missing: one warning, the build succeeds ----------

@pytest.fixture
def no_harfbuzz_subset(monkeypatch: pytest.MonkeyPatch) -> None:
    """WeasyPrint as on a machine without libharfbuzz-subset: it checks this module attribute
    before each subset (workers forked afterwards inherit the change)."""
    import weasyprint.pdf.fonts

    monkeypatch.setattr(weasyprint.pdf.fonts, "harfbuzz_subset", None)


@pytest.fixture(scope="module")
def tiny_harfbuzz(sources: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Both tiny editions built where HarfBuzz subsetting is installed."""
    out = tmp_path_factory.mktemp("tiny-harfbuzz")
    result = CliRunner().invoke(main, ["build", "--source", str(sources["tiny"]), "--out",
                                       str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return out


def _record(out: Path, pdf: str) -> dict:
    return json.loads((out / ".build" / f"{pdf}.json").read_text(encoding="utf-8"))


def test_without_harfbuzz_subsetting_the_build_succeeds_with_one_warning(
        no_harfbuzz_subset, sources, tiny_harfbuzz, tmp_path):
    out = tmp_path / "out"
    # Two editions, rendered in two workers: still one warning for the run.
    result = CliRunner().invoke(main, ["build", "--source", str(sources["tiny"]), "--out",
                                       str(out), "--jobs", "2"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "warning" in line.lower()]
    assert warnings == [FONTTOOLS_WARNING]
    assert FONTTOOLS_WARNING == (
        "warning: renderer: HarfBuzz subsetting is not installed (Debian and Ubuntu: "
        "libharfbuzz-subset0; Fedora and Homebrew: harfbuzz); fonts were subset with fontTools, "
        "so the PDF bytes differ from a build that has it")
    for pdf in (TINY_PDF, "tiny-briefing-policymaker-v1.0.0.pdf"):
        assert _record(out, pdf)["font_subsetter"] == "fonttools"
        assert _record(tiny_harfbuzz, pdf)["font_subsetter"] == "harfbuzz"
        # What the warning says: the same sources, other bytes.
        assert (out / pdf).read_bytes() != (tiny_harfbuzz / pdf).read_bytes()


def test_content_problems_stay_errors_without_harfbuzz_subsetting(no_harfbuzz_subset, tiny):
    from kratom_report.publish.pdf import write_pdf

    html = ('<html lang="en"><head><title>t</title></head><body><p>Text</p>'
            '<img src="missing.png" alt="A missing picture"></body></html>')
    with pytest.raises(ProblemsError) as caught:
        write_pdf(html, tiny, "clinician edition")
    messages = [p.message for p in caught.value.problems]
    assert len(messages) == 1, messages
    assert messages[0].startswith("renderer: Failed to load image at "), messages
    assert "missing.png" in messages[0] and "fontTools" not in messages[0]


def test_workers_warn_once_per_run_and_remember_the_subsetter():
    heard: list[str] = []
    pool = Workers(0, heard.append)
    assert pool.subsetter is None
    for name in ("a", "b", "c"):
        assert pool.received((name, b"%PDF", 1, [], 0.1, "fonttools")) == (
            name, b"%PDF", 1, [], 0.1)
    assert heard == [FONTTOOLS_WARNING] and pool.subsetter == "fonttools"
    quiet = Workers(0, heard.append)
    failed = [Problem("x edition", None, None, "renderer: bad")]
    quiet.received(("x", None, 0, failed, 0.1, None))
    quiet.received(("y", b"%PDF", 1, [], 0.1, "harfbuzz"))
    assert heard == [FONTTOOLS_WARNING] and quiet.subsetter == "harfbuzz"


def _verify(root: Path, pdf: Path) -> Result:
    return CliRunner().invoke(main, ["verify", "--source", str(root), str(pdf)],
                              catch_exceptions=False)


def test_verify_names_the_subsetters_when_they_differ(no_harfbuzz_subset, sources,
                                                      tiny_harfbuzz):
    pdf = tiny_harfbuzz / TINY_PDF
    result = _verify(sources["tiny"], pdf)
    assert result.exit_code == 1
    assert result.stderr.endswith(
        "; its fonts were subset with HarfBuzz (its build record says so) and the rebuild's "
        "with fontTools, which gives different bytes: install HarfBuzz subsetting (Debian and "
        "Ubuntu: libharfbuzz-subset0) and verify again\n"), result.stderr
    assert f"{pdf}: differs from a rebuild of the clinician edition" in result.stderr


def test_verify_of_a_fonttools_build_where_harfbuzz_is_installed(sources, tmp_path,
                                                                 monkeypatch):
    import weasyprint.pdf.fonts

    out = tmp_path / "out"
    with monkeypatch.context() as m:
        m.setattr(weasyprint.pdf.fonts, "harfbuzz_subset", None)
        result = CliRunner().invoke(main, ["build", "--source", str(sources["tiny"]), "--out",
                                           str(out), "--edition", "clinician"],
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
    result = _verify(sources["tiny"], out / TINY_PDF)
    assert result.exit_code == 1
    assert result.stderr.endswith(
        "; its fonts were subset with fontTools (its build record says so) and the rebuild's "
        "with HarfBuzz, which gives different bytes: rebuild it on a machine with HarfBuzz "
        "subsetting, or verify it on one without\n"), result.stderr
    # A record that is not this file's says nothing about it.
    record = out / ".build" / f"{TINY_PDF}.json"
    record.write_text(json.dumps({**json.loads(record.read_text()), "sha256": "0" * 64}))
    result = _verify(sources["tiny"], out / TINY_PDF)
    assert result.exit_code == 1
    assert result.stderr.endswith("rebuild " + result.stderr.rsplit("rebuild ", 1)[1])
    assert "subset" not in result.stderr


def test_verify_of_a_matching_file_says_nothing_of_subsetters(sources, tiny_harfbuzz):
    result = _verify(sources["tiny"], tiny_harfbuzz / TINY_PDF)
    assert result.exit_code == 0, result.stderr
    assert "subset" not in result.output
