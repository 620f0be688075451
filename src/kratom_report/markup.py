"""Markdown (the only trusted HTML) with ``[@key]`` citations, through markdown-it-py."""

from __future__ import annotations

import base64
import mimetypes
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from markupsafe import Markup, escape

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


# A hook the render layer supplies: given the cites and their raw text, return the HTML.
CiteFn = Callable[[list[Cite], str], str]
ImageFn = Callable[[str, str], str]


@dataclass
class MarkupEnv:
    """Per-call state handed through markdown-it's ``env`` (no global state)."""

    cite: CiteFn
    image: ImageFn
    problems: list[str] = field(default_factory=list)


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


def render(md: MarkdownIt, text: str, env: MarkupEnv, *, inline: bool = False) -> Markup:
    """Render author Markdown; ``inline`` for table cells and captions (no paragraphs)."""
    html = md.renderInline(text, {"kr": env}) if inline else md.render(text, {"kr": env})
    return Markup(html)


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


def local_image_data_uri(src: str, report_dir: Path, root: Path) -> tuple[str | None, str | None]:
    """(data URI, None) for an image inside the report, or (None, reason) when refused."""
    parts = urlsplit(src)
    if parts.scheme or parts.netloc or src.startswith("//"):
        return None, f"image '{src}' is not a file inside the report; remote and other URLs " \
                     "are refused (copy the image into report/ and link it relatively)"
    if src.startswith("/") or re.match(r"^[A-Za-z]:[\\/]", src):
        return None, f"image '{src}' is an absolute path; use a path relative to report/"
    target = (report_dir / parts.path).resolve()
    try:
        target.relative_to(root.resolve())
    except ValueError:
        return None, f"image '{src}' points outside the report folder"
    if not target.is_file():
        return None, f"image '{src}' not found"
    mime = mimetypes.guess_type(target.name)[0]
    if mime not in {"image/png", "image/jpeg", "image/svg+xml", "image/gif", "image/webp"}:
        return None, f"image '{src}' has an unsupported type (use PNG, JPEG, SVG, GIF or WebP)"
    data = base64.b64encode(target.read_bytes()).decode("ascii")
    return f"data:{mime};base64,{data}", None


def escape_text(text: str) -> Markup:
    return escape(text)
