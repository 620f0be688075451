"""Graded entry: an edition's one-page and three-page summaries (the 1:3:25 format).

A summary is a small layout of its own, composed from the very sources the edition is made of,
in the edition's language, theme and fonts: its key messages, each section's ``summary``, the
blocks marked ``in_summary`` and a short reference list of only the works the summary cites
(numbered 1..n in the summary's own reading order). Where the full edition can be read comes
from the pipeline (it names every output), so this stage never invents a file name or URL.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from ..errors import Problem, ProblemsError
from ..source.loader import Loc
from ..source.models import SUMMARY_PAGES
from ..source.project import Project
from ..source.svgsafe import clean_svg
from ..source.translations import edition_language, text_loc, translation_key
from .citations import BibCache, bibliography, compose_cited
from .editions import SelectedSection, select
from .i18n import N_, Words
from .pages import render_template
from .render import RenderedEdition, TextContext
from .templating import Templates
from .theme import check_glyphs

TITLES = {"one-page": N_("One-page summary"), "three-page": N_("Three-page summary")}
STYLESHEETS = ("briefing.css", "summary.css")


@dataclass(frozen=True)
class ReadAt:
    """Where the full edition is read: its web address (when the site's is known) and file."""

    url: str | None
    file: str


@dataclass(frozen=True)
class Summary:
    """One composed summary: its print HTML and the most pages it may take.

    ``at`` is where report.yaml asks for it (an overflow is reported there).
    """

    kind: str
    html: str
    max_pages: int
    at: Problem
    cited: tuple[str, ...]


def summary_loc(selected: SelectedSection, lang: str) -> Loc:
    """Where a section's printed summary is written: its translation's, else the original."""
    key = translation_key(selected.section.translations, lang) if selected.section.summary \
        else None
    if key is None:
        return ("summary",)
    return text_loc(selected.located.doc.data, (), key, ("summary",))


def compose_summaries(project: Project, r: RenderedEdition, templates: Templates,
                      bib_cache: BibCache, read_at: ReadAt) -> tuple[Summary, ...]:
    """Every summary the edition asks for; raises ProblemsError (citations, glyphs)."""
    edition = r.edition
    if not edition.summaries:
        return ()
    words = Words(edition_language(project.report, edition))
    index = next(i for i, e in enumerate(project.report.editions) if e.id == edition.id)
    selected = select(project, edition)
    style = edition.citation_style or project.report.citation_style
    ctx, (messages, on_first, sections, blocks), styled = compose_cited(
        project, style, lambda citer: TextContext(project, edition, None, words, citer),
        lambda c: _summary_text(c, project, index, selected))
    if ctx.problems:
        raise ProblemsError(ctx.problems)
    if styled is None:
        entries = bibliography(ctx.citer.cited(), style, project.report_dir, bib_cache)
        refs = [{"n": i + 1, "html": e} for i, e in enumerate(entries)]
        first_refs = refs[:on_first]
    else:  # the style's order; the one-page summary lists what its key messages cite
        refs = [{"n": i + 1, "html": e, "numbered": False}
                for i, e in enumerate(styled.entries)]
        early = set(ctx.citer.order[:on_first])
        first_refs = [ref for ref, key in zip(refs, styled.keys, strict=True) if key in early]
    base = {**(r.context or {}), "css": Markup("\n".join(templates.inline_css(name)
                                                        for name in STYLESHEETS)),
            "read": _read(read_at, words)}
    out = []
    for j, kind in enumerate(edition.summaries):
        longer = kind != "one-page"
        context = {**base, "summary": {
            "kind": kind, "title": words.gettext(TITLES[kind]), "key_messages": messages,
            "sections": sections if longer else [], "blocks": blocks if longer else [],
            "references": refs if longer else first_refs}}
        html = render_template(templates, "summary.html", context)
        check_glyphs(project, templates, "briefing.css", html)
        at = project.report_doc.problem(("editions", index, "summaries", j), "")
        cited = ctx.citer.order if longer else ctx.citer.order[:on_first]
        out.append(Summary(kind, html, SUMMARY_PAGES[kind], at, tuple(cited)))
    return tuple(out)


def _summary_text(ctx: TextContext, project: Project, index: int,
                  selected: list[SelectedSection]) -> tuple[Any, int, Any, Any]:
    """Key messages, how many works they cite, section summaries and summary blocks."""
    edition, lang = ctx.edition, ctx.words.lang
    messages = [ctx.text(project.report_doc, ("editions", index, "key_messages", i), m,
                         inline=True) for i, m in enumerate(edition.key_messages)]
    on_first = len(ctx.citer.order)
    sections = [{"id": s.section.id, "title": s.section.title,
                 "html": ctx.text(s.located.doc, summary_loc(s, lang), s.section.summary,
                                  inline=False)}
                for s in selected if s.section.summary]
    blocks = [{"section": {"id": s.section.id},
               "block": ctx.block(s.located.doc, ("blocks", i), b)}
              for s in selected for i, b in s.blocks if getattr(b, "in_summary", False)]
    return messages, on_first, sections, blocks


def _read(read_at: ReadAt, words: Words) -> dict[str, Any]:
    """The "read the full edition" box: the address and its QR code, or the file name."""
    if read_at.url is None:
        return {"url": None, "file": read_at.file, "qr": None}
    import segno

    raw = io.BytesIO()
    segno.make(read_at.url, error="m").save(raw, kind="svg", xmldecl=False, scale=1, border=0)
    title = words.gettext("QR code of the full edition's address: %(url)s") % {
        "url": read_at.url}
    return {"url": read_at.url, "file": read_at.file,
            "qr": Markup(clean_svg(raw.getvalue(), title=title, id_prefix="qr"))}


def summary_sections(project: Project, edition_id: str) -> tuple[list[str], list[str]]:
    """(sections with a summary, sections without one) of an edition, by id, in order."""
    edition = next(e for e in project.report.editions if e.id == edition_id)
    selected = select(project, edition)
    return ([s.section.id for s in selected if s.section.summary],
            [s.section.id for s in selected if not s.section.summary])
