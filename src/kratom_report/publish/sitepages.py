"""Two small pieces of the release site: the favicon, and each version's Accessibility page
(from the ``accessibility.json`` its release folder holds)."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from ..compose.pages import render_template
from ..compose.templating import Templates
from ..source.project import Project

if TYPE_CHECKING:
    import jinja2

_MAX_STATEMENT = 5_000_000  # far more than a statement of any release holds


def favicon(project: Project) -> bytes:
    """A 32×32 square in the first edition's accent colour, as an ICO holding one PNG (what
    browsers ask for at /favicon.ico): the site no longer answers that request with a 404."""
    rgb = bytes.fromhex(project.report.editions[0].accent[1:])  # "#rrggbb", checked
    size = 32
    raw = b"".join(b"\x00" + rgb * size for _ in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2,
                                                             0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
    header = struct.pack("<HHH", 0, 1, 1)
    entry = struct.pack("<BBBBHHII", size, size, 0, 0, 1, 32, len(png), 6 + 16)
    return header + entry + png


def accessibility_page(templates: Templates, env: jinja2.Environment, site: dict[str, Any],
                       page: dict[str, Any], css: Markup, folder: Path,
                       staged: bytes | None) -> list[tuple[Path, bytes]]:
    """``folder/accessibility.html`` from the statement being written (``staged``) or the one
    in ``folder``; nothing for a release made before statements existed."""
    data = staged if staged is not None else _read(folder / "accessibility.json")
    try:
        statement = json.loads(data) if data else None
    except ValueError:
        statement = None
    if not isinstance(statement, dict) or not isinstance(statement.get("files"), list):
        return []
    context = {"site": site, "page": page, "css": css, "statement": statement,
               "locale": site.get("lang")}
    html = render_template(templates, "web/accessibility.html", context, env)
    return [(folder / "accessibility.html", html.encode("utf-8"))]


def _read(path: Path) -> bytes | None:
    if path.is_symlink() or not path.is_file() or path.stat().st_size > _MAX_STATEMENT:
        return None
    return path.read_bytes()


def reviewed_by(project: Project, summary: dict[str, Any] | None) -> str | None:
    """Who approved a version ("Dr A. Lee, Clinical lead (6 December 2026); …"), when
    report.yaml's ``review: {show_on_site: true}`` asks for it and the version's record holds
    approvals; None prints nothing."""
    import datetime as dt

    from ..compose.render import format_date

    if not project.report.review.show_on_site or not summary:
        return None
    lang = project.report.language
    names = []
    for approval in summary.get("approvals") or []:
        name = ", ".join(p for p in (approval.get("by"), approval.get("role")) if p)
        if approval.get("date"):
            name += f" ({format_date(dt.date.fromisoformat(approval['date']), lang)})"
        names.append(name)
    return "; ".join(names) or None
