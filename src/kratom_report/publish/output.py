"""Output names and folders; the atomic writes themselves live in :mod:`..atomic`."""

from __future__ import annotations

import os
from pathlib import Path

from ..atomic import refuse_links, write_all, write_temp
from ..errors import OutputError

__all__ = ["ensure_folder", "output_name", "refuse_links", "write_all", "write_temp"]


def output_name(slug: str, edition: str, version: str, fmt: str, variant: str = "pdf/ua-1",
                *, draft: bool = False, since: str | None = None) -> str:
    """A draft carries ``-draft`` so it can never be mistaken for (or overwrite) the release;
    a copy with change marks carries ``-changes-since-<version>`` for the same reason."""
    suffix = (("-draft" if draft else "") + (f"-changes-since-{since}" if since else "")
              + ("-pdfa" if variant.startswith("pdf/a") else ""))
    return f"{slug}-{edition}-v{version}{suffix}.{fmt}"


def ensure_folder(folder: Path) -> None:
    """Create ``folder`` and prove it is writable before any rendering time is spent.

    A symbolic link is refused: a report folder from a stranger could ship ``dist`` as a link
    to anywhere, and every later write would land there.
    """
    refuse_links([folder], folders=True)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError(folder, "exists and is not a folder") from None
    except OSError as exc:
        raise OutputError(folder, exc.strerror or str(exc)) from None
    if not folder.is_dir():
        raise OutputError(folder, "exists and is not a folder")
    if not _writable(folder):
        raise OutputError(folder, "permission denied (folder is not writable)")


def _writable(folder: Path) -> bool:
    return os.access(folder, os.W_OK | os.X_OK)
