"""The syntax authors write: CommonMark through markdown-it-py with ``[@key]`` citations.

Parsing lives here, below every stage that reads author text (citation checks, reference use,
statistics, rendering); turning the tokens into HTML is the compose stage's job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline

_KEY = r"[A-Za-z0-9_][A-Za-z0-9_:.#$%&+?<>~/-]*"
_ITEM = re.compile(rf"^\s*@({_KEY})\s*(?:,\s*(.+?))?\s*$")


@dataclass(frozen=True)
class Cite:
    """One cited key with an optional locator such as ``p. 12``."""

    key: str
    locator: str | None = None


def parse_citation(body: str) -> list[Cite] | None:
    """``@a; @b, p. 3`` → cites, or None when the bracket is not a citation."""
    items = []
    for part in body.split(";"):
        m = _ITEM.match(part)
        if not m:
            return None
        items.append(Cite(m.group(1), m.group(2)))
    return items or None


def _citation_rule(state: StateInline, silent: bool) -> bool:
    src, pos = state.src, state.pos
    if not src.startswith("[@", pos):
        return False
    end = src.find("]", pos)
    if end < 0:
        return False
    cites = parse_citation(src[pos + 1 : end])
    if cites is None:
        return False
    if not silent:
        token = state.push("citation", "", 0)
        token.meta = {"cites": cites, "raw": src[pos : end + 1]}
    state.pos = end + 1
    return True


def make_markdown() -> MarkdownIt:
    """CommonMark with raw HTML off, citations on, headings demoted below section titles."""
    md = MarkdownIt("commonmark", {"html": False, "typographer": False})
    md.enable("table")
    md.inline.ruler.before("link", "citation", _citation_rule)

    def render_citation(self, tokens, idx, options, env: dict) -> str:
        meta = tokens[idx].meta
        return env["kr"].cite(meta["cites"], meta["raw"])

    def render_image(self, tokens, idx, options, env: dict) -> str:
        token = tokens[idx]
        alt = self.renderInlineAsText(token.children or [], options, env)
        return env["kr"].image(token.attrGet("src") or "", alt)

    def demote(state) -> None:
        for token in state.tokens:
            if token.type in ("heading_open", "heading_close"):
                level = int(token.tag[1])
                token.tag = f"h{min(6, max(3, level + 1))}"

    md.add_render_rule("citation", render_citation)
    md.add_render_rule("image", render_image)
    md.core.ruler.push("demote_headings", demote)
    return md


def citations_in(md: MarkdownIt, text: str) -> list[Cite]:
    """Every cite in ``text`` in reading order, without rendering it."""
    out: list[Cite] = []

    def walk(tokens) -> None:
        for t in tokens:
            if t.type == "citation":
                out.extend(t.meta["cites"])
            if t.children:
                walk(t.children)

    walk(md.parse(text, {}))
    return out
