"""Issue 33: what the preview keeps in memory between rebuilds (each file's parsed document,
each text's rendered HTML) gives exactly what a fresh render gives, is used only for what did
not change, never for a file with an error, and does not grow with every save."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from kratom_report.authoring.preview import WebBuilder
from kratom_report.build import BuildRequest, build
from kratom_report.compose.markup import KeptHtml, MarkupEnv, render
from kratom_report.errors import ProblemsError
from kratom_report.source import loader, parsecache
from kratom_report.source.markdown import make_markdown
from kratom_report.source.parsecache import ParsedDocs
from kratom_report.source.project import load_project

from conftest import REPO, save_like_an_editor

CLIN = "tiny-briefing-clinician-v1.0.0.html"


@pytest.fixture
def reads(cache_home: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each file read back from the parsed-source cache on disk or really parsed, from now on
    (a document kept in memory is neither); with a cache folder of this test's own."""
    seen: list[str] = []
    real_parse, real_read = loader.parse_yaml, parsecache.read_entry

    def parsing(text: str, path: Path, display: str) -> loader.YamlDoc:
        seen.append(f"parsed {display}")
        return real_parse(text, path, display)

    def reading(kind: str, key: str) -> str | None:
        found = real_read(kind, key)
        seen.append("read from disk" if found is not None else "not on disk")
        return found

    monkeypatch.setattr(loader, "parse_yaml", parsing)
    monkeypatch.setattr(parsecache, "read_entry", reading)
    return seen


def test_a_rebuild_reads_only_the_edited_file_and_never_keeps_one_with_an_error(
        tiny: Path, tmp_path: Path, reads: list[str]) -> None:
    builder = WebBuilder(tiny, ("clinician",), tmp_path / "out")
    builder.build()
    assert "parsed report/sections/intro.yaml" in reads
    reads.clear()
    builder.build()
    assert reads == []  # nothing changed: every document from memory

    intro = tiny / "report" / "sections" / "intro.yaml"
    save_like_an_editor(intro, "Shared paragraph citing", "Shared paragraph, edited, citing")
    pages, changed = builder.build()
    assert reads == ["not on disk", "parsed report/sections/intro.yaml"]
    assert changed == [CLIN] and b"Shared paragraph, edited, citing" in pages[0].html

    # A file with an error is parsed for real on every rebuild, its message located each time.
    save_like_an_editor(intro, "kind: evidence", "kind: evidence\nblocks: [")
    messages = []
    for _ in range(2):
        reads.clear()
        with pytest.raises(ProblemsError) as caught:
            builder.build()
        assert reads == ["not on disk", "parsed report/sections/intro.yaml"]
        messages.append([str(p) for p in caught.value.problems])
    assert messages[0] == messages[1]
    assert messages[0][0].startswith("report/sections/intro.yaml:")

    save_like_an_editor(intro, "kind: evidence\nblocks: [", "kind: evidence")
    reads.clear()
    pages, _ = builder.build()
    # Parsed clean before, so the disk cache has it; and so has the data file only it names,
    # which the two failed loads did not read and so no longer kept.
    assert reads == ["read from disk", "read from disk"]
    fresh = build(tiny, BuildRequest(fmt="web", editions=("clinician",), out=tmp_path / "web"))
    assert pages[0].html == fresh[0].path.read_bytes()


def test_documents_of_changed_and_vanished_files_are_dropped(tiny: Path) -> None:
    docs = ParsedDocs()
    load_project(tiny, docs=docs)
    files = len(docs)
    assert files >= 5  # report.yaml, two sections, references, changelog, a data file
    intro = tiny / "report" / "sections" / "intro.yaml"
    for n in range(20):  # memory stays flat however often a file is saved
        save_like_an_editor(intro, "Introduction", f"Introduction {n}")
        load_project(tiny, docs=docs)
        save_like_an_editor(intro, f"Introduction {n}", "Introduction")
        assert len(docs) == files

    report = tiny / "report" / "report.yaml"
    save_like_an_editor(report, "  - practice\n", "")
    (tiny / "report" / "sections" / "practice.yaml").unlink()
    load_project(tiny, docs=docs)
    assert len(docs) == files  # the load before still used it
    load_project(tiny, docs=docs)
    assert len(docs) == files - 1


class _Hooks:
    """A render's hooks that answer from ``answers`` and note every call."""

    def __init__(self, answers: dict[str, str]) -> None:
        self.answers, self.calls = answers, []

    def env(self) -> MarkupEnv:
        def cite(cites, raw):
            self.calls.append(("cite", raw))
            return self.answers[raw]

        def image(src, alt):
            self.calls.append(("image", src))
            return f'<img src="{src}" alt="{alt}">'

        return MarkupEnv(cite=cite, image=image)


