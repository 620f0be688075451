"""Author Markdown to HTML (the only trusted HTML): citation and image hooks, local images."""

from __future__ import annotations

import base64
import mimetypes
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from ..source.limits import over_limit
from ..source.markdown import Cite
from ..source.paths import OutsideReport, inside_root
from ..source.pixels import pixel_problem
from ..source.svgsafe import SvgRefused, check_svg
from .facts import Printer

# A hook the render layer supplies: given the cites and their raw text, return the HTML.
CiteFn = Callable[[list[Cite], str], str]
ImageFn = Callable[[str, str], str]


@dataclass
class MarkupEnv:
    """Per-call state handed through markdown-it's ``env`` (no global state)."""

    cite: CiteFn
    image: ImageFn
    problems: list[str] = field(default_factory=list)
    printer: Printer | None = None  # facts and editorial notes (see compose/facts.py)
    origin: Any = None  # review copies: where the text stands (see compose/srcpos.py)

    def fact(self, fact_id: str) -> str:
        if self.printer is None:
            return str(escape("{{fact:" + fact_id + "}}"))
        return self.printer.fact(fact_id)

    def note(self, text: str) -> str:
        return self.printer.note(text) if self.printer is not None else ""


def render(md: MarkdownIt, text: str, env: MarkupEnv, *, inline: bool = False,
           kept: KeptHtml | None = None) -> Markup:
    """Render author Markdown; ``inline`` for table cells and captions (no paragraphs).

    With ``kept`` (see :class:`KeptHtml`), HTML rendered before from this very text is used
    when the hooks, called again as the render would call them, return what they returned
    then."""
    if kept is None:
        return _render(md, text, env, inline)
    entry = kept.take((inline, text))
    if entry is None:
        recorder = _Recorder(env)
        html = _render(md, text, recorder, inline)
        kept.put((inline, text), _Kept(recorder.calls, {tuple(recorder.results): html}))
        return html
    # The same hooks, with the same arguments, in the same order as a render calls them: the
    # citation numbers, facts used and problems found are what rendering again would leave.
    results = tuple(getattr(env, name)(*args) for name, args in entry.calls)
    found = entry.html.get(results)
    if found is not None:
        return found
    # A hook answered otherwise (a citation renumbered, a fact changed): render again.
    html = _render(md, text, _Replay(entry.calls, results), inline)
    entry.add(results, html)
    return html


def _render(md: MarkdownIt, text: str, env: Any, inline: bool) -> Markup:
    html = md.renderInline(text, {"kr": env}) if inline else md.render(text, {"kr": env})
    return Markup(typeset(html))


Call = tuple[str, tuple[Any, ...]]  # a hook's name and arguments
_HOOKS = ("cite", "image", "fact", "note")
_VARIANTS = 4  # answers kept per text: an author-date edition renders each text twice


@dataclass
class _Kept:
    calls: list[Call]
    html: dict[tuple[str, ...], Markup]  # by what the hooks answered

    def add(self, results: tuple[str, ...], html: Markup) -> None:
        if len(self.html) >= _VARIANTS:
            del self.html[next(iter(self.html))]
        self.html[results] = html


class KeptHtml:
    """One edition's rendered texts, kept by a session that renders it again and again (the
    preview), owned by that session and handed to each render of the edition.

    A text's HTML is a function of the text and of what the render's hooks (citations,
    images, facts, notes) answer; which hooks are called, with what, in what order, depends on
    the text alone. So for a text rendered before, the hooks are called again as a render
    would call them (their side effects, like citation numbering, happen as they would) and
    the HTML kept for the same answers is used; other answers render the text again.
    :meth:`new_round` (one per render of the edition) drops every text the render before did
    not use, so edited and deleted texts do not pile up. Only for the plain Markdown parser:
    not with change marks or source positions, whose rules read more than the text.
    """

    def __init__(self) -> None:
        self._last: dict[tuple[bool, str], _Kept] = {}
        self._used: dict[tuple[bool, str], _Kept] = {}

    def new_round(self) -> None:
        self._last, self._used = self._used, {}

    def take(self, key: tuple[bool, str]) -> _Kept | None:
        found = self._used.get(key) or self._last.get(key)
        if found is not None:
            self._used[key] = found
        return found

    def put(self, key: tuple[bool, str], entry: _Kept) -> None:
        self._used[key] = entry

    def __len__(self) -> int:
        return len(self._last.keys() | self._used.keys())


class _Recorder:
    """Passes each hook call on to ``env`` and notes it, with its answer."""

    def __init__(self, env: MarkupEnv) -> None:
        self.env = env
        self.calls: list[Call] = []
        self.results: list[str] = []

    def __getattr__(self, name: str) -> Any:
        if name not in _HOOKS:
            raise AttributeError(name)

        def call(*args: Any) -> str:
            result = getattr(self.env, name)(*args)
            self.calls.append((name, args))
            self.results.append(result)
            return result
        return call


