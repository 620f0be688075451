"""Other languages: the tool's words from gettext catalogs, a language per edition, translated
blocks, and a Thai report whose PDF text extracts as written."""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import re
import shutil
import unicodedata
from pathlib import Path

import pypdf
import pytest
import yaml
from babel.dates import format_date
from babel.messages.pofile import read_po
from click.testing import CliRunner

from kratom_report.cli import main
from kratom_report.compose.i18n import Words
from kratom_report.compose.marks import ChangeMarks
from kratom_report.compose.render import render_edition
from kratom_report.publish.tounicode import fix_split_glyphs, needs_fix
from kratom_report.source.project import load_project
from kratom_report.source.translations import LOCALE_DIR, catalog_languages

from conftest import FIXTURES, REPO, tree_snapshot

THAI = FIXTURES / "thai"
RELEASED = dt.date(2026, 11, 25)  # the fixtures' changelog date
_PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def _run(*args: str | Path):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _text(pdf: Path) -> str:
    """The PDF's text as extraction gives it, compared in the form copy-paste keeps.

    Thai SARA AM (ำ) is drawn as two glyphs; it extracts as its compatibility decomposition
    (NFKC), with NIKHAHIT where the shaper put it (before a tone mark): normalise both sides.
    """
    reader = pypdf.PdfReader(pdf)
    return _norm("\n".join(page.extract_text() for page in reader.pages))


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return re.sub("([\u0e48-\u0e4b])\u0e4d", "\u0e4d\\1", text)


def _pages(pdf: Path) -> int:
    return len(pypdf.PdfReader(pdf).pages)


@pytest.fixture(scope="module")
def thai(tmp_path_factory):
    """Both editions of the Thai fixture, built once: {edition: (pdf path, text)}."""
    out = tmp_path_factory.mktemp("thai")
    result = _run("build", "--source", THAI, "--out", out)
    assert result.exit_code == 0, result.stderr
    assert "warning" not in result.stderr
    pdfs = {e: out / f"thai-briefing-{e}-v1.0.0.pdf" for e in ("clinician", "clinician-th")}
    return {e: (path, _text(path)) for e, path in pdfs.items()}


# ---------- catalogs ----------

def _catalog(lang: str):
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "kratom_report.po").open("rb") as f:
        return read_po(f, locale=lang)


def test_french_spanish_and_thai_are_shipped():
    assert catalog_languages() == ("en", "es", "fr", "th")


@pytest.mark.parametrize("lang", ["es", "fr", "th"])
def test_every_word_of_the_template_is_translated(lang):
    with (LOCALE_DIR / "kratom_report.pot").open("rb") as f:
        template = read_po(f)
    catalog = _catalog(lang)
    ids = [m.id for m in template if m.id]
    assert len(ids) > 40
    for msgid in ids:
        message = catalog.get(msgid)
        assert message is not None, f"{lang}: {msgid!r} missing"
        assert not message.fuzzy, f"{lang}: {msgid!r} is fuzzy"
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert len(strings) == catalog.num_plurals if isinstance(msgid, tuple) else 1
        source = msgid[0] if isinstance(msgid, tuple) else msgid
        for string in strings:
            assert string.strip(), f"{lang}: {msgid!r} untranslated"
            assert sorted(_PLACEHOLDER.findall(string)) == sorted(
                _PLACEHOLDER.findall(source)), f"{lang}: {msgid!r} placeholders differ"
    assert {m.id for m in catalog if m.id} == set(ids), f"{lang}: words no template has"


