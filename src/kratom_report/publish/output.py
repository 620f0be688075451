"""Output names and atomic writes: a reader never sees a half-written file."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from ..errors import OutputError


def output_name(slug: str, edition: str, version: str, fmt: str, variant: str = "pdf/ua-1",
                *, draft: bool = False, since: str | None = None) -> str:
    """The file name of one output; ``fmt`` is ``pdf``, ``html`` (the print HTML) or ``web``.

    A draft carries ``-draft`` so it can never be mistaken for (or overwrite) the release; a
    copy with change marks carries ``-changes-since-<version>`` for the same reason. The print
    HTML carries ``-print`` and the web edition none: both are ``.html``, and building one
    must never overwrite the other.
    """
    suffix = (("-draft" if draft else "") + (f"-changes-since-{since}" if since else "")
              + ("-pdfa" if variant.startswith("pdf/a") else "")
              + ("-print" if fmt == "html" else ""))
    return f"{slug}-{edition}-v{version}{suffix}.{'html' if fmt == 'web' else fmt}"


def refuse_links(paths: list[Path], *, folders: bool = False) -> None:
    """OutputError for the first of ``paths`` that is a symbolic link, before anything is read."""
    for path in paths:
        if path.is_symlink():
            raise OutputError(path, _FOLDER_LINK if folders else _FILE_LINK)


_FOLDER_LINK = ("is a symbolic link; refusing to write through it (pass the real folder, or "
                "remove the link)")
_FILE_LINK = "is a symbolic link; refusing to replace or write through it (remove the link)"


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


def write_temp(path: Path, data: bytes, mode: int = 0o644, *, durable: bool = True) -> str:
    """Write ``data`` to a new, uniquely named temp file beside ``path``; return its name.

    The caller renames it into place (``os.replace``) or removes it: two writers never share a
    temp file, so the last complete file wins and a reader never sees a partial one.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.chmod(tmp, mode)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp


def _writable(folder: Path) -> bool:
    return os.access(folder, os.W_OK | os.X_OK)


def write_all(files: list[tuple[Path, bytes]], *, durable: bool = True) -> None:
    """Write every file to a unique temp name first, then rename them all into place.

    ``durable=False`` skips the fsync of each file: for files any run can rewrite (the site),
    where waiting for the disk is most of the cost and a crash loses nothing kept.

    If any write fails (disk full, permissions), every temp file is removed and nothing that
    was already in the folder is touched. Renames are atomic, so two concurrent builds of the
    same file leave one complete version, never a mix.
    """
    temps: list[tuple[str, Path]] = []
    current = files[0][0] if files else Path(".")
    try:
        for path, data in files:
            current = path
            if path.is_dir():
                raise OutputError(path, "is a folder; remove it or choose another --out")
            refuse_links([path])
            temps.append((write_temp(path, data, durable=durable), path))
        for tmp, path in temps:
            os.replace(tmp, path)
        temps = []
    except OSError as exc:
        raise OutputError(current, exc.strerror or str(exc)) from None
    finally:
        for tmp, _ in temps:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
