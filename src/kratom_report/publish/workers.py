"""PDFs in parallel: forked worker processes, each rendering one edition at a time.

Workers are forked before the pipeline loads, so the PDF engine imports in parallel with the
HTML work; each job is plain data, each result carries the log WeasyPrint wrote in the worker and
which library subset its fonts. A machine without HarfBuzz subsetting is one warning per run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import multiprocessing
import re
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import Problem, ProblemsError
from ..fingerprint import canonical_json
from ..references.csljson import export_csljson

if TYPE_CHECKING:
    from ..compose.render import RenderedEdition

Progress = Callable[[str], None]
# (label, PDF, pages, problems, seconds, its accessibility checks when the job asked for them)
Result = tuple[str, bytes | None, int, list[Problem], float, dict[str, Any] | None]
Made = tuple[str, bytes | None, int, list[Problem], float, dict[str, Any] | None, str | None]
TAGGED_VARIANT = "pdf/ua-1"

FONTTOOLS_WARNING = (
    "warning: renderer: HarfBuzz subsetting is not installed (Debian and Ubuntu: "
    "libharfbuzz-subset0; Fedora and Homebrew: harfbuzz); fonts were subset with fontTools, so "
    "the PDF bytes differ from a build that has it")


Attachments = tuple[tuple[str, bytes, str], ...]


@dataclass(frozen=True)
class _Job:
    """What a worker needs to render one document into one PDF per variant, laid out once;
    plain data so it crosses a process boundary."""

    edition: str
    html: str
    root: Path
    variants: tuple[tuple[str, Attachments], ...]  # (variant, its attachments), in order
    date: dt.datetime | None
    fit: tuple[int, Problem, str] | None = None  # a summary's pages, where asked, kind
    review: bool = False  # a review copy (publish/review.py)
    # Measure each finished PDF for the accessibility statement (release): here, in parallel,
    # rather than in the parent after the last PDF.
    checks: bool = False


def _render_job(job: _Job) -> list[Made]:
    """Runs in a worker; WeasyPrint's log is captured here, where it is emitted. One result per
    variant of the job, in its order; the last item of each is the font subsetter ("harfbuzz"
    or "fonttools"; None when nothing was rendered). A failed job's problems are in its first
    result only, so they are reported once."""
    from .pdf import Variant, write_pdfs
    from .pdfmeta import finish_metadata
    from .pdftags import tidy_structure

    start = time.perf_counter()
    if job.review:
        from .review import review_pdf

        try:
            data, pages = review_pdf(job.html, job.root)
        except ProblemsError as exc:
            return [(job.edition, None, 0, exc.problems, time.perf_counter() - start, None,
                     None)]
        return [(job.edition, data, pages, [], time.perf_counter() - start, None, "harfbuzz")]
    fit, label = None, job.edition
    if job.fit is not None:
        from .summaryfit import fit_problems

        limit, at, kind = job.fit
        label = f"{job.edition} {kind} summary"
        fit = functools.partial(fit_problems, limit=limit, at=at, edition=job.edition,
                                kind=kind)
    try:
        results = write_pdfs(job.html, job.root, f"{label} edition" if label == job.edition
                             else label, [Variant(v, a) for v, a in job.variants],
                             date=job.date, fit=fit)
    except ProblemsError as exc:
        seconds = time.perf_counter() - start
        return [(label, None, 0, exc.problems if i == 0 else [], seconds, None, None)
                for i in range(len(job.variants))]
    lang = re.search(r'<html lang="([^"]+)"', job.html)
    made: list[Made] = []
    for (variant, _attachments), result in zip(job.variants, results, strict=True):
        begun = time.perf_counter()
        data = finish_metadata(tidy_structure(result.data, job.html),
                               lang.group(1) if lang else "en",
                               archival=variant.startswith("pdf/a"))
        made.append((label, data, result.pages, [],
                     result.seconds + time.perf_counter() - begun, _checks(job, data),
                     result.subsetter))
    return made


def _checks(job: _Job, data: bytes) -> dict[str, Any] | None:
    """The accessibility statement's claims and counts of a finished PDF, if the job asks."""
    if not job.checks:
        return None
    from .accessibility import pdf_checks

    return pdf_checks(data)


