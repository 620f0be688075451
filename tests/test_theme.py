"""report.yaml ``theme:``: logo, colours, fonts and fallbacks, extra CSS, section breaks,
numbering, and the missing-glyph check. Two real builds are shared by the render tests."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest
from click.testing import CliRunner

from kratom_report.cli import main

from conftest import FIXTURES, REPO, pdftext

THEMED = FIXTURES / "themed"
PDF = "themed-briefing-clinician-v1.0.0.pdf"
ORG = "Evidence Fixture Group"


def _run(*args: str | Path):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _copy(dest: Path, **replacements: str) -> Path:
    """The themed fixture at ``dest`` with report.yaml lines replaced (old → new)."""
    shutil.copytree(THEMED, dest)
    report = dest / "report" / "report.yaml"
    text = report.read_text(encoding="utf-8")
    for old, new in replacements.values():
        assert old in text, old
        text = text.replace(old, new)
    report.write_text(text, encoding="utf-8")
    return dest


def _nothing_written(out: Path) -> bool:
    """The build may make its (empty) output folder before rendering; never a file in it."""
    return not out.exists() or not any(out.rglob("*"))


def _line_col(path: Path, needle: str) -> tuple[int, int]:
    for n, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
        if needle in line:
            return n, line.index(needle) + 1
    raise AssertionError(needle)


@pytest.fixture(scope="module")
def themed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The themed fixture built once: logo in the header, page breaks, table numbers off."""
    out = tmp_path_factory.mktemp("themed-out")
    result = _run("build", "--source", THEMED, "--out", out)
    assert result.exit_code == 0, result.output
    return out / PDF


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same report without a logo, with ``section_break: auto`` and numbering on."""
    root = _copy(tmp_path_factory.mktemp("plain") / "themed",
                 logo=("  logo: theme/logo.svg\n  logo_in_header: true\n", ""),
                 brk=("  section_break: page\n", "  section_break: auto\n"),
                 num=("    tables: false\n    figures: false\n",
                      "    tables: true\n    figures: true\n"))
    out = root / "out"
    result = _run("build", "--source", root, "--out", out)
    assert result.exit_code == 0, result.output
    return out / PDF


def _fonts(pdf: Path) -> list[str]:
    out = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True,
                         text=True).stdout
    return [line.split()[0].split("+", 1)[-1] for line in out.splitlines()[2:] if line.strip()]


def _draws(page: pikepdf.Page) -> int:
    """How many XObjects (images, SVG drawn as forms) the page's own content paints."""
    return sum(1 for _ops, op in pikepdf.parse_content_stream(page) if str(op) == "Do")


def _page_of(pdf: Path, heading: str) -> int:
    """The first page after the contents that shows ``heading``."""
    count = len(pikepdf.open(pdf).pages)
    texts = [pdftext_page(pdf, i) for i in range(1, count + 1)]
    contents = next(i for i, t in enumerate(texts, 1) if "Contents" in t.splitlines())
    return next(i for i, t in enumerate(texts, 1) if i > contents and heading in t)


def pdftext_page(pdf: Path, page: int) -> str:
    return subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"],
                          check=True, capture_output=True, text=True).stdout


def test_pdffonts_lists_only_the_theme_fonts_and_the_fallback(themed, plain):
    for pdf in (themed, plain):
        fonts = _fonts(pdf)
        assert fonts, "no fonts listed"
        assert all(f.startswith(("Atkinson-Hyperlegible", "DejaVu-Sans")) for f in fonts), fonts
        assert {"Atkinson-Hyperlegible", "Atkinson-Hyperlegible-Bold"} <= set(fonts)
    # β in the glossary comes from the fallback font, so it is embedded and listed
    assert any(f.startswith("DejaVu-Sans") for f in _fonts(themed))


