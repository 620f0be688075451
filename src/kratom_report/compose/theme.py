"""report.yaml's ``theme:`` as what the templates use: CSS, a logo, the font list for figures.

A report without a theme gets an empty stylesheet and no logo, so it renders exactly as
before. With one, the theme's CSS comes after the built-in stylesheet: fonts as ``@font-face``
rules (files inlined as ``data:`` URIs, nothing fetched), colours as the custom properties
``briefing.css`` uses, numbering and section breaks as small overrides, then the report's own
stylesheet. The files were checked when the project loaded (source/theme.py).
"""

from __future__ import annotations

import base64
import mimetypes
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import Problem, ProblemsError, relpath
from ..source.csspolicy import inline_urls
from ..source.models import Theme
from ..source.paths import OutsideReport, inside_root
from ..source.project import Project
from ..source.theme import FontFile, theme_fonts, theme_path
from .templating import _FONT_TYPES, Templates

# (weight, style) of each face; CSS font matching serves 600 (headings) from the bold face.
_FACES = {"regular": [("400", "normal")], "italic": [("400", "italic")],
          "bold": [("700", "normal")],
          "bold_italic": [("700", "italic")]}


@dataclass(frozen=True)
class ThemeAssets:
    """What one theme gives the templates; every field empty for a report without a theme."""

    print_css: str = ""
    web_css: str = ""
    logo: str | None = None  # a data: URI
    logo_in_header: bool = False

    def context(self) -> dict[str, Any]:
        from markupsafe import Markup

        return {"print_css": Markup(self.print_css), "web_css": Markup(self.web_css),
                "logo": self.logo, "logo_in_header": self.logo_in_header}


def theme_assets(project: Project) -> ThemeAssets:
    """The theme's CSS and logo, ready to inline; empty when report.yaml sets no theme."""
    theme = project.report.theme
    if theme == Theme():
        return ThemeAssets()
    root = project.root
    fonts, listed = _font_rules(root, theme)
    rules = list(fonts)
    variables = [f"--font-family: {listed};"] if listed else []
    colours = [f"--ink: {theme.colours.text};"] if theme.colours.text else []
    colours += [f"--muted: {theme.colours.muted};"] if theme.colours.muted else []
    rules.append(":root { " + " ".join(variables + colours) + " }")
    if not theme.numbering.tables:
        rules.append("table.data-table caption::before { content: none; }")
    if not theme.numbering.figures:
        rules.append(".figure-caption::before { content: none; }")
    if theme.section_break == "page":
        rules.append(".section, .contents + .section { break-before: page; margin-top: 0; }")
    if theme.logo_in_header and theme.logo:
        rules.append("@page { @top-center { content: element(headerLogo); "
                     "vertical-align: bottom; padding-bottom: 2mm; } }")
    if theme.css:
        rules.append(extra_css(project, theme.css))
    web = _web_css(fonts, listed, colours, theme.logo is not None)
    return ThemeAssets("\n".join(rules) + "\n", web, _logo(root, theme.logo),
                       theme.logo_in_header and theme.logo is not None)


def _font_rules(root: Path, theme: Theme) -> tuple[list[str], str]:
    """The ``@font-face`` rules of the theme's fonts, and the font list that names them (the
    theme's faces, else Inter, then the fallbacks); an empty list without theme fonts."""
    faces, fallbacks = theme_fonts(root, theme)
    rules: list[str] = []
    families: list[str] = []
    for key, font in faces:
        for weight, style in _FACES[key]:
            rules.append(_font_face(font, weight, style))
        families.append(font.family)
    for font in fallbacks:
        rules.append(_font_face(font, "400", "normal"))
        families.append(font.family)
    if not families:
        return rules, ""
    primary = [] if faces else ["Inter"]
    return rules, ", ".join(_quote(f) for f in dict.fromkeys(primary + families))


