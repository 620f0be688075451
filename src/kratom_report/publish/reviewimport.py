"""Reviewers' comments read back from a review copy: sticky notes, highlights, underlines,
strike-outs, free text and replies, each traced to the unit of text under it by the map the
copy carries (publish/review.py), with the words a highlight covers quoted.

A PDF reader writes comments as ``/Annots`` on each page: ``/Contents`` (the comment), ``/T``
(the author), ``/M`` or ``/CreationDate``, ``/Rect`` and, for text markup, ``/QuadPoints``
(four corners per marked piece of line); a reply points at its comment with ``/IRT``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..fingerprint import digest
from ..source.reviews import ReviewError
from .review import MAP_FORMAT, MAP_NAME

KINDS = {"/Text": "note", "/Highlight": "highlight", "/Underline": "underline",
         "/StrikeOut": "strike-out", "/Squiggly": "underline", "/FreeText": "free-text"}
MARKUP = {"highlight", "underline", "strike-out"}
_NEAR = 24.0  # points: a note this close to a unit belongs to it


@dataclass(frozen=True)
class Annotation:
    """One comment as the PDF holds it (positions in points)."""

    key: tuple[int, int]  # the annotation's object number: replies point at it
    kind: str
    page: int
    boxes: tuple[tuple[float, float, float, float], ...]
    author: str
    contents: str
    date: str | None
    name: str
    reply_to: tuple[int, int] | None


def read_review_copy(path: Path, slug: str, version: str) -> tuple[dict[str, Any],
                                                                  list[Annotation]]:
    """The map and the comments of a review copy of this report's ``version``; ReviewError
    (one line, saying which) for any other PDF."""
    import pikepdf

    try:
        pdf = pikepdf.open(path)
    except (pikepdf.PdfError, OSError) as exc:
        raise ReviewError(f"{path}: cannot be read as a PDF ({str(exc)[:120]})") from None
    with pdf:
        review_map = _map(pdf, path)
        if review_map.get("slug") != slug:
            raise ReviewError(f"{path}: a review copy of another report "
                              f"('{review_map.get('slug')}'), not of '{slug}'")
        if review_map.get("version") != version:
            raise ReviewError(f"{path}: a review copy of version {review_map.get('version')}, "
                              f"not of {version} (the report's version); its comments belong "
                              "to that version")
        notes = [note for number, page in enumerate(pdf.pages, 1)
                 for annot in page.obj.get("/Annots", []) or []
                 if (note := _annotation(annot, number)) is not None]
    return review_map, notes


def _map(pdf: Any, path: Path) -> dict[str, Any]:
    spec = pdf.attachments.get(MAP_NAME)
    if spec is None:
        raise ReviewError(f"{path}: not a review copy (it carries no {MAP_NAME}); make one "
                          "with 'kratom-report build --review'")
    try:
        data = json.loads(spec.get_file().read_bytes())
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict) or data.get("format") != MAP_FORMAT:
        raise ReviewError(f"{path}: its {MAP_NAME} is not a review map this tool reads")
    return data


def _annotation(annot: Any, page: int) -> Annotation | None:
    kind = KINDS.get(str(annot.get("/Subtype", "")))
    if kind is None:
        return None
    quads = [float(v) for v in annot.get("/QuadPoints", [])] if kind in MARKUP else []
    boxes = [(min(q[0::2]), min(q[1::2]), max(q[0::2]), max(q[1::2]))
             for q in (quads[i:i + 8] for i in range(0, len(quads) - 7, 8))]
    if not boxes:
        x0, y0, x1, y1 = (float(v) for v in annot.get("/Rect", [0, 0, 0, 0]))
        boxes = [(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))]
    irt = annot.get("/IRT")
    return Annotation(tuple(annot.objgen), kind, page, tuple(boxes),
                      str(annot.get("/T", "")).strip(), str(annot.get("/Contents", "")).strip(),
                      _date(str(annot.get("/M", "") or annot.get("/CreationDate", ""))),
                      str(annot.get("/NM", "")),
                      tuple(irt.objgen) if irt is not None and irt.is_indirect else None)


def _date(value: str) -> str | None:
    """``D:20261206…`` (a PDF date) as ``2026-12-06``."""
    found = re.match(r"(?:D:)?(\d{4})(\d{2})(\d{2})", value)
    return "-".join(found.groups()) if found else None


def comments(review_map: dict[str, Any], notes: list[Annotation],
             reviewer: str | None) -> list[dict[str, Any]]:
    """Comments in page order, each reply under the comment it answers."""
    pages = {p["page"]: p for p in review_map.get("pages", [])}
    made: dict[tuple[int, int], dict[str, Any]] = {}
    out = []
    for note in notes:
        entry: dict[str, Any] = {"id": _id(review_map, note),
                                 "reviewer": reviewer or note.author or "anonymous",
                                 "date": note.date, "comment": note.contents}
        parent = made.get(note.reply_to) if note.reply_to else None
        if parent is not None:
            parent.setdefault("replies", []).append(entry)
            continue
        page = pages.get(note.page, {})
        src = _source(page, note)
        entry = {**entry, "edition": review_map.get("edition"), "source": src,
                 "page": note.page, "kind": note.kind,
                 "quote": _quote(page, note.boxes) if note.kind in MARKUP else None,
                 "status": "open"}
        entry = {k: entry[k] for k in ("id", "reviewer", "date", "edition", "source", "page",
                                        "kind", "quote", "comment", "status")}
        made[note.key] = entry
        out.append(entry)
    return out


def _id(review_map: dict[str, Any], note: Annotation) -> str:
    """The same comment in the same copy always gets the same id: importing twice adds
    nothing (the author as written, not ``--reviewer``)."""
    key = [review_map.get("slug"), review_map.get("version"), review_map.get("edition"),
           note.page, note.kind, [[round(v, 1) for v in b] for b in note.boxes], note.author,
           note.contents, note.date, note.name]
    return digest(json.dumps(key))[:8]


def _overlap(a: Any, b: Any) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def _source(page: dict[str, Any], note: Annotation) -> str | None:
    """The unit under the comment: most overlap, else the nearest within a short reach."""
    units = page.get("units", [])
    best = max(units, default=None,
               key=lambda u: sum(_overlap(u["rect"], b) for b in note.boxes))
    if best is not None and sum(_overlap(best["rect"], b) for b in note.boxes) > 0:
        return best["src"]
    x, y = note.boxes[0][0], note.boxes[0][3]

    def distance(u: dict[str, Any]) -> float:
        r = u["rect"]
        return max(r[1] - y, 0, y - r[3]) + max(r[0] - x, 0, x - r[2])

    near = min(units, key=distance, default=None)
    return near["src"] if near is not None and distance(near) <= _NEAR else None


def _quote(page: dict[str, Any], boxes: tuple[Any, ...]) -> str:
    """The words whose centres the marked boxes cover, as a reader reads them."""
    picked = [w for w in page.get("words", [])
              if any(b[0] <= (w[0] + w[2]) / 2 <= b[2] and b[1] <= (w[1] + w[3]) / 2 <= b[3]
                     for b in boxes)]
    text = ""
    for i, word in enumerate(picked):
        previous = picked[i - 1] if i else None
        same_line = previous is not None and min(previous[3], word[3]) > max(previous[1],
                                                                              word[1])
        if previous is None:
            text = word[4]
        elif not same_line and text.endswith("\u2010"):  # hyphenated at a line end
            text = text[:-1] + word[4]
        elif same_line and word[0] - previous[2] < 0.5:  # touching: "source" and its "1"
            text += word[4]
        else:
            text += " " + word[4]
    return text