def test_logo_is_on_the_cover_and_in_the_running_head(themed, plain):
    with pikepdf.open(themed) as pdf:
        assert _draws(pdf.pages[0]) >= 1  # the cover logo
        assert _draws(pdf.pages[2]) >= 1  # logo_in_header: the contents page's running head
        alts = {str(o.get("/Alt")) for o in pdf.objects
                if isinstance(o, pikepdf.Dictionary) and "/Alt" in o}
        assert ORG in alts
    with pikepdf.open(plain) as pdf:
        assert _draws(pdf.pages[0]) == 0
        assert _draws(pdf.pages[2]) == 0


def test_png_logo_and_colours_and_extra_css_reach_the_html(tmp_path):
    root = _copy(tmp_path / "themed", logo=("  logo: theme/logo.svg\n",
                                             "  logo: theme/logo.png\n"))
    out = tmp_path / "out"
    result = _run("build", "--source", root, "--out", out, "--format", "html")
    assert result.exit_code == 0, result.output
    html = (out / PDF.replace(".pdf", "-print.html")).read_text(encoding="utf-8")
    assert '<img class="cover-logo" src="data:image/png;base64,' in html
    assert f'alt="{ORG}"' in html
    assert "--ink: #2b2118; --muted: #5a4f45;" in html
    assert '--font-family: "Atkinson Hyperlegible", "DejaVu Sans";' in html
    assert '<g font-family="Atkinson Hyperlegible, DejaVu Sans"' in html  # figures too
    # the report's stylesheet comes after the built-in one
    assert html.index(".cover-kicker { letter-spacing: 0.2em; }") > html.index("--tint: #f1f4f7")


def test_web_edition_takes_theme_colours_in_the_light_scheme_only(tmp_path):
    out = tmp_path / "out"
    result = _run("build", "--source", THEMED, "--out", out, "--format", "web")
    assert result.exit_code == 0, result.output
    html = (out / PDF.replace(".pdf", ".html")).read_text(encoding="utf-8")
    assert "@media (prefers-color-scheme: light) { :root { --ink: #2b2118; " \
           "--muted: #5a4f45; } }" in html
    assert "prefers-color-scheme: dark" in html  # web.css keeps its own dark colours


def test_section_break_page_starts_every_section_on_a_new_page(themed, plain):
    first = "Research gaps and what would"
    assert _page_of(plain, "Milestones") == _page_of(plain, first)  # auto: sections flow
    assert _page_of(themed, "Milestones") == _page_of(themed, first) + 1
    assert _page_of(themed, "Glossary") == _page_of(themed, "Milestones") + 1


def test_numbering_off_drops_table_and_figure_numbers(themed, plain):
    before = pdftext(plain)
    assert "Table 1. Terms used in this briefing" in before
    assert "Figure 1. Selected milestones" in before
    text = pdftext(themed)
    assert "Terms used in this briefing" in text and "Selected milestones" in text
    assert not re.search(r"(Table|Figure) \d+\.", text)


def test_shipped_report_with_no_theme_keeps_inter(tmp_path):
    """A report without a theme: the HTML gets no theme stylesheet or logo at all."""
    tiny = tmp_path / "tiny"
    shutil.copytree(FIXTURES / "tiny", tiny)
    out = tmp_path / "out"
    result = _run("build", "--source", tiny, "--out", out, "--format", "html",
                  "--edition", "clinician")
    assert result.exit_code == 0, result.output
    html = next(out.glob("*.html")).read_text(encoding="utf-8")
    assert "cover-logo" not in html.split("</style>")[-1]
    assert "header-logo" not in html.split("</style>")[-1]
    assert '--font-family: "Inter";' in html and "@font-face { font-family: \"Inter\"" in html


REPORT = "report/report.yaml"
OUTSIDE = "leads outside the report folder"

