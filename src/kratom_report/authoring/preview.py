"""Serve the web editions on this machine and reload open pages after every saved change.

``preview`` renders the web editions (the same bytes ``build --format web`` writes), serves
them on loopback (see :mod:`.previewsite`), then waits for changes with the same
:class:`~.watch.Changes` that ``watch`` uses. Each rebuild tells open pages through
server-sent events; a failed one keeps the last good pages and lists its problems over them.
A save should show within half a second, so work is kept between rebuilds where that is safe
(see :class:`WebBuilder`), the edition of a page open in a browser renders and reloads first,
and with ``pdf`` the PDFs are rebuilt by a separate, lower-priority process that never holds
up the page.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..atomic import scratch_folder
from ..compose.markup import KeptHtml
from ..errors import ProblemsError, ReportError, UnknownEdition
from ..fingerprint import Hasher, add_files, json_digest
from ..pipeline import Composer, plan, requested
from ..publish.output import ensure_folder, write_all
from ..source.limits import limit_bytes
from ..source.parsecache import ParsedDocs
from .kept import CarriedTokens, TemplatesKept, edition_inputs, shared_inputs
from .previewsite import Page, PreviewServer, Site, bind
from .reviewnotes import annotate, open_comments, rows_positioned
from .watch import Changes, interruptible

if TYPE_CHECKING:
    from ..compose.citations import BibCache
    from ..compose.templating import Templates
    from ..source.project import Project

Say = Callable[[str], None]


@dataclass(frozen=True)
class PreviewOptions:
    editions: tuple[str, ...] = ()  # empty: every edition
    host: str | None = None  # None: loopback only
    port: int | None = None  # None: a free port
    out: Path | None = None  # None: a temporary folder, removed on exit
    pdf: bool = False
    open_browser: bool = False
    debounce: float = 0.01  # seconds of quiet before a rebuild starts (a save is one burst)
    poll: float = 0.5  # how often files outside report/ and templates/ are checked


def preview(root: Path, options: PreviewOptions, say: Say, *,
            stop: threading.Event | None = None,
            on_ready: Callable[[str], None] | None = None) -> None:
    """Serve until ``stop`` is set or Ctrl-C/SIGTERM (KeyboardInterrupt, propagated).

    An unknown ``--edition`` or a port in use raises before anything is served; every later
    failure shows in the page and the preview goes on.
    """
    stop = stop or threading.Event()
    with interruptible(), contextlib.ExitStack() as stack:
        out = _out_folder(options.out, stack)
        site = Site()
        server = bind(site, options.host or "127.0.0.1", options.port or 0)
        stack.callback(server.server_close)  # joins every request thread
        stack.callback(site.close)  # ends the event streams first
        changes = stack.enter_context(Changes(root, skip=out.resolve(), stop=stop,
                                              debounce=options.debounce, poll=options.poll))
        builder = WebBuilder(root, options.editions, out, skip=out.resolve())
        _first_build(builder, site, say)
        _serve(server, stack)
        pdfs = _start_pdfs(root, options, builder, site, say, stack)
        if options.host and not server.loopback:
            say(f"preview: warning: serving on {options.host}: the preview is reachable from "
                "other machines")
        say(f"preview: {server.url} (watching report/ and templates/ in {root}; Ctrl-C stops)")
        if on_ready:
            on_ready(server.url)
        if options.open_browser:
            # A console browser (no display) runs until it is closed: never wait for it here.
            threading.Thread(target=webbrowser.open, args=(server.url,), daemon=True,
                             name="open-browser").start()
        while changes.next() is not None:
            if _rebuild(builder, site, say) and pdfs:
                pdfs.want(builder)


def _out_folder(out: Path | None, stack: contextlib.ExitStack) -> Path:
    """``out``, refused now if it is a link, a file or not writable; made at the first write."""
    if out is not None:
        if out.exists() or out.is_symlink():
            ensure_folder(out)
        return out
    folder = scratch_folder("report-preview-")
    stack.callback(shutil.rmtree, folder, ignore_errors=True)
    return folder


def _serve(server: PreviewServer, stack: contextlib.ExitStack) -> None:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              name="preview-server")
    thread.start()

    def stop_serving() -> None:
        server.shutdown()
        thread.join()

    stack.callback(stop_serving)


class WebBuilder:
    """Renders the web editions in memory and writes the pages whose bytes changed.

    Kept between builds, each only while what it was made from is unchanged: formatted
    references (while every reference, the report's own .csl files and the tool are the same,
    a cached entry is exactly what the CSL processor would give again); each edition's page
    (while its selected blocks and every other input file are the same, so an edit to one
    edition's blocks re-renders only that edition); each file's parsed document (while its
    text is the same, ``ParsedDocs``) and each edition's rendered texts (while the text and
    what its citations, images and facts print are the same, ``KeptHtml``). While review
    comments are open the editions are composed with source positions and each page shows its
    comments (:mod:`.reviewnotes`); a change to the comments alone re-renders nothing.
    """

    def __init__(self, root: Path, editions: tuple[str, ...], out: Path,
                 skip: Path | None = None) -> None:
        self.root, self.editions, self.out, self.skip = root, editions, out, skip
        self.pages: list[Page] = []
        self.pdf_names: dict[str, str] = {}  # page name -> the PDF name build gives it
        self._bib_key = ""
        self._bib: BibCache = {}
        # edition -> (inputs, page, its PDFs: the edition's under "", its summaries' by kind)
        self._kept: dict[str, tuple[str, Page, dict[str, str]]] = {}
        self._unwritten: list[str] = []
        self._review = False  # compose with source positions (while comments are open)
        self._templates = TemplatesKept()
        self._tokens: dict[str, list[Any]] = {}  # the last good load's Markdown tokens
        self._docs = ParsedDocs()  # parsed files of the last load (see load_project)
        self._html: dict[str, KeptHtml] = {}  # each edition's rendered texts

    def build(self, early: Callable[[Page], None] | None = None,
              first: frozenset[str] = frozenset()) -> tuple[list[Page], list[str]]:
        """(pages, names of the pages that changed); raises ProblemsError on any problem.

        Editions whose pages are named in ``first`` (pages open in a browser) render first,
        and each goes to ``early`` as soon as it is ready, before the other editions render.
        """
        from ..source.project import load_project

        tokens = CarriedTokens(self._tokens)
        project = load_project(self.root, parsed=tokens, docs=self._docs)
        self._tokens = dict(tokens)
        wanted = requested(project, self.editions)
        self._html = {e: self._html.get(e) or KeptHtml() for e in wanted}
        comments = open_comments(project.root, project.report.version)
        self._review = bool(comments)
        self._keep_bib_if_same(project)
        templates, templates_key = self._templates.get(project.root)
        shared = shared_inputs(project, templates_key, self.skip) + ("+review" * self._review)

        def shown(page: Page) -> Page:
            if not comments:
                return page
            doc = annotate(page.html.decode("utf-8"), page.edition, comments)
            return replace(page, html=doc.encode("utf-8"))

        kept: dict[str, tuple[str, Page, dict[str, str]]] = {}
        problems = []
        opened = {e for e, (_, page, _) in self._kept.items() if page.name in first}
        for edition_id in sorted(wanted, key=lambda e: e not in opened):
            inputs = edition_inputs(project, edition_id, shared)
            previous = self._kept.get(edition_id)
            if previous and previous[0] == inputs:
                kept[edition_id] = previous
                continue
            try:
                kept[edition_id] = (inputs, *self._render(project, edition_id, templates))
            except ProblemsError as exc:
                problems += exc.problems
                continue
            if early and edition_id in opened:
                early(shown(kept[edition_id][1]))
        if problems:
            raise ProblemsError(list(dict.fromkeys(problems)))
        pages = [shown(kept[e][1]) for e in wanted]
        old = {p.name: p.html for p in self.pages}
        changed = [p.name for p in pages if old.get(p.name) != p.html]
        self._kept = kept
        self.pages, self._unwritten = pages, changed
        # The page's own PDF under its name; its summaries' beside it (served, not announced).
        self.pdf_names = {page.name + (f"#{kind}" if kind else ""): pdf
                          for _, page, pdfs in kept.values() for kind, pdf in pdfs.items()}
        return pages, changed

    def _render(self, project: Project, edition_id: str, templates: Templates
                ) -> tuple[Page, dict[str, str]]:
        """The page and the PDFs ``build`` makes for it: the edition's (key "") and its
        summaries' (by kind), which the page's masthead links to."""
        # The same plan, composed edition and web view ``build --format web`` and the site use.
        web, *pdfs = plan(project, editions=[edition_id], formats=["web", "pdf"]).targets
        composer = Composer(project, templates, self._bib)
        kept = self._html[edition_id]
        kept.new_round()
        r = composer.edition(edition_id, review=self._review, summaries=False, kept=kept)
        if self._review and r.context is not None:
            r = replace(r, context=rows_positioned(r.context))
        r = composer.web(r)
        return (Page(edition_id, r.edition.title, web.name, r.html.encode("utf-8")),
                {t.summary: t.name for t in pdfs})

    def write(self) -> None:
        """Write the pages that changed into ``out`` (after the open pages were told)."""
        if self._unwritten:
            names, self._unwritten = set(self._unwritten), []
            ensure_folder(self.out)
            write_all([(self.out / p.name, p.html) for p in self.pages if p.name in names])

    def _keep_bib_if_same(self, project: Project) -> None:
        from .. import __version__

        refs = sorted((k, located.model.model_dump(by_alias=True, exclude_none=True, mode="json"))
                      for k, located in project.references.items())
        # A style may be a .csl file of the report's own: its bytes count too, hashed by the
        # build's rules (a link out is never read, a file over max_file_mb not in full).
        styles = Hasher()
        add_files(styles, project.root, sorted(project.report_dir.rglob("*.csl")),
                  limit_bytes(project.report.max_file_mb))
        key = json_digest({"refs": refs, "tool": __version__, "styles": styles.hexdigest()})
        if key != self._bib_key:
            self._bib_key, self._bib = key, {}


def _first_build(builder: WebBuilder, site: Site, say: Say) -> None:
    """The first build: an unknown edition stops here; other problems show in the page."""
    _build_and_publish(builder, site, say, "built", "not built")


def _rebuild(builder: WebBuilder, site: Site, say: Say) -> bool:
    """True when a page changed (so its PDF is out of date)."""
    return _build_and_publish(builder, site, say, "rebuilt", "not rebuilt")


def _build_and_publish(builder: WebBuilder, site: Site, say: Say, verb: str,
                       failed: str) -> bool:
    start = time.perf_counter()
    try:
        pages, names = builder.build(site.publish_early, frozenset(site.open_pages()))
    except UnknownEdition as exc:
        if verb == "built":
            raise
        _failed(site, say, ReportError(f"Error: {exc}"), failed)
        return False
    except ReportError as exc:
        _failed(site, say, exc, failed)
        return False
    except Exception as exc:  # noqa: BLE001 - keep previewing; the author may fix the cause
        _failed(site, say, ReportError(f"internal error: {type(exc).__name__}: {exc}"), failed)
        return False
    made = [p.edition for p in pages if p.name in names]
    same = [p.edition for p in pages if p.name not in names]
    line = f"{verb} {', '.join(made) or 'nothing'} in {time.perf_counter() - start:.1f} s"
    say(line + (f" ({', '.join(same)} unchanged)" if same else ""))
    site.publish(pages, [])
    try:
        builder.write()  # after the pages were told: they are served from memory
    except ReportError as exc:
        say(str(exc))
    return bool(names)


def _failed(site: Site, say: Say, exc: ReportError, verb: str) -> None:
    lines = ([str(p) for p in exc.problems] if isinstance(exc, ProblemsError)
             else [str(exc)])
    for line in lines:
        say(line)
    n = len(lines)
    keeps = ("the page keeps the last good build" if verb == "not rebuilt" else
             "the page lists them until a save fixes them")
    say(f"{verb}: {n} problem{'s' if n != 1 else ''}; {keeps}")
    site.publish(None, lines)


class PdfBuilds:
    """PDFs rebuilt one at a time in a separate process; the newest request wins.

    A process of its own (at a lower priority) keeps the PDF engine off this process's
    interpreter, so a save reloads the page as fast without ``--pdf`` as with it.
    """

    def __init__(self, root: Path, options: PreviewOptions, out: Path, site: Site,
                 say: Say) -> None:
        self.root, self.options, self.out, self.site, self.say = root, options, out, site, say
        self._wanted: dict[str, str] | None = None
        self._cond = threading.Condition()
        self._closed = False
        self._proc: subprocess.Popen[str] | None = None
        self._thread = threading.Thread(target=self._run, name="preview-pdf")
        self._thread.start()

    def want(self, builder: WebBuilder) -> None:
        with self._cond:
            self._wanted = dict(builder.pdf_names)
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            proc = self._proc
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        self._thread.join()

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._closed or self._wanted is not None)
                if self._closed:
                    return
                wanted, self._wanted = self._wanted or {}, None
            self.site.publish_pdfs(self.site.pdfs, "PDF: updating…")
            self._build(wanted)

    def _build(self, wanted: dict[str, str]) -> None:
        cmd = [sys.executable, "-m", "kratom_report", "build", "--format", "pdf", "--jobs", "1",
               "--out", str(self.out), "--source", str(self.root)]
        for edition in self.options.editions:
            cmd += ["--edition", edition]
        with self._cond:
            if self._closed:
                return
            self._proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                          text=True, start_new_session=True)
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, self._proc.pid, 10)
        _, err = self._proc.communicate()
        if self._proc.returncode != 0:
            if not self._closed:
                self.say("preview: the PDFs were not rebuilt:")
                for line in err.splitlines():
                    self.say(f"  {line}")
                self.site.publish_pdfs(self.site.pdfs, "PDF: failed (see the terminal)")
            return
        ready = {page: self.out / pdf for page, pdf in wanted.items()
                 if (self.out / pdf).is_file()}
        self.site.publish_pdfs(ready, "PDF ready:")


def _start_pdfs(root: Path, options: PreviewOptions, builder: WebBuilder, site: Site,
                say: Say, stack: contextlib.ExitStack) -> PdfBuilds | None:
    if not options.pdf:
        return None
    pdfs = PdfBuilds(root, options, builder.out, site, say)
    stack.callback(pdfs.close)
    pdfs.want(builder)
    return pdfs
