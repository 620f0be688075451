"""Where the time goes: cProfile summaries grouped by package, our own top costs, import times.

cProfile slows Python-heavy code more than C-heavy code, so its shares are indicative; the
benchmark's wall-clock phase timings (``phases.py``) are the numbers to quote.
"""

from __future__ import annotations

import os
import pstats
import re
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

from measure import run

OURS = "kratom_report"
_SITE = re.compile(r"(?:site|dist)-packages/([^/]+)/")
_PKG = re.compile(r"/src/(kratom_report)/")


def package_of(filename: str) -> str:
    if _PKG.search(filename) or "/kratom_report/" in filename:
        return OURS
    m = _SITE.search(filename)
    if m:
        return m.group(1).removesuffix(".py")
    if filename.startswith("<frozen"):
        return "(import machinery)"
    if filename == "~":
        return "(C builtins)"
    if "/lib/python3" in filename:
        return "(stdlib)"
    return "(other)"


def profile(cmd_args: list[str], out: Path, env: dict[str, str], *, module: str | None = None,
            script: Path | None = None) -> Path:
    """Run ``python -m cProfile -o out (-m module | script) args``; returns the .prof path.

    cProfile sees one process only: ``build`` renders PDFs in forked workers, so profile
    ``phases.py`` (the same pipeline in one process) to see the rendering too.
    """
    target = ["-m", module] if module else [str(script)]
    run([sys.executable, "-m", "cProfile", "-o", str(out), *target, *cmd_args], env=env)
    return out


def timeline(cmd: list[str], env: dict[str, str]) -> list[str]:
    """The command's progress lines (stderr), each stamped with seconds since it started."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                            text=True, start_new_session=True)
    timer = threading.Timer(600, lambda: os.killpg(proc.pid, signal.SIGKILL))  # a hung build
    timer.start()
    assert proc.stderr is not None
    lines = [f"{time.perf_counter() - start:6.2f} s  {line.rstrip()}" for line in proc.stderr]
    proc.wait()
    timer.cancel()
    lines.append(f"{time.perf_counter() - start:6.2f} s  (exit {proc.returncode})")
    return lines


def summarize(prof: Path, top: int = 12) -> dict:
    """Total profiled time, self time per package, and our functions by cumulative time."""
    stats = pstats.Stats(str(prof))
    by_pkg: dict[str, float] = defaultdict(float)
    ours: list[tuple[float, float, int, str]] = []
    for (filename, line, func), (_cc, nc, tt, ct, callers) in stats.stats.items():
        pkg = package_of(filename)
        if filename == "~" and callers:
            # A C function's own time (zlib, cffi calls into Pango/HarfBuzz, ...) counts for the
            # package that called it, in proportion to the time each caller spent in it.
            for (cfile, _cl, _cf), (_c1, _c2, ctt, _cct) in callers.items():
                by_pkg[package_of(cfile) if cfile != "~" else pkg] += ctt
        else:
            by_pkg[pkg] += tt
        if pkg == OURS:
            short = filename.split("/kratom_report/", 1)[-1]
            ours.append((ct, tt, nc, f"{short}:{line}({func})"))
    total = stats.total_tt
    ours.sort(reverse=True)
    return {
        "profile": str(prof),
        "total_s": round(total, 3),
        "self_time_by_package": sorted(((k, round(v, 3)) for k, v in by_pkg.items()),
                                       key=lambda kv: -kv[1])[:top],
        "ours_by_cumulative": [
            {"function": name, "cumulative_s": round(ct, 3), "self_s": round(tt, 3), "calls": nc}
            for ct, tt, nc, name in ours[:top]
        ],
    }


def callee_costs(prof: Path, pattern: str, top: int = 8) -> list[tuple[str, float]]:
    """Cumulative time of the functions called from functions matching ``pattern``."""
    stats = pstats.Stats(str(prof))
    out: dict[str, float] = defaultdict(float)
    for (filename, line, func), (_cc, _nc, _tt, _ct, callers) in stats.stats.items():
        for (cfile, cline, cfunc), (_c1, _c2, _ctt, cct) in callers.items():
            if re.search(pattern, f"{cfile}:{cline}({cfunc})"):
                out[f"{package_of(filename)}: {Path(filename).name}:{line}({func})"] += cct
    return sorted(((k, round(v, 3)) for k, v in out.items()), key=lambda kv: -kv[1])[:top]


def import_times(cmd: list[str], env: dict[str, str], top: int = 12) -> dict:
    """``python -X importtime``: slowest top-level imports of a command (cumulative, seconds)."""
    proc = run([sys.executable, "-X", "importtime", *cmd], env=env, check=False)
    rows = []
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)", line)
        if m:
            rows.append((int(m.group(2)) / 1e6, len(m.group(3)) // 2, m.group(4)))
    total = sum(c for c, depth, _ in rows if depth == 0)
    # Shallow entries (direct imports of the entry module) say which import to make lazy.
    shallow = sorted(((name, round(c, 3)) for c, depth, name in rows if depth <= 2),
                     key=lambda kv: -kv[1])[:top]
    ours = sorted(((name, round(c, 3)) for c, _d, name in rows if name.startswith(OURS)),
                  key=lambda kv: -kv[1])[:top]
    return {"total_import_s": round(total, 3), "slowest_shallow": shallow, "ours": ours}
