"""The pipeline as one readable function: load → validate → per edition (select → cite →
figures → HTML) → PDFs in parallel workers → write everything atomically, only after every
edition rendered."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .cachetrust import read_entry, write_entry
from .compose.templating import Templates
from .errors import Problem, ProblemsError
from .fingerprint import (
    Hasher,
    add_files,
    add_templates,
    canonical_json,
    digest,
    file_digest,
    json_digest,
    tool_versions,
)
from .fingerprint import json_bytes as _json_bytes
from .publish.output import ensure_folder, refuse_links, write_all
from .source.reportfile import quick_report_yaml as _report_yaml

if TYPE_CHECKING:  # the pipeline is imported on first use: an unchanged rebuild never needs it
    from .compose.render import RenderedEdition
    from .pipeline import Composer, Target
    from .publish.workers import Progress, Workers
    from .source.project import Project


@dataclass(frozen=True)
class BuildRequest:
    editions: tuple[str, ...] = ()  # empty: every edition
    fmt: str = "pdf"  # pdf, html (the print intermediate) or web (the screen edition)
    out: Path = Path("dist")
    paper: str | None = None
    variant: str = "pdf/ua-1"  # or "review": a review copy (publish/review.py)
    jobs: int | None = None  # None: one per core
    force: bool = False
    mark_changes: str | None = None  # a version, "" for the latest release, None: no marks


@dataclass(frozen=True)
class BuiltFile:
    path: Path
    edition: str
    pages: int | None
    size: int
    sha256: str
    content_fingerprint: str
    build_fingerprint: str
    skipped: bool = False


@dataclass
class CheckResult:
    project: Project
    editions: list[RenderedEdition]
    warnings: list[Problem] = field(default_factory=list)


def check(root: Path, *, paper: str | None = None) -> CheckResult:
    """Validate everything and render every edition's HTML in memory; write nothing."""
    from .publish.records import record_problems
    from .references.retractions import report_problems
    from .source.currency import overdue_problems, today
    from .source.project import load_project

    project = load_project(root)
    records = record_problems(project.root)  # a damaged release record is a problem too
    try:
        rendered = render_html(project, [e.id for e in project.report.editions], paper)
    except ProblemsError as exc:
        raise ProblemsError(exc.problems + records) from None
    if records:
        raise ProblemsError(records)
    return CheckResult(project, rendered, list(project.warnings) + _undescribed(project, rendered)
                       + overdue_problems(project, today()) + report_problems(project)
                       + _summaries(project, rendered) + _open_comments(project))


def _open_comments(project: Project) -> list[Problem]:
    """How many review comments on this version are open (a note, never a failure)."""
    from .source.reviews import ReviewError, load_reviews

    try:
        reviews = load_reviews(project.root, project.report.version)
    except ReviewError as exc:
        return [Problem(f"report/reviews/{project.report.version}.yaml", None, None, str(exc),
                        "warning")]
    count = len(reviews.open)
    if not count:
        return []
    return [Problem(reviews.display, None, None, (
        f"{count} review comment{'s are' if count > 1 else ' is'} open; see them with "
        "'kratom-report review list --open'"), "info")]


def _summaries(project: Project, rendered: list[RenderedEdition]) -> list[Problem]:
    """Warnings for summary numbers the edition does not print; raises ProblemsError for a
    summary that needs more pages than it may take, judged by the layout ``build`` makes."""
    if not any(r.summaries for r in rendered):
        return []  # the layout engine is not even imported
    from functools import partial

    from .compose.agreement import number_warnings
    from .errors import ProblemsError
    from .publish.pdf import lay_out
    from .publish.summaryfit import fit_problems

    errors: list[Problem] = []
    base = _fit_context()
    for r in rendered:
        for s in r.summaries:
            key = json_digest([base, s.max_pages, digest(s.html)])
            if read_entry(FITS, key) == "fits":
                continue
            found, fetched = lay_out(s.html, project.root, f"{r.edition.id} {s.kind} summary",
                                     partial(fit_problems, limit=s.max_pages, at=s.at,
                                             edition=r.edition.id, kind=s.kind))
            if not found and not fetched:  # only a clean verdict on the HTML alone is kept
                write_entry(FITS, key, "fits")
            errors += found
    if errors:
        raise ProblemsError(errors)
    return [w for r in rendered for w in number_warnings(project, r)]


FITS = "summary-fits"  # cache entries: summaries whose layout fits their pages


def _fit_context() -> str:
    """Everything but its HTML (stylesheets and declared fonts inlined) and page limit that a
    summary's layout depends on when it reads no file: the tool and renderer versions, the
    code that lays it out and judges it, and the shipped fallback fonts (the only others)."""
    from .publish import fonts, pdf, summaryfit

    code = [digest(Path(m.__file__).read_bytes()) for m in (pdf, summaryfit, fonts)
            if m.__file__]
    shipped = sorted((p.name, p.stat().st_size) for p in fonts.SHIPPED_FONTS.iterdir())
    return json_digest(["summary-fits-1", __version__, tool_versions(), code, shipped])


