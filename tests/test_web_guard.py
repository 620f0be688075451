"""What a report can put in front of the published site's readers: no script, nothing remote,
no invisible characters in titles, and the writing direction of its language.

A report's templates and stylesheets are untrusted (a pull request built in CI). Each case
asserts the exact message and exit code of ``check`` and of a build, and that nothing was
written; every page written for readers carries the one Content-Security-Policy.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from conftest import REPO

BUILT_IN = REPO / "src" / "kratom_report" / "templates"
CSP = ('<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; img-src '
       "'self' data:; style-src 'self' 'unsafe-inline'; font-src 'self' data:; base-uri "
       "'none'; form-action 'none'\">")
NO_JS = "web output carries no JavaScript; remove it"
FETCH = "web output fetches nothing; use a file inside templates/ or a data: URL"


def _override(tiny: Path, name: str, extra: str, *, at: str | None = None) -> int:
    """The built-in ``name`` with ``extra`` in front of ``at`` (default: appended), as the
    report's own template; returns the line ``extra`` starts on."""
    text = (BUILT_IN / name).read_text(encoding="utf-8")
    cut = text.index(at) if at else len(text)
    path = tiny / "templates" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text[:cut] + extra + text[cut:], encoding="utf-8")
    return text[:cut].count("\n") + 1


def _refused(cli, tiny: Path, *commands: str) -> str:
    """stderr of ``check``, asserting each of ``commands`` fails the same way and writes
    nothing."""
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1, result.output
    for command in commands:
        out = tiny / f"out-{command.replace(' ', '-')}"
        other = cli(*command.split(), "--source", tiny, "--out", out)
        assert other.exit_code == 1, other.output
        assert other.stderr == result.stderr
        assert not out.exists() or [p.name for p in out.rglob("*")
                                    if p.is_file()] == []
    return result.stderr


# --- templates: scripts, event attributes, javascript: URLs ----------------------------------


@pytest.mark.parametrize(("extra", "column", "message"), [
    ("<SCRIPT>fetch('/x')</SCRIPT>\n", 1, f"<script> is not allowed in a report template: {NO_JS}"),
    ("<p>x</p><scr{% if true %}\nipt>alert(1)</script>\n", 9,
     f"<script> is not allowed in a report template: {NO_JS}"),
    ("<svg><script href=\"a.js\"/></svg>\n", 6,
     f"<script> is not allowed in a report template: {NO_JS}"),
])
def test_a_script_in_a_web_template_is_refused(cli, tiny, extra, column, message):
    line = _override(tiny, "web/edition.html", extra, at="</body>")
    stderr = _refused(cli, tiny, "build --format web")
    assert stderr == f"templates/web/edition.html:{line}:{column}: {message}\n"


def test_every_path_refuses_a_script_in_a_print_or_site_template(cli, tiny):
    line = _override(tiny, "web/site.html", "<script>alert(1)</script>\n", at="</body>")
    expected = (f"templates/web/site.html:{line}:1: <script> is not allowed in a report "
                f"template: {NO_JS}\n")
    # check renders no site page, but reads every template the report brings
    assert _refused(cli, tiny, "build", "build --format html", "release") == expected


def test_the_preview_refuses_what_build_refuses(tiny, tmp_path):
    from kratom_report.authoring.preview import WebBuilder
    from kratom_report.errors import ProblemsError

    line = _override(tiny, "web/edition.html", "<iframe src=\"a.html\"></iframe>\n",
                     at="</body>")
    with pytest.raises(ProblemsError) as caught:
        WebBuilder(tiny, (), tmp_path / "preview").build()
    assert [str(p) for p in caught.value.problems] == [
        f"templates/web/edition.html:{line}:1: <iframe> is not allowed in a report template: "
        "web output embeds no other page; remove it"]


