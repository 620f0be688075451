"""The screen reading edition: the print context through the web templates, plus back links.

It renders exactly what the PDF renders (same sections, blocks, numbering and references), so
the two can never disagree; only the templates and the stylesheet differ. The fonts are the
shipped Inter, subset once to Latin and symbols (scripts/web_fonts.py) and embedded by the
stylesheet: subsetting per page with fontTools costs 1-2 s per face, more than a whole release
site may take.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from markupsafe import Markup, escape

from ..source.project import Project
from .pages import render_template
from .render import RenderedEdition
from .summary import TITLES
from .templating import Templates
from .theme import check_glyphs

if TYPE_CHECKING:
    import jinja2

TEMPLATE = "web/edition.html"
STYLESHEET = "web/web.css"
# A citation in the text (superscript) or a source line's list of numbers ("Sources: 2, 5-7").
_CITE = re.compile(r'<(sup class="cite"|span class="cite-list")([^>]*)>(.*?)</(sup|span)>', re.S)
_ID = re.compile(r'\bid="([^"]+)"')
_RUN = re.compile(r"(\d+)(?:\s*[\u2013-]\s*(\d+))?")
_BACKLINKS = re.compile(r"<!--backlinks (\d+)-->")


def web_from(project: Project, printed: RenderedEdition, templates: Templates,
             env: jinja2.Environment | None = None,
             summaries: Sequence[tuple[str, str]] = ()) -> RenderedEdition:
    """The web edition of a composed edition: only the screen templates run again.

    Every output is made from the one composed edition, so the web edition can never disagree
    with the PDF (same sections, blocks, numbering, words and references); a shared ``env``
    compiles each template once for a whole site. Its characters are checked against the
    screen stylesheet's fonts, as the print HTML's are against the print fonts.
    ``summaries``: (kind, file name) of the edition's summaries, linked from its masthead.
    """
    if printed.context is None:
        raise ValueError(f"{printed.edition.id}: rendered without its template context")
    css = Markup(templates.inline_css(STYLESHEET))
    links = [{"title": TITLES[kind], "href": name} for kind, name in summaries]
    html = render_template(templates, TEMPLATE, {**printed.context, "css": css,
                                                 "summary_links": links}, env)
    check_glyphs(project, templates, STYLESHEET, html)
    return replace(printed, html=link_back(html))


def link_back(html: str) -> str:
    """Give every citation an id and every reference entry links back to each citation of it.

    A number inside a collapsed range ("3–6") has no link of its own in the text, so the
    numbers a citation covers are read from its text. Only citations count (``<sup
    class="cite">`` and a source line's ``<span class="cite-list">``): an author's own Markdown
    link to ``#ref-3`` is left as written.
    """
    seen: dict[int, list[str]] = {}
    unnamed = iter(range(1, len(html)))

    def cite(m: re.Match[str]) -> str:
        opening, attrs, inner = m.group(1), m.group(2), m.group(3)
        found = _ID.search(attrs)
        cite_id = found.group(1) if found else f"cite-at-{next(unnamed)}"
        text = re.sub(r"\([^)]*\)|<[^>]+>", "", inner)
        for run in _RUN.finditer(text):
            first = int(run.group(1))
            last = int(run.group(2) or first)
            for n in range(first, max(first, last) + 1):
                ids = seen.setdefault(n, [])
                if cite_id not in ids:
                    ids.append(cite_id)
        if found:
            return m.group(0)
        return f'<{opening} id="{cite_id}"{attrs}>{inner}</{m.group(4)}>'

    html = _CITE.sub(cite, html)

    def backlinks(m: re.Match[str]) -> str:
        n = int(m.group(1))
        ids = seen.get(n, [])
        if not ids:
            return ""
        links = "".join(
            f'<a href="#{cid}" aria-label="{escape(_back_label(n, i, len(ids)))}">'
            f'↩{"" if len(ids) == 1 else i}</a>'
            for i, cid in enumerate(ids, 1))
        return f' <span class="backlinks">{links}</span>'

    return _BACKLINKS.sub(backlinks, html)


def _back_label(n: int, i: int, total: int) -> str:
    if total == 1:
        return f"Back to where reference {n} is cited"
    return f"Back to citation {i} of {total} of reference {n}"
