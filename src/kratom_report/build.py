"""The pipeline as one readable function: load → validate → per edition (select → cite →
figures → HTML → PDF) → write everything atomically, only after every edition rendered."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import Problem, ProblemsError, ReportError
from .output import ensure_folder, output_name, write_all
from .project import Project, load_project
from .render import RenderedEdition, render_edition
from .schema import did_you_mean


class UnknownEdition(ReportError):
    """Raised when ``--edition`` names an edition the report does not define (exit 2)."""


@dataclass(frozen=True)
class BuildRequest:
    editions: tuple[str, ...] = ()  # empty: every edition
    fmt: str = "pdf"
    out: Path = Path("dist")
    paper: str | None = None
    variant: str = "pdf/ua-1"


@dataclass(frozen=True)
class BuiltFile:
    path: Path
    edition: str
    pages: int | None
    size: int


@dataclass
class CheckResult:
    project: Project
    editions: list[RenderedEdition]
    warnings: list[Problem] = field(default_factory=list)


Progress = Callable[[str], None]


def check(root: Path, *, paper: str | None = None) -> CheckResult:
    """Validate everything and render every edition's HTML in memory; write nothing."""
    project = load_project(root)
    rendered, problems = [], []
    for edition in project.report.editions:
        try:
            rendered.append(render_edition(project, edition.id, paper=paper))
        except ProblemsError as exc:
            problems += exc.problems
    if problems:
        raise ProblemsError(_unique(problems))
    return CheckResult(project, rendered, list(project.warnings))


def build(root: Path, request: BuildRequest, progress: Progress | None = None) -> list[BuiltFile]:
    """Build the requested editions; on any failure nothing in ``request.out`` changes."""
    say = progress or (lambda _msg: None)
    project = load_project(root)
    edition_ids = _requested(project, request.editions)
    ensure_folder(request.out)
    rendered: list[tuple[Path, bytes, str, int | None]] = []
    problems: list[Problem] = []
    for edition_id in edition_ids:
        say(f"rendering {edition_id}")
        try:
            result = render_edition(project, edition_id, paper=request.paper)
            name = output_name(project.report.slug, edition_id, result.release.version,
                               request.fmt, request.variant)
            if request.fmt == "html":
                rendered.append((request.out / name, result.html.encode("utf-8"), edition_id,
                                 None))
                continue
            from .pdf import write_pdf

            pdf = write_pdf(result.html, project.root, f"{edition_id} edition",
                            variant=request.variant)
            rendered.append((request.out / name, pdf.data, edition_id, pdf.pages))
        except ProblemsError as exc:
            problems += exc.problems
    if problems:
        raise ProblemsError(_unique(problems))
    write_all([(path, data) for path, data, _, _ in rendered])
    return [BuiltFile(path, ed, pages, len(data)) for path, data, ed, pages in rendered]


def _requested(project: Project, wanted: tuple[str, ...]) -> list[str]:
    known = [e.id for e in project.report.editions]
    for name in wanted:
        if name not in known:
            raise UnknownEdition(f"unknown edition '{name}'{did_you_mean(name, known)} "
                                 f"(editions: {', '.join(known)})")
    return list(dict.fromkeys(wanted)) if wanted else known


def _unique(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))
