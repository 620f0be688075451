"""Time the phases of one edition's PDF build inside one process, and print them as JSON.

Runs what ``kratom-report build --edition E --jobs 1`` runs, step by step, through the tool's
own functions (nothing re-implemented), with WeasyPrint's layout and PDF writing timed apart by
wrapping ``HTML.render`` and ``Document.write_pdf``; the PDF itself is made by the worker's own
job function, so the post-processing timed is whatever a worker applies in this version:

    python benchmarks/phases.py --source DIR --edition ID [--variant pdf/ua-1]
    python benchmarks/phases.py --source DIR --check     # what `check` does: every edition's HTML

Run it as its own process (the benchmark does): import times are only honest in a fresh one.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

_T0 = time.perf_counter()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", type=Path, required=True)
    parser.add_argument("--edition")
    parser.add_argument("--check", action="store_true",
                        help="every edition's HTML, as `check` renders it; no PDF")
    parser.add_argument("--variant", default="pdf/ua-1")
    parser.add_argument("--no-pdf", action="store_true", help="stop after the HTML (cheap)")
    args = parser.parse_args()
    if not args.check and not args.edition:
        parser.error("--edition ID or --check")
    t: dict[str, float] = {}

    def lap(name: str, start: float) -> float:
        now = time.perf_counter()
        t[name] = now - start
        return now

    now = time.perf_counter()
    from kratom_report import build as b
    from kratom_report.compose.templating import Templates
    from kratom_report.source.project import load_project

    now = lap("import_tool", now)
    # Parts of the HTML render, timed by wrapping the functions render_edition calls.
    from kratom_report.compose import figures, render, templating

    parts: dict[str, float] = {}

    def timed(owner: object, name: str, label: str) -> None:
        original = getattr(owner, name, None)
        if original is None:  # renamed in the tool: that part is simply not broken out
            return

        def wrapper(*a, **k):  # noqa: ANN002, ANN003, ANN202
            s = time.perf_counter()
            try:
                return original(*a, **k)
            finally:
                parts[label] = parts.get(label, 0.0) + time.perf_counter() - s

        setattr(owner, name, wrapper)

    timed(render, "bibliography", "html.bibliography_citeproc")
    timed(render, "_render_template", "html.jinja_template")
    timed(render, "render", "html.markdown")
    timed(render, "_words", "html.word_count")
    timed(figures, "render_figure", "html.figures_svg")
    timed(templating.Templates, "inline_css", "html.inline_css_fonts")
    project = load_project(args.source.resolve())
    now = lap("load_validate", now)
    if args.check:
        rendered_all = b.render_html(project, [e.id for e in project.report.editions], None)
        now = lap("html_render", now)
        t.update(parts)
        t["total_in_process"] = now - _T0
        print(json.dumps({"edition": "(all, as check)", "pages": None,
                          "html_bytes": sum(len(r.html.encode()) for r in rendered_all),
                          "pdf_bytes": None, "fingerprint": "",
                          "seconds": {k: round(v, 4) for k, v in t.items()}}))
        return
    (rendered,) = b.render_html(project, [args.edition], None)
    now = lap("html_render", now)
    t.update(parts)
    fp = b.build_fingerprint(rendered, Templates.for_root(project.root), "pdf", args.variant)
    now = lap("build_fingerprint", now)
    from kratom_report.publish.workers import job_for

    job = job_for(project.root, rendered, args.variant)
    now = lap("job_prepare", now)
    if args.no_pdf:
        t["total_in_process"] = now - _T0
        print(json.dumps({"edition": args.edition, "pages": None,
                          "html_bytes": len(job.html.encode()), "pdf_bytes": None,
                          "fingerprint": fp[:12],
                          "seconds": {k: round(v, 4) for k, v in t.items()}}))
        return

    import pikepdf  # noqa: F401 - the post-processing's engine, imported before the clock
    import weasyprint
    from weasyprint.document import Document

    from kratom_report.publish import pdf, workers

    now = lap("import_weasyprint_pikepdf", now)
    inner: dict[str, float] = {"layout": 0.0, "pdf_write": 0.0, "write_pdf": 0.0}
    html_render, doc_write, write_pdf = weasyprint.HTML.render, Document.write_pdf, pdf.write_pdf

    def timed(key: str, func):  # noqa: ANN001, ANN202
        def wrapper(*a, **k):  # noqa: ANN002, ANN003, ANN202
            s = time.perf_counter()
            try:
                return func(*a, **k)
            finally:
                inner[key] += time.perf_counter() - s
        return wrapper

    weasyprint.HTML.render = timed("layout", html_render)
    Document.write_pdf = timed("pdf_write", doc_write)
    pdf.write_pdf = timed("write_pdf", write_pdf)
    # Exactly what a PDF worker runs for one job: render, then the post-processing steps the
    # worker applies (tagging repairs, metadata), whatever they are in this version.
    _edition, data, pages, problems, _seconds, _subsetter = workers._render_job(job)[0]
    if problems:
        sys.exit(f"phases: the render failed: {problems[0].message}")
    now = lap("write_pdf_total", now)
    t["weasyprint_layout"] = inner["layout"]
    t["weasyprint_pdf_write"] = inner["pdf_write"]
    t["write_pdf_wrapper_other"] = inner["write_pdf"] - inner["layout"] - inner["pdf_write"]
    t["pdf_postprocess_pikepdf"] = t.pop("write_pdf_total") - inner["write_pdf"]
    result_pages = pages
    t["total_in_process"] = now - _T0
    print(json.dumps({
        "edition": args.edition, "pages": result_pages, "html_bytes": len(job.html.encode()),
        "pdf_bytes": len(data), "fingerprint": fp[:12],
        "seconds": {k: round(v, 4) for k, v in t.items()},
    }))


if __name__ == "__main__":
    sys.exit(main())
