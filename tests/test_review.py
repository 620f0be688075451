"""Review rounds (issue 31): review copies with source positions, reviewers' PDF comments
imported back to source lines, working through them, and sign-off before release."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pikepdf
import pytest
import yaml

from conftest import FIXTURES, pdftext, tree_snapshot

NAME = "tiny-briefing-clinician-v1.0.0-review.pdf"


@pytest.fixture(scope="module")
def review_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny fixture's clinician review copy, built once through the CLI."""
    from click.testing import CliRunner

    from kratom_report.cli import main

    root = tmp_path_factory.mktemp("review-src") / "tiny"
    shutil.copytree(FIXTURES / "tiny", root)
    out = tmp_path_factory.mktemp("review-out")
    result = CliRunner().invoke(main, ["--source", str(root), "build", "--review", "--edition",
                                       "clinician", "--out", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir() if p.is_file()) == [NAME]
    return out / NAME


def review_map(pdf: Path) -> dict:
    with pikepdf.open(pdf) as doc:
        return json.loads(doc.attachments["review-map.json"].get_file().read_bytes())


def words_of(page: dict, phrase: str) -> list[list]:
    """The map's words that spell ``phrase`` (consecutive words on one page)."""
    wanted = phrase.split()
    words = page["words"]
    for i in range(len(words)):
        if [w[4] for w in words[i:i + len(wanted)]] == wanted:
            return words[i:i + len(wanted)]
    raise AssertionError(phrase)


def find(pdf: Path, phrase: str) -> tuple[int, list[list]]:
    for page in review_map(pdf)["pages"]:
        try:
            return page["page"], words_of(page, phrase)
        except AssertionError:
            continue
    raise AssertionError(phrase)


def quads(words: list[list]) -> list[float]:
    out: list[float] = []
    for x0, y0, x1, y1, *_ in words:  # top left, top right, bottom left, bottom right
        out += [x0, y1, x1, y1, x0, y0, x1, y0]
    return out


def annotate(src: Path, dest: Path, *, author: str = "Dr A. Lee") -> None:
    """What a PDF reader writes: a sticky note with a reply, a highlight with a comment, a
    strike-out and a free-text box."""
    note_page, note_words = find(src, "Shared paragraph citing one source")
    mark_page, mark_words = find(src, "A second paragraph with two sources")
    strike_page, strike_words = find(src, "Refer when needed.")
    with pikepdf.open(src) as pdf:
        def add(page: int, **fields) -> pikepdf.Dictionary:
            annot = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Annot, **fields))
            target = pdf.pages[page - 1]
            if "/Annots" not in target.obj:
                target.obj.Annots = pdf.make_indirect(pikepdf.Array())
            target.obj.Annots.append(annot)
            return annot

        x0, _y0, _x1, y1 = note_words[0][:4]
        note = add(note_page, Subtype=pikepdf.Name.Text, Rect=[x0, y1 - 10, x0 + 10, y1],
                   Contents="Is there a newer source?", T=author, M="D:20261207091500Z")
        add(note_page, Subtype=pikepdf.Name.Text, Rect=[x0, y1 - 10, x0 + 10, y1],
            Contents="Yes: the 2024 review.", T="Editor", M="D:20261208100000Z", IRT=note)
        xs = [w[0] for w in mark_words] + [w[2] for w in mark_words]
        ys = [w[1] for w in mark_words] + [w[3] for w in mark_words]
        add(mark_page, Subtype=pikepdf.Name.Highlight, Rect=[min(xs), min(ys), max(xs), max(ys)],
            QuadPoints=quads(mark_words), Contents="Say which two.", T=author,
            M="D:20261207091600Z")
        sx = [w[0] for w in strike_words] + [w[2] for w in strike_words]
        sy = [w[1] for w in strike_words] + [w[3] for w in strike_words]
        add(strike_page, Subtype=pikepdf.Name.StrikeOut,
            Rect=[min(sx), min(sy), max(sx), max(sy)], QuadPoints=quads(strike_words[:2]),
            T=author, M="D:20261207091700Z")
        fx, fy = mark_words[-1][2] + 4, mark_words[-1][1]
        add(mark_page, Subtype=pikepdf.Name.FreeText, Rect=[fx, fy, fx + 60, fy + 10],
            Contents="Typo?", T=author, DA="/Helv 8 Tf 0 g")
        pdf.save(dest)


