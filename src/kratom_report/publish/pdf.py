"""HTML → PDF bytes with WeasyPrint, reading nothing but data: URLs and files inside the report.

Only this module imports WeasyPrint (about 0.4 s), so ``check`` and ``--help`` stay fast.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import logging
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from ..errors import Problem, ProblemsError
from ..source.paths import OutsideReport, inside_root

# WeasyPrint's notice that HarfBuzz subsetting is missing (once per font): a fact about the
# machine, not the content, so it is one warning per run (see workers.py), never an error.
FONTTOOLS_NOTICE = "Using fontTools instead of HarfBuzz-Subset"

# A renderer message may quote a whole data: URI (megabytes of base64): keep only its type.
_DATA_URI = re.compile(r"(data:[\w.+-]+/[\w.+-]+(?:;[\w=.+-]+)*,)[^'\"\s)]{16,}")


# Judges a laid-out document (WeasyPrint's): the problems that stop it becoming a PDF.
Fit = Callable[[Any], list[Problem]]


@dataclass(frozen=True)
class PdfResult:
    data: bytes
    pages: int
    subsetter: str = "harfbuzz"  # or "fonttools": which library subset the embedded fonts
    seconds: float = 0.0  # laying out (the first PDF of a layout only) and writing it


def fetch_refusal(url: str, root: Path) -> str | None:
    """Why ``url`` may not be read, or None when it is a data: URL or a file inside ``root``."""
    parts = urlsplit(url)
    if parts.scheme == "data":
        return None
    if parts.scheme != "file":
        return f"refused to fetch '{url}': only files inside the report folder are read " \
               "(no network access)"
    raw = unquote(parts.path)
    if ".." in Path(raw).parts:
        return f"refused to read '{url}': '..' is not allowed in paths"
    try:
        inside_root(root, Path(raw), what="URL", value=url)
    except OutsideReport as exc:
        return f"refused to read: {exc.message}"
    return None


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _font_configuration() -> Any:
    """A WeasyPrint ``FontConfiguration`` that knows only the declared and the shipped fonts."""
    from weasyprint.text.fonts import FontConfiguration

    from .fonts import private_fontconfig

    with private_fontconfig():
        return FontConfiguration()


def write_pdf(html: str, root: Path, display: str, *, variant: str = "pdf/ua-1",
              attachments: list[tuple[str, bytes, str]] | None = None,
              date: dt.datetime | None = None, fit: Fit | None = None) -> PdfResult:
    """Render with only the declared fonts (see fonts.py); any WeasyPrint warning or error
    about the content (fonts, fetches, CSS) fails the render. ``fit`` judges the layout
    before any PDF is written (a summary that runs past its pages)."""
    return write_pdfs(html, root, display, [Variant(variant, tuple(attachments or ()))],
                      date=date, fit=fit)[0]


@dataclass(frozen=True)
class Variant:
    """One PDF to write from a layout: its WeasyPrint variant (``none``: plain PDF) and the
    files attached to it as (name, bytes, description)."""

    name: str
    attachments: tuple[tuple[str, bytes, str], ...] = ()


def write_pdfs(html: str, root: Path, display: str, variants: Sequence[Variant], *,
               date: dt.datetime | None = None, fit: Fit | None = None) -> list[PdfResult]:
    """:func:`write_pdf` for several variants of one document, laid out once: layout is
    about four fifths of a render, and no variant WeasyPrint has changes the layout (the
    tags, the output intent, the attachments and the metadata are all written afterwards)."""
    import time

    start = time.perf_counter()
    options = _options(variants[0].name)
    results = []
    with _rendering(html, root, display, options) as (rendered, problems):
        if fit is not None and (misfit := fit(rendered)):
            raise ProblemsError(misfit)
        for variant in variants:
            out = io.BytesIO()
            options = _options(variant.name) | _attached(variant.attachments, date)
            _as_variant(rendered, variant.name).write_pdf(out, **options)
            now = time.perf_counter()
            results.append(PdfResult(out.getvalue(), len(rendered.pages), seconds=now - start))
            start = now
    if problems.found:
        raise ProblemsError(problems.found)
    return [replace(r, subsetter=problems.subsetter) for r in results]


def _options(variant: str) -> dict[str, Any]:
    return {"custom_metadata": True} | ({"pdf_variant": variant} if variant != "none" else {})


def _attached(attachments: tuple[tuple[str, bytes, str], ...], date: dt.datetime | None
              ) -> dict[str, Any]:
    """WeasyPrint's ``attachments`` option, or nothing when there are none."""
    if not attachments:
        return {}
    import weasyprint

    # Fixed dates: otherwise WeasyPrint stamps attachments with the clock.
    stamp = date or dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return {"attachments": [
        weasyprint.Attachment(file_obj=io.BytesIO(data), name=name, description=desc,
                              created=stamp, modified=stamp, relationship="Source")
        for name, data, desc in attachments]}


