"""Author text is Markdown, never HTML; links and images cannot reach outside the report."""

from __future__ import annotations

import pytest

SECTION = "report/sections/practice.yaml"


def _section(text: str) -> str:
    return ("id: practice\ntitle: Practice\nkind: guidance\nblocks:\n  - type: markdown\n"
            f"    text: |\n      {text}\n")


def _html(cli, tiny, tmp_path, text: str) -> str:
    (tiny / SECTION).write_text(_section(text))
    out = tmp_path / "out"
    result = cli("build", "--source", tiny, "--out", out, "--format", "html",
                 "--edition", "clinician")
    assert result.exit_code == 0, result.stderr
    return (out / "tiny-briefing-clinician-v1.0.0-print.html").read_text(encoding="utf-8")


def test_raw_html_is_escaped(cli, tiny, tmp_path):
    html = _html(cli, tiny, tmp_path, "Hello <script>alert(1)</script> <b>bold</b>")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_javascript_and_file_links_are_not_links(cli, tiny, tmp_path):
    html = _html(cli, tiny, tmp_path,
                 "[a](javascript:alert(1)) [b](file:///etc/passwd) ![c](file:///etc/passwd)")
    assert 'href="javascript:' not in html and 'href="file:' not in html
    assert 'src="file:' not in html


@pytest.mark.parametrize(("src", "message"), [
    ("https://example.org/x.png", "image 'https://example.org/x.png' is not a file inside the "
     "report; remote and other URLs are refused (copy the image into report/ and link it "
     "relatively)"),
    ("/etc/passwd", "image '/etc/passwd' is an absolute path; use a path relative to report/"),
    ("../../etc/passwd", "image file '../../etc/passwd' leads outside the report folder (after "
                         "following links); a report reads only files inside its own folder: "
                         "copy the file into report/ and name it relative to report/"),
    ("images/missing.png", "image 'images/missing.png' not found"),
])
def test_image_refusals_are_located(cli, tiny, src, message):
    (tiny / SECTION).write_text(_section(f"See ![a chart]({src})."))
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    assert result.stderr == f"{SECTION}:7:22: {message}\n"


def test_image_without_alt_text(cli, tiny):
    (tiny / "report" / "pic.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    (tiny / SECTION).write_text(_section("See ![](pic.svg)."))
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    assert result.stderr == (f"{SECTION}:7:15: image 'pic.svg' has no alt text; describe it: "
                             "![what it shows](pic.svg)\n")


def test_local_image_is_inlined(cli, tiny, tmp_path):
    (tiny / "report" / "pic.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    html = _html(cli, tiny, tmp_path, "See ![a picture](pic.svg).")
    assert '<img src="data:image/svg+xml;base64,' in html and 'alt="a picture"' in html
