"""Render one edition to a self-contained HTML document (CSS, fonts and figures inline)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from markupsafe import Markup, escape

from ..errors import Problem, ProblemsError
from ..source.limits import limit_bytes
from ..source.loader import Loc, YamlDoc
from ..source.markdown import make_markdown
from ..source.models import (
    CalloutBlock,
    Edition,
    EvidenceTableBlock,
    FigureBlock,
    MarkdownBlock,
    TableBlock,
)
from ..source.project import Project
from ..source.translations import edition_language, is_translated, text_loc, translation_key
from .citations import BibCache, Citer, bibliography, compose_cited
from .document import Release, changelog_context, document_meta
from .document import format_date as format_date  # re-exported: callers import it here
from .document import licence_name as licence_name
from .document import release_of as release_of
from .editions import SelectedSection, content_fingerprint, content_payload, get_edition, select
from .facts import Printer
from .i18n import N_, Words
from .marks import ChangeMarks, mark_rules
from .markup import KeptHtml, MarkupEnv, local_image_data_uri, render
from .pages import render_template
from .srcpos import origin, source_rules
from .studies import study_label
from .templating import Templates
from .theme import check_glyphs, figure_font, theme_assets

PAPER_SIZES = {"a4": "A4", "letter": "letter"}
_CERTAINTY = {"high": N_("High"), "moderate": N_("Moderate"), "low": N_("Low"),
              "very-low": N_("Very low")}


@dataclass(frozen=True)
class RenderedEdition:
    edition: Edition
    html: str
    paper: str
    content_fingerprint: str
    release: Release
    cited: tuple[str, ...]
    words: int
    payload: dict[str, Any]
    cited_refs: tuple[dict[str, Any], ...]
    entries: tuple[str, ...] = ()  # formatted references as plain text, in citation order
    # What the templates were given (without the stylesheet): another template set (the web
    # edition) renders it again without composing the edition twice.
    context: dict[str, Any] | None = field(default=None, compare=False, repr=False)
    # The summaries the edition asks for (compose/summary.py), composed with it.
    summaries: tuple[Any, ...] = field(default=(), compare=False, repr=False)

    def summary(self, kind: str) -> Any:
        return next(s for s in self.summaries if s.kind == kind)

    def record(self) -> dict[str, Any]:
        """The edition's content record (see :mod:`.record`): what a diff compares."""
        from .record import edition_record

        return edition_record(self.payload, list(self.entries))


def render_edition(project: Project, edition_id: str, *, paper: str | None = None,
                   templates: Templates | None = None,
                   bib_cache: BibCache | None = None,
                   marks: ChangeMarks | None = None, template: str = "document.html",
                   stylesheet: str = "briefing.css", review: bool = False,
                   kept: KeptHtml | None = None) -> RenderedEdition:
    """Everything WeasyPrint needs for one edition, as one HTML string.

    With ``marks``, what changed since an earlier version carries a margin bar and a note;
    with ``review``, every unit of text carries its source position (``data-src``).
    ``template`` and ``stylesheet`` let the screen edition render the very same context.
    ``kept``: this edition's texts rendered before (the preview's, see :class:`KeptHtml`).
    """
    templates = templates or Templates.for_root(project.root)
    edition = get_edition(project, edition_id)
    selected = select(project, edition)
    release = release_of(project)
    paper_id = paper or edition.paper or project.report.paper
    words = Words(edition_language(project.report, edition))
    marks = replace(marks, language=words.lang) if marks is not None else None
    style = edition.citation_style or project.report.citation_style
    ctx, composed, styled = compose_cited(
        project, style, lambda citer: TextContext(project, edition, marks, words, citer,
                                    review=review, kept=kept),
        lambda c: _compose_text(c, project, edition, selected))
    cover_note, key_messages, sections = composed
    cited = ctx.citer.cited()
    try:
        entries = list(styled.entries) if styled is not None else \
            bibliography(cited, style, project.report_dir, bib_cache)
    except ValueError as exc:
        raise ProblemsError([project.report_doc.problem(("citation_style",), str(exc))]) from None
    if ctx.problems:
        raise ProblemsError(ctx.problems)

    payload = content_payload(edition, selected, cited, ctx.data_used, ctx.printer.payload())
    fingerprint = content_fingerprint(payload)
    document = document_meta(project, edition, release, words, fingerprint)
    context = {
        "locale": words.lang, "words_css": Markup(words.css()),
        "doc": document,
        "edition": {"id": edition.id, "title": edition.title, "audience": edition.audience,
                    "accent": edition.accent, "cover_note": cover_note},
        "paper": PAPER_SIZES[paper_id],
        "key_messages": key_messages,
        "sections": sections,
        "references": [{"n": i + 1, "html": e, "first": ctx.citer.first.get(i + 1),
                        "numbered": styled is None} for i, e in enumerate(entries)],
        "changelog": changelog_context(project, edition, release, words),
        "changed": _changed_context(marks, edition),
        "theme": theme_assets(project).context(), "editorial_notes": list(ctx.printer.notes),
    }
    html = render_template(templates, template,
                            {**context, "css": Markup(templates.inline_css(stylesheet))})
    check_glyphs(project, templates, stylesheet, html)  # before any PDF is made
    refs = tuple(r.model_dump(by_alias=True, exclude_none=True, mode="json") for r in cited)
    return RenderedEdition(edition, html, paper_id, fingerprint, release,
                           tuple(ctx.citer.order), _words(html), payload, refs,
                           tuple(_entry_text(e) for e in entries), context)


