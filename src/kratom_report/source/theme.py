"""Check report.yaml's ``theme:``: every file it names, its colours, and what an SVG logo holds.

A theme's files are as untrusted as the report's text. Each must be a regular file inside the
report folder (after following links), of the kind its key expects, within ``max_file_mb``;
fonts must open in fontTools and come with their licence; an SVG logo is judged by the one SVG
policy of image figures (``svgsafe.check_svg``): anything it refuses is refused with the line
and column of the SVG, never silently stripped.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from ..errors import Problem, relpath
from .limits import font_limit, limit_bytes, over_limit
from .loader import Loc, YamlDoc
from .models import Edition, Theme
from .paths import located_inside
from .pixels import pixel_problem
from .sfnt import packed_problem, read_sfnt
from .svgsafe import SvgRefused, check_svg

FONT_TYPES = (".ttf", ".otf", ".woff", ".woff2")
LOGO_TYPES = (".svg", ".png")
_PNG = b"\x89PNG\r\n\x1a\n"
_FONT_FACES = ("regular", "bold", "italic", "bold_italic")


@dataclass(frozen=True)
class FontFile:
    """One font of the theme: where it is, its family name, and the characters it draws."""

    path: Path
    family: str
    cmap: frozenset[int]


def theme_of(doc: YamlDoc) -> Theme | None:
    """The ``theme:`` mapping validated on its own, so a mistake elsewhere in report.yaml
    does not hide the theme's own problems (the schema reports a bad theme already)."""
    raw = doc.data.get("theme") if isinstance(doc.data, dict) else None
    if raw is None:
        return Theme()
    try:
        return Theme.model_validate(raw)
    except ValidationError:
        return None


def check_theme(root: Path, doc: YamlDoc, max_bytes: int, problems: list[Problem]) -> None:
    """Every problem of the theme's files and colours, each located in report.yaml (or in the
    SVG logo, for what the logo holds)."""
    theme = theme_of(doc)
    if theme is None:
        return
    for name in ("text", "muted"):
        colour = getattr(theme.colours, name)
        ratio = contrast_ratio(colour, "#ffffff") if colour else 99.0
        if ratio < 4.5:
            problems.append(doc.problem(("theme", "colours", name), (
                f"theme colour {name} '{colour}' has a contrast of {ratio:.1f}:1 with white; "
                "text needs at least 4.5:1 (WCAG AA): choose a darker colour")))
    if theme.logo is not None:
        path = _file(root, doc, ("theme", "logo"), theme.logo, LOGO_TYPES, max_bytes, problems)
        if path is not None:
            problem = _logo_problem(root, path)
            too_many = pixel_problem(path.read_bytes()) if problem is None else None
            if problem is not None:
                problems.append(problem)
            elif too_many:
                problems.append(doc.problem(("theme", "logo"), (
                    f"theme.logo 'report/{theme.logo}' {too_many}")))
    if theme.css is not None:
        _file(root, doc, ("theme", "css"), theme.css, (".css",), max_bytes, problems)
    if theme.fonts is not None:
        _file(root, doc, ("theme", "fonts", "licence"), theme.fonts.licence, None, max_bytes,
              problems)
        for face in _FONT_FACES:
            value = getattr(theme.fonts, face)
            if value is not None:
                _font(root, doc, ("theme", "fonts", face), value, max_bytes, problems)
    for i, value in enumerate(theme.fallback_fonts):
        _font(root, doc, ("theme", "fallback_fonts", i), value, max_bytes, problems)


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours."""
    def lum(colour: str) -> float:
        channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
                   for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def theme_path(root: Path, value: str) -> Path:
    """Where a theme file named relative to report/ is."""
    return root / "report" / value


def _file(root: Path, doc: YamlDoc, loc: Loc, value: str, kinds: tuple[str, ...] | None,
          max_bytes: int, problems: list[Problem]) -> Path | None:
    """The file a theme key names, or None after reporting why it cannot be used."""
    key = "theme." + ".".join(str(p) for p in loc[1:])
    path = theme_path(root, value)
    if located_inside(root, path, doc, loc, problems, what=key, value=value) is None:
        return None
    if not path.is_file():
        problems.append(doc.problem(loc, f"{key} 'report/{value}' not found"))
        return None
    if kinds is not None and path.suffix.lower() not in kinds:
        problems.append(doc.problem(loc, (
            f"{key} 'report/{value}' must be a {_either(kinds)} file")))
        return None
    too_big = over_limit(path.stat().st_size, max_bytes)
    if too_big:
        problems.append(doc.problem(loc, f"{key} 'report/{value}' {too_big}"))
        return None
    return path


def _either(kinds: tuple[str, ...]) -> str:
    return kinds[0] if len(kinds) == 1 else f"{', '.join(kinds[:-1])} or {kinds[-1]}"


def _font(root: Path, doc: YamlDoc, loc: Loc, value: str, max_bytes: int,
          problems: list[Problem]) -> None:
    path = _file(root, doc, loc, value, FONT_TYPES, max_bytes, problems)
    if path is None:
        return
    key = "theme." + ".".join(str(p) for p in loc[1:])
    packed = packed_problem(path.read_bytes(), font_limit(max_bytes))
    if packed:
        problems.append(doc.problem(loc, f"{key} 'report/{value}' {packed}"))
        return
    try:
        stat = path.stat()
        _fonttools_font(str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    except Exception as exc:  # noqa: BLE001 - fontTools raises many kinds on a broken file
        problems.append(doc.problem(loc, (
            f"{key} 'report/{value}' is not a font fontTools can read ({type(exc).__name__}); "
            "use a .ttf, .otf, .woff or .woff2 font file")))


def font_file(path: Path) -> FontFile:
    """A font's family and character map, read once per file version (cmaps are cached)."""
    stat = path.stat()
    return _read_font(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=64)
