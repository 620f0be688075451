"""The one pipeline every command shares: plan what to make, compose each edition once, then
derive every requested output from that one composed edition.

``build``, ``release``, ``verify``, ``watch`` and ``preview`` differ only in what they ask
:func:`plan` for and in what they do with the :class:`Product` list :func:`produce` gives back.
A fix to how an edition is composed (its language, theme, numbering, figures) therefore reaches
the PDF, the archival PDF/A copy, the print HTML, the web edition and the release site at once,
because none of them composes an edition of its own.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from .errors import Problem, ProblemsError, UnknownEdition, did_you_mean
from .publish.output import output_name

if TYPE_CHECKING:
    import jinja2

    from .compose.citations import BibCache
    from .compose.marks import ChangeMarks
    from .compose.markup import KeptHtml
    from .compose.render import RenderedEdition
    from .compose.summary import ReadAt
    from .compose.templating import Templates
    from .publish.workers import Progress, Workers
    from .source.project import Project

# What an edition can become. ``html`` is the self-contained print HTML the PDF is made from;
# ``web`` the reading edition for screens.
FORMATS = ("pdf", "html", "web")
TAGGED = "pdf/ua-1"
ARCHIVAL = "pdf/a-3a"
REVIEW = "review"  # a review copy: source positions in the margin, never released
VARIANTS = (TAGGED, ARCHIVAL)


@dataclass(frozen=True)
class Target:
    """One file to make: an edition in one format (and, for a PDF, one variant), or with
    ``summary`` (``one-page``, ``three-page``) one of the edition's summaries, a tagged PDF."""

    edition: str
    fmt: str
    variant: str
    name: str
    summary: str = ""


@dataclass(frozen=True)
class Plan:
    """What to make, decided once: the editions in report.yaml's order, and their targets."""

    project: Project
    editions: tuple[str, ...]
    targets: tuple[Target, ...]
    paper: str | None = None
    since: str | None = None  # change marks since this version ("" = the latest release)

    @property
    def review(self) -> bool:
        return any(t.variant == REVIEW for t in self.targets)

    def for_edition(self, edition: str) -> list[Target]:
        return [t for t in self.targets if t.edition == edition]


@dataclass(frozen=True)
class Product:
    """A made target: its bytes, its page count (PDFs only), the edition it came from, and
    for a PDF made with ``checks`` its accessibility claims and counts (measured where it was
    made: publish/accessibility.py)."""

    target: Target
    data: bytes
    pages: int | None
    edition: RenderedEdition
    checks: dict[str, Any] | None = None


def requested(project: Project, wanted: Iterable[str] = ()) -> list[str]:
    """The editions asked for, in report.yaml's order when none are named (named: as asked)."""
    known = [e.id for e in project.report.editions]
    wanted = list(dict.fromkeys(wanted))
    for name in wanted:
        if name not in known:
            raise UnknownEdition(f"unknown edition '{name}'{did_you_mean(name, known)} "
                                 f"(editions: {', '.join(known)})")
    return wanted or known


def plan(project: Project, *, editions: Iterable[str] = (), formats: Iterable[str] = ("pdf",),
         variants: Iterable[str] = (TAGGED,), paper: str | None = None,
         since: str | None = None, since_version: str | None = None) -> Plan:
    """Decide every file a run makes, with its final name, before anything is composed.

    ``variants`` applies to PDFs only; ``since_version`` is the resolved version of ``since``
    (file names carry it).
    """
    from .compose.render import release_of

    ids = requested(project, editions)
    rel = release_of(project)
    formats, variants = list(dict.fromkeys(formats)), list(dict.fromkeys(variants))
    for fmt in formats:
        if fmt not in FORMATS:
            raise ValueError(f"unknown format '{fmt}' (formats: {', '.join(FORMATS)})")
    targets = []
    asked = {e.id: e.summaries for e in project.report.editions}
    for edition in ids:
        for fmt in formats:
            for variant in variants if fmt == "pdf" else [TAGGED]:
                name = output_name(project.report.slug, edition, rel.version, fmt, variant,
                                   draft=rel.draft, since=since_version)
                targets.append(Target(edition, fmt, variant if fmt == "pdf" else "", name))
        # Summaries are tagged PDFs beside the edition's; a copy with change marks has none.
        if "pdf" in formats and TAGGED in variants and since is None:
            targets += [Target(edition, "pdf", TAGGED, output_name(
                project.report.slug, edition, rel.version, "pdf", draft=rel.draft,
                summary=kind), kind) for kind in asked[edition]]
    return Plan(project, tuple(ids), tuple(targets), paper, since)