Composed = tuple[Any, Any, Any]


def _compose_text(ctx: TextContext, project: Project, edition: Edition,
                  selected: list[SelectedSection]) -> Composed:
    """The edition's cover note, key messages and sections, cited through ``ctx.citer``."""
    cover_note = ctx.text(project.report_doc, _ed_loc(project, edition, "cover_note"),
                          edition.cover_note, inline=False) if edition.cover_note else None
    key_messages = [ctx.text(project.report_doc,
                             _ed_loc(project, edition, "key_messages") + (i,), m, inline=True,
                             unit=True)
                    for i, m in enumerate(edition.key_messages)]
    return cover_note, key_messages, [ctx.section(s) for s in selected]


def _changed_context(marks: ChangeMarks | None, edition: Edition) -> dict[str, Any]:
    """What templates need to mark changes; empty (and so invisible) without marks."""
    if marks is None:
        return {"since": None, "note": "", "key_messages": [], "summary": {}}
    from .record import plain_text

    md = make_markdown()
    indices = [i for i, m in enumerate(edition.key_messages)
               if plain_text(md, m) in marks.key_messages]
    return {"since": marks.since, "note": marks.note(), "key_messages": indices,
            "summary": marks.summary_lines()}


def _entry_text(entry: str) -> str:
    """A formatted reference as a reader reads it: tags dropped, entities decoded."""
    import html as html_lib

    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", "", str(entry))).split())


def _ed_loc(project: Project, edition: Edition, key: str) -> Loc:
    index = next(i for i, e in enumerate(project.report.editions) if e.id == edition.id)
    return ("editions", index, key)