def _read_font(path: str, mtime: int, size: int) -> FontFile:
    # Plain TrueType/OpenType directly (about 1 ms); WOFF, WOFF2 and the unusual via fontTools.
    fast = read_sfnt(Path(path).read_bytes())
    if fast is not None:
        return FontFile(Path(path), fast[0], fast[1])
    return _fonttools_font(path, mtime, size)


@functools.lru_cache(maxsize=64)
def _fonttools_font(path: str, _mtime: int, _size: int) -> FontFile:
    from fontTools.ttLib import TTFont

    # Checked again here for fonts no report.yaml key names (the templates'): never unbounded.
    packed = packed_problem(Path(path).read_bytes(), font_limit(limit_bytes(None)))
    if packed:
        raise ValueError(packed)
    with TTFont(path, lazy=True) as font:
        cmap = font.getBestCmap()
        if not cmap:
            raise ValueError("no character map")
        names = font["name"]
        family = names.getDebugName(16) or names.getDebugName(1) or Path(path).stem
        return FontFile(Path(path), family, frozenset(cmap))


def _logo_problem(root: Path, path: Path) -> Problem | None:
    """What makes a logo unsafe or unreadable, located in the logo file itself."""
    display = relpath(path, root)
    data = path.read_bytes()
    if path.suffix.lower() == ".png":
        if not data.startswith(_PNG):
            return Problem(display, None, None, "is not a PNG image (its first bytes say "
                           "otherwise); export the logo as PNG or SVG again")
        return None
    return svg_problem(data, display)


def svg_problem(data: bytes, display: str) -> Problem | None:
    """Why an SVG logo is refused (the one SVG policy, :func:`.svgsafe.check_svg`), or None."""
    try:
        check_svg(data)
    except SvgRefused as exc:
        return Problem(display, exc.line, exc.column, f"SVG image {exc.message}")
    return None


def theme_fonts(root: Path, theme: Theme) -> tuple[list[tuple[str, FontFile]], list[FontFile]]:
    """The theme's faces (by key) and its fallback fonts, read (validated already)."""
    faces: list[tuple[str, FontFile]] = []
    if theme.fonts is not None:
        for face in _FONT_FACES:
            value = getattr(theme.fonts, face)
            if value is not None:
                faces.append((face, font_file(theme_path(root, value))))
    fallbacks = [font_file(theme_path(root, v)) for v in theme.fallback_fonts]
    return faces, fallbacks


def check_contrast(editions: list[tuple[int, Edition]], doc: YamlDoc,
                   problems: list[Problem]) -> None:
    """Accents colour headings on white and white text in table headers: both must read (AA)."""
    # Accents colour headings on white and white text in table headers: both must read (AA).
    for i, ed in editions:
        ratio = contrast_ratio(ed.accent, "#ffffff")
        if ratio < 4.5:
            problems.append(doc.problem(("editions", i, "accent"), (
                f"accent '{ed.accent}' has a contrast of {ratio:.1f}:1 with white; text needs "
                "at least 4.5:1 (WCAG AA): choose a darker colour")))
