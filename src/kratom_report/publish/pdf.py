"""HTML → PDF bytes with WeasyPrint, reading nothing but data: URLs and files inside the report.

Only this module imports WeasyPrint (about 0.4 s), so ``check`` and ``--help`` stay fast.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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
    import weasyprint

    options: dict = {"custom_metadata": True}
    if variant != "none":
        options["pdf_variant"] = variant
    with _rendering(html, root, display, options) as (rendered, problems):
        if fit is not None and (misfit := fit(rendered)):
            raise ProblemsError(misfit)
        if attachments:
            # Fixed dates: otherwise WeasyPrint stamps attachments with the clock.
            stamp = date or dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
            options["attachments"] = [
                weasyprint.Attachment(file_obj=io.BytesIO(data), name=name, description=desc,
                                      created=stamp, modified=stamp, relationship="Source")
                for name, data, desc in attachments
            ]
        out = io.BytesIO()
        rendered.write_pdf(out, **options)
    if problems.found:
        raise ProblemsError(problems.found)
    return PdfResult(out.getvalue(), len(rendered.pages), problems.subsetter)


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
