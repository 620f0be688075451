"""Print design and accessibility, read back from real PDFs."""

from __future__ import annotations

import subprocess

import pytest

from kratom_report.publish.pdfpost import structure_report

from conftest import FIXTURES, pdfinfo

CLIN = "tiny-briefing-clinician-v1.0.0.pdf"
REFERENCE_PAGE = FIXTURES / "visual" / "tiny-clinician-page2.png"


@pytest.fixture
def built(tiny_built):
    return tiny_built.build()


def test_only_shipped_fonts_all_embedded(built):
    out = subprocess.run(["pdffonts", str(built / CLIN)], check=True, capture_output=True,
                         text=True).stdout.splitlines()[2:]
    assert out, "no fonts listed"
    for line in out:
        name, emb = line.split()[0], line.split()[-5]
        assert name.split("+", 1)[1].startswith("Inter"), line
        assert emb == "yes", line


def test_tagged_with_title_language_headings_and_outline(built):
    info = pdfinfo(built / CLIN)
    assert info["Tagged"] == "yes"
    report = structure_report((built / CLIN).read_bytes())
    assert report["tagged"] and report["display_doc_title"]
    assert report["lang"] == "en"
    assert report["title"] == "Tiny evidence briefing — Clinician edition"
    levels = [int(h[0][1]) for h in report["headings"]]
    assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False))
    assert report["outline"] == ["Key messages", "Contents", "Introduction", "Practice",
                                 "What changed in this version", "References"]


def test_figures_have_alt_text_and_header_cells_have_scope(built):
    report = structure_report((built / CLIN).read_bytes())
    assert report["figures"] == ["A timeline of two milestones, in 2016 and 2018."]
    assert report["th_scopes"] and set(report["th_scopes"]) == {"Column"}


def test_low_contrast_accent_is_an_error(cli, tiny):
    report = tiny / "report" / "report.yaml"
    report.write_text(report.read_text().replace('accent: "#1f5f8b"', 'accent: "#7fb3d5"'))
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    assert result.stderr == ("report/report.yaml:18:13: accent '#7fb3d5' has a contrast of "
                             "2.3:1 with white; text needs at least 4.5:1 (WCAG AA): choose a "
                             "darker colour\n")


def test_page_two_matches_the_reference_image(built, tmp_path, regen_images):
    from PIL import Image, ImageChops

    prefix = tmp_path / "page"
    subprocess.run(["pdftoppm", "-r", "60", "-f", "2", "-l", "2", "-png", "-singlefile",
                    str(built / CLIN), str(prefix)], check=True)
    page = Image.open(f"{prefix}.png").convert("L")
    if regen_images:
        REFERENCE_PAGE.parent.mkdir(exist_ok=True)
        page.save(REFERENCE_PAGE)
        pytest.skip("reference image regenerated")
    reference = Image.open(REFERENCE_PAGE).convert("L")
    assert page.size == reference.size
    diff = ImageChops.difference(page, reference).point(lambda v: 255 if v > 16 else 0)
    changed = diff.histogram()[255] / (page.size[0] * page.size[1])
    assert changed <= 0.005, f"{changed:.2%} of pixels differ from {REFERENCE_PAGE.name}"