def _undescribed(project: Project, rendered: list[RenderedEdition]) -> list[Problem]:
    """A warning when a draft's content differs from the latest release but its entry is empty."""
    from .publish.records import RecordError, latest_release, load_record

    entries = project.changelog.entries
    index = next((i for i, e in enumerate(entries) if e.version == project.report.version), None)
    if index is None or entries[index].date is not None or entries[index].any_changes():
        return []
    try:
        version = latest_release(project.root)
        old = load_record(project.root, version)["editions"]
    except RecordError:
        return []
    changed = [r.edition.id for r in rendered
               if old.get(r.edition.id, {}).get("content_fingerprint") != r.content_fingerprint]
    if not changed:
        return []
    return [project.changelog_doc.problem(("entries", index, "version"), (
        f"the content differs from release {version} ({', '.join(changed)}), but the draft "
        f"entry for {project.report.version} lists no change; describe what changed (see "
        "'kratom-report diff')"), severity="warning")]


def build(root: Path, request: BuildRequest, progress: Progress | None = None) -> list[BuiltFile]:
    """Build the requested editions; on any failure nothing in ``request.out`` changes."""
    say = progress or (lambda _msg: None)
    # Before anything is read from it: a linked output folder could lead anywhere.
    refuse_links([request.out, request.out / ".build"], folders=True)
    sources = None if request.force else source_fingerprint(root, request)
    unchanged = _unchanged_request(request, sources) if sources else None
    if unchanged is not None:
        for b in unchanged:
            say(f"{b.edition}: unchanged since the last build, skipped (--force rebuilds)")
        return unchanged
    # Fork the PDF workers first: they import the PDF engine while we load and render HTML.
    from .publish.workers import Workers  # not imported by check: it renders no PDF

    count = _worker_count(root, request) if request.fmt == "pdf" else 0
    with Workers(count, say) as workers:
        return _build(root, request, say, workers, sources)


def _build(root: Path, request: BuildRequest, say: Progress, workers: Workers,
           sources: str | None) -> list[BuiltFile]:
    """Plan → compose each edition once → make what changed → write it all, or nothing."""
    from .pipeline import Composer, plan, produce, source_html
    from .source.project import load_project

    project = load_project(root)
    for note in project.notes:  # not a draft: the notes are left out of what is built
        if note.severity == "warning":
            say(f"{note}; left out of this build")
    composer = Composer.for_project(project)
    marks = _change_marks(project, request.mark_changes,
                          list(dict.fromkeys(request.editions)) or None, composer)
    since = next(iter(marks.values())).since if marks else None
    planned = plan(project, editions=request.editions, formats=[request.fmt],
                   variants=[request.variant], paper=request.paper,
                   since=request.mark_changes, since_version=since)
    ensure_folder(request.out)

    fingerprints: dict[str, str] = {}
    skipped: list[BuiltFile] = []

    def wanted(target: Target, r: RenderedEdition) -> bool:
        fp = fingerprints[target.name] = build_fingerprint(r, composer.templates, target.fmt,
                                                           request.variant,
                                                           source_html(target, r))
        previous = None if request.force else _unchanged(request.out / target.name, fp)
        if previous is not None:
            say(f"{r.edition.id}: unchanged since the last build, skipped (--force rebuilds)")
            skipped.append(replace(previous, edition=r.edition.id))
        return previous is None

    products = produce(planned, composer, workers, say, marks=marks, wanted=wanted)
    files: list[tuple[Path, bytes]] = []
    built: list[BuiltFile] = []
    for made in products:
        path, r, fp = request.out / made.target.name, made.edition, fingerprints[made.target.name]
        sha = digest(made.data)
        record = {"build_fingerprint": fp, "content_fingerprint": r.content_fingerprint,
                  "sha256": sha, "pages": made.pages}
        if made.target.fmt == "pdf":  # which library subset the fonts: verify explains with it
            record["font_subsetter"] = workers.subsetter
        files += [(path, made.data), (record_path(path), _json_bytes(record))]
        built.append(BuiltFile(path, r.edition.id, made.pages, len(made.data), sha,
                               r.content_fingerprint, fp))
    order = {e: i for i, e in enumerate(planned.editions)}
    result = sorted(built + skipped, key=lambda b: order[b.edition])
    if sources:
        files.append((_request_record(request), _json_bytes({
            "source_fingerprint": sources,
            "files": [{**asdict(b), "path": b.path.name, "skipped": False} for b in result]})))
    refuse_links([path for path, _ in files])
    ensure_folder(request.out / ".build")
    write_all(files)
    return result


