"""Open review comments beside the paragraphs they were left on, in the preview only.

A comment in ``report/reviews/<version>.yaml`` carries the source position (file:line:column)
of the paragraph, list item, table row, key message or caption it was left on. The preview
composes an edition with the review copy's source positions (``data-src``, compose/srcpos.py)
while any comment is open, and puts each open comment into the element that carries its
position, as a margin note. Nothing here reaches ``build`` or ``release``: their editions are
composed without positions and never annotated.

Comments are reviewers' text: every field is escaped, and the notes need no script (the
show/hide switch is a checkbox and CSS), so the preview's policy stays as it is.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..source.reviews import load_reviews, reviews_path

Comment = dict[str, Any]

# An element that carries a source position: its opening tag (our templates' and markdown-it's
# output; an author's own text never makes a tag, its "<" is escaped).
_POSITIONED = re.compile(r'<(\w+)\b[^<>]*?\sdata-src="([^"]*)"[^<>]*>')
_CELL = re.compile(r"<t[hd]\b[^<>]*>")
_BODY = re.compile(r"<body\b[^<>]*>")

STYLE = (
    "#kr-review-show{position:absolute;left:-9999px}"
    "#kr-review-bar{position:sticky;top:0;z-index:2147483645;background:#fff8e1;color:#3e2c00;"
    "border-bottom:1px solid #c9a227;padding:.35rem 1rem;font:13px/1.4 system-ui,sans-serif}"
    "#kr-review-bar label{margin-left:.75rem;text-decoration:underline;cursor:pointer}"
    "#kr-review-bar ul{margin:.25rem 0 0;padding-left:1.25rem}"
    ".kr-review-note{display:block;box-sizing:border-box;margin:.25rem 0;padding:.35rem .5rem;"
    "background:#fff8e1;color:#3e2c00;border-left:3px solid #c9a227;text-align:left;"
    "font:12px/1.35 system-ui,sans-serif;font-weight:normal;font-style:normal;"
    "text-transform:none;white-space:normal}"
    ".kr-review-note>span{display:block}"
    ".kr-review-meta{color:#6b5a2e}"
    ".kr-review-id{font:11px ui-monospace,monospace;color:#6b5a2e}"
    "@media (min-width:68rem){.kr-review-note{position:absolute;right:1rem;width:14rem;"
    "margin:0}}"
    "#kr-review-bar .kr-review-note{position:static;width:auto;margin:.15rem 0}"
    "#kr-review-show:not(:checked)~* .kr-review-note{display:none}"
    "#kr-review-show:not(:checked)~#kr-review-bar .kr-review-hide,"
    "#kr-review-show:checked~#kr-review-bar .kr-review-showing{display:none}"
)


def open_comments(root: Path, version: str) -> tuple[Comment, ...]:
    """The version's open comments; raises ReviewError when its reviews file is damaged."""
    if not reviews_path(root, version).is_file():
        return ()
    return tuple(c for c in load_reviews(root, version).open
                 if isinstance(c, dict) and c.get("id"))


def reviews_folder(root: Path) -> Path:
    """Where reviews files live: not an input of any edition (see ``WebBuilder``)."""
    return reviews_path(root, "-").parent


def annotate(doc: str, edition: str, comments: Sequence[Comment]) -> str:
    """``doc`` (composed with source positions) with each comment in the element that
    carries its position, and a bar at the top that counts them and lists the ones of this
    edition whose position is nowhere on the page (their text moved since the review copy)."""
    if not comments:
        return doc
    by_source: dict[str, list[Comment]] = {}
    for c in comments:
        by_source.setdefault(str(c.get("source") or ""), []).append(c)
    placed: set[str] = set()
    out, at = [], 0
    for m in _POSITIONED.finditer(doc):
        found = by_source.get(html.unescape(m.group(2)))
        if not found or m.group(2) in placed:
            continue
        placed.add(html.unescape(m.group(2)))
        end = m.end()
        if m.group(1).lower() == "tr":  # a row's note goes into its first cell
            cell = _CELL.match(doc, end)
            end = cell.end() if cell else end
        out += [doc[at:end], "".join(note(c) for c in found)]
        at = end
    out.append(doc[at:])
    shown = [c for c in comments if str(c.get("source") or "") in placed]
    astray = [c for c in comments if str(c.get("source") or "") not in placed
              and c.get("edition") in (edition, None)]
    return _with_bar("".join(out), len(shown) + len(astray), astray)


def rows_positioned(context: dict[str, Any]) -> dict[str, Any]:
    """The composed edition's template context with each table row's source position on its
    first cell. The print templates put a row's position on its ``<tr>``; the screen
    templates do not (and stay as they are: they are part of every build's fingerprint), so
    the preview carries it on the cell, where a row's note goes anyway."""
    from markupsafe import Markup

    def wrap(src: str | None, cell: Any) -> Any:
        if not src:
            return cell
        return Markup('<span class="src-unit" data-src="%s">%s</span>') % (src, cell)

    def block(b: dict[str, Any]) -> dict[str, Any]:
        srcs = b.get("row_src") or []
        if b.get("type") == "table" and any(srcs):
            return {**b, "rows": [[wrap(src, row[0]), *row[1:]] if row else row
                                  for src, row in zip(srcs, b["rows"], strict=True)]}
        if b.get("type") == "evidence_table" and any(srcs):
            return {**b, "rows": [{**row, "study": wrap(src, row["study"])}
                                  for src, row in zip(srcs, b["rows"], strict=True)]}
        return b

    return {**context, "sections": [{**s, "blocks": [block(b) for b in s["blocks"]]}
                                     for s in context["sections"]]}


def note(c: Comment) -> str:
    """One comment as a margin note: reviewer and date, the text (and what it quotes), id."""
    e = lambda v: html.escape(str(v))  # noqa: E731 - every field is reviewers' text
    quote = f' <q class="kr-review-quote">{e(c["quote"])}</q>' if c.get("quote") else ""
    date = f' <span class="kr-review-date">{e(c["date"])}</span>' if c.get("date") else ""
    return (f'<span class="kr-review-note" role="note" data-comment="{e(c["id"])}">'
            f'<span class="kr-review-meta"><span class="kr-review-who">'
            f'{e(c.get("reviewer") or "")}</span>{date}</span>'
            f'<span class="kr-review-text">{e(c.get("comment") or "")}{quote}</span>'
            f'<span class="kr-review-id">{e(c["id"])}</span></span>')


def count_line(n: int) -> str:
    return f"{n} open review comment{'s' if n != 1 else ''}"


def _with_bar(doc: str, n: int, astray: list[Comment]) -> str:
    items = "".join(f'<li>{html.escape(str(c.get("source") or "?"))}: {note(c)}</li>'
                    for c in astray)
    listing = (f"<div>{len(astray)} of them {'is' if len(astray) == 1 else 'are'} not beside "
               f"any text of this page (the text moved or changed since):<ul>{items}</ul></div>"
               if astray else "")
    bar = (f'<style id="kr-review-style">{STYLE}</style>'
           '<input type="checkbox" id="kr-review-show" checked>'
           f'<aside id="kr-review-bar" aria-label="Review comments">{count_line(n)}'
           '<label for="kr-review-show"><span class="kr-review-hide">hide</span>'
           f'<span class="kr-review-showing">show</span></label>{listing}</aside>')
    m = _BODY.search(doc)
    return doc[:m.end()] + bar + doc[m.end():] if m else bar + doc