class Workers:
    """Forked PDF workers, started early so each imports the PDF engine in parallel with the
    parent's loading and HTML rendering; with ``count`` 0 or no fork, work runs in-process.

    Jobs wait in one queue and the largest waiting job goes to whichever worker is free first,
    so no worker idles while another has a backlog (a release's editions, archival copies and
    summaries differ in size tenfold). Each worker has at most one job in flight on its own pipe,
    so neither side can block the other on a full pipe. No lock is shared between processes, so
    an interrupted build can always kill its workers without waiting on them.

    ``subsetter`` is the library that subset the fonts of the PDFs received so far ("harfbuzz"
    or "fonttools", None before any); ``say`` hears once per run that fontTools did.
    """

    def __init__(self, count: int, say: Progress | None = None) -> None:
        self.count = count
        self.workers: list[_Worker] = []
        self.say = say
        self.subsetter: str | None = None
        self._waiting: list[tuple[int, _Job, int]] = []  # (ticket, job, cost), not yet sent
        self._results: dict[int, Any] = {}
        self._tickets = 0
        self._held = False  # inside together(): jobs queue, none is sent
        if count > 0 and "fork" in multiprocessing.get_all_start_methods():
            ctx = multiprocessing.get_context("fork")
            for _ in range(count):
                parent, child = ctx.Pipe()
                proc = ctx.Process(target=_serve, args=(child,), daemon=True)
                proc.start()
                child.close()
                self.workers.append(_Worker(proc, parent))

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, exc_type: object, *_rest: object) -> None:
        for worker in self.workers:
            # One never sent a job holds nothing: it is not waited for (a release found
            # identical would otherwise wait for it to import the PDF engine).
            if exc_type is None and worker.used:
                with contextlib.suppress(OSError):
                    worker.conn.send(None)
                worker.proc.join()
            else:
                worker.proc.kill()
                worker.proc.join()
            worker.conn.close()

    def submit(self, job: _Job) -> _Handle:
        """A handle whose ``get()`` returns the job's result (computed here without workers)."""
        if not self.workers:
            return _Handle(self, _Deferred(job))
        ticket = self._tickets
        self._tickets += 1
        self._waiting.append((ticket, job, _cost(job)))
        self._dispatch()
        return _Handle(self, _Reply(self, ticket))

    @contextlib.contextmanager
    def together(self) -> Iterator[None]:
        """Jobs submitted inside wait until the block ends, then go out largest first: with
        every job known, no worker starts a small one while a large one is still to come."""
        self._held = True
        try:
            yield
        finally:
            self._held = False
            self._dispatch()

    def _dispatch(self) -> None:
        """Send the largest waiting job to each idle worker (:func:`_cost`: layout time)."""
        for worker in self.workers:
            if worker.in_flight is None and self._waiting and not self._held:
                largest = max(range(len(self._waiting)), key=lambda i: self._waiting[i][2])
                ticket, job, _ = self._waiting.pop(largest)
                worker.conn.send(job)
                worker.in_flight, worker.used = ticket, True

    def result(self, ticket: int) -> Any:
        """The results of ``ticket``, collecting every worker that finishes meanwhile (and
        giving it the next job) in whatever order they finish."""
        from multiprocessing.connection import wait

        while ticket not in self._results:
            busy = {w.conn: (w, w.in_flight) for w in self.workers if w.in_flight is not None}
            if not busy:  # nothing on the wire: waiting would hang for good
                raise KeyError(f"ticket {ticket} is not pending")
            for conn in wait(list(busy)):
                worker, sent = busy[conn]
                try:
                    answer = worker.conn.recv()
                except EOFError:
                    raise ProblemsError([Problem("build", None, None,
                                                 "a PDF worker stopped unexpectedly")]) from None
                self._results[sent] = answer
                worker.in_flight = None
            self._dispatch()
        return self._results.pop(ticket)

    def received(self, result: tuple) -> Result:
        """A worker's result without its subsetter, which is noted (and warned of) here."""
        *rest, subsetter = result
        if subsetter == "fonttools" and self.subsetter != "fonttools" and self.say:
            self.say(FONTTOOLS_WARNING)
        if subsetter is not None and self.subsetter != "fonttools":
            self.subsetter = subsetter
        return tuple(rest)