def test_a_review_copy_shows_positions_line_numbers_and_the_banner(review_copy):
    text = pdftext(review_copy)
    pages = text.split("\f")[:-1]
    assert len(pages) == 5
    assert all("Review copy — not for distribution" in p for p in pages)
    assert "sections/intro.yaml:7:7" in text  # the first paragraph's text starts there
    assert "sections/intro.yaml:11:7" in text  # the paragraph after the subheading
    assert "sections/intro.yaml:15:14" in text  # the figure's caption
    assert "sections/intro.yaml:21:18" in text  # the evidence table's row
    assert "report.yaml:22:10" in text  # the third key message
    assert "sections/practice.yaml:7:11" in text  # the callout's text
    layout = __import__("subprocess").run(["pdftotext", "-layout", str(review_copy), "-"],
                                          capture_output=True, text=True, check=True).stdout
    intro = next(p for p in layout.split("\f") if "A subheading" in p)
    assert [ln.split()[:2] for ln in intro.splitlines() if "Shared paragraph" in ln] == [
        ["sections/intro.yaml:7:7", "2"]]  # position and the page's line number, level


def test_a_review_copy_is_tagged_like_an_edition_and_its_margin_is_artifacts(review_copy):
    """Reviewers may use a screen reader: the copy gets the edition's tagging repairs, passes
    the same PDF/UA checks, and its banner, line numbers and positions are pagination
    artifacts drawn in an embedded font."""
    import subprocess
    import sys

    from kratom_report.publish.pdfpost import structure_report

    proc = subprocess.run([sys.executable, "-m", "pdfua", "check", str(review_copy)],
                          capture_output=True, text=True)
    assert proc.returncode == 0 and "result: PASS" in proc.stdout, proc.stdout
    tags = structure_report(review_copy.read_bytes())
    assert tags["tagged"] and tags["lang"] == "en"
    assert tags["th_scopes"] == ["Column"] * 6  # the repair editions get (pdftags)
    assert "intro.yaml" not in json.dumps(tags) and "Review copy" not in json.dumps(tags)
    with pikepdf.open(review_copy) as pdf:
        assert "<dc:language><rdf:Bag><rdf:li>en</rdf:li>" in str(pdf.Root.Metadata.read_bytes())
        margin = []
        for page in pdf.pages:
            fonts = page.Resources.Font
            for name in fonts:
                font = fonts[name]
                font = font.DescendantFonts[0] if "/DescendantFonts" in font else font
                assert any(k in font.FontDescriptor for k in ("/FontFile", "/FontFile2",
                                                              "/FontFile3")), name
            marked, font = [], None
            for operands, op in pikepdf.parse_content_stream(page):
                if str(op) in ("BDC", "BMC"):
                    marked.append(operands)
                elif str(op) == "EMC":
                    marked.pop()
                elif str(op) == "Tf":
                    font = str(operands[0])
                elif str(op) == "Tj" and font and font.startswith(("/KRR", "/KRB")):
                    tag, props = marked[-1]
                    assert (tag, props.Type) == (pikepdf.Name.Artifact, pikepdf.Name.Pagination)
                    margin.append(bytes(operands[0]).decode("cp1252"))
    assert "Review copy — not for distribution" in margin and "sections/intro.yaml:7:7" in margin


def test_the_map_ties_page_areas_to_source_positions(review_copy):
    data = review_map(review_copy)
    assert {k: data[k] for k in ("format", "slug", "edition", "version")} == {
        "format": "review-map/1", "slug": "tiny-briefing", "edition": "clinician",
        "version": "1.0.0"}
    intro = next(p for p in data["pages"] if any(
        u["src"] == "report/sections/intro.yaml:7:7" for u in p["units"]))
    units = {u["src"]: u["rect"] for u in intro["units"]}
    first, second = (units["report/sections/intro.yaml:7:7"],
                     units["report/sections/intro.yaml:11:7"])
    assert first[1] > second[3]  # the first paragraph stands above the second
    word = words_of(intro, "Shared paragraph")[0]
    assert first[0] <= word[0] < word[2] <= first[2] and first[1] <= word[1] <= first[3]


