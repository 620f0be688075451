"""Run a command as a child process and measure it: wall time, CPU time and peak RSS.

Peak RSS comes from ``os.wait4``: the kernel's ``ru_maxrss`` of the child, which also covers
descendants the child waited for (the largest single process among them, not the sum), so a
``build --jobs 2`` reports its largest worker or itself, whichever peaked higher.
"""

from __future__ import annotations

import contextlib
import os
import signal
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass
class Proc:
    cmd: list[str]
    wall: float  # seconds
    cpu: float  # user + system seconds, child and its reaped descendants
    maxrss_kb: int
    returncode: int
    stdout: str
    stderr: str


class CommandFailed(RuntimeError):
    def __init__(self, proc: Proc) -> None:
        tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
        super().__init__(f"command failed (exit {proc.returncode}): {' '.join(proc.cmd)}\n{tail}")
        self.proc = proc


class TimedOut(RuntimeError):
    pass


def run(cmd: Sequence[str], *, env: dict[str, str] | None = None, cwd: str | None = None,
        check: bool = True, timeout: float = 600) -> Proc:
    """One run of ``cmd``; output goes to temporary files so nothing blocks on a pipe.

    The child gets its own process group; if it is still running after ``timeout`` seconds
    (a hung build), that group — the child and its workers, nothing else — is killed and
    ``TimedOut`` raised.
    """
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        child = subprocess.Popen(list(cmd), stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                 env=env, cwd=cwd, start_new_session=True)
        fired: list[bool] = []

        def kill() -> None:
            fired.append(True)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(child.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
        if fired:
            err.seek(0)
            raise TimedOut(f"no result after {timeout:.0f} s (hung?), killed: {' '.join(cmd)}\n"
                           f"{err.read()[-2000:]}")
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        proc = Proc(list(cmd), wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss,
                    child.returncode, out.read(), err.read())
    if check and proc.returncode != 0:
        raise CommandFailed(proc)
    return proc


@dataclass
class Series:
    """Repeated measurements of one thing; medians are what the report shows."""

    name: str
    procs: list[Proc] = field(default_factory=list)

    def add(self, proc: Proc) -> Proc:
        self.procs.append(proc)
        return proc

    @property
    def wall(self) -> float:
        return statistics.median(p.wall for p in self.procs)

    @property
    def cpu(self) -> float:
        return statistics.median(p.cpu for p in self.procs)

    @property
    def rss_mb(self) -> float:
        return statistics.median(p.maxrss_kb for p in self.procs) / 1024

    @property
    def spread(self) -> tuple[float, float]:
        walls = [p.wall for p in self.procs]
        return min(walls), max(walls)

    def as_dict(self) -> dict:
        lo, hi = self.spread
        return {"name": self.name, "runs": len(self.procs), "wall_median_s": round(self.wall, 4),
                "wall_min_s": round(lo, 4), "wall_max_s": round(hi, 4),
                "cpu_median_s": round(self.cpu, 4), "peak_rss_median_mb": round(self.rss_mb, 1),
                "walls_s": [round(p.wall, 4) for p in self.procs]}
