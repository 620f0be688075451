"""Each rule that guards the user lives in one function, and every entry point goes through it.

Two kinds of proof per rule: the layout (the tools a rule is built from appear only in its
module), and behaviour (patching the one function changes what every entry point does, or
the entry points answer the same case with the same words).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from kratom_report import atomic, fingerprint
from kratom_report.source import csspolicy, paths

SRC = Path(__file__).resolve().parents[1] / "src" / "kratom_report"
FIXTURES = Path(__file__).parent / "fixtures"

RULES = {
    "atomic writes": (r"\bos\.(replace|rename)\(|\btempfile\b|mkstemp|mkdtemp", {"atomic.py"}),
    "hashing": (r"\bhashlib\b", {"fingerprint.py"}),
    "CSS url() and @import": (r"\btinycss2\b|url\\\(|@import\\b",
                              {"source/csspolicy.py"}),
    "read containment": (r"resolve\(\)\s*\.is_relative_to|is_relative_to\([^)]*resolve\(\)",
                         {"source/paths.py"}),
    "quick report.yaml reading": (r"CSafeLoader", {"source/reportfile.py", "source/loader.py"}),
    "max_file_mb in bytes": (r"\* 1_000_000\b", {"source/limits.py"}),
    "SVG parsing": (r"\bexpat\b", {"source/svgsafe.py"}),
}


def _code(path: Path) -> str:
    """The module without its docstrings and comments: only code counts as a use."""
    text = re.sub(r'"""(?:.|\n)*?"""', '""', path.read_text(encoding="utf-8"))
    return re.sub(r"#[^\n]*", "", text)


@pytest.mark.parametrize("rule", sorted(RULES))
def test_each_rule_is_built_in_one_module(rule):
    pattern, owners = RULES[rule]
    users = {p.relative_to(SRC).as_posix() for p in SRC.rglob("*.py")
             if re.search(pattern, _code(p))}
    assert users <= owners, f"{rule} outside its module: {sorted(users - owners)}"
    assert users & owners, f"{rule}: its own module no longer implements it"


# --- what a report may read -------------------------------------------------------------

SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4">'
       b'<rect width="4" height="4"/></svg>')


@pytest.fixture
def linked(tmp_path: Path) -> Path:
    """A report folder whose logo, figure image and Markdown image are links to elsewhere."""
    outside = tmp_path / "elsewhere.svg"
    outside.write_bytes(SVG)
    root = tmp_path / "r"
    (root / "report" / "images").mkdir(parents=True)
    (root / "report" / "images" / "l.svg").symlink_to(outside)
    (root / "report" / "report.yaml").write_text("theme:\n  logo: images/l.svg\n"
                                                  "image: images/l.svg\n", encoding="utf-8")
    return root


def _three_refusals(root: Path) -> dict[str, str]:
    """The message the logo check, the image figure loader and the Markdown image each give."""
    from kratom_report.compose.markup import local_image_data_uri
    from kratom_report.source.figurefiles import load_image
    from kratom_report.source.loader import load_yaml
    from kratom_report.source.theme import check_theme

    doc = load_yaml(root / "report" / "report.yaml", "report/report.yaml")
    logo: list = []
    check_theme(root, doc, 5_000_000, logo)
    figure: list = []
    assert load_image(root, "images/l.svg", (doc, ("image",)), figure, 5_000_000) is None
    uri, markdown = local_image_data_uri("images/l.svg", root / "report", root)
    assert uri is None
    return {"logo": logo[0].message, "figure": figure[0].message, "markdown": markdown}


def test_a_linked_image_is_refused_in_the_same_words_everywhere(linked):
    tail = ("leads outside the report folder (after following links); a report reads only "
            "files inside its own folder: copy the file into report/ and name it relative to "
            "report/")
    assert _three_refusals(linked) == {"logo": f"theme.logo 'images/l.svg' {tail}",
                                       "figure": f"image file 'images/l.svg' {tail}",
                                       "markdown": f"image file 'images/l.svg' {tail}"}


def test_every_read_goes_through_inside_root(linked, monkeypatch):
    monkeypatch.setattr(paths, "outside_message", lambda what, value: f"REFUSED {what}")
    assert _three_refusals(linked) == {"logo": "REFUSED theme.logo", "figure": "REFUSED image file",
                                       "markdown": "REFUSED image file"}


def test_a_fingerprint_skips_a_linked_file_by_the_same_check(linked, monkeypatch):
    from kratom_report.build import BuildRequest, source_fingerprint

    before = source_fingerprint(linked, BuildRequest())
    monkeypatch.setattr(fingerprint, "_version", lambda _dist: "other")  # a sanity check
    assert source_fingerprint(linked, BuildRequest()) != before
    monkeypatch.undo()
    (linked / "elsewhere.svg").write_bytes(SVG + b" ")  # the link's target is never read
    assert source_fingerprint(linked, BuildRequest()) == before


# --- how files are written --------------------------------------------------------------

def test_a_failed_multi_file_write_rolls_every_file_back(tmp_path, monkeypatch):
    old, new = tmp_path / "old.txt", tmp_path / "new.txt"
    old.write_bytes(b"before")
    real, calls = os.replace, []

    def flaky(src, dst):
        calls.append(dst)
        if Path(dst).name == "new.txt":
            raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(atomic.os, "replace", flaky)
    with pytest.raises(atomic.WriteFailed) as info:
        atomic.write_all([(old, b"after"), (new, b"fresh")])
    assert str(info.value) == f"{new}: No space left on device"
    assert info.value.unrestored == []
    assert old.read_bytes() == b"before" and not new.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.txt"]  # no temp files left


def test_bump_new_section_and_caches_all_write_through_the_one_writer(tmp_path, monkeypatch):
    from kratom_report.authoring.scaffold import ScaffoldError, new_section
    from kratom_report.authoring.versioning import VersionError, bump
    from kratom_report.references.refcache import EntryCache

    root = tmp_path / "tiny"
    shutil.copytree(FIXTURES / "tiny", root)
    before = {p: p.read_bytes() for p in (root / "report").rglob("*") if p.is_file()}

    def refused(plan, *, exclusive):
        raise OSError(13, "Permission denied")

    monkeypatch.setattr(atomic, "_place", refused)
    with pytest.raises(VersionError, match=r"Permission denied; nothing was changed$"):
        bump(root, "patch")
    with pytest.raises(ScaffoldError, match=r"Permission denied; nothing was changed$"):
        new_section(root, "extra", "Extra")
    cache = EntryCache(tmp_path / "cache", "0" * 64, b"k" * 32)
    cache.put("a" * 64, "text")
    cache.save()  # a cache that cannot be written is not kept, and the run goes on
    assert cache.dirty and not cache.path.exists()
    assert {p: p.read_bytes() for p in (root / "report").rglob("*") if p.is_file()} == before


# --- what an SVG and a stylesheet may hold ------------------------------------------------

def _svg_with_style(css: str) -> bytes:
    return (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4">\n<style>'
            + css.encode() + b'</style><rect class="a" width="4" height="4"/></svg>')


def _verdicts(raw: bytes) -> tuple[str | None, str | None, str | None]:
    """(logo, image figure, Markdown image): the problem each finds in one SVG, or None."""
    from kratom_report.compose.markup import _image_problem
    from kratom_report.source.svgsafe import SvgRefused, clean_svg
    from kratom_report.source.theme import svg_problem

    logo = svg_problem(raw, "logo.svg")
    try:
        clean_svg(raw, title="t", id_prefix="f-")
        figure = None
    except SvgRefused as exc:
        figure = f"logo.svg:{exc.line}:{exc.column}: SVG image {exc.message}"
    return (str(logo) if logo else None, figure, _image_problem(raw, "image/svg+xml"))


def test_a_stylesheet_instruction_is_refused_alike_for_logo_figure_and_markdown():
    raw = (b'<?xml version="1.0"?>\n<?xml-stylesheet href="https://example.org/a.css"?>\n'
           b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4"/>')
    message = ("has an <?xml-stylesheet?> instruction; an SVG image may not load other files: "
               "remove it")
    assert _verdicts(raw) == (f"logo.svg:2:1: SVG image {message}",
                              f"logo.svg:2:1: SVG image {message}",
                              f"{message} (line 2, column 1 of the SVG)")


def test_a_plain_style_is_kept_for_a_logo_as_for_a_figure():
    assert _verdicts(_svg_with_style(".a { fill: #c33 }")) == (None, None, None)


@pytest.mark.parametrize(("css", "message"), [
    (".a { fill: URL(https://example.org/x.svg#p) }",
     "SVG image refers to 'https://example.org/x.svg#p' in url(\u2026); an SVG image may refer "
     "only to its own parts (url(#id)): embed what it shows, or remove it"),
    ("@IMPORT 'x.css';",
     "SVG image has an @import in a style; an SVG image may not load other files: remove it"),
])
def test_a_loading_style_is_refused_alike_for_logo_figure_and_markdown(css, message):
    logo, figure, markdown = _verdicts(_svg_with_style(css))
    assert logo == figure == f"logo.svg:2:1: {message}"
    assert markdown == f"{message.removeprefix('SVG image ')} (line 2, column 1 of the SVG)"


@pytest.mark.parametrize("css", ["a { background: URL(x.png) }", "a { background: \\75 rl(x.png) }",
                                 "a { src: src('x.png') }", "a { b: url( 'x.png' ) }"])
def test_every_spelling_of_url_is_one_reference(css):
    refs = csspolicy.css_refs(css)
    assert [(r.kind, r.target) for r in refs] == [("url", "x.png")]
    assert csspolicy.rewrite_urls(css, refs, lambda _r: "url(y)") == \
        css[:refs[0].start] + "url(y)" + css[refs[0].end:]


def test_both_stylesheet_inliners_go_through_inline_urls(tmp_path, monkeypatch):
    from kratom_report.compose.templating import Templates
    from kratom_report.compose.theme import extra_css
    from kratom_report.errors import ProblemsError
    from kratom_report.source.project import load_project

    root = tmp_path / "themed"
    shutil.copytree(FIXTURES / "themed", root)
    (root / "templates").mkdir()
    (root / "templates" / "x.css").write_text("@Import 'y.css';\na { b: \\75 rl(x.png) }\n")
    (root / "templates" / "x.png").write_bytes(b"png")
    with pytest.raises(ProblemsError) as info:
        Templates.for_root(root).inline_css("x.css")
    assert [str(p) for p in info.value.problems] == [
        "templates/x.css:1:1: @import is refused in templates/x.css; put the rules in this file; "
        "stylesheets may use only files inside templates/"]
    (root / "report" / "theme" / "extra.css").write_text("h1 { background: URL(logo.png) }\n")
    project = load_project(root)
    assert "data:image/png;base64," in extra_css(project, project.report.theme.css)
    monkeypatch.setattr(csspolicy, "remote", lambda _target: True)
    with pytest.raises(ProblemsError) as theme:
        extra_css(project, project.report.theme.css)
    assert {p.message.split(") ", 1)[1] for p in theme.value.problems} == {
        "is not a file inside the report folder (remote and other URLs are refused); a theme "
        "stylesheet may use only files inside the report folder"}


# --- report.yaml's limits -------------------------------------------------------------------

@pytest.fixture(scope="module")
def report_data() -> dict:
    return yaml.safe_load((FIXTURES / "tiny" / "report" / "report.yaml").read_text())


@pytest.mark.parametrize("value", [0, -1, 1001, True, float("inf"), float("nan"), "5"])
def test_a_bad_max_file_mb_is_refused_by_the_model_and_ignored_by_the_quick_reader(
        value, report_data, tmp_path):
    from kratom_report.source.models import Report
    from kratom_report.source.parts import report_parts
    from kratom_report.source.reportfile import quick_limit

    with pytest.raises(ValidationError, match="max_file_mb"):
        Report.model_validate({**report_data, "max_file_mb": value})
    (tmp_path / "report").mkdir()
    (tmp_path / "report" / "report.yaml").write_text(
        yaml.safe_dump({**report_data, "max_file_mb": value}))
    assert quick_limit(tmp_path) == 5_000_000
    assert report_parts(None, {**report_data, "max_file_mb": value}).max_bytes == 5_000_000


@pytest.mark.parametrize("value", [1000, 0.5, 7])
def test_a_good_max_file_mb_means_the_same_to_the_model_and_the_quick_reader(
        value, report_data, tmp_path):
    from kratom_report.source.models import Report
    from kratom_report.source.parts import report_parts
    from kratom_report.source.reportfile import quick_limit

    report = Report.model_validate({**report_data, "max_file_mb": value})
    (tmp_path / "report").mkdir()
    (tmp_path / "report" / "report.yaml").write_text(
        yaml.safe_dump({**report_data, "max_file_mb": value}))
    expected = int(value * 1_000_000)
    assert quick_limit(tmp_path) == report_parts(report, None).max_bytes == expected


# --- one way to hash ------------------------------------------------------------------------

def test_cache_keys_and_content_fingerprints_are_the_one_canonical_hash():
    from kratom_report.compose.editions import content_fingerprint
    from kratom_report.references.refcache import item_key

    a, b = {"id": "x", "title": "Ä", "n": [1, 2]}, {"n": [1, 2], "title": "Ä", "id": "x"}
    assert item_key(a) == item_key(b) == content_fingerprint(b) == fingerprint.json_digest(a)
    assert fingerprint.json_digest(a) == fingerprint.digest('{"id":"x","n":[1,2],"title":"Ä"}')


def test_every_record_takes_tool_versions_from_the_one_list(tiny, monkeypatch):
    from kratom_report.build import BuildRequest, source_fingerprint

    before = source_fingerprint(tiny, BuildRequest())
    monkeypatch.setattr(fingerprint, "TOOLS", (*fingerprint.TOOLS, "pytest"))
    assert source_fingerprint(tiny, BuildRequest()) != before


def test_a_style_report_yaml_names_outside_report_is_an_input(tiny):
    """A CSL style beside report/ changes the output: the no-change rebuild must see it."""
    from kratom_report.build import BuildRequest, source_fingerprint

    (tiny / "styles").mkdir()
    style = tiny / "styles" / "house.csl"
    style.write_text("<style/>\n", encoding="utf-8")
    report = tiny / "report" / "report.yaml"
    data = yaml.safe_load(report.read_text(encoding="utf-8"))
    data["citation_style"] = "../styles/house.csl"
    report.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    before = source_fingerprint(tiny, BuildRequest())
    style.write_text("<style><!-- edited --></style>\n", encoding="utf-8")
    assert source_fingerprint(tiny, BuildRequest()) != before
