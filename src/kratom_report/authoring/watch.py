"""Build, then build again after every saved change: the author's preview loop.

Changes are found by polling (no extra dependency): every ``poll`` seconds the watched folders
are listed and each file's modification time, size and inode compared with the last listing.
Editors often save by writing a new file and renaming it over the old one, so folders are
listed rather than files held open; the inode catches a rename that keeps time and size. A
rebuild starts once nothing has changed for ``debounce`` seconds, so saving several files at
once builds once. A failed build writes nothing (see :func:`build.build`), so the last good
output stays in place while the problems are reported.
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

from ..build import BuildRequest, BuiltFile, UnknownEdition, build
from ..errors import Problem, ProblemsError, ReportError
from ..source.loader import YamlLoadError, load_yaml
from ..source.locate import REPORT_FILE

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
    with _interruptible():
        _loop(root, request, stop or threading.Event(), on_cycle or (lambda _cycle: None),
              poll, debounce)


@contextlib.contextmanager
def _interruptible() -> Iterator[None]:
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
    skip = _skipped_folder(request.out)
    extra = _reference_files(root)
    current = snapshot(root, extra, skip)
    number = 1
    report(_build_once(root, request, number, ()))
    while not stop.is_set():
        stop.wait(poll)
        seen = snapshot(root, extra, skip)
        if seen == current:
            continue
        # Settle: wait until nothing has changed for `debounce` seconds.
        quiet_since = time.monotonic()
        while not stop.is_set() and time.monotonic() - quiet_since < debounce:
            stop.wait(min(poll, debounce))
            latest = snapshot(root, extra, skip)
            if latest != seen:
                seen, quiet_since = latest, time.monotonic()
        if stop.is_set():
            break
        changed = _changed(current, seen)
        extra = _reference_files(root) or extra  # report.yaml may list other files now
        current = snapshot(root, extra, skip)  # taken before building: later saves count
        number += 1
        report(_build_once(root, request, number, changed))


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
    """The reference files report.yaml lists; an unreadable report.yaml lists none."""
    try:
        doc = load_yaml(root / REPORT_FILE, REPORT_FILE.as_posix())
    except YamlLoadError:
        return []
    names = doc.data.get("references") if isinstance(doc.data, dict) else None
    if not isinstance(names, list):
        names = ["references.yaml"]
    return [root / "report" / n for n in names if isinstance(n, str)]
