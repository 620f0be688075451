"""Cite per edition in reading order and format the matching reference list.

A numeric style numbers works on first use ("¹", "2–4"); an author-date style cites
"(Smith et al., 2016a)" from an :class:`AuthorDateList` made for the edition's cited works.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

from markupsafe import Markup, escape

from ..errors import ProblemsError
from ..references.intext import AuthorDateList, author_date_list
from ..references.styles import style_kind
from ..source.loader import Located
from ..source.markdown import Cite
from ..source.models import Reference
from ..source.project import Project


class _Citing(Protocol):
    citer: Citer


C = TypeVar("C", bound=_Citing)
T = TypeVar("T")


@dataclass
class Citer:
    """Numbers keys on first use; one per edition, so each edition's list is 1..n.

    With ``styled`` (an author-date style), citations read "(Smith, 2020)" and link to the
    entry's place in the style's list; ``first`` is then keyed by that place.
    """

    references: dict[str, Located]
    styled: AuthorDateList | None = None
    order: list[str] = field(default_factory=list)
    numbers: dict[str, int] = field(default_factory=dict)
    # Where each number is first cited (the citation's id), so its entry links back to it: a
    # number inside a collapsed range ("3–6") has no link of its own in the text.
    first: dict[int, str] = field(default_factory=dict)
    count: int = 0

    def number(self, key: str) -> int:
        k = key.lower()
        if k not in self.numbers:
            self.order.append(k)
            self.numbers[k] = len(self.order)
        return self.numbers[k]

    def cite(self, cites: list[Cite], raw: str) -> str:
        """Superscript numbers, ranges collapsed, each number linked to its entry."""
        known = [c for c in cites if c.key.lower() in self.references]
        if not known:
            return str(escape(raw))
        if self.styled is not None:
            return self._author_date(known, self.styled)
        located = {self.number(c.key): c for c in known}
        self.count += 1
        cite_id = f"cite-{self.count}"
        for n in located:
            self.first.setdefault(n, cite_id)
        parts = []
        for run in _runs(sorted(located), {n for n, c in located.items() if c.locator}):
            first, last = run[0], run[-1]
            text = _link(first, located[first])
            if len(run) == 2:
                text += "," + _link(last, located[last])
            elif len(run) > 2:
                text += "\u2013" + _link(last, located[last])
            parts.append(text)
        return f'<sup class="cite" id="{cite_id}">{",".join(parts)}</sup>'

    def _author_date(self, known: list[Cite], styled: AuthorDateList) -> str:
        """"(<a>Smith, 2020</a>; <a>Jones, 2021, p. 4</a>)": works in the list's order."""
        self.count += 1
        cite_id = f"cite-{self.count}"
        places: dict[int, Cite] = {}
        for c in known:
            self.number(c.key)
            if c.key.lower() in styled.labels:
                places.setdefault(styled.position(c.key), c)
        parts = []
        for n, c in sorted(places.items()):
            self.first.setdefault(n, cite_id)
            loc = f", {escape(c.locator)}" if c.locator else ""
            parts.append(f'<a href="#ref-{n}">{styled.labels[c.key.lower()]}{loc}</a>')
        body = escape(styled.delimiter).join(Markup(p) for p in parts)
        return (f'<span class="cite cite-author-date" id="{cite_id}">'
                f"{escape(styled.prefix)}{body}{escape(styled.suffix)}</span>")

    def cited(self) -> list[Reference]:
        return [self.references[k].model for k in self.order]


def _link(n: int, cite: Cite) -> str:
    loc = f"({escape(cite.locator)})" if cite.locator else ""
    return f'<a href="#ref-{n}">{n}</a>{loc}'


def _runs(nums: list[int], pinned: set[int]) -> list[list[int]]:
    """Consecutive numbers form a run; a number with a locator (p. 12) always stands alone."""
    runs: list[list[int]] = []
    for n in nums:
        joinable = runs and n == runs[-1][-1] + 1 and n not in pinned and \
            runs[-1][-1] not in pinned
        if joinable:
            runs[-1].append(n)
        else:
            runs.append([n])
    return runs


def compose_cited(project: Project, style: str, make: Callable[[Citer], C],
                  compose: Callable[[C], T]
                  ) -> tuple[C, T, AuthorDateList | None]:
    """Compose once; for an author-date style compose again with the citations it lists.

    Year suffixes ("2016a") depend on every work the text cites, so the first pass finds
    them and the second prints the citations. A numeric style needs one pass.
    """
    try:
        kind = style_kind(style, project.report_dir)
    except ValueError as exc:
        raise ProblemsError([project.report_doc.problem(("citation_style",), str(exc))]) from None
    ctx = make(Citer(project.references))
    composed = compose(ctx)
    if kind == "numeric":
        return ctx, composed, None
    refs = [r.model_dump(by_alias=True, exclude_none=True, mode="json")
            for r in ctx.citer.cited()]
    try:
        styled = author_date_list(refs, style, project.report_dir)
    except ValueError as exc:
        raise ProblemsError([project.report_doc.problem(("citation_style",), str(exc))]) from None
    ctx = make(Citer(project.references, styled))
    return ctx, compose(ctx), styled


BibCache = dict[tuple[str, str], Markup]


def bibliography(refs: list[Reference], style: str, base_dir: Path,
                 cache: BibCache | None = None) -> list[Markup]:
    """One HTML entry per cited reference, in citation order, via the CSL processor.

    Numeric styles format each entry on its own, so an entry formatted for one edition is
    reused by the next (``cache``), which halves the work of a two-edition check.
    """
    from ..references.bibliography import format_bibliography

    cache = {} if cache is None else cache
    missing = [r for r in refs if (style, r.key.lower()) not in cache]
    if missing:
        items = [r.model_dump(by_alias=True, exclude_none=True, mode="json") for r in missing]
        for ref, entry in zip(missing, format_bibliography(items, style, base_dir),
                              strict=True):
            cache[(style, ref.key.lower())] = entry
    return [Markup(breakable_links(str(cache[(style, r.key.lower())]))) for r in refs]


_LINK_TEXT = re.compile(r"(<a [^>]*>)([^<]+)(</a>)")
_LINK_PREFIX = re.compile(r"^(?:doi:\s?|https?://(?:www\.)?|)")


def breakable_links(entry: str) -> str:
    """Let a DOI or URL break only at its natural points: after ``/``, before ``.-?#&=``.

    ``<wbr>`` adds a break opportunity without a character, so a copied DOI stays intact and no
    hyphen appears; the prefix (``doi:``, ``https://www.``) never breaks.
    """
    def soften(m: re.Match[str]) -> str:
        text = m.group(2)
        head = _LINK_PREFIX.match(text).group(0)  # type: ignore[union-attr]
        rest = re.sub(r"(?<=/)(?=[^/])", "<wbr>", text[len(head):])
        rest = re.sub(r"(?<=[^<>])(?=[.?#&=-][^.?#&=-]*)", "<wbr>", rest)
        return m.group(1) + head + rest + m.group(3)

    return _LINK_TEXT.sub(soften, entry)
