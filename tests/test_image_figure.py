"""`kind: image` figures: an SVG drawn inline as vectors, a PNG embedded, both numbered with
the other figures, with alt text in the tagged PDF; every bad file is a located error."""

from __future__ import annotations

import io
import os
import re
import shutil
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from kratom_report.build import check

from conftest import FIXTURES, pdftext, tree_snapshot

SVG = b"""<?xml version="1.0" encoding="UTF-8"?>
<!-- drawn by hand for the test suite -->
<svg xmlns="http://www.w3.org/2000/svg" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape"
     viewBox="0 0 200 80" inkscape:version="1.3">
  <metadata><note>editor data</note></metadata>
  <defs><clipPath id="frame"><rect x="4" y="4" width="192" height="72"/></clipPath></defs>
  <style>.st0 { fill: #dce8f0; stroke: #1a1a1a }</style>
  <rect class="st0" x="4" y="4" width="192" height="72"/>
  <path d="M20 60 L60 20 L100 50 L180 10" fill="none" stroke="#1a1a1a" stroke-width="3"
        clip-path="url(#frame)"/>
</svg>
"""
SVG_ALT = "A line rising from left to right over a pale blue panel."
PNG_ALT = "A solid blue rectangle."
PRACTICE = "report/sections/practice.yaml"


def _png(size: tuple[int, int] = (300, 120), fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (31, 95, 139)).save(out, fmt)
    return out.getvalue()


def _figure(file: str, caption: str, alt: str, extra: str = "") -> str:
    return (f"  - type: figure\n    kind: image\n    file: {file}\n    caption: {caption}\n"
            f"    alt: {alt}\n{extra}")


def _with_figures(root: Path, *blocks: str) -> None:
    practice = root / PRACTICE
    practice.write_text(practice.read_text() + "".join(blocks))


