"""Issue #33's targets, each next to a bare WeasyPrint render of one edition from the same run.

On a shared machine absolute times drift with its load; a ratio to a reference measured in the
same run, interleaved with the commands it judges, drifts much less. So every measurement here
is reported as a multiple of the median bare render (``weasyprint`` on one edition's print
HTML, the variant ``build`` uses):

    python benchmarks/targets.py                    # check, no-change rebuild, one-file check
    python benchmarks/targets.py --release          # also release vs build --all --force (slow)
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
import statistics
import sys
import tempfile
from pathlib import Path

from measure import Series, run
from profiling import profile, summarize
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
    out = tmp / "out"
    run([KR, "build", *src, "--jobs", "1", "--out", str(out)], env=env)
    s = {k: Series(k) for k in ("bare", "check", "check_edit", "nochange")}
    edits = iter(range(1000, 2000))
    for _ in range(args.repeat):  # interleaved: drift hits every series alike
        for key, cmd in (("bare", [WP, "--pdf-variant", VARIANT, "--custom-metadata", str(html),
                                   str(tmp / "bare.pdf")]),
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
    res: dict = {"bare_render_s": round(bare, 3), "bare_cpu_s": round(s["bare"].cpu, 3),
                 "contended_runs": quiet.contended, "runs": quiet.runs}
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
    if args.release:
        res["release"] = _release(root, env, quiet, bare)
    if args.preview:
        proc = run([sys.executable, str(HERE / "preview.py"), "--saves", "5", "--rebuilds", "20",
                    "--json", str(tmp / "preview.json")], env=env, timeout=900)
        data = json.loads((tmp / "preview.json").read_text(encoding="utf-8"))
        res["preview"] = {"raw": data, "limit_s": LIMITS["preview_s"], "note": proc.stdout[-400:]}
    return res


def _release(root: Path, env: dict[str, str], quiet: Quiet, bare: float) -> dict:
    """``release`` into a new folder vs ``build --all --force``, interleaved, twice each."""
    builds, releases = [], []
    for i in range(2):
        quiet.wait()
        builds.append(run([KR, "build", "--source", str(root), "--force", "--out",
                           str(root.parent / f"all-{i}")], env=env, timeout=1800).wall)
        quiet.wait()
        proc = run([KR, "release", "--source", str(root), "--out", str(root.parent / f"rel-{i}")],
                   env=env, check=False, timeout=1800)
        if proc.returncode:
            return {"error": proc.stderr.strip().splitlines()[-3:]}
        releases.append(proc.wall)
    ratio = statistics.median(releases) / statistics.median(builds)
    return {"build_all_s": round(statistics.median(builds), 2), "release_s":
            round(statistics.median(releases), 2), "ratio": round(ratio, 3),
            "limit": LIMITS["release"], "met": ratio <= LIMITS["release"],
            "build_in_bare_renders": round(statistics.median(builds) / bare, 2)}


if __name__ == "__main__":
    main()
