"""The one way the tool writes files: whole or not at all, never through a symbolic link.

Guarantee: each file is replaced whole or not at all (a reader sees the old bytes or the new,
never a mix), and a multi-file write either all lands or every file is rolled back: files it
replaced get their old bytes back and files it created are removed. A folder written with
:func:`write_folder` appears complete or not at all. A crash of the machine mid-write can
still leave some files new and some old; only ``durable`` writes are on disk when it returns.

Outputs, release records, caches, the preview, ``version bump``, ``new section`` and ``init``
all write through here.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .errors import OutputError

_FOLDER_LINK = ("is a symbolic link; refusing to write through it (pass the real folder, or "
                "remove the link)")
_FILE_LINK = "is a symbolic link; refusing to replace or write through it (remove the link)"


class WriteFailed(OutputError):
    """Raised when a write failed and was rolled back; ``unrestored`` lists files whose old
    bytes could not be put back (empty: nothing was changed)."""

    def __init__(self, path: Path, reason: str, unrestored: list[Path]) -> None:
        super().__init__(path, reason)
        self.unrestored = unrestored


def refuse_links(paths: list[Path], *, folders: bool = False) -> None:
    """OutputError for the first of ``paths`` that is a symbolic link, before anything is read."""
    for path in paths:
        if path.is_symlink():
            raise OutputError(path, _FOLDER_LINK if folders else _FILE_LINK)


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


def scratch_folder(prefix: str) -> Path:
    """A new private folder for files nobody keeps (the preview without ``--out``, a
    render's private font configuration)."""
    return Path(tempfile.mkdtemp(prefix=prefix))


def write_temp(path: Path, data: bytes, mode: int = 0o644, *, durable: bool = True) -> str:
    """Write ``data`` to a new, uniquely named temp file beside ``path``; return its name.

    Two writers never share a temp file, so the last complete file wins.
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


@dataclass
class _Plan:
    """One file of a write: its temp file, and how to undo putting it in place."""

    path: Path
    tmp: str
    existed: bool
    backup: str | None = None  # a hard link to the old file, or None
    old: bytes | None = field(default=None, repr=False)  # its bytes, without hard links
    placed: bool = False


def write_all(files: list[tuple[Path, bytes]], *, durable: bool = True, mode: int = 0o644,
              keep_mode: bool = False, exclusive: bool = False) -> None:
    """Write every file to a temp file beside it, then move them all into place (see above).

    ``durable=False`` skips the fsync of each file: for files any run can rewrite (the site,
    caches). ``keep_mode``: a replaced file keeps its permissions. ``exclusive``: a file that
    did not exist is created, never put over one that appeared meanwhile. Raises
    :class:`WriteFailed` after rolling back.
    """
    plans: list[_Plan] = []
    current = files[0][0] if files else Path(".")
    try:
        for path, data in files:
            current = path
            if path.is_dir():
                raise OutputError(path, "is a folder; remove it or choose another --out")
            refuse_links([path])
            existed = path.exists()
            file_mode = path.stat().st_mode & 0o7777 if keep_mode and existed else mode
            plans.append(_Plan(path, write_temp(path, data, file_mode, durable=durable), existed))
        for plan in plans:
            current = plan.path
            _place(plan, exclusive=exclusive)
    except OSError as exc:
        unrestored = _roll_back(plans)
        raise WriteFailed(current, exc.strerror or str(exc), unrestored) from None
    finally:
        for plan in plans:
            for name in (plan.tmp, plan.backup):
                if name is not None:
                    with contextlib.suppress(OSError):
                        os.unlink(name)


def _place(plan: _Plan, *, exclusive: bool) -> None:
    if plan.existed:
        plan.backup = plan.tmp + ".old"
        try:
            os.link(plan.path, plan.backup)
        except OSError:  # no hard links here: keep the bytes instead
            plan.backup, plan.old = None, plan.path.read_bytes()
    if exclusive and not plan.existed:
        _create(plan.tmp, plan.path)
    else:
        os.replace(plan.tmp, plan.path)
    plan.placed = True


def _create(tmp: str, path: Path) -> None:
    """Move ``tmp`` to ``path``, refusing to overwrite a file created there meanwhile."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links: check, then rename
        if path.exists():
            raise FileExistsError(17, "File exists", str(path)) from None
        os.replace(tmp, path)


def _roll_back(plans: list[_Plan]) -> list[Path]:
    """Undo every placed file, last first; the files that could not be restored."""
    unrestored = []
    for plan in reversed([p for p in plans if p.placed]):
        try:
            if not plan.existed:
                plan.path.unlink()
            elif plan.backup is not None:
                os.replace(plan.backup, plan.path)
                plan.backup = None
            else:
                os.replace(write_temp(plan.path, plan.old or b""), plan.path)
        except OSError:
            unrestored.append(plan.path)
    return unrestored


def write_folder(target: Path, files: dict[str, bytes]) -> None:
    """Fill a temp folder beside ``target``, then rename it: the folder appears complete or not."""
    place_folder(stage_folder(target, files), target)


def stage_folder(target: Path, files: dict[str, bytes]) -> Path:
    """A hidden temp folder beside ``target`` (same file system, so :func:`place_folder` is
    one rename) holding ``files`` (plain names, or ``sub/name``). Nothing is left behind when
    writing fails."""
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        for name, data in files.items():
            (tmp / name).parent.mkdir(exist_ok=True)
            (tmp / name).write_bytes(data)
            os.chmod(tmp / name, 0o644)
        os.chmod(tmp, 0o755)
    except BaseException as exc:
        discard_folder(tmp)
        if isinstance(exc, OSError):
            raise OutputError(target, exc.strerror or str(exc)) from None
        raise
    return tmp


def place_folder(tmp: Path, target: Path) -> None:
    """Rename a staged folder to ``target`` (which must not exist): it appears complete."""
    try:
        os.rename(tmp, target)
    except OSError as exc:
        discard_folder(tmp)
        raise OutputError(target, exc.strerror or str(exc)) from None


def discard_folder(tmp: Path | None) -> None:
    """Remove a staged folder that will not be placed (a failed or interrupted run)."""
    if tmp is not None and tmp.exists() and not tmp.is_symlink():
        shutil.rmtree(tmp, ignore_errors=True)
