"""Save → reload latency and memory of `kratom-report preview` on a copy of the real report.

    python benchmarks/preview.py                 # 7 timed saves, then 100 rebuilds for memory
    python benchmarks/preview.py --saves 5 --rebuilds 100 --json out.json

A `kratom-report preview` process serves a copy of the report (in a temporary folder, deleted
at the end; the real report is only read). This script subscribes to its event stream as the
first edition's open page would, saves a section file the way editors do (a new file renamed
over the old one) and times from that file's modification time to the moment the `reload`
event for that page arrives. Memory is the preview process's resident set (VmRSS in /proc)
after its first build and after 1, 10, 25, 50, 75 and --rebuilds rebuilds.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SECTION = Path("report/sections/about.yaml")
ANCHOR = "## How the evidence was gathered"


def cpu_s(pid: int) -> float:
    """User + system CPU seconds the process has used (load-independent, unlike wall time)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


class Stream:
    """The preview's server-sent events, read as a page's EventSource reads them."""

    def __init__(self, port: int, page: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.page = page
        self.conn.request("GET", f"/_events?page={page}")
        self.resp = self.conn.getresponse()
        self.resp.readline()  # "retry: …": subscribed

    def reload(self) -> int:
        """time.time_ns() when the next ``reload`` event for this page has arrived whole."""
        name, data = "", ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self.resp.readline().decode()
            if not line:
                raise RuntimeError("event stream closed")
            if line.startswith("event: "):
                name = line[7:].strip()
            elif line.startswith("data: "):
                data = line[6:]
            elif line == "\n" and name:
                if name == "reload" and self.page in json.loads(data)["changed"]:
                    return time.time_ns()
                name = ""
        raise RuntimeError("no reload event within 30 s")


def save(path: Path, n: int) -> int:
    """Save a new heading (number ``n``) by rename; the saved file's mtime in ns."""
    text = path.read_text(encoding="utf-8")
    new = re.sub(re.escape(ANCHOR) + r"(?: \(\d+\))?", f"{ANCHOR} ({n})", text, count=1)
    assert new != text
    tmp = path.with_name(f".{path.name}.swp")
    tmp.write_text(new, encoding="utf-8")
    os.replace(tmp, path)
    return path.stat().st_mtime_ns


def first_page(port: int) -> str:
    """The first edition's page, from the index: the page this script stands in for."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/")
    body = conn.getresponse().read().decode()
    conn.close()
    return re.search(r'href="/([^"]+\.html)"', body).group(1)  # type: ignore[union-attr]


def start(root: Path) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen([sys.executable, "-m", "kratom_report", "preview", "--source",
                             str(root)], stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:  # type: ignore[union-attr]
        if line.startswith("preview: http://"):
            return proc, int(line.split()[1].rstrip("/").rsplit(":", 1)[1])
    raise RuntimeError("preview did not start")


def run(saves: int, rebuilds: int) -> dict:
    work = Path(tempfile.mkdtemp(prefix="kr-preview-bench-"))
    try:
        root = work / "briefing"
        shutil.copytree(REPO / "report", root / "report")
        if (REPO / "templates").is_dir():
            shutil.copytree(REPO / "templates", root / "templates")
        section = root / SECTION
        assert ANCHOR in section.read_text(encoding="utf-8")
        proc, port = start(root)
        try:
            page = first_page(port)
            stream = Stream(port, page)
            first_rss = rss_mb(proc.pid)
            latencies, cpu = [], []
            rss = {0: first_rss}
            for n in range(saves):
                time.sleep(0.3)  # let the previous rebuild settle, as between real saves
                before = cpu_s(proc.pid)
                mtime = save(section, n)
                latencies.append((stream.reload() - mtime) / 1e9)
                cpu.append(cpu_s(proc.pid) - before)
                if n == 0:
                    rss[1] = rss_mb(proc.pid)
            cpu0, wall0 = cpu_s(proc.pid), time.monotonic()
            for n in range(saves, rebuilds):
                save(section, n)
                stream.reload()
                if n + 1 in (10, 25, 50, 75, rebuilds):
                    rss[n + 1] = rss_mb(proc.pid)
            count = rebuilds - saves
            cpu_per = (cpu_s(proc.pid) - cpu0) / count
            wall_per = (time.monotonic() - wall0) / count
            result = {
                "page": page, "saves": saves, "latency_s": latencies,
                "latency_median_s": statistics.median(latencies),
                "latency_max_s": max(latencies), "rebuilds": rebuilds,
                "latency_cpu_s": cpu, "latency_cpu_median_s": statistics.median(cpu),
                "rss_mb_first_build": first_rss,
                "rss_mb_after": rss, "rss_mb_final": rss[max(rss)],
                "cpu_s_per_rebuild": cpu_per, "wall_s_per_rebuild": wall_per,
                "loadavg": os.getloadavg(),
            }
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
        result["exit_code"] = proc.returncode
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--saves", type=int, default=7, help="timed saves (median reported)")
    parser.add_argument("--rebuilds", type=int, default=100, help="rebuilds before the last RSS")
    parser.add_argument("--json", type=Path, help="also write every number here")
    args = parser.parse_args()
    result = run(max(5, args.saves), max(args.rebuilds, args.saves))
    print(f"save -> reload event: median {result['latency_median_s']:.3f} s, "
          f"max {result['latency_max_s']:.3f} s over {result['saves']} saves "
          f"({', '.join(f'{x:.3f}' for x in result['latency_s'])}); the preview used "
          f"{result['latency_cpu_median_s']:.3f} s CPU (median) from save to reload")
    print(f"back-to-back rebuilds: {result['wall_s_per_rebuild']:.3f} s wall, "
          f"{result['cpu_s_per_rebuild']:.3f} s CPU of the preview process each "
          f"(load average at the end {result['loadavg'][0]:.2f})")
    print("RSS MB after N rebuilds: " + ", ".join(
        f"{k}: {v:.0f}" for k, v in result["rss_mb_after"].items()))
    print(f"target (issue 33): reload <= 0.25 s: "
          f"{'PASS' if result['latency_median_s'] <= 0.25 else 'MISS'}; "
          f"RSS < 300 MB after {result['rebuilds']}: "
          f"{'PASS' if result['rss_mb_final'] < 300 else 'MISS'}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