def _as_variant(rendered: Any, variant: str) -> Any:
    """The laid-out document as ``render`` would have made it for ``variant``: a variant's
    only mark on a layout is its output intent (PDF/A's sRGB), which WeasyPrint keeps on the
    document, and writing adds that profile to the document's colour profiles, so each copy
    gets its own. Fonts are collected afresh for each PDF (a copy starts with none)."""
    from weasyprint.pdf import VARIANTS

    copy = rendered.copy()
    copy.color_profiles = dict(rendered.color_profiles)
    copy.output_intent = VARIANTS[variant][1].get("output_intent") if variant != "none" else None
    return copy


def layout_engine() -> tuple[Any, Any, Any]:
    """WeasyPrint's box classes and its text engine bindings (ffi, pango), for reading a
    laid-out document back (publish/reviewmap.py): this module is WeasyPrint's one home."""
    from weasyprint.formatting_structure import boxes
    from weasyprint.text.ffi import ffi, pango

    return boxes, ffi, pango


def lay_out(html: str, root: Path, display: str, fit: Fit) -> tuple[list[Problem], bool]:
    """What ``fit`` finds in the layout ``write_pdf`` would make, without writing a PDF
    (``check`` judges summaries by it); the renderer's own problems come first. The flag
    says whether the layout read any file (an image): then it depends on more than ``html``."""
    with _rendering(html, root, display, {"custom_metadata": True,
                                          "pdf_variant": "pdf/ua-1"}) as (rendered, problems):
        misfit = fit(rendered)
    return problems.found + misfit, problems.fetched


@dataclass
class _Found:
    found: list[Problem]
    subsetter: str
    fetched: bool = False  # a URL other than data: was read


@contextlib.contextmanager
def _rendering(html: str, root: Path, display: str, options: dict
               ) -> Iterator[tuple[Any, _Found]]:
    """The laid-out document, read through the one URL fetcher and font configuration, with
    WeasyPrint's log captured until the block ends; the problems are filled in at its end."""
    import weasyprint

    root = root.resolve()
    refusals: list[str] = []

    class LocalFetcher(weasyprint.URLFetcher):
        def fetch(self, url, headers=None):  # noqa: ANN001 - WeasyPrint's signature
            reason = fetch_refusal(url, root)
            found.fetched |= not url.startswith("data:")
            if reason:
                refusals.append(reason)
                raise ValueError(reason)
            return super().fetch(url, headers)

    capture = _Capture()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(capture)
    previous = logger.level
    logger.setLevel(logging.WARNING)
    found = _Found([], "harfbuzz")
    try:
        document = weasyprint.HTML(string=html, base_url=(root / "report").as_uri() + "/",
                                   url_fetcher=LocalFetcher())
        yield document.render(font_config=_font_configuration(), **options), found
    finally:
        logger.removeHandler(capture)
        logger.setLevel(previous)
    found.found += [Problem(display, None, None, r) for r in dict.fromkeys(refusals)]
    for record in capture.records:
        if str(record.msg).startswith(FONTTOOLS_NOTICE):
            found.subsetter = "fonttools"
            continue
        message = _DATA_URI.sub(r"\1… (inline data)", record.getMessage())
        if any(r in message for r in refusals):
            continue
        found.found.append(Problem(display, None, None, f"renderer: {message}"))
