"""Real builds read back: what a reader of each edition actually gets."""

from __future__ import annotations

import re
import shutil

from pypdf import PdfReader

from conftest import FIXTURES, REPO, pdfinfo, pdftext, tree_snapshot, writable_copy


def test_build_writes_one_pdf_per_edition(tiny_built):
    out, result = tiny_built.run("build")
    assert result.exit_code == 0, result.stderr
    names = sorted(p.name for p in out.iterdir() if p.is_file())
    assert names == ["tiny-briefing-clinician-v1.0.0.pdf", "tiny-briefing-policymaker-v1.0.0.pdf"]
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    for line in lines:
        path, pages, size = line.split("\t")
        assert re.fullmatch(r"\d+ pages", pages) and re.fullmatch(r"\d+ KiB", size)
        assert int(pages.split()[0]) == len(PdfReader(path).pages)


def test_pdf_text_shows_title_version_edition_sections_and_numbered_references(tiny_built):
    out = tiny_built.build()
    text = pdftext(out / "tiny-briefing-clinician-v1.0.0.pdf")
    for needle in ["Tiny evidence briefing", "Version", "1.0.0", "Clinician edition",
                   "Introduction", "Practice", "References", "CLINICIANONLY"]:
        assert needle in text, needle
    assert "POLICYONLY" not in text
    assert re.search(r"^\s*1\.\s+Kruegel AC, Gassaway MM, Kapoor A, et al\.", text, re.M)
    assert re.search(r"^\s*3\.\s+Centers for Disease Control and Prevention\.", text, re.M)
    policy = pdftext(out / "tiny-briefing-policymaker-v1.0.0.pdf")
    assert "POLICYONLY" in policy and "CLINICIANONLY" not in policy
    assert "Policymaker edition" in policy


def test_paper_size_per_edition_and_override(cli, tiny, tiny_built, tmp_path):
    built = tiny_built.build()
    assert "(A4)" in pdfinfo(built / "tiny-briefing-clinician-v1.0.0.pdf")["Page size"]
    assert "(letter)" in pdfinfo(built / "tiny-briefing-policymaker-v1.0.0.pdf")["Page size"]
    out = tmp_path / "dist"
    cli("build", "--source", tiny, "--out", out, "--paper", "letter", "--edition", "clinician")
    assert "(letter)" in pdfinfo(out / "tiny-briefing-clinician-v1.0.0.pdf")["Page size"]


def test_html_format_is_self_contained(cli, tiny, tmp_path):
    out = tmp_path / "dist"
    result = cli("build", "--source", tiny, "--out", out, "--format", "html")
    assert result.exit_code == 0, result.stderr
    html = (out / "tiny-briefing-clinician-v1.0.0-print.html").read_text(encoding="utf-8")
    assert "data:font/otf;base64," in html
    assert "<svg" in html
    # Nothing left for a renderer to fetch: no relative or remote resource references.
    assert not re.search(r"""(?:src|href)=["'](?!#|data:|https?://doi\.org|https?://)""", html)
    assert not re.search(r"url\((?!\"?data:)", html)


def test_failed_build_leaves_out_untouched(cli, tiny, tiny_built, tmp_path):
    out = tmp_path / "dist"
    writable_copy(tiny_built.build(), out)  # a good build
    before = tree_snapshot(out)
    section = tiny / "report" / "sections" / "practice.yaml"
    section.write_text(section.read_text().replace("[@cdc2018salmonella]", "[@nosuchkey]"))
    (tiny / "report" / "changelog.yaml").write_text(
        'entries:\n  - version: "1.0.0"\n    date: 2026-11-26\n    changes: [Changed.]\n')
    result = cli("build", "--source", tiny, "--out", out)
    assert result.exit_code == 1
    assert result.stderr == ("report/sections/practice.yaml:7:48: unknown citation key "
                             "'nosuchkey'\n")
    assert tree_snapshot(out) == before


def test_renderer_error_fails_the_build_and_writes_nothing(cli, tiny, tmp_path):
    templates = tiny / "templates"
    templates.mkdir()
    css = (REPO / "src" / "kratom_report" / "templates" / "briefing.css").read_text()
    (templates / "briefing.css").write_text(css.replace("fonts/Inter-Regular.otf",
                                                        "fonts/Missing.otf"))
    out = tmp_path / "dist"
    result = cli("build", "--source", tiny, "--out", out)
    assert result.exit_code == 1
    assert "fonts/Missing.otf" in result.stderr
    assert not out.exists() or not any(out.iterdir())


def test_a_report_overrides_one_template_file(cli, tiny, tmp_path):
    templates = tiny / "templates"
    (templates / "blocks").mkdir(parents=True)
    (templates / "blocks" / "callout.html").write_text(
        '<aside class="callout">OVERRIDDEN {{ block.html }}</aside>\n')
    out = tmp_path / "dist"
    assert cli("build", "--source", tiny, "--out", out, "--edition", "clinician").exit_code == 0
    text = pdftext(out / "tiny-briefing-clinician-v1.0.0.pdf")
    assert "OVERRIDDEN" in text and "Tiny evidence briefing" in text


def test_the_tool_is_general(cli, tmp_path):
    src = FIXTURES / "unrelated"
    dest = tmp_path / "unrelated"
    shutil.copytree(src, dest)
    out = tmp_path / "dist"
    result = cli("build", "--source", dest, "--out", out)
    assert result.exit_code == 0, result.stderr
    pdfs = sorted(out.glob("*.pdf"))
    assert [p.name for p in pdfs] == ["street-trees-council-v0.3.0.pdf",
                                      "street-trees-residents-v0.3.0.pdf"]
    text = pdftext(out / "street-trees-council-v0.3.0.pdf")
    assert "Street trees and summer heat" in text


def test_no_topic_words_in_code_or_default_templates():
    pkg = REPO / "src" / "kratom_report"
    hits = []
    for path in pkg.rglob("*"):
        if path.is_file() and path.suffix in {".py", ".html", ".css", ".txt"}:
            text = path.read_text(encoding="utf-8", errors="replace").lower()
            text = text.replace("kratom_report", "").replace("kratom-report", "")
            if re.search(r"kratom|mitragyn|opioid", text):
                hits.append(path.name)
    assert hits == []


def test_html_renders_to_the_same_pages_with_plain_weasyprint(cli, tiny, tiny_built, tmp_path):
    import subprocess
    import sys

    pdf = tiny_built.build() / "tiny-briefing-clinician-v1.0.0.pdf"
    cli("build", "--source", tiny, "--out", tmp_path, "--edition", "clinician", "--format",
        "html")
    plain = tmp_path / "plain.pdf"
    subprocess.run([sys.executable, "-m", "weasyprint", str(tmp_path /
                    "tiny-briefing-clinician-v1.0.0-print.html"), str(plain)], check=True,
                   capture_output=True)
    ours = pdftext(pdf).split("\f")
    theirs = pdftext(plain).split("\f")
    assert len(ours) == len(theirs)
    assert ours == theirs


def test_loading_the_real_report_parses_each_text_once(monkeypatch):
    """The nesting, citation and fact checks share one markdown parse per text."""
    from collections import Counter

    from kratom_report.source.project import load_project
    from kratom_report.source.texts import MARKDOWN

    parsed: Counter[str] = Counter()
    real = MARKDOWN.parse

    def counting(text, env=None):
        parsed[text] += 1
        return real(text, env)

    monkeypatch.setattr(MARKDOWN, "parse", counting)
    project = load_project(REPO)
    assert project.sections and len(parsed) > 100  # the checks did read the texts
    assert max(parsed.values()) == 1, parsed.most_common(3)
