"""The TH /Scope repair (publish.pdftags) and the structure read-back (publish.pdfpost)."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pypdf
import pytest
import weasyprint

from kratom_report.publish.pdfpost import structure_report
from kratom_report.publish.pdftags import fix_table_header_scope

SVG_FILE = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="60" height="30" viewBox="0 0 60 30">'
    '<rect width="60" height="30" fill="#1f5f8b"/></svg>'
)
SVG_URL = "data:image/svg+xml;base64," + base64.b64encode(SVG_FILE.encode()).decode()

HEAD = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Structure test document</title>
<meta name="dcterms.created" content="2024-01-01T00:00:00Z">
<meta name="dcterms.modified" content="2024-01-01T00:00:00Z"></head><body>"""

DOC = HEAD + f"""
<h1>Annual summary</h1>
<p>Opening paragraph with searchable words.</p>
<h2>Results table</h2>
<table>
  <thead><tr><th scope="col">Region</th><th scope="col">Cases</th></tr></thead>
  <tbody>
    <tr><th scope="row">North</th><td>12</td></tr>
    <tr><th scope="row">South</th><td>7</td></tr>
  </tbody>
</table>
<h3>Figures</h3>
<svg role="img" width="80" height="40" xmlns="http://www.w3.org/2000/svg">
  <title>Alt text here</title><rect width="80" height="40" fill="#c33"/></svg>
<img alt="Blue rectangle" src="{SVG_URL}">
<h2>Closing notes</h2>
<p>Final paragraph.</p>
</body></html>"""

NO_TABLE_DOC = HEAD + """<h1>Plain</h1><p>No tables here.</p></body></html>"""

VARIANTS = ["pdf/ua-1", "pdf/a-3a"]


def render(html: str, variant: str | None = "pdf/ua-1") -> bytes:
    options = {"pdf_variant": variant} if variant else {}
    return weasyprint.HTML(string=html).write_pdf(**options)


@pytest.fixture(scope="module", params=VARIANTS)
def variant(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def rendered(variant: str) -> bytes:
    return render(DOC, variant)


@pytest.fixture(scope="module")
def fixed(rendered: bytes) -> bytes:
    return fix_table_header_scope(rendered)


def qpdf_check(tmp_path: Path, data: bytes) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "check.pdf"
    path.write_bytes(data)
    return subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True,
                          check=False)


# --------------------------------------------------------------------------- WeasyPrint output

def test_weasyprint_leaves_th_without_scope(rendered: bytes) -> None:
    """The gap this module exists for; if WeasyPrint fixes it, the fix becomes a no-op."""
    report = structure_report(rendered)
    assert report["th_scopes"] == [None, None, None, None]


def test_fixed_report_shows_scopes_and_accessibility_basics(fixed: bytes) -> None:
    report = structure_report(fixed)
    assert report["tagged"] is True
    assert report["th_scopes"] == ["Column", "Column", "Row", "Row"]
    assert report["figures"] == ["Alt text here", "Blue rectangle"]
    assert report["lang"] == "en"
    assert report["display_doc_title"] is True
    assert report["title"] == "Structure test document"
    assert report["headings"] == [
        ("H1", "Annual summary"),
        ("H2", "Results table"),
        ("H3", "Figures"),
        ("H2", "Closing notes"),
    ]
    assert report["outline"] == ["Annual summary"]


def test_fix_changes_nothing_but_scopes(rendered: bytes, fixed: bytes) -> None:
    before, after = structure_report(rendered), structure_report(fixed)
    assert fixed != rendered
    for key in ("tagged", "lang", "display_doc_title", "title", "headings", "figures",
                "outline"):
        assert after[key] == before[key], key


def test_scope_lands_in_the_table_attribute_dict(fixed: bytes) -> None:
    with pikepdf.open(io.BytesIO(fixed)) as doc:
        ths = [e for e in _elements(doc.Root.StructTreeRoot) if e.S == "/TH"]
        assert ths
        for th in ths:
            assert th.A.O == "/Table"
            assert th.A.Scope in ("/Column", "/Row")


def test_fix_is_deterministic_and_idempotent(rendered: bytes, fixed: bytes) -> None:
    assert fix_table_header_scope(rendered) == fixed
    again = fix_table_header_scope(fixed)
    assert again == fixed  # nothing left to fix: same bytes back