def test_comments_come_back_to_their_source_lines(review_copy, tiny, cli):
    annotated = tiny.parent / "returned.pdf"
    annotate(review_copy, annotated)
    result = cli("--source", tiny, "review", "import", annotated)
    assert result.exit_code == 0, result.output
    saved = yaml.safe_load((tiny / "report" / "reviews" / "1.0.0.yaml").read_text())
    comments = saved["comments"]
    assert saved["rounds"] == 1 and saved["approvals"] == []
    strip = [{k: v for k, v in c.items() if k not in ("id", "page", "replies")}
             for c in comments]
    assert strip == [
        {"reviewer": "Dr A. Lee", "date": "2026-12-07", "edition": "clinician",
         "source": "report/report.yaml:22:10", "kind": "strike-out",
         "quote": "Refer when", "comment": "", "status": "open", "round": 1},
        {"reviewer": "Dr A. Lee", "date": "2026-12-07", "edition": "clinician",
         "source": "report/sections/intro.yaml:7:7", "kind": "note", "quote": None,
         "comment": "Is there a newer source?", "status": "open", "round": 1},
        {"reviewer": "Dr A. Lee", "date": "2026-12-07", "edition": "clinician",
         "source": "report/sections/intro.yaml:11:7", "kind": "highlight",
         "quote": "A second paragraph with two sources", "comment": "Say which two.",
         "status": "open", "round": 1},
        {"reviewer": "Dr A. Lee", "date": None, "edition": "clinician",
         "source": "report/sections/intro.yaml:11:7", "kind": "free-text", "quote": None,
         "comment": "Typo?", "status": "open", "round": 1},
    ]
    assert [{k: r[k] for k in ("reviewer", "date", "comment")}
            for r in comments[1]["replies"]] == [
        {"reviewer": "Editor", "date": "2026-12-08", "comment": "Yes: the 2024 review."}]
    listed = cli("--source", tiny, "review", "list").output.splitlines()
    ids = [c["id"] for c in comments]
    assert listed == [
        f'report/report.yaml:22:10: [Dr A. Lee] strike-out "Refer when" (open, {ids[0]})',
        f"report/sections/intro.yaml:7:7: [Dr A. Lee] Is there a newer source? (open, {ids[1]})",
        f"report/sections/intro.yaml:7:7: [Editor] reply: Yes: the 2024 review. "
        f"(reply to {ids[1]})",
        f'report/sections/intro.yaml:11:7: [Dr A. Lee] Say which two. — highlight "A second '
        f'paragraph with two sources" (open, {ids[2]})',
        f"report/sections/intro.yaml:11:7: [Dr A. Lee] Typo? (open, {ids[3]})",
    ]
    before = tree_snapshot(tiny / "report")
    again = cli("--source", tiny, "review", "import", annotated, "--reviewer", "Someone")
    assert again.exit_code == 0 and again.stdout == ""
    assert tree_snapshot(tiny / "report") == before


def test_a_copy_of_another_report_or_version_or_no_copy_is_refused(review_copy, tiny, cli,
                                                                   tmp_path):
    other = tmp_path / "other.pdf"
    with pikepdf.open(review_copy) as pdf:
        data = review_map(review_copy)
        pdf.attachments["review-map.json"] = pikepdf.AttachedFileSpec(
            pdf, json.dumps({**data, "slug": "other-briefing"}).encode())
        pdf.save(other)
    older = tmp_path / "older.pdf"
    with pikepdf.open(review_copy) as pdf:
        pdf.attachments["review-map.json"] = pikepdf.AttachedFileSpec(
            pdf, json.dumps({**data, "version": "0.9.0"}).encode())
        pdf.save(older)
    plain = tmp_path / "plain.pdf"
    with pikepdf.open(review_copy) as pdf:
        del pdf.attachments["review-map.json"]
        pdf.save(plain)
    before = tree_snapshot(tiny)
    for pdf, message in [
        (other, f"{other}: a review copy of another report ('other-briefing'), not of "
                "'tiny-briefing'"),
        (older, f"{older}: a review copy of version 0.9.0, not of 1.0.0 (the report's "
                "version); its comments belong to that version"),
        (plain, f"{plain}: not a review copy (it carries no review-map.json); make one with "
                "'kratom-report build --review'"),
    ]:
        result = cli("--source", tiny, "review", "import", review_copy, pdf)
        assert (result.exit_code, result.stderr) == (1, message + "\n")
        assert tree_snapshot(tiny) == before  # the good copy given first was not imported