def test_template_is_up_to_date_with_the_templates_and_code():
    spec = importlib.util.spec_from_file_location("update_catalogs",
                                                  REPO / "scripts" / "update_catalogs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    extracted = module.extract_messages()
    with (LOCALE_DIR / "kratom_report.pot").open("rb") as f:
        stored = read_po(f)
    assert {m.id for m in extracted if m.id} == {m.id for m in stored if m.id}, (
        "run scripts/update_catalogs.py and translate what it adds")
    assert "Key messages" in extracted and "Page %(page)s of %(pages)s" in extracted


def test_english_needs_no_catalog_and_keeps_its_date_format():
    words = Words("en")
    assert words.gettext("Key messages") == "Key messages"
    assert words.date(RELEASED) == "25 November 2026"
    assert words.css() == ""
    assert Words("en-US").date(RELEASED) == "25 November 2026"


def test_a_regional_tag_uses_its_language_catalog():
    assert Words("fr-CA").gettext("Key messages") == "Messages clés"
    assert Words("es-MX").date(RELEASED) == "25 de noviembre de 2026"


# ---------- the Thai fixture ----------

def test_thai_edition_text_extracts_as_written(thai):
    _, text = thai["clinician-th"]
    for sentence in ["สอบถามผู้ป่วยเกี่ยวกับการใช้กระท่อม", "ส่งต่อผู้ป่วยเมื่อจำเป็น",
                     "เภสัชวิทยาและการควบคุม", "ไมทราไจนีนซึ่งเป็นแอลคาลอยด์หลักของกระท่อม",
                     "ข้อแนะนำในการปฏิบัติ", "สอบถามผู้ป่วยทุกรายเกี่ยวกับการใช้กระท่อม",
                     "แหล่งข้อมูลจำแนกตามประเภท", "ศูนย์ควบคุมและป้องกันโรคสหรัฐอเมริกา",
                     "การศึกษาในหลอดทดลอง", "ฉบับสำหรับแพทย์"]:
        assert _norm(sentence) in text, sentence
    # translated blocks replace the original text: none of it is printed
    assert "Ask every patient" not in text and "Practice point" not in text
    assert "Pharmacology and regulation" not in text


def test_thai_edition_prints_the_tools_words_in_thai(thai):
    path, text = thai["clinician-th"]
    pages = _pages(path)
    for word in ["ประเด็นสำคัญ", "สารบัญ", "เอกสารอ้างอิง", "สิ่งที่เปลี่ยนแปลงในเวอร์ชันนี้",
                 "วิธีอ้างอิงเอกสารสรุปนี้", "เอกสารสรุปหลักฐาน", "สำหรับแพทย์",
                 "ตารางที่ 1 หลักฐานจากห้องปฏิบัติการ", "ตารางที่ 2", "ที่มา: 2, 3",
                 "การศึกษา", "ความเชื่อมั่น", "ต่ำ", f"หน้า 2 จาก {pages}",
                 "เวอร์ชัน 1.0.0"]:
        assert _norm(word) in text, word
    for english in ["Key messages", "Contents", "References", "Page ", "Table 1",
                    "Sources:", "How to cite", "Version"]:
        assert english not in text, english


def test_thai_edition_date_is_babels_thai_long_date(thai):
    _, text = thai["clinician-th"]
    thai_date = format_date(RELEASED, "long", locale="th")
    assert thai_date == "25 พฤศจิกายน ค.ศ. 2026"
    assert text.count(_norm(thai_date)) >= 3  # cover, colophon, footer, changelog
    assert "November" not in text


def test_thai_edition_is_tagged_thai_and_uses_the_shipped_font(thai):
    path, _ = thai["clinician-th"]
    reader = pypdf.PdfReader(path)
    assert str(reader.trailer["/Root"]["/Lang"]) == "th"
    fonts = {str(f["/BaseFont"]).split("+")[-1] for page in reader.pages
             for f in page["/Resources"]["/Font"].values()}
    assert any(f.startswith("Noto-Sans-Thai") for f in fonts), fonts


def test_english_edition_of_the_same_report_stays_english(thai):
    path, text = thai["clinician"]
    pages = _pages(path)
    for word in ["Key messages", "Contents", "References", "What changed in this version",
                 f"Page 2 of {pages}", "25 November 2026", "Table 1. Laboratory evidence",
                 "Practice point", "Ask every patient about kratom use.", "Sources: 2, 3",
                 "Pharmacology and regulation", "Version 1.0.0"]:
        assert word in text, word
    assert not re.search("[\u0e00-\u0e7f]", text), "Thai in the English edition"
    assert str(pypdf.PdfReader(path).trailer["/Root"]["/Lang"]) == "en"


def test_edition_language_sets_html_lang_and_citations_resolve():
    project = load_project(THAI)
    th = render_edition(project, "clinician-th")
    en = render_edition(project, "clinician")
    assert '<html lang="th">' in th.html and '<html lang="en">' in en.html
    assert th.cited == en.cited == ("kruegel2016synthetic", "dea2016notice",
                                    "cdc2018salmonella")
    assert "hyphens: manual" in th.html and "หน้า \" counter(page)" in th.html
    # the translation is the edition's content: it alone changes the fingerprint
    assert th.content_fingerprint != en.content_fingerprint


# ---------- French and Spanish ----------

@pytest.fixture
def tiny_in(tiny):
    """The tiny report with its policymaker edition in another language."""

    def make(lang: str) -> Path:
        path = tiny / "report" / "report.yaml"
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("    paper: letter\n",
                                     f"    paper: letter\n    language: {lang}\n"),
                        encoding="utf-8")
        return tiny

    return make