class _Replay:
    """Answers each hook call with the answer already obtained for it (the render calls the
    hooks exactly as recorded, so nothing is called twice)."""

    def __init__(self, calls: list[Call], results: tuple[str, ...]) -> None:
        self.answers = iter(zip(calls, results, strict=True))

    def __getattr__(self, name: str) -> Any:
        if name not in _HOOKS:
            raise AttributeError(name)

        def call(*args: Any) -> str:
            (expected, result) = next(self.answers)
            if expected != (name, args):  # pragma: no cover - the text decides the calls
                raise AssertionError(f"hook {name}{args!r} out of order")
            return result
        return call


# Where a line must not break: a superscript citation keeps to the word before it (AMA sets it
# with no space), a number keeps to its unit ("67.9 h"), and a short numbered compound stays
# whole ("7-OH", "5-HT"). Applied to text between tags only, never inside a tag or code.
_BEFORE_CITE = re.compile(r"[ \t\n]+(?=<sup class=\"cite\")")
_UNIT = re.compile(
    r"(?<![\w.])(\d+(?:[.,]\d+)?(?:[–-]\d+(?:[.,]\d+)?)?) (?=(?:h|min|s|ms|mg|g|kg|µg|μg|mcg|ng|"
    r"pg|mL|ml|L|dL|mmol|µmol|nmol|mol|mm|cm|m|km|°C|%|mg/kg|ng/mL|mg/L|mg/mL|days?|weeks?|"
    r"months?|years?)\b)")
_COMPOUND = re.compile(r"(?<![\w-])(\d{1,2}-[A-Za-z]{1,4})(?![\w-])")
_TAG = re.compile(r"(<[^>]+>)")


def typeset(html: str) -> str:
    """No-break rules for print, as plain HTML (no-break spaces and nowrap spans)."""
    html = _BEFORE_CITE.sub("", html)
    parts = _TAG.split(html)
    in_code = False
    for i, part in enumerate(parts):
        if i % 2:
            in_code = part.startswith("<code") or (in_code and not part.startswith("</code"))
            continue
        if in_code or not part:
            continue
        part = _UNIT.sub("\\1\u00a0", part)
        parts[i] = _COMPOUND.sub(r'<span class="nobr">\1</span>', part)
    return "".join(parts)


def local_image_data_uri(src: str, report_dir: Path, root: Path,
                         max_bytes: int = 5_000_000) -> tuple[str | None, str | None]:
    """(data URI, None) for an image inside the report, or (None, reason) when refused."""
    parts = urlsplit(src)
    if parts.scheme or parts.netloc or src.startswith("//"):
        return None, f"image '{src}' is not a file inside the report; remote and other URLs " \
                     "are refused (copy the image into report/ and link it relatively)"
    if src.startswith("/") or re.match(r"^[A-Za-z]:[\\/]", src):
        return None, f"image '{src}' is an absolute path; use a path relative to report/"
    try:
        target = inside_root(root, report_dir / parts.path, what="image file", value=src)
    except OutsideReport as exc:
        return None, exc.message
    if not target.is_file():
        return None, f"image '{src}' not found"
    mime = mimetypes.guess_type(target.name)[0]
    if mime not in {"image/png", "image/jpeg", "image/svg+xml", "image/gif", "image/webp"}:
        return None, f"image '{src}' has an unsupported type (use PNG, JPEG, SVG, GIF or WebP)"
    too_big = over_limit(target.stat().st_size, max_bytes)
    if too_big:
        return None, f"image '{src}' {too_big}"
    raw = target.read_bytes()
    reason = _image_problem(raw, mime)
    if reason:
        return None, f"image '{src}' {reason}"
    data = base64.b64encode(raw).decode("ascii")
    return f"data:{mime};base64,{data}", None


def _image_problem(raw: bytes, mime: str) -> str | None:
    """Why the renderer could not draw these bytes; found now, so the message names the file."""
    if mime == "image/svg+xml":
        try:  # the one SVG policy, as for an image figure and the logo
            check_svg(raw)
        except SvgRefused as exc:
            return f"{exc.message} (line {exc.line}, column {exc.column} of the SVG)"
        return None
    import io

    from PIL import Image, UnidentifiedImageError

    too_many = pixel_problem(raw)
    if too_many:
        return too_many
    try:
        with Image.open(io.BytesIO(raw)) as image:
            image.verify()
            kind = image.format
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        return f"cannot be read as an image ({_short(exc)}); is the file damaged?"
    expected = mime.split("/")[1].upper()
    if kind != expected:
        return f"is a {kind} file named like a {expected} file; rename it"
    return None


def _short(exc: BaseException) -> str:
    """The reader's own words, without the file name it was given (an in-memory buffer)."""
    text = str(exc).split(" <_io.")[0].strip().rstrip(":") or type(exc).__name__
    return text[:120]