@pytest.mark.parametrize(("extra", "message"), [
    ('<img src="data:," alt="" onerror="alert(1)">\n',
     f"the event attribute onerror= (in <img>) is not allowed in a report template: {NO_JS}"),
    ('<div ONCLICK="x()">x</div>\n',
     f"the event attribute onclick= (in <div>) is not allowed in a report template: {NO_JS}"),
    ('<div {{ "on" }}load="x()">x</div>\n',
     "an attribute name made by template code (in <div>) is not allowed in a report "
     "template: it could be an event handler; write the name out"),
])
def test_event_attributes_are_refused(cli, tiny, extra, message):
    line = _override(tiny, "web/edition.html", extra, at="</body>")
    stderr = _refused(cli, tiny)
    assert stderr == f"templates/web/edition.html:{line}:1: {message}\n"


@pytest.mark.parametrize("href", [
    "javascript:alert(1)",
    "&#106;ava&#x09;script&colon;alert(1)",
    "  JaVaScRiPt:alert(1)",
    "java{{ '' }}script:alert(1)",
])
def test_javascript_urls_are_refused_however_written(cli, tiny, href):
    line = _override(tiny, "document.html", f'<a href="{href}">x</a>\n', at="</body>")
    stderr = _refused(cli, tiny, "build --format html")
    assert stderr == (f"templates/document.html:{line}:1: a javascript: URL (in href= of <a>) "
                      f"is not allowed in a report template: {NO_JS}\n")


# --- templates: anything remote --------------------------------------------------------------


@pytest.mark.parametrize(("extra", "shown", "where"), [
    ('<img src="https://evil.example/pixel.png" alt="">\n',
     "'https://evil.example/pixel.png'", "src= of <img>"),
    ('<img src="a.png" srcset="a.png 1x, //evil.example/b.png 2x" alt="">\n',
     "'a.png 1x, //evil.example/b.png 2x'", "srcset= of <img>"),
    ('<link rel="stylesheet" href="HTTP://evil.example/s.css">\n',
     "'HTTP://evil.example/s.css'", "href= of <link>"),
    ('<video poster="https://evil.example/p.jpg"></video>\n',
     "'https://evil.example/p.jpg'", "poster= of <video>"),
])
def test_remote_resources_in_templates_are_refused(cli, tiny, extra, shown, where):
    line = _override(tiny, "web/edition.html", extra, at="</body>")
    stderr = _refused(cli, tiny)
    assert stderr == (f"templates/web/edition.html:{line}:1: the remote URL {shown} (in {where}) "
                      f"is not allowed in a report template: {FETCH}\n")


def test_a_link_for_readers_to_follow_is_not_a_remote_load(cli, tiny):
    _override(tiny, "web/edition.html", '<a href="https://example.org/about">About us</a>\n',
              at="</body>")
    result = cli("check", "--source", tiny)
    assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize(("extra", "column", "message"), [
    ('<div style="background: URL(https://evil.example/a.png)">x</div>\n', 1,
     "url(https://evil.example/a.png) is remote: web output fetches nothing; use a file "
     "inside templates/ or a data: URL (in the style of <div>)"),
    ("<style>\n.a { background: u{{ '' }}rl(//evil.example/a.png) }\n</style>\n", 18,
     "url(//evil.example/a.png) is remote: web output fetches nothing; use a file inside "
     "templates/ or a data: URL (in a <style> element)"),
])
def test_styles_inside_templates_follow_the_stylesheet_rule(cli, tiny, extra, column, message):
    line = _override(tiny, "web/edition.html", extra, at="</body>")
    stderr = _refused(cli, tiny)
    first = line + (1 if extra.startswith("<style>") else 0)
    assert stderr == f"templates/web/edition.html:{first}:{column}: {message}\n"


@pytest.mark.parametrize(("extra", "word"), [
    ("{{ doc.title | safe }}\n", "|safe"),
    ("{% autoescape false %}{{ doc.title }}{% endautoescape %}\n", "autoescape"),
    ("{{ {'onclick': 'x'} | xmlattr }}\n", "|xmlattr"),
])
def test_markup_from_expressions_is_refused(cli, tiny, extra, word):
    line = _override(tiny, "web/edition.html", extra, at="</body>")
    stderr = _refused(cli, tiny)
    assert re.fullmatch(rf"templates/web/edition\.html:{line}:\d+: {re.escape(word)} is not "
                        r"allowed in a report template: it would put unchecked markup into the "
                        r"page; remove it\n", stderr), stderr


