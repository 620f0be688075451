"""Tests for kratom_report.publish.pdftags: list structure, pagination artifacts and soft
line-break hyphens, in both tagged variants."""

from __future__ import annotations

import io
import subprocess

import pikepdf
import pytest
import weasyprint

from kratom_report.publish.pdfartifacts import _draft_stamps
from kratom_report.publish.pdflists import list_item_texts
from kratom_report.publish.pdfpost import _collect_texts, element_text, struct_kids, walk_struct
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
        for elem in walk_struct(doc.Root.StructTreeRoot):
            if str(elem.get("/S")) != "/L":
                continue
            kids = [k for k in struct_kids(elem) if isinstance(k, pikepdf.Dictionary)]
            items = [[(str(c.get("/S")), element_text(c, texts) or "") for c in struct_kids(k)
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


# --------------------------------------------------------------------------- pages and variants
# A two-page document with every kind of margin box the briefing uses and a bulleted item
# broken by the page end, rendered in both tagged variants the build offers.

VARIANTS = ["pdf/ua-1", "pdf/a-3a"]
STAMP = '<div class="stamp draft-stamp">DRAFT — NOT FOR USE</div>'
PAGED = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Paged</title>
<style>
@page { size: A6; margin: 18mm 10mm 16mm;
  @top-left { content: string(section); font: 7pt sans-serif; }
  @top-right { content: element(stamp); }
  @bottom-left { content: element(foot); }
  @bottom-right { content: "Page " counter(page) " of " counter(pages); font: 7pt sans-serif; } }
body { font: 9pt/1.3 sans-serif; orphans: 1; widows: 1; }
h2 { string-set: section content(text); font-size: 11pt; }
.stamp { position: running(stamp); font: bold 7pt sans-serif; letter-spacing: 0.06em; }
.foot { position: running(foot); font: 7pt sans-serif; }
</style></head><body>
STAMP<div class="foot">Test edition · Version 2.0</div>
<h2>Evidence</h2>
""" + "".join(f"<p>Paragraph {n} fills the page with ordinary words so that the list "
              "further down starts near the foot of the first page.</p>" for n in range(1, 7)) + \
    '<ul class="points">' + "".join(
        f"<li>Point {n}: a bulleted item long enough to run over several lines, so that one "
        "of the items is broken by the page end and continues at the top of the next page.</li>"
        for n in range(1, 5)) + "</ul><p>Closing paragraph after the list.</p></body></html>"
DRAFT = PAGED.replace("STAMP", STAMP)
RELEASE = PAGED.replace("STAMP", STAMP.replace(" draft-stamp", ""))


@pytest.fixture(scope="module", params=VARIANTS)
def paged(request: pytest.FixtureRequest) -> dict[str, bytes]:
    raw = weasyprint.HTML(string=DRAFT).write_pdf(pdf_variant=request.param)
    return {"raw": raw, "tidy": tidy_structure(raw, DRAFT)}


def _artifacts(pdf: bytes) -> list[list[tuple[str, str]]]:
    """Per page: (subtype, text) of each /Artifact sequence of /Type /Pagination."""
    from kratom_report.publish.pdftext import FontDecoder

    pages = []
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        for page in doc.pages:
            fonts = page.obj.Resources.get("/Font", {})
            found: list[tuple[str, str]] = []
            stack: list[int | None] = []
            decoder = None
            for ins in pikepdf.parse_content_stream(page):
                op, args = str(ins.operator), ins.operands
                if op in ("BDC", "BMC"):
                    props = args[1] if op == "BDC" else None
                    pagination = args[0] == pikepdf.Name.Artifact and \
                        isinstance(props, pikepdf.Dictionary) and \
                        props.get("/Type") == pikepdf.Name.Pagination
                    if pagination:
                        found.append((str(props.get("/Subtype")), ""))
                    stack.append(len(found) - 1 if pagination else None)
                elif op == "EMC":
                    stack.pop()
                elif op == "Tf":
                    decoder = FontDecoder(fonts[args[0]])
                elif op == "TJ" and decoder and stack and stack[-1] is not None:
                    kind, text = found[stack[-1]]
                    shown = "".join(decoder.decode(bytes(s)) for s in args[0]
                                    if isinstance(s, pikepdf.String))
                    found[stack[-1]] = (kind, text + shown)
            pages.append(found)
    return pages


def _mcid_problems(pdf: bytes) -> list[str]:
    """MCIDs of page content that no reachable structure element owns, and the reverse."""
    problems = []
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        root = doc.Root.StructTreeRoot
        nums = root.ParentTree.Nums
        tree = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
        reachable = {e.objgen for e in walk_struct(root)}
        owned: set[tuple[int, int]] = set()
        for elem in walk_struct(root):
            for kid in struct_kids(elem):
                if isinstance(kid, int):
                    owned.add((elem.Pg.objgen, int(kid)))
                elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/MCR":
                    owned.add((kid.Pg.objgen, int(kid.MCID)))
        for number, page in enumerate(doc.pages, 1):
            marks = tree[int(page.obj.StructParents)]
            for ins in pikepdf.parse_content_stream(page, "BDC"):
                props = ins.operands[1]
                if not isinstance(props, pikepdf.Dictionary) or "/MCID" not in props:
                    continue
                mcid = int(props.MCID)
                owner = marks[mcid] if mcid < len(marks) else None
                if owner is None or owner.objgen not in reachable:
                    problems.append(f"page {number}: MCID {mcid} outside the structure tree")
                owned.discard((page.obj.objgen, mcid))
        problems += [f"MCID {mcid} of {pg} is named but never drawn" for pg, mcid in owned]
    return problems


def _unlabelled_items(pdf: bytes) -> list[str]:
    """Texts of list items without /Lbl in lists where another item has one."""
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        texts = _collect_texts(doc)
        missing = []
        for elem in walk_struct(doc.Root.StructTreeRoot):
            if str(elem.get("/S")) != "/L":
                continue
            items = [k for k in struct_kids(elem) if str(k.get("/S")) == "/LI"]
            kinds = [[str(c.get("/S")) for c in struct_kids(item)] for item in items]
            if any("/Lbl" in k for k in kinds):
                missing += [element_text(item, texts) or ""
                            for item, k in zip(items, kinds, strict=True) if "/Lbl" not in k]
        return missing


def test_an_item_broken_by_the_page_end_is_one_labelled_item(paged):
    assert [t[:32] for t in _unlabelled_items(paged["raw"])] == \
        ["is broken by the page end and co"]
    assert _unlabelled_items(paged["tidy"]) == []
    items = [i for _, items in _lists(paged["tidy"]) for i in items]
    assert [kinds for kinds in ([k for k, _ in i] for i in items)] == [["/Lbl", "/LBody"]] * 4
    assert items[0][1][1].endswith("continues at the top of the next page.")


def test_a_broken_item_stays_apart_when_the_source_has_no_such_item(paged):
    changed = DRAFT.replace("Point 1: a bulleted", "Point one: a bulleted")
    assert len(_unlabelled_items(tidy_structure(paged["raw"], changed))) == 1


def test_margin_boxes_are_pagination_artifacts(paged):
    assert _artifacts(paged["raw"]) == [[], []]
    expected = [[("/Header", "Evidence"), ("/Watermark", "DRAFT — NOT FOR USE"),
                 ("/Footer", "Test edition · Version 2.0"), ("/Footer", f"Page {n} of 2")]
                for n in (1, 2)]
    assert _artifacts(paged["tidy"]) == expected


def test_without_the_draft_class_the_stamp_is_part_of_the_header(paged):
    tidy = tidy_structure(paged["raw"], RELEASE)
    assert [kind for kind, _ in _artifacts(tidy)[0]] == ["/Header", "/Header", "/Footer",
                                                           "/Footer"]


def test_every_mcid_drawn_is_in_the_structure_tree(paged):
    assert len(_mcid_problems(paged["raw"])) == 8  # four margin boxes on each of two pages
    assert _mcid_problems(paged["tidy"]) == []


def test_both_variants_stay_valid_and_readable(paged, tmp_path):
    path = tmp_path / "tidy.pdf"
    path.write_bytes(paged["tidy"])
    check = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert check.returncode == 0 and "No syntax or stream encoding errors" in check.stdout
    with pikepdf.open(io.BytesIO(paged["raw"])) as a, pikepdf.open(path) as b:
        assert len(a.pages) == len(b.pages) == 2
        assert a.Root.Metadata.read_bytes() == b.Root.Metadata.read_bytes()

    def text(pdf: bytes) -> str:
        return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True,
                              check=True).stdout.decode()

    assert text(paged["tidy"]) == text(paged["raw"])
    assert "Closing paragraph after the list." in text(paged["tidy"])


def test_tidying_is_reproducible_and_done_once(paged):
    assert tidy_structure(paged["raw"], DRAFT) == paged["tidy"]
    assert tidy_structure(paged["tidy"], DRAFT) == paged["tidy"]


def test_list_item_texts_read_from_html():
    html = ("<ul><li>One <b>bold</b>\n word</li><li>Two<ol><li>inner</li></ol></li></ul>"
            "<ol><li>open item<li>next</ol>")
    assert list_item_texts(html) == {"Oneboldword", "Twoinner", "inner", "openitem", "next"}


def test_draft_stamps_read_from_html():
    assert _draft_stamps('<p class="x draft-stamp">Draft <b>copy</b></p><br>') == {"draftcopy"}
    assert _draft_stamps('<p class="draft">Draft</p>') == set()