def test_fix_is_reproducible_across_processes(tmp_path: Path, rendered: bytes,
                                              fixed: bytes) -> None:
    source = tmp_path / "in.pdf"
    source.write_bytes(rendered)
    code = ("import hashlib, sys\n"
            "from kratom_report.publish.pdftags import fix_table_header_scope\n"
            "print(hashlib.sha256(fix_table_header_scope(open(sys.argv[1], 'rb').read()))"
            ".hexdigest())")
    digests = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run([sys.executable, "-c", code, str(source)], env=env,
                                capture_output=True, text=True, check=True)
        digests.add(result.stdout.strip())
    assert digests == {hashlib.sha256(fixed).hexdigest()}


def test_fixed_pdf_passes_qpdf_check(tmp_path: Path, fixed: bytes) -> None:
    result = qpdf_check(tmp_path, fixed)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No syntax or stream encoding errors" in result.stdout


def test_text_extraction_survives_the_fix(rendered: bytes, fixed: bytes) -> None:
    def text(data: bytes) -> str:
        return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)

    after = text(fixed)
    assert after == text(rendered)
    for word in ("Annual summary", "Region", "North", "12", "searchable words", "Final"):
        assert word in after


def test_document_info_and_variant_markers_survive(variant: str, rendered: bytes,
                                                   fixed: bytes) -> None:
    with pikepdf.open(io.BytesIO(rendered)) as a, pikepdf.open(io.BytesIO(fixed)) as b:
        assert a.Root.Metadata.read_bytes() == b.Root.Metadata.read_bytes()
        assert str(b.docinfo.Title) == "Structure test document"
        assert b.pdf_version == a.pdf_version
        assert "/ID" in b.trailer
        if variant == "pdf/a-3a":
            assert "/OutputIntents" in b.Root


@pytest.mark.parametrize("variant_name", VARIANTS)
def test_pdf_without_tables_is_returned_unchanged(variant_name: str) -> None:
    plain = render(NO_TABLE_DOC, variant_name)
    assert fix_table_header_scope(plain) == plain
    report = structure_report(plain)
    assert report["th_scopes"] == []
    assert report["headings"] == [("H1", "Plain")]


def test_untagged_pdf_is_returned_unchanged() -> None:
    untagged = render(DOC, None)
    assert fix_table_header_scope(untagged) == untagged
    report = structure_report(untagged)
    assert report["tagged"] is False
    assert report["headings"] == [] and report["th_scopes"] == [] and report["figures"] == []
    assert report["title"] == "Structure test document"


# --------------------------------------------------------------------------- scope rules (HTML)

def test_tables_without_thead() -> None:
    html = HEAD + """
    <table><tr><th>Year</th><th>Count</th></tr><tr><td>2020</td><td>3</td></tr></table>
    <table><tr><th>Dose</th><td>5 mg</td></tr><tr><th>Route</th><td>oral</td></tr></table>
    <table><tr><td></td><th>A</th><th>B</th></tr><tr><th>x</th><td>1</td><td>2</td></tr></table>
    </body></html>"""
    report = structure_report(fix_table_header_scope(render(html)))
    assert report["th_scopes"] == [
        "Column", "Column",  # all-TH first row: column headers
        "Row", "Row",  # key/value table: a TH that starts a row of data cells
        "Column", "Column", "Row",  # corner cell empty: top row columns, first cell row
    ]


def test_author_scope_row_is_honoured_beyond_the_first_cell() -> None:
    """WeasyPrint keeps scope="row" only in the TDs' /Headers; the fix reads it from there."""
    html = HEAD + """<table>
    <thead><tr><th>Code</th><th>Name</th><th>Value</th></tr></thead>
    <tbody><tr><td>A1</td><th scope="row">Alpha</th><td>1</td></tr></tbody>
    </table></body></html>"""
    report = structure_report(fix_table_header_scope(render(html)))
    assert report["th_scopes"] == ["Column", "Column", "Column", "Row"]


def test_table_split_across_pages_gets_scopes_on_every_page(tmp_path: Path) -> None:
    rows = "".join(f"<tr><th>Row {i}</th><td>{i}</td></tr>" for i in range(70))
    html = HEAD + f"""<table><thead><tr><th>Item</th><th>Value</th></tr></thead>
    <tbody>{rows}</tbody></table></body></html>"""
    out = fix_table_header_scope(render(html))
    scopes = structure_report(out)["th_scopes"]
    assert scopes.count("Row") == 70
    assert scopes.count("Column") >= 4  # the repeated THead on each page
    assert None not in scopes
    assert qpdf_check(tmp_path, out).returncode == 0


# --------------------------------------------------------------------------- hand-built trees

def _elements(root: pikepdf.Dictionary) -> list[pikepdf.Dictionary]:
    found, stack = [], [root]
    while stack:
        node = stack.pop()
        kids = node.get("/K")
        for kid in (kids if isinstance(kids, pikepdf.Array) else [kids]):
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                found.append(kid)
                stack.append(kid)
    return found