def _report(dest: Path) -> Path:
    shutil.copytree(FIXTURES / "tiny", dest)
    images = dest / "report" / "images"
    images.mkdir()
    (images / "diagram.svg").write_bytes(SVG)
    (images / "photo.png").write_bytes(_png())
    _with_figures(dest,
                  _figure("images/diagram.svg", "A diagram drawn elsewhere.", SVG_ALT,
                          '    source: "[@dea2016notice]"\n    width: 80%\n'),
                  _figure("images/photo.png", "A plain blue rectangle.", PNG_ALT))
    return dest


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One PDF and one web build of the tiny report with an SVG and a PNG figure."""
    from click.testing import CliRunner

    from kratom_report.cli import main

    root = _report(tmp_path_factory.mktemp("images") / "tiny")
    runner = CliRunner()
    for fmt in ("pdf", "web"):
        result = runner.invoke(main, ["build", "--source", str(root), "--out",
                                      str(root / fmt), "--edition", "clinician", "--format",
                                      fmt], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    return {"root": root, "pdf": next((root / "pdf").glob("*.pdf")),
            "web": next((root / "web").glob("*.html"))}


def _struct_alts(pdf: pikepdf.Pdf) -> list[str]:
    """The /Alt of every /Figure structure element, in document order."""
    alts: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, pikepdf.Array):
            for kid in node:
                walk(kid)
        elif isinstance(node, pikepdf.Dictionary):
            if node.get("/S") == "/Figure":
                alts.append(str(node.get("/Alt")))
            if "/K" in node:
                walk(node.K)

    walk(pdf.Root.StructTreeRoot)
    return alts


def _image_xobjects(pdf: pikepdf.Pdf) -> set[tuple[int, int]]:
    """(width, height) of every image XObject the pages draw, however deeply nested."""
    found: set[tuple[int, int]] = set()
    seen: set[tuple[int, int]] = set()

    def walk(resources: object) -> None:
        xobjects = resources.get("/XObject") if isinstance(resources, pikepdf.Dictionary) \
            else None
        for _name, obj in (xobjects or {}).items():
            if obj.objgen in seen:
                continue
            seen.add(obj.objgen)
            if obj.get("/Subtype") == "/Image":
                found.add((int(obj.Width), int(obj.Height)))
            elif "/Resources" in obj:
                walk(obj.Resources)

    for page in pdf.pages:
        walk(page.get("/Resources"))
    return found


def test_image_figures_are_numbered_with_the_others(built):
    text = " ".join(pdftext(built["pdf"]).split())
    # The tiny report's timeline is Figure 1; the images follow in reading order.
    assert "Figure 1. Milestones." in text
    assert "Figure 2. A diagram drawn elsewhere." in text
    assert "Figure 3. A plain blue rectangle." in text
    assert re.search(r"Source: \d+\. Figure 3", text)  # no "Data as of" for a file


def test_alt_text_is_in_the_tagged_pdf(built):
    with pikepdf.open(built["pdf"]) as pdf:
        alts = _struct_alts(pdf)
    assert alts == ["A timeline of two milestones, in 2016 and 2018.", SVG_ALT, PNG_ALT]


def test_the_svg_is_drawn_as_vectors_and_the_png_as_its_pixels(built):
    with pikepdf.open(built["pdf"]) as pdf:
        assert _image_xobjects(pdf) == {(300, 120)}  # the PNG; the SVG adds no image


def test_the_web_edition_numbers_and_describes_them(built):
    html = built["web"].read_text()
    numbers = re.findall(r'<span class="figure-number">Figure (\d+)\.</span> ([^<]+)<', html)
    assert numbers == [("1", "Milestones."), ("2", "A diagram drawn elsewhere."),
                       ("3", "A plain blue rectangle.")]
    svgs = re.findall(r'<div class="figure-art">(<svg [^>]*><title>([^<]+)</title>(.*?)</svg>)',
                      html, re.S)
    assert [alt for _svg, alt, _body in svgs][1:] == [SVG_ALT, PNG_ALT]
    whole, body = svgs[1][0], svgs[1][2]
    # width: 80% widens the viewBox (200 units drawn in 250), so no style attribute is needed.
    assert 'viewBox="-25 0 250 80"' in whole and " style=" not in html.split("<body")[1]
    # Editor data is left out and ids are prefixed so two figures cannot collide.
    assert "metadata" not in body and "inkscape" not in whole
    assert re.search(r'<clipPath id="fig-practice-\d+-frame">', body)
    assert re.search(r'clip-path="url\(#fig-practice-\d+-frame\)"', body)
    # Its style rules apply to this figure only, not to the page or another figure.
    assert re.search(r"<style>#fig-practice-\d+-root \.st0 \{", body)
    # The PNG is 300 px wide: 79.4 mm at 96 px to the inch, of the 170 mm column.
    box = re.search(r'viewBox="([^"]+)"', svgs[2][0]).group(1).split()
    assert abs(300 / float(box[2]) - 79.375 / 170) < 1e-4
    assert '<image href="data:image/png;base64,' in svgs[2][2]


def test_a_changed_image_changes_the_fingerprint_and_rebuilds(tmp_path, cli):
    root = _report(tmp_path / "tiny")
    before = check(root).editions[0].content_fingerprint
    assert cli("build", "--source", root, "--out", tmp_path / "out", "--edition",
               "clinician", "--format", "web").exit_code == 0
    (root / "report" / "images" / "photo.png").write_bytes(_png((301, 120)))
    assert check(root).editions[0].content_fingerprint != before
    result = cli("build", "--source", root, "--out", tmp_path / "out", "--edition",
                 "clinician", "--format", "web")
    assert result.exit_code == 0 and "unchanged" not in result.output
    payload = check(root).editions[0].payload["data"]["images/photo.png"]
    assert set(payload) == {"media_type", "sha256"} and payload["media_type"] == "image/png"


def _script_svg() -> bytes:
    return (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">\n'
            b"  <script>x()</script>\n</svg>\n")


# (file name, bytes or None for no file, extra figure keys, expected stderr)
BAD = [
    ("images/missing.svg", None, "",
     f"{PRACTICE}:18:11: image file 'report/images/missing.svg' not found"),
    ("../outside.svg", SVG, "",
     f"{PRACTICE}:18:11: image file '../outside.svg' must be a path inside report/ (like "
     "images/chart.svg); a report reads only files inside its own folder"),
    ("images/fake.png", b"GIF89a not really a PNG", "",
     f"{PRACTICE}:18:11: image file 'report/images/fake.png' is not a PNG file (its first "
     "bytes say so), though its name says PNG; export it again as PNG, or rename it"),
    ("images/photo.jpg", "png", "",
     f"{PRACTICE}:18:11: image file 'report/images/photo.jpg' is a PNG file (its first bytes "
     "say so), though its name says JPEG; export it again as JPEG, or rename it"),
    ("images/cut.png", "cut", "",
     f"{PRACTICE}:18:11: image file 'report/images/cut.png' cannot be read as a PNG image "
     "(Truncated File Read); is the file damaged?"),
    ("images/cut.jpg", "cut-jpeg", "",
     f"{PRACTICE}:18:11: image file 'report/images/cut.jpg' cannot be read as a JPEG image "
     "(it stops before its end); is the file damaged?"),
    ("images/anim.gif", b"GIF89a", "",
     f"{PRACTICE}:18:11: image file 'images/anim.gif' is not an SVG, PNG or JPEG (by its "
     "name); export it as one of those (.svg, .png, .jpg)"),
    ("images/script.svg", _script_svg(), "",
     "report/images/script.svg:2:3: SVG image has a <script> element; scripts are not "
     "allowed in SVG images: remove it"),
    ("images/link.svg", b'<svg xmlns="http://www.w3.org/2000/svg" '
     b'xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10">\n'
     b'<image xlink:href="https://example.org/pixel.png" width="10" height="10"/></svg>', "",
     "report/images/link.svg:2:1: SVG image refers to 'https://example.org/pixel.png' from "
     "<image>; an SVG image may refer only to its own parts (href=\"#id\"): embed what it "
     "shows, or remove it"),
    ("images/local.svg", b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">\n'
     b'<use href="other.svg#part"/></svg>', "",
     "report/images/local.svg:2:1: SVG image refers to 'other.svg#part' from <use>; an "
     "SVG image may refer only to its own parts (href=\"#id\"): embed what it shows, or remove "
     "it"),
    ("images/style.svg", b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">\n'
     b'<style>rect { fill: url(/etc/passwd) }</style></svg>', "",
     "report/images/style.svg:2:1: SVG image refers to '/etc/passwd' in url(\u2026); an "
     "SVG image may refer only to its own parts (url(#id)): embed what it shows, or remove it"),
    ("images/media.svg", b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">\n'
     b"<style>@media print { rect { fill: red } }</style></svg>", "",
     "report/images/media.svg:2:1: SVG image has an @media rule in a style; an SVG image's "
     "style may hold plain rules only: remove it"),
    ("images/escape.svg", b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">\n'
     b"<style>rect { fill: \\75 rl(x.png) }</style></svg>", "",
     "report/images/escape.svg:2:1: SVG image has a CSS escape (\\) in a style; write the "
     "style without escapes"),
    ("images/doctype.svg", b'<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY lol "lol">]>\n'
     b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">&lol;</svg>', "",
     "report/images/doctype.svg:2:1: SVG image declares a DOCTYPE; SVG images may not (its "
     "entities could expand or read other files): remove the <!DOCTYPE \u2026> part"),
    ("images/html.svg", b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">\n'
     b'  <foreignObject><p xmlns="http://www.w3.org/1999/xhtml">hi</p></foreignObject>'
     b"</svg>", "",
     "report/images/html.svg:2:3: SVG image has a <foreignObject> element (HTML inside the "
     "SVG); not allowed in SVG images: remove it"),
    ("images/onload.svg", b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">\n'
     b'  <rect width="5" height="5" onclick="x()"/></svg>', "",
     "report/images/onload.svg:2:3: SVG image has an event attribute 'onclick' on <rect>; "
     "scripts are not allowed in SVG images: remove it"),
    ("images/broken.svg", b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 9 9">\n'
     b"<rect></svg>", "",
     "report/images/broken.svg:2:9: SVG image is not well-formed XML (mismatched tag); "
     "export the SVG again"),
    ("images/diagram.svg", SVG, "    width: 50 percent\n",
     f"{PRACTICE}:21:12: 'width': '50 percent' is not a width; write a share of the column "
     "(1% to 100%, like 60%) or a length up to the page (like 120mm, 8cm, 3in)"),
    ("images/diagram.svg", SVG, "    data: data/timeline.yaml\n",
     f"{PRACTICE}:21:5: a figure of kind 'image' takes no 'data' (an image shows its "
     "'file')"),
    ("images/diagram.svg", SVG, "    source: auto\n",
     f"{PRACTICE}:21:13: 'source: auto' cites what a data file lists, and an image has none; "
     "cite its sources instead, like source: \"[@key]\""),
]


@pytest.mark.parametrize(("name", "data", "extra", "expected"), BAD,
                         ids=[b[0].rsplit("/", 1)[-1] + (f"-{i}" if b[2] else "")
                              for i, b in enumerate(BAD)])
def test_a_bad_image_is_one_located_error_and_nothing_is_written(cli, tiny, tmp_path, name,
                                                                 data, extra, expected):
    if data == "png":
        data = _png()
    elif data == "cut":
        data = _png()[:-40]
    elif data == "cut-jpeg":
        data = _png(fmt="JPEG")[:-200]
    if data is not None:
        target = (tiny / "report" / name).resolve()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    _with_figures(tiny, _figure(name, "A figure.", "What it shows.", extra))
    out = tmp_path / "out"
    result = cli("build", "--source", tiny, "--out", out)
    assert result.exit_code == 1
    assert result.stderr == expected + "\n"
    assert not out.exists() or tree_snapshot(out) == {}


def test_a_link_out_of_the_report_is_refused(cli, tiny, tmp_path):
    outside = tmp_path / "outside.svg"
    outside.write_bytes(SVG)
    (tiny / "report" / "images").mkdir()
    os.symlink(outside, tiny / "report" / "images" / "linked.svg")
    _with_figures(tiny, _figure("images/linked.svg", "A figure.", "What it shows."))
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    assert result.stderr == (
        f"{PRACTICE}:18:11: image file 'images/linked.svg' leads outside the report folder "
        "(after following links); a report reads only files inside its own folder: copy the "
        "file into report/ and name it relative to report/\n")


def test_an_image_over_the_size_limit_is_refused(cli, tiny):
    report = tiny / "report" / "report.yaml"
    report.write_text(report.read_text() + "max_file_mb: 1\n")
    (tiny / "report" / "images").mkdir()
    (tiny / "report" / "images" / "big.png").write_bytes(_png() + os.urandom(1_200_000))
    _with_figures(tiny, _figure("images/big.png", "A figure.", "What it shows."))
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    assert result.stderr == (
        f"{PRACTICE}:18:11: image file 'report/images/big.png' is 1.2 MB, over the 1 MB "
        "limit (make it smaller, or raise max_file_mb in report.yaml)\n")


def test_an_image_needs_its_file_and_alt_text(cli, tiny):
    _with_figures(tiny, "  - type: figure\n    kind: image\n    caption: A figure.\n"
                        "    alt: \" \"\n")
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    assert result.stderr == (
        f"{PRACTICE}:19:10: 'alt' is blank; describe what the figure shows (screen readers "
        "read the alt text in place of the figure, and PDF/UA requires it)\n")
    practice = tiny / PRACTICE
    practice.write_text(practice.read_text().replace('alt: " "', "alt: What it shows."))
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    assert result.stderr == (
        f"{PRACTICE}:16:5: missing required key 'file' in blocks item 3: the SVG, PNG or JPEG "
        "to show, relative to report/ (like images/chart.svg)\n")


def test_a_markdown_svg_follows_the_same_rules(cli, tiny):
    (tiny / "report" / "pic.svg").write_bytes(_script_svg())
    intro = tiny / "report" / "sections" / "intro.yaml"
    intro.write_text(intro.read_text().replace("Shared paragraph citing one source",
                                               "See ![a picture](pic.svg). Shared paragraph "
                                               "citing one source"))
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    assert result.stderr == (
        "report/sections/intro.yaml:7:24: image 'pic.svg' has a <script> element; scripts "
        "are not allowed in SVG images: remove it (line 2, column 3 of the SVG)\n")


def test_scoped_style_rules_still_paint_each_figure_in_print(tmp_path):
    """Scoping (for the web page, where an SVG style is global) must not lose a colour."""
    import subprocess

    import weasyprint

    from kratom_report.source.svgsafe import clean_svg

    def svg(colour: str, prefix: str) -> str:
        raw = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><style>.st0 '
               f'{{ fill: {colour} }}</style><rect class="st0" width="10" height="10"/></svg>')
        return clean_svg(raw.encode(), title=colour, id_prefix=prefix)

    html = (f"<div style='width: 50px'>{svg('#ff0000', 'a-')}</div>"
            f"<div style='width: 50px'>{svg('#0000ff', 'b-')}</div>")
    weasyprint.HTML(string=html).write_pdf(tmp_path / "two.pdf")
    subprocess.run(["pdftoppm", "-r", "72", "-png", "-singlefile", tmp_path / "two.pdf",
                    tmp_path / "two"], check=True)
    with Image.open(tmp_path / "two.png") as page:
        rgb = page.convert("RGB")
        # 72 dpi: the 75 px page margin is 56 device pixels, each 50 px figure 37.5.
        first, second = rgb.getpixel((75, 75)), rgb.getpixel((75, 112))
    assert (first, second) == ((255, 0, 0), (0, 0, 255))


def test_a_jpeg_is_embedded_with_its_alt_text(tiny):
    """Every image figure is an inline SVG whose <title> is the alt text."""
    (tiny / "report" / "images").mkdir()
    (tiny / "report" / "images" / "photo.jpeg").write_bytes(_png(fmt="JPEG"))
    _with_figures(tiny, _figure("images/photo.jpeg", "A photograph.", "A blue square."))
    html = check(tiny).editions[0].html
    assert re.search(r'<svg [^>]*role="img"[^>]*><title>A blue square.</title><image '
                     r'href="data:image/jpeg;base64,', html)


def test_in_a_browser_two_svgs_with_the_same_class_names_keep_their_colours(tmp_path, cli):
    """On a web page an SVG's <style> is global: scoping is what keeps .st0 to its figure."""
    from test_browser import CHROMEDRIVER, CHROMIUM, INSTALL, _axe, _missing

    missing = _missing()
    if missing:
        pytest.fail(f"missing {', '.join(missing)}; {INSTALL}")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    root = tmp_path / "tiny"
    shutil.copytree(FIXTURES / "tiny", root)
    (root / "report" / "images").mkdir()
    for name, colour in (("red", "#ff0000"), ("blue", "#0000ff")):
        (root / "report" / "images" / f"{name}.svg").write_text(
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><style>.st0 '
            f'{{ fill: {colour} }}</style><rect class="st0" width="10" height="10"/></svg>')
        _with_figures(root, _figure(f"images/{name}.svg", f"A {name} square.",
                                    f"A square filled {name}."))
    assert cli("build", "--source", root, "--out", tmp_path / "web", "--format", "web",
               "--edition", "clinician").exit_code == 0
    page = next((tmp_path / "web").glob("*.html"))
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    try:
        driver.get(page.as_uri())
        fills = driver.execute_script(
            "return [...document.querySelectorAll('.figure-image rect.st0')]"
            ".map(r => getComputedStyle(r).fill)")
        violations = _axe(driver)
    finally:
        driver.quit()
    assert fills == ["rgb(255, 0, 0)", "rgb(0, 0, 255)"]
    assert violations == []
