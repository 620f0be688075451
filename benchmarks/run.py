"""Performance benchmark of kratom-report: one command, medians over repeated runs.

    python benchmarks/run.py [--quick] [--repeat N] [--json FILE] [--markdown FILE]

Builds synthetic reports (10, 40 and 160 sections; fictional filler text, references on
example.org) and the real report of this repository, always into a temporary folder: nothing is
written into the repository except what ``--json``/``--markdown`` name. See benchmarks/README.md
for what is measured and how the targets are judged.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import profiling  # noqa: E402
import synth  # noqa: E402
from measure import CommandFailed, Proc, Series, TimedOut, run  # noqa: E402

REPO = HERE.parent
SPEED_LOOP = "s = 0\nfor i in range(5_000_000):\n    s += i * i"
VARIANT = "pdf/ua-1"
HEAVY_SECTIONS = 100  # from this size on: one run, largest edition only (keeps the run short)

TARGETS = {
    "overhead": 1.10,  # our build process ÷ bare weasyprint process, same HTML and variant
    "jobs2": 1.15,  # all editions with --jobs 2 ÷ slowest single edition
    "nochange": 0.30,  # seconds
    "help": 0.20,  # seconds
    "check": 0.30,  # seconds, with the cache of formatted references warm
    "memory_slack": 1.10,  # peak RSS at 160 sections ≤ 1.10 × the 10→40 line extrapolated
}


# ------------------------------------------------------------------------------ environment

def _executable(name: str) -> str:
    """The console script next to this Python (never a pyenv shim, which adds ~50 ms)."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if not found:
        sys.exit(f"benchmark: '{name}' not found; install the tool (pip install -e .)")
    return found


KR = _executable("kratom-report")
WP = _executable("weasyprint")


class Quiet:
    """Waits, within a budget, until other processes leave the CPUs alone before a run.

    Another process hogging a core (a test suite, say) makes wall times meaningless on a 2-core
    machine. Before each measured run the load of the whole machine is sampled for a quarter of a
    second (this driver is idle meanwhile); above ``threshold`` of all cores busy, wait and retry.
    Runs that still started on a busy machine are counted and reported.
    """

    def __init__(self, budget_s: float, threshold: float = 0.15) -> None:
        self.budget = budget_s
        self.threshold = threshold
        self.waited = 0.0
        self.contended = 0
        self.runs = 0

    @staticmethod
    def busy(interval: float = 0.25) -> float:
        def snap() -> tuple[int, int]:
            with open("/proc/stat") as fh:
                vals = [int(v) for v in fh.readline().split()[1:9]]
            return vals[3] + vals[4], sum(vals)

        try:
            idle1, total1 = snap()
            time.sleep(interval)
            idle2, total2 = snap()
        except OSError:
            return 0.0
        return 1 - (idle2 - idle1) / max(1, total2 - total1)

    def wait(self) -> bool:
        """True when the machine is quiet (or the budget is spent and we go ahead anyway)."""
        self.runs += 1
        while True:
            if self.busy() < self.threshold:
                return True
            if self.waited >= self.budget:
                self.contended += 1
                return False
            time.sleep(1.0)
            self.waited += 1.25