def source_html(target: Target, r: RenderedEdition) -> str:
    """The print HTML a target is made from: the edition's, or its summary's."""
    return r.summary(target.summary).html if target.summary else r.html


def read_at(project: Project, edition: str) -> ReadAt:
    """Where a summary sends its reader: the web edition at ``site.base_url`` (where the
    release site puts it), else the full edition's PDF by file name."""
    from .compose.render import release_of
    from .compose.summary import ReadAt

    rel, slug = release_of(project), project.report.slug
    base = project.report.site.base_url
    url = (f"{base.rstrip('/')}/{rel.version}/{output_name(slug, edition, rel.version, 'web')}"
           if base else None)
    return ReadAt(url, output_name(slug, edition, rel.version, "pdf", draft=rel.draft))


@dataclass
class Composer:
    """Composes editions with shared caches: templates compile once, references format once."""

    project: Project
    templates: Templates
    bib_cache: BibCache

    @classmethod
    def for_project(cls, project: Project, templates: Templates | None = None) -> Composer:
        from .compose.templating import Templates as _Templates

        return cls(project, templates or _Templates.for_root(project.root), {})

    def edition(self, edition_id: str, *, paper: str | None = None,
                marks: ChangeMarks | None = None, review: bool = False,
                summaries: bool = True, kept: KeptHtml | None = None) -> RenderedEdition:
        """One composed edition (its print HTML included); raises ProblemsError. A review
        copy's edition carries source positions and no summaries; ``summaries=False`` skips
        them too (the preview serves web pages only, which name the summaries, not hold them).
        ``kept``: the edition's texts rendered before (see ``compose.markup.KeptHtml``)."""
        from .compose.render import render_edition
        from .compose.summary import compose_summaries

        r = render_edition(self.project, edition_id, paper=paper, bib_cache=self.bib_cache,
                           marks=marks, templates=self.templates, review=review, kept=kept)
        if marks is not None or review or not summaries or not r.edition.summaries:
            return r
        return replace(r, summaries=compose_summaries(
            self.project, r, self.templates, self.bib_cache, read_at(self.project, edition_id)))

    def editions(self, edition_ids: Iterable[str], *, paper: str | None = None,
                 marks: dict[str, ChangeMarks] | None = None, review: bool = False
                 ) -> Iterator[RenderedEdition]:
        """Each edition in turn, as soon as it is composed; every edition's problems are
        collected and raised together after the last one."""
        problems: list[Problem] = []
        for edition_id in edition_ids:
            try:
                yield self.edition(edition_id, paper=paper, marks=(marks or {}).get(edition_id),
                                   review=review)
            except ProblemsError as exc:
                problems += exc.problems
        if problems:
            raise ProblemsError(list(dict.fromkeys(problems)))

    def web(self, composed: RenderedEdition, env: jinja2.Environment | None = None
            ) -> RenderedEdition:
        """The web edition of a composed edition: only the screen templates run again. It
        links to the edition's summaries, named as :func:`plan` names them."""
        from .compose.web import web_from

        links = [(t.summary, t.name) for t in plan(self.project,
                                                   editions=[composed.edition.id]).targets
                 if t.summary]
        return web_from(self.project, composed, self.templates, env, links)


