"""The release site, written by a real release: links, downloads, checksums, metadata, feed."""

from __future__ import annotations

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
                         "bytes": 9, "sha256": hashlib.sha256(b"old bytes").hexdigest()}
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
    web = {r.edition.id: web_from(r, templates, env) for r in printed}
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
        "releases/1.0.0/manifest.json: not a release manifest (KeyError: 'editions'); "
        "restore it from version control")