@dataclass
class Bench:
    tmp: Path
    env: dict[str, str]
    quiet: Quiet
    repeat: int
    speed: list[tuple[str, float]] = field(default_factory=list)

    def say(self, msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    def calibrate(self, label: str) -> None:
        """A fixed pure-Python loop, timed: a virtual machine's speed can drift by tens of per
        cent (busy neighbours on the host, invisible from inside), which this makes visible."""
        walls = []
        for _ in range(3):  # the fastest of three: one slow run says little
            self.quiet.wait()
            walls.append(run([sys.executable, "-c", SPEED_LOOP], env=self.env).wall)
        self.speed.append((label, min(walls)))

    def speed_summary(self) -> dict:
        walls = [w for _, w in self.speed]
        return {"loop": SPEED_LOOP, "walls_s": {k: round(w, 3) for k, w in self.speed},
                "median_s": round(statistics.median(walls), 3),
                "spread": round(max(walls) / min(walls) - 1, 3)}

    def measure(self, series: Series, cmd: list[str], env: dict[str, str] | None = None
                ) -> Proc:
        self.quiet.wait()
        return series.add(run(cmd, env=env or self.env))


def snapshot(tmp: Path) -> Path:
    """A copy of the tool's package, measured instead of the working tree.

    The tool may be edited while a run takes its ten minutes; every child process imports this
    frozen copy (it comes first on PYTHONPATH, ahead of the editable install), so all numbers of
    one run describe one version of the code.
    """
    dest = tmp / "snapshot"
    shutil.copytree(installed_package(), dest / "kratom_report",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def child_env(tmp: Path, pythonpath: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = os.pathsep.join(
            [str(pythonpath)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    # Bytecode is cached in the temp folder, not next to the sources: warm start-up numbers
    # (as on any normal install) without writing __pycache__ into the repository.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    # The cache of formatted references goes to the temp folder too (warm after the warm-up
    # run, as on an author's machine); "check, cold cache" runs get an empty one each.
    env["XDG_CACHE_HOME"] = str(tmp / "xdg-cache")
    env.pop("KRATOM_REPORT_NO_CACHE", None)
    return env


# ------------------------------------------------------------------------------ one report

@dataclass
class ReportResult:
    name: str
    root: Path
    sections: int
    heavy: bool
    editions: list[str] = field(default_factory=list)
    words: dict[str, int] = field(default_factory=dict)
    series: dict[str, Series] = field(default_factory=dict)
    pages: dict[str, int] = field(default_factory=dict)
    wp_pages: dict[str, int] = field(default_factory=dict)
    html_bytes: dict[str, int] = field(default_factory=dict)
    phases: dict[str, dict] = field(default_factory=dict)
    whatif: dict = field(default_factory=dict)

    def s(self, key: str) -> Series:
        if key not in self.series:
            self.series[key] = Series(key)
        return self.series[key]

    def wall(self, key: str) -> float | None:
        return self.series[key].wall if key in self.series and self.series[key].procs else None

    # derived numbers ---------------------------------------------------------------------
    def overhead(self, edition: str, use: str = "wall") -> float | None:
        ours, bare = self.series.get(f"build:{edition}"), self.series.get(f"weasyprint:{edition}")
        if not ours or not bare or not ours.procs or not bare.procs:
            return None
        return getattr(ours, use) / getattr(bare, use)

    def slowest_single(self) -> tuple[str, float] | None:
        walls = {e: self.wall(f"build:{e}") for e in self.editions}
        walls = {e: w for e, w in walls.items() if w is not None}
        if not walls:
            return None
        e = max(walls, key=walls.get)  # type: ignore[arg-type]
        return e, walls[e]

    def parallel_penalty(self) -> float:
        """Bare weasyprint on all editions at once ÷ the slowest edition alone."""
        alone = max(self.wall(f"weasyprint:{e}") or 0 for e in self.editions)
        return (self.wall("bare-parallel") or 0) / alone if alone else float("nan")

    def largest_edition(self) -> str:
        return max(self.editions, key=lambda e: self.words.get(e, 0))


def _pages(proc: Proc) -> dict[str, int]:
    """Pages per built file from build's stdout lines ``path<TAB>N pages<TAB>size``."""
    out = {}
    for line in proc.stdout.splitlines():
        parts = line.split("\t")
        m = re.match(r"(\d+) pages", parts[1]) if len(parts) > 1 else None
        if m:
            out[Path(parts[0]).name] = int(m.group(1))
    return out


def _pdf_pages(path: Path) -> int | None:
    try:
        import pikepdf
    except ImportError:
        return None
    with pikepdf.open(path) as pdf:
        return len(pdf.pages)


def bench_report(b: Bench, name: str, root: Path, sections: int) -> ReportResult:
    heavy = sections >= HEAVY_SECTIONS
    r = ReportResult(name, root, sections, heavy)
    work = b.tmp / name
    work.mkdir(parents=True, exist_ok=True)
    src = ["--source", str(root)]
    reps = 1 if heavy else b.repeat

    # Warm-up (bytecode cache, page cache) and what the report holds.
    info = json.loads(run([KR, "check", *src, "--format", "json"], env=b.env).stdout)
    r.editions = list(info["editions"])
    r.words = {e: v["words"] for e, v in info["editions"].items()}
    b.say(f"[{name}] editions: {', '.join(r.editions)}; words {r.words}")

    b.say(f"[{name}] check ×{reps}, then with an empty reference cache each time (cold)")
    for _ in range(max(reps, 1 if heavy else 5)):
        b.measure(r.s("check"), [KR, "check", *src])
    for i in range(max(reps, 1 if heavy else 5)):
        cold = {**b.env, "XDG_CACHE_HOME": str(work / f"cold-cache-{i}")}
        b.measure(r.s("check-cold"), [KR, "check", *src], env=cold)

    if name == "real":  # what check spends its time on, in one process
        b.quiet.wait()
        proc = run([sys.executable, str(HERE / "phases.py"), *src, "--check"], env=b.env)
        r.phases["(check)"] = json.loads(proc.stdout)

    b.say(f"[{name}] build --format html ×{reps}")
    html_dir = work / "html"
    for _ in range(reps):
        b.measure(r.s("html"), [KR, "build", *src, "--format", "html", "--force",
                                "--out", str(html_dir)])
    html_files = {e: next(html_dir.glob(f"*-{e}-v*.html")) for e in r.editions}
    r.html_bytes = {e: p.stat().st_size for e, p in html_files.items()}

    # In-process phases: every edition of the real report, the largest of a synthetic one (up
    # to the HTML only for a heavy one: its PDF timings come from the process runs below).
    editions = [r.largest_edition()] if heavy else r.editions
    for e in (r.editions if name == "real" else [r.largest_edition()]):
        b.say(f"[{name}] in-process phases, edition {e}")
        b.quiet.wait()
        proc = run([sys.executable, str(HERE / "phases.py"), *src, "--edition", e,
                    "--variant", VARIANT, *(["--no-pdf"] if heavy else [])], env=b.env)
        r.phases[e] = json.loads(proc.stdout)

    # The real report's renders are short and its overhead target is the tightest: more pairs.
    pairs = max(reps, 5) if name == "real" and reps > 1 else reps
    for e in editions:
        b.say(f"[{name}] build --edition {e} --jobs 1 --force  vs  bare weasyprint, ×{pairs} each")
        out_dir, wp_out = work / f"pdf-{e}", work / f"weasyprint-{e}.pdf"
        for _ in range(pairs):  # interleaved, so drift hits both alike
            proc = b.measure(r.s(f"build:{e}"), [KR, "build", *src, "--edition", e, "--jobs", "1",
                                                 "--force", "--out", str(out_dir)])
            r.pages[e] = next(iter(_pages(proc).values()))
            proc = b.measure(r.s(f"weasyprint:{e}"),
                             [WP, "--pdf-variant", VARIANT, "--custom-metadata",
                              str(html_files[e]), str(wp_out)])
            if proc.stderr.strip():
                b.say(f"  weasyprint said: {proc.stderr.strip()[:300]}")
        r.wp_pages[e] = _pdf_pages(wp_out) or 0

    if name in ("real", "s40"):
        _what_if_column_fill(b, r, work, editions, html_files, reps)

    if not heavy:
        b.say(f"[{name}] all editions, --jobs 1 and --jobs 2 (--force), ×{reps} each")
        # Reference: bare weasyprint on every edition at once, as many processes as editions.
        # How much slower the slowest one gets than alone is the machine's own parallel
        # penalty (shared caches, memory bandwidth, the host): no pipeline can beat it.
        both = " & ".join(f"{shlex.quote(WP)} --pdf-variant {VARIANT} --custom-metadata "
                          f"{shlex.quote(str(html_files[e]))} {shlex.quote(str(work / e))}-par.pdf"
                          for e in r.editions)
        for _ in range(reps):
            for jobs in ("1", "2"):
                b.measure(r.s(f"all:jobs{jobs}"), [KR, "build", *src, "--jobs", jobs, "--force",
                                                   "--out", str(work / f"all-jobs{jobs}")])
            b.measure(r.s("bare-parallel"), ["sh", "-c", f"{both} & wait"])
        # The first plain build after a --force build is measured on its own: it may have to
        # do more (e.g. record what a later no-change check needs). Then the steady state.
        b.say(f"[{name}] no-change rebuild: first after --force, then ×{max(reps, 5)}")
        for key in ["nochange-first-after-force"] + ["nochange"] * max(reps, 5):
            proc = b.measure(r.s(key), [KR, "build", *src, "--out", str(work / "all-jobs1")])
            if proc.stderr.count("unchanged since the last build") != len(r.editions):
                raise SystemExit(f"benchmark: no-change rebuild of {name} rebuilt something:\n"
                                 f"{proc.stderr}")
    return r


def _what_if_column_fill(b: Bench, r: ReportResult, work: Path, editions: list[str],
                         html_files: dict[str, Path], reps: int) -> None:
    """What-if: the same HTML with the reference list's columns filled, not balanced.

    Balancing the last page of a long two-column list was the costliest single page WeasyPrint
    laid out (see RESULTS.md); skipped once the tool's stylesheet does it already.
    """
    name = r.name
    e = max(editions, key=lambda x: r.wall(f"weasyprint:{x}") or 0)
    if re.search(r"\.bibliography\s*\{[^}]*column-fill:\s*auto",
                 html_files[e].read_text(encoding="utf-8")):
        b.say(f"[{name}] what-if skipped: the stylesheet already has column-fill: auto")
        return
    css = work / "what-if-column-fill.css"
    css.write_text(".bibliography { column-fill: auto }\n", encoding="utf-8")
    b.say(f"[{name}] what-if: bare weasyprint, bibliography column-fill: auto ({e}) ×{reps}")
    out_pdf = work / f"what-if-{e}.pdf"
    for _ in range(reps):
        b.measure(r.s(f"whatif-colfill:{e}"), [WP, "-s", str(css), "--pdf-variant", VARIANT,
                                               "--custom-metadata", str(html_files[e]),
                                               str(out_pdf)])
    r.whatif = {"edition": e, "pages": _pdf_pages(out_pdf) or 0}


def bench_startup(b: Bench) -> Series:
    help_series = Series("help")
    # Warm-up: fills the bytecode cache for the tool and the PDF engine, and the page cache.
    run([KR, "--help"], env=b.env)
    run([sys.executable, "-c", "import weasyprint, pikepdf, kratom_report.build"], env=b.env)
    for _ in range(max(10, b.repeat)):
        b.measure(help_series, [KR, "--help"])
    return help_series


# ------------------------------------------------------------------------------ verdicts

@dataclass
class Verdict:
    target: str
    measured: str
    limit: str
    ok: bool | None  # None: not measured in this mode
    note: str = ""

    @property
    def status(self) -> str:
        return "SKIP" if self.ok is None else ("PASS" if self.ok else "MISS")


def memory_curve(reports: dict[str, ReportResult]) -> tuple[list[tuple], Verdict]:
    points = []
    for r in reports.values():
        if r.name == "real":
            continue
        e = "specialist" if "specialist" in r.editions else r.largest_edition()
        key = f"build:{e}"
        if key in r.series and r.series[key].procs:
            points.append((r.sections, e, r.series[key].rss_mb,
                           r.series[f"weasyprint:{e}"].rss_mb, r.pages.get(e, 0)))
    points.sort()
    by = {p[0]: p[2] for p in points}
    if not all(n in by for n in (10, 40, 160)):
        return points, Verdict("peak RSS grows at most linearly (10→40→160 sections)",
                               "needs the 160-section report", "linear", None,
                               "skipped in --quick")
    slope = (by[40] - by[10]) / 30
    predicted = by[40] + slope * 120
    ok = by[160] <= predicted * TARGETS["memory_slack"]
    slope2 = (by[160] - by[40]) / 120
    return points, Verdict(
        "peak RSS grows at most linearly (10→40→160 sections)",
        f"{by[10]:.0f} → {by[40]:.0f} → {by[160]:.0f} MB "
        f"({slope:.2f} then {slope2:.2f} MB/section)",
        f"160: ≤ {predicted * TARGETS['memory_slack']:.0f} MB (10→40 line +10 %)", ok)


def _min_ratio(r: ReportResult, edition: str) -> float:
    """Fastest build ÷ fastest bare run: less sensitive to one-sided noise than medians."""
    return r.series[f"build:{edition}"].spread[0] / r.series[f"weasyprint:{edition}"].spread[0]


def verdicts(reports: dict[str, ReportResult], help_s: Series) -> list[Verdict]:
    out: list[Verdict] = []
    for name, label in (("real", "real report"), ("s40", "40-section report")):
        r = reports.get(name)
        if r is None:
            continue
        ratios = {e: r.overhead(e) for e in r.editions}
        ratios = {e: v for e, v in ratios.items() if v is not None}
        worst = max(ratios, key=ratios.get)  # type: ignore[arg-type]
        cpu = r.overhead(worst, "cpu")
        out.append(Verdict(
            f"overhead, {label}: build process ÷ bare weasyprint",
            ", ".join(f"{e} {v:.3f}×" for e, v in ratios.items()) + f" (CPU {cpu:.2f}× {worst})",
            f"≤ {TARGETS['overhead']:.2f}× (worst edition)",
            ratios[worst] <= TARGETS["overhead"],
            f"{worst}: {r.wall(f'build:{worst}'):.2f} s vs {r.wall(f'weasyprint:{worst}'):.2f} s;"
            f" best runs {_min_ratio(r, worst):.2f}×"))
    for name, label in (("real", "real report"), ("s40", "40-section report")):
        r = reports.get(name)
        if r is None or r.wall("all:jobs2") is None:
            continue
        slowest = r.slowest_single()
        assert slowest is not None
        ratio = r.wall("all:jobs2") / slowest[1]
        out.append(Verdict(
            f"all editions --jobs 2 ÷ slowest single edition, {label}",
            f"{ratio:.3f}× ({r.wall('all:jobs2'):.2f} s vs {slowest[1]:.2f} s {slowest[0]})",
            f"≤ {TARGETS['jobs2']:.2f}×", ratio <= TARGETS["jobs2"],
            f"machine's own: bare weasyprint, editions at once ÷ slowest alone "
            f"{r.parallel_penalty():.2f}×; "
            f"--jobs 1: {r.wall('all:jobs1'):.2f} s"))
    r = reports.get("real")
    if r is not None:
        nc = r.wall("nochange")
        out.append(Verdict("no-change rebuild (real report, no --force)", f"{nc:.3f} s",
                           f"≤ {TARGETS['nochange']:.2f} s", nc <= TARGETS["nochange"]))
    out.append(Verdict("kratom-report --help start-up", f"{help_s.wall:.3f} s",
                       f"≤ {TARGETS['help']:.2f} s", help_s.wall <= TARGETS["help"]))
    if r is not None:
        ck = r.wall("check")
        cold = r.wall("check-cold")
        out.append(Verdict("kratom-report check (real report, reference cache warm)",
                           f"{ck:.3f} s", f"≤ {TARGETS['check']:.2f} s", ck <= TARGETS["check"],
                           f"cold cache: {cold:.3f} s" if cold is not None else ""))
    out.append(memory_curve(reports)[1])
    return out


# ------------------------------------------------------------------------------ profiling

def profile_misses(b: Bench, reports: dict[str, ReportResult], vs: list[Verdict]) -> dict:
    """cProfile / importtime for what missed, to name the costs that are ours."""
    found: dict = {}
    prof_dir = b.tmp / "profiles"
    prof_dir.mkdir(exist_ok=True)
    missed = " ".join(v.target for v in vs if v.ok is False)
    real = reports.get("real")
    if real is None:
        return found
    src = ["--source", str(real.root)]
    if "overhead" in missed:
        e = real.slowest_single()[0] if real.slowest_single() else real.editions[0]
        b.say(f"[profile] the build pipeline of the real report ({e}) in one process, cProfile")
        prof = profiling.profile([*src, "--edition", e, "--variant", VARIANT],
                                 prof_dir / "pipeline-real.prof", b.env,
                                 script=HERE / "phases.py")
        found["pipeline_real"] = profiling.summarize(prof)
        found["pipeline_real"]["pdf_postprocess_callees"] = profiling.callee_costs(
            prof, r"workers.py:\d+\(_render_job\)")
        b.say("[profile] bare weasyprint on the same HTML under cProfile")
        html = next((b.tmp / "real" / "html").glob(f"*-{e}-v*.html"))
        prof = profiling.profile(["--pdf-variant", VARIANT, "--custom-metadata", str(html),
                                  str(b.tmp / "prof-wp.pdf")], prof_dir / "weasyprint-real.prof",
                                 b.env, module="weasyprint")
        found["weasyprint_real"] = profiling.summarize(prof)
    if "check" in missed:
        b.say("[profile] check of the real report under cProfile")
        prof = profiling.profile(["check", *src], prof_dir / "check-real.prof", b.env,
                                 module="kratom_report")
        found["check_real"] = profiling.summarize(prof)
        found["check_real"]["render_edition_callees"] = profiling.callee_costs(
            prof, r"render.py:\d+\(render_edition\)")
        found["check_imports"] = profiling.import_times(["-m", "kratom_report", "check", *src],
                                                        b.env)
    if "no-change" in missed:
        b.say("[profile] no-change rebuild of the real report under cProfile")
        out = b.tmp / "real" / "all-jobs1"
        prof = profiling.profile(["build", *src, "--out", str(out)],
                                 prof_dir / "nochange-real.prof", b.env, module="kratom_report")
        found["nochange_real"] = profiling.summarize(prof)
    for r in reports.values():
        if r.wall("all:jobs2") is not None and "jobs 2" in missed and r.name in ("real", "s40"):
            b.say(f"[profile] timeline of build --jobs 2 --force, {r.name}")
            found[f"jobs2_timeline_{r.name}"] = profiling.timeline(
                [KR, "build", "--source", str(r.root), "--jobs", "2", "--force", "--out",
                 str(b.tmp / "timeline" / r.name)], b.env)
    if "--help" in missed:
        found["help_imports"] = profiling.import_times(["-m", "kratom_report", "--help"], b.env)
    return found


# ------------------------------------------------------------------------------ reporting

def installed_package() -> Path:
    import kratom_report

    return Path(kratom_report.__file__).resolve().parent


def source_state(pkg: Path | None = None) -> dict:
    """Which code was measured (the tool may be edited while the benchmark runs)."""
    pkg = pkg or installed_package()
    files = sorted(p for p in pkg.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    digest = hashlib.sha256()
    for p in files:
        digest.update(p.relative_to(pkg).as_posix().encode() + b"\0" + p.read_bytes())
    newest = max(files, key=lambda p: p.stat().st_mtime)
    when = dt.datetime.fromtimestamp(newest.stat().st_mtime, dt.UTC)
    return {"package": str(pkg), "sha256": digest.hexdigest()[:16],
            "newest_file": f"{newest.relative_to(pkg)}, {when:%Y-%m-%d %H:%M:%S} UTC"}


def machine_info() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        m = re.search(r"MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text())
        ram = f"{int(m.group(1)) / 1024 / 1024:.1f} GiB" if m else ram
    except OSError:
        pass

    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "absent"

    pango = subprocess.run([WP, "--info"], capture_output=True, text=True).stdout
    pango_v = re.search(r"Pango version:\s*(\d+)", pango)
    pango_s = "unknown"
    if pango_v:  # printed as one number: 15012 is 1.50.12
        n = int(pango_v.group(1))
        pango_s = f"{n // 10000}.{n // 100 % 100}.{n % 100}"
    return {
        "date_utc": subprocess.run(["date", "-u"], capture_output=True, text=True).stdout.strip(),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram": ram,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "versions": {d: version(d) for d in ("kratom-report", "weasyprint", "pydyf", "pikepdf",
                                             "citeproc-py", "pydantic")},
        "pango": pango_s,
        "loadavg_start": Path("/proc/loadavg").read_text().split()[:3],
        "source_start": source_state(),
    }


def report_rows(r: ReportResult) -> list[list[str]]:
    """One row per edition: the per-report numbers table."""
    rows = []
    for e in r.editions:
        if f"build:{e}" not in r.series:
            continue
        build, wp = r.series[f"build:{e}"], r.series[f"weasyprint:{e}"]
        ph = r.phases.get(e, {}).get("seconds", {})
        pages = r.pages.get(e, 0)
        rows.append([
            r.name, e, str(pages),
            f"{r.wall('check'):.2f}",
            f"{r.wall('check-cold'):.2f}" if r.wall("check-cold") is not None else "—",
            f"{r.wall('html'):.2f}",
            f"{ph['html_render']:.2f}" if "html_render" in ph else "—",
            (f"{ph['weasyprint_layout'] + ph['weasyprint_pdf_write']:.2f}"
             if "weasyprint_layout" in ph else "—"),
            f"{build.wall:.2f}", f"{wp.wall:.2f}",
            f"{build.wall / wp.wall:.2f}×",
            f"{pages / build.wall:.1f}",
            f"{build.rss_mb:.0f}", f"{wp.rss_mb:.0f}",
        ])
    return rows


REPORT_HEADER = ["report", "edition", "pages", "check s", "check cold s", "html build s",
                 "html render s",
                 "weasyprint in-proc s", "build s", "bare weasyprint s", "overhead",
                 "pages/s", "build RSS MB", "weasyprint RSS MB"]


def all_editions_rows(reports: dict[str, ReportResult]) -> list[list[str]]:
    rows = []
    for r in reports.values():
        if r.wall("all:jobs1") is None:
            continue
        slowest = r.slowest_single()
        singles = sum(r.wall(f"build:{e}") or 0 for e in r.editions)
        rows.append([r.name, f"{slowest[1]:.2f} ({slowest[0]})", f"{singles:.2f}",
                     f"{r.wall('all:jobs1'):.2f}", f"{r.wall('all:jobs2'):.2f}",
                     f"{r.wall('all:jobs2') / slowest[1]:.2f}×",
                     f"{r.parallel_penalty():.2f}×",
                     f"{r.series['all:jobs2'].rss_mb:.0f}", f"{r.wall('nochange'):.3f}",
                     f"{r.wall('nochange-first-after-force'):.3f}"])
    return rows


ALL_HEADER = ["report", "slowest single s", "sum of singles s", "all --jobs 1 s",
              "all --jobs 2 s", "jobs 2 ÷ slowest", "bare: editions at once ÷ slowest alone",
              "jobs 2 RSS MB", "no-change s",
              "first no-change after --force s"]

PHASE_KEYS = ["import_tool", "load_validate", "html_render", "build_fingerprint",
              "import_weasyprint_pikepdf", "weasyprint_layout", "weasyprint_pdf_write",
              "write_pdf_wrapper_other", "pdf_postprocess_pikepdf", "total_in_process"]


HTML_KEYS = ["html_render", "html.bibliography_citeproc", "html.jinja_template",
             "html.markdown", "html.figures_svg", "html.inline_css_fonts", "html.word_count"]


def phase_rows(reports: dict[str, ReportResult], keys: list[str] = PHASE_KEYS
               ) -> list[list[str]]:
    rows = []
    for r in reports.values():
        for e, ph in r.phases.items():
            s = ph["seconds"]
            rows.append([r.name, e] + [f"{s[k]:.3f}" if k in s else "—" for k in keys])
    return rows


MEMORY_HEADER = ["sections", "edition", "pages", "build peak RSS MB", "bare weasyprint MB",
                 "ours (difference) MB"]


def memory_rows(points: list[tuple]) -> list[list[str]]:
    return [[str(n), e, str(pages), f"{mb:.0f}", f"{wp:.0f}", f"{mb - wp:.0f}"]
            for n, e, mb, wp, pages in points]


WHATIF_HEADER = ["report", "edition", "bare weasyprint s",
                 "with .bibliography { column-fill: auto }", "saved", "pages (before → after)"]


def whatif_rows(reports: dict[str, ReportResult]) -> list[list[str]]:
    rows = []
    for r in reports.values():
        if not r.whatif:
            continue
        e = r.whatif["edition"]
        before, after = r.wall(f"weasyprint:{e}"), r.wall(f"whatif-colfill:{e}")
        rows.append([r.name, e, f"{before:.2f}", f"{after:.2f}",
                     f"{before - after:.2f} s ({(before - after) / before:.0%})",
                     f"{r.wp_pages.get(e, 0)} → {r.whatif['pages']}"])
    return rows


def md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def text_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=False)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join([fmt.format(*header), fmt.format(*("-" * w for w in widths))]
                     + [fmt.format(*row) for row in rows])


def verdict_rows(vs: list[Verdict]) -> list[list[str]]:
    return [[v.status, v.target, v.measured, v.limit, v.note] for v in vs]


VERDICT_HEADER = ["", "target", "measured (median)", "limit", "note"]


def markdown(machine: dict, args: argparse.Namespace, reports: dict[str, ReportResult],
             help_s: Series, vs: list[Verdict], points: list, quiet: Quiet,
             profiles: dict, seconds: float, speed: dict) -> str:
    v = machine["versions"]
    parts = [
        "## Run",
        "",
        f"- Date: {machine['date_utc']}",
        f"- Machine: {machine['nproc']} cores, {machine['cpu']}, {machine['ram']} RAM, "
        f"Linux {machine['kernel']}",
        f"- Versions: Python {machine['python']}, WeasyPrint {v['weasyprint']}, pydyf "
        f"{v['pydyf']}, pikepdf {v['pikepdf']}, Pango {machine['pango']}, kratom-report "
        f"{v['kratom-report']}",
        f"- Command: `python benchmarks/run.py{' --quick' if args.quick else ''} --repeat "
        f"{args.repeat}` ({seconds / 60:.1f} min); medians of {args.repeat} runs "
        f"(start-up: {len(help_s.procs)} runs; the 160-section report: 1 run)",
        f"- Tool source measured: sha256 {machine['source_measured']['sha256']} (files of the "
        f"package; newest {machine['source_measured']['newest_file']}), "
        + ("a frozen copy of " if args.snapshot else "")
        + f"`{machine['source_start']['package']}`"
        + ("; the working tree changed during the run" if machine["source_end"]["sha256"]
           != machine["source_start"]["sha256"] else "; unchanged during the run"),
        f"- Machine speed reference (a fixed pure-Python loop, fastest of 3, at "
        f"{len(speed['walls_s'])} points of the run): median {speed['median_s']:.3f} s, "
        f"spread {speed['spread']:.0%}",
        f"- Load average at start: {' '.join(machine['loadavg_start'])}; runs started on a busy "
        f"machine after waiting {quiet.waited:.0f} s in all: {quiet.contended} of {quiet.runs}",
        "",
        "## Targets",
        "",
        md_table(VERDICT_HEADER, verdict_rows(vs)),
        "",
        "## Per edition",
        "",
        md_table(REPORT_HEADER, [row for r in reports.values() for row in report_rows(r)]),
        "",
        "## All editions in one build",
        "",
        md_table(ALL_HEADER, all_editions_rows(reports)),
        "",
        "## In-process phases (one run, seconds)",
        "",
        md_table(["report", "edition"] + PHASE_KEYS, phase_rows(reports)),
        "",
        "HTML render, by part (seconds):",
        "",
        md_table(["report", "edition"] + HTML_KEYS, phase_rows(reports, HTML_KEYS)),
        "",
        "## What-if: reference list columns filled instead of balanced (bare weasyprint)",
        "",
        md_table(WHATIF_HEADER, whatif_rows(reports)),
        "",
        "## Memory curve (single-edition build, --jobs 1)",
        "",
        md_table(MEMORY_HEADER, memory_rows(points)),
    ]
    if profiles:
        parts += ["", "## Profiles (cProfile; shares are indicative)", "",
                  "```json", json.dumps(profiles, indent=1, ensure_ascii=False), "```"]
    return "\n".join(parts) + "\n"


# ------------------------------------------------------------------------------ main

def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark kratom-report (see README.md).")
    parser.add_argument("--quick", action="store_true",
                        help="1 repetition, no 160-section report, no profiling (smoke run)")
    parser.add_argument("--repeat", type=int, default=None,
                        help="runs per measurement, medians reported (default 3; --quick: 1)")
    parser.add_argument("--sizes", default=None,
                        help="synthetic section counts, comma-separated (default 10,40,160)")
    parser.add_argument("--source", type=Path, default=REPO,
                        help="folder of the real report (read only; default: this repository)")
    parser.add_argument("--json", type=Path, help="write every measurement to this JSON file")
    parser.add_argument("--markdown", type=Path, help="write the results as Markdown here")
    parser.add_argument("--profile", action=argparse.BooleanOptionalAction, default=None,
                        help="profile what missed a target (default: on, off with --quick)")
    parser.add_argument("--max-wait", type=float, default=120,
                        help="seconds in all to wait for a quiet machine before runs (default 120)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--snapshot", action=argparse.BooleanOptionalAction, default=True,
                        help="measure a frozen copy of the tool's package (default), so edits "
                             "made during the run cannot mix two versions")
    args = parser.parse_args()
    args.repeat = args.repeat or (1 if args.quick else 3)
    sizes = [int(x) for x in (args.sizes or ("10,40" if args.quick else "10,40,160")).split(",")]
    do_profile = (not args.quick) if args.profile is None else args.profile

    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="kratom-bench-"))
    quiet = Quiet(args.max_wait)
    frozen = snapshot(tmp) if args.snapshot else None
    b = Bench(tmp, child_env(tmp, frozen), quiet, args.repeat)
    measured = frozen / "kratom_report" if frozen else installed_package()
    imported = run([sys.executable, "-c", "import kratom_report; print(kratom_report.__file__)"],
                   env=b.env).stdout.strip()
    if not Path(imported).resolve().is_relative_to(measured):
        sys.exit(f"benchmark: children import {imported}, not the measured {measured}")
    machine = machine_info()
    machine["source_measured"] = source_state(measured)
    b.say(f"benchmark: {machine['nproc']} cores, {machine['cpu']}; temp folder {tmp}")
    b.say(f"kratom-report: {KR}\nweasyprint:    {WP}")
    reports: dict[str, ReportResult] = {}
    try:
        b.calibrate("start")
        help_s = bench_startup(b)
        reports["real"] = bench_report(b, "real", args.source.resolve(), -1)
        for n in sizes:
            b.calibrate(f"before s{n}")
            root = synth.generate(tmp / "sources" / f"s{n}", n)
            reports[f"s{n}"] = bench_report(b, f"s{n}", root, n)
        b.calibrate("end")
        vs = verdicts(reports, help_s)
        points, _ = memory_curve(reports)
        profiles = profile_misses(b, reports, vs) if do_profile else {}
    except (CommandFailed, TimedOut) as exc:
        sys.exit(f"benchmark: {exc}")
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    seconds = time.perf_counter() - started
    machine["source_end"] = source_state()
    changed = machine["source_end"]["sha256"] != machine["source_start"]["sha256"]

    print()
    print(text_table(REPORT_HEADER, [row for r in reports.values() for row in report_rows(r)]))
    print()
    print(text_table(ALL_HEADER, all_editions_rows(reports)))
    print()
    print(text_table(["report", "edition"] + PHASE_KEYS, phase_rows(reports)))
    print()
    print(text_table(["report", "edition"] + HTML_KEYS, phase_rows(reports, HTML_KEYS)))
    print()
    print(text_table(MEMORY_HEADER, memory_rows(points)))
    print()
    print(text_table(WHATIF_HEADER, whatif_rows(reports)))
    print()
    print(text_table(VERDICT_HEADER, verdict_rows(vs)))
    speed = b.speed_summary()
    points_s = ", ".join(f"{k} {v:.2f}" for k, v in speed["walls_s"].items())
    print(f"\nmachine speed reference (pure-Python loop): median {speed['median_s']:.3f} s, "
          f"spread {speed['spread']:.0%} ({points_s})")
    if speed["spread"] > 0.15:
        print("WARNING: the machine's speed drifted by more than 15 % during the run; absolute "
              "times are unreliable (ratios less so): run again")
    if quiet.contended:
        print(f"\nnote: {quiet.contended} of {quiet.runs} runs started while other processes "
              "kept the CPUs busy; wall times may be inflated (CPU-time ratios are shown too)")
    for key, summary in profiles.items():
        print(f"\nprofile {key}:")
        print(json.dumps(summary, indent=1, ensure_ascii=False))
    if changed and not args.snapshot:
        print(f"\nWARNING: the tool's source changed during the run (newest file now "
              f"{machine['source_end']['newest_file']}): results mix two versions; run again")
    elif changed:
        print(f"\nnote: the working tree changed during the run (newest file now "
              f"{machine['source_end']['newest_file']}); the frozen copy measured did not")
    print(f"\ntook {seconds / 60:.1f} min")

    if args.json:
        args.json.write_text(json.dumps({
            "machine": machine, "repeat": args.repeat, "quick": args.quick,
            "help": help_s.as_dict(),
            "reports": {n: {"sections": r.sections, "editions": r.editions, "words": r.words,
                            "pages": r.pages, "weasyprint_pages": r.wp_pages,
                            "html_bytes": r.html_bytes, "phases": r.phases, "whatif": r.whatif,
                            "series": {k: s.as_dict() for k, s in r.series.items()}}
                        for n, r in reports.items()},
            "verdicts": [v.__dict__ | {"status": v.status} for v in vs],
            "memory_curve": points, "profiles": profiles,
            "quiet": {"waited_s": quiet.waited, "contended_runs": quiet.contended,
                      "runs": quiet.runs},
            "seconds": round(seconds, 1), "speed": speed,
        }, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    if args.markdown:
        args.markdown.write_text(markdown(machine, args, reports, help_s, vs, points, quiet,
                                          profiles, seconds, speed), encoding="utf-8")


if __name__ == "__main__":
    main()