# Why the screen stylesheet treats the two colour schemes differently; it goes into the page.
_SCHEMES = ("/* Theme colours were checked against white: they set the light scheme (which is "
            "also what a browser prints) and nothing overrides them there. The dark scheme "
            "keeps web.css's own dark colours, because the theme's dark text would vanish on "
            "a dark page; the theme's fonts hold in both, and the logo, drawn for white "
            "paper, sits on a white plate in the dark scheme. */")
_WEB_LOGO = (".masthead-logo { display: block; height: 3rem; width: auto; max-width: 12rem; "
             "margin: 0 0 0.75rem; }\n"
             "@media (prefers-color-scheme: dark) { .masthead-logo { background: #ffffff; "
             "padding: 0.25rem 0.5rem; border-radius: 0.25rem; } }")


def _web_css(fonts: list[str], listed: str, colours: list[str], logo: bool) -> str:
    """The theme for screens (the web edition and every site page), after web.css.

    The page embeds the theme's fonts and names them before web.css's own list, for the text
    and for the figures (whose SVG names the same fonts), so a figure never asks for a font
    the page lacks. ``css``, ``numbering`` and ``section_break`` are about print: not here.
    """
    rules = list(fonts)
    if listed:
        rules.append(f"body, .figure-art svg text {{ font-family: {listed}, var(--sans); }}")
    if colours or logo:
        rules.append(_SCHEMES)
    if colours:
        rules.append(f"@media (prefers-color-scheme: light) {{ :root {{ {' '.join(colours)} }} }}")
    if logo:
        rules.append(_WEB_LOGO)
    return "\n".join(rules)


def check_glyphs(project: Project, templates: Templates, stylesheet: str, html: str) -> None:
    """Raise ProblemsError naming each character of ``html`` no font of the edition has."""
    from .glyphs import glyph_problems

    missing = glyph_problems(project, templates, stylesheet, html)
    if missing:
        raise ProblemsError(missing)


def figure_font(project: Project) -> str:
    """The SVG font-family of figures: the theme's fonts and fallbacks, else Inter."""
    theme = project.report.theme
    if theme.fonts is None and not theme.fallback_fonts:
        return "Inter"
    faces, fallbacks = theme_fonts(project.root, theme)
    primary = [f.family for _k, f in faces] or ["Inter"]
    return ", ".join(dict.fromkeys(primary + [f.family for f in fallbacks]))


def _quote(family: str) -> str:
    return '"' + family.replace("\\", "").replace('"', "") + '"'


def _font_face(font: FontFile, weight: str, style: str) -> str:
    mime = _FONT_TYPES[font.path.suffix.lower()]
    data = base64.b64encode(font.path.read_bytes()).decode("ascii")
    return (f"@font-face {{ font-family: {_quote(font.family)}; font-weight: {weight}; "
            f'font-style: {style}; src: url("data:{mime};base64,{data}"); }}')


def _logo(root: Path, value: str | None) -> str | None:
    if value is None:
        return None
    path = theme_path(root, value)
    mime = "image/svg+xml" if path.suffix.lower() == ".svg" else "image/png"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def extra_css(project: Project, value: str) -> str:
    """The report's stylesheet with each ``url()`` inlined; a URL that is remote, absolute or
    leads outside the report folder is a located error in that stylesheet."""
    path = theme_path(project.root, value)
    display = relpath(path, project.root)
    css = path.read_text(encoding="utf-8")
    root = project.root

    def read(target: str) -> tuple[str, bytes] | str:
        try:
            if target.startswith("/"):
                raise OutsideReport("file", target)
            file = inside_root(root, path.parent / target, what="file", value=target)
        except OutsideReport:
            return "leads outside the report folder (after following links)"
        if not file.is_file():
            return "not found"
        return (mimetypes.guess_type(file.name)[0] or _FONT_TYPES.get(file.suffix.lower(), ""),
                file.read_bytes())

    out, refused = inline_urls(css, read, name="theme.css", inside="the report folder")
    if refused:
        tail = "; a theme stylesheet may use only files inside the report folder"
        raise ProblemsError([Problem(display, ref.line, ref.column,
                                     reason + (tail if ref.kind != "image" else ""))
                             for ref, reason in refused])
    return out