BAD = {
    "missing logo": (("  logo: theme/logo.svg\n", "  logo: theme/nope.svg\n"), "theme/nope.svg",
                     "theme.logo 'report/theme/nope.svg' not found"),
    "logo outside": (("  logo: theme/logo.svg\n", "  logo: ../../outside.svg\n"),
                     "../../outside.svg",
                     "theme.logo '../../outside.svg' leads outside the report folder (after "
                     "following links); a report reads only files inside its own folder: copy "
                     "the file into report/ and name it relative to report/"),
    "logo type": (("  logo: theme/logo.svg\n", "  logo: theme/extra.css\n"), "theme/extra.css",
                  "theme.logo 'report/theme/extra.css' must be a .svg or .png file"),
    "bad colour": (('    text: "#2b2118"\n', '    text: "#2b21"\n'), '"#2b21"',
                   "'text' has invalid value '#2b21' (expected a hex colour like \"#1b1f24\")"),
    "unquoted colour": (('    text: "#2b2118"\n', "    text: #2b2118\n"), "#2b2118",
                        "'text' is empty because # starts a YAML comment; quote the value: "
                        'text: "#2b2118"'),
    "low contrast text": (('    text: "#2b2118"\n', '    text: "#999999"\n'), '"#999999"',
                          "theme colour text '#999999' has a contrast of 2.8:1 with white; "
                          "text needs at least 4.5:1 (WCAG AA): choose a darker colour"),
    "low contrast muted": (('    muted: "#5a4f45"\n', '    muted: "#8a8a8a"\n'), '"#8a8a8a"',
                           "theme colour muted '#8a8a8a' has a contrast of 3.5:1 with white; "
                           "text needs at least 4.5:1 (WCAG AA): choose a darker colour"),
    "font without licence": (("    licence: theme/fonts/OFL-AtkinsonHyperlegible.txt\n", ""),
                             "regular:", "missing required key 'licence' in 'fonts'"),
    "licence file missing": (("licence: theme/fonts/OFL-AtkinsonHyperlegible.txt",
                              "licence: theme/fonts/OFL.txt"), "theme/fonts/OFL.txt",
                             "theme.fonts.licence 'report/theme/fonts/OFL.txt' not found"),
    "not a font type": (("    italic: theme/fonts/atkinson-hyperlegible-latin-400-italic.woff2\n",
                         "    italic: theme/extra.css\n"), "theme/extra.css",
                        "theme.fonts.italic 'report/theme/extra.css' must be a .ttf, .otf, "
                        ".woff or .woff2 file"),
    "fallback outside": (("fallback_fonts: [theme/fonts/DejaVuSans-symbols.ttf]",
                          "fallback_fonts: [/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf]"),
                         "/usr/share/fonts",
                         "theme.fallback_fonts.0 '/usr/share/fonts/truetype/dejavu/DejaVuSans."
                         "ttf' leads outside the report folder (after following links); a report "
                         "reads only files inside its own folder: copy the file into report/ and "
                         "name it relative to report/"),
    "css missing": (("  css: theme/extra.css\n", "  css: theme/more.css\n"), "theme/more.css",
                    "theme.css 'report/theme/more.css' not found"),
    "bad section break": (("  section_break: page\n", "  section_break: always\n"), "always",
                          "'section_break' has invalid value 'always', expected one of: "
                          "page, auto"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_theme_input_is_a_located_error_and_nothing_is_written(case, tmp_path):
    (old_new, needle, message) = BAD[case]
    root = _copy(tmp_path / "themed", edit=old_new)
    out = tmp_path / "out"
    result = _run("build", "--source", root, "--out", out)
    line, col = _line_col(root / REPORT, needle)
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [f"{REPORT}:{line}:{col}: {message}"]
    assert _nothing_written(out)


def test_a_font_file_fonttools_cannot_read(tmp_path):
    root = _copy(tmp_path / "themed", edit=("fallback_fonts: [theme/fonts/DejaVuSans-symbols.ttf]",
                                            "fallback_fonts: [theme/fonts/broken.ttf]"))
    (root / "report/theme/fonts/broken.ttf").write_bytes(b"not a font at all")
    result = _run("check", "--source", root)
    line, col = _line_col(root / REPORT, "theme/fonts/broken.ttf")
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"{REPORT}:{line}:{col}: theme.fallback_fonts.0 'report/theme/fonts/broken.ttf' is not "
        "a font fontTools can read (TTLibError); use a .ttf, .otf, .woff or .woff2 font file")


def test_a_logo_that_links_out_of_the_report_is_refused(tmp_path):
    outside = tmp_path / "elsewhere.svg"
    outside.write_text((THEMED / "report/theme/logo.svg").read_text(encoding="utf-8"))
    root = _copy(tmp_path / "themed", edit=("  logo: theme/logo.svg\n", "  logo: theme/l.svg\n"))
    (root / "report/theme/l.svg").symlink_to(outside)
    result = _run("check", "--source", root)
    line, col = _line_col(root / REPORT, "theme/l.svg")
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"{REPORT}:{line}:{col}: theme.logo 'theme/l.svg' leads outside the report folder (after "
        "following links); a report reads only files inside its own folder: copy the file into "
        "report/ and name it relative to report/")