def test_translated_words_are_text_not_markup(cli, tiny):
    _override(tiny, "web/edition.html", '<p id="said">{{ _("<script>alert(1)</script>") }}</p>\n',
              at="</body>")
    out = tiny / "dist"
    result = cli("build", "--source", tiny, "--format", "web", "--out", out)
    assert result.exit_code == 0, result.stderr
    page = next(out.glob("*clinician*.html")).read_text(encoding="utf-8")
    assert '<p id="said">&lt;script&gt;alert(1)&lt;/script&gt;</p>' in page
    assert "<script" not in page


# --- stylesheets -----------------------------------------------------------------------------


def _stylesheet(tiny: Path, name: str, extra: str) -> int:
    return _override(tiny, name, "\n" + extra) + 1


REMOTE = ("is not a file inside the template folders (remote and other URLs are refused); "
          "stylesheets may use only files inside templates/")
IMAGE_SET = ("() is not allowed in a stylesheet: it loads images no rule checks; use url() with "
             "a file beside the stylesheet")


@pytest.mark.parametrize(("name", "extra", "column", "message"), [
    ("web/web.css", ".a { background: URL(http://evil.example/a.png) }\n", 18,
     f"url(http://evil.example/a.png) {REMOTE}"),
    ("web/site.css", ".a { background: url( 'HTTPS://evil.example/a.png' ) }\n", 18,
     f"url(HTTPS://evil.example/a.png) {REMOTE}"),
    ("web/web.css", '@import "http://evil.example/s.css";\n', 1,
     "@import is refused in templates/web/web.css; put the rules in this file; stylesheets "
     "may use only files inside templates/"),
    ("web/site.css", "@IMPORT 'https://evil.example/s.css' screen;\n", 1,
     "@import is refused in templates/web/site.css; put the rules in this file; stylesheets "
     "may use only files inside templates/"),
    ("web/web.css", ".a { background: \\75 rl(http://evil.example/a.png) }\n", 18,
     f"url(http://evil.example/a.png) {REMOTE}"),
    ("web/web.css", ".a { background: u\\rl(//evil.example/a.png) }\n", 18,
     f"url(//evil.example/a.png) {REMOTE}"),
    ("web/web.css", '.a { background: image-set("https://evil.example/a.png" 1x) }\n', 18,
     f"image-set{IMAGE_SET}"),
    ("web/site.css", '.a { background: -webkit-image-set("a.png" 1x) }\n', 18,
     f"-webkit-image-set{IMAGE_SET}"),
    ("web/web.css", ".a::after { content: '</style><script>alert(1)</script>' }\n", 23,
     "'</style' in a stylesheet would end the page's <style> element and start markup; "
     "remove it"),
])
def test_web_stylesheets_load_nothing(cli, tiny, name, extra, column, message):
    line = _stylesheet(tiny, name, extra)
    stderr = _refused(cli, tiny, "build --format web")
    assert stderr == f"templates/{name}:{line}:{column}: {message}\n"


def test_a_print_stylesheet_refuses_image_set_too(cli, tiny):
    line = _stylesheet(tiny, "briefing.css", '.a { background: image-set("art.png" 1x) }\n')
    stderr = _refused(cli, tiny, "build --format html")
    assert stderr == f"templates/briefing.css:{line}:18: image-set{IMAGE_SET}\n"


def test_a_theme_stylesheet_refuses_image_set(cli, tiny):
    (tiny / "report" / "theme.css").write_text(
        ".a { color: red }\n.b { background: IMAGE-SET(url(a.png) 1x) }\n")
    report = tiny / "report" / "report.yaml"
    report.write_text(report.read_text() + "theme:\n  css: theme.css\n")
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    assert result.stderr == f"report/theme.css:2:18: image-set{IMAGE_SET}\n"