def test_resolve_reopen_approve_and_the_release_gate(review_copy, tiny, cli, tmp_path):
    report = tiny / "report" / "report.yaml"
    report.write_text(report.read_text() + "review:\n  required: true\n  approvals: 1\n")
    annotated = tmp_path / "returned.pdf"
    annotate(review_copy, annotated)
    assert cli("--source", tiny, "review", "import", annotated).exit_code == 0
    ids = [c["id"] for c in yaml.safe_load(
        (tiny / "report" / "reviews" / "1.0.0.yaml").read_text())["comments"]]
    out = tmp_path / "dist"
    refused = cli("--source", tiny, "release", "--out", out)
    assert refused.exit_code == 1
    assert refused.stderr.splitlines()[-2:] == [
        "report/report.yaml:34:1: review requires 1 approval of version 1.0.0, 0 recorded; "
        "record one with 'kratom-report review approve --by NAME'",
        f"report/reviews/1.0.0.yaml: 4 review comments are still open ({', '.join(ids)}); "
        "resolve each with 'kratom-report review resolve ID', or see them with "
        "'kratom-report review list --open'"]
    assert not out.exists() or not (out / "1.0.0").exists()

    resolved = cli("--source", tiny, "review", "resolve", ids[0], "--note", "Kept as is")
    assert resolved.exit_code == 0
    assert resolved.stdout.endswith(f"(resolved, {ids[0]})\n")
    assert cli("--source", tiny, "review", "reopen", ids[0]).stdout.endswith(
        f"(open, {ids[0]})\n")
    unknown = cli("--source", tiny, "review", "resolve", "nope")
    assert (unknown.exit_code, unknown.stderr) == (
        1, "report/reviews/1.0.0.yaml: no comment 'nope'; 'kratom-report review list' shows "
           "every id\n")
    for comment_id in ids:
        assert cli("--source", tiny, "review", "resolve", comment_id).exit_code == 0
    assert cli("--source", tiny, "review", "list", "--open").stdout == ""
    listed = json.loads(cli("--source", tiny, "review", "list", "--format", "json").stdout)
    assert [c["status"] for c in listed] == ["resolved"] * 4
    still = cli("--source", tiny, "release", "--out", out)
    assert still.exit_code == 1 and "0 recorded" in still.stderr
    approved = cli("--source", tiny, "review", "approve", "--by", "Dr A. Lee", "--role",
                   "Clinical lead")
    assert approved.stdout == "approved by Dr A. Lee (Clinical lead) on 2026-12-06\n"
    assert cli("--source", tiny, "review", "approve", "--by", "B. Ng <Q&A>").exit_code == 0
    released = cli("--source", tiny, "release", "--out", out)
    assert released.exit_code == 0, released.output
    manifest = json.loads((out / "1.0.0" / "manifest.json").read_text())
    assert manifest["review"] == {"rounds": 1, "comments": 4, "resolved": 4, "approvals": [
        {"by": "Dr A. Lee", "role": "Clinical lead", "date": "2026-12-06"},
        {"by": "B. Ng <Q&A>", "date": "2026-12-06"}]}
    assert not any(p.name.endswith("-review.pdf") for p in out.rglob("*.pdf"))
    pages = (out / "index.html", out / "1.0.0" / "index.html")
    assert not any("Reviewed by" in p.read_text() or 'class="reviewed"' in p.read_text()
                   for p in pages)  # the report does not ask for it

    report.write_text(report.read_text() + "  show_on_site: true\n")
    again = cli("--source", tiny, "release", "--out", out)
    assert again.exit_code == 0 and "site rewritten" in again.stderr, again.output
    for page in pages:
        assert ('<p class="reviewed">Reviewed by Dr A. Lee, Clinical lead (6 December 2026); '
                "B. Ng &lt;Q&amp;A&gt; (6 December 2026)</p>") in page.read_text(), page