def test_french_edition_shows_french_words_and_date(tiny_in, tmp_path):
    root = tiny_in("fr")
    out = tmp_path / "out"
    result = _run("build", "--source", root, "--edition", "policymaker", "--out", out)
    assert result.exit_code == 0, result.stderr
    pdf = next(out.glob("*.pdf"))
    text = _text(pdf)
    for word in ["Messages clés", "Sommaire", "Références", "Nouveautés de cette version",
                 "Comment citer cette synthèse", "25 novembre 2026",
                 f"Page 2 sur {_pages(pdf)}", "Tableau 2. Options", "Public : policymakers",
                 "31 août 2016", "Données à jour : avril 2026."]:  # the timeline figure
        assert word in text, word
    for english in ["Key messages", "Contents", "November", "Page 2 of", "Aug", "Data as of"]:
        assert english not in text, english
    assert str(pypdf.PdfReader(pdf).trailer["/Root"]["/Lang"]) == "fr"


def test_spanish_edition_words_and_date(tiny_in):
    project = load_project(tiny_in("es"))
    html = render_edition(project, "policymaker").html
    for word in ["Mensajes clave", "Índice", "Referencias", "25 de noviembre de 2026",
                 "Para policymakers", '<html lang="es">', '"Página " counter(page)']:
        assert word in html, word


# ---------- warnings and mistakes ----------

def _thai_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "thai"
    shutil.copytree(THAI, dest)
    return dest


def _edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / "report" / rel
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


MISSING = ("report/sections/practice.yaml:7:5: warning: block 1 (callout) has no 'th' "
           "translation for edition 'clinician-th'; the original is printed")


def test_missing_translation_is_a_located_warning_and_prints_the_original(tmp_path):
    root = _thai_copy(tmp_path)
    _edit(root, "sections/practice.yaml", """    translations:
      th:
        title: ข้อแนะนำในการปฏิบัติ
        text: สอบถามผู้ป่วยทุกรายเกี่ยวกับการใช้กระท่อม
""", "")
    result = _run("check", "--source", root)
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [MISSING]
    strict = _run("check", "--source", root, "--strict")
    assert strict.exit_code == 1
    assert MISSING in strict.stderr.splitlines()
    html = render_edition(load_project(root), "clinician-th").html
    assert "Ask every patient about kratom use." in html and "Practice point" in html


def test_missing_section_title_translation_is_a_warning(tmp_path):
    root = _thai_copy(tmp_path)
    _edit(root, "sections/practice.yaml", "translations:\n  th: {title: แนวทางปฏิบัติ}\n", "")
    result = _run("check", "--source", root)
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        "report/sections/practice.yaml:2:8: warning: section 'practice' has no 'th' "
        "translation of its title for edition 'clinician-th'; the original is printed"]


def test_language_without_a_catalog_warns_and_prints_english(tiny_in):
    root = tiny_in("de")
    result = _run("check", "--source", root)
    assert result.exit_code == 0
    lines = result.stderr.splitlines()
    assert lines[0] == (
        "report/report.yaml:28:15: warning: no catalog of the tool's words for language 'de' "
        "(shipped: en, es, fr, th); edition 'policymaker' prints headings, labels and dates "
        "in English")
    # its blocks have no German translation either: one warning each, English printed
    assert all("has no 'de' translation" in line for line in lines[1:]) and len(lines) > 1
    html = render_edition(load_project(root), "policymaker").html
    assert '<html lang="de">' in html
    assert "Key messages" in html and "25 November 2026" in html


