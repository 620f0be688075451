"""Review copies: the edition with source positions in the margin, lines numbered per page,
"Review copy — not for distribution" on every page and a map from page areas to source
positions attached as ``review-map.json``, so reviewers' comments can be traced back.

The copy is laid out once; the map is read from that layout (publish/reviewmap.py) and the
margin text is drawn over the pages afterwards, in a base font every reader has. A review copy
is never part of a release: its name ends in ``-review`` and ``release`` never makes one.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

from ..compose.i18n import N_
from ..errors import Problem
from .reviewmap import PageMap, map_pages

MAP_NAME = "review-map.json"
MAP_FORMAT = "review-map/1"
BANNER = N_("Review copy — not for distribution")  # in the edition's words where it can
# Room for positions and line numbers: the left margin of a review copy is wider.
_REVIEW_CSS = "<style>@page { margin-left: 46mm; }</style>"
_LABEL_SIZE = 5.5
_NUMBER_SIZE = 5.5
_MIN_MARGIN = 80.0  # points; a page with less (the cover) gets no margin text


def review_pdf(html: str, root: Path) -> tuple[bytes, int]:
    """The review copy's bytes and page count; raises ProblemsError like any render."""
    from .pdf import write_pdf

    meta = _meta(html)
    html = html.replace("</head>", _REVIEW_CSS + "</head>", 1)
    pages: list[PageMap] = []

    def read_layout(document: Any) -> list[Problem]:
        pages.extend(map_pages(document))
        return []

    result = write_pdf(html, root, f"{meta['edition']} review copy", fit=read_layout)
    banner = _banner(meta["language"])
    data = _finish(result.data, pages, {"format": MAP_FORMAT, **meta,
                                        "pages": [p.as_json() for p in pages]}, banner)
    return data, result.pages


def _meta(html: str) -> dict[str, str]:
    """What the review copy is, from the print HTML's own head."""
    def meta(name: str) -> str:
        found = re.search(rf'<meta name="{name}" content="([^"]*)">', html)
        return found.group(1) if found else ""

    lang = re.search(r'<html lang="([^"]+)"', html)
    return {"slug": meta("BriefingSlug"), "edition": meta("BriefingEdition"),
            "version": meta("BriefingVersion"), "content_fingerprint": meta("ContentFingerprint"),
            "language": lang.group(1) if lang else "en"}


def _banner(lang: str) -> str:
    """The banner in the edition's language when the base font can write it, else English."""
    from ..compose.i18n import Words

    text = Words(lang).gettext(BANNER)
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return BANNER
    return text


def _finish(data: bytes, pages: list[PageMap], review_map: dict[str, Any], banner: str) -> bytes:
    """Draw the margin text on every page and attach the map."""
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        regular = pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
            BaseFont=pikepdf.Name.Helvetica, Encoding=pikepdf.Name.WinAnsiEncoding))
        bold = pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name("/Type1"),
            BaseFont=pikepdf.Name("/Helvetica-Bold"), Encoding=pikepdf.Name.WinAnsiEncoding))
        for page, pm in zip(pdf.pages, pages, strict=True):
            names = (page.add_resource(regular, pikepdf.Name.Font, prefix="KRR"),
                     page.add_resource(bold, pikepdf.Name.Font, prefix="KRB"))
            page.contents_add(pikepdf.Stream(pdf, b"q\n"), prepend=True)
            overlay = b"Q\n" + _overlay(pm, banner, str(names[0]), str(names[1]))
            page.contents_add(pikepdf.Stream(pdf, overlay))
        pdf.attachments[MAP_NAME] = pikepdf.AttachedFileSpec(
            pdf, json.dumps(review_map, ensure_ascii=False, separators=(",", ":"),
                            sort_keys=True).encode("utf-8"),
            description="Where each area of each page comes from in the report's sources",
            filename=MAP_NAME, mime_type="application/json")
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True)
    return out.getvalue()


def _overlay(pm: PageMap, banner: str, regular: str, bold: str) -> bytes:
    """Page content (marked as an artifact: it is not the document's text) for one page."""
    ops = ["/Artifact BMC", "BT", "0.64 0.1 0.06 rg", f"{bold} 7 Tf",
           _at((pm.width - _width(banner, 7)) / 2, pm.height - 16), f"({_pdf(banner)}) Tj"]
    if pm.text_left >= _MIN_MARGIN:
        ops += ["0.35 0.38 0.42 rg", f"{regular} {_NUMBER_SIZE} Tf"]
        for n, (_top, baseline) in enumerate(pm.lines, 1):
            label = str(n)
            ops += [_at(pm.text_left - 6 - _width(label, _NUMBER_SIZE), baseline), f"({label}) Tj"]
        ops += ["0.1 0.3 0.55 rg"]
        room = pm.text_left - 30 - 14
        for unit in pm.units:
            label = unit["src"].removeprefix("report/")
            size = min(_LABEL_SIZE, _LABEL_SIZE * room / max(1.0, _width(label, _LABEL_SIZE)))
            top = unit["rect"][3]  # level with the unit's first line
            line = min(pm.lines, key=lambda ln: abs(ln[0] - top), default=(top, top - size))
            ops += [f"{regular} {size:.2f} Tf", _at(14, line[1]), f"({_pdf(label)}) Tj"]
    ops += ["ET", "EMC", ""]
    return "\n".join(ops).encode("cp1252")


def _at(x: float, y: float) -> str:
    return f"1 0 0 1 {x:.2f} {y:.2f} Tm"


def _width(text: str, size: float) -> float:
    """An estimate of Helvetica's width: 0.55 em a character, digits 0.556 em."""
    return sum(0.556 if ch.isdigit() else 0.28 if ch in ".:/ il" else 0.55
               for ch in text) * size


def _pdf(text: str) -> str:
    """A PDF literal string's content: the base font's encoding, delimiters escaped."""
    text = text.encode("cp1252", "replace").decode("cp1252")
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