def test_a_file_over_max_file_mb_is_refused(tmp_path):
    root = _copy(tmp_path / "themed", edit=("licence: CC-BY-4.0\n",
                                            "licence: CC-BY-4.0\nmax_file_mb: 0.01\n"))
    result = _run("check", "--source", root)
    line, col = _line_col(root / REPORT, "theme/fonts/atkinson-hyperlegible-latin-400-normal")
    assert result.exit_code == 1
    assert (f"{REPORT}:{line}:{col}: theme.fonts.regular 'report/theme/fonts/atkinson-"
            "hyperlegible-latin-400-normal.woff2' is 0.0172 MB, over the 0.01 MB limit (make "
            "it smaller, or raise max_file_mb in report.yaml)") in result.output


SVG_HEAD = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">\n'
BAD_SVG = {  # the one SVG policy: these read as for an image figure (test_image_figure.py)
    "script": (SVG_HEAD + '  <script>alert(1)</script>\n</svg>\n', 2, 3,
               "SVG image has a <script> element; scripts are not allowed in SVG images: "
               "remove it"),
    "event": (SVG_HEAD + '  <rect width="5" height="5" onclick="x()"/>\n</svg>\n', 2, 3,
              "SVG image has an event attribute 'onclick' on <rect>; scripts are not allowed "
              "in SVG images: remove it"),
    "external": (SVG_HEAD.replace(">", ' xmlns:xlink="http://www.w3.org/1999/xlink">')
                 + '  <image xlink:href="https://example.org/a.png" width="5" height="5"/>\n'
                 "</svg>\n", 2, 3,
                 "SVG image refers to 'https://example.org/a.png' from <image>; an SVG image "
                 'may refer only to its own parts (href="#id"): embed what it shows, or remove '
                 "it"),
    "doctype": ('<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY a "aaaa">]>\n' + SVG_HEAD
                + "<text>&a;</text></svg>\n", 2, 1,
                "SVG image declares a DOCTYPE; SVG images may not (its entities could expand "
                "or read other files): remove the <!DOCTYPE \u2026> part"),
    "animation": (SVG_HEAD + '  <a href="#x"><set attributeName="href" to="https://x.org"/></a>'
                  "\n</svg>\n", 2, 16, "SVG image has a <set> element, which a printed SVG "
                  "image cannot use: remove it"),
    "not svg": ('<html xmlns="http://www.w3.org/1999/xhtml"><body/></html>\n', 1, 1,
                "SVG image is not an SVG image: its first element is <html>, not <svg> in the "
                "SVG namespace (http://www.w3.org/2000/svg)"),
    "broken": (SVG_HEAD + "  <rect>\n</svg>\n", 3, 3,
               "SVG image is not well-formed XML (mismatched tag); export the SVG again"),
}


