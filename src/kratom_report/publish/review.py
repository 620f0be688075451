"""Review copies: the edition with source positions in the margin, lines numbered per page,
"Review copy — not for distribution" on every page and a map from page areas to source
positions attached as ``review-map.json``, so reviewers' comments can be traced back.

The copy is laid out once; the map is read from that layout (publish/reviewmap.py) and the
margin text is drawn over the pages afterwards as pagination artifacts, in the shipped Noto
Sans Mono, embedded (publish/reviewfont.py). The copy gets the same structure repairs as an
edition (reviewers may use a screen reader). A review copy is never part of a release: its
name ends in ``-review`` and ``release`` never makes one.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

from ..compose.i18n import N_
from ..errors import Problem
from .reviewfont import embedded_font
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
    from .pdfmeta import finish_metadata
    from .pdftags import tidy_structure

    meta = _meta(html)
    html = html.replace("</head>", _REVIEW_CSS + "</head>", 1)
    pages: list[PageMap] = []

    def read_layout(document: Any) -> list[Problem]:
        pages.extend(map_pages(document))
        return []

    result = write_pdf(html, root, f"{meta['edition']} review copy", fit=read_layout)
    # Reviewers may read it with a screen reader: the same repairs as an edition's tags,
    # then the margin text, all of it pagination artifacts, then the language in the XMP.
    data = tidy_structure(result.data, html)
    banner = _banner(meta["language"])
    data = _finish(data, pages, {"format": MAP_FORMAT, **meta,
                                 "pages": [p.as_json() for p in pages]}, banner)
    return finish_metadata(data, meta["language"], archival=False), result.pages


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
        labels = "".join(u["src"] for pm in pages for u in pm.units)
        regular, em = embedded_font(pdf, "regular", labels)
        bold, _em = embedded_font(pdf, "bold", banner)
        for page, pm in zip(pdf.pages, pages, strict=True):
            names = (page.add_resource(regular, pikepdf.Name.Font, prefix="KRR"),
                     page.add_resource(bold, pikepdf.Name.Font, prefix="KRB"))
            page.contents_add(pikepdf.Stream(pdf, b"q\n"), prepend=True)
            overlay = b"Q\n" + _overlay(pm, banner, (str(names[0]), str(names[1])), em)
            page.contents_add(pikepdf.Stream(pdf, overlay))
        pdf.attachments[MAP_NAME] = pikepdf.AttachedFileSpec(
            pdf, json.dumps(review_map, ensure_ascii=False, separators=(",", ":"),
                            sort_keys=True).encode("utf-8"),
            description="Where each area of each page comes from in the report's sources",
            filename=MAP_NAME, mime_type="application/json")
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True)
    return out.getvalue()


def _overlay(pm: PageMap, banner: str, fonts: tuple[str, str], em: float) -> bytes:
    """One page's margin text: pagination artifacts, so assistive technology reads the
    edition's text only (the banner a header; line numbers and positions beside the text)."""
    regular, bold = fonts
    ops = ["/Artifact <</Type /Pagination /Subtype /Header>> BDC", "BT", "0.64 0.1 0.06 rg",
           f"{bold} 7 Tf", _at((pm.width - len(banner) * em * 7) / 2, pm.height - 16),
           f"({_pdf(banner)}) Tj", "ET", "EMC"]
    if pm.text_left >= _MIN_MARGIN:
        ops += ["/Artifact <</Type /Pagination>> BDC", "BT", "0.35 0.38 0.42 rg",
                f"{regular} {_NUMBER_SIZE} Tf"]
        for n, (_top, baseline) in enumerate(pm.lines, 1):
            label = str(n)
            ops += [_at(pm.text_left - 6 - len(label) * em * _NUMBER_SIZE, baseline),
                    f"({label}) Tj"]
        ops += ["0.1 0.3 0.55 rg"]
        room = pm.text_left - 30 - 14
        for unit in pm.units:
            label = unit["src"].removeprefix("report/")
            size = min(_LABEL_SIZE, room / max(1.0, len(label) * em))
            top = unit["rect"][3]  # level with the unit's first line
            line = min(pm.lines, key=lambda ln: abs(ln[0] - top), default=(top, top - size))
            ops += [f"{regular} {size:.2f} Tf", _at(14, line[1]), f"({_pdf(label)}) Tj"]
        ops += ["ET", "EMC"]
    return "\n".join([*ops, ""]).encode("cp1252")


def _at(x: float, y: float) -> str:
    return f"1 0 0 1 {x:.2f} {y:.2f} Tm"


def _pdf(text: str) -> str:
    """A PDF literal string's content: the base font's encoding, delimiters escaped."""
    text = text.encode("cp1252", "replace").decode("cp1252")
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
