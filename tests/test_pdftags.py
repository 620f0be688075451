"""Tests for kratom_report.publish.pdftags: list structure and soft line-break hyphens."""

from __future__ import annotations

import io
import subprocess

import pikepdf
import pytest
import weasyprint

from kratom_report.publish.pdfpost import _collect_texts, _element_text, _kids, _walk
from kratom_report.publish.pdftags import description_lists, tidy_structure

HEAD = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Lists</title>
<style>
body { font: 10pt sans-serif; hyphens: auto; hyphenate-character: "\\2010"; }
.narrow { width: 30mm; }
.messages { list-style: none; counter-reset: m; padding: 0; }
.messages li { counter-increment: m; }
.messages li::before { content: counter(m); }
.refs { list-style: none; columns: 2; padding: 0; }
</style></head><body>"""

BODY = """
<dl class="meta"><dt>Version</dt><dd>2.0.1</dd><dt>Date</dt><dd>1 May 2026</dd></dl>
<ol class="messages"><li>First message text.</li><li>Second message text.</li></ol>
<ol class="refs">""" + "".join(
    f'<li><span class="num">{n}.</span><span>Author {n}. Title {n}. Journal. 2020.</span></li>'
    for n in range(1, 9)) + """</ol>
<ol class="refs"><li><span>7</span><span> starts with a number but is no label.</span></li>
<li><span>9</span><span> and neither is this one.</span></li></ol>
<p class="narrow">Buprenorphine and methadone reduce withdrawal considerably.</p>
</body></html>"""


def _render(html: str) -> bytes:
    return weasyprint.HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")


@pytest.fixture(scope="module")
def pdfs() -> dict[str, bytes]:
    raw = _render(HEAD + BODY)
    return {"raw": raw, "tidy": tidy_structure(raw, HEAD + BODY)}


def _lists(pdf: bytes) -> list[tuple[list[str], list[list[tuple[str, str]]]]]:
    """Each list: its kids' types, and per item (type, text) of the item's kids."""
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        texts = _collect_texts(doc)
        out = []
        for elem in _walk(doc.Root.StructTreeRoot):
            if str(elem.get("/S")) != "/L":
                continue
            kids = [k for k in _kids(elem) if isinstance(k, pikepdf.Dictionary)]
            items = [[(str(c.get("/S")), _element_text(c, texts) or "") for c in _kids(k)
                      if isinstance(c, pikepdf.Dictionary)]
                     for k in kids if str(k.get("/S")) == "/LI"]
            out.append(([str(k.get("/S")) for k in kids], items))
        return out


def test_weasyprint_alone_nests_lists_and_leaves_numbers_in_the_body(pdfs):
    """The faults the module exists for: if WeasyPrint fixes them, this module can go."""
    lists = _lists(pdfs["raw"])
    assert any("/L" in kinds for kinds, _ in lists)
    assert not any(kind == "/Lbl" for _, items in lists for item in items for kind, _ in item)


def test_numbers_become_labels_and_columns_one_list(pdfs):
    lists = _lists(pdfs["tidy"])
    assert not any("/L" in kinds for kinds, _ in lists)
    by_first = {items[0][0][1]: items for _, items in lists if items}
    assert by_first["Version"] == [[("/Lbl", "Version"), ("/LBody", "2.0.1")],
                                   [("/Lbl", "Date"), ("/LBody", "1 May 2026")]]
    assert by_first["1"] == [[("/Lbl", "1"), ("/LBody", "First message text.")],
                             [("/Lbl", "2"), ("/LBody", "Second message text.")]]
    refs = by_first["1."]
    assert [item[0] for item in refs] == [("/Lbl", f"{n}.") for n in range(1, 9)]
    assert all(item[1][0] == "/LBody" for item in refs)


def test_numbers_that_do_not_count_up_are_left_in_the_body(pdfs):
    lists = _lists(pdfs["tidy"])
    items = next(items for _, items in lists if items and items[0][0][1].startswith("7"))
    assert [kind for kind, _ in items[0]] == ["/LBody"]


def test_line_break_hyphen_extracts_as_a_soft_hyphen(pdfs):
    def text(pdf: bytes) -> str:
        return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True,
                              check=True).stdout.decode()

    assert "\u2010\n" in text(pdfs["raw"])
    tidy = text(pdfs["tidy"])
    assert "\u2010" not in tidy and "\u00ad\n" in tidy
    assert "considerably" in tidy.replace("\u00ad\n", "")


def test_an_authors_own_u2010_keeps_every_hyphen_hard():
    html = HEAD + '<p class="narrow">Buprenorphine\u2010naloxone reduces withdrawal ' \
                  'considerably.</p></body></html>'
    raw = _render(html)
    out = subprocess.run(["pdftotext", "-", "-"], input=tidy_structure(raw, html),
                         capture_output=True, check=True).stdout.decode()
    assert "\u00ad" not in out and "\u2010" in out


def test_description_lists_read_from_html():
    html = "<dl><dt>A <b>b</b></dt><dd> one\n two </dd><dt>C</dt><dd>3</dd></dl><dl></dl>"
    assert description_lists(html) == [[("A b", "one two"), ("C", "3")]]


def test_a_pdf_without_structure_is_returned_as_it_is():
    plain = weasyprint.HTML(string="<p>x</p>").write_pdf()
    assert tidy_structure(plain, "<p>x</p>") == plain