# Inline data (fonts, images) is most of a print HTML's bytes and costs the layout little.
_INLINE_DATA = re.compile(r"data:[^\"')\s]+")


def _cost(job: _Job) -> int:
    """How long a job takes, roughly: its HTML's characters other than inline data (the
    text laid out), and once more per further variant written from the layout, in part."""
    text = len(job.html) - sum(len(m) for m in _INLINE_DATA.findall(job.html))
    return text * (3 + len(job.variants)) // 4


@dataclass
class _Handle:
    """One job's results (one per variant), received from its worker once and kept, so each
    variant's target takes its own with ``get(index)``."""

    pool: Workers
    inner: Any
    results: list[Result] | None = None

    def get(self, index: int = 0) -> Result:
        if self.results is None:
            self.results = [self.pool.received(r) for r in self.inner.get()]
        return self.results[index]


@dataclass
class _Worker:
    proc: Any
    conn: Any
    in_flight: int | None = None  # the ticket of the job it renders
    used: bool = False  # was ever sent a job


@dataclass
class _Reply:
    pool: Workers
    ticket: int

    def get(self) -> list[tuple]:
        return self.pool.result(self.ticket)


def _serve(conn: Any) -> None:
    _worker_init()
    while True:
        job = conn.recv()
        if job is None:
            return
        conn.send(_render_job(job))


@dataclass
class _Deferred:
    job: _Job

    def get(self) -> list[tuple]:
        return _render_job(self.job)


def _worker_init() -> None:
    """Ctrl-C is the parent's to handle; and load the PDF engine before any job arrives."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import weasyprint  # noqa: F401

    from . import pdf, pdftags  # noqa: F401


def report_result(result: tuple, done: int, total: int, say: Progress) -> None:
    edition, _data, pages, problems, seconds, _measured = result
    status = "failed" if problems else f"{pages} pages in {seconds:.1f} s"
    say(f"[{done}/{total}] {edition}: {status}")


def job_for(root: Path, r: RenderedEdition, variant: str | Sequence[str],
            summary: Any = None, *, checks: bool = False) -> _Job:
    """The job of one PDF, or of several variants of the edition's PDF from one layout: the
    edition, or one of its summaries (compose/summary.py), which fails when it needs more
    pages than it may take. With ``checks``, each PDF comes back with its accessibility
    checks (publish/accessibility.py)."""
    variants = [variant] if isinstance(variant, str) else list(variant)
    date = None
    if r.release.date is not None:
        date = dt.datetime.combine(r.release.date, dt.time(), tzinfo=dt.UTC)
    if summary is not None:
        return _Job(r.edition.id, summary.html, root, tuple((v, ()) for v in variants), date,
                    (summary.max_pages, summary.at, summary.kind), checks=checks)
    if variants == ["review"]:
        return _Job(r.edition.id, r.html, root, ((TAGGED_VARIANT, ()),), date, review=True)
    return _Job(r.edition.id, r.html, root, tuple((v, _attachments(r, v)) for v in variants),
                date, checks=checks)


def _attachments(r: RenderedEdition, variant: str) -> Attachments:
    """What an archival (PDF/A) copy carries: the edition's own resolved sources, never
    another edition's text; other variants carry nothing."""
    if not variant.startswith("pdf/a"):
        return ()
    return (
        (f"{r.edition.id}-content.json", canonical_json(r.payload),
         f"Resolved content of the {r.edition.title}"),
        # Bibliographic data only: the author's research notes (verified_by, …) stay out.
        (f"{r.edition.id}-references.json",
         export_csljson(list(r.cited_refs), notes=False).encode("utf-8"),
         f"References cited in the {r.edition.title} (CSL-JSON)"),
    )
