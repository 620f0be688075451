"""The web edition of the shipped report, read back: landmarks, headings, links, size, numbering."""

from __future__ import annotations

import base64
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from kratom_report.cli import main
from kratom_report.compose.web import link_back
from kratom_report.pipeline import Composer
from kratom_report.publish.output import output_name
from kratom_report.source.project import load_project

from conftest import FIXTURES, REPO

MAX_BYTES = 600_000


class Page(HTMLParser):
    """Tags with their attributes in order, ids, and the text inside each element with an id."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.ids: dict[str, str] = {}
        self.headings: list[int] = []
        self.text: dict[str, list[str]] = {}
        self._open: list[tuple[str, str | None]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.tags.append((tag, a))
        if "id" in a:
            assert a["id"] not in self.ids, f"duplicate id {a['id']}"
            self.ids[a["id"]] = tag
            self.text[a["id"]] = []
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag not in ("meta", "link", "br", "img", "hr", "input", "path", "rect", "line",
                       "circle", "polyline", "polygon"):
            self._open.append((tag, a.get("id")))

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            if self._open.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        for _, ident in self._open:
            if ident:
                self.text[ident].append(data)

    def all(self, tag: str) -> list[dict[str, str]]:
        return [a for t, a in self.tags if t == tag]

    def said(self, ident: str) -> str:
        return " ".join("".join(self.text[ident]).split())


@pytest.fixture(scope="module")
def web(shipped):
    out = shipped.build("--format", "web")
    report = yaml.safe_load((REPO / "report" / "report.yaml").read_text(encoding="utf-8"))
    stem = f"{report['slug']}-{{}}-v{report['version']}"
    files = {ed["id"]: next(out.glob(stem.format(ed["id"]) + "*.html"))  # a draft: -draft
             for ed in report["editions"]}
    return {e: (path, path.read_text(encoding="utf-8")) for e, path in files.items()}


def test_each_edition_is_small_enough_to_read_on_a_phone(web):
    for edition, (path, _) in web.items():
        assert path.stat().st_size <= MAX_BYTES, (edition, path.stat().st_size)


def test_landmarks_and_headings_in_order(web):
    for edition, (_, html) in web.items():
        page = Page(html)
        tags = [t for t, _ in page.tags]
        assert tags.count("main") == 1 and tags.count("article") == 1, edition
        assert tags.count("header") == 1 and tags.count("footer") == 1, edition
        navs = page.all("nav")
        assert len(navs) == 1 and page.said(navs[0]["aria-labelledby"]) == "Contents"
        assert page.headings[0] == 1 and page.headings.count(1) == 1, edition
        for before, after in zip(page.headings, page.headings[1:], strict=False):
            assert after <= before + 1, (edition, before, after)
        assert "script" not in tags and "iframe" not in tags, edition
        assert not [a for _, a in page.tags if any(k.startswith("on") for k in a)], edition


def test_callouts_figures_and_tables_are_named(web):
    _, html = web["clinician"]
    page = Page(html)
    asides = page.all("aside")
    assert asides, "the clinician edition has callouts"
    for aside in asides:
        assert page.said(aside["aria-labelledby"]), aside
    assert page.all("figure") and len(page.all("figcaption")) == len(page.all("figure"))
    assert page.all("table") and len(page.all("caption")) == len(page.all("table"))
    for th in page.all("th"):
        assert th.get("scope") in ("col", "row"), th
    for region in (a for t, a in page.tags if t == "section" and "tabindex" in a):
        assert page.said(region["aria-labelledby"]), region  # a scrolling table has a name


def test_every_citation_links_to_its_entry_and_every_entry_links_back(web):
    for edition, (_, html) in web.items():
        page = Page(html)
        links = [a["href"][1:] for a in page.all("a") if a.get("href", "").startswith("#")]
        assert links, edition
        missing = [target for target in links if target not in page.ids]
        assert missing == [], (edition, missing[:5])
        entries = [i for i in page.ids if re.fullmatch(r"ref-\d+", i)]
        cites = [a for t, a in page.tags if (t, a.get("class")) in (("sup", "cite"),
                                                                    ("span", "cite-list"))]
        assert cites and all(c.get("id") for c in cites), edition
        back = {a["href"][1:] for a in page.all("a") if a.get("aria-label", "")
                .startswith("Back to")}
        assert back == {c["id"] for c in cites}, edition  # each citation is reached back
        assert all(page.ids[i] == "li" for i in entries)
        unlinked = [i for i in entries if "↩" not in page.said(i)]
        assert unlinked == [], (edition, unlinked)


def test_dois_are_links(web):
    for edition, (_, html) in web.items():
        html = html.replace("<wbr>", "")  # break opportunities inside a long DOI
        shown = re.findall(r"doi:(10\.[^<\s]+)", html)
        linked = re.findall(r'<a href="https://doi\.org/(10\.[^"]+)">doi:', html)
        assert shown and sorted(shown) == sorted(linked), edition


def test_nothing_is_fetched_and_nothing_runs_in_the_page(web):
    for edition, (_, html) in web.items():
        page = Page(html)
        for tag, attrs in page.tags:
            assert attrs.get("src", "data:").startswith("data:"), (edition, tag)
        assert "@import" not in html and not re.search(r"url\(\s*['\"]?(https?:)?//", html)
        assert "running" not in [a.get("class") for _, a in page.tags], edition


def test_fonts_are_embedded_woff2_subsets_that_cover_the_text(web):
    """Inter as in print, subset (scripts/web_fonts.py) and inline: every character the page
    shows is in the subset, so no reader sees a system font stand in for part of the text."""
    import base64
    import io

    from fontTools.ttLib import TTFont

    for edition, (_, html) in web.items():
        faces = re.findall(r'url\("data:font/woff2;base64,([A-Za-z0-9+/=]+)"\)', html)
        assert len(faces) == 3, edition
        cmaps = [set(TTFont(io.BytesIO(base64.b64decode(f))).getBestCmap()) for f in faces]
        assert all(len(c) < 1000 for c in cmaps), "a subset, not the whole font"
        body = html[html.index("<body"):]
        text = re.sub(r"<svg.*?</svg>", " ", re.sub(r"<style.*?</style>", " ", body, flags=re.S),
                      flags=re.S)
        import html as html_module
        shown = {ord(c) for c in html_module.unescape(re.sub(r"<[^>]+>", " ", text))
                 if not c.isspace() and c not in "\u00ad\u200b"}
        for cmap in cmaps:
            assert sorted(chr(c) for c in shown - cmap) == [], edition


def _cited_numbers(html: str) -> list[str]:
    return re.findall(r'<a href="#ref-(\d+)"', "".join(
        re.findall(r'<sup class="cite"[^>]*>.*?</sup>', html, flags=re.S)))


def test_the_same_numbering_and_references_as_the_pdf(web):
    project = load_project(REPO)
    composer = Composer.for_project(project)  # as build and release compose: summaries too
    for edition, (_, html) in web.items():
        printed = composer.edition(edition)
        assert _cited_numbers(html) == _cited_numbers(printed.html), edition
        # A release makes its web editions from the editions it composed for the PDFs.
        assert composer.web(printed).html == html, edition
        page = Page(html)
        entries = [page.said(f"ref-{n}").split(" ", 1)[1].split(" ↩")[0]
                   for n in range(1, len(printed.cited) + 1)]
        assert entries == list(printed.entries), edition
        assert f"ref-{len(printed.cited) + 1}" not in page.ids, edition
        for section in printed.payload["sections"]:
            assert section["id"] in page.ids, (edition, section["id"])


def test_back_links_cover_ranges_and_leave_author_links_alone():
    html = ('<p><sup class="cite"><a href="#ref-3">3</a>–<a href="#ref-6">6</a>(p. 12)</sup> '
            '<a href="#ref-3">see 3</a><sup class="cite"><a href="#ref-4">4</a></sup></p>'
            '<li id="ref-4"><!--backlinks 4--></li><li id="ref-7"><!--backlinks 7--></li>')
    assert link_back(html) == (
        '<p><sup class="cite" id="cite-at-1"><a href="#ref-3">3</a>–<a href="#ref-6">6</a>'
        '(p. 12)</sup> <a href="#ref-3">see 3</a><sup class="cite" id="cite-at-2">'
        '<a href="#ref-4">4</a></sup></p><li id="ref-4"> <span class="backlinks">'
        '<a href="#cite-at-1" aria-label="Back to citation 1 of 2 of reference 4">↩1</a>'
        '<a href="#cite-at-2" aria-label="Back to citation 2 of 2 of reference 4">↩2</a>'
        '</span></li><li id="ref-7"></li>')


def test_a_draft_web_edition_says_so_and_is_named_like_a_draft_pdf(tmp_path: Path):
    root = tmp_path / "tiny"
    shutil.copytree(FIXTURES / "tiny", root)
    changelog = root / "report" / "changelog.yaml"
    changelog.write_text(changelog.read_text().replace("    date: 2026-11-25\n", ""))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", "--source", str(root), "--format", "web",
                                       "--edition", "clinician", "--out", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    [path] = sorted(out.glob("*.html"))
    assert path.name.endswith("-clinician-v1.0.0-draft.html")
    assert '<p class="draft-banner">DRAFT — NOT FOR DISTRIBUTION</p>' in path.read_text()


# --- file names: the print HTML and the web edition never overwrite each other ---------------
@pytest.mark.parametrize(("fmt", "variant", "draft", "since", "name"), [
    ("html", "pdf/ua-1", False, None, "s-e-v1.0.0-print.html"),
    ("html", "pdf/ua-1", True, None, "s-e-v1.0.0-draft-print.html"),
    ("web", "pdf/ua-1", False, None, "s-e-v1.0.0.html"),
    ("web", "pdf/ua-1", True, None, "s-e-v1.0.0-draft.html"),
    ("web", "pdf/ua-1", False, "0.9.0", "s-e-v1.0.0-changes-since-0.9.0.html"),
    ("pdf", "pdf/ua-1", True, None, "s-e-v1.0.0-draft.pdf"),
    ("pdf", "pdf/a-3a", False, None, "s-e-v1.0.0-pdfa.pdf"),
])
def test_output_names(fmt, variant, draft, since, name):
    assert output_name("s", "e", "1.0.0", fmt, variant, draft=draft, since=since) == name


def test_print_html_and_web_edition_both_survive_two_builds(tmp_path: Path):
    root = tmp_path / "tiny"
    shutil.copytree(FIXTURES / "tiny", root)
    out = tmp_path / "out"
    for fmt in ("html", "web"):
        result = CliRunner().invoke(main, ["build", "--source", str(root), "--format", fmt,
                                           "--edition", "clinician", "--out", str(out)],
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
    printed = out / "tiny-briefing-clinician-v1.0.0-print.html"
    web = out / "tiny-briefing-clinician-v1.0.0.html"
    assert sorted(p.name for p in out.glob("*.html")) == [printed.name, web.name]
    assert "@page" in printed.read_text() and 'class="masthead"' not in printed.read_text()
    assert 'class="masthead"' in web.read_text() and "@page" not in web.read_text()


# --- a themed web edition: the theme's logo, and every font it names is in the page ----------
_FACE = re.compile(r'@font-face\s*\{[^}]*?font-family:\s*"([^"]+)"')


def _families(value: str) -> list[str]:
    return [f.strip().strip("\"'") for f in value.split(",") if "var(" not in f]


@pytest.fixture(scope="module")
def themed_web(tmp_path_factory) -> dict[str, str]:
    """The themed fixture's web edition, and a copy whose theme has only a fallback font."""
    tmp = tmp_path_factory.mktemp("themed-web")
    found = {}
    for name, cut in (("fonts", None), ("fallback-only", "  fonts:\n")):
        root = tmp / name
        shutil.copytree(FIXTURES / "themed", root)
        if cut:
            report = root / "report" / "report.yaml"
            text = report.read_text(encoding="utf-8")
            start = text.index(cut)
            end = text.index("  fallback_fonts:")
            report.write_text(text[:start] + text[end:], encoding="utf-8")
        result = CliRunner().invoke(main, ["build", "--source", str(root), "--format", "web",
                                           "--out", str(root / "out")], catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
        [path] = (root / "out").glob("*.html")
        found[name] = path.read_text(encoding="utf-8")
    return found


@pytest.mark.parametrize(("case", "text_fonts"), [
    ("fonts", ["Atkinson Hyperlegible", "DejaVu Sans"]),
    ("fallback-only", ["Inter", "DejaVu Sans"]),
])
def test_a_themed_web_edition_embeds_every_font_its_figures_and_text_name(themed_web, case,
                                                                        text_fonts):
    html = themed_web[case]
    embedded = set(_FACE.findall(html))
    figures = {f for m in re.finditer(r'<g font-family="([^"]+)"', html)
               for f in _families(m.group(1))}
    assert figures == set(text_fonts), case  # the figures name the theme's fonts
    assert figures <= embedded, (case, figures - embedded)
    [rule] = re.findall(r"body, \.figure-art svg text \{ font-family: ([^;]+); \}", html)
    assert _families(rule) == text_fonts, case  # the text names them too, first
    assert set(text_fonts) <= embedded, case


def test_a_themed_web_edition_shows_the_logo_in_its_masthead(themed_web):
    logo = base64.b64encode((FIXTURES / "themed" / "report" / "theme" / "logo.svg")
                            .read_bytes()).decode("ascii")
    page = Page(themed_web["fonts"])
    header = next(i for i, (t, a) in enumerate(page.tags) if a.get("class") == "masthead")
    tag, attrs = page.tags[header + 1]
    assert (tag, attrs) == ("img", {"class": "masthead-logo", "alt": "Evidence Fixture Group",
                                    "src": f"data:image/svg+xml;base64,{logo}"})