@pytest.mark.parametrize("case", sorted(BAD_SVG))
def test_an_unsafe_svg_logo_is_refused_where_it_is(case, tmp_path):
    svg, line, col, message = BAD_SVG[case]
    root = _copy(tmp_path / "themed")
    (root / "report/theme/logo.svg").write_text(svg, encoding="utf-8")
    out = tmp_path / "out"
    result = _run("build", "--source", root, "--out", out)
    assert result.exit_code == 1
    assert result.output.strip() == f"report/theme/logo.svg:{line}:{col}: {message}"
    assert _nothing_written(out)


def test_a_remote_url_in_the_theme_stylesheet_is_refused(tmp_path):
    root = _copy(tmp_path / "themed")
    css = root / "report/theme/extra.css"
    css.write_text("h2 { color: #222; }\nbody { background: url(https://example.org/x.png); }\n")
    result = _run("check", "--source", root)
    assert result.exit_code == 1
    assert result.output.strip() == (
        "report/theme/extra.css:2:20: url(https://example.org/x.png) is not a file inside the "
        "report folder (remote and other URLs are refused); a theme stylesheet may use only "
        "files inside the report folder")


def _add_thai(root: Path) -> tuple[int, int]:
    section = root / "report/sections/glossary.yaml"
    text = section.read_text(encoding="utf-8")
    section.write_text(text.replace('["Mitragynine",', '["Mitragynine (ไทย)",', 1),
                       encoding="utf-8")
    return _line_col(section, "ไ")


def test_a_character_no_font_has_is_a_located_error(tmp_path):
    root = _copy(tmp_path / "themed")
    line, col = _add_thai(root)
    out = tmp_path / "out"
    result = _run("build", "--source", root, "--out", out)
    assert result.exit_code == 1
    fonts = "Atkinson Hyperlegible, DejaVu Sans"
    assert result.output.strip().splitlines() == [
        f"report/sections/glossary.yaml:{line}:{col + i}: the character '{char}' "
        f"(U+{ord(char):04X}) is not in the fonts {fonts}; add a font that has it to "
        "theme.fallback_fonts" for i, char in enumerate("ไทย")]
    assert _nothing_written(out)


def test_a_missing_glyph_without_a_theme_names_inter(tmp_path):
    tiny = tmp_path / "tiny"
    shutil.copytree(FIXTURES / "tiny", tiny)
    report = tiny / "report/report.yaml"
    report.write_text(report.read_text(encoding="utf-8").replace(
        "subtitle: A fixture for the test suite", "subtitle: A fixture ก"), encoding="utf-8")
    result = _run("check", "--source", tiny)
    line, col = _line_col(report, "ก")
    assert result.exit_code == 1
    assert f"report/report.yaml:{line}:{col}: the character 'ก' (U+0E01) is not in the fonts " \
           "Inter; add a font that has it to theme.fallback_fonts" in result.output


def test_the_shipped_report_uses_only_characters_inter_has():
    from kratom_report.compose.glyphs import glyph_problems
    from kratom_report.compose.render import render_edition
    from kratom_report.compose.templating import Templates
    from kratom_report.source.project import load_project

    project = load_project(REPO)
    templates = Templates.for_root(REPO)
    for edition in project.report.editions:
        html = render_edition(project, edition.id, templates=templates).html
        assert glyph_problems(project, templates, "briefing.css", html) == []


def test_the_direct_font_reader_agrees_with_fonttools():
    from fontTools.ttLib import TTFont

    from kratom_report.source.sfnt import read_sfnt

    fonts = sorted((REPO / "src/kratom_report/templates/fonts").glob("*.otf"))
    fonts += sorted((THEMED / "report/theme/fonts").glob("*.ttf"))
    assert len(fonts) >= 6
    for path in fonts:
        with TTFont(path, lazy=True) as font:
            names = font["name"]
            expected = (names.getDebugName(16) or names.getDebugName(1),
                        frozenset(font.getBestCmap()))
        assert read_sfnt(path.read_bytes()) == expected, path.name
    # compressed fonts are left to fontTools
    assert read_sfnt((THEMED / "report/theme/fonts/atkinson-hyperlegible-latin-400-normal"
                                ".woff2").read_bytes()) is None
