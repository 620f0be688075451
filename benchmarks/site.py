"""What the release site costs beyond the PDFs: web editions, landing and version pages, feed.

``release`` renders each edition's HTML once for its PDFs; the site is made from those same
renders. So the site's own cost is the step after them (``release._site``: the web editions,
every page of the site, the feed and the citation files), timed here in-process on the real
report, as the median of ``--repeat`` runs after one warm-up (templates compile once per run, as
in ``release``). The target is 0.3 s.

    python benchmarks/site.py [--source DIR] [--repeat N] [--pdfs DIR]
"""

from __future__ import annotations

import argparse
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from kratom_report.build import render_html  # noqa: E402
from kratom_report.compose.render import release_of  # noqa: E402
from kratom_report.compose.templating import Templates  # noqa: E402
from kratom_report.release import _site  # noqa: E402
from kratom_report.source.project import load_project  # noqa: E402

TARGET = 0.3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=REPO)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--pdfs", type=Path, help="a folder with this version's built PDFs")
    args = parser.parse_args()
    project = load_project(args.source.resolve())
    version = release_of(project).version
    editions = render_html(project, [e.id for e in project.report.editions], None)
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat + 1):
            out = Path(tmp) / f"run{i}"
            (out / version).mkdir(parents=True)
            for pdf in args.pdfs.glob(f"*-v{version}.pdf") if args.pdfs else ():
                shutil.copyfile(pdf, out / version / pdf.name)  # so the cards link them
            start = time.perf_counter()
            _site(project, out, version, Templates.for_root(project.root), editions)
            elapsed = time.perf_counter() - start
            if i:  # the first run imports the site modules: a release pays that once, too
                times.append(elapsed)
        files = sorted(p for p in (Path(tmp) / "run1").rglob("*") if p.is_file())
        size = sum(p.stat().st_size for p in files)
    median = statistics.median(times)
    print(f"site for {version}: {len(files)} files, {size / 1024:.0f} KiB; "
          f"median {median:.3f} s of {len(times)} runs (min {min(times):.3f}, "
          f"max {max(times):.3f}); target {TARGET} s: {'met' if median <= TARGET else 'MISSED'}")
    print(f"machine: {platform.machine()}, Python {platform.python_version()}")
    return 0 if median <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
