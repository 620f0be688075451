"""Issue #33's targets, each next to a bare WeasyPrint render of one edition from the same run.

On a shared machine absolute times drift with its load; a ratio to a reference measured in the
same run, interleaved with the commands it judges, drifts much less. So every measurement here
is reported as a multiple of the median bare render (``weasyprint`` on one edition's print
HTML, the variant ``build`` uses):

    python benchmarks/targets.py                    # check, no-change rebuild, one-file check
    python benchmarks/targets.py --release          # also release vs build --all --force (slow)
    python benchmarks/targets.py --release-only --baseline /work/main/src   # release only, and
                                                    # the same for another copy of the tool
    python benchmarks/targets.py --preview          # also benchmarks/preview.py (save → reload)
    python benchmarks/targets.py --profile DIR      # cProfile of check and of a no-change rebuild

Targets: check ≤ 0.06×, no-change rebuild ≤ 0.04×, check after changing one section file parses
that file only (``one_file_check`` lists the files parsed; ``check_edit`` times a check right
after such a change, an author's save, against the same 0.06×), release ≤ 1.25×
``build --all --force``, preview save → reload ≤ 0.25 s.
The tool measured is a frozen copy (as in run.py); the report is a copy in a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from measure import Series, run
from profiling import profile, summarize, timeline
from run import KR, VARIANT, WP, Quiet, child_env, snapshot

HERE = Path(__file__).resolve().parent
LIMITS = {"check": 0.06, "nochange": 0.04, "release": 1.25, "preview_s": 0.25}

# Run in a child: ``check`` with every YAML parse counted, to show what one edit costs.
_COUNT_PARSES = """
import sys
from kratom_report.source import loader
parsed = []
real = loader.parse_yaml
def counting(text, path, display):
    parsed.append(display)
    return real(text, path, display)