# Each unit of tests/fixtures/review-forms/forms.yaml (and a plain key message over two lines)
# with the position where its text starts: plain, single- and double-quoted (escapes and an
# escaped line break), folded and literal texts, list items, a callout's title and text, a
# caption over two lines, and table rows written as flow and block sequences.
FORMS = {
    "Plain whiskey key": "report.yaml:23:9",
    "Plain alpha paragraph": "sections/forms.yaml:9:11",
    "Plain bravo paragraph": "sections/forms.yaml:13:7",
    "Single charlie": "sections/forms.yaml:15:12",
    "Single delta paragraph": "sections/forms.yaml:19:7",
    "Double echo paragraph": "sections/forms.yaml:21:12",
    "Double foxtrot paragraph": "sections/forms.yaml:22:26",
    "Double golf paragraph": "sections/forms.yaml:25:7",
    "Folded hotel paragraph": "sections/forms.yaml:28:7",
    "Folded india paragraph.": "sections/forms.yaml:32:7",
    "Folded juliet item": "sections/forms.yaml:35:9",
    "Folded kilo item": "sections/forms.yaml:37:9",
    "Literal lima paragraph.": "sections/forms.yaml:40:7",
    "Literal mike item": "sections/forms.yaml:42:10",
    "Literal november item": "sections/forms.yaml:43:10",
    "Callout oscar title": "sections/forms.yaml:45:12",
    "Callout papa text": "sections/forms.yaml:47:7",
    "Table quebec caption": "sections/forms.yaml:51:7",
    "Flow romeo cell": "sections/forms.yaml:55:10",
    "Block sierra cell": "sections/forms.yaml:57:11",
    "Quoted tango cell": "sections/forms.yaml:59:11",
}


def test_every_way_of_writing_a_text_maps_to_its_exact_line(tiny, cli, tmp_path):
    shutil.copy(FIXTURES / "review-forms" / "forms.yaml", tiny / "report" / "sections")
    report = tiny / "report" / "report.yaml"
    text = report.read_text()
    assert "  - practice\n" in text and '      - "Refer when needed."\n' in text
    report.write_text(text.replace("  - practice\n", "  - practice\n  - forms\n", 1).replace(
        '      - "Refer when needed."\n', '      - "Refer when needed."\n'
        "      - Plain whiskey key message\n        over two lines.\n", 1))
    out = tmp_path / "out"
    built = cli("--source", tiny, "build", "--review", "--edition", "clinician", "--out", out)
    assert built.exit_code == 0, built.output
    copy = out / NAME
    printed = pdftext(copy)
    data = review_map(copy)
    units = {u["src"] for page in data["pages"] for u in page["units"]}
    for phrase, where in FORMS.items():
        assert where in printed, (phrase, where)  # in the margin, beside the unit
        assert f"report/{where}" in units, (phrase, where)

    returned = tmp_path / "returned.pdf"
    with pikepdf.open(copy) as pdf:
        for phrase in FORMS:  # a sticky note on the first word of each unit
            page, words = find(copy, phrase)
            x0, _y0, _x1, y1 = words[0][:4]
            target = pdf.pages[page - 1]
            if "/Annots" not in target.obj:
                target.obj.Annots = pdf.make_indirect(pikepdf.Array())
            target.obj.Annots.append(pdf.make_indirect(pikepdf.Dictionary(
                Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Text,
                Rect=[x0, y1 - 10, x0 + 10, y1], Contents=phrase, T="Reviewer")))
        pdf.save(returned)
    assert cli("--source", tiny, "review", "import", returned).exit_code == 0
    saved = yaml.safe_load((tiny / "report" / "reviews" / "1.0.0.yaml").read_text())
    assert {c["comment"]: c["source"] for c in saved["comments"]} == {
        phrase: f"report/{where}" for phrase, where in FORMS.items()}


def test_reviewed_by_is_in_the_report_language():
    """The site template prints the line with the report's catalog (escaping: the release
    gate test above, with a name holding markup characters)."""
    from kratom_report.compose.i18n import Words

    for lang, words in (("en", "Reviewed by"), ("fr", "Relu par"), ("es", "Revisado por"),
                        ("th", "ตรวจทานโดย")):
        assert Words(lang).gettext("Reviewed by %(names)s") == words + " %(names)s", lang
