"""Build, then build again after every saved change: the author's preview loop.

Changes are found with watchfiles (inotify, FSEvents or ReadDirectoryChangesW underneath), which
sees editors that save by writing a new file and renaming it over the old one. A batch of
events only wakes the loop: what changed is decided by comparing each watched file's
modification time, size and inode with the listing taken before the last build, so events for
folders, swap files or our own output never start a build. A rebuild starts once nothing has
changed for ``debounce`` seconds, so saving several files at once builds once. Reference files
outside ``report/`` and a ``templates/`` folder created later are checked every ``poll``
seconds. A failed build writes nothing (see :func:`build.build`), so the last good output stays
in place while the problems are reported. ``preview`` uses the same :class:`Changes`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..build import BuildRequest, BuiltFile, build
from ..errors import Problem, ProblemsError, ReportError, UnknownEdition
from ..source.reportfile import quick_reference_files

Snapshot = dict[str, tuple[int, int, int]]  # path -> (mtime_ns, size, inode)


@dataclass(frozen=True)
class Cycle:
    """One build of the loop: what was built, or why it failed."""

    number: int  # 1 for the first build
    seconds: float
    built: tuple[BuiltFile, ...] = ()
    problems: tuple[Problem, ...] = ()
    error: str | None = None  # a failure that is not a content problem (I/O, internal)
    changed: tuple[str, ...] = ()  # files whose change started this build

    @property
    def ok(self) -> bool:
        return not self.problems and self.error is None

    def lines(self) -> list[str]:
        """What to print on stderr: one line for a build, the problems for a failed one."""
        verb = "built" if self.number == 1 else "rebuilt"
        if self.ok:
            made = [b.edition for b in self.built if not b.skipped]
            same = [b.edition for b in self.built if b.skipped]
            line = f"{verb} {', '.join(made) or 'nothing'} in {self.seconds:.1f} s"
            if same:
                line += f" ({', '.join(same)} unchanged)"
            return [line]
        out = [str(p) for p in self.problems]
        if self.error:
            out.append(self.error)
        n = len(self.problems) or 1
        out.append(f"not {verb}: {n} problem{'s' if n != 1 else ''}; "
                   "the last good output is kept")
        return out


def watch(root: Path, request: BuildRequest, *, stop: threading.Event | None = None,
          on_cycle: Callable[[Cycle], None] | None = None, poll: float = 0.2,
          debounce: float = 0.3) -> None:
    """Build once, then after every change to the sources, until ``stop`` is set.

    Watched: ``report/`` and ``templates/`` recursively, and the reference files report.yaml
    lists (also when they live outside report/). An unknown ``--edition`` on the first build
    raises :class:`UnknownEdition`; every other failure is reported through ``on_cycle`` and
    the loop goes on. Ctrl-C (KeyboardInterrupt) propagates to the caller.
    """
    with interruptible():
        _loop(root, request, stop or threading.Event(), on_cycle or (lambda _cycle: None),
              poll, debounce)


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """SIGINT and SIGTERM stop the watch, even if the shell that started us ignored SIGINT.

    A script that runs ``kratom-report watch &`` starts it with SIGINT ignored (POSIX shells
    do this for background jobs); without restoring the default, Ctrl-C and ``kill -INT`` could
    never stop it. SIGTERM is treated the same way so a stop from a supervisor exits cleanly.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _loop(root: Path, request: BuildRequest, stop: threading.Event,
          report: Callable[[Cycle], None], poll: float, debounce: float) -> None:
    # Listed before the first build: a save while it runs starts the second.
    with Changes(root, skip=_skipped_folder(request.out), stop=stop, debounce=debounce,
                 poll=poll) as changes:
        number = 1
        report(_build_once(root, request, number, ()))
        while (changed := changes.next()) is not None:
            number += 1
            report(_build_once(root, request, number, changed))