def produce(plan_: Plan, composer: Composer, workers: Workers, say: Progress, *,
            marks: dict[str, ChangeMarks] | None = None, checks: bool = False,
            wanted: Callable[[Target, RenderedEdition], bool] = lambda _t, _r: True,
            composed: Iterable[RenderedEdition] | None = None) -> list[Product]:
    """Make every target of the plan ``wanted`` keeps, composing each edition exactly once
    (or taking ``composed``, editions the caller composed already).

    PDFs go to the workers as soon as their edition is composed, so the next edition composes
    while the last one is laid out; an edition's variants (tagged, archival) share one layout.
    A web product's ``edition`` is its web view (the site needs it); ``checks``: workers
    measure each PDF for the accessibility statement. Nothing is written here.
    """
    from .publish.workers import report_result

    env = composer.templates.environment()  # every web page shares it: templates compile once
    made: list[tuple[Target, Any, RenderedEdition]] = []
    problems: list[Problem] = []  # every edition's, reported together
    editions = composed if composed is not None else composer.editions(
        plan_.editions, paper=plan_.paper, marks=marks, review=plan_.review)
    sent: dict[Target, tuple[Any, int]] = {}  # a PDF's job and its place among the results
    kept: list[tuple[RenderedEdition, list[Target]]] = []
    # Editions composed already: every job is queued before any is sent, so the largest go
    # first (composing as we go, the first edition's go out while the next one composes).
    with workers.together() if composed is not None else contextlib.nullcontext():
        for r in editions:
            targets = [t for t in plan_.for_edition(r.edition.id) if wanted(t, r)]
            sent |= _submit(plan_, r, targets, workers, say, checks, first=not sent)
            kept.append((r, targets))
    pending = len(sent)
    for r, targets in kept:
        for target in targets:
            if target.fmt == "pdf":
                made.append((target, sent[target], r))
            elif target.fmt == "web":
                try:
                    web = composer.web(r, env)
                except ProblemsError as exc:
                    problems += exc.problems
                    continue
                made.append((target, web.html.encode("utf-8"), web))
            else:
                made.append((target, r.html.encode("utf-8"), r))
    products: list[Product] = []
    done = 0
    for target, handle, r in made:
        if isinstance(handle, bytes):
            products.append(Product(target, handle, None, r))
            continue
        result = handle[0].get(handle[1])
        done += 1
        report_result(result, done, pending, say)
        _edition, data, pages, found, _seconds, measured = result
        problems += found
        if data:
            products.append(Product(target, data, pages, r, measured))
    if problems:
        raise ProblemsError(problems)
    return products


def _submit(plan_: Plan, r: RenderedEdition, targets: list[Target], workers: Workers,
            say: Progress, checks: bool, *, first: bool) -> dict[Target, tuple[Any, int]]:
    """Send the edition's PDF jobs to the workers: each PDF target's job and its place among
    that job's results."""
    from .publish.workers import job_for

    sent: dict[Target, tuple[Any, int]] = {}
    for job in _pdf_jobs(targets):
        if first and not sent:
            say(f"rendering PDFs with {max(1, workers.count)} "
                f"worker{'s' if workers.count > 1 else ''}")
        summary = r.summary(job[0].summary) if job[0].summary else None
        handle = workers.submit(job_for(plan_.project.root, r, [t.variant for t in job],
                                        summary, checks=checks))
        sent |= {target: (handle, i) for i, target in enumerate(job)}
    return sent


def _pdf_jobs(targets: list[Target]) -> list[list[Target]]:
    """The PDF targets of one edition grouped by the layout they are written from: every
    variant of the edition itself from one (only what WeasyPrint writes after layout differs:
    tags, output intent, attachments), each summary and a review copy from their own."""
    pdfs = [t for t in targets if t.fmt == "pdf"]
    shared = [t for t in pdfs if not t.summary and t.variant != REVIEW]
    return ([shared] if shared else []) + [[t] for t in pdfs if t not in shared]
