"""Every character an edition prints must be in one of its fonts: else a located error.

When no font of the stylesheet has a character, WeasyPrint silently takes a system font (which
then gets embedded) or draws a box. So, before rendering, the edition's text (the HTML's text
and the stylesheet's ``content:`` words) is checked against the character maps of the fonts it
uses: the built-in Inter, or the theme's fonts, plus the theme's ``fallback_fonts``. A character
none of them has is reported where it is written (the first place in the report's files, else
in the templates), naming the fonts and the fix.
"""

from __future__ import annotations

import functools
import html as html_lib
import re
import unicodedata
from pathlib import Path
from urllib.parse import unquote

from ..errors import Problem
from ..source.csspolicy import css_refs
from ..source.project import Project
from ..source.theme import FontFile, font_file, theme_fonts
from .templating import Templates

_STRIP = re.compile(r"<(style|script|head)\b.*?</\1>|<!--.*?-->", re.S | re.I)
_TAG = re.compile(r"<[^>]+>")
_CONTENT = re.compile(r"content\s*:([^;}]*)")
_RULE = re.compile(r"([^{}]*)\{([^{}]*)\}")  # innermost rules, margin boxes included
_CLASS = re.compile(r'\bclass="([^"]*)"')
_CLASS_SEL = re.compile(r"\.([\w-]+)")
_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})\s?")
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"|\'((?:[^\'\\]|\\.)*)\'')
# Control and format characters draw nothing of their own; whitespace is laid out, not drawn.
_SILENT = {"Cc", "Cf", "Zl", "Zp"}
_FONT_FACE = re.compile(r"@font-face\s*\{([^}]*)\}", re.S)
HYPHEN = "\u2010"  # what `hyphens: auto` draws at a line end


def glyph_problems(project: Project, templates: Templates, stylesheet: str,
                   html: str) -> list[Problem]:
    """One located problem per character of ``html`` that no font of the edition can draw."""
    theme = project.report.theme
    faces, fallbacks = theme_fonts(project.root, theme)
    primary = [f for _key, f in faces] or default_fonts(templates, stylesheet)
    if not primary:  # a stylesheet of system fonts (the screen edition): nothing to check
        return []
    fonts = tuple(primary + fallbacks)
    covered = _covered(tuple(f.cmap for f in fonts))
    cut = html.find("<body")
    head, body = (html[:cut], html[cut:]) if cut >= 0 else ("", html)
    # The fonts inlined as data: URIs are most of the stylesheet and hold no words.
    styles = "".join(_style_blocks(head))
    chars = dict.fromkeys(printed_text(body) + css_words(styles, body) + HYPHEN)
    missing = [c for c in chars if ord(c) not in covered and not c.isspace()
               and unicodedata.category(c) not in _SILENT]
    names = ", ".join(dict.fromkeys(f.family for f in fonts))
    out = []
    for char in missing:
        path, line, col = _where(project, templates, char)
        out.append(Problem(path, line, col, (
            f"the character '{char}' (U+{ord(char):04X}) is not in the fonts {names}; add a "
            "font that has it to theme.fallback_fonts")))
    return out


def _style_blocks(head: str) -> list[str]:
    """The head's stylesheets without their data: URIs, found by plain string search: the
    head is megabytes of inlined fonts, where a regular expression crawls."""
    out, pos = [], 0
    while (start := head.find("<style", pos)) >= 0:
        opened = head.find(">", start) + 1
        end = head.find("</style>", opened)
        if opened == 0 or end < 0:
            break
        out.append(_without_data(head[opened:end]))
        pos = end + len("</style>")
    return out


def _without_data(css: str) -> str:
    """A stylesheet with its ``data:`` URIs (inlined fonts and images) cut out."""
    pieces = css.split("data:")
    out = [pieces[0]]
    for piece in pieces[1:]:
        ends = [i for i in (piece.find('"'), piece.find("'"), piece.find(")")) if i >= 0]
        out.append(piece[min(ends):] if ends else "")
    return "".join(out)


def printed_text(html: str) -> str:
    """The text of the HTML body as a reader sees it (tags dropped, entities decoded)."""
    return html_lib.unescape(_TAG.sub(" ", _STRIP.sub(" ", html)))


def css_words(css: str, html: str) -> str:
    """The quoted strings of ``content:`` declarations ("Page ", "Table ", "●●○○ ") in rules
    that can apply: every class a selector names is used somewhere in ``html``."""
    used = set(" ".join(_CLASS.findall(html)).split())
    out = []
    for rule in _RULE.finditer(css):
        selectors, body = rule.group(1), rule.group(2)
        if not any(set(_CLASS_SEL.findall(sel)) <= used for sel in selectors.split(",")):
            continue
        for m in _CONTENT.finditer(body):
            for q in _QUOTED.finditer(m.group(1)):
                text = q.group(1) if q.group(1) is not None else q.group(2)
                out.append(_ESCAPE.sub(lambda h: chr(int(h.group(1), 16)), text))
    return "".join(out)


@functools.lru_cache(maxsize=16)
def _covered(cmaps: tuple[frozenset[int], ...]) -> frozenset[int]:
    return frozenset().union(*cmaps)


def _where(project: Project, templates: Templates, char: str) -> tuple[str, int | None,
                                                                        int | None]:
    """The first place a character is written: the report's files, then the templates."""
    docs = [project.report_doc, *(s.doc for s in project.sections),
            *(d.doc for d in project.data.values()),
            *(r.doc for r in project.references.values()), project.changelog_doc]
    seen: set[int] = set()
    for doc in docs:
        if doc is None or id(doc) in seen:
            continue
        seen.add(id(doc))
        for n, line in enumerate(doc.lines):
            col = line.find(char)
            if col >= 0:
                return doc.display, n + 1, col + 1
    for path in templates.files():
        if path.suffix not in (".html", ".css"):
            continue
        escaped = f"\\{ord(char):x}"  # as CSS escapes it (hyphenate-character)
        for n, line in enumerate(_lines(path)):
            col = line.find(char)
            col = col if col >= 0 else line.lower().find(escaped)
            if col >= 0:
                return templates.display(path), n + 1, col + 1
    return project.report_doc.display, None, None


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError):
        return []


def default_fonts(templates: Templates, stylesheet: str) -> list[FontFile]:
    """The fonts the built-in (or the report's own) stylesheet declares with ``@font-face``."""
    try:
        css = templates.find(stylesheet).read_text(encoding="utf-8")
    except (FileNotFoundError, ValueError):
        return []
    out = []
    for rule in _FONT_FACE.finditer(css):
        urls = [ref for ref in css_refs(rule.group(1)) if ref.kind == "url"]
        family = re.search(r"font-family\s*:\s*['\"]?([^;'\"]+)", rule.group(1))
        if not urls or urls[0].local:
            continue
        try:
            font = font_file(templates.find(unquote(urls[0].target)))
        except (OSError, ValueError):
            continue
        out.append(FontFile(font.path, family.group(1).strip() if family else font.family,
                            font.cmap))
    return out