def _build(tree: Callable[[pikepdf.Pdf, pikepdf.Dictionary], pikepdf.Dictionary]) -> bytes:
    """A one-page PDF whose structure tree is built by ``tree(pdf, page) -> StructTreeRoot``."""
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.Root.MarkInfo = pikepdf.Dictionary(Marked=True)
    pdf.Root.StructTreeRoot = tree(pdf, pdf.pages[0].obj)
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True)
    return out.getvalue()


def _elem(pdf: pikepdf.Pdf, s: str, kids: list, **extra: object) -> pikepdf.Dictionary:
    elem = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructElem,
                                                S=pikepdf.Name(s), K=pikepdf.Array(kids)))
    for key, value in extra.items():
        elem[f"/{key}"] = value
    return elem


def test_existing_scope_is_kept_and_attribute_arrays_are_extended() -> None:
    def tree(pdf: pikepdf.Pdf, page: pikepdf.Dictionary) -> pikepdf.Dictionary:
        kept = _elem(pdf, "/TH", [], A=pikepdf.Dictionary(O=pikepdf.Name.Table,
                                                          Scope=pikepdf.Name.Both))
        layout = pikepdf.Dictionary(O=pikepdf.Name.Layout, Placement=pikepdf.Name.Block)
        arrayed = _elem(pdf, "/TH", [], A=pikepdf.Array([layout, 0]))
        bare = _elem(pdf, "/Header", [])  # role-mapped to TH, no /A at all
        row = _elem(pdf, "/TR", [kept, arrayed, bare])
        table = _elem(pdf, "/Table", [row])
        return pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.StructTreeRoot, K=pikepdf.Array([table]),
            RoleMap=pikepdf.Dictionary(Header=pikepdf.Name.TH)))

    source = _build(tree)
    out = fix_table_header_scope(source)
    assert structure_report(source)["th_scopes"] == ["Both", None, None]
    assert structure_report(out)["th_scopes"] == ["Both", "Column", "Column"]
    with pikepdf.open(io.BytesIO(out)) as doc:
        arrayed = [e for e in _elements(doc.Root.StructTreeRoot) if e.S == "/TH"][1]
        assert arrayed.A[0].O == "/Layout" and arrayed.A[1] == 0
        assert arrayed.A[2].Scope == "/Column"


def test_shared_attribute_dict_is_not_mutated_for_every_cell() -> None:
    def tree(pdf: pikepdf.Pdf, page: pikepdf.Dictionary) -> pikepdf.Dictionary:
        shared = pdf.make_indirect(pikepdf.Dictionary(O=pikepdf.Name.Table))
        header = _elem(pdf, "/TR", [_elem(pdf, "/TH", [], A=shared),
                                    _elem(pdf, "/TH", [], A=shared)])
        body = _elem(pdf, "/TR", [_elem(pdf, "/TH", [], A=shared),
                                  _elem(pdf, "/TD", [], A=shared)])
        table = _elem(pdf, "/Table", [header, body])
        return pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructTreeRoot, K=table))

    out = fix_table_header_scope(_build(tree))
    assert structure_report(out)["th_scopes"] == ["Column", "Column", "Row"]


def test_cyclic_structure_tree_terminates() -> None:
    def tree(pdf: pikepdf.Pdf, page: pikepdf.Dictionary) -> pikepdf.Dictionary:
        th = _elem(pdf, "/TH", [])
        row = _elem(pdf, "/TR", [th])
        table = _elem(pdf, "/Table", [row])
        heading = _elem(pdf, "/H1", [0], Pg=page, ActualText=pikepdf.String("Loop"))
        doc = _elem(pdf, "/Document", [heading, table])
        row.K.append(table)  # TR -> Table -> TR ...
        heading.K.append(doc)  # H1 -> Document -> H1 ...
        mcr = pikepdf.Dictionary(Type=pikepdf.Name.MCR, MCID=1, Pg=page)
        objr = pikepdf.Dictionary(Type=pikepdf.Name.OBJR, Obj=page)
        doc.K.extend([mcr, objr, 7])
        return pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructTreeRoot, K=doc))

    source = _build(tree)
    report = structure_report(source)
    assert report["headings"] == [("H1", "Loop")]
    assert report["th_scopes"] == [None]
    assert report["tagged"] is True and report["lang"] is None and report["outline"] == []
    assert structure_report(fix_table_header_scope(source))["th_scopes"] == ["Column"]


def test_pdf_without_structure_tree_is_returned_unchanged() -> None:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True)
    data = out.getvalue()
    assert fix_table_header_scope(data) is data
    assert structure_report(data)["tagged"] is False