def _change_marks(project: Project, since: str | None, edition_ids: list[str] | None,
                  composer: Composer) -> dict[str, Any]:
    """Per edition, what changed since ``since`` ("" = the latest release); {} without it."""
    if since is None:
        return {}
    from .compose.marks import ChangeMarks
    from .pipeline import requested
    from .publish.diff import diff_records
    from .publish.records import RecordError, latest_release, load_record

    edition_ids = requested(project, edition_ids or ())
    version = since or latest_release(project.root)
    old = load_record(project.root, version)
    missing = [e for e in edition_ids if e not in old["editions"]]
    if missing:
        raise RecordError(f"edition '{missing[0]}' did not exist in {version} (editions there: "
                          f"{', '.join(sorted(old['editions']))}); build it without "
                          "--mark-changes")
    new = {"editions": {e: composer.edition(e).record() for e in edition_ids}}
    diff = diff_records(old, new, edition_ids)
    return {e: ChangeMarks.from_diff(version, diff["editions"][e]) for e in edition_ids}


def render_html(project: Project, edition_ids: list[str], paper: str | None
                ) -> list[RenderedEdition]:
    """Every requested edition composed (print HTML included), all problems collected."""
    from .pipeline import Composer

    return list(Composer.for_project(project).editions(edition_ids, paper=paper))


def _worker_count(root: Path, request: BuildRequest) -> int:
    """Workers worth forking: one per requested edition, at most ``--jobs`` or one per core."""
    wanted = len(set(request.editions)) if request.editions else edition_count(root)
    return max(1, min(wanted, request.jobs or os.cpu_count() or 1))


def edition_count(root: Path) -> int:
    """How many editions report.yaml lists, read before the project loads (at least one)."""
    editions = _report_yaml(root).get("editions")
    return max(1, len(editions)) if isinstance(editions, list) else 1


def _request_record(request: BuildRequest) -> Path:
    key = json_digest([sorted(set(request.editions)), request.fmt, request.paper,
                       request.variant] + ([request.mark_changes]
                                           if request.mark_changes is not None else []))[:16]
    return request.out / ".build" / f"request-{key}.json"


def _unchanged_request(request: BuildRequest, sources: str) -> list[BuiltFile] | None:
    """The previous result of this very request, if no input changed and every file is intact."""
    try:
        record = json.loads(_request_record(request).read_text(encoding="utf-8"))
        if record["source_fingerprint"] != sources:
            return None
        out = []
        for row in record["files"]:
            path = request.out / row["path"]
            if file_digest(path) != row["sha256"]:
                return None
            out.append(BuiltFile(**{**row, "path": path, "skipped": True}))
        return out or None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def record_path(path: Path) -> Path:
    """Where the fingerprint of a built file is kept, out of the reader's way."""
    return path.parent / ".build" / f"{path.name}.json"


def _unchanged(path: Path, fingerprint: str) -> BuiltFile | None:
    """The existing output when its recorded fingerprint and bytes both still match."""
    if path.is_symlink():
        return None  # never read through it; writing it is refused
    try:
        record = json.loads(record_path(path).read_text(encoding="utf-8"))
        data = path.read_bytes()
    except (OSError, ValueError):
        return None
    sha = digest(data)
    if record.get("build_fingerprint") != fingerprint or record.get("sha256") != sha:
        return None
    return BuiltFile(path, "", record.get("pages"), len(data), sha,
                     record.get("content_fingerprint", ""), fingerprint, skipped=True)


def source_fingerprint(root: Path, request: BuildRequest) -> str:
    """Hash of every input file and option: equal means the outputs cannot have changed.

    Only regular files that resolve inside the report folder are read, each at most
    ``max_file_mb`` (a larger one is hashed by size and time: the build refuses it anyway).
    Files report.yaml names outside ``report/`` (reference files, a CSL style) are included.
    """
    from .source.reportfile import named_outside, quick_limit

    root = root.resolve()
    h = Hasher()
    report_files = sorted(p for p in (root / "report").rglob("*") if p.is_file())
    add_files(h, root, dict.fromkeys(report_files + named_outside(root)), quick_limit(root))
    add_templates(h, Templates.for_root(root).files())
    h.add(canonical_json({"tool": __version__, "tools": tool_versions(),
                          "request": [sorted(set(request.editions)), request.fmt,
                                      request.paper, request.variant,
                                      request.mark_changes]}))
    return h.hexdigest()


def build_fingerprint(r: RenderedEdition, templates: Templates, fmt: str, variant: str,
                      html: str | None = None) -> str:
    """Everything that can change the output bytes: content, templates, fonts, tools, options
    (``html``: a summary's, made from the edition)."""
    h = Hasher(r.content_fingerprint.encode())
    add_templates(h, templates.files())
    options = {"format": fmt, "variant": variant, "paper": r.paper, "tool": __version__,
               "tools": tool_versions(), "version": r.release.version,
               "date": r.release.date.isoformat() if r.release.date else None,
               "html": digest(r.html if html is None else html)}
    h.add(canonical_json(options))
    return h.hexdigest()
