"""Output names and folders; the atomic writes themselves live in :mod:`..atomic`."""

from __future__ import annotations

from ..atomic import ensure_folder, refuse_links, write_all, write_temp

__all__ = ["ensure_folder", "output_name", "refuse_links", "write_all", "write_temp"]


def output_name(slug: str, edition: str, version: str, fmt: str, variant: str = "pdf/ua-1",
                *, draft: bool = False, since: str | None = None, summary: str = "") -> str:
    """The file name of one output; ``fmt`` is ``pdf``, ``html`` (the print HTML) or ``web``;
    ``summary`` (``one-page``, ``three-page``) names an edition's summary instead.

    A draft carries ``-draft`` so it can never be mistaken for (or overwrite) the release; a
    copy with change marks carries ``-changes-since-<version>`` for the same reason. The print
    HTML carries ``-print`` and the web edition none: both are ``.html``, and building one
    must never overwrite the other. A review copy (``variant`` ``review``) is named
    ``-review`` alone, draft or not: it never is, nor looks like, a release.
    """
    if variant == "review":
        return f"{slug}-{edition}-v{version}-review.pdf"
    suffix = (("-draft" if draft else "") + (f"-changes-since-{since}" if since else "")
              + ("-pdfa" if variant.startswith("pdf/a") else "")
              + ("-print" if fmt == "html" else ""))
    kind = f"-{summary}" if summary else ""
    return f"{slug}-{edition}{kind}-v{version}{suffix}.{'html' if fmt == 'web' else fmt}"
