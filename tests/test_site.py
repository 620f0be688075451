"""The release site, written by a real release: links, downloads, checksums, metadata, feed."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

import bibtexparser
import feedparser
import pytest
from click.testing import CliRunner

from kratom_report.build import render_html
from kratom_report.cli import main
from kratom_report.compose.templating import Templates
from kratom_report.compose.web import web_from
from kratom_report.publish.records import RecordError
from kratom_report.publish.site import site_files
from kratom_report.source.project import load_project
from test_web import Page

from conftest import FIXTURES

SUBTITLE = 'Tags <b>stay</b> text & "quotes"'
OLD = "0.9.0"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A release of the tiny report, with an earlier version of which one PDF was kept."""
    tmp = tmp_path_factory.mktemp("site")
    root = tmp / "tiny"
    shutil.copytree(FIXTURES / "tiny", root)
    report = root / "report" / "report.yaml"
    report.write_text(report.read_text().replace(
        "subtitle: A fixture for the test suite", f"subtitle: '{SUBTITLE}'"))
    changelog = root / "report" / "changelog.yaml"
    changelog.write_text(changelog.read_text() + (
        f'  - version: "{OLD}"\n    date: 2026-01-10\n    changes:\n'
        "      - A first look <i>only</i>.\n"))
    out = tmp / "public"
    old = {"slug": "tiny-briefing", "title": "Tiny evidence briefing", "version": OLD,
           "date": "2026-01-10",
           "editions": [{"edition": e, "file": f"tiny-briefing-{e}-v{OLD}.pdf", "pages": 3,
                         "bytes": 9, "sha256": hashlib.sha256(b"old bytes").hexdigest(),
                         "version": OLD, "date": "2026-01-10",
                         "content_fingerprint": "0" * 64, "build_fingerprint": "1" * 64}
                        for e in ("clinician", "policymaker")]}
    (root / "releases" / OLD).mkdir(parents=True)
    (root / "releases" / OLD / "manifest.json").write_text(json.dumps(old))
    (out / OLD).mkdir(parents=True)
    (out / OLD / f"tiny-briefing-clinician-v{OLD}.pdf").write_bytes(b"old bytes")
    result = CliRunner().invoke(main, ["release", "--source", str(root), "--out", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return {"root": root, "out": out}


def pages(out: Path) -> dict[Path, Page]:
    return {p: Page(p.read_text(encoding="utf-8")) for p in sorted(out.rglob("*.html"))}


def test_the_site_has_its_pages_feed_and_citation_files(site):
    out = site["out"]
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    for name in ("index.html", "feed.xml", "cite.bib", "cite.ris", "cite.json",
                 "1.0.0/index.html", "1.0.0/tiny-briefing-clinician-v1.0.0.html",
                 "1.0.0/tiny-briefing-clinician-v1.0.0.pdf", f"{OLD}/index.html"):
        assert name in names, name


def test_every_relative_link_and_download_resolves(site):
    out = site["out"]
    found = pages(out)
    checked = 0
    for path, page in found.items():
        for tag, attrs in page.tags:
            href = attrs.get("href") or attrs.get("src")
            if href is None or tag == "use":
                continue
            parts = urlsplit(href)
            assert not parts.scheme or parts.scheme in ("https", "data"), (path, href)
            if parts.scheme:
                continue
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            assert target.is_file() and target.is_relative_to(out.resolve()), (path, href)
            if parts.fragment:
                assert parts.fragment in found[target].ids, (path, href)
            checked += 1
    assert checked > 50


def test_checksums_on_the_pages_match_the_files(site):
    out = site["out"]
    html = (out / "index.html").read_text(encoding="utf-8")
    cards = re.findall(r'<a href="([^"]+\.pdf)" type="application/pdf" download>.*?'
                       r"SHA-256 <code>([0-9a-f]{64})</code>", html, flags=re.S)
    assert len(cards) == 2
    for href, sha in cards:
        assert hashlib.sha256((out / href).read_bytes()).hexdigest() == sha, href
    copies = re.findall(r'<a href="([^"]+-pdfa\.pdf)" type="application/pdf" download>'
                        r".*?Archival copy SHA-256 <code>([0-9a-f]{64})</code>", html, flags=re.S)
    assert len(copies) == 2
    for href, sha in copies:
        assert hashlib.sha256((out / href).read_bytes()).hexdigest() == sha, href
    old = (out / OLD / "index.html").read_text(encoding="utf-8")
    assert old.count("download>Download PDF") == 1  # only the file the folder still holds
    assert "Archival copy" not in old  # its record, from before archival copies, lists none
    assert f"PDF not kept in this folder (tiny-briefing-policymaker-v{OLD}.pdf)" in old


def test_highwire_and_open_graph_tags_read_back(site):
    out = site["out"]
    for path in (out / "index.html", out / "1.0.0" / "index.html"):
        page = Page(path.read_text(encoding="utf-8"))
        meta: dict[str, list[str]] = {}
        for attrs in page.all("meta"):
            key = attrs.get("name") or attrs.get("property")
            meta.setdefault(key, []).append(attrs.get("content", ""))
        assert meta["citation_title"] == [f"Tiny evidence briefing: {SUBTITLE}"]
        assert meta["citation_author"] == ["Test Author"]
        assert meta["citation_publication_date"] == ["2026/11/25"]
        assert meta["citation_technical_report_institution"] == ["Fixture Unit"]
        [pdf] = meta["citation_pdf_url"]
        assert pdf.endswith("tiny-briefing-clinician-v1.0.0.pdf")
        assert (path.parent / pdf).read_bytes()[:5] == b"%PDF-"
        assert meta["og:title"] == meta["citation_title"]
        alternates = [a for a in page.all("link") if a.get("rel") == "alternate"]
        assert {a["type"] for a in alternates} == {"text/html", "application/pdf",
                                                   "application/atom+xml"}


def test_text_is_escaped_everywhere(site):
    out = site["out"]
    for path in [*out.rglob("*.html"), out / "feed.xml"]:
        text = path.read_text(encoding="utf-8")
        assert "<b>stay</b>" not in text and "<i>only</i>" not in text, path
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "Tags &lt;b&gt;stay&lt;/b&gt; text &amp; &#34;quotes&#34;" in index


def test_the_atom_feed_parses_with_one_entry_per_release(site):
    feed = feedparser.parse((site["out"] / "feed.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert [e.id for e in feed.entries] == ["tag:tiny-briefing,2026-11-25:1.0.0",
                                           f"tag:tiny-briefing,2026-01-10:{OLD}"]
    assert [e.link for e in feed.entries] == ["1.0.0/index.html", f"{OLD}/index.html"]
    assert feed.entries[0].summary == "First release."
    assert feed.entries[1].content[0].value == \
        "<ul><li>A first look &lt;i&gt;only&lt;/i&gt;.</li></ul>"
    assert feed.feed.updated == "2026-11-25T00:00:00Z"


def test_the_citation_files_describe_the_briefing(site):
    out = site["out"]
    [entry] = bibtexparser.parse_string((out / "cite.bib").read_text()).entries
    assert entry.entry_type == "techreport" and entry.key == "tiny-briefing-1.0.0"
    assert entry.fields_dict["institution"].value == "Fixture Unit"
    ris = (out / "cite.ris").read_bytes().decode("utf-8").split("\r\n")
    assert ris[0] == "TY  - RPRT" and "DA  - 2026/11/25" in ris and ris[-2] == "ER  - "
    [csl] = json.loads((out / "1.0.0" / "cite.json").read_text())
    assert csl["type"] == "report" and csl["issued"] == {"date-parts": [[2026, 11, 25]]}


def test_releasing_again_rewrites_the_same_site(site, cli):
    out = site["out"]
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    result = cli("release", "--source", site["root"], "--out", out)
    assert result.exit_code == 0, result.stderr
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_the_site_is_made_from_the_composed_editions(site):
    """What a release adds to its PDFs: the web editions from the composed editions, the pages.

    (What that costs is measured by benchmarks/site.py, not here.)
    """
    project = load_project(site["root"])
    templates = Templates.for_root(project.root)
    printed = render_html(project, [e.id for e in project.report.editions], None)
    env = templates.environment()  # a fresh one, as each release has
    web = {r.edition.id: web_from(project, r, templates, env) for r in printed}
    files = site_files(project, site["out"], "1.0.0", web, templates, env)
    assert {path: data for path, data in files} == {
        path: path.read_bytes() for path, _ in files}  # what the release wrote, byte for byte


def test_a_damaged_release_record_is_named(tmp_path: Path):
    root = tmp_path / "tiny"
    shutil.copytree(FIXTURES / "tiny", root)
    (root / "releases" / "1.0.0").mkdir(parents=True)
    (root / "releases" / "1.0.0" / "manifest.json").write_text('{"date": "2026-11-25"}')
    project = load_project(root)
    with pytest.raises(RecordError) as caught:
        site_files(project, tmp_path / "out", "1.0.0", {}, Templates.for_root(root))
    assert str(caught.value) == (
        "releases/1.0.0/manifest.json: not a valid release manifest (slug: Field required "
        "and 3 more); restore it from version control")


# --- a themed report with two editions whose report.yaml order is not their id order ---------
THEMED_ORDER = ["Clinician edition", "Advocate edition"]  # report.yaml's order


def _themed_pages(release: dict[str, Path]) -> dict[str, Path]:
    folder = release["folder"]
    return {"landing": release["out"] / "index.html", "version": folder / "index.html",
            **{e: folder / f"themed-briefing-{e}-v1.0.0.html" for e in ("clinician", "advocate")}}


def test_every_site_page_carries_the_theme_colours_logo_and_fonts(themed_release):
    logo = base64.b64encode((themed_release["root"] / "report" / "theme" / "logo.svg")
                            .read_bytes()).decode("ascii")
    for name, path in _themed_pages(themed_release).items():
        html = path.read_text(encoding="utf-8")
        page = Page(html)
        [img] = [a for a in page.all("img") if a.get("class") == "masthead-logo"]
        assert img == {"class": "masthead-logo", "src": f"data:image/svg+xml;base64,{logo}",
                       "alt": "Evidence Fixture Group"}, name
        assert ("@media (prefers-color-scheme: light) { :root { --ink: #2b2118; "
                "--muted: #5a4f45; } }") in html, name
        assert '@font-face { font-family: "Atkinson Hyperlegible"; font-weight: 400; ' \
               'font-style: normal; src: url("data:font/woff2;base64,' in html, name
        assert 'body, .figure-art svg text { font-family: "Atkinson Hyperlegible", ' \
               '"DejaVu Sans", var(--sans); }' in html, name
        # the theme comes after the built-in stylesheet, so it wins where both speak
        assert html.index("--ink: #2b2118") > html.index("--ink: #1b1f24"), name


def test_a_site_without_a_theme_has_no_theme_stylesheet_or_logo(site):
    for path in (site["out"] / "index.html", site["out"] / "1.0.0" / "index.html",
                 site["out"] / "1.0.0" / "tiny-briefing-clinician-v1.0.0.html"):
        html = path.read_text(encoding="utf-8")
        assert "masthead-logo" not in html and "prefers-color-scheme: light" not in html, path


def _card_titles(html: str) -> list[str]:
    return re.findall(r'<li class="card">\s*<h3>([^<]+)</h3>', html)


def test_editions_are_listed_in_report_yaml_order_and_records_by_id(themed_release):
    pages_ = _themed_pages(themed_release)
    for name in ("landing", "version"):
        html = pages_[name].read_text(encoding="utf-8")
        assert _card_titles(html) == THEMED_ORDER, name
        alternates = [a["title"] for a in Page(html).all("link")
                      if a.get("type") == "text/html"]
        assert alternates == [f"{t} (read online)" for t in THEMED_ORDER], name
        [pdf] = [a["content"] for a in Page(html).all("meta")
                 if a.get("name") == "citation_pdf_url"]
        assert pdf.endswith("themed-briefing-clinician-v1.0.0.pdf"), name  # the first edition
    folder = themed_release["folder"]
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert [row["edition"] for row in manifest["editions"]] == ["advocate", "clinician"]
    sums = (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    assert [line.split()[1].split("-")[2] for line in sums] == [
        "advocate", "advocate", "clinician", "clinician"]  # each PDF, then its archival copy


def _meta(path: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for attrs in Page(path.read_text(encoding="utf-8")).all("meta"):
        if attrs.get("name", "").startswith("citation_"):
            found.setdefault(attrs["name"], []).append(attrs["content"])
    return found


@pytest.mark.parametrize("which", ["tiny", "themed"])
def test_every_edition_page_carries_highwire_tags_naming_its_own_pdf(which, site,
                                                                    themed_release):
    release = site if which == "tiny" else themed_release
    slug, title, author, org, date = {
        "tiny": ("tiny-briefing", f"Tiny evidence briefing: {SUBTITLE}", "Test Author",
                 "Fixture Unit", "2026/11/25"),
        "themed": ("themed-briefing", "Kratom and opioid withdrawal: A themed fixture",
                   "Fixture Author", "Evidence Fixture Group", "2026/12/02")}[which]
    folder = release["out"] / "1.0.0"
    editions = sorted(p.name.split("-")[2] for p in folder.glob(f"{slug}-*-v1.0.0.html"))
    assert len(editions) == 2
    for edition in editions:
        pdf = f"{slug}-{edition}-v1.0.0.pdf"
        assert _meta(folder / f"{slug}-{edition}-v1.0.0.html") == {
            "citation_title": [title], "citation_author": [author],
            "citation_publication_date": [date],
            "citation_technical_report_institution": [org], "citation_publisher": [org],
            "citation_technical_report_number": ["Version 1.0.0"],
            "citation_language": ["en"], "citation_pdf_url": [pdf]}, edition
        assert (folder / pdf).read_bytes()[:5] == b"%PDF-"
