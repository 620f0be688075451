"""What a release can say about accessibility: measured from each file, never assumed.

For each PDF, the standards its own metadata claims (XMP ``pdfuaid``/``pdfaid``) and counts
read back from it: headings, lists and their labels, tables and header scopes, figures and
their alternative text, pagination artifacts, document language and title, embedded fonts and
fonts whose glyphs map to Unicode. ``release`` writes them as ``accessibility.json`` and the
site's Accessibility page; known limits are stated beside them.
"""

from __future__ import annotations

import io
from typing import Any

import pikepdf

from .pdfpost import elem_type, read_structure

# What the tool knows it cannot promise, whatever the counts say.
LIMITS = [
    "These counts are read back from each file by kratom-report; they are not the verdict "
    "of a PDF/UA or PDF/A validator (none runs here).",
    "A table broken across pages is tagged as one table per page.",
    "Web editions target WCAG 2.1 AA; their pages are not checked when a release is made.",
    "Counts are of each file as built, before any signature; signing adds one signature "
    "field, tagged as a form element with alternative text.",
]


def pdf_checks(data: bytes) -> dict[str, Any]:
    """The claims and counts of one PDF (see the module's docstring): one read of the file,
    one walk of its structure tree."""
    counts = _Counts()
    with pikepdf.open(io.BytesIO(data)) as doc:
        report = read_structure(doc, counts.visit)
        claims, artifacts, fonts = _claims(doc), _artifacts(doc), _fonts(doc)
    headings = report["headings"]
    figures, scopes = report["figures"], report["th_scopes"]
    return {
        "claims": claims,
        "checks": {
            "tagged": report["tagged"],
            "language": report["lang"],
            "title": report["title"],
            "title_displayed": report["display_doc_title"],
            "headings": {"count": len(headings),
                         "with_text": sum(1 for _, text in headings if text)},
            "lists": counts.lists,
            "tables": {"count": counts.tables, "header_cells": len(scopes),
                       "header_cells_with_scope": sum(1 for s in scopes if s)},
            "figures": {"count": len(figures),
                        "with_alternative_text": sum(1 for a in figures if a and a.strip())},
            "pagination_artifacts": artifacts,
            "fonts": fonts,
        },
    }


def _claims(doc: pikepdf.Pdf) -> list[str]:
    """PDF/UA-n and PDF/A-nX as the file's XMP declares them."""
    try:
        meta = doc.open_metadata(set_pikepdf_as_editor=False)
        ua, a_part, a_level = (meta.get("pdfuaid:part"), meta.get("pdfaid:part"),
                               meta.get("pdfaid:conformance"))
    except Exception:  # noqa: BLE001 - unreadable XMP claims nothing
        return []
    claims = []
    if ua:
        claims.append(f"PDF/UA-{ua}")
    if a_part:
        claims.append(f"PDF/A-{a_part}{str(a_level or '').lower()}")
    return claims


class _Counts:
    """Lists, their items, items that carry a label (/Lbl), and tables, counted during the
    structure walk."""

    def __init__(self) -> None:
        self.lists = {"count": 0, "items": 0, "items_with_label": 0}
        self.tables = 0

    def visit(self, elem: pikepdf.Dictionary, kind: str, role_map: Any) -> None:
        if kind == "L":
            self.lists["count"] += 1
        elif kind == "LI":
            self.lists["items"] += 1
            k_entry = elem.get("/K")
            kids = list(k_entry) if isinstance(k_entry, pikepdf.Array) else [k_entry]
            if any(isinstance(k, pikepdf.Dictionary) and elem_type(k, role_map) == "Lbl"
                   for k in kids):
                self.lists["items_with_label"] += 1
        elif kind == "Table":
            self.tables += 1


def _artifacts(doc: pikepdf.Pdf) -> int:
    """Marked-content sequences on the pages marked as pagination artifacts."""
    found = 0
    for page in doc.pages:
        for instruction in pikepdf.parse_content_stream(page, "BDC"):
            operands: Any = instruction.operands
            if str(instruction.operator) == "BDC" and len(operands) > 1 \
                    and operands[0] == pikepdf.Name.Artifact \
                    and isinstance(operands[1], pikepdf.Dictionary) \
                    and operands[1].get("/Type") == pikepdf.Name.Pagination:
                found += 1
    return found


def _fonts(doc: pikepdf.Pdf) -> dict[str, int]:
    """Fonts used on the pages, those embedded, and those with a ToUnicode map."""
    seen: dict[tuple[int, int], Any] = {}
    for page in doc.pages:
        resources: Any = page.obj.get("/Resources", pikepdf.Dictionary())
        for font in resources.get("/Font", pikepdf.Dictionary()).values():
            seen[font.objgen] = font
    embedded = mapped = 0
    for font in seen.values():
        described = font
        if "/DescendantFonts" in font:
            described = font.DescendantFonts[0]
        descriptor = described.get("/FontDescriptor", pikepdf.Dictionary())
        if any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")) or \
                font.get("/Subtype") == pikepdf.Name.Type3:
            embedded += 1
        if "/ToUnicode" in font:
            mapped += 1
    return {"count": len(seen), "embedded": embedded, "mapped_to_unicode": mapped}


def statement(version: str, pdfs: dict[str, bytes], web: list[str],
              measured: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """``accessibility.json``: every PDF's claims and counts, the web editions' target, the
    known limits. ``measured`` holds :func:`pdf_checks` of some of ``pdfs`` already (taken
    where each PDF was made); the others are measured here."""
    known = measured or {}
    return {"version": version,
            "files": [{"file": name, **(known.get(name) or pdf_checks(data))}
                      for name, data in sorted(pdfs.items())]
            + [{"file": name, "claims": [], "targets": ["WCAG 2.1 AA"], "checks": {}}
               for name in sorted(web)],
            "limits": LIMITS}