# --- the Content-Security-Policy of every page for readers -------------------------------------


def _pages(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.html"))


def _one_policy_first_in_head(page: Path) -> None:
    html = page.read_text(encoding="utf-8")
    assert html.count("Content-Security-Policy") == 1, page
    head = html[html.index("<head>"):html.index("</head>")]
    assert re.match(r'<head>\n<meta charset="utf-8">\n' + re.escape(CSP), head), page
    assert "<script" not in html.lower(), page
    assert not re.search(r"\son[a-z]+=", html), page


def test_every_release_page_carries_the_policy(tiny_built):
    site = tiny_built.release()
    pages = _pages(site)
    assert [p.relative_to(site).as_posix() for p in pages] == [
        "1.0.0/accessibility.html", "1.0.0/index.html",
        "1.0.0/tiny-briefing-clinician-v1.0.0.html",
        "1.0.0/tiny-briefing-policymaker-v1.0.0.html", "index.html"]
    for page in pages:
        _one_policy_first_in_head(page)
    assert "Content-Security-Policy" not in (site / "feed.xml").read_text(encoding="utf-8")


def test_every_built_page_carries_the_policy(tiny_built):
    pages = _pages(tiny_built.build("--format", "web")) + _pages(
        tiny_built.build("--format", "html"))
    assert len(pages) == 4
    for page in pages:
        _one_policy_first_in_head(page)


def test_a_page_template_without_a_head_still_gets_the_policy_first(cli, tiny):
    (tiny / "templates" / "web").mkdir(parents=True)
    (tiny / "templates" / "web" / "edition.html").write_text(
        "<!-- <head> -->\n<html lang=\"en\"><title>{{ doc.title }}</title><p>{{ css }}</p>\n")
    out = tiny / "dist"
    result = cli("build", "--source", tiny, "--format", "web", "--out", out)
    assert result.exit_code == 0, result.stderr
    page = next(out.glob("*clinician*.html")).read_text(encoding="utf-8")
    assert page.startswith(CSP + "\n<!-- <head> -->")


# --- invisible characters in single-line fields -------------------------------------------------


def _set(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _invisible(field: str, char: str) -> str:
    return (f"'{field}': holds {char}, an invisible character that can make it read "
            "differently from what it says; remove it")


def test_bidi_overrides_in_titles_are_refused(cli, tiny):
    report = tiny / "report" / "report.yaml"
    _set(report, "title: Tiny evidence briefing", 'title: "Tiny \u202eefing"')
    _set(report, "title: Clinician edition", 'title: "Clinician\u2066 edition\u2069"')
    stderr = _refused(cli, tiny, "build", "build --format web")
    assert stderr.splitlines() == [
        "report/report.yaml:2:8: " + _invisible("title", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        "report/report.yaml:16:12: " + _invisible("title", "U+2066 LEFT-TO-RIGHT ISOLATE"),
    ]


@pytest.mark.parametrize(("old", "new", "where", "message"), [
    ("organisation: Fixture Unit", 'organisation: "Fixture\u200bUnit"', "9:15",
     _invisible("organisation", "U+200B ZERO WIDTH SPACE")),
    ("audience: clinicians", 'audience: "\ufeffclinicians"', "17:15",
     _invisible("audience", "U+FEFF ZERO WIDTH NO-BREAK SPACE")),
    ("keywords: [fixture, test]", 'keywords: [fixture, "te\u2028st"]', "13:21",
     _invisible("keywords", "U+2028 LINE SEPARATOR")),
    ("  - name: Test Author", '  - name: "Test \u061cAuthor"', "7:11",
     _invisible("name", "U+061C ARABIC LETTER MARK")),
])
def test_invisible_characters_in_other_single_line_fields(cli, tiny, old, new, where, message):
    _set(tiny / "report" / "report.yaml", old, new)
    stderr = _refused(cli, tiny)
    assert stderr == f"report/report.yaml:{where}: {message}\n"


def test_a_section_title_and_a_changelog_line_are_single_line_fields(cli, tiny):
    section = next((tiny / "report" / "sections").glob("*.yaml"))
    text = section.read_text(encoding="utf-8")
    title = re.search(r"^title: (.*)$", text, re.M)
    assert title is not None
    section.write_text(text.replace(title.group(0), 'title: "\u202dA"', 1), encoding="utf-8")
    changelog = tiny / "report" / "changelog.yaml"
    ctext = changelog.read_text(encoding="utf-8")
    change = re.search(r'^(\s*- )"?([^"\n]+)"?$', ctext.split("changes:", 1)[1], re.M)
    assert change is not None
    changelog.write_text(ctext.replace(change.group(0), f'{change.group(1)}"x\u2067y"', 1),
                         encoding="utf-8")
    stderr = _refused(cli, tiny)
    assert _invisible("title", "U+202D LEFT-TO-RIGHT OVERRIDE") in stderr
    assert _invisible("changes", "U+2067 RIGHT-TO-LEFT ISOLATE") in stderr
    assert stderr.startswith("report/changelog.yaml:")
    assert f"report/sections/{section.name}:" in stderr


def test_joiners_in_titles_and_marks_in_prose_are_kept(cli, tiny):
    # Persian spells words with ZWNJ ("می‌شود"); prose may need a direction mark.
    report = tiny / "report" / "report.yaml"
    _set(report, "title: Tiny evidence briefing",
         'title: "Tiny \u0645\u06cc\u200c\u0634\u0648\u062f"')
    _set(report, '"Ask about use [@kruegel2016synthetic]."',
         '"Ask about use\u200f [@kruegel2016synthetic]."')
    result = cli("check", "--source", tiny)
    assert "invisible character" not in result.stderr


# --- right-to-left editions ----------------------------------------------------------------------


def test_a_right_to_left_edition_says_so(cli, tiny):
    _set(tiny / "report" / "report.yaml", '    accent: "#1f5f8b"\n',
         '    accent: "#1f5f8b"\n    language: ar\n')
    out = tiny / "dist"
    for fmt in ("html", "web", "pdf"):
        result = cli("build", "--source", tiny, "--format", fmt, "--out", out)
        assert result.exit_code == 0, result.stderr
    for name in ("clinician-v1.0.0-print.html", "clinician-v1.0.0.html"):
        assert '<html lang="ar" dir="rtl">' in (out / f"tiny-briefing-{name}").read_text()
    for name in ("policymaker-v1.0.0-print.html", "policymaker-v1.0.0.html"):
        assert '<html lang="en">' in (out / f"tiny-briefing-{name}").read_text()
    # In the PDF, the right-to-left edition's headings sit at the right margin.
    lefts = {}
    for edition in ("clinician", "policymaker"):
        words = subprocess.run(["pdftotext", "-f", "2", "-l", "2", "-bbox",
                                str(out / f"tiny-briefing-{edition}-v1.0.0.pdf"), "-"],
                               capture_output=True, text=True, check=True).stdout
        lefts[edition] = float(re.search(r'xMin="([\d.]+)"[^>]*>Key<', words).group(1))
    assert lefts["clinician"] > 300 > lefts["policymaker"]


@pytest.mark.parametrize(("language", "rtl"), [("he", True), ("fa", True), ("ur", True),
                                               ("th", False), ("en-GB", False)])
def test_direction_follows_the_language(language, rtl):
    from kratom_report.compose.i18n import Words

    assert Words(language).rtl is rtl


def test_the_tools_own_templates_meet_the_policy_they_impose():
    from kratom_report.source.htmlpolicy import template_problems

    checked = [p for p in BUILT_IN.rglob("*") if p.suffix in (".html", ".xml", ".css")]
    assert len(checked) > 20
    assert {p.name: template_problems(p.read_text(encoding="utf-8"),
                                      stylesheet=p.suffix == ".css")
            for p in checked} == {p.name: [] for p in checked}