@pytest.mark.parametrize(("old", "new", "message"), [
    ("        title: ข้อแนะนำในการปฏิบัติ\n", "        titel: ข้อแนะนำในการปฏิบัติ\n",
     "report/sections/practice.yaml:12:9: unknown key 'titel' (did you mean 'title'?)"),
    ("          - [ศูนย์ควบคุมและป้องกันโรคสหรัฐอเมริกา, รายงานการระบาด]\n", "",
     "report/sections/practice.yaml:26:11: the 'th' translation has 1 rows, the table has "
     "2; translate every row, in order"),
    ("        header: [แหล่งข้อมูล, ประเภท]", "        header: [แหล่งข้อมูล]",
     "report/sections/practice.yaml:24:17: the 'th' header has 1 cells, the table's has 2; "
     "translate every column, in order"),
    ("ใช้กระท่อม\n  - type: table", "ใช้กระท่อม [@nosuchkey2020]\n  - type: table",
     "report/sections/practice.yaml:13:58: unknown citation key 'nosuchkey2020'"),
])
def test_translation_mistakes_are_located_errors_and_nothing_is_written(tmp_path, old, new,
                                                                        message):
    root = _thai_copy(tmp_path)
    _edit(root, "sections/practice.yaml", old, new)
    out = tmp_path / "out"
    out.mkdir()
    before = tree_snapshot(out)
    result = _run("build", "--source", root, "--out", out)
    assert result.exit_code == 1
    assert message in result.stderr.splitlines(), result.stderr
    assert tree_snapshot(out) == before


def test_a_translation_key_must_be_a_language_tag(tmp_path):
    root = _thai_copy(tmp_path)
    _edit(root, "sections/practice.yaml", "translations:\n  th: {title:",
          "translations:\n  thai_x: {title:")
    result = _run("check", "--source", root)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "report/sections/practice.yaml:5:3: 'thai_x' is not a language tag: write a BCP 47 tag "
        'like "fr", "pt-BR" or "th"']


def test_shipped_briefing_prints_no_other_language():
    report = yaml.safe_load((REPO / "report" / "report.yaml").read_text(encoding="utf-8"))
    assert report.get("language", "en") == "en"
    assert all("language" not in e for e in report["editions"])
    html = render_edition(load_project(REPO), report["editions"][0]["id"]).html
    assert "Key messages" in html and "words_css" not in html
    assert html.count("<style>") == io.StringIO(html).getvalue().count("<style>")


def test_split_glyph_fix_leaves_other_pdfs_byte_for_byte(thai):
    path, _ = thai["clinician"]
    data = path.read_bytes()
    assert not needs_fix("<p>Key messages</p>") and needs_fix("<p>สำคัญ</p>")
    assert fix_split_glyphs(data) == data  # no font of it draws Thai


def test_change_note_and_site_words_follow_the_language():
    marks = ChangeMarks("1.0.0", frozenset(), frozenset(), language="fr")
    assert marks.note() == "Modifié depuis la version 1.0.0"
    assert ChangeMarks("1.0.0", frozenset(), frozenset()).note() == "Changed since 1.0.0"
    assert Words("es").gettext("Download PDF") == "Descargar el PDF"


def test_web_edition_speaks_the_editions_language():
    from kratom_report.pipeline import Composer

    project = load_project(THAI)
    composer = Composer.for_project(project)

    def render_web(_project: object, edition: str):  # noqa: ANN202
        return composer.web(composer.edition(edition))

    th = render_web(project, "clinician-th").html
    assert '<html lang="th">' in th and "ข้ามไปยังเนื้อหา" in th and "ประเด็นสำคัญ" in th
    assert "Skip to the briefing" not in th
    assert "Skip to the briefing" in render_web(project, "clinician").html