loader.parse_yaml = counting
from kratom_report.build import check
check(__import__("pathlib").Path(sys.argv[1]))
print("\\n".join(parsed))
"""


def _copy_project(source: Path, dest: Path) -> Path:
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns(
        ".git", ".venv", "dist", "__pycache__", "node_modules", "benchmarks", "tests"))
    return dest


def _touch_section(root: Path, n: int) -> str:
    """Change one section file's text (a comment line), as an author's save does."""
    path = sorted((root / "report" / "sections").glob("*.yaml"))[0]
    path.write_text(path.read_text(encoding="utf-8") + f"# edit {n}\n", encoding="utf-8")
    return f"report/sections/{path.name}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--source", type=Path, default=HERE.parent)
    ap.add_argument("--edition", default="clinician")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--release", action="store_true")
    ap.add_argument("--release-only", action="store_true",
                    help="measure release vs build --all --force only (with the bare render)")
    ap.add_argument("--baseline", type=Path,
                    help="a src/ folder of another version of the tool (e.g. main's): its "
                         "release and build are measured too, interleaved (before/after)")
    ap.add_argument("--preview", action="store_true")
    ap.add_argument("--profile", type=Path, help="write check.prof and nochange.prof here")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--max-wait", type=float, default=30)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kr-targets-"))
    try:
        results = measure(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(results, indent=1))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")


def measure(args: argparse.Namespace, tmp: Path) -> dict:
    env = child_env(tmp, snapshot(tmp))
    root = _copy_project(args.source.resolve(), tmp / "project")
    src = ["--source", str(root)]
    quiet = Quiet(args.max_wait)
    run([KR, "check", *src], env=env)  # warm-up: bytecode, reference cache
    run([KR, "build", *src, "--format", "html", "--force", "--out", str(tmp / "html")], env=env)
    html = next((tmp / "html").glob(f"*-{args.edition}-v*.html"))
    bare_cmd = [WP, "--pdf-variant", VARIANT, "--custom-metadata", str(html), str(tmp / "bare.pdf")]
    if args.release_only or args.release:
        base_env = None
        if args.baseline:
            base_env = child_env(tmp, _frozen(args.baseline, tmp / "baseline"))
            run([KR, "check", *src], env=base_env)  # its bytecode, as for the tool measured
        res: dict = {"release": _release(root, env, quiet, bare_cmd, args.repeat, base_env)}
        if args.release_only:
            return res
    out = tmp / "out"
    run([KR, "build", *src, "--jobs", "1", "--out", str(out)], env=env)
    s = {k: Series(k) for k in ("bare", "check", "check_edit", "nochange")}
    edits = iter(range(1000, 2000))
    for _ in range(args.repeat):  # interleaved: drift hits every series alike
        for key, cmd in (("bare", bare_cmd),
                         ("check", [KR, "check", *src]),
                         ("check", [KR, "check", *src]),
                         ("check_edit", [KR, "check", *src]),
                         ("nochange", [KR, "build", *src, "--jobs", "1", "--out", str(out)])):
            first = sorted((root / "report" / "sections").glob("*.yaml"))[0]
            saved = first.read_bytes()
            if key == "check_edit":  # an author's save: one section file changed
                _touch_section(root, next(edits))
            quiet.wait()
            proc = s[key].add(run(cmd, env=env))
            first.write_bytes(saved)  # put back: the no-change rebuild must find no change
            if key == "nochange" and "skipped" not in proc.stderr + proc.stdout:
                sys.exit(f"the no-change rebuild rendered something:\n{proc.stderr}")
    bare = s["bare"].wall
    res = {"bare_render_s": round(bare, 3), "bare_cpu_s": round(s["bare"].cpu, 3),
           "contended_runs": quiet.contended, "runs": quiet.runs,
           **({"release": res["release"]} if args.release else {})}
    for key in ("check", "check_edit", "nochange"):
        limit = LIMITS["check" if key == "check_edit" else key]
        res[key] = {"wall_s": round(s[key].wall, 3), "ratio": round(s[key].wall / bare, 4),
                    "cpu_ratio": round(s[key].cpu / s["bare"].cpu, 4), "limit": limit,
                    "met": s[key].wall / bare <= limit, "walls": s[key].as_dict()["walls_s"]}
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
        res["profiles"] = {}
        for name, cmd in (("check", ["check", *src]),
                          ("nochange", ["build", *src, "--jobs", "1", "--out", str(out)])):
            prof = profile(cmd, args.profile / f"{name}.prof", env, module="kratom_report")
            res["profiles"][name] = summarize(prof)
    run([KR, "check", *src], env=env)  # the cache knows the current text of every file
    changed = _touch_section(root, 1)
    parsed = run([sys.executable, "-c", _COUNT_PARSES, str(root)], env=env).stdout.splitlines()
    yaml_files = len(list((root / "report").rglob("*.yaml")))
    res["one_file_check"] = {"changed": changed, "yaml_files": yaml_files,
                             "yaml_files_parsed": len(parsed), "parsed": parsed,
                             "met": parsed == [changed]}
    if args.preview:
        proc = run([sys.executable, str(HERE / "preview.py"), "--saves", "5", "--rebuilds", "20",
                    "--json", str(tmp / "preview.json")], env=env, timeout=900)
        data = json.loads((tmp / "preview.json").read_text(encoding="utf-8"))
        res["preview"] = {"raw": data, "limit_s": LIMITS["preview_s"], "note": proc.stdout[-400:]}
    return res


def _frozen(src: Path, dest: Path) -> Path:
    """A frozen copy of another version of the tool (``src/`` holding ``kratom_report``)."""
    shutil.copytree(src / "kratom_report", dest / "kratom_report",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return dest


# long: one interleaved loop over up to five commands, then one table of medians
def _release(root: Path, env: dict[str, str], quiet: Quiet, bare_cmd: list[str], repeat: int,
             base_env: dict[str, str] | None) -> dict:
    """``release`` into a new folder vs ``build --all --force``, interleaved with a bare
    render, ``repeat`` times each (medians); with ``base_env`` the baseline tool's build and
    release too, so before and after come from the same run. Wall and CPU (the process and
    its workers), and the peak RSS of the largest process."""
    tools = {"": env} | ({"baseline_": base_env} if base_env else {})
    s = {f"{t}{k}": Series(f"{t}{k}") for t in tools for k in ("build", "release")}
    s["bare"] = Series("bare")
    folder = root.parent
    for i in range(repeat):
        quiet.wait()
        s["bare"].add(run(bare_cmd, env=env))
        for tool, tool_env in tools.items():
            quiet.wait()
            s[f"{tool}build"].add(run([KR, "build", "--source", str(root), "--all", "--force",
                                       "--out", str(folder / f"{tool}all-{i}")],
                                      env=tool_env, timeout=1800))
            quiet.wait()
            s[f"{tool}release"].add(run([KR, "release", "--source", str(root), "--out",
                                         str(folder / f"{tool}rel-{i}")],
                                        env=tool_env, timeout=1800))
    res: dict = {"bare_render_s": round(s["bare"].wall, 2), "runs": quiet.runs,
                 "contended_runs": quiet.contended, "repeat": repeat}
    for tool in tools:
        build, release = s[f"{tool}build"], s[f"{tool}release"]
        ratio = release.wall / build.wall
        res[f"{tool}ratio"] = {
            "build_all_s": round(build.wall, 2), "release_s": round(release.wall, 2),
            "ratio": round(ratio, 3), "cpu_ratio": round(release.cpu / build.cpu, 3),
            "build_cpu_s": round(build.cpu, 2), "release_cpu_s": round(release.cpu, 2),
            "build_peak_rss_mb": round(build.rss_mb), "release_peak_rss_mb": round(release.rss_mb),
            "limit": LIMITS["release"], "met": ratio <= LIMITS["release"],
            "build_in_bare_renders": round(build.wall / s["bare"].wall, 2),
            "build_walls": build.as_dict()["walls_s"],
            "release_walls": release.as_dict()["walls_s"]}
    # One more release, its progress lines stamped: where a release spends its time.
    res["timeline"] = timeline([KR, "release", "--source", str(root), "--out",
                                str(folder / "rel-timeline")], env)
    return res


if __name__ == "__main__":
    main()