class TextContext:
    """Rendering state for one edition: its citer, figure data used and problems found."""

    def __init__(self, project: Project, edition: Edition,
                 marks: ChangeMarks | None = None, words: Words | None = None,
                 citer: Citer | None = None, *, review: bool = False,
                 kept: KeptHtml | None = None) -> None:
        self.project = project
        self.edition = edition
        self.words = words or Words()
        self.translated = is_translated(project.report, edition)
        self.citer = citer or Citer(project.references)
        self.md = make_markdown()
        self.marks = marks
        if marks is not None:
            mark_rules(self.md, marks)
        self.review = review
        if review:
            source_rules(self.md)
        # Kept HTML holds for the plain parser only (see KeptHtml).
        self.kept = kept if marks is None and not review else None
        self.problems: list[Problem] = []
        self.printer = Printer(project.facts, self.words.lang, release_of(project).draft)
        self.data_used: dict[str, Any] = {}
        self.figures_seen = 0  # figures so far, for "Figure N."

    def source(self, t: Any, text: str | None) -> dict[str, Any]:
        """A source line of citations alone reads as a list ("Sources: 2, 21, 26–28"), not as
        a row of superscripts; any other source text renders as written."""
        one = self.words.gettext("Source")
        if not text:
            return {"source": None, "source_label": one}
        html = str(t("source", text))
        cites = re.fullmatch(r'\s*<sup class="cite"( id="[^"]+")>(.*?)</sup>\s*', html)
        if cites is None:
            return {"source": Markup(html), "source_label": one}
        body = re.sub(r",(?=<a )", ", ", cites.group(2))
        several = "," in body or "\u2013" in body
        return {"source": Markup(f'<span class="cite-list"{cites.group(1)}>{body}</span>'),
                "source_label": self.words.gettext("Sources") if several else one}

    def noted(self, marked: bool, html: Markup) -> Markup:
        """The screen-reader note that starts a changed row's first cell."""
        if not marked or self.marks is None:
            return html
        return Markup('<span class="change-note">') + self.marks.note() + Markup("</span>") + html

    def changed_row(self, cells: list[Any]) -> bool:
        """Whether a table row reads, as plain text, like one the marks name."""
        if self.marks is None:
            return False
        from .record import plain_text

        text = " | ".join("" if c is None else plain_text(self.md, str(c)) for c in cells)
        return text in self.marks.units

    def src(self, doc: YamlDoc, loc: Loc, text: str) -> str | None:  # review copies only
        return origin(doc, loc, str(text)).at(0) if self.review else None

    def text(self, doc: YamlDoc, loc: Loc, text: str, *, inline: bool,
             unit: bool = False) -> Markup:
        """``unit``: an inline text that is a unit of its own (key message, caption)."""
        def image(src: str, alt: str) -> str:
            if not alt.strip():
                line, col = doc.find(loc, src)
                self.problems.append(Problem(doc.display, line, col, (
                    f"image '{src}' has no alt text; describe it: ![what it shows]({src})")))
                return ""
            uri, reason = local_image_data_uri(
                src, self.project.report_dir, self.project.root,
                limit_bytes(self.project.report.max_file_mb))
            if reason:
                line, col = doc.find(loc, src)
                self.problems.append(Problem(doc.display, line, col, reason))
                return ""
            return f'<img src="{uri}" alt="{escape(alt)}">'

        where = origin(doc, loc, str(text)) if self.review else None
        env = MarkupEnv(cite=self.citer.cite, image=image, printer=self.printer, origin=where)
        html = render(self.md, str(text), env, inline=inline, kept=self.kept)
        if where is None or not (inline and unit):
            return html
        return Markup('<span class="src-unit" data-src="%s">%s</span>') % (where.at(0), html)

    def section(self, selected: SelectedSection) -> dict[str, Any]:
        s, doc = selected.section, selected.located.doc
        return {"id": s.id, "title": s.title, "kind": s.kind,
                "blocks": [self.block(doc, ("blocks", i), b) for i, b in selected.blocks]}

    def block(self, doc: YamlDoc, loc: Loc, block: Any) -> dict[str, Any]:
        tkey = (translation_key(getattr(block, "translations", None), self.words.lang)
                if self.translated else None)

        def where(key: Any) -> Loc:
            path = loc + (key if isinstance(key, tuple) else (key,))
            if tkey is not None:  # a translated text is located where its translation stands
                path = text_loc(doc.data, loc, tkey, path)
            return path

        def t(key: Any, value: Any, inline: bool = True) -> Markup:
            return self.text(doc, where(key), str(value), inline=inline,
                             unit=key in ("caption", "title"))

        def row_src(rows: list[Any], first: Any) -> list[str | None]:
            return [self.src(doc, where(("rows", r, first)), "") for r in range(len(rows))]

        if isinstance(block, MarkdownBlock):
            return {"type": "markdown", "html": t("text", block.text, inline=False)}
        if isinstance(block, CalloutBlock):
            return {"type": "callout", "title": t("title", block.title) if block.title else None,
                    "html": t("text", block.text, inline=False)}
        if isinstance(block, TableBlock):
            marked = [r for r, row in enumerate(block.rows) if self.changed_row(list(row))]
            return {"type": "table", "caption": t("caption", block.caption),
                    "header": [t(("header", c), h) for c, h in enumerate(block.header)],
                    "rows": [[self.noted(r in marked and c == 0, t(("rows", r, c), v))
                              for c, v in enumerate(row)] for r, row in enumerate(block.rows)],
                    "changed_rows": marked, "row_src": row_src(block.rows, 0),
                    **self.source(t, block.source)}
        if isinstance(block, EvidenceTableBlock):
            rows = []
            for r, row in enumerate(block.rows):
                rows.append({
                    "study": study_label(self.project.references, row.study,
                                         self.words) + t(("rows", r, "study"), row.study),
                    "design": t(("rows", r, "design"), row.design),
                    "n": t(("rows", r, "n"), _number(row.n)) if row.n is not None else "",
                    "population": t(("rows", r, "population"), row.population),
                    "finding": t(("rows", r, "finding"), row.finding),
                    "certainty": row.certainty,
                    "certainty_label": self.words.gettext(_CERTAINTY[row.certainty]),
                    "changed": self.changed_row([row.study, row.design, row.n, row.population,
                                                 row.finding, row.certainty]),
                })
            return {"type": "evidence_table", "caption": t("caption", block.caption),
                    "rows": rows, "row_src": row_src(block.rows, "study"),
                    **self.source(t, block.source)}
        if isinstance(block, FigureBlock):
            return self.figure(doc, loc, block, t)
        raise TypeError(type(block).__name__)

    def figure(self, doc: YamlDoc, loc: Loc, block: FigureBlock, t) -> dict[str, Any]:
        from .figureblock import figure_block

        return figure_block(self, doc, loc, block, t, figure_font(self.project))


def _number(value: Any) -> Any:  # counts print with separators (1,807), cells as written
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else value


def _words(html: str) -> int:
    body = html.split("<body", 1)[-1]
    text = re.sub(r"<(style|svg)\b.*?</\1>", " ", body, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)
    return len(re.findall(r"\w+", text))
