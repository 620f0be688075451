"""The release folder's citation files (CITATION.cff, zenodo.json), its accessibility
statement, absolute URLs with site.base_url, DOIs, the favicon and the Accessibility page."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kratom_report.cli import main

from conftest import FIXTURES, pdftext

BASE = "https://briefings.example.org/tiny"
CONCEPT, VERSION_DOI = "10.5281/zenodo.1000000", "10.5281/zenodo.1000001"


@pytest.fixture(scope="session")
def cited(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The tiny report with site.base_url, a concept DOI and the version's DOI, released."""
    tmp = tmp_path_factory.mktemp("cited")
    root = tmp / "tiny"
    shutil.copytree(FIXTURES / "tiny", root, ignore=shutil.ignore_patterns("releases"))
    report = root / "report" / "report.yaml"
    report.write_text(report.read_text() + f"site:\n  base_url: {BASE}\ndoi: {CONCEPT}\n")
    changelog = root / "report" / "changelog.yaml"
    text = changelog.read_text()
    assert text.count('version: "1.0.0"') == 1, text
    changelog.write_text(text.replace('version: "1.0.0"',
                                      f'version: "1.0.0"\n    doi: {VERSION_DOI}', 1))
    out = tmp / "public"
    result = CliRunner().invoke(main, ["release", "--source", str(root), "--out", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return {"root": root, "out": out, "folder": out / "1.0.0"}


def test_citation_cff_is_valid_for_cffconvert(cited: dict[str, Path]) -> None:
    cff = cited["folder"] / "CITATION.cff"
    done = subprocess.run([str(Path(sys.executable).with_name("cffconvert")), "--validate",
                           "-i", str(cff)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "valid" in done.stdout
    text = cff.read_text()
    assert f"doi: {VERSION_DOI}" in text and f"value: {CONCEPT}" in text
    assert f"url: {BASE}/1.0.0/index.html" in text
    assert "date-released: '2026-" in text or "date-released: \"2026-" in text or \
        re.search(r"date-released: '?\d{4}-\d\d-\d\d", text)


def test_zenodo_json_holds_the_deposit_fields(cited: dict[str, Path]) -> None:
    meta = json.loads((cited["folder"] / "zenodo.json").read_text())
    assert meta["title"] == "Tiny evidence briefing: A fixture for the test suite"
    assert meta["upload_type"] == "publication" and meta["publication_type"] == "report"
    assert meta["creators"] == [{"name": "Test Author", "affiliation": "Fixture Unit"}]
    assert meta["version"] == "1.0.0" and meta["license"] == "cc-by-4.0"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", meta["publication_date"])
    assert meta["doi"] == VERSION_DOI
    related = {r["identifier"]: r["relation"] for r in meta["related_identifiers"]}
    assert related == {
        f"{BASE}/1.0.0/tiny-briefing-clinician-v1.0.0.pdf": "hasPart",
        f"{BASE}/1.0.0/tiny-briefing-policymaker-v1.0.0.pdf": "hasPart",
        CONCEPT: "isVersionOf"}


def test_no_relative_url_in_the_sites_metadata_with_base_url(cited: dict[str, Path]) -> None:
    out = cited["out"]
    pages = [out / "index.html", out / "1.0.0" / "index.html",
             *sorted((out / "1.0.0").glob("tiny-briefing-*.html"))]
    assert len(pages) == 4
    for page in pages:
        html = page.read_text()
        head = html[:html.index("</head>")]
        urls = re.findall(r'<meta (?:name="citation_pdf_url"|property="og:url") content="([^"]*)"'
                          r'|<link rel="(?:canonical|alternate)" type="application/atom\+xml"'
                          r'[^>]*href="([^"]*)"|<link rel="canonical" href="([^"]*)"', head)
        found = [u for group in urls for u in group if u]
        assert found, page
        assert all(u.startswith(BASE + "/") for u in found), (page, found)
        assert f'<meta name="citation_doi" content="{VERSION_DOI}">' in head
        assert '<meta name="citation_title"' in head and '<meta name="citation_author"' in head
        assert '<meta name="citation_publication_date"' in head
    feed = (out / "feed.xml").read_text()
    assert all(h.startswith(BASE + "/") for h in re.findall(r'href="([^"]*)"', feed))
    page = (out / "1.0.0" / "index.html").read_text()
    assert f'<a href="https://doi.org/{VERSION_DOI}">https://doi.org/{VERSION_DOI}</a>' in page
    assert '"DOI": "' + VERSION_DOI in (out / "1.0.0" / "cite.json").read_text()


def test_favicon_is_served(cited: dict[str, Path]) -> None:
    icon = (cited["out"] / "favicon.ico").read_bytes()
    assert icon[:4] == b"\x00\x00\x01\x00" and b"\x89PNG" in icon
    assert '<link rel="icon" href="../favicon.ico"' in \
        (cited["out"] / "1.0.0" / "index.html").read_text()


def test_accessibility_statement_counts_what_each_file_holds(cited: dict[str, Path]) -> None:
    import pikepdf

    statement = json.loads((cited["folder"] / "accessibility.json").read_text())
    files = {f["file"]: f for f in statement["files"]}
    pdfs = sorted(p.name for p in cited["folder"].glob("*.pdf"))
    assert set(pdfs) <= set(files)
    tagged = files["tiny-briefing-clinician-v1.0.0.pdf"]
    assert tagged["claims"] == ["PDF/UA-1"]
    archival = files["tiny-briefing-clinician-v1.0.0-pdfa.pdf"]
    assert set(archival["claims"]) == {"PDF/UA-1", "PDF/A-3a"}
    checks = tagged["checks"]
    assert checks["tagged"] and checks["language"] == "en" and checks["title_displayed"]
    with pikepdf.open(cited["folder"] / "tiny-briefing-clinician-v1.0.0.pdf") as pdf:
        fonts = {f.objgen for page in pdf.pages
                 for f in page.obj.Resources.get("/Font", {}).values()}
    assert checks["fonts"] == {"count": len(fonts), "embedded": len(fonts),
                               "mapped_to_unicode": len(fonts)}
    assert checks["figures"]["with_alternative_text"] == checks["figures"]["count"] >= 1
    assert checks["tables"]["header_cells_with_scope"] == checks["tables"]["header_cells"] > 0
    assert checks["headings"]["count"] > 0 and checks["pagination_artifacts"] > 0
    web = files["tiny-briefing-clinician-v1.0.0.html"]
    assert web["targets"] == ["WCAG 2.1 AA"] and web["checks"] == {}
    assert statement["limits"]
    page = (cited["folder"] / "accessibility.html").read_text()
    assert "tiny-briefing-clinician-v1.0.0.pdf" in page and "PDF/UA-1, PDF/A-3a" in page
    assert '<a href="accessibility.html">' in (cited["folder"] / "index.html").read_text()


def test_the_statement_the_workers_measured_is_the_files_read_back(cited: dict[str, Path]
                                                                    ) -> None:
    """Each PDF's checks are taken in the worker that made it; read back from the released
    files, the statement is the same, byte for byte."""
    from kratom_report.publish.accessibility import statement

    folder = cited["folder"]
    recorded = (folder / "accessibility.json").read_text()
    pdfs = {p.name: p.read_bytes() for p in folder.glob("*.pdf")}
    web = [f["file"] for f in json.loads(recorded)["files"] if not f["file"].endswith(".pdf")]
    assert len(pdfs) >= 4 and web
    assert json.dumps(statement("1.0.0", pdfs, web), indent=2, ensure_ascii=False) + "\n" \
        == recorded


def test_workers_measure_each_pdf_only_when_asked(tiny: Path) -> None:
    from kratom_report.pipeline import Composer, plan, produce
    from kratom_report.publish.accessibility import pdf_checks, statement
    from kratom_report.publish.workers import Workers
    from kratom_report.source.project import load_project

    project = load_project(tiny)
    planned = plan(project, editions=["clinician"], variants=["pdf/ua-1", "pdf/a-3a"])
    composer = Composer.for_project(project)
    with Workers(0) as pool:
        made = produce(planned, composer, pool, lambda _m: None, checks=True,
                       wanted=lambda t, _r: not t.summary)
        plain = produce(planned, composer, pool, lambda _m: None,
                        wanted=lambda t, _r: t.variant == "pdf/ua-1" and not t.summary)
    assert [p.target.variant for p in made] == ["pdf/ua-1", "pdf/a-3a"]
    assert [p.checks for p in made] == [pdf_checks(p.data) for p in made]
    assert "PDF/A-3a" in made[1].checks["claims"] and [p.checks for p in plain] == [None]
    # What the worker measured is what the statement says; nothing is measured again.
    measured = {p.target.name: p.checks for p in made}
    pdfs = {p.target.name: b"not read" for p in made}
    files = statement("1.0.0", pdfs, [], measured)["files"]
    assert files == [{"file": name, **measured[name]} for name in sorted(measured)]


def test_without_base_url_pdf_url_stays_relative(themed_release: dict[str, Path]) -> None:
    html = (themed_release["folder"] / "index.html").read_text()
    assert re.search(r'<meta name="citation_pdf_url" content="[^":/]+\.pdf">', html)
    assert 'rel="canonical"' not in html


def _doi_links(pdf: Path) -> list[str]:
    import pikepdf

    with pikepdf.open(pdf) as doc:
        return [str(a.A.URI) for page in doc.pages for a in page.obj.get("/Annots", [])
                if "/A" in a and "/URI" in a.A and "doi.org/10.5281" in str(a.A.URI)]


def test_the_versions_doi_is_printed_on_the_cover_and_in_how_to_cite(
        cited: dict[str, Path]) -> None:
    url = f"https://doi.org/{VERSION_DOI}"
    for name in ("tiny-briefing-clinician-v1.0.0.pdf", "tiny-briefing-clinician-v1.0.0-pdfa.pdf",
                 "tiny-briefing-policymaker-v1.0.0.pdf"):
        pdf = cited["folder"] / name
        pages = pdftext(pdf).split("\f")
        cover = " ".join(pages[0].split())
        assert f"Authors Test Author DOI {url} Content fingerprint" in cover, (name, cover)
        cite = "".join(pdftext(pdf).split())  # the line may break after https://
        assert f"FixtureUnit;2026.{url}" in cite, name
        links = _doi_links(pdf)  # a link broken over two lines is two annotations
        assert set(links) == {url} and len(links) >= 2, (name, links)
        assert CONCEPT not in pdftext(pdf)  # the version's own DOI wins
    web = (cited["folder"] / "tiny-briefing-clinician-v1.0.0.html").read_text()
    assert f'2026. <a href="{url}">{url}</a></p>' in web


def test_the_concept_doi_is_printed_when_the_version_has_none(
        cited: dict[str, Path], tmp_path: Path) -> None:
    root = tmp_path / "tiny"
    shutil.copytree(cited["root"], root, ignore=shutil.ignore_patterns("releases"))
    changelog = root / "report" / "changelog.yaml"
    changelog.write_text(changelog.read_text().replace(f"\n    doi: {VERSION_DOI}", ""))
    result = CliRunner().invoke(main, ["build", "--source", str(root), "--format", "html",
                                       "--edition", "clinician", "--out", str(tmp_path / "o")],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    html = (tmp_path / "o" / "tiny-briefing-clinician-v1.0.0-print.html").read_text()
    url = f"https://doi.org/{CONCEPT}"
    assert f'<dt>DOI</dt><dd><a href="{url}">{url}</a></dd>' in html
    assert f'2026. <a class="nobr" href="{url}">{url}</a></p>' in html
    assert VERSION_DOI not in html