class Changes:
    """Saved changes to a report's sources, one settled batch at a time.

    Events come from watchfiles on ``report/`` and ``templates/``; the file listing decides
    what changed, so only real edits to watched files count. Close it (or use ``with``) to
    stop the watching thread.
    """

    def __init__(self, root: Path, *, skip: Path | None = None,
                 stop: threading.Event | None = None, debounce: float = 0.3,
                 poll: float = 0.2) -> None:
        self.root, self.skip = root, skip
        self.stop = stop or threading.Event()
        self.debounce, self.poll = debounce, poll
        self._extra = _reference_files(root)
        self._notify: Any = None
        self._folders: tuple[tuple[Path, int], ...] = ()  # (folder, inode)
        self._open()  # before the listing: nothing saved after it can be missed
        self._current = snapshot(root, self._extra, skip)

    def __enter__(self) -> Changes:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._notify is not None:
            self._notify.close()
            self._notify = None

    def next(self) -> tuple[str, ...] | None:
        """Wait for the next change; the files it touched, or None once ``stop`` is set.

        The listing to compare with is taken before returning, so a save made while the
        caller builds is the next change.
        """
        while not self.stop.is_set():
            if not self._wait():
                continue
            latest = snapshot(self.root, self._extra, self.skip)
            if latest == self._current:
                continue
            changed = _changed(self._current, latest)
            self._extra = _reference_files(self.root) or self._extra  # report.yaml may list more
            self._current = snapshot(self.root, self._extra, self.skip)
            return changed
        return None

    def _wait(self) -> bool:
        """True when something may have changed: a batch of events or an outside file."""
        if self._open():
            return True
        if self._notify is None:  # neither report/ nor templates/ exists yet
            self.stop.wait(self.poll)
            return True
        step = max(10, int(self.debounce * 1000))
        try:
            result = self._notify.watch(max(10 * step, 2000), step,
                                        max(10, int(self.poll * 1000)), self.stop)
        except (RuntimeError, OSError):  # a watched folder went away: start again
            self.close()
            return True
        if result == "signal":  # our SIGINT/SIGTERM handler ran inside the wait
            raise KeyboardInterrupt
        if result == "stop":
            return False
        if result == "timeout":
            return any(self._current.get(str(p)) != _stat(p) for p in self._extra)
        return True

    def _open(self) -> bool:
        """Watch the folders that exist now; True when that set changed since last time.

        A folder replaced by another of the same name (renamed away, copied back) counts as
        changed too: the old watch would follow the folder that was moved away.
        """
        folders = tuple((f, st[2]) for f in (self.root / "report", self.root / "templates")
                        if f.is_dir() and (st := _stat(f)) is not None)
        if folders == self._folders and (self._notify is not None or not folders):
            return False
        # watchfiles' own backend (documented; ``watchfiles.watch`` wraps it): it watches from
        # the moment it is made, while the ``watch`` generator starts only when first iterated,
        # which would miss a save made during the first build.
        from watchfiles._rust_notify import RustNotify

        self.close()
        self._folders = folders
        if folders:
            self._notify = RustNotify([str(f) for f, _ in folders], False, False, 50, True, True)
        return True


def _stat(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _build_once(root: Path, request: BuildRequest, number: int,
                changed: tuple[str, ...]) -> Cycle:
    start = time.perf_counter()
    try:
        built = build(root, request)
    except ProblemsError as exc:
        return Cycle(number, time.perf_counter() - start, problems=tuple(exc.problems),
                     changed=changed)
    except UnknownEdition as exc:
        if number == 1:
            raise
        return Cycle(number, time.perf_counter() - start, error=f"Error: {exc}", changed=changed)
    except ReportError as exc:
        return Cycle(number, time.perf_counter() - start, error=str(exc), changed=changed)
    except Exception as exc:  # noqa: BLE001 - keep watching; the author may fix the cause
        return Cycle(number, time.perf_counter() - start,
                     error=f"internal error: {type(exc).__name__}: {exc}", changed=changed)
    return Cycle(number, time.perf_counter() - start, built=tuple(built), changed=changed)


def snapshot(root: Path, extra: list[Path], skip: Path | None = None) -> Snapshot:
    """Every watched file with its modification time, size and inode."""
    out: Snapshot = {}
    for folder in (root / "report", root / "templates"):
        _scan(folder, out, skip)
    for path in extra:
        try:
            st = path.stat()
        except OSError:
            continue
        out[str(path)] = (st.st_mtime_ns, st.st_size, st.st_ino)
    return out


def _scan(folder: Path, out: Snapshot, skip: Path | None) -> None:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return  # absent, or removed while we looked: the next poll sees it
    for entry in entries:
        # Hidden files are editors' swap files and our own temp files, never sources.
        if entry.name.startswith(".") or entry.name.endswith("~"):
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                if skip is None or Path(entry.path).resolve() != skip:
                    _scan(Path(entry.path), out, skip)
                continue
            st = entry.stat()
        except OSError:
            continue
        out[entry.path] = (st.st_mtime_ns, st.st_size, st.st_ino)


def _changed(before: Snapshot, after: Snapshot) -> tuple[str, ...]:
    keys = set(before) | set(after)
    return tuple(sorted(k for k in keys if before.get(k) != after.get(k)))


def _skipped_folder(out: Path) -> Path | None:
    """The output folder, so an --out inside report/ does not trigger its own rebuilds."""
    try:
        return out.resolve()
    except OSError:
        return None


def _reference_files(root: Path) -> list[Path]:
    """The reference files report.yaml lists, by the one quick reader of report.yaml."""
    return quick_reference_files(root)