TEXT = "One [@a] and *two* [@b], ![a dot](dot.png) at 5 mg."


def test_kept_html_calls_the_hooks_as_a_render_does_and_renders_again_on_other_answers(
        monkeypatch: pytest.MonkeyPatch) -> None:
    md = make_markdown()
    rendered: list[str] = []
    real = md.render
    monkeypatch.setattr(md, "render", lambda text, env=None: (rendered.append(text),
                                                              real(text, env))[1])
    kept = KeptHtml()
    first = {"[@a]": "<sup>1</sup>", "[@b]": "<sup>2</sup>"}
    plain = _Hooks(first)
    expected = render(md, TEXT, plain.env())
    for _ in range(3):
        hooks = _Hooks(first)
        kept.new_round()
        assert render(md, TEXT, hooks.env(), kept=kept) == expected
        assert hooks.calls == plain.calls  # the same calls, in the same order, every time
    assert rendered == [TEXT, TEXT]  # once without kept, once to fill it

    renumbered = {"[@a]": "<sup>3</sup>", "[@b]": "<sup>1</sup>"}
    hooks = _Hooks(renumbered)
    again = render(md, TEXT, hooks.env(), kept=kept)
    assert again == render(md, TEXT, _Hooks(renumbered).env()) != expected
    assert hooks.calls == plain.calls  # called once each: the render used their answers
    assert render(md, TEXT, _Hooks(first).env(), kept=kept) == expected  # both answers kept
    assert len(rendered) == 4

    kept.new_round()  # a render that does not use the text...
    kept.new_round()  # ...and the next one: it is gone
    assert len(kept) == 0


def _edit_and_compare(root: Path, tmp_path: Path, builder: WebBuilder, edits, name: str) -> None:
    for path, old, new in edits:
        save_like_an_editor(path, old, new)
    pages, _ = builder.build()
    fresh_builder = WebBuilder(root, (), tmp_path / f"{name}-preview")
    fresh = build(root, BuildRequest(fmt="web", out=tmp_path / name))
    assert [p.html for p in pages] == [b.path.read_bytes() for b in fresh]
    assert [p.html for p in pages] == [p.html for p in fresh_builder.build()[0]]


def test_pages_after_edits_that_renumber_citations_and_change_facts_equal_fresh_ones(
        tiny: Path, tmp_path: Path) -> None:
    """Texts that did not change but print otherwise (a citation renumbered, a fact's new
    value, another citation style) come out as a fresh render prints them."""
    report = tiny / "report"
    (report / "facts.yaml").write_text(
        "facts:\n  - id: users\n    value: 1807\n    sources: [kruegel2016synthetic]\n"
        f"    checked: {dt.date.today().isoformat()}\n", encoding="utf-8")
    practice = report / "sections" / "practice.yaml"
    assert "[@" in practice.read_text(encoding="utf-8")  # its numbers follow the intro's
    first, other = "one source [@kruegel2016synthetic]", "one source [@cdc2018salmonella]"
    intro = report / "sections" / "intro.yaml"
    save_like_an_editor(intro, "A second paragraph", "About {{fact:users}} users. A second "
                        "paragraph")
    builder = WebBuilder(tiny, (), tmp_path / "out")
    builder.build()
    _edit_and_compare(tiny, tmp_path, builder, [(intro, first, other)], "renumbered")
    _edit_and_compare(tiny, tmp_path, builder, [(report / "facts.yaml", "1807", "2054")],
                      "fact")
    _edit_and_compare(tiny, tmp_path, builder, [
        (report / "report.yaml", "changelog: changelog.yaml", "changelog: changelog.yaml\n"
         "citation_style: apa"),
    ], "author-date")
    _edit_and_compare(tiny, tmp_path, builder, [(intro, other, first)], "back")


def test_the_shipped_report_after_a_section_edit_equals_a_fresh_preview_and_build(
        tmp_path: Path) -> None:
    root = tmp_path / "briefing"
    shutil.copytree(REPO / "report", root / "report")
    builder = WebBuilder(root, (), tmp_path / "out")
    builder.build()
    about = root / "report" / "sections" / "about.yaml"
    _edit_and_compare(root, tmp_path, builder, [
        (about, "## How the evidence was gathered", "## How the evidence was gathered (1)")],
        "about")
